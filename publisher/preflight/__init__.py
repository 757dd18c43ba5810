"""Preflight: what subscribers and visitors would see that the author did not mean to send.

Run by ``check`` for every issue and by ``send``/``publish`` for the issue going out, before
anything leaves. Each module looks at one kind of problem and returns ``path:line`` problems,
all of them at once:

- ``tags``: ESP tags outside the subset publisher evaluates, and tags the backend will not fill;
- ``leftovers``: TK/TODO/XXX, lorem ipsum, empty links, unreplaced ``{{ }}``, subject and
  preheader that read badly in an inbox;
- ``site_map`` / ``links``: links into the archive that will not resolve;
- ``http_links``: external links over HTTP (``check --links`` only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from publisher.config import Project
from publisher.errors import IssueError, Problem
from publisher.models import Issue
from publisher.preflight.leftovers import leftover_problems
from publisher.preflight.links import internal_link_problems
from publisher.preflight.site_map import SiteMap
from publisher.preflight.tags import tag_problems


@dataclass
class Findings:
    """Errors stop a send; warnings are shown (and fail ``check --strict``)."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def preflight_issue(project: Project, issue: Issue, body_html: str, *, site: SiteMap,
                    backend: str) -> Findings:
    """Every preflight problem of one rendered issue (no network: see ``http_links``)."""
    found = Findings()
    errors, warnings = tag_problems(project, issue, backend)
    found.errors += errors
    found.warnings += warnings
    found.warnings += leftover_problems(project, issue, body_html)
    found.warnings += internal_link_problems(project, issue, body_html, site)
    return found


def preflight_before_send(project: Project, issue: Issue, body_html: str, backend: str, *,
                          note: Callable[[str], None] | None = None) -> None:
    """``send`` and ``publish``: errors stop the send (IssueError, nothing went out yet);
    warnings go to ``note``."""
    found = preflight_for_send(project, issue, body_html, backend)
    if found.errors:
        raise IssueError(problems=found.errors)
    if note is not None:
        for warning in found.warnings:
            note(f"preflight: {warning}")


def preflight_for_send(project: Project, issue: Issue, body_html: str,
                       backend: str) -> Findings:
    """The preflight of the one issue going out (the site map needs every issue's slug)."""
    from publisher.load import issue_files, load_issue
    from publisher.errors import PublisherError

    issues = []
    for path in issue_files(project):
        try:
            issues.append(load_issue(path, project))
        except PublisherError:
            continue  # check reports broken files; they simply have no page
    return preflight_issue(project, issue, body_html, site=SiteMap.of(project, issues),
                           backend=backend)
