"""Old URLs of imported issues (``aliases:`` in front matter) that keep working.

An alias under ``base_url`` gets a redirect page at its own path in the site (the same
``archive/redirect.html`` that slug changes use); ``/old/path.html`` is read as a path on
the archive's host. Any other alias — another host (the old ESP archive), a URL with a
query string, the site root itself — cannot be a static file of this site; those are
written to ``.publisher/redirects-elsewhere.tsv`` (old URL, new URL) for the server that
owns them (README: "Old URLs of imported issues").
"""

from __future__ import annotations

import posixpath
from urllib.parse import unquote, urlsplit

from archive_site.collect import Entry
from archive_site.pages import Planned, Site
from publisher import urls
from publisher.config import Project
from publisher.render.templates import render_template

ELSEWHERE = "redirects-elsewhere.tsv"


def alias_path(alias: str, base_url: str) -> str | None:
    """The site-relative file that answers ``alias``, or None when the site cannot."""
    base = urlsplit(base_url)
    parts = urlsplit(alias)
    if alias.startswith("/") and not alias.startswith("//"):
        host = base.netloc
    elif parts.scheme in ("http", "https"):
        host = parts.netloc
    else:
        return None
    if _host(host) != _host(base.netloc) or parts.query or parts.fragment:
        return None
    path = unquote(parts.path)
    if not path.startswith(base.path):
        return None
    rel = path[len(base.path):]
    segments = rel.split("/")
    if any(s in ("..", ".") for s in segments) or "\\" in rel or "\0" in rel:
        return None
    if rel == "" or rel.endswith("/"):
        rel += "index.html"
    elif "." not in segments[-1]:
        rel += "/index.html"
    rel = posixpath.normpath(rel)
    return None if rel.startswith("../") or rel == "index.html" else rel


def _host(netloc: str) -> str:
    host = netloc.lower().rsplit("@", 1)[-1]
    return host[4:] if host.startswith("www.") else host


def alias_pages(site: Site, entries: list[Entry], taken: set[str]) -> list[Planned]:
    """Redirect pages at the aliases under base_url; a real page (or an earlier alias) wins."""
    planned = []
    for entry in entries:
        target = urls.issue_path(entry.issue)
        for alias in entry.issue.aliases:
            path = alias_path(alias, site.base_url)
            if path is None or path in taken:
                continue
            taken.add(path)
            rel = "../" * path.count("/")

            def render(rel: str = rel, target: str = target) -> bytes:
                return render_template(site.project, "archive/redirect.html", {
                    **site.common, "title": site.t.redirect,
                    "target_url": site.base_url + target,
                    "target_rel": rel + target}).encode("utf-8")
            planned.append(Planned(path, site.key("alias", path, target), render,
                                   in_sitemap=False))
    return planned


def elsewhere(project: Project, entries: list[Entry], base_url: str) -> list[tuple[str, str]]:
    """(old URL, new URL) of every alias the site itself cannot answer."""
    return [(alias, base_url + urls.issue_path(entry.issue))
            for entry in entries for alias in entry.issue.aliases
            if alias_path(alias, base_url) is None]


def write_elsewhere(project: Project, pairs: list[tuple[str, str]]) -> None:
    """Keep ``.publisher/redirects-elsewhere.tsv`` up to date (removed when empty)."""
    path = project.state_dir / ELSEWHERE
    if not pairs:
        path.unlink(missing_ok=True)
        return
    text = "".join(f"{old}\t{new}\n" for old, new in sorted(set(pairs)))
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
