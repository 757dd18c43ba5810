"""``publisher publish-ready``: what a machine may send on a push, and only once."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from publisher.cli import cli
from tests.fixtures_project import DEFAULT_ISSUE, issue_text


def run(root: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--project", str(root), "publish-ready", *args], obj={})


def test_publishes_marked_ready_issues_oldest_first_and_only_once(project):  # type: ignore[no-untyped-def]
    root = project({
        DEFAULT_ISSUE: issue_text(slug="unmarked"),  # no status line: never sent by a machine
        "issues/news-002.md": issue_text(slug="later", number=2, date="2025-03-01",
                                         status="ready"),
        "issues/news-003.md": issue_text(slug="earlier", number=3, date="2025-02-01",
                                         status="ready"),
        "issues/news-004.md": issue_text(slug="draft", number=4, status="draft"),
        "issues/news-005.md": issue_text(slug="old", number=5, status="published"),
        "issues/notes-001.md": issue_text(slug="lesson", series="notes", lesson=1,
                                          number=None, status="ready"),
    }, series=[{"slug": "news", "title": "Новости", "list_id": "pl01"},
               {"slug": "notes", "title": "Курс", "kind": "course"}])
    result = run(root, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Publishing 2 issues: news/earlier, news/later" in result.output
    assert not (root / ".publisher" / "ledger.jsonl").exists()

    result = run(root)
    assert result.exit_code == 0, result.output
    assert result.output.index("Sent news/earlier") < result.output.index("Sent news/later")
    assert "issues/news-001-hello.md: no `status:` line, so not published" in result.output
    sent = sorted(p.parent.name for p in (root / "outbox").rglob("*.eml"))
    assert sent == ["earlier", "later"]

    result = run(root)
    assert result.exit_code == 0, result.output
    assert "Nothing to publish: 2 ready issues already sent, 1 drafts." in result.output
    assert sorted(p.parent.name for p in (root / "outbox").rglob("*.eml")) == sent


def test_a_broken_issue_stops_before_anything_is_sent(project):  # type: ignore[no-untyped-def]
    root = project({"issues/news-002.md": issue_text(slug="ok", number=2, status="ready"),
                    "issues/news-003.md": "---\ntitle: [unclosed\n---\n"})
    result = run(root)
    assert result.exit_code == 1
    assert "Error: issues/news-003.md:3: invalid YAML" in result.output
    assert not (root / "outbox").exists()
