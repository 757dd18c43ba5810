"""``publisher check``: validate the whole newsletter folder and report every problem.

Config first (nothing else can be judged without it), then every issue file (front matter,
cross-issue uniqueness), then each issue is rendered exactly as it would be sent, so
template errors, missing images, size budget and accessibility warnings all surface here.
Course sequences are checked by :mod:`publisher.course.checks`, which depends on nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from publisher.config import Project
from publisher.errors import Location, Problem, PublisherError
from publisher.load import issue_files, load_issue, _duplicates
from publisher.models import Issue
from publisher.pipeline import render_checked

PREHEADER_MIN, PREHEADER_MAX = 40, 130


@dataclass
class CheckReport:
    """What ``check`` found: errors fail the check, warnings are shown."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_project(project: Project, *, render: bool = True) -> CheckReport:
    """Load and render every issue; collect all errors and warnings."""
    report = CheckReport()
    for path in issue_files(project):
        try:
            report.issues.append(load_issue(path, project))
        except PublisherError as exc:
            report.errors.extend(exc.problems or [Problem(Location(path), str(exc))])
    report.errors.extend(_duplicates(report.issues, project))
    from archive_site.tags import check as check_tags  # tags name archive pages

    report.errors.extend(check_tags(report.issues, project.relative))
    for issue in report.issues:
        where = Location(project.relative(issue.path), issue.line_of("preheader") or 2)
        if not issue.preheader:
            report.warnings.append(Problem(where, "no 'preheader': inboxes will preview the "
                                                  "first words of the body instead"))
        elif not PREHEADER_MIN <= len(issue.preheader) <= PREHEADER_MAX:
            report.warnings.append(Problem(where, f"'preheader' has {len(issue.preheader)} "
                                                  f"characters; {PREHEADER_MIN}–{PREHEADER_MAX} "
                                                  "show best in inboxes"))
        if render:
            _render_checks(project, issue, report)
    from publisher.course.checks import check_courses  # on use: keeps start-up light

    check_courses(project, report.issues, report)
    return report


def _render_checks(project: Project, issue: Issue, report: CheckReport) -> None:
    checked = render_checked(issue, project)
    report.errors.extend(checked.errors)
    report.warnings.extend(checked.warnings)
    if checked.email is not None:
        report.sizes[issue.key] = checked.email.html_size
