"""Stage 6: Atom feeds, one for the whole archive and one per newsletter, with full content.

Feed readers show entries away from the site, so every link is absolute (the body HTML keeps
the absolute URLs it has in the email). Timestamps are the issue dates at midnight in the
site's time zone: a feed built twice from the same issues is byte-identical.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from xml.sax.saxutils import escape, quoteattr

from archive_site.cache import Cache
from archive_site.collect import Entry
from archive_site.pages import Card, Planned, Site

FEED_SIZE = 20  # newest entries per feed


def feeds(site: Site, entries: list[Entry], cards: dict[str, Card],
          cache: Cache) -> list[Planned]:
    """``feed.xml`` for all issues and ``<series>/feed.xml`` for each newsletter."""
    planned = [_feed(site, "feed.xml", site.settings.site.title,
                     site.settings.site.description, site.base_url, entries, cards, cache)]
    for series in site.settings.series:
        own = [e for e in entries if e.issue.series == series.slug]
        planned.append(_feed(site, f"{series.slug}/feed.xml", series.title, series.description,
                             f"{site.base_url}{series.slug}/", own, cards, cache))
    return planned


def _feed(site: Site, path: str, title: str, subtitle: str, page_url: str,
          entries: list[Entry], cards: dict[str, Card], cache: Cache) -> Planned:
    newest = entries[:FEED_SIZE]  # entries come newest first
    key = site.key("feed", path, title, subtitle,
                   *(cards[e.rel].digest + e.body_key for e in newest))
    return Planned(path, key, _renderer(site, path, title, subtitle, page_url, newest, cards,
                                        cache))


def _renderer(site: Site, path: str, title: str, subtitle: str, page_url: str,
              entries: list[Entry], cards: dict[str, Card],
              cache: Cache) -> Callable[[], bytes]:
    def render() -> bytes:
        zone = zoneinfo.ZoneInfo(site.settings.site.timezone)

        def stamp(date: dt.date) -> str:
            return dt.datetime.combine(date, dt.time(), zone).isoformat()

        updated = stamp(max((e.issue.date for e in entries), default=dt.date(1970, 1, 1)))
        out = ['<?xml version="1.0" encoding="utf-8"?>',
               f'<feed xmlns="http://www.w3.org/2005/Atom" '
               f'xml:lang={quoteattr(site.settings.site.language)}>',
               f"<title>{escape(title)}</title>"]
        if subtitle:
            out.append(f"<subtitle>{escape(subtitle)}</subtitle>")
        out += [f'<link rel="self" type="application/atom+xml" '
                f'href={quoteattr(site.base_url + path)}/>',
                f'<link rel="alternate" type="text/html" href={quoteattr(page_url)}/>',
                f"<id>{escape(page_url)}</id>",
                f"<updated>{updated}</updated>",
                f"<author><name>{escape(site.settings.footer.publisher)}</name></author>"]
        for entry in entries:
            card = cards[entry.rel]
            url = site.base_url + card.path
            body_html = cache.body_html(entry.body_key)
            out += ["<entry>",
                    f"<title>{escape(entry.issue.title)}</title>",
                    f'<link rel="alternate" type="text/html" href={quoteattr(url)}/>',
                    f"<id>{escape(url)}</id>",
                    f"<published>{stamp(entry.issue.date)}</published>",
                    f"<updated>{stamp(entry.issue.date)}</updated>",
                    f"<category term={quoteattr(card.series)} "
                    f"label={quoteattr(card.series_title)}/>"]
            if entry.issue.preheader:
                out.append(f"<summary>{escape(entry.issue.preheader)}</summary>")
            out += [f'<content type="html">{escape(body_html)}</content>', "</entry>"]
        out.append("</feed>\n")
        return "\n".join(out).encode("utf-8")
    return render
