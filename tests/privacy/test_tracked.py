"""``check`` warns about data files git tracks that hold subscribers' addresses; init's
.gitignore keeps them out; address tokens are keyed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from publisher.config import load_project
from publisher.privacy import KEY_ENV, AddressKey, tracked_files_with_addresses, update_gitignore
from tests.fixtures_project import issue_text, write_tree

GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.org",
           "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@example.org"}


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout


def test_check_warns_about_tracked_files_with_addresses_only(project):  # type: ignore[no-untyped-def]
    root = project({
        "subscribers/news.csv": "email,name\nanna@mail.ru,Анна\nboris@yandex.ru,Борис\n",
        "exports/old-list.xlsx": b"PK\x03\x04 binary vera@inbox.ru more",
        ".publisher/deliveries/abc.log": "= boot\n> gleb@bk.ru\n+ gleb@bk.ru\n",
        "notes/contacts.json": '{"press": "editor@example.org"}',  # the folder's own address
        "issues/news-002.md": issue_text("Пишите: someone@example.com\n", number=2, slug="second"),
        "scripts/helper.py": "# write to dev@example.net",
    })
    git(root, "init", "-q")
    git(root, "add", "-A")
    found = {f.path: f.count for f in tracked_files_with_addresses(load_project(root))}
    assert found == {"subscribers/news.csv": 2, "exports/old-list.xlsx": 1,
                     ".publisher/deliveries/abc.log": 1}

    from click.testing import CliRunner

    from publisher.cli import cli

    result = CliRunner().invoke(cli, ["--project", str(root), "check"], obj={})
    assert result.exit_code == 0, result.output
    assert ("Warning: subscribers/news.csv: git tracks this file and it holds 2 email "
            "addresses") in result.output
    assert "git rm --cached subscribers/news.csv" in result.output

    git(root, "rm", "-q", "--cached", "subscribers/news.csv")  # untracked: no warning
    assert "subscribers/news.csv" not in {f.path for f in
                                          tracked_files_with_addresses(load_project(root))}


def test_outside_git_nothing_is_searched(project):  # type: ignore[no-untyped-def]
    root = project({"subscribers/news.csv": "anna@mail.ru\n"})
    assert tracked_files_with_addresses(load_project(root)) == []


def test_init_gitignore_keeps_addresses_out(tmp_path: Path):
    from publisher.scaffold import init_project

    root = tmp_path / "n"
    init_project(root, title="Заметки")
    write_tree(root, {"subscribers/news.csv": "anna@mail.ru\n",
                      ".publisher/courses.sqlite": b"SQLite anna@mail.ru",
                      ".publisher/courses.sqlite-wal": b"anna@mail.ru",
                      ".publisher/address.key": "k" * 64,
                      ".publisher/ledger.jsonl": "{}\n", ".publisher/slugs.json": "{}"})
    git(root, "init", "-q")
    git(root, "add", "-A")
    tracked = git(root, "ls-files").split()
    assert ".publisher/ledger.jsonl" in tracked and ".publisher/slugs.json" in tracked
    assert not [t for t in tracked if t.startswith("subscribers/") or "courses" in t
                or t.endswith("address.key")]
    assert update_gitignore(root) == []  # nothing to add to init's own


def test_update_gitignore_adds_only_what_is_missing(tmp_path: Path):
    (tmp_path / ".gitignore").write_text("/_site/\n/subscribers/", encoding="utf-8")
    added = update_gitignore(tmp_path)
    assert "/subscribers/" not in added and "/.publisher/courses.sqlite" in added
    text = (tmp_path / ".gitignore").read_text(encoding="utf-8")
    assert text.startswith("/_site/\n/subscribers/\n# subscribers' personal data")
    assert update_gitignore(tmp_path) == []


def test_tokens_are_keyed_stable_and_case_blind(tmp_path: Path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv(KEY_ENV, raising=False)
    key = AddressKey.of(tmp_path / ".publisher")
    assert (tmp_path / ".publisher" / "address.key").stat().st_mode & 0o077 == 0
    token = key.token("Anna@Mail.ru ")
    assert token == key.token("anna@mail.ru") and token.startswith("h:") and len(token) == 34
    assert AddressKey.of(tmp_path / ".publisher").token("anna@mail.ru") == token  # same file
    assert AddressKey.of(tmp_path / "other").token("anna@mail.ru") != token  # another key
    monkeypatch.setenv(KEY_ENV, "a-secret-from-the-ci-store")
    from_env = AddressKey.of(tmp_path / "other")
    assert from_env.token("anna@mail.ru") == AddressKey.of(tmp_path / "x").token("anna@mail.ru")
    assert from_env.id != key.id and "secret" not in from_env.id
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(Exception, match="at least 16 characters"):
        AddressKey.of(tmp_path)
