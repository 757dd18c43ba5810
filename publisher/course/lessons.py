"""A course's lessons, read from ``issues/``, and the rules of a valid lesson sequence.

The same rules serve ``publisher check`` (every problem, as ``path:line: message``) and
``course run`` (which refuses to send a course whose sequence is broken, because a gap or a
duplicate would send lessons out of order).
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from publisher.config import Project, SeriesSettings
from publisher.errors import ConfigError, IssueError, Location, Problem
from publisher.load import issue_files, load_issue
from publisher.models import Issue


@dataclass(frozen=True)
class Lesson:
    """One lesson: its number, when it follows the previous one, and its source file."""

    number: int
    delay: dt.timedelta
    path: Path
    title: str
    status: str

    @property
    def delay_seconds(self) -> int:
        return int(self.delay.total_seconds())


@dataclass(frozen=True)
class Course:
    """A course series and the lessons subscribers can receive now.

    ``lessons`` is the unbroken run 1..N of lessons that are not drafts: subscribers wait at
    the first missing or draft lesson rather than skip it.
    """

    series: SeriesSettings
    lessons: tuple[Lesson, ...]

    @property
    def slug(self) -> str:
        return self.series.slug

    def lesson(self, number: int) -> Lesson | None:
        return self.lessons[number - 1] if 1 <= number <= len(self.lessons) else None

    @property
    def delays(self) -> tuple[tuple[int, int], ...]:
        """``(lesson, delay in seconds)`` pairs: what the roster's due times are computed from."""
        return tuple((lesson.number, lesson.delay_seconds) for lesson in self.lessons)

    @property
    def fingerprint(self) -> str:
        """Changes when a lesson is added, removed or gets another delay (not on text edits)."""
        return hashlib.sha256(repr(self.delays).encode()).hexdigest()[:16]


def course_series(project: Project, slug: str) -> SeriesSettings:
    """The settings of course ``slug``; a clear error for an unknown slug or a newsletter."""
    series = project.settings.series_by_slug(slug)
    courses = [s.slug for s in project.settings.series if s.kind == "course"]
    if series is None:
        close = difflib.get_close_matches(slug, courses, n=1)
        hint = f"did you mean '{close[0]}'?" if close else \
            (f"courses: {', '.join(courses)}" if courses else
             "no series has 'kind: course' in newsletter.yaml")
        raise ConfigError.at(project.relative(project.config_path), None,
                             f"unknown course {slug!r} ({hint})")
    if series.kind != "course":
        line = project.lines.line(f"series[{project.settings.series.index(series)}].slug")
        raise ConfigError.at(project.relative(project.config_path), line,
                             f"series {slug!r} is a newsletter, not a course (add 'kind: course' "
                             "to make its issues lessons)")
    return series


def courses(project: Project) -> list[SeriesSettings]:
    return [s for s in project.settings.series if s.kind == "course"]


def sequence_problems(series: SeriesSettings, issues: list[Issue], project: Project, *,
                      numbers_checked: bool = False) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) of a course's lesson sequence.

    Errors: duplicate lesson numbers, a gap in the numbering, a lesson after the first without
    a ``delay``. Warnings: a draft lesson that holds back the ready lessons after it.
    ``numbers_checked``: the caller already reported duplicate issue numbers (``check``), so a
    duplicate lesson whose number is its lesson is not reported twice.
    """
    errors: list[Problem] = []
    warnings: list[Problem] = []
    lessons = sorted(((i.lesson, i) for i in issues
                      if i.series == series.slug and i.lesson is not None),
                     key=lambda pair: (pair[0], str(pair[1].path)))

    def where(issue: Issue, key: str) -> Location:
        return Location(project.relative(issue.path), issue.line_of(key) or 2)

    first: dict[int, Issue] = {}
    for number, issue in lessons:
        if number in first:
            if numbers_checked and issue.number == number:
                continue
            errors.append(Problem(where(issue, "lesson"), f"duplicate lesson {number} in "
                                  f"course '{series.slug}' (also in "
                                  f"{project.relative(first[number].path)})"))
            continue
        first[number] = issue
        if number > 1 and issue.delay is None:
            errors.append(Problem(where(issue, "lesson"), f"lesson {number} needs a "
                                  "'delay' after the previous lesson, e.g. 'delay: 3 days'"))
    if first:
        for number in range(1, max(first) + 1):
            if number in first:
                continue
            after = first[min(n for n in first if n > number)]
            errors.append(Problem(where(after, "lesson"), f"course '{series.slug}' has no "
                                  f"lesson {number}: lessons must be numbered 1, 2, 3... "
                                  "without gaps"))
        drafts = [n for n in sorted(first) if first[n].status == "draft"]
        if drafts and max(first) > drafts[0]:
            warnings.append(Problem(where(first[drafts[0]], "status"),
                                    f"lesson {drafts[0]} is a draft: subscribers stop at lesson "
                                    f"{drafts[0] - 1} until it is ready, even though later "
                                    "lessons are"))
    return errors, warnings


def _mentions_series(path: Path, slug: str) -> bool:
    """Whether a file that failed to load says it belongs to ``slug`` (to blame the course)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return True
    return re.search(rf"^series:\s*[\"']?{re.escape(slug)}[\"']?\s*$", text, re.M) is not None


def load_course(project: Project, slug: str) -> Course:
    """The course ``slug`` with its sendable lessons; IssueError if its sequence is broken.

    Issues of other series are not this course's business: a broken newsletter issue does
    not stop a course run (``publisher check`` reports it).
    """
    series = course_series(project, slug)
    issues: list[Issue] = []
    problems: list[Problem] = []
    for path in issue_files(project):
        try:
            issue = load_issue(path, project)
        except IssueError as exc:
            if _mentions_series(path, slug):
                problems.extend(exc.problems)
            continue
        if issue.series == slug:
            issues.append(issue)
    errors, _ = sequence_problems(series, issues, project)
    problems.extend(errors)
    if problems:
        raise IssueError(problems=problems, hint=f"fix the lessons of '{slug}' (publisher "
                                                 "check shows every problem)")
    lessons: list[Lesson] = []
    for issue in sorted(issues, key=lambda i: i.lesson or 0):
        if issue.status == "draft" or issue.lesson != len(lessons) + 1:
            break
        lessons.append(Lesson(number=issue.lesson, delay=issue.delay or dt.timedelta(0),
                              path=issue.path, title=issue.title, status=issue.status))
    return Course(series=series, lessons=tuple(lessons))
