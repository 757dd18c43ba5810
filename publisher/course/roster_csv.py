"""``course import COURSE FILE.csv``: read a roster export, line by line, problem by problem.

Spreadsheets and old CRMs export CSV in whatever they like, so the reader is forgiving about
the form (UTF-8 with or without a BOM, or Windows-1251; comma, semicolon or tab; a header
line or none) and strict about the content: every bad row is reported as
``file:line: what is wrong`` and skipped, and the good rows are then enrolled in one
transaction (store.enrol), so an import never stops half-way.

Columns (header names are case-insensitive): ``email`` (required), ``name``, ``timezone``
(IANA, e.g. Asia/Yekaterinburg), ``enrolled_at`` (YYYY-MM-DD or YYYY-MM-DD HH:MM, in the
subscriber's or the course's time zone) and ``course`` (must be the course imported into).
Without a header the columns are ``email`` and ``name``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import io
from dataclasses import dataclass
from pathlib import Path

from publisher.csvfile import guarded
from publisher.config import EMAIL_RE, Project
from publisher.course.store import Enrolee
from publisher.course.window import zone
from publisher.errors import Location, Problem, PublisherError

COLUMNS = ("email", "name", "timezone", "enrolled_at", "course")
ALIASES = {"e-mail": "email", "mail": "email", "почта": "email", "имя": "name",
           "tz": "timezone", "date": "enrolled_at", "enrolled": "enrolled_at"}
ENCODINGS = ("utf-8", "utf-8-sig", "cp1251")


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


def decode(data: bytes, display: Path | str) -> tuple[str, str]:
    """(text, encoding): UTF-8 with a BOM, UTF-8, else Windows-1251 (Russian Excel's default)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1251"), "cp1251"
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RosterError.at(display, line, "not UTF-8 or Windows-1251 text; save the file "
                             "as CSV UTF-8") from None


def _sniff(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def _header(row: list[str]) -> list[str] | None:
    """Column names of a header row, or None if the row is already data."""
    cells = [c.strip().lower() for c in row]
    if cells and EMAIL_RE.match(cells[0]):
        return None
    return [ALIASES.get(c, c) for c in cells]


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
        data = path.read_bytes()
    except OSError as exc:
        raise RosterError.at(display, None, f"cannot read: {exc.strerror}") from None
    text, encoding = decode(data, display)
    delimiter = _sniff(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    problems: list[Problem] = []
    people: list[tuple[int, Enrolee]] = []
    seen: dict[str, int] = {}
    courses = {s.slug: s.kind for s in project.settings.series}
    columns: list[str] | None = None
    rows = 0
    line = 1
    for record in guarded(reader, display, RosterError):
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue
        if columns is None:
            header = _header(record)
            columns = header or ["email", "name"]
            if header is not None:
                unknown = [c for c in header if c and c not in COLUMNS]
                if "email" not in header or unknown:
                    what = (f"unknown column '{unknown[0]}'" + _hint(unknown[0])) if unknown \
                        else "no 'email' column"
                    raise RosterError.at(display, start, f"{what} (columns: "
                                         f"{', '.join(COLUMNS)}); nothing was imported")
                continue
        rows += 1
        where = Location(display, start)
        values = {name: (record[i].strip() if i < len(record) else "")
                  for i, name in enumerate(columns) if name}
        if len(record) > len(columns) and any(c.strip() for c in record[len(columns):]):
            problems.append(Problem(where, f"{len(record)} fields, but the header names "
                                           f"{len(columns)}; check the delimiter "
                                           f"{delimiter!r} and quotes"))
            continue
        email = values.get("email", "").lower()
        row_course = values.get("course", "")
        if not EMAIL_RE.match(email):
            problems.append(Problem(where, f"invalid email address {values.get('email', '')!r}"))
            continue
        if row_course and row_course != course:
            if courses.get(row_course) == "course":
                problems.append(Problem(where, f"row is for course '{row_course}', not "
                                               f"'{course}'; import it into that course"))
            else:
                problems.append(Problem(where, f"unknown course {row_course!r}"
                                               + _hint(row_course, [k for k, v in courses.items()
                                                                    if v == "course"])))
            continue
        if email in seen:
            problems.append(Problem(where, f"duplicate row: {email} is already on line "
                                           f"{seen[email]}; skipped"))
            continue
        tz = values.get("timezone", "")
        if tz:
            try:
                zone(tz)
            except (KeyError, ValueError):
                problems.append(Problem(where, f"unknown time zone {tz!r} (expected an IANA "
                                               "name such as 'Asia/Yekaterinburg')"))
                continue
        when = None
        if values.get("enrolled_at"):
            when = parse_when(values["enrolled_at"], tz or timezone)
            if when is None:
                wrong = f"in a year from {FIRST_YEAR} to {LAST_YEAR}" if _parse_when(
                    values["enrolled_at"].strip(), tz or timezone) else \
                    "YYYY-MM-DD or YYYY-MM-DD HH:MM"
                problems.append(Problem(where, f"'enrolled_at' must be {wrong}, got "
                                               f"{values['enrolled_at']!r}"))
                continue
        seen[email] = start
        people.append((start, Enrolee(email=email, name=values.get("name", ""), timezone=tz,
                                      enrolled_at=when)))
    return RosterFile(path=path, encoding=encoding, delimiter=delimiter, rows=rows,
                      people=tuple(people), problems=tuple(problems))


def _hint(word: str, options: list[str] | tuple[str, ...] = COLUMNS) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
