"""Delivery logs name recipients by keyed tokens, so a newsletter folder can live in git.

Real parts: the CLI as a separate process, aiosmtpd on loopback, git. The addresses of every
subscriber used are searched for, byte for byte, in every file git would track after
``init``, sends through SMTP and the outbox, and a course run.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

from publisher.privacy import KEY_ENV
from tests.course.helpers import lesson_file
from tests.fixtures_smtp import SmtpServer
from tests.sending.util import esp_for, files, run

GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
MANY = "email,name\n" + "".join(f"r{i:02d}@example.org,Читатель {i}\n" for i in range(10))
READERS = [f"r{i:02d}@example.org" for i in range(10)]


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout


def log_of(root: Path) -> bytes:
    (log,) = sorted((root / ".publisher" / "deliveries").glob("*.log"))
    return log.read_bytes()


def test_after_init_sends_and_a_course_run_git_tracks_no_address(tmp_path: Path) -> None:
    root = tmp_path / "letters"
    made = run(tmp_path, "init", str(root), "--title", "Письма")
    assert made.returncode == 0, made.stderr
    with SmtpServer() as smtpd:
        config = yaml.safe_load((root / "newsletter.yaml").read_text(encoding="utf-8"))
        config["esp"] = {"backend": "smtp",
                         "smtp": {"host": smtpd.host, "port": smtpd.port, "security": "none",
                                  "subscribers": "subscribers/{series}.csv", "timeout": 5},
                         "outbox": {"subscribers": "subscribers/{series}.csv"}}
        config["series"].append({"slug": "kurs", "title": "Курс", "kind": "course"})
        (root / "newsletter.yaml").write_text(yaml.safe_dump(config, allow_unicode=True),
                                              encoding="utf-8")
        (root / "issues" / "kurs-1.md").write_text(lesson_file(1, None), encoding="utf-8")
        (root / "subscribers").mkdir()
        slug = config["series"][0]["slug"]
        (root / "subscribers" / f"{slug}.csv").write_text(MANY, encoding="utf-8")
        roster = "email,name\nkursant1@example.net,Ира\nkursant2@example.net,Олег\n"
        (root / "subscribers" / "kurs-roster.csv").write_text(roster, encoding="utf-8")
        (issue,) = (root / "issues").glob("*-001-first.md")
        issue.write_text(issue.read_text(encoding="utf-8").replace("status: draft",
                                                                   "status: ready"),
                         encoding="utf-8")

        assert run(root, "send", "first", "--yes", "--backend", "outbox").returncode == 0
        sent = run(root, "send", "first", "--yes", "--force")
        assert sent.returncode == 0, sent.stderr
        assert run(root, "course", "import", "kurs",
                   str(root / "subscribers" / "kurs-roster.csv")).returncode == 0
        course = run(root, "course", "run", "--now", "2026-12-07 10:00")
        assert course.returncode == 0, course.stdout + course.stderr
        assert len(smtpd.delivered_to()) == 12  # 10 readers + 2 course members
    addresses = READERS + ["kursant1@example.net", "kursant2@example.net"]

    git(root, "init", "-q")
    git(root, "add", "-A")
    tracked = git(root, "ls-files", "-z").split("\0")
    assert ".publisher/ledger.jsonl" in tracked  # the record of what went out is kept
    assert any(p.startswith(".publisher/deliveries/") for p in tracked)
    holding = {path: [a for a in addresses if a.encode() in (root / path).read_bytes()]
               for path in tracked if path}
    assert {path: found for path, found in holding.items() if found} == {}
    # and the addresses are still on this machine, where git does not look
    assert b"r03@example.org" in (root / "subscribers" / f"{slug}.csv").read_bytes()


def test_a_resume_with_another_key_is_refused_never_a_second_copy(project, smtpd: SmtpServer) -> None:  # type: ignore[no-untyped-def]
    root = project({**files(), "subscribers/news.csv": MANY}, esp=esp_for("smtp", smtpd=smtpd))
    laptop = {KEY_ENV: "laptop-key-0123456789abcdef"}
    crashed = run(root, "send", "hello", "--yes", env=laptop, crash_at="after-recipient:4")
    assert crashed.returncode == 75
    log = log_of(root)
    assert b"example.org" not in log and b"h:" in log and b"# key " in log
    first = smtpd.delivered_to()

    other = run(root, "send", "hello", "--yes", env={KEY_ENV: "ci-key-without-the-secret-0"})
    assert other.returncode == 1
    assert "written with another address key" in other.stderr
    assert f"set {KEY_ENV}" in other.stderr and ".publisher/deliveries/" in other.stderr
    assert "Traceback" not in other.stderr
    assert smtpd.delivered_to() == first  # nothing was sent

    again = run(root, "send", "hello", "--yes", env=laptop)
    assert again.returncode == 0, again.stderr
    assert smtpd.delivered_to() == {a: 1 for a in READERS}


def test_a_log_from_before_tokens_still_resumes_exactly_once(project, smtpd: SmtpServer) -> None:  # type: ignore[no-untyped-def]
    """A folder from an older publisher: its delivery log names addresses, with no key."""
    root = project({**files(), "subscribers/news.csv": MANY}, esp=esp_for("smtp", smtpd=smtpd))
    crashed = run(root, "send", "hello", "--yes", crash_at="after-recipient:3")
    assert crashed.returncode == 75
    (path,) = (root / ".publisher" / "deliveries").glob("*.log")
    # write the same record the old way: addresses, and no key line
    old = "= \n" + "".join(f"> {a}\n" for a in READERS[:3]) + "".join(
        f"@ {a}\n+ {a}\n" for a in READERS[:3])
    path.write_text(old, encoding="utf-8")
    (root / ".publisher" / "address.key").unlink()  # and no key made yet

    again = run(root, "send", "hello", "--yes")
    assert again.returncode == 0, again.stderr
    assert smtpd.delivered_to() == {a: 1 for a in READERS}
    assert "3 already have it" in again.stderr


def test_migrate_takes_addresses_out_of_git_and_the_resume_stays_exact(project, smtpd: SmtpServer) -> None:  # type: ignore[no-untyped-def]
    """An SMTP run interrupted under an older publisher, migrated, then resumed."""
    root = project({**files(), "subscribers/news.csv": MANY}, esp=esp_for("smtp", smtpd=smtpd))
    (root / ".gitignore").write_text("/_site/\n", encoding="utf-8")  # an old init's
    crashed = run(root, "send", "hello", "--yes", crash_at="after-recipient:5")
    assert crashed.returncode == 75
    (path,) = (root / ".publisher" / "deliveries").glob("*.log")
    old = ("= \n" + "".join(f"> {a}\n" for a in READERS[:5])
           + "".join(f"@ {a}\n+ {a}\n" for a in READERS[:4])
           + f"@ {READERS[4]}\n! {READERS[4]}\t550 5.1.1 <{READERS[4]}>: no such user\n")
    path.write_text(old, encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", "-A")  # the old way: the list and the log went into git
    checked = run(root, "check")
    assert "publisher migrate" in checked.stdout + checked.stderr

    dry = run(root, "migrate", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would name recipients by token" in dry.stdout and path.read_text() == old

    done = run(root, "migrate")
    assert done.returncode == 0, done.stderr
    log = path.read_bytes()
    assert b"example.org" not in log and log.startswith(b"# key ")
    assert b"550 5.1.1 <<address>>: no such user" in log  # the reason is kept, not the address
    assert "/subscribers/" in (root / ".gitignore").read_text(encoding="utf-8")
    tracked = git(root, "ls-files").split()
    assert "subscribers/news.csv" not in tracked and (root / "subscribers" / "news.csv").exists()
    assert [p for p in tracked if (root / p).is_file()
            and any(a.encode() in (root / p).read_bytes() for a in READERS)] == []
    assert "Nothing to migrate" in run(root, "migrate").stdout  # idempotent

    again = run(root, "send", "hello", "--yes")
    # 4 had it, 1 refused (permanent, not retried: exit 3 says so), 5 to go
    assert again.returncode == 3, again.stderr
    assert "4 already have it" in again.stderr and READERS[4] in again.stderr
    received = smtpd.delivered_to()
    assert all(count == 1 for count in received.values()), received
    assert set(received) == set(READERS)  # r04's one copy is from the first run, not resent


def test_the_ledger_keeps_a_servers_words_not_the_address_it_quoted(project) -> None:  # type: ignore[no-untyped-def]
    from publisher.config import load_project
    from publisher.ledger import Ledger
    from publisher.models import Audience

    root = project(files())
    ledger = Ledger.of(load_project(root))
    entry = ledger.intent(issue="news/hello", content_hash="0" * 16,
                          audience=Audience(kind="list", list_id="pl01"), backend="smtp",
                          test=False)
    ledger.outcome(entry, "failed", error="550 5.1.1 <anna@example.org>: mailbox unavailable")
    text = (root / ".publisher" / "ledger.jsonl").read_text(encoding="utf-8")
    assert "anna@example.org" not in text and "mailbox unavailable" in text
    assert ledger.entries()[0].state == "failed"  # the checksum covers what was written
