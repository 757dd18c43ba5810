"""Links into the archive (relative ones and those under ``site.base_url``) that will not
resolve, found in the rendered body and reported at their line in the Markdown source.

A relative link works on the archive page but leads nowhere in an email, which has no base
address, so it is reported even when its target exists, with the full URL to write instead.
"""

from __future__ import annotations

import html as html_lib
import re
from urllib.parse import urljoin, urlsplit

from publisher import urls
from publisher.config import Project
from publisher.errors import Location, Problem
from publisher.models import Issue
from publisher.preflight.site_map import SiteMap
from publisher.preflight.source import first_line_with

_LINK = re.compile(r"""<(a|img)\b[^>]*?\s(href|src)=("[^"]*"|'[^']*')""", re.IGNORECASE)
_SKIP_SCHEMES = ("mailto:", "tel:", "sms:", "data:", "javascript:", "#")


def body_links(body_html: str) -> list[tuple[str, str]]:
    """(element, URL) of every link and image in the body, in order, unescaped."""
    return [(m.group(1).lower(), html_lib.unescape(m.group(3)[1:-1]).strip())
            for m in _LINK.finditer(body_html)]


def internal_link_problems(project: Project, issue: Issue, body_html: str,
                           site: SiteMap) -> list[Problem]:
    where = project.relative(issue.path)
    page = urls.issue_url(project, issue)
    problems = []
    seen = set()
    for element, url in body_links(body_html):
        if not url or url.lower().startswith(_SKIP_SCHEMES) or "[%" in url or "*|" in url:
            continue
        if (element, url) in seen:
            continue
        seen.add((element, url))
        line = first_line_with(issue.body, url, issue.body_line) or \
            first_line_with(issue.body, url.split("#")[0], issue.body_line)
        relative = not urlsplit(url).scheme and not url.startswith("//")
        target = urljoin(page, url) if relative else url
        path = site.site_path(target)
        if path is None:
            continue  # an external link: check --links looks at those
        why = site.problem(path)
        what = "image" if element == "img" else "link"
        if why:
            shown = f"{url} (= {target})" if relative else url
            problems.append(Problem(Location(where, line), f"{what} {shown}: {why}"))
        elif relative and element == "a":
            problems.append(Problem(Location(where, line),
                                    f"relative link {url} works on the archive page but "
                                    f"leads nowhere in an email: write {target}"))
    return problems
