"""Course projects written into tmp_path, and ways to drive them (CLI in-process or as a process).

Each test builds its own course (no invented content in the sample newsletter): a config with
one newsletter and one course ``kurs``, and lessons ``issues/kurs-N.md`` with the given delays.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from publisher.cli import cli
from publisher.config import load_project, Project
from publisher.course.store import CourseStore
from tests.fixtures_project import config_data, issue_text, write_tree
from tests.fixtures_sendsay import SENDSAY_APIKEY, SENDSAY_LOGIN

ROOT = Path(__file__).resolve().parents[2]
MSK = dt.timezone(dt.timedelta(hours=3))
COURSE = "kurs"
#: lessons 1..4: right after enrolment, then 2 days, 3 days, 1 week after the previous one
DELAYS: tuple[str | None, ...] = (None, "2 days", "3 days", "1 week")


def lesson_file(number: int, delay: str | None, body: str | None = None,
                **fields: Any) -> str:
    return issue_text(body or f"Текст урока {number}.\n", title=f"Урок {number}", series=COURSE,
                      number=None, lesson=number, delay=delay, **fields)


def make_course(root: Path, delays: Sequence[str | None] = DELAYS, *,
                course: dict[str, Any] | None = None, **overrides: Any) -> Path:
    """A newsletter folder at ``root`` with course ``kurs`` (lessons with ``delays``)."""
    config = config_data(**overrides)
    config["series"].append({"slug": COURSE, "title": "Курс для руководителей",
                             "kind": "course", "course": course or {}})
    files: dict[str, Any] = {"newsletter.yaml": config,
                             "issues/news-001-hello.md": issue_text()}
    for number, delay in enumerate(delays, start=1):
        files[f"issues/kurs-{number}.md"] = lesson_file(number, delay)
    root.mkdir(parents=True, exist_ok=True)
    write_tree(root, files)
    return root


def project_of(root: Path) -> Project:
    return load_project(root)


def invoke(root: Path, *args: str) -> Result:
    """``publisher -C root ARGS`` in this process."""
    return CliRunner().invoke(cli, ["--project", str(root), *args], catch_exceptions=False)


def at(text: str) -> dt.datetime:
    """'2026-11-23 09:30' as Moscow time (the test config's site.timezone)."""
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=MSK)


def deliveries(root: Path) -> dict[tuple[str, int], str]:
    """(email, lesson) -> state, from the course store."""
    with CourseStore.for_project(root) as store:
        return {(email, lesson): state
                for email, lesson, state, _, _ in store.deliveries(COURSE)}


def sendsay_env(fake: Any) -> dict[str, str]:
    """Environment that points the Sendsay backend at the test double."""
    return {"SENDSAY_API_URL": fake.base_url, "SENDSAY_LOGIN": SENDSAY_LOGIN,
            "SENDSAY_APIKEY": SENDSAY_APIKEY}


def spawn(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``python -m publisher -C root ARGS`` as a separate process (crash and lock tests)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("SENDSAY_", "SMTP_"))}
    full_env.update(env or {})
    full_env["PYTHONPATH"] = str(ROOT)
    return subprocess.Popen([sys.executable, "-m", "publisher", "--project", str(root), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=full_env, cwd=root)
