"""Where things live in the public archive: one scheme shared by emails and the site builder.

``{base_url}{series}/{slug}/`` for an issue, ``{base_url}{series}/`` for a newsletter,
``{base_url}assets/<path under issues/>`` for images. Changing it breaks readers' links.
"""

from __future__ import annotations

from publisher.config import Project
from publisher.models import Issue


def base(project: Project) -> str:
    url = project.settings.site.base_url
    return url if url.endswith("/") else url + "/"


def issue_path(issue: Issue) -> str:
    """Site-relative path of an issue page (no leading slash)."""
    return f"{issue.series}/{issue.slug}/"


def issue_url(project: Project, issue: Issue) -> str:
    return base(project) + issue_path(issue)


def series_url(project: Project, series: str) -> str:
    return f"{base(project)}{series}/"


def assets_url(project: Project) -> str:
    return base(project) + "assets/"
