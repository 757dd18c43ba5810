"""Stages 3-5: the HTML pages, each planned with a key of everything it is made from.

A :class:`Planned` page carries its site path, an input key and a function that renders it.
The builder renders a page only when its key differs from the last build's (or the file is
missing), so editing one issue re-renders that issue, its neighbours, its series page, the
index pages it appears on and the feeds, and nothing else; a template or config change
changes every key that used it.

Links between pages are relative (``rel`` leads back to the site root): the site works from
any folder, host or ``publisher serve``. Canonical, Open Graph and feed URLs are absolute.
"""

from __future__ import annotations

import datetime as dt
import functools
import html as html_lib
import json
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup

from archive_site.cache import Cache, sha
from archive_site.collect import Entry
from archive_site.tags import Tag, issue_tags
from publisher import urls
from publisher.config import Project, SeriesSettings
from publisher.i18n import format_date
from publisher.render.email import HEADING, common_context, title_in_body
from publisher.render.templates import render_template

PAGE_SIZE = 50  # issues per index page
#: top-level names the builder uses; a series slug must not take one
RESERVED = ("assets", "static", "search", "page", "tags", "pagefind", "feed.xml",
            "sitemap.xml", "robots.txt", "404.html", "index.html")


@dataclass(frozen=True)
class Planned:
    """One output file: where it goes, what it is made of, how to make it."""

    path: str  # relative to the site root, posix
    key: str
    render: Callable[[], bytes]
    in_sitemap: bool = True
    body_key: str = ""  # the cached body it shows (fetched in batches before rendering)
    searchable: bool = False  # an issue page: Pagefind indexes it
    lastmod: str = ""  # ISO date for the sitemap: the newest issue the page shows


@dataclass(frozen=True)
class Card:
    """An issue as lists show it (index, series page, neighbours, search, feeds)."""

    title: str
    path: str  # site-relative, ends with '/'
    date: str
    iso: str
    number_label: str
    summary: str
    series_title: str
    series: str
    tags: tuple[tuple[str, str], ...] = ()  # (name, slug)

    @functools.cached_property
    def digest(self) -> str:
        """What the pages that list this card show of it (part of their keys); kept, since
        every issue page asks for its own and both neighbours' (5,000 issues: 15,000 joins)."""
        return "\x1f".join((self.title, self.path, self.date, self.number_label, self.summary,
                            self.series_title, *(name for name, _ in self.tags)))


class Site:
    """What every page needs, computed once per build."""

    def __init__(self, project: Project, fingerprint: str, asset_version: str) -> None:
        self.project = project
        self.settings = project.settings
        self.fingerprint = fingerprint  # templates + config + builder versions
        self.base_url = urls.base(project)
        self.common = {**common_context(project), "og_locale": _og_locale(
            self.settings.site.language), "asset_version": asset_version}
        self.t = self.common["t"]
        self.language = self.settings.site.language
        self.series = {s.slug: s for s in self.settings.series}
        self.tag_names: dict[str, str] = {}  # slug -> shown name (set by the builder)
        self.issue_count = 0  # issues on the site (set by the builder)
        image = self.settings.site.image
        self.default_image = image if not image or "://" in image else \
            self.base_url + image.lstrip("/")
        self._chrome: dict[str, dict[str, Markup]] = {}

    def chrome(self, rel: str) -> dict[str, Markup]:
        """Header and footer for pages ``rel`` below the root: the same on every page of a
        folder depth, so rendered once per depth instead of once per page."""
        if rel not in self._chrome:
            context = {**self.common, "rel": rel}
            self._chrome[rel] = {
                part: Markup(render_template(self.project, f"archive/_{part}.html", context))
                for part in ("header", "footer")}
        return self._chrome[rel]

    def card(self, entry: Entry) -> Card:
        issue = entry.issue
        series = self.series[issue.series]
        if series.kind == "course":
            label = f"{self.t.lesson_number}\u00a0{issue.lesson or issue.number}"
        else:
            label = f"{self.t.issue_number}{issue.number}"  # the word ends in its own space
        title = entry.title_typeset if self.settings.typography else issue.title
        tags = tuple((self.tag_names.get(s, k), s) for k, s in issue_tags(issue))
        return Card(title=title, path=f"{issue.series}/{issue.slug}/",
                    date=format_date(issue.date, self.language), iso=issue.date.isoformat(),
                    number_label=label, summary=issue.preheader, series_title=series.title,
                    series=series.slug, tags=tags)

    def key(self, *parts: str) -> str:
        return sha("\0".join((self.fingerprint, *parts)))

    def page(self, name: str, path: str, heading: str, description: str,
             context: dict[str, Any], rel: str | None = None, **page: Any) -> bytes:
        """Render ``archive/<name>`` for the page at site path ``path``."""
        if rel is None:
            rel = "../" * path.count("/")
        directory = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
        canonical = self.base_url + (directory if path.endswith("index.html") else path)
        title = heading if heading == self.settings.site.title else \
            f"{heading} — {self.settings.site.title}"
        info = {"title": title, "heading": heading, "canonical": canonical,
                "description": description or self.settings.site.description or heading,
                "og_type": "website", "published": "", "robots": "", "series_feed": "",
                "image": self.default_image,
                "series_feed_title": "", "prev_url": "", "next_url": "", **page}
        return render_template(self.project, f"archive/{name}",
                               {**self.common, **context, "rel": rel, "page": info,
                                "chrome": self.chrome(rel)}).encode("utf-8")


def _og_locale(language: str) -> str:
    base = language.split("-")[0]
    return {"ru": "ru_RU", "en": "en_US"}.get(base, base)


def local_links(html: str, base_url: str, rel: str) -> str:
    """Body links and images into the archive itself, made relative to this page.

    Emails need absolute URLs; the web page is better served by relative ones (the site
    then works from any host, and a preview never reaches out to the live site).
    """
    return re.sub(r'(\s(?:href|src)=")' + re.escape(base_url), lambda m: m.group(1) + rel,
                  html)


def promote_title(title_html: str, body_html: str) -> tuple[str, bool]:
    """The body with its own copy of the title (if any) made the page's ``<h1>``.

    Authors often place the title as a heading after a greeting, as in the email; the email
    then omits its own title (``publisher.render.email.title_in_body``), and the page does the
    same: the body's heading becomes the single h1, so the title is neither shown twice
    nor missing from the document outline. Returns (body, whether a heading was promoted).
    """
    for match in HEADING.finditer(body_html):
        if title_in_body(title_html, match.group(0)):
            inner = match.group(1)
            heading = f'<h1 id="issue-title" class="issue-title">{inner}</h1>'
            return body_html[:match.start()] + heading + body_html[match.end():], True
    return body_html, False


def series_order(entries: list[Entry]) -> list[Entry]:
    """A series' issues in reading order: lesson order for courses, number for newsletters."""
    return sorted(entries, key=lambda e: (e.issue.lesson or e.issue.number, e.issue.date))


def issue_pages(site: Site, series: SeriesSettings, ordered: list[Entry],
                cards: dict[str, Card], cache: Cache) -> list[Planned]:
    """A page per issue, with previous/next within its series."""
    planned = []
    for index, entry in enumerate(ordered):
        prev = cards[ordered[index - 1].rel] if index > 0 else None
        next_ = cards[ordered[index + 1].rel] if index + 1 < len(ordered) else None
        card = cards[entry.rel]
        path = card.path + "index.html"
        key = site.key("issue", card.digest, entry.body_key, prev.digest if prev else "",
                       next_.digest if next_ else "")
        planned.append(Planned(path, key, _issue_renderer(site, series, entry, card, prev,
                                                          next_, cache),
                               body_key=entry.body_key, searchable=True, lastmod=card.iso))
    return planned


def _issue_renderer(site: Site, series: SeriesSettings, entry: Entry, card: Card,
                    prev: Card | None, next_: Card | None, cache: Cache) -> Callable[[], bytes]:
    def render() -> bytes:
        path = card.path + "index.html"
        rel = "../" * path.count("/")
        body_html, title_shown = promote_title(card.title, cache.body_html(entry.body_key))
        image = first_image(body_html) or site.default_image
        context = {"issue": entry.issue, "series": series, "title_html": card.title,
                   "show_title": not title_shown, "tags": card.tags,
                   "date": card.date, "iso_date": card.iso, "number_label": card.number_label,
                   "body_html": Markup(local_links(body_html, site.base_url, rel)),
                   "json_ld": Markup(json_ld(site, entry, card, series, image)),
                   "prev": prev, "next": next_}
        return site.page("issue.html", path, entry.issue.title, entry.issue.preheader,
                         context, og_type="article", published=card.iso, image=image,
                         series_feed=f"{site.base_url}{series.slug}/feed.xml",
                         series_feed_title=series.title,
                         prev_url=site.base_url + prev.path if prev else "",
                         next_url=site.base_url + next_.path if next_ else "")
    return render


_IMG_SRC = re.compile(r"<img\b[^>]*?\ssrc=\"(https?://[^\"]+)\"", re.IGNORECASE)


def first_image(body_html: str) -> str:
    """The absolute URL of the body's first image ('' if none): the page's og:image."""
    match = _IMG_SRC.search(body_html)
    return html_lib.unescape(match.group(1)) if match else ""


def json_ld(site: Site, entry: Entry, card: Card, series: SeriesSettings, image: str) -> str:
    """schema.org BlogPosting for search engines: headline, dates, author, publisher.

    ``dateModified`` is the issue date: the archive does not track edits after sending.
    """
    settings = site.settings
    url = site.base_url + card.path
    zone = settings.site.timezone
    stamp = _stamp(entry.issue.date, zone)
    data: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "BlogPosting",
        "headline": entry.issue.title[:110], "url": url, "mainEntityOfPage": url,
        "datePublished": stamp, "dateModified": stamp,
        "inLanguage": settings.site.language,
        "author": {"@type": "Person", "name": settings.site.author or settings.sender.name},
        "publisher": {"@type": "Organization", "name": settings.footer.publisher,
                      "url": site.base_url},
        "isPartOf": {"@type": "Blog", "name": series.title,
                     "url": f"{site.base_url}{series.slug}/"},
    }
    if entry.issue.preheader:
        data["description"] = entry.issue.preheader
    if image:
        data["image"] = image
        data["publisher"]["logo"] = {"@type": "ImageObject", "url": site.default_image or image}
    if card.tags:
        data["keywords"] = ", ".join(name for name, _ in card.tags)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # inside <script>, "</" would end the element; "<!--" would start a comment
    return text.replace("</", "<\\/").replace("<!--", "<\\u0021--")


def _stamp(date: dt.date, zone: str) -> str:
    return dt.datetime.combine(date, dt.time(), zoneinfo.ZoneInfo(zone)).isoformat()


def redirect_pages(site: Site, entry: Entry, taken: set[str]) -> list[Planned]:
    """Pages at an issue's earlier URLs that send readers to its current one."""
    planned = []
    target = urls.issue_path(entry.issue)
    for old in entry.old_slugs:
        path = f"{entry.issue.series}/{old}/index.html"
        if path in taken:  # another issue lives there now; it wins
            continue
        key = site.key("redirect", target)

        def render(path: str = path) -> bytes:
            return render_template(site.project, "archive/redirect.html", {
                **site.common, "title": site.t.redirect,
                "target_url": site.base_url + target,
                "target_rel": "../../" + target}).encode("utf-8")
        planned.append(Planned(path, key, render, in_sitemap=False))
    return planned


def series_page(site: Site, series: SeriesSettings, ordered: list[Entry],
                cards: dict[str, Card]) -> Planned:
    """A page per newsletter or course: description, subscribe link, all its issues."""
    items = [cards[e.rel] for e in ordered]
    if series.kind != "course":
        items.reverse()  # newsletters: newest first, as in the index
    path = f"{series.slug}/index.html"
    key = site.key("series", series.slug, *(c.digest for c in items))

    def render() -> bytes:
        return site.page("series.html", path, series.title, series.description,
                         {"series": series, "items": items},
                         series_feed=f"{site.base_url}{series.slug}/feed.xml",
                         series_feed_title=series.title)
    return Planned(path, key, render, lastmod=max((c.iso for c in items), default=""))


def index_pages(site: Site, cards: list[Card]) -> list[Planned]:
    """All issues newest first, grouped by year and newsletter, PAGE_SIZE per page."""
    count = max(1, -(-len(cards) // PAGE_SIZE))
    planned = []
    for number in range(1, count + 1):
        items = cards[(number - 1) * PAGE_SIZE: number * PAGE_SIZE]
        path = "index.html" if number == 1 else f"page/{number}/index.html"
        key = site.key("index", str(number), str(count), *(c.digest for c in items))
        planned.append(Planned(path, key, _index_renderer(site, path, number, count, items),
                               lastmod=max((c.iso for c in items), default="")))
    return planned


def _page_path(number: int) -> str:
    return "" if number == 1 else f"page/{number}/"


def _index_renderer(site: Site, path: str, number: int, count: int,
                    items: list[Card]) -> Callable[[], bytes]:
    def render() -> bytes:
        rel = "../" * path.count("/")
        years: list[dict[str, Any]] = []
        for card in items:
            year = card.iso[:4]
            if not years or years[-1]["year"] != year:
                years.append({"year": year, "groups": []})
            groups = years[-1]["groups"]
            if not groups or groups[-1]["slug"] != card.series:
                groups.append({"slug": card.series, "title": card.series_title, "items": []})
            groups[-1]["items"].append(card)
        pager = {"number": number, "count": count,
                 "newer": (rel + _page_path(number - 1) or "./") if number > 1 else "",
                 "older": rel + _page_path(number + 1) if number < count else ""}
        heading = site.t.all_issues
        if number > 1:
            heading = f"{heading} — {site.t.page} {number}"
        return site.page("index.html", path, heading, site.settings.site.description,
                         {"years": years, "pager": pager,
                          "series_cards": site.settings.series},
                         prev_url=site.base_url + _page_path(number - 1) if number > 1 else "",
                         next_url=site.base_url + _page_path(number + 1)
                         if number < count else "")
    return render


def fixed_pages(site: Site) -> list[Planned]:
    """The 404 page and the search page."""
    def not_found() -> bytes:
        # served for any missing path: its links cannot be relative to where the visitor
        # is, so they start from the site's own path (base_url without the host)
        return site.page("404.html", "404.html", site.t.page_not_found, "", {},
                         rel=urlsplit(site.base_url).path, robots="noindex")

    tags = sorted(((name, slug) for slug, name in site.tag_names.items()),
                  key=lambda tag: (tag[0].casefold(), tag[1]))

    def search() -> bytes:
        return site.page("search.html", "search/index.html", site.t.search, "",
                         {"tags": tags, "has_index": site.issue_count > 0}, robots="noindex")

    return [Planned("404.html", site.key("404"), not_found, in_sitemap=False),
            Planned("search/index.html", site.key("search", str(site.issue_count > 0),
                                                  *(f"{n}\x1f{s}" for n, s in tags)),
                    search, in_sitemap=False)]


def tag_pages(site: Site, tags: dict[str, Tag], cards: dict[str, Card]) -> list[Planned]:
    """``tags/``: every tag with its number of issues; ``tags/<slug>/``: a tag's issues."""
    planned = []
    listed = [{"name": tag.name, "slug": tag.slug, "count": len(tag.paths)}
              for tag in tags.values()]
    index_key = site.key("tags", *(f"{t['slug']}\x1f{t['name']}\x1f{t['count']}"
                                   for t in listed))

    def index() -> bytes:
        return site.page("tags.html", "tags/index.html", site.t.tags, "", {"tags": listed})
    newest = max((c.iso for c in cards.values()), default="")
    planned.append(Planned("tags/index.html", index_key, index, lastmod=newest))
    for tag in tags.values():
        items = [cards[path] for path in tag.paths]
        path = f"tags/{tag.slug}/index.html"
        key = site.key("tag", tag.slug, tag.name, *(c.digest for c in items))

        def render(tag: Tag = tag, items: list[Card] = items, path: str = path) -> bytes:
            heading = f"{site.t.tag}: {tag.name}"
            return site.page("tag.html", path, heading, "", {"tag": tag, "items": items})
        planned.append(Planned(path, key, render, lastmod=max(c.iso for c in items)))
    return planned
