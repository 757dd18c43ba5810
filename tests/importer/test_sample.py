"""The sample's sales-stage article, as the HTML letter Sendsay sent (chrome and all,
tests/importer/corpus/sales-stage.html, written from the seed), imports to Markdown that
renders the same table — six lists in its cells — and the same numbered list as the
issue shipped in issues/, and keeps every sentence of the seed's article."""

from __future__ import annotations

from pathlib import Path

import lxml.html

from publisher.config import load_project
from publisher.importer.convert import convert_bytes
from publisher.load import load_issue
from publisher.render import render_body
from tests.fixtures_project import SAMPLE_ISSUE, SEED
from tests.importer.corpus import CHROME, HERE
from tests.importer.helpers import imported_files, newsletter, run
from tests.render.seed import normalise, parse_seed


def _table(html: str) -> list[list[object]]:
    """Each row's cells: text, or the list of a cell's items."""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    [table] = root.iter("table")
    rows = []
    for tr in table.iter("tr"):
        cells: list[object] = []
        for cell in tr:
            for label in cell.find_class("cell-label"):
                label.drop_tree()
            items = [normalise(li.text_content()) for li in cell.iter("li")]
            cells.append(items if items else normalise(cell.text_content()))
        rows.append(cells)
    return rows


def _numbered(html: str) -> list[list[str]]:
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    return [[normalise(li.text_content()) for li in ol.iter("li")] for ol in root.iter("ol")
            if not ol.xpath("ancestor::table")]


def _body(tmp_path: Path) -> tuple[str, Path, Path]:
    root = newsletter(tmp_path)
    result = run(root, "import", "html", str(HERE / "sales-stage.html"), "--series",
                 "upravlyay-ka", "--date", "2010-04-12")
    assert result.exit_code == 0, result.output
    [path] = imported_files(root)
    project = load_project(root)
    return render_body(load_issue(path, project), project).html, root, path


def test_sales_stage_letter_renders_the_shipped_table_and_numbered_list(tmp_path: Path) -> None:
    imported, root, path = _body(tmp_path)
    project = load_project(root)
    shipped = render_body(load_issue(SAMPLE_ISSUE, project), project).html

    table = _table(imported)
    assert table == _table(shipped)
    assert len(table) == 4 and all(len(row) == 5 for row in table)
    assert sum(isinstance(cell, list) for row in table for cell in row) == 6
    assert _numbered(imported) == _numbered(shipped)
    assert len(_numbered(imported)[0]) == 6

    # the Markdown itself is written in the project's in-cell syntax
    source = path.read_text("utf-8")
    assert "| - Количество назначенных встреч (в штуках)<br>- % назначенных встреч" in source
    assert "\n1. Не позволяет продавцу" in source and "\n6. И пр.\n" in source


def test_sales_stage_letter_keeps_every_sentence_of_the_seed_and_no_chrome(
        tmp_path: Path) -> None:
    imported, root, _ = _body(tmp_path)
    project = load_project(root)
    seed = parse_seed(SEED, project.settings.footer.publisher)
    text = normalise(lxml.html.fragment_fromstring(imported, create_parent="div")
                     .text_content())
    for sentence in seed.sentences():
        assert sentence in text, sentence
    for item in seed.numbered:
        assert normalise(item) in text
    for word in seed.table_words():
        assert word in text
    for chrome in (*CHROME, *seed.library):
        assert normalise(chrome) not in text, chrome


def test_the_letter_as_sendsay_has_it_converts_the_same_from_a_string() -> None:
    """issue.get gives the HTML as a string: the same article as from the saved file."""
    from publisher.importer.convert import convert_html

    project = load_project(Path(__file__).resolve().parents[2])
    data = (HERE / "sales-stage.html").read_bytes()
    from_file = convert_bytes(data, project.settings)
    from_string = convert_html(data.decode("utf-8"), project.settings)
    assert from_file.markdown == from_string.markdown
    assert from_file.title.startswith("Требуется «продажный» менеджер")
