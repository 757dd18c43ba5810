"""Each corpus letter through the whole path: import html -> check -> render -> build.

What must hold for every letter: each sentence, list item (as a list item, with its number
where it had one) and table cell reaches the email's text part and the archive page; each
heading is a heading; each Sendsay tag reaches the Sendsay email byte for byte; no chrome
string is left in the body (the email's body part, the archive page's article).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import lxml.html
import pytest
import yaml

from archive_site.build import build
from publisher.config import load_project
from publisher.load import split_front_matter
from publisher.pipeline import prepare
from tests.importer.corpus import LETTERS, CorpusLetter
from tests.importer.helpers import imported_files, list_items, newsletter, run, text
from tests.render.seed import normalise


def _import(tmp_path: Path, letter: CorpusLetter) -> tuple[Path, Path]:
    root = newsletter(tmp_path)
    pages = tmp_path / "saved"
    pages.mkdir()
    (pages / letter.name).write_bytes(letter.data())
    for name, data in letter.files.items():
        (pages / name).parent.mkdir(parents=True, exist_ok=True)
        (pages / name).write_bytes(data)
    result = run(root, "import", "html", str(pages / letter.name), "--series", "upravlyay-ka",
                 "--date", letter.date)
    assert result.exit_code == 0, result.output
    [path] = imported_files(root)
    return root, path


@pytest.mark.parametrize("letter", LETTERS, ids=[x.name for x in LETTERS])
def test_round_trip_keeps_the_article_and_drops_the_chrome(tmp_path: Path,
                                                          letter: CorpusLetter) -> None:
    root, path = _import(tmp_path, letter)
    if not letter.declared:  # the charset was found from the bytes alone
        assert b"charset" not in letter.data()[:300].lower()
    source = path.read_text("utf-8")
    front, body, _ = split_front_matter(source, path)
    fields = yaml.safe_load(front)
    assert fields["status"] == "published"
    assert fields["number"] == 2  # after the shipped sample issue
    assert fields["date"] == dt.date.fromisoformat(letter.date)
    assert fields["imported_from"].startswith(f"html:{letter.name}#")

    check = run(root, "check")
    assert check.exit_code == 0, check.output
    assert "0 errors" in check.output

    project = load_project(root)
    email = prepare(project, path, backend="outbox").email
    sendsay_email = prepare(project, path, backend="sendsay").email
    body_part = prepare(project, path).body
    report = build(project, tmp_path / "site")
    assert report.issues == 1  # the shipped sample is not sent yet; the import is published
    slug = fields["slug"]
    page = (tmp_path / "site" / "upravlyay-ka" / slug / "index.html").read_text("utf-8")
    article = lxml.html.fromstring(page).xpath("//div[@class='prose']")[0]
    body_html = lxml.html.fragment_fromstring(body_part.html, create_parent="div")

    # the text part writes a link as "text (url)"; the sentence is the text
    email_text = normalise(re.sub(r"\s+\((?:https?|mailto):[^)\s]*\)", "", email.text))
    page_text = text(article)
    for sentence in letter.sentences:
        wanted = normalise(sentence)
        assert wanted in email_text, f"email text lacks {sentence!r}"
        assert wanted in page_text, f"archive page lacks {sentence!r}"

    page_items = list_items(article, in_tables=False)
    email_items = list_items(body_html, in_tables=False)
    for item, number in letter.items:
        assert (normalise(item), number) in page_items, (item, number, page_items)
        assert (normalise(item), number) in email_items
        marker = f"{number}. " if number else "• "
        assert normalise(marker + item) in email_text, f"text part lacks item {item!r}"

    cells = [normalise(c.text_content()) for c in article.iter("td", "th")]
    cell_items = [i for i, _ in list_items(article, in_tables=True)]
    for cell in letter.cells:
        wanted = normalise(cell)
        assert any(wanted == c or wanted in c for c in cells) or wanted in cell_items, cell
        assert wanted in email_text, f"text part lacks cell {cell!r}"

    for heading in letter.headings:
        found = [normalise(h.text_content()) for h in article.iter("h1", "h2", "h3", "h4")]
        found += [normalise(h.text_content()) for h in lxml.html.fromstring(page).iter("h1")]
        assert normalise(heading) in found, (heading, found)

    for link_text, url in letter.links:
        hrefs = {a.get("href") for a in article.iter("a")}
        assert any(h and h.startswith(url) for h in hrefs), (url, hrefs)
        assert normalise(link_text) in page_text

    for tag in letter.tags:
        assert tag in body, f"Markdown lacks {tag!r}"
        assert tag in sendsay_email.html, f"Sendsay email lacks {tag!r}"
        assert tag in sendsay_email.text

    body_text = normalise(body_part.text) + " " + normalise(body_part.html)
    for chrome in letter.chrome:
        wanted = normalise(chrome)
        assert wanted not in body_text, f"chrome {chrome!r} left in the body"
        assert wanted not in page_text, f"chrome {chrome!r} on the archive page's article"


def test_images_beside_a_saved_page_are_copied_into_issues_images(tmp_path: Path) -> None:
    from tests.importer.corpus import SUBSCRIBE_ARCHIVE

    root, path = _import(tmp_path, SUBSCRIBE_ARCHIVE)
    body = path.read_text("utf-8")
    copied = sorted((root / "issues" / "images").rglob("*.gif"))
    assert [p.name.split("-")[0] for p in copied] == ["schema"]  # the logo was chrome
    rel = copied[0].relative_to(root / "issues").as_posix()
    assert f"![Схема делегирования]({rel})" in body
    assert copied[0].read_bytes() == SUBSCRIBE_ARCHIVE.files["page_files/schema.gif"]
    fields = yaml.safe_load(split_front_matter(body, path)[0])
    assert fields["aliases"] == [
        "http://subscribe.ru/archive/business.asconsult.upravlyayka/200804/12100000.html"]
    assert fields["title"] == "Делегирование: с чего начать"  # no series, no "Subscribe.Ru"
