"""``build()``: the archive site from the issues, top to bottom.

collect -> render bodies (cache) -> issue pages -> series pages -> index (+pagination)
-> feeds -> sitemap/robots/404 -> search index -> assets -> atomic swap.

Nothing is written into the output folder before every page has rendered (write.py), so a
build that fails on a bad issue or template reports ``path:line`` problems and leaves the
previous site as it was. Every page is planned with a key of its inputs; a page whose key
did not change since the last build is neither rendered nor written (pages.py), and a body
whose Markdown did not change is never converted again (cache.py).
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import jinja2
import markdown

import archive_site
import publisher
from publisher import urls
from archive_site import aliases, feed, pages, search, tags
from archive_site.bodies import render_bodies
from archive_site.cache import Cache, SameObjects, default_cache_dir, discard, sha, site_name
from archive_site.collect import Entry, body_fingerprint, collect, save_slug_map
from archive_site.pages import Card, Planned, Site
from archive_site.render_pages import render_planned
from archive_site.workers import Workers
from archive_site.write import Staging, interrupted
from publisher.config import Project
from publisher.errors import ConfigError
from publisher.render import environment, template_dirs

#: progress(stage, done, total): called while a long stage runs
Progress = Callable[[str, int, int], None]

_HERE = Path(__file__).resolve().parent
_PUBLISHER = Path(publisher.__file__).resolve().parent
#: source files whose code shapes a body's HTML
_BODY_CODE = (*sorted((_PUBLISHER / "render").glob("*.py")), _HERE / "bodies.py")
#: source files whose code shapes the pages around the bodies
_SITE_CODE = (_HERE / "pages.py", _HERE / "feed.py", _HERE / "build.py", _HERE / "aliases.py",
              _HERE / "tags.py",
              _PUBLISHER / "i18n.py", _PUBLISHER / "urls.py")


@dataclass(frozen=True)
class BuildReport:
    """What a build did: ``publisher build`` prints :attr:`summary`."""

    out_dir: Path
    issues: int  # issues on the site
    pages_written: int  # files written (changed bytes)
    pages_skipped: int  # files left as they were
    bodies_rendered: int  # Markdown conversions (cache misses)
    removed: int  # files deleted because nothing produces them any more
    seconds: float
    full: bool  # True when the whole folder was replaced

    @property
    def summary(self) -> str:
        return (f"Built {self.out_dir}: {self.issues} issues, {self.pages_written} files "
                f"written, {self.pages_skipped} unchanged, {self.bodies_rendered} rendered "
                f"in {self.seconds:.2f} s")


def build(project: Project, out_dir: Path, *, progress: Progress | None = None,
          incremental: bool = True, cache_dir: Path | None = None,
          jobs: int | None = None, search: bool = True) -> BuildReport:
    """Build (or update) the archive site in ``out_dir``; raise PublisherError on bad input.

    ``search=False`` (``publisher serve``, right after a save) keeps the last Pagefind
    bundle instead of running Pagefind, the slowest stage by far (2 s of 2.7 s at 1,000
    issues): the edited page is on disk that much sooner, and serve builds again with the
    search index once no more saves are waiting. Without a bundle to keep it indexes anyway.

    A cache that turns out corrupt half-way is discarded and the build made again, in full
    (nothing was committed: the staging folder went with the failed attempt).
    """
    cache_dir = cache_dir or default_cache_dir(project)
    try:
        return _build(project, out_dir, progress=progress, incremental=incremental,
                      cache_dir=cache_dir, jobs=jobs, search=search)
    except sqlite3.DatabaseError as exc:
        discard(cache_dir, exc)
        return _build(project, out_dir, progress=progress, incremental=False,
                      cache_dir=cache_dir, jobs=jobs, search=True)


def _build(project: Project, out_dir: Path, *, progress: Progress | None, incremental: bool,
           cache_dir: Path, jobs: int | None, search: bool = True) -> BuildReport:
    started = time.perf_counter()
    out_dir = Path(out_dir)
    _check_series_slugs(project)
    _prepare_templates(project, cache_dir)
    body_fp = body_fingerprint(project, _files_hash(_BODY_CODE) + markdown.__version__)
    with Cache(cache_dir) as cache:
        with Workers(project, jobs) as workers:
            # collect: parse only new or edited files; every problem is reported at once
            collection = collect(project, cache, fingerprint=body_fp, mapper=workers.map)
            cache.put_files(collection.dirty, list(collection.gone))
            entries = list(collection.entries)
            # render bodies the cache lacks (both cores when there are many)
            rendered = render_bodies(collection.entries, cache, workers.map, progress)

        site_key = site_name(project, out_dir)
        previous = cache.outputs(site_key)
        full = not incremental or not previous or not out_dir.is_dir() or interrupted(out_dir)
        staging = Staging(out_dir, previous, full=full)
        try:
            site = Site(project, _site_fingerprint(project),
                        asset_version=_static_version(project))
            tag_index = tags.group((e.issue, f"{e.issue.series}/{e.issue.slug}/")
                                   for e in entries)
            site.tag_names = {slug: tag.name for slug, tag in tag_index.items()}
            site.issue_count = len(entries)
            cards = _cards(site, entries)
            counts = _Counts()
            # issue pages -> series pages -> index -> feeds -> 404 and search page
            planned = _plan_pages(project, site, entries, cards, cache, tag_index)
            written, skipped = render_planned(staging, planned, cache, jobs=workers.jobs,
                                              progress=progress)
            counts.written += written
            counts.skipped += skipped
            _write_files(staging, _sitemap_and_robots(site, planned), counts)
            # the mirror is named by a hash: an output folder outside the newsletter is named
            # by its absolute path, which joined as is would make the mirror the output itself
            if search or not _keep_search(staging, counts):
                _write_search(project, staging, planned,
                              cache_dir / "search" / sha(site_key)[:16], counts,
                              clean=not incremental)
            _copy_assets(project, staging, entries, cache, counts)
            _write_static(project, staging, counts)
            # the swap: nothing in out_dir changed before this line
            removed = staging.commit()
        except BaseException:
            staging.discard()
            raise
        # an incremental build records only what changed (5,000 issues: 10,000 rows a save)
        cache.put_outputs(site_key, staging.outputs if full else
                          {path: record for path, record in staging.outputs.items()
                           if previous.get(path) != record},
                          replace_all=full, gone=removed)
        staging.finish()
    if collection.slug_map is not None:
        save_slug_map(project, collection.slug_map)
    aliases.write_elsewhere(project, aliases.elsewhere(project, entries, urls.base(project)))
    return BuildReport(out_dir=out_dir, issues=len(entries), pages_written=counts.written,
                       pages_skipped=counts.skipped, bodies_rendered=rendered,
                       removed=len(removed), seconds=time.perf_counter() - started, full=full)


def _plan_pages(project: Project, site: Site, entries: list[Entry], cards: dict[str, Card],
                cache: Cache, tag_index: dict[str, tags.Tag]) -> list[Planned]:
    """Every HTML page and feed with its input key, in the order they are rendered."""
    by_series = {s.slug: pages.series_order([e for e in entries if e.issue.series == s.slug])
                 for s in project.settings.series}
    planned: list[Planned] = []
    for series in project.settings.series:
        planned += pages.issue_pages(site, series, by_series[series.slug], cards, cache)
    taken = {page.path for page in planned}  # redirects never replace a real page
    for entry in entries:
        planned += pages.redirect_pages(site, entry, taken)
    planned += aliases.alias_pages(site, entries, taken)  # old URLs of imported issues
    for series in project.settings.series:
        planned.append(pages.series_page(site, series, by_series[series.slug], cards))
    planned += pages.index_pages(site, [cards[e.rel] for e in entries])
    planned += pages.tag_pages(site, tag_index, {c.path: c for c in cards.values()})
    planned += feed.feeds(site, entries, cards, cache)
    planned += pages.fixed_pages(site)
    return planned


#: the cards of the last build in this process (``publisher serve`` builds after every save)
_CARDS: SameObjects[Card] = SameObjects()


def _cards(site: Site, entries: list[Entry]) -> dict[str, Card]:
    """Every entry's card, reusing the last build's where nothing it shows can differ.

    A card is a function of its issue (the typeset title comes from the same parse) and the
    site (settings, templates, tag names): an unchanged issue is recognised by its Issue
    object (cache.SameObjects), and any change of the site makes every card again. At 5,000
    issues this saves a tenth of a second of each save-to-page rebuild.
    """
    _CARDS.start((site.fingerprint, tuple(sorted(site.tag_names.items()))))
    return {entry.rel: _CARDS.get(entry.issue, lambda entry=entry: site.card(entry))
            for entry in entries}


@dataclass
class _Counts:
    written: int = 0
    skipped: int = 0

    def add(self, written: bool) -> None:
        if written:
            self.written += 1
        else:
            self.skipped += 1


def _write_files(staging: Staging, files: dict[str, bytes], counts: _Counts) -> None:
    for path, data in files.items():
        counts.add(staging.put(path, sha(data), data))


def _write_search(project: Project, staging: Staging, planned: list[Planned],
                  mirror: Path, counts: _Counts, *, clean: bool) -> None:
    """The Pagefind bundle under ``pagefind/``, made from every issue page.

    The index is a function of the issue pages' bytes (and Pagefind's version): when none
    changed, the last bundle is kept without running Pagefind. Otherwise the mirror of the
    issue pages is brought up to date (changed pages come from the staging folder, the
    others are already there) and indexed whole: Pagefind has no incremental mode, but it
    reuses the unchanged fragments of its last bundle (search.build_index). ``clean``
    (``build --clean``) forgets the mirror and the bundle; a full build that only lost the
    output folder keeps them, since they are checked against the pages' hashes.
    """
    pages = [page.path for page in planned if page.searchable]
    if not pages:
        return  # nothing to index (Pagefind refuses an empty site); the search page says so
    hashes = [staging.outputs[path].hash for path in pages]
    key = sha("\0".join((search.INDEX_VERSION, search.version(), project.settings.site.language,
                         *(f"{p}\x1f{h}" for p, h in zip(pages, hashes)))))
    entry = "pagefind/pagefind-entry.json"
    if staging.unchanged(entry, key) and _keep_search(staging, counts):
        return
    staged = set(staging.staged)
    sources = [(path, digest, (staging.dir if path in staged else staging.out) / path)
               for path, digest in zip(pages, hashes)]
    if clean:
        search.clear(mirror)
        search.clear(mirror.with_name(mirror.name + ".bundle"))
    search.sync_mirror(mirror, sources)
    files = search.build_index(mirror, project.settings.site.language, key)
    for path, data in files.items():
        counts.add(staging.put(path, key if path == entry else sha(data), data))


def _keep_search(staging: Staging, counts: _Counts) -> bool:
    """Keep the last Pagefind bundle as it is; False when there is none whole to keep."""
    kept = [path for path in staging.previous if path.startswith("pagefind/")]
    if "pagefind/pagefind-entry.json" not in kept or not all(map(staging.keep, kept)):
        return False
    counts.skipped += len(kept)
    return True


def _sitemap_and_robots(site: Site, planned: list[Planned]) -> dict[str, bytes]:
    """sitemap.xml lists every indexable page; robots.txt points to it."""
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for page in planned:
        if not page.in_sitemap or not page.path.endswith("index.html"):
            continue
        url = escape(site.base_url + page.path[: -len("index.html")])
        lastmod = f"<lastmod>{page.lastmod}</lastmod>" if page.lastmod else ""
        lines.append(f"<url><loc>{url}</loc>{lastmod}</url>")
    lines.append("</urlset>\n")
    robots = f"User-agent: *\nAllow: /\n\nSitemap: {site.base_url}sitemap.xml\n"
    return {"sitemap.xml": "\n".join(lines).encode("utf-8"),
            "robots.txt": robots.encode("utf-8")}


def _copy_assets(project: Project, staging: Staging, entries: list[Entry], cache: Cache,
                 counts: _Counts) -> None:
    """Images of published issues, under assets/ as the body HTML addresses them."""
    wanted = sorted({image for images in cache.images([e.body_key for e in entries]).values()
                     for image in images})
    for image in wanted:
        source = project.issues_dir / image
        try:
            stat = source.stat()
        except FileNotFoundError:
            continue  # `publisher check` reports missing images; the page shows alt text
        key = f"{stat.st_mtime_ns}:{stat.st_size}"
        counts.add(staging.copy(f"assets/{image}", key, source))


def _static_files(project: Project) -> dict[str, Path]:
    """archive.css and search.js: the folder's own templates/archive/ first."""
    found: dict[str, Path] = {}
    for directory in reversed(template_dirs(project)):
        for name in ("archive.css", "search.js"):
            path = directory / "archive" / name
            if path.is_file():
                found[name] = path
    return found


def _static_data(project: Project) -> dict[str, bytes]:
    """The stylesheet and script as published: line ends made LF, so a Windows checkout
    (git's autocrlf) and a Linux CI build publish the same bytes."""
    return {name: path.read_bytes().replace(b"\r\n", b"\n")
            for name, path in sorted(_static_files(project).items())}


def _write_static(project: Project, staging: Staging, counts: _Counts) -> None:
    for name, data in _static_data(project).items():
        counts.add(staging.put(f"static/{name}", sha(data), data))


def _static_version(project: Project) -> str:
    """Cache-busting suffix for the stylesheet and script links: of their content only (not
    where the folder is), so every machine's build links the same version and a deploy from
    another machine does not re-upload every page."""
    digest = hashlib.blake2b(digest_size=16)
    for name, data in _static_data(project).items():
        digest.update(name.encode() + b"\0" + data + b"\0")
    return digest.hexdigest()[:10]


def _site_fingerprint(project: Project) -> str:
    """Everything every page depends on: templates, the settings pages show, code versions."""
    settings = project.settings
    templates = sorted(p for d in template_dirs(project) if (d / "archive").is_dir()
                       for p in (d / "archive").iterdir() if p.is_file())
    return sha("\0".join((
        archive_site.BUILDER_VERSION, publisher.__version__, jinja2.__version__,
        _files_hash(_SITE_CODE), _files_hash(templates),
        repr((settings.site, settings.navigation, settings.library, settings.footer,
              settings.series, settings.typography)))))


def _files_hash(paths) -> str:  # type: ignore[no-untyped-def]
    digest = hashlib.blake2b(digest_size=16)
    for path in paths:
        digest.update(str(path).encode() + b"\0" + Path(path).read_bytes() + b"\0")
    return digest.hexdigest()


def _prepare_templates(project: Project, cache_dir: Path) -> None:
    """Compiled templates kept on disk between builds; in-process caches start afresh.

    Jinja's in-memory cache only notices edits of the file it loaded, not a new override
    placed earlier in the search path (templates/archive/ in the folder), so it is cleared;
    the bytecode cache checks each template's source, so it stays correct and saves the
    compile (~0.1 s) in every new process.
    """
    env = environment(project)
    if env.cache is not None:
        env.cache.clear()
    folder = cache_dir / "jinja"
    folder.mkdir(parents=True, exist_ok=True)  # again each build: the cache may be deleted
    current = env.bytecode_cache
    if not isinstance(current, jinja2.FileSystemBytecodeCache) or \
            current.directory != str(folder):
        env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))


def _check_series_slugs(project: Project) -> None:
    """A series slug must not take a name the site itself uses."""
    for index, series in enumerate(project.settings.series):
        if series.slug in pages.RESERVED:
            line = project.lines.line(f"series[{index}].slug")
            raise ConfigError.at(project.relative(project.config_path), line,
                                 f"series[{index}].slug: {series.slug!r} is used by the "
                                 f"archive site itself ({', '.join(pages.RESERVED[:4])}); "
                                 "choose another slug")
