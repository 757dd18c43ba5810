"""The ``init``, ``new``, ``check`` and ``render`` commands, and ``--project``, end to end."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import lxml.html
import pytest
import yaml
from click.testing import CliRunner

from publisher.cli import cli
from publisher.config import load_project
from publisher.load import load_issue
from tests.fixtures_project import ROOT


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args))


def test_init_then_check_and_render_work_out_of_the_box(tmp_path: Path) -> None:
    folder = tmp_path / "my-news"
    result = run("init", str(folder), "--title", "Заметки менеджера")
    assert result.exit_code == 0, result.output
    assert (folder / "newsletter.yaml").is_file()
    assert (folder / "templates" / "email" / "issue.html").is_file()
    ignored = (folder / ".gitignore").read_text("utf-8").split()
    assert {"/_site/", "/outbox/", "/.publisher/cache/"} <= set(ignored)
    assert not any("ledger" in line or line == "/.publisher/" for line in ignored)
    [issue] = sorted((folder / "issues").glob("*.md"))
    assert issue.name == "zametki-menedzhera-001-first.md"

    check = run("--project", str(folder), "check")
    assert check.exit_code == 0, check.output
    assert check.stdout.startswith("OK: 1 issues, 0 errors")

    out = tmp_path / "out"
    render = run("--project", str(folder), "render", f"issues/{issue.name}", "--out", str(out))
    assert render.exit_code == 0, render.output
    assert sorted(p.name for p in out.iterdir()) == ["first.eml", "first.html", "first.txt"]
    html = (out / "first.html").read_text("utf-8")
    assert "<ul" in html and "пункт списка" in html  # the starter issue shows a list in a cell
    eml = message_from_bytes((out / "first.eml").read_bytes(), policy=policy.default)
    assert str(eml["Subject"]) == "Первый выпуск"


def test_init_in_english(tmp_path: Path) -> None:
    folder = tmp_path / "en-news"
    assert run("init", str(folder), "--title", "Field Notes", "--language", "en").exit_code == 0
    out = tmp_path / "out"
    result = run("--project", str(folder), "render", "first", "--out", str(out))
    assert result.exit_code == 0, result.output
    text = (out / "first.txt").read_text("utf-8")
    assert "Unsubscribe: *|UNSUBSCRIBE_URL|*" in text
    doc = lxml.html.document_fromstring((out / "first.html").read_text("utf-8"))
    content = doc.xpath('//td[contains(@class, "content")]')[0].text_content()
    assert "This is the first issue." in content
    assert "\u00a0" not in content  # no Russian typography for English
    assert doc.get("lang") == "en"


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    assert run("init", str(tmp_path / "x")).exit_code == 0
    result = run("init", str(tmp_path / "x"))
    assert result.exit_code == 1
    assert "is not empty (.gitattributes, .github, .gitignore, issues, newsletter.yaml and 1 more); init does not overwrite" in result.stderr
    assert "Traceback" not in result.output


def test_new_creates_the_next_issue_with_front_matter(project) -> None:  # type: ignore[no-untyped-def]
    root = project()
    result = run("--project", str(root), "new", "Второй выпуск: «Ёлки» и палки",
                 "--series", "news", "--date", "2025-02-01")
    assert result.exit_code == 0, result.output
    path = root / "issues" / "news-002-vtoroy-vypusk-elki-i-palki.md"
    assert result.stdout.strip() == f"Created issues/{path.name}"
    text = path.read_text("utf-8")
    front = yaml.safe_load(text.split("---\n")[1])
    assert front == {"title": "Второй выпуск: «Ёлки» и палки", "date": dt.date(2025, 2, 1),
                     "series": "news", "number": 2, "slug": "vtoroy-vypusk-elki-i-palki",
                     "preheader": "", "status": "draft", "tags": []}
    issue = load_issue(path, load_project(root))  # and it loads as a valid issue
    assert (issue.number, issue.status) == (2, "draft")
    # numbering is per series: the other series starts at 1
    assert run("--project", str(root), "new", "Заметка", "--series", "notes").exit_code == 0
    assert (root / "issues" / "notes-001-zametka.md").is_file()
    assert run("--project", str(root), "check").exit_code == 0


def test_new_with_unknown_series(project) -> None:  # type: ignore[no-untyped-def]
    root = project()
    result = run("--project", str(root), "new", "X", "--series", "nope")
    assert result.exit_code == 1
    assert "unknown series 'nope' (known: news, notes)" in result.stderr


def test_project_option_works_from_another_folder(project, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    root = project()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = run("--project", str(root), "render", "privet-mir", "--out", "out")
    assert result.exit_code == 0, result.output
    assert (elsewhere / "out" / "privet-mir.html").is_file()  # --out is relative to the cwd
    result = run("-C", str(root), "render", "news/privet-mir", "--out", "out2")
    assert result.exit_code == 0, result.output
    assert run("--project", str(root), "check").exit_code == 0


def test_project_defaults_to_the_current_folder(project, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    root = project()
    monkeypatch.chdir(root)
    result = run("render", "issues/news-001-hello.md", "--out", "out")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Rendered news/privet-mir: out/privet-mir.html (")


def test_render_the_sample_by_slug_file_name_and_path(tmp_path: Path) -> None:
    for ref in ("kak-ne-stat-zhertvoy-vorov-2",
                "upravlyay-ka-001-kak-ne-stat-zhertvoy-vorov-2.md",
                "issues/upravlyay-ka-001-kak-ne-stat-zhertvoy-vorov-2.md"):
        result = run("--project", str(ROOT), "render", ref, "--out", str(tmp_path / "o"))
        assert result.exit_code == 0, result.output


def test_render_with_the_sendsay_backend(tmp_path: Path) -> None:
    result = run("--project", str(ROOT), "render", "kak-ne-stat-zhertvoy-vorov-2",
                 "--backend", "sendsay", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    html = (tmp_path / "kak-ne-stat-zhertvoy-vorov-2.html").read_text("utf-8")
    assert 'href="[% param.url_unsub %]"' in html


def test_the_sample_passes_check() -> None:
    result = run("--project", str(ROOT), "check")
    assert result.exit_code == 0, result.output
    # its one warning is real: a 92-character subject is cut in every inbox
    warnings = [line for line in result.output.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1 and "subject has 92 characters" in warnings[0], result.output


def test_python_dash_m_publisher() -> None:
    result = subprocess.run([sys.executable, "-m", "publisher", "--help"], capture_output=True,
                            text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: python -m publisher [OPTIONS] COMMAND [ARGS]...")
    for command in ("init", "new", "check", "render"):
        assert f"  {command} " in result.stdout


def test_version_option() -> None:
    from publisher import __version__

    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"publisher, version {__version__}"


def test_render_by_slug_while_another_issue_is_broken(project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = project({"issues/news-002-broken.md": "no front matter here\n"})
    result = run("--project", str(root), "render", "privet-mir", "--out", str(tmp_path / "o"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o" / "privet-mir.html").is_file()


def test_a_file_name_suffix_must_be_a_whole_name(project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = project()
    result = run("--project", str(root), "render", "1-hello.md", "--out", str(tmp_path / "o"))
    assert result.exit_code == 1  # not silently news-001-hello.md
    assert "1-hello.md: no such issue file" in result.stderr


def test_a_fresh_folder_passes_strict_check(tmp_path: Path) -> None:
    assert run("init", str(tmp_path / "n")).exit_code == 0
    result = run("--project", str(tmp_path / "n"), "check", "--strict")
    assert result.exit_code == 0, result.output


def test_init_validates_its_options_before_writing(tmp_path: Path) -> None:
    folder = tmp_path / "n"
    result = run("init", str(folder), "--base-url", "example.org", "--sender", "nobody")
    assert result.exit_code == 1
    assert "site.base_url: must be an absolute http(s) URL, got 'example.org/'" in result.stderr
    assert "sender.email: must be an email address, got 'nobody'" in result.stderr
    assert "Nothing was written" in result.stderr
    assert not folder.exists()


def test_init_base_url_without_slash(tmp_path: Path) -> None:
    folder = tmp_path / "n"
    assert run("init", str(folder), "--base-url", "https://x.example/news").exit_code == 0
    settings = load_project(folder).settings
    assert settings.site.base_url == "https://x.example/news/"
    assert settings.footer.unsubscribe_url == "https://x.example/news/unsubscribe/?email={email}"


def test_init_below_a_file_is_a_clean_error(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    result = run("init", str(tmp_path / "afile" / "sub"))
    assert result.exit_code == 1
    assert "cannot create the folder: Not a directory" in result.stderr
    assert "Traceback" not in result.output
