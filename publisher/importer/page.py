"""What a saved page or an old letter says about itself: title, date, old URL, base URL.

Read before any cleaning (the facts sit in ``<head>``, in the masthead, in the comment a
browser leaves when saving a page), so they survive the removal of the chrome they live in.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from lxml import etree

from publisher.importer.oldhtml import collapse

_SAVED_FROM = re.compile(r"<!--\s*saved from url=\(\d+\)(\S+?)\s*-->", re.IGNORECASE)
_DATE_META = ("date", "dc.date", "dcterms.date", "dc.date.issued", "dcterms.created",
              "article:published_time", "pubdate", "publish-date", "publication_date",
              "sailthru.date", "datepublished", "og:published_time")
_MONTHS = {"январ": 1, "феврал": 2, "март": 3, "апрел": 4, "ма": 5, "июн": 6, "июл": 7,
           "август": 8, "сентябр": 9, "октябр": 10, "ноябр": 11, "декабр": 12}
_ISO = re.compile(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b")
_DOTTED = re.compile(r"\b(\d{1,2})[./](\d{1,2})[./]((?:19|20)\d\d)\b")
_WORDED = re.compile(r"\b(\d{1,2})\s+(январ|феврал|март|апрел|ма|июн|июл|август|сентябр|"
                     r"октябр|ноябр|декабр)[а-я]*\s+((?:19|20)\d\d)", re.IGNORECASE)


@dataclass
class PageFacts:
    title: str = ""
    date: dt.date | None = None
    urls: list[str] = field(default_factory=list)  # where the page lived (aliases)
    base_url: str = ""  # for resolving relative links and images


def read_facts(raw_html: str, doc: etree._Element) -> PageFacts:
    facts = PageFacts()
    saved = _SAVED_FROM.search(raw_html[:4096])
    head = doc.find("head")
    metas = list(head.iter("meta")) if head is not None else []
    meta = {(m.get("name") or m.get("property") or m.get("itemprop") or "").lower():
            (m.get("content") or "").strip() for m in metas}
    title_el = doc.find(".//title")
    facts.title = collapse(title_el.text_content()) if title_el is not None else ""
    if not facts.title:
        facts.title = meta.get("og:title", "") or meta.get("title", "")
    for name in _DATE_META:
        if meta.get(name):
            facts.date = find_date(meta[name])
            if facts.date:
                break
    if facts.date is None:
        for time_el in doc.iter("time"):
            facts.date = find_date(time_el.get("datetime") or time_el.text_content())
            if facts.date:
                break
    for link in doc.iter("link"):
        if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
            _add(facts.urls, link.get("href", ""))
    if meta.get("og:url"):
        _add(facts.urls, meta["og:url"])
    if saved:
        _add(facts.urls, saved.group(1))
    base = doc.find(".//base")
    if base is not None and base.get("href", "").startswith(("http://", "https://")):
        facts.base_url = base.get("href", "")
    elif facts.urls:
        facts.base_url = facts.urls[0]
    return facts


def _add(urls: list[str], url: str) -> None:
    url = url.strip()
    if url.startswith(("http://", "https://")) and url not in urls:
        urls.append(url)


def find_date(text: str) -> dt.date | None:
    """The first plausible date in ``text`` (ISO, 12.04.2010 or 12 апреля 2010)."""
    found: list[tuple[int, dt.date]] = []
    for pattern, order in ((_ISO, "ymd"), (_DOTTED, "dmy"), (_WORDED, "dWy")):
        for match in pattern.finditer(text):
            try:
                if order == "ymd":
                    value = dt.date(int(match[1]), int(match[2]), int(match[3]))
                elif order == "dmy":
                    value = dt.date(int(match[3]), int(match[2]), int(match[1]))
                else:
                    month = _MONTHS[match[2].lower()]
                    value = dt.date(int(match[3]), month, int(match[1]))
            except (ValueError, KeyError):
                continue
            found.append((match.start(), value))
            break
    return min(found)[1] if found else None
