"""External links of many issues checked over HTTP at once, reported at each issue's line."""

from __future__ import annotations

from urllib.parse import urlsplit

from publisher.config import Project
from publisher.errors import Location, Problem
from publisher.models import Issue
from publisher.preflight.http_links import check_urls
from publisher.preflight.links import body_links
from publisher.preflight.site_map import SiteMap
from publisher.preflight.source import first_line_with


def external_link_problems(project: Project, bodies: list[tuple[Issue, str]], site: SiteMap,
                           **options: float) -> tuple[list[Problem], int]:
    """(problems, number of URLs asked) for the http(s) links outside the archive."""
    wanted: list[tuple[Issue, str]] = []
    for issue, body_html in bodies:
        for _, url in body_links(body_html):
            if urlsplit(url).scheme.lower() in ("http", "https") and "[%" not in url \
                    and "*|" not in url and site.site_path(url) is None:
                wanted.append((issue, url))
    results = check_urls((url for _, url in wanted), cache_dir=project.state_dir,
                         **options)  # type: ignore[arg-type]
    problems = []
    reported = set()
    for issue, url in wanted:
        why = results[url].problem()
        if why is None or (issue.key, url) in reported:
            continue
        reported.add((issue.key, url))
        line = first_line_with(issue.body, url, issue.body_line)
        problems.append(Problem(Location(project.relative(issue.path), line),
                                f"link {url}: {why}"))
    return problems, len(results)
