"""``publisher init`` never overwrites: a folder with files is refused unless --force, and
--force adds only the missing files, naming each existing one it kept."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from publisher.cli import cli
from publisher.scaffold import plan_init
from tests.hostile.helpers import assert_clean_failure, snapshot


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), obj={})


def test_a_folder_with_files_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    (folder / "templates" / "email").mkdir(parents=True)
    (folder / "templates" / "email" / "base.html").write_text("my design", encoding="utf-8")
    before = snapshot(tmp_path)
    result = run("init", str(folder))
    assert_clean_failure(result, "is not empty (templates); init does not overwrite a folder")
    assert snapshot(tmp_path) == before


def test_force_adds_missing_files_and_names_the_kept_ones(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    custom = folder / "templates" / "email" / "base.html"
    custom.parent.mkdir(parents=True)
    custom.write_text("my design", encoding="utf-8")
    result = run("init", str(folder), "--force")
    assert result.exit_code == 0, result.output
    assert custom.read_text(encoding="utf-8") == "my design"
    assert f"Kept {custom} (exists; not overwritten)" in result.stderr
    assert (folder / "newsletter.yaml").is_file()
    assert (folder / "templates" / "email" / "issue.html").is_file()


def test_init_inside_a_newsletter_folder_is_refused(tmp_path: Path) -> None:
    outer = tmp_path / "nl"
    assert run("init", str(outer)).exit_code == 0
    before = snapshot(outer)
    for inner in (outer / "issues", outer / "new-folder"):
        result = run("init", str(inner))
        assert_clean_failure(result, "init")
    assert snapshot(outer) == before


def test_an_empty_folder_or_a_fresh_git_repository_is_fine(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    for name in ("empty", "repo"):
        assert run("init", str(tmp_path / name)).exit_code == 0


def test_plan_init_is_one_rule_for_every_file(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    files = [tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / ".ci" / "run"]
    plan = plan_init(tmp_path, files, force=True)
    assert plan.kept == (tmp_path / "a.txt",)
    assert plan.write == (tmp_path / "b.txt", tmp_path / ".ci" / "run")
