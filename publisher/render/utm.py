"""UTM tags on links to the newsletter's own sites, so the site's analytics see email visits.

Applied to the finished email HTML (before inlining): every ``href`` to the archive's host
(``www.`` ignored) gets ``utm_source``, ``utm_medium=email`` and ``utm_campaign`` (the issue
key, lowercase), unless the link already has UTM parameters. ESP tags are never touched.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

_HREF = re.compile(r'href="(https?://[^"]+)"')


def _host(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host[4:] if host.startswith("www.") else host


def add_utm(html: str, *, own_url: str, source: str, campaign: str) -> str:
    """Tag links whose host is ``own_url``'s host."""
    own = _host(own_url)
    params = (f"utm_source={quote(source)}&amp;utm_medium=email"
              f"&amp;utm_campaign={quote(campaign.lower(), safe='')}")

    def tag(match: re.Match[str]) -> str:
        url = match.group(1)
        if "[%" in url or "*|" in url or "utm_" in url or _host(url) != own:
            return match.group(0)
        base, hash_, fragment = url.partition("#")
        joiner = "&amp;" if "?" in base else "?"
        return f'href="{base}{joiner}{params}{hash_}{fragment}"'

    return _HREF.sub(tag, html)
