"""Helpers shared by the sending tests: a small project per backend, CLI runs, ledger reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from publisher.cli import cli
from publisher.testing.fake_sendsay import FakeSendsay
from tests.fixtures_project import DEFAULT_ISSUE, issue_text
from tests.fixtures_sendsay import SENDSAY_APIKEY, SENDSAY_LOGIN
from tests.fixtures_smtp import SmtpServer

ROOT = Path(__file__).resolve().parents[2]
ISSUE = "hello"  # slug of tests.fixtures_project.DEFAULT_ISSUE
KEY = "news/hello"
SUBSCRIBERS = "email,name\nanna@example.org,Анна\nboris@example.org,Борис\nvera@example.org,\n"


def esp_for(backend: str, *, sendsay: FakeSendsay | None = None,
            smtpd: SmtpServer | None = None, subscribers: bool = True) -> dict[str, Any]:
    """The ``esp`` section of newsletter.yaml for a test of ``backend``."""
    esp: dict[str, Any] = {"backend": backend}
    if backend == "smtp":
        assert smtpd is not None
        esp["smtp"] = {"host": smtpd.host, "port": smtpd.port, "security": "none",
                       "subscribers": "subscribers/{series}.csv", "timeout": 5}
    if backend == "outbox" and subscribers:
        esp["outbox"] = {"subscribers": "subscribers/{series}.csv"}
    if backend == "sendsay":
        assert sendsay is not None
        esp["sendsay"] = {"login": SENDSAY_LOGIN, "api_url": sendsay.base_url,
                          "poll_interval": 0.01, "timeout": 5}
    return esp


def files(**issue_fields: Any) -> dict[str, str]:
    """The subscriber list and the default issue with slug 'hello' (status ready)."""
    return {"subscribers/news.csv": SUBSCRIBERS,
            DEFAULT_ISSUE: issue_text(slug="hello", **issue_fields)}


def sendsay_env(fake: FakeSendsay | None = None) -> dict[str, str]:
    env = {"SENDSAY_APIKEY": SENDSAY_APIKEY}
    if fake is not None:
        env["SENDSAY_API_URL"] = fake.base_url
    return env


def invoke(root: Path, *args: str, env: dict[str, str] | None = None,
           input: str | None = None) -> Result:
    """Run the CLI in-process on ``root``."""
    clean = {"SENDSAY_APIKEY": None, "SENDSAY_PASSWORD": None, "SENDSAY_LOGIN": None,
             "SENDSAY_SUBLOGIN": None, "SENDSAY_API_URL": None, "SMTP_USER": None,
             "SMTP_PASSWORD": None, "PUBLISHER_CRASH_AT": None}
    return CliRunner().invoke(cli, ["--project", str(root), *args], env={**clean, **(env or {})},
                              input=input, catch_exceptions=False)


def run(root: Path, *args: str, env: dict[str, str] | None = None,
        crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a separate process (crash tests kill it with PUBLISHER_CRASH_AT)."""
    full = {k: v for k, v in os.environ.items()
            if not k.startswith(("SENDSAY_", "SMTP_", "PUBLISHER_"))}
    full.update(env or {})
    if crash_at:
        full["PUBLISHER_CRASH_AT"] = crash_at
    return subprocess.run([sys.executable, "-m", "publisher", "--project", str(root), *args],
                          capture_output=True, text=True, env=full, timeout=60, cwd=ROOT)


def ledger_lines(root: Path) -> list[dict[str, Any]]:
    path = root / ".publisher" / "ledger.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
