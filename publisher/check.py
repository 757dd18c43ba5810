"""``publisher check``: validate the whole newsletter folder and report every problem.

Config first (nothing else can be judged without it), then every issue file (front matter,
cross-issue uniqueness), then each issue is rendered exactly as it would be sent, so
template errors, missing images, size budget and accessibility warnings all surface here,
and the preflight (:mod:`publisher.preflight`: ESP tags, leftovers, links into the archive)
runs on it. ``links=True`` also checks external links over HTTP.
Course sequences are checked by :mod:`publisher.course.checks`, which depends on nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from publisher.config import Project
from publisher.errors import Location, Problem, PublisherError
from publisher.load import issue_files, load_issue, _duplicates
from publisher.models import Issue
from publisher.pipeline import render_checked
from publisher.preflight import preflight_issue
from publisher.preflight.site_map import SiteMap


@dataclass
class CheckReport:
    """What ``check`` found: errors fail the check, warnings are shown."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)
    links_checked: int = 0  # external URLs asked over HTTP (check --links)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_project(project: Project, *, render: bool = True, links: bool = False,
                  backend: str | None = None) -> CheckReport:
    """Load and render every issue; collect all errors and warnings."""
    report = CheckReport()
    for path in issue_files(project):
        try:
            report.issues.append(load_issue(path, project))
        except PublisherError as exc:
            report.errors.extend(exc.problems or [Problem(Location(path), str(exc))])
    report.errors.extend(_duplicates(report.issues, project))
    site = SiteMap.of(project, report.issues)
    bodies: list[tuple[Issue, str]] = []
    from archive_site.tags import check as check_tags  # tags name archive pages

    report.errors.extend(check_tags(report.issues, project.relative))
    for issue in report.issues:
        body_html = _render_checks(project, issue, report) if render else ""
        found = preflight_issue(project, issue, body_html, site=site,
                                backend=backend or project.settings.esp.backend)
        report.errors.extend(found.errors)
        report.warnings.extend(found.warnings)
        bodies.append((issue, body_html))
    if links:
        from publisher.preflight.external import external_link_problems

        problems, report.links_checked = external_link_problems(project, bodies, site)
        report.warnings.extend(problems)
    from publisher.course.checks import check_courses  # on use: keeps start-up light

    check_courses(project, report.issues, report)
    from publisher.privacy import tracked_address_warnings

    report.warnings.extend(tracked_address_warnings(project))  # addresses must stay out of git
    return report


def _render_checks(project: Project, issue: Issue, report: CheckReport) -> str:
    """Render ``issue`` as it would be sent; returns its body HTML for the preflight."""
    checked = render_checked(issue, project)
    report.errors.extend(checked.errors)
    report.warnings.extend(checked.warnings)
    if checked.email is not None:
        report.sizes[issue.key] = checked.email.html_size
    return checked.body.html
