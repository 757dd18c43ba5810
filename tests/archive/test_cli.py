"""``publisher build`` through the CLI: summary line, clean path:line errors, exit codes."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from publisher.cli import cli


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), obj={}, catch_exceptions=False)


def test_build_prints_one_line_summary(sample_site_project: Path) -> None:
    result = run("--project", str(sample_site_project), "build")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Built {sample_site_project / '_site'}: 1 issues")
    assert (sample_site_project / "_site/index.html").is_file()
    again = run("--project", str(sample_site_project), "build", "--out",
                str(sample_site_project / "_site"))
    assert " 0 files written" in again.output and " 0 rendered" in again.output


def test_build_error_is_one_line_and_keeps_site(sample_site_project: Path) -> None:
    assert run("--project", str(sample_site_project), "build").exit_code == 0
    index = (sample_site_project / "_site/index.html").read_bytes()
    issue = sample_site_project / "issues/upravlyay-ka-001-kak-ne-stat-zhertvoy-vorov-2.md"
    issue.write_text(issue.read_text(encoding="utf-8").replace("series: upravlyay-ka",
                                                               "series: upravlyayka"),
                     encoding="utf-8")
    result = run("--project", str(sample_site_project), "build")
    assert result.exit_code == 1
    assert result.output.startswith(
        "Error: issues/upravlyay-ka-001-kak-ne-stat-zhertvoy-vorov-2.md:4: unknown series "
        "'upravlyayka' (did you mean 'upravlyay-ka'?)")
    assert "Traceback" not in result.output
    assert (sample_site_project / "_site/index.html").read_bytes() == index


def test_clean_option_replaces_the_folder(sample_site_project: Path) -> None:
    run("--project", str(sample_site_project), "build")
    stray = sample_site_project / "_site/upravlyay-ka/stray.html"
    stray.write_text("old", encoding="utf-8")
    result = run("--project", str(sample_site_project), "build", "--clean", "--jobs", "1")
    assert result.exit_code == 0 and not stray.exists()
