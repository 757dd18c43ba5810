"""Broken-link check over a deployed site's files, as a visitor's browser would follow them."""

from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote, urlsplit

_LINK_RE = re.compile(rb"""(?:href|src)=["']([^"'#]*)""")


def broken_links(files: dict[str, bytes], base_path: str = "/archive/") -> list[str]:
    """``page -> target`` for every link within the site whose target is missing.

    Relative links, and absolute ones under ``base_path`` (the 404 page uses those, as it
    is served at any depth).
    """
    broken = []
    for path, data in files.items():
        if not path.endswith(".html"):
            continue
        for raw in _LINK_RE.findall(data):
            link = raw.decode("utf-8")
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path:
                continue
            if parts.path.startswith("/"):
                if not parts.path.startswith(base_path):
                    continue
                target = posixpath.normpath(unquote(parts.path[len(base_path):]) or ".")
            else:
                target = posixpath.normpath(posixpath.join(posixpath.dirname(path),
                                                           unquote(parts.path)))
            if link.endswith("/") or parts.path in (".", ".."):
                target = posixpath.join(target, "index.html")
            target = target.lstrip("./") if target.startswith("./") else target
            if target not in files:
                broken.append(f"{path} -> {link}")
    return broken
