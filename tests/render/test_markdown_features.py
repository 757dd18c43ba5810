"""The Markdown authors write: fenced code, footnotes, bare URLs, definition lists,
abbreviations, image widths, which tables stack; and the email's soft break opportunities."""

from __future__ import annotations

import struct
from pathlib import Path

import lxml.html
import pytest

from publisher.render.images import CONTENT_WIDTH, email_width, image_size
from publisher.render.markdown_ext import make_markdown
from publisher.render.soft_breaks import soft_breaks
from publisher.render.text import html_to_text
from tests.render.corpus import CORPUS

IMAGES = CORPUS / "ru" / "issues" / "images"


def convert(source: str, typography: bool = True) -> str:
    md, _ = make_markdown(typography)
    md.reset()
    return md.convert(source)


def test_fenced_code_is_a_block_not_inline_code() -> None:
    html = convert("Текст:\n\n```python\ndef f(x):\n    return x\n```\n")
    doc = lxml.html.fragment_fromstring(html, create_parent="div")
    pre = doc.xpath("//pre/code")[0]
    assert pre.get("class") == "language-python"
    assert pre.text == "def f(x):\n    return x\n"  # lines and indentation kept


def test_footnotes_become_numbered_notes_and_the_text_part_keeps_them() -> None:
    html = convert("Факт[^a] и ещё[^b].\n\n[^a]: Первая сноска.\n[^b]: Вторая https://x.org/n.\n",
                   typography=False)
    assert "[^a]" not in html
    assert '<a class="footnote-ref" href="#fn:a">1</a>' in html
    assert '<div class="footnote">' in html and "Первая сноска" in html
    text = html_to_text(html)
    assert "Факт[1] и ещё[2]." in text
    assert "1. Первая сноска." in text and "2. Вторая https://x.org/n." in text
    assert "↩" not in text  # the back links are for the screen only


@pytest.mark.parametrize(("source", "href", "label"), [
    ("См. https://example.org/a_b?x=1&y=2.", "https://example.org/a_b?x=1&y=2",
     "https://example.org/a_b?x=1&y=2"),
    ("(www.example.org/path)", "https://www.example.org/path", "www.example.org/path"),
    ("https://en.wikipedia.org/wiki/A_(b), далее", "https://en.wikipedia.org/wiki/A_(b)",
     "https://en.wikipedia.org/wiki/A_(b)"),
    ("**https://example.org/bold**", "https://example.org/bold", "https://example.org/bold"),
])
def test_bare_urls_become_links_without_trailing_punctuation(source, href, label) -> None:  # type: ignore[no-untyped-def]
    doc = lxml.html.fragment_fromstring(convert(source), create_parent="div")
    links = doc.xpath("//a")
    assert [(a.get("href"), a.text) for a in links] == [(href, label)]


@pytest.mark.parametrize("source", [
    "[https://example.org/x](https://example.org/x)",
    '<a href="https://example.org/x">https://example.org/x</a>',
    "<https://example.org/x>",
    "`https://example.org/x` [text](https://example.org/x)",
])
def test_urls_already_in_links_or_code_are_not_linked_twice(source: str) -> None:
    doc = lxml.html.fragment_fromstring(convert(source), create_parent="div")
    assert not doc.xpath("//a//a")
    assert len(doc.xpath("//a")) == 1


def test_bare_url_with_an_esp_tag_keeps_the_tag_whole() -> None:
    html = convert("Ссылка https://x.org/?m=[% anketa.member.email %]&c=1 конец")
    assert 'href="https://x.org/?m=[% anketa.member.email %]&amp;c=1"' in html


def test_bare_urls_reach_the_text_part_once() -> None:
    text = html_to_text(convert("Читайте https://example.org/long/read сегодня."))
    assert text.strip() == "Читайте https://example.org/long/read сегодня."


def test_definition_lists_and_abbreviations() -> None:
    html = convert("CRM\n:   Система учёта клиентов.\n\nНаш KPI.\n\n*[KPI]: Показатель\n")
    assert "<dt>CRM</dt>" in html and "<dd>Система учёта клиентов.</dd>" in html
    assert '<abbr title="Показатель">KPI</abbr>' in html
    assert "CRM\n    Система учёта клиентов." in html_to_text(html)


@pytest.mark.parametrize(("name", "size"), [
    ("photo-wide.png", (1200, 800)), ("chart.jpg", (300, 200)), ("icon.gif", (40, 40)),
    ("banner.webp", (800, 240)), ("portrait.jpg", (640, 960)),
])
def test_image_sizes_read_from_the_file_headers(name: str, size: tuple[int, int]) -> None:
    assert image_size(IMAGES / name) == size
    assert email_width(IMAGES / name) == min(size[0], CONTENT_WIDTH)


def test_unknown_or_truncated_images_have_no_size(tmp_path: Path) -> None:
    (tmp_path / "short.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "text.jpg").write_bytes(b"not an image at all")
    (tmp_path / "cut.jpg").write_bytes(b"\xff\xd8\xff\xe0" + struct.pack(">H", 400) + b"x" * 10)
    for name in ("short.png", "text.jpg", "cut.jpg", "missing.gif"):
        assert image_size(tmp_path / name) is None


def test_images_get_their_width_capped_at_the_column(project) -> None:  # type: ignore[no-untyped-def]
    from publisher.config import load_project
    from publisher.render import markdown_to_html
    from tests.fixtures_project import DEFAULT_ISSUE

    root = project({f"issues/images/{n}": (IMAGES / n).read_bytes()
                    for n in ("photo-wide.png", "icon.gif")})
    loaded = load_project(root)
    html, _ = markdown_to_html(
        "![a](images/photo-wide.png) ![b](images/icon.gif) ![c](images/icon.gif){: width=\"20\" }"
        " ![d](https://cdn.example.org/x.png)", loaded,
        source_dir=(root / DEFAULT_ISSUE).parent)
    widths = [img.get("width") for img in
              lxml.html.fragment_fromstring(html, create_parent="div").xpath("//img")]
    assert widths == ["552", "40", "20", None]


def _table(columns: int, cell: str = "x") -> str:
    head = "| " + " | ".join(f"h{i}" for i in range(columns)) + " |\n"
    rule = "|" + "---|" * columns + "\n"
    return head + rule + "| " + " | ".join([cell] * columns) + " |\n"


@pytest.mark.parametrize(("source", "classes"), [
    (_table(2), None),
    (_table(3), None),
    (_table(2, "очень длинный текст ячейки, который всё равно остаётся в таблице"), None),
    (_table(3, "очень длинный текст ячейки, который на телефоне читать в карточке"), "stackable"),
    (_table(4), "stackable"),
    (_table(6), "stackable many-columns"),
    (_table(8, "Производительность"), "stackable many-columns tight"),  # cannot fit whole words
])
def test_only_wide_tables_stack_on_phones(source: str, classes: str | None) -> None:
    table = lxml.html.fragment_fromstring(convert(source), create_parent="div").xpath("//table")[0]
    assert table.get("class") == classes
    assert table.xpath(".//span[@class='cell-label']")  # labels are there either way


def test_soft_breaks_go_into_long_text_only() -> None:
    html = ('<p>Короткие слова. <a href="https://example.org/a/very/long/path/here">'
            "https://example.org/a/very/long/path/here</a> #ОченьДлинныйХэштегБезПробелов</p>")
    out = soft_breaks(html)
    assert 'href="https://example.org/a/very/long/path/here"' in out  # attributes untouched
    assert ">https://<wbr>example.<wbr>org/<wbr>a/<wbr>very/<wbr>long/<wbr>path/<wbr>here</a>" in out
    assert "#ОченьДлинны<wbr>йХэштегБезПр<wbr>обелов" in out
    assert out.replace("<wbr>", "") == html


@pytest.mark.parametrize("html", [
    "<p>[%anketa.base.firstNameVeryLongVariableName%]</p>",
    "<p>[% IF anketa.base.city_name_that_is_long %]x[% END %]</p>",
    "<p>aaaaaaaaaaaaaaaaaaaaaaa&amp;bbbbbbbbbbbbbbbbbbbbbbbbbbb&nbsp;c</p>",
    "<style>.a-very-long-selector-name-without-spaces{color:red}</style>",
])
def test_soft_breaks_never_split_tags_entities_or_styles(html: str) -> None:
    out = soft_breaks(html)
    for whole in ("[%anketa.base.firstNameVeryLongVariableName%]",
                  "[% IF anketa.base.city_name_that_is_long %]", "&amp;", "&nbsp;",
                  ".a-very-long-selector-name-without-spaces{color:red}"):
        if whole in html:
            assert whole in out
    assert out.replace("<wbr>", "") == html


def test_a_fenced_block_indented_under_a_list_item_stays_a_code_block() -> None:
    html = convert("1. Установите:\n\n    ```bash\n    pip install x\n      --flag\n    ```\n\n"
                   "2. Запустите.\n")
    doc = lxml.html.fragment_fromstring(html, create_parent="div")
    assert doc.xpath("//ol/li[1]/pre/code")[0].text == "pip install x\n  --flag\n"
    assert len(doc.xpath("//ol/li")) == 2 and "```" not in html
