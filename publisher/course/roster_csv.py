"""``course import COURSE FILE.csv``: read a roster export, line by line, problem by problem.

The file is read by :mod:`publisher.subscriber_csv`, the same reader as the SMTP and outbox
lists (UTF-8 with or without a BOM, UTF-16, or Windows-1251; comma, semicolon or tab; a
header line or none; column aliases such as E-mail/Почта, Имя). This module adds what a
course needs, strict about the content: every bad row is reported as ``file:line: what is
wrong`` and skipped, and the good rows are then enrolled in one transaction (store.enrol),
so an import never stops half-way.

Columns (header names are case-insensitive): ``email`` (required), ``name``, ``timezone``
(IANA, e.g. Asia/Yekaterinburg), ``enrolled_at`` (YYYY-MM-DD or YYYY-MM-DD HH:MM, in the
subscriber's or the course's time zone) and ``course`` (must be the course imported into).
Without a header the columns are ``email`` and ``name``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from publisher.config import Project
from publisher.course.store import Enrolee
from publisher.course.window import zone
from publisher.errors import Location, Problem, PublisherError
from publisher.subscriber_csv import SubscriberFileError, did_you_mean, read_subscriber_file

COLUMNS = ("email", "name", "timezone", "enrolled_at", "course")


class RosterError(PublisherError):
    """Raised when a roster file cannot be read at all (no email column, unknown encoding)."""


@dataclass(frozen=True)
class RosterFile:
    """What was read: the accepted subscribers and a problem per rejected line."""

    path: Path
    encoding: str
    delimiter: str
    rows: int
    people: tuple[tuple[int, Enrolee], ...]  # (line, subscriber)
    problems: tuple[Problem, ...]


#: enrolment times a schedule can be computed from (lesson delays are added to them, and the
#: store keeps Unix times, which some systems refuse before 1970)
FIRST_YEAR, LAST_YEAR = 1971, 2999


def parse_when(value: str, timezone: str) -> dt.datetime | None:
    """``YYYY-MM-DD`` (midnight) or ``YYYY-MM-DD HH:MM[:SS]`` or ISO with offset -> aware;
    None when it is not one, or outside :data:`FIRST_YEAR`..:data:`LAST_YEAR`."""
    parsed = _parse_when(value.strip(), timezone)
    if parsed is None or not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        return None
    return parsed


def _parse_when(value: str, timezone: str) -> dt.datetime | None:
    for fmt in ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M",
                "%Y-%m-%dT%H:%M:%S"):
        try:
            return dt.datetime.strptime(value, fmt).replace(tzinfo=zone(timezone))
        except ValueError:
            continue
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone(timezone))


def read_roster(path: Path, course: str, project: Project, *, timezone: str) -> RosterFile:
    """Parse ``path`` for ``course``; bad rows become problems, good rows subscribers.

    Addresses already on the roster are not problems: importing the same file twice is
    harmless, and the store reports them as already enrolled.
    """
    display = project.relative(path) if path.is_absolute() else path
    try:
        table = read_subscriber_file(path, display, columns=COLUMNS)
    except SubscriberFileError as exc:
        raise RosterError(problems=[Problem(p.location, f"{p.message}; nothing was imported")
                                    for p in exc.problems]) from None
    problems = list(table.problems)
    for repeat, first in table.duplicates:
        problems.append(Problem(Location(display, repeat.line), f"duplicate row: "
                                f"{repeat.email.lower()} is already on line {first}; skipped"))
    people: list[tuple[int, Enrolee]] = []
    courses = {s.slug: s.kind for s in project.settings.series}
    for row in table.rows:
        problem = _check_row(row.values, course, courses)
        when = None
        tz = row.values.get("timezone", "")
        if problem is None and row.values.get("enrolled_at"):
            when = parse_when(row.values["enrolled_at"], tz or timezone)
            if when is None:
                wrong = (f"in a year from {FIRST_YEAR} to {LAST_YEAR}"
                         if _parse_when(row.values["enrolled_at"].strip(), tz or timezone)
                         else "YYYY-MM-DD or YYYY-MM-DD HH:MM")
                problem = f"'enrolled_at' must be {wrong}, got {row.values['enrolled_at']!r}"
        if problem is not None:
            problems.append(Problem(Location(display, row.line), problem))
            continue
        people.append((row.line, Enrolee(email=row.email.lower(),
                                         name=row.values.get("name", ""), timezone=tz,
                                         enrolled_at=when)))
    problems.sort(key=lambda p: p.location.line or 0)
    return RosterFile(path=path, encoding=table.encoding, delimiter=table.delimiter,
                      rows=table.count, people=tuple(people), problems=tuple(problems))


def _check_row(values: dict[str, str], course: str, courses: dict[str, str]) -> str | None:
    """What is wrong with a row's course and time zone, or None."""
    row_course = values.get("course", "")
    if row_course and row_course != course:
        if courses.get(row_course) == "course":
            return f"row is for course '{row_course}', not '{course}'; import it into that course"
        return f"unknown course {row_course!r}" + did_you_mean(
            row_course, [k for k, v in courses.items() if v == "course"])
    tz = values.get("timezone", "")
    if tz:
        try:
            zone(tz)
        except (KeyError, ValueError):
            return (f"unknown time zone {tz!r} (expected an IANA name such as "
                    "'Asia/Yekaterinburg')")
    return None
