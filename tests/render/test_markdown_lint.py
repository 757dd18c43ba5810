"""Table rows whose cell count differs from the header are reported at their line."""

from pathlib import Path

from click.testing import CliRunner

from publisher.cli import cli
from publisher.render.markdown_lint import lint_markdown


def test_rows_with_extra_or_missing_cells_are_reported_at_their_line() -> None:
    source = "text\n\n| a | b |\n|---|---|\n| 1 | 2 | 3 |\n| x |\n| `a|b` | c \\| d |\n"
    assert lint_markdown(source, first_line=10) == [
        (14, "table row has 3 cells, its header has 2 (extra cells are dropped; "
             "write a '|' inside a cell as '\\|')"),
        (15, "table row has 1 cell, its header has 2 (missing cells render empty)"),
    ]


def test_tables_in_code_fences_are_ignored() -> None:
    assert lint_markdown("```\n| a | b |\n|---|---|\n| 1 |\n```\n") == []


def test_the_sample_tables_are_clean() -> None:
    root = Path(__file__).resolve().parents[2]
    for path in (root / "issues").glob("*.md"):
        assert lint_markdown(path.read_text(encoding="utf-8")) == []


def test_check_reports_a_broken_row_with_file_and_line(project) -> None:
    root = project({"issues/x.md": "---\ntitle: T\ndate: 2026-01-01\nseries: news\nnumber: 1\n"
                                   "---\n| a | b |\n|---|---|\n| 1 | 2 | 3 |\n"})
    result = CliRunner().invoke(cli, ["--project", str(root), "check"])
    assert result.exit_code == 1
    assert "Error: issues/x.md:9: table row has 3 cells, its header has 2" in result.output
