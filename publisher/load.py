"""Stage 1: ``issues/*.md`` -> :class:`Issue` (front matter split, YAML parsed, fields checked).

Every problem is reported as ``path:line: message``; a whole folder is loaded before failing
so the author sees all problems at once. Cross-issue rules (duplicate slug or number within a
series) are checked in :func:`load_issues`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from pathlib import Path
from typing import Any

from publisher.config import Project, slug_problem
from publisher.errors import IssueError, Location, Problem
from publisher.models import Issue
from publisher.slug import slugify
from publisher.yamlfile import parse_yaml

FIELDS = ("title", "date", "series", "number", "preheader", "slug", "status", "tags",
          "lesson", "delay", "aliases", "imported_from")
REQUIRED = ("title", "date", "series")
STATUSES = ("draft", "ready", "published")
#: an old URL of an issue: absolute http(s), or a path on the archive's host
_ALIAS_RE = re.compile(r"^(?:https?://[^\s/]+)?/\S*$")
_DELAY_UNITS = {
    "minutes": r"min|mins|minutes?|минут[аы]?",
    "hours": r"h|hours?|час|часа|часов",
    "days": r"d|days?|день|дня|дней",
    "weeks": r"w|weeks?|неделя|недели|недель|неделю",
}
_DELAY_RE = re.compile(
    r"^\s*(?P<amount>\d+)\s*(?:"
    + "|".join(f"(?P<{unit}>{words})" for unit, words in _DELAY_UNITS.items())
    + r")\s*$", re.IGNORECASE)


#: bounds of what front matter may say; beyond them a value is a typo, and a course schedule
#: or a date computed from it would overflow
MAX_NUMBER = 1_000_000
MAX_LESSON = 10_000
MAX_DELAY = dt.timedelta(days=3660)  # ten years
MIN_DATE, MAX_DATE = dt.date(1800, 1, 1), dt.date(2999, 12, 31)


def parse_delay(value: Any) -> dt.timedelta | None:
    """``3 days``, ``12 hours``, ``1 week``, ``3 дня`` or a number of days -> timedelta.

    None when the value is not a delay or is longer than :data:`MAX_DELAY`.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return dt.timedelta(days=value) if value <= MAX_DELAY.days else None
    match = _DELAY_RE.match(value) if isinstance(value, str) else None
    if not match:
        return None
    unit = next(name for name in _DELAY_UNITS if match.group(name))
    amount = int(match.group("amount"))
    if amount > MAX_DELAY / dt.timedelta(**{unit: 1}):
        return None
    return dt.timedelta(**{unit: amount})


def _whole(value: Any, top: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= top


def split_front_matter(text: str, path: Path | str) -> tuple[str, str, int]:
    """Return (front matter YAML, Markdown body, 1-based line where the body starts)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise IssueError.at(path, 1, "missing front matter: the file must start with a '---' "
                            "line, then YAML fields, then another '---' line")
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return "".join(lines[1:index]), "".join(lines[index + 1:]), index + 2
    raise IssueError.at(path, 1, "front matter is not closed: add a '---' line after the fields")


def load_issue(path: Path, project: Project) -> Issue:
    """Read one issue file; raise IssueError with every problem found in it."""
    display = project.relative(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise IssueError.at(display, line, "not UTF-8 text; save the file as UTF-8") from None
    front, body, body_line = split_front_matter(text, display)
    data, lines = parse_yaml(front, display, line_offset=1, error=IssueError)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise IssueError.at(display, 2, "front matter must be 'key: value' fields")

    problems: list[Problem] = []

    def problem(key: str | None, message: str) -> None:
        line = lines.line(key) if key else 2
        problems.append(Problem(Location(display, line or 1), message))

    for key in data:
        if key not in FIELDS:
            close = difflib.get_close_matches(str(key), FIELDS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (allowed: {', '.join(FIELDS)})"
            problem(key, f"unknown field '{key}'{hint}")
    for key in REQUIRED:
        if data.get(key) in (None, ""):
            problem(key if key in data else None, f"'{key}' is required")

    settings = project.settings
    title = data.get("title")
    if title is not None and not isinstance(title, str):
        problem("title", f"'title' must be text, got {title!r}")
        title = None
    elif title is not None and "\n" in title.strip():
        problem("title", "'title' must be one line (it is the email's subject)")
        title = None

    date = data.get("date")
    if isinstance(date, dt.datetime):
        date = date.date()
    elif date is not None and not isinstance(date, dt.date):
        problem("date", f"'date' must be YYYY-MM-DD, got {date!r}")
        date = None
    if date is not None and not MIN_DATE <= date <= MAX_DATE:
        problem("date", f"'date' must be between {MIN_DATE} and {MAX_DATE}, got {date}")
        date = None

    series = data.get("series")
    series_settings = None
    if series is not None:
        series_settings = settings.series_by_slug(str(series))
        if series_settings is None:
            known = [s.slug for s in settings.series]
            close = difflib.get_close_matches(str(series), known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(known)}"
            problem("series", f"unknown series {series!r} ({hint})")

    lesson = data.get("lesson")
    if lesson is not None and not _whole(lesson, MAX_LESSON):
        problem("lesson", f"'lesson' must be a whole number from 1 to {MAX_LESSON:,}, "
                          f"got {lesson!r}")
        lesson = None

    number = data.get("number", lesson)
    if number is None:
        if series_settings is not None and series_settings.kind == "course":
            problem(None, "'lesson' is required for an issue of a course")
        else:
            problem(None, "'number' is required (the issue's number in its newsletter)")
    elif not _whole(number, MAX_NUMBER):
        problem("number" if "number" in data else "lesson",
                f"'number' must be a whole number from 1 to {MAX_NUMBER:,}, got {number!r}")
        number = None

    delay = None
    if "delay" in data:
        delay = parse_delay(data["delay"])
        if delay is None:
            value = data["delay"]
            if (isinstance(value, int) and not isinstance(value, bool) and value > 0) or \
                    (isinstance(value, str) and _DELAY_RE.match(value)):
                problem("delay", f"'delay' must be at most {MAX_DELAY.days:,} days, got "
                                 f"{value!r}")
            else:
                problem("delay", f"'delay' must be like '3 days', '12 hours' or '1 week', "
                                 f"got {value!r}")
    if series_settings is not None and series_settings.kind == "course":
        if lesson is None and "lesson" not in data:
            problem(None, "'lesson' is required for an issue of a course")

    slug = data.get("slug")
    if slug is not None and (not isinstance(slug, str) or slug_problem(slug)):
        problem("slug", f"'slug' {slug_problem(slug) if isinstance(slug, str) else 'must be text'}")
        slug = None

    status = data.get("status", "ready")
    if status not in STATUSES:
        problem("status", f"'status' must be one of {', '.join(STATUSES)}, got {status!r}")

    preheader = data.get("preheader", "")
    if preheader is None:
        preheader = ""
    if not isinstance(preheader, str):
        problem("preheader", f"'preheader' must be text, got {preheader!r}")
        preheader = ""
    elif "\n" in preheader.strip():
        problem("preheader", "'preheader' must be one line")
        preheader = ""

    tags = data.get("tags", [])
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, list) or not all(isinstance(t, (str, int)) for t in tags):
        problem("tags", f"'tags' must be a list of words, got {tags!r}")
        tags = []

    from publisher.render.limits import body_problems  # on use: keeps start-up light

    problems += [Problem(Location(display, line), message)
                 for line, message in body_problems(body, body_line)]
    aliases = data.get("aliases", [])
    if isinstance(aliases, str):
        aliases = [aliases]
    if not isinstance(aliases, list) or not all(
            isinstance(a, str) and _ALIAS_RE.match(a) for a in aliases):
        problem("aliases", f"'aliases' must be a list of old URLs (https://... or /path/), "
                           f"got {aliases!r}")
        aliases = []

    imported_from = data.get("imported_from", "")
    if not isinstance(imported_from, str):
        problem("imported_from", f"'imported_from' must be text, got {imported_from!r}")
        imported_from = ""

    if problems:
        raise IssueError(problems=problems)
    return Issue(
        path=path, title=title.strip(), date=date, series=str(series), number=number,
        slug=slug or slugify(title), body=body, body_line=body_line,
        preheader=preheader.strip(), status=status, tags=tuple(str(t) for t in tags),
        lesson=lesson, delay=delay, aliases=tuple(aliases), imported_from=imported_from,
        field_lines=tuple(lines.items()),
    )


def issue_files(project: Project) -> list[Path]:
    """The Markdown files under issues/, in a stable order."""
    if not project.issues_dir.is_dir():
        return []
    return sorted(p for p in project.issues_dir.rglob("*.md") if p.is_file())


def load_issues(project: Project, paths: list[Path] | None = None) -> list[Issue]:
    """Load every issue (or ``paths``); report all problems of all files at once.

    Also enforces that slugs and numbers are unique within a series, which only a view of
    the whole folder can tell.
    """
    problems: list[Problem] = []
    issues: list[Issue] = []
    for path in (paths if paths is not None else issue_files(project)):
        try:
            issues.append(load_issue(path, project))
        except IssueError as exc:
            problems.extend(exc.problems)
    problems.extend(_duplicates(issues, project))
    if problems:
        raise IssueError(problems=problems)
    return sorted(issues, key=lambda i: (i.series, i.number, i.date))


def _duplicates(issues: list[Issue], project: Project) -> list[Problem]:
    problems = []
    for attr, label in (("slug", "slug"), ("number", "number")):
        first: dict[tuple[str, object], Issue] = {}
        for issue in sorted(issues, key=lambda i: str(i.path)):
            key = (issue.series, getattr(issue, attr))
            if key in first:
                other = first[key]
                where = project.relative(other.path)
                problems.append(Problem(
                    Location(project.relative(issue.path), issue.line_of(attr) or 2),
                    f"duplicate {label} {getattr(issue, attr)!r} in series '{issue.series}' "
                    f"(also in {where})"))
            else:
                first[key] = issue
    return problems


def find_issue(project: Project, ref: str) -> Path:
    """Resolve what a user typed (a path, a file name, a slug or series/slug) to a file."""
    candidate = Path(ref)
    for path in (candidate, project.root / candidate):
        if path.is_file():
            return path
    files = issue_files(project)
    for path in files:
        if ref in (path.stem, path.name) or path.as_posix().endswith("/" + ref.lstrip("/")):
            return path
    for path in files:
        try:  # a broken file elsewhere must not stop the author rendering this one
            issue = load_issue(path, project)
        except IssueError:
            continue
        if ref in (issue.slug, issue.key):
            return issue.path
    raise IssueError.at(ref, None, "no such issue file, slug or series/slug in "
                        f"{project.relative(project.issues_dir)}/")
