"""Course run speed: 10 lessons, 100,000 enrolled subscribers.

    .venv/bin/python bench/bench_course.py                 # 100,000 subscribers, 10,000 due
    .venv/bin/python bench/bench_course.py 20000 2000      # a quick run

Rows:
  nothing due, in-process   ``run_courses()`` when no one is due (lock, schedule check, one
                            indexed query per course): what cron pays every few minutes
  nothing due, CLI process  the same as ``python -m publisher course run``: interpreter start
                            and imports included
  N due, Sendsay double     one lesson to N people through the local Sendsay double: member.set
                            in batches of 100, then ONE express issue.send with N addresses,
                            intents and outcomes recorded (the double's HTTP server and the
                            run share this machine's cores)
  N due, dry run            finding and grouping the N due pairs, rendering the lesson

Each cell is the best of ``--repeat`` runs (the send is measured once: it changes the store).
Timings are noisy on a shared 2-core machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from publisher.backends import get_backend  # noqa: E402
from publisher.config import load_project  # noqa: E402
from publisher.course.lessons import load_course  # noqa: E402
from publisher.course.runner import run_courses  # noqa: E402
from publisher.course.store import CourseStore, epoch  # noqa: E402
from publisher.testing.fake_sendsay import FakeSendsay  # noqa: E402
from tests.course.helpers import make_course  # noqa: E402

LOGIN, APIKEY = "x_bench", "bench-key"
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=3)))
DELAYS = (None,) + ("2 days",) * 9


def build(root: Path, subscribers: int, due: int) -> None:
    """A course of 10 lessons; everyone mid-course, ``due`` of them due lesson 3 at NOW."""
    make_course(root, DELAYS)
    project = load_project(root)
    course = load_course(project, "kurs")
    with CourseStore.for_project(root) as store:
        store.apply_schedule("kurs", course.delays, course.fingerprint)
        now = epoch(NOW)
        rows = []
        for i in range(subscribers):
            if i < due:  # lesson 2 went three days ago: lesson 3 is due
                lesson, base = 3, now - 3 * 86400
            else:  # lesson k went an hour ago: the next one is two days away
                lesson, base = 2 + i % 8, now - 3600
            rows.append(("kurs", f"reader{i:06d}@example.org", f"Читатель {i}", "",
                         now - 30 * 86400, lesson, base, base + 2 * 86400))
        with store.transaction() as db:
            db.executemany("INSERT INTO enrolments (course, email, name, timezone, enrolled_at, "
                           "next_lesson, next_base, next_due) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           rows)


def best(repeat: int, action) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("subscribers", nargs="?", type=int, default=100_000)
    parser.add_argument("due", nargs="?", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        # --- nothing due
        quiet = Path(tmp) / "quiet"
        started = time.perf_counter()
        build(quiet, args.subscribers, 0)
        setup = time.perf_counter() - started
        project = load_project(quiet)

        def nothing_due() -> None:
            report = run_courses(project, now=NOW, backend_name="outbox")
            if report.sent:
                raise SystemExit("bench: something was due")

        rows.append((f"nothing due of {args.subscribers:,}, in-process",
                     f"{best(args.repeat, nothing_due) * 1000:.0f} ms"))
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
        command = [sys.executable, "-m", "publisher", "--project", str(quiet), "course", "run",
                   "--now", NOW.strftime("%Y-%m-%d %H:%M")]
        rows.append((f"nothing due of {args.subscribers:,}, CLI process",
                     f"{best(args.repeat, lambda: subprocess.run(command, env=env, check=True, capture_output=True)) * 1000:.0f} ms"))  # noqa: E501

        # --- one lesson to N people
        busy = Path(tmp) / "busy"
        build(busy, args.subscribers, args.due)
        project = load_project(busy)
        dry = best(args.repeat, lambda: run_courses(project, now=NOW, dry_run=True,
                                                    backend_name="sendsay"))
        rows.append((f"{args.due:,} due, dry run (find, group, render)", f"{dry * 1000:.0f} ms"))
        with FakeSendsay(login=LOGIN, apikey=APIKEY, groups={}) as fake:
            def factory(project, name):  # type: ignore[no-untyped-def]
                return get_backend("sendsay", api_url=fake.base_url, login=LOGIN, apikey=APIKEY)

            started = time.perf_counter()
            report = run_courses(project, now=NOW, backend_name="sendsay",
                                 backend_factory=factory)
            elapsed = time.perf_counter() - started
            sends = fake.executed_sends()
            members = sum(1 for e in fake.requests if e["action"] == "member.set")
        recipients = sends[0]["request"]["users.list"].count("\n") if sends else 0
        rows.append((f"{args.due:,} due, Sendsay double", f"{elapsed:.2f} s"))
        rows.append(("  issue.send calls / addresses in users.list",
                     f"{len(sends)} / {recipients:,}"))
        rows.append(("  member.set (in batch calls of 100)", f"{members:,}"))
        rows.append(("  recorded as sent", f"{report.sent:,}"))
    width = max(len(r[0]) for r in rows)
    print(f"course run benchmark (setup of {args.subscribers:,} subscribers: {setup:.1f} s)")
    print(f"{'case'.ljust(width)}  result")
    print(f"{'-' * width}  ------")
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
