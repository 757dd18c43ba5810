"""The pages the web archive will have, so a link into it can be checked before a send.

Mirrors the archive's URL scheme (:mod:`publisher.urls` and ``archive_site``): the index and
its pages, one page and one feed per series, one page per issue that is not a draft (plus the
old slugs that redirect to it), images and files under ``assets/`` (files under ``issues/``),
the static files, the search page, sitemap and robots.txt.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from publisher import urls
from publisher.config import Project
from publisher.models import Issue

SLUG_MAP = "slugs.json"  # archive_site.collect keeps old slugs here
_FIXED = {"", "search/", "404.html", "feed.xml", "sitemap.xml", "robots.txt",
          "static/archive.css", "static/search.js"}
_PAGE = re.compile(r"page/\d+/")


@dataclass(frozen=True)
class SiteMap:
    base_url: str  # ends with "/"
    pages: frozenset[str]  # site-relative paths; folders end with "/"
    drafts: frozenset[str]  # pages of draft issues: the archive leaves them out
    assets_dir: Path  # assets/<path> is the file <path> under issues/

    @classmethod
    def of(cls, project: Project, issues: Iterable[Issue]) -> SiteMap:
        pages = set(_FIXED)
        drafts = set()
        for series in project.settings.series:
            pages.update({f"{series.slug}/", f"{series.slug}/feed.xml"})
        old = _old_slugs(project)
        for issue in issues:
            target = drafts if issue.status == "draft" else pages
            target.add(urls.issue_path(issue))
            for slug in old.get(f"{issue.series}/{issue.number}", ()):
                target.add(f"{issue.series}/{slug}/")
        return cls(urls.base(project), frozenset(pages), frozenset(drafts - pages),
                   project.issues_dir)

    def site_path(self, url: str) -> str | None:
        """The site-relative path of ``url`` if it points into the archive, else None."""
        parts = urlsplit(url)
        base = urlsplit(self.base_url)
        if parts.scheme and (parts.scheme.lower(), parts.netloc.lower()) != \
                (base.scheme.lower(), base.netloc.lower()):
            return None
        if parts.scheme and parts.scheme.lower() not in ("http", "https"):
            return None
        path = unquote(parts.path)
        if not path.startswith(base.path):
            return None
        return path[len(base.path):]

    def problem(self, path: str) -> str | None:
        """Why the archive will not have ``path`` (site-relative), or None when it will."""
        clean = posixpath.normpath("/" + path).lstrip("/") if path else ""
        if clean == ".":
            clean = ""
        if path.endswith("/") and clean:
            clean += "/"
        if clean.endswith("index.html"):
            clean = clean[:-len("index.html")]
        candidates = {clean, clean + "/"} if clean and not clean.endswith("/") else {clean}
        if candidates & self.pages or _PAGE.fullmatch(clean):
            return None
        if clean.startswith("assets/"):
            relative = clean[len("assets/"):]
            if relative and (self.assets_dir / relative).is_file():
                return None
            return f"no file issues/{relative} to publish as an asset"
        if candidates & self.drafts:
            return "that issue is a draft: the archive leaves it out"
        return "the archive will have no such page"


def _old_slugs(project: Project) -> dict[str, list[str]]:
    """``series/number`` -> every slug the issue had (the archive redirects the old ones);
    an unreadable map is the archive build's to report."""
    path = project.state_dir / SLUG_MAP
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): [str(s) for s in v] for k, v in data.items() if isinstance(v, list)}
