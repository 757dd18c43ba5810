"""Clicks per link: reading Sendsay's answer liberally and grouping links by where they go.

The ``click.*`` area of ``stat.uni`` is named in ``docs/sendsay-api.md`` §6.5 but its fields
are not, so both the query (``sendsay_client.CLICK_FIELDS``) and the answer's shape are
ASSUMED: rows ``[url, clicks, unique clickers]`` in select order, the unique count possibly
missing, numbers possibly as strings, rows possibly objects keyed by field name. Whatever
cannot be read as a link and a count is skipped, never fatal.

The same page reached through differently tagged links is one link to the author, so before
grouping a URL loses its tracking parameters (``utm_*``, ad click ids, Sendsay merge tags
such as ``[% anketa.member.email %]``) and Sendsay's relink redirect, when the answer shows the
wrapped form (ASSUMED: a Sendsay host whose query carries the target in ``url=``, ``u=``, ...).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import unescape
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

#: query parameters that say how a reader came, not where the link goes
TRACKING_PARAMS = frozenset({"yclid", "gclid", "fbclid", "dclid", "msclkid", "_openstat",
                             "mc_cid", "mc_eid", "ysclid"})
#: hosts of Sendsay's click redirect (assumed) and the parameters that may carry the target
RELINK_HOSTS = ("sendsay.ru", "sendsay.com", "sendsay.net", "sndsy.ru")
RELINK_PARAMS = ("url", "u", "link", "to", "target", "redirect", "goto")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_URL_KEYS = ("click.url", "click.link", "click.link.url", "url", "link", "href")
_CLICK_KEYS = ("count(*)", "clicks", "count", "click.count", "total")
_UNIQUE_KEYS = ("count(distinct click.member.email)", "unique", "unique_clicks",
                "u_clicked", "members")


@dataclass(frozen=True)
class LinkCount:
    """One link of one send after grouping: all clicks and unique clickers (None: unknown)."""

    url: str
    clicks: int
    unique: int | None


def normalize_url(url: str) -> str:
    """The link as the author thinks of it: no tracking parameters, no relink wrapper.

    Scheme and host are lowercased, a default port dropped, an empty path becomes ``/``;
    the remaining parameters keep their order and the fragment stays (``#part-2`` is a
    different place on the page). Anything that is not an http(s) URL comes back stripped.
    """
    text = unescape(url.strip()) if "&" in url else url.strip()
    for _ in range(3):  # a wrapper inside a wrapper is possible; more is not a link
        inner = _unwrap(text)
        if inner is None:
            break
        text = inner
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return text
    host = parts.hostname.lower()
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not _tracking(k, v)]
    query = parts.query if len(kept) == len(pairs) else urlencode(
        kept, quote_via=quote, safe="/:@!$'()*,;=")
    return urlunsplit((scheme, host, parts.path or "/", query, parts.fragment))


def _tracking(key: str, value: str) -> bool:
    name = key.lower()
    return name.startswith("utm_") or name in TRACKING_PARAMS or "[%" in value or "*|" in value


def _unwrap(url: str) -> str | None:
    """The target of a Sendsay relink URL, or None when ``url`` is not one (assumed shape)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if not any(host == h or host.endswith("." + h) for h in RELINK_HOSTS):
        return None
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    for name in RELINK_PARAMS:
        target = params.get(name, "")
        if target.lower().startswith(("http://", "https://")):
            return target
    return None


def read_rows(rows: Iterable[Any]) -> list[LinkCount]:
    """Sendsay's click rows, grouped by normalised link, most clicked first.

    A row is ``[url, clicks]`` or ``[url, clicks, unique]`` (select order) or an object with
    keys like ``click.url`` / ``count(*)``; unreadable rows are skipped. The unique count of
    a group is the sum of its rows' (two tagged variants of a link are seldom clicked by the
    same reader) and None when no row had one.
    """
    grouped: dict[str, list[int | None]] = {}
    for row in rows:
        url, clicks, unique = _fields(row)
        if not url or clicks is None or clicks < 0:
            continue
        key = normalize_url(url)
        total = grouped.setdefault(key, [0, None])
        total[0] = (total[0] or 0) + clicks
        if unique is not None:
            total[1] = (total[1] or 0) + unique
    out = [LinkCount(url, int(c or 0), u) for url, (c, u) in grouped.items()]
    return sorted(out, key=lambda link: (-link.clicks, -(link.unique or 0), link.url))


def _fields(row: Any) -> tuple[str | None, int | None, int | None]:
    if isinstance(row, dict):
        url = next((row[k] for k in _URL_KEYS if isinstance(row.get(k), str)), None)
        clicks = next((_count(row[k]) for k in _CLICK_KEYS if k in row), None)
        unique = next((_count(row[k]) for k in _UNIQUE_KEYS if k in row), None)
        return url, clicks, unique
    if isinstance(row, (list, tuple)) and len(row) >= 2 and isinstance(row[0], str):
        return row[0], _count(row[1]), _count(row[2]) if len(row) > 2 else None
    return None, None, None


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number == number and abs(number) < 2**53 else None
