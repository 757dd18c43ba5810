"""Pieces of the conversion on their own: charsets, the author's chrome patterns, images."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from publisher.config import load_project
from publisher.importer.convert import convert_html
from publisher.importer.decode import decode_html
from tests.fixtures_project import ROOT
from tests.importer.helpers import imported_files, newsletter, run

RUSSIAN = ("Здравствуйте, дорогие друзья! Сегодня поговорим о продажах и о том, как "
           "менеджер находит новых клиентов.")


@pytest.mark.parametrize("encoding", ["cp1251", "koi8_r", "utf-8"])
def test_charset_is_detected_from_the_bytes_when_the_page_declares_none(encoding: str) -> None:
    page = f"<html><body><p>{RUSSIAN}</p></body></html>".encode(encoding)
    decoded = decode_html(page)
    assert RUSSIAN in decoded.text
    assert decoded.how in ("detected", "utf-8")


def test_a_declared_charset_wins_and_a_lying_one_loses_to_valid_utf8() -> None:
    declared = (f'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">'
                f"<p>{RUSSIAN}</p>").encode("koi8_r")
    assert decode_html(declared).how == "declared"
    assert RUSSIAN in decode_html(declared).text
    lying = f'<meta charset="windows-1251"><p>{RUSSIAN}</p>'.encode()
    assert RUSSIAN in decode_html(lying).text


def test_the_authors_own_chrome_patterns_and_article_markers(tmp_path: Path) -> None:
    root = newsletter(tmp_path)
    config = yaml.safe_load((root / "newsletter.yaml").read_text("utf-8"))
    config["importer"] = {"chrome": ["Спонсор выпуска: .*"],
                          "chrome_links": ["https://banners.example.ru/"],
                          "article_end": r"^P\.S\. Реклама"}
    (root / "newsletter.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    html = """<body><p>Спонсор выпуска: ООО Ромашка</p>
    <p><a href="https://banners.example.ru/go?1">Купите слона</a></p>
    <p>Первый абзац статьи. Про <a href="https://banners.example.ru/x">слона</a> тоже.</p>
    <p>Последний абзац.</p><p>P.S. Реклама: всё о слонах</p><p>Ещё реклама</p></body>"""
    markdown = convert_html(html, load_project(root).settings).markdown
    assert markdown == ("Первый абзац статьи. Про [слона](https://banners.example.ru/x) "
                        "тоже.\n\nПоследний абзац.\n")


def test_a_bad_pattern_is_a_config_error_at_its_line(tmp_path: Path) -> None:
    root = newsletter(tmp_path)
    text = (root / "newsletter.yaml").read_text("utf-8") + "importer:\n  chrome: ['(unclosed']\n"
    (root / "newsletter.yaml").write_text(text, "utf-8")
    result = run(root, "check")
    assert result.exit_code == 1
    assert "importer.chrome: '(unclosed' is not a regular expression" in result.stderr


class _Images(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/i/photo.png":
            body = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
        else:
            body = b"not here"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def image_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Images)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_download_images_saves_them_under_issues_images(tmp_path: Path,
                                                       image_server: str) -> None:
    root = newsletter(tmp_path)
    page = tmp_path / "letter.html"
    page.write_text(f"""<html><head><title>Фото с тренинга</title></head><body>
        <p>Вот как это было на тренинге в Москве.</p>
        <p><img src="{image_server}/i/photo.png" alt="Участники"></p>
        <p><img src="{image_server}/i/gone.png" alt="Пропавшее фото"></p></body></html>""",
                    "utf-8")
    kept = run(root, "import", "html", str(page), "-s", "upravlyay-ka", "--date", "2012-05-05",
               "--dry-run", "--download-images")
    assert kept.exit_code == 0 and not (root / "issues" / "images").exists()

    result = run(root, "import", "html", str(page), "-s", "upravlyay-ka", "--date",
                 "2012-05-05", "--download-images")
    assert result.exit_code == 0, result.output
    assert "gone.png: HTTP 404; the URL is kept" in result.stderr
    [path] = imported_files(root)
    [saved] = (root / "issues" / "images" / path.stem).iterdir()
    assert saved.read_bytes().startswith(b"\x89PNG")
    body = path.read_text("utf-8")
    assert f"![Участники](images/{path.stem}/{saved.name})" in body
    assert f"![Пропавшее фото]({image_server}/i/gone.png)" in body
    check = run(root, "check")
    assert check.exit_code == 0, check.output  # the saved image is found


def test_the_repository_sample_config_has_no_importer_section_and_still_loads() -> None:
    settings = load_project(ROOT).settings
    assert settings.importer.chrome == () and settings.importer.article_start == ""


def _rendered_text(markdown: str) -> str:
    import lxml.html

    from publisher.render.body import markdown_to_html

    html, _ = markdown_to_html(markdown, load_project(ROOT))
    return lxml.html.fragment_fromstring(html, create_parent="div").text_content()


@pytest.mark.parametrize("sentence", [
    "Звёздочки *не* курсив, а _подчёркивания_ — не тоже.",
    "# Не заголовок, а решётка в начале строки.",
    "1. Не список: год начинается с цифры и точки.",
    "- Не пункт списка, а тире в начале.",
    "> Не цитата, а знак больше.",
    "Теги <b>в тексте</b> и &amp; сущности остаются текстом, как и [скобки](нет).",
    "Обратный слэш \\ и `обратные кавычки` тоже.",
])
def test_text_that_looks_like_markdown_renders_back_as_the_same_text(sentence: str) -> None:
    from html import escape

    settings = load_project(ROOT).settings
    markdown = convert_html(f"<p>{escape(sentence)}</p>", settings).markdown
    from tests.render.seed import normalise

    assert normalise(_rendered_text(markdown)) == normalise(sentence)


def test_a_call_to_action_linking_to_a_menu_page_is_article_not_chrome() -> None:
    settings = load_project(ROOT).settings
    html = """<body><p>Первый абзац.</p>
    <p><a href="https://www.asconsult.ru/treningi/">Записаться на тренинг по продажам</a></p>
    <p><a href="https://www.asconsult.ru/treningi/">Тренинги</a> |
       <a href="https://www.asconsult.ru/kontakty/">Контакты</a></p></body>"""
    markdown = convert_html(html, settings).markdown
    assert "[Записаться на тренинг по продажам](https://www.asconsult.ru/treningi/)" in markdown
    assert "Контакты" not in markdown


def test_a_sendsay_tag_with_a_pipe_inside_a_table_cell_renders_byte_for_byte() -> None:
    from publisher.render.body import markdown_to_html

    project = load_project(ROOT)
    tag = "[% anketa.base.firstName | ucfirst %]"
    html = f"""<body><table border=1><tr><th>Кому</th><th>Что</th></tr>
    <tr><td>{tag}</td><td>Подарок</td></tr><tr><td>Всем</td><td>Скидка</td></tr></table></body>"""
    markdown = convert_html(html, project.settings).markdown
    assert "[% anketa.base.firstName \\| ucfirst %]" in markdown
    assert tag in markdown_to_html(markdown, project)[0]


def _lists(el) -> list:  # type: ignore[no-untyped-def]
    """The list structure under ``el``: [(tag, start, [(own text, nested lists), ...])]."""
    from tests.render.seed import normalise

    out = []
    for lst in el.iter("ul", "ol"):
        if lst.getparent() is not None and lst.xpath("ancestor::ul|ancestor::ol"):
            continue
        out.append(_list(lst, normalise))
    return out


def _list(lst, normalise):  # type: ignore[no-untyped-def]
    items = []
    for li in lst.findall("li"):
        own = " ".join(t for t in (li.text or "", *(
            (c.text_content() if c.tag not in ("ul", "ol") else "") + (c.tail or "")
            for c in li)) if t)
        items.append((normalise(own), [_list(c, normalise) for c in li.iter("ul", "ol")
                                       if c.getparent() is li or c.getparent().getparent() is li
                                       and c.getparent().tag != "li"]))
    return (lst.tag, int(lst.get("start") or 1), items)


@pytest.mark.parametrize("html", [
    "<ul><li><p>Пункт один</p><p>продолжение</p></li><li>Пункт два<ul><li>вложенный</li>"
    "<li>второй<ol><li>третий уровень</li></ol></li></ul></li><li>Пункт три</li></ul>",
    "<ol start='4'><li>четвёртый<ul><li>a</li></ul></li><li>пятый</li></ol>",
    "<ol><li>один</li><li>два<ol><li>два-один</li><li>два-два</li></ol></li><li>три</li></ol>",
])
def test_nested_lists_keep_their_shape(html: str) -> None:
    import lxml.html

    from publisher.render.body import markdown_to_html

    project = load_project(ROOT)
    markdown = convert_html(f"<body>{html}</body>", project.settings).markdown
    rendered = markdown_to_html(markdown, project)[0]
    original = lxml.html.fragment_fromstring(html, create_parent="div")
    again = lxml.html.fragment_fromstring(rendered, create_parent="div")
    assert _lists(again) == _lists(original), markdown
