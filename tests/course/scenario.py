"""A month of a course in simulated time, shared by the locmem, Sendsay and SMTP tests.

Window: weekdays 09:00-12:00 Moscow time. Lessons: 1 right after enrolment, 2 after 2 days,
3 after 3 days, 4 after a week. Cron "runs" four times a day (08:00, 09:30, 11:30, 14:00 MSK);
the machine is off for the week of 7-13 December. ``EXPECTED`` was worked out by hand from
those rules; the comments say why each date is what it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from publisher.course.runner import RunReport, run_courses
from publisher.course.store import CourseStore, Enrolee
from tests.course.helpers import COURSE, at, lesson_file, project_of

PEOPLE = {
    # email: (name, time zone, enrolled at MSK)
    "anna@example.org": ("Анна", "", "2026-11-23 08:00"),  # Monday, before the window
    "boris@example.org": ("Борис", "", "2026-11-25 11:30"),  # Wednesday, late in the window
    "vera@example.org": ("Вера", "", "2026-11-28 10:00"),  # Saturday: waits for Monday
    "gleb@example.org": ("Глеб", "Asia/Yekaterinburg", "2026-11-23 06:00"),  # UTC+5
    "dasha@example.org": ("Даша", "", "2026-11-24 09:00"),  # unenrolled on 25 Nov
}
UNENROL = ("dasha@example.org", "2026-11-25 08:00")
EDIT_LESSON_2 = "2026-11-26 08:00"  # after Anna, Boris and Gleb got it, before Vera
RUN_TIMES = ("08:00", "09:30", "11:30", "14:00")
OFF = (dt.date(2026, 12, 7), dt.date(2026, 12, 13))
FIRST, LAST = dt.date(2026, 11, 23), dt.date(2026, 12, 21)

EXPECTED = {
    # Anna: L1 at the window's opening run; L2 +2 days; L3 due Saturday -> Monday;
    # L4 due 7 Dec while the machine is off -> the first run after it
    ("anna@example.org", 1): "2026-11-23 09:30",
    ("anna@example.org", 2): "2026-11-25 09:30",
    ("anna@example.org", 3): "2026-11-30 09:30",
    ("anna@example.org", 4): "2026-12-14 09:30",
    ("boris@example.org", 1): "2026-11-25 11:30",
    ("boris@example.org", 2): "2026-11-27 11:30",
    ("boris@example.org", 3): "2026-11-30 11:30",
    ("boris@example.org", 4): "2026-12-14 09:30",
    # Vera: enrolled on Saturday; L3 due Saturday 5 Dec -> Monday 7 (off) -> 14 Dec; L4 counts
    # a week from when L3 actually went (21 Dec), not from when it was due: no flood
    ("vera@example.org", 1): "2026-11-30 09:30",
    ("vera@example.org", 2): "2026-12-02 09:30",
    ("vera@example.org", 3): "2026-12-14 09:30",
    ("vera@example.org", 4): "2026-12-21 09:30",
    # Gleb: his 09:00-12:00 is 07:00-10:00 in Moscow, so the 08:00 runs serve him
    ("gleb@example.org", 1): "2026-11-23 08:00",
    ("gleb@example.org", 2): "2026-11-25 08:00",
    ("gleb@example.org", 3): "2026-11-30 08:00",
    ("gleb@example.org", 4): "2026-12-14 08:00",
    # Dasha: lesson 1 only; she left before lesson 2 was due
    ("dasha@example.org", 1): "2026-11-24 09:30",
}
#: the runs where one lesson went to several people at once (one issue.send each via Sendsay)
GROUPS = {("2026-12-14 09:30", 4): {"anna@example.org", "boris@example.org"}}
COURSE_SETTINGS = {"window_days": ["mon", "tue", "wed", "thu", "fri"],
                   "window_start": "09:00", "window_end": "12:00"}


def run_times() -> list[str]:
    out = []
    day = FIRST
    while day <= LAST:
        if not OFF[0] <= day <= OFF[1]:
            out.extend(f"{day:%Y-%m-%d} {t}" for t in RUN_TIMES)
        day += dt.timedelta(days=1)
    return out


def enrol_everyone(root: Path) -> None:
    with CourseStore.for_project(root) as store:
        from publisher.course.lessons import load_course

        course = load_course(project_of(root), COURSE)
        store.enrol(COURSE, [Enrolee(email, name, tz, at(when))
                             for email, (name, tz, when) in PEOPLE.items()],
                    course.delays, at("2026-11-20 12:00"))


def play(root: Path, after_run: Callable[[str, RunReport], None], *,
         backend_name: str, backend_factory=None) -> list[RunReport]:  # type: ignore[no-untyped-def]
    """Step through the month; ``after_run(time, report)`` collects what was delivered."""
    enrol_everyone(root)
    reports = []
    kwargs = {"backend_factory": backend_factory} if backend_factory else {}
    for when in run_times():
        if when.startswith(UNENROL[1][:10]) and when.endswith(RUN_TIMES[0]):
            with CourseStore.for_project(root) as store:
                store.unenrol(COURSE, UNENROL[0], at(UNENROL[1]))
        if when == EDIT_LESSON_2:
            (root / "issues" / "kurs-2.md").write_text(
                lesson_file(2, "2 days", "Исправленный текст урока 2.\n"), encoding="utf-8")
        report = run_courses(project_of(root), now=at(when), backend_name=backend_name,
                             **kwargs)
        assert not report.problems, report
        after_run(when, report)
        reports.append(report)
    return reports


def received_from_reports(reports: list[RunReport]) -> dict[tuple[str, int], str]:
    """What the runs say they sent (to compare with what the transport actually got)."""
    out: dict[tuple[str, int], str] = {}
    for report in reports:
        when = report.now.strftime("%Y-%m-%d %H:%M")
        for course in report.courses:
            for send in course.sends:
                for email in send.sent:
                    assert (email, send.lesson) not in out, f"{email} got lesson twice"
                    out[(email, send.lesson)] = when
    return out
