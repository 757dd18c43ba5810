"""Stage 1 of the archive: which issues the site shows, found with as little work as possible.

An issue file whose mtime and size match the cache is not opened; one whose bytes hash the
same is not parsed; only new or edited files go through :func:`publisher.load.load_issue`
(in worker processes when there are many). Every problem of every file is reported at once,
as ``publisher check`` does, before anything is written.

Only issues that were sent (the ledger) or say ``status: published`` are shown; drafts never.
Issue URLs stay stable: ``.publisher/slugs.json`` remembers the first slug of each issue
(series + number); without a ``slug`` in front matter that first slug is kept when the title
changes, and when front matter changes the slug, the old URLs get redirect pages.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from archive_site.cache import Cache, FileRecord, sha
from archive_site.workers import current_project
from publisher.config import Project, slug_problem
from publisher.errors import IssueError, Location, Problem, PublisherError
from publisher.jsonfile import line_of, parse_json
from publisher.load import _duplicates, load_issue, split_front_matter
from publisher.models import Issue
from publisher.render.typography import RussianTypographer

SLUG_MAP = "slugs.json"
RACY_NS = 2_000_000_000  # file systems with whole-second timestamps (FAT: 2 s)
FINE_RACY_NS = 100_000_000  # nanosecond timestamps still move in clock ticks (~4 ms)
#: a function that maps a job over items, in worker processes or inline
Mapper = Callable[[Callable, Iterable], Iterable]


@dataclass(frozen=True)
class Entry:
    """One issue the site shows: its metadata (no body) and where its rendered body is."""

    issue: Issue  # with the effective (stable) slug and an empty body
    rel: str  # file path relative to the project root, posix
    body_key: str
    meta_terms: str  # search stems of title and preheader
    title_typeset: str  # title with language typography
    old_slugs: tuple[str, ...]  # earlier slugs that redirect here


@dataclass(frozen=True)
class Collection:
    """Everything the later stages need to know about the issues, newest first."""

    entries: tuple[Entry, ...]
    dirty: dict[str, FileRecord]  # records the cache must store (new, edited, touched files)
    gone: tuple[str, ...]  # files the cache knew that no longer exist
    slug_map: dict[str, list[str]] | None  # to save after the build; None: unchanged


def body_fingerprint(project: Project, versions: str) -> str:
    """What, besides the Markdown itself, shapes an issue's body HTML."""
    settings = project.settings
    return sha("\0".join((versions, settings.site.base_url, str(settings.typography),
                          settings.site.language, str(settings.site.safe_html))))


def parse_job(rel: str) -> tuple[str, FileRecord | None, list[Problem]]:
    """Read and parse one issue file (runs in a worker process)."""
    project = current_project()
    path = project.root / rel
    display = Path(rel)  # rel is the cache's posix key; messages show the platform's form
    try:
        seen = time.time_ns()
        stat = path.stat()
        data = path.read_bytes()
        issue = load_issue(path, project)
        _, body, body_line = split_front_matter(data.decode("utf-8"), display)
    except PublisherError as exc:
        return rel, None, exc.problems or [Problem(Location(display), str(exc))]
    # the body's own hash; the render cache key adds the renderer's fingerprint to it
    body_sha = sha("\0".join((rel, str(body_line), body)))
    stripped = dataclasses.replace(issue, body="")
    record = FileRecord(stat.st_mtime_ns, stat.st_size, seen, sha(data), stripped, body_sha,
                        "",  # meta_terms: search is Pagefind's now (search.py)
                        RussianTypographer()(issue.title))
    return rel, record, []


def collect(project: Project, cache: Cache, *, fingerprint: str, mapper: Mapper) -> Collection:
    """Find, parse (when changed) and filter the issues; raise IssueError listing all problems."""
    root = project.root
    known = cache.files(root)
    records: dict[str, FileRecord] = {}
    dirty: dict[str, FileRecord] = {}
    to_parse: list[str] = []
    for rel, stat in _scan(project):
        record = known.get(rel)
        # an edit within the same clock tick as our last read keeps mtime and maybe size
        # ("racy" in git's words): such files are compared by content
        racy = record is not None and \
            record.mtime_ns >= record.seen_ns - _racy_window(record.mtime_ns)
        if record is not None and not racy and \
                (record.mtime_ns, record.size) == (stat.st_mtime_ns, stat.st_size):
            records[rel] = record
        elif record is not None and record.size == stat.st_size and \
                sha((root / rel).read_bytes()) == record.sha:
            # touched, not changed: remember the new mtime and reuse the parse
            records[rel] = dirty[rel] = dataclasses.replace(
                record, mtime_ns=stat.st_mtime_ns, seen_ns=time.time_ns())
        else:
            to_parse.append(rel)

    problems: list[Problem] = []
    for rel, record, found in mapper(parse_job, to_parse):
        if record is None:
            problems.extend(found)
        else:
            records[rel] = dirty[rel] = record
    if _has_duplicates(records.values()):
        problems.extend(_duplicates([r.issue for r in records.values()], project))
    if problems:
        raise IssueError(problems=sorted(problems, key=lambda p: (str(p.location.path),
                                                                   p.location.line or 0)))

    slug_map = load_slug_map(project)
    slugs_changed = False
    sent = sent_keys(project)
    entries = []
    for rel, record in records.items():
        issue = record.issue
        slugs = slug_map.setdefault(f"{issue.series}/{issue.number}", [])
        slug = issue.slug if issue.line_of("slug") is not None or not slugs else slugs[0]
        if slug not in slugs:
            slugs.append(slug)
            slugs_changed = True
        if not _published(issue, slugs, sent):
            continue
        if slug != issue.slug:
            issue = dataclasses.replace(issue, slug=slug)
        entries.append(Entry(issue=issue, rel=rel,
                             body_key=sha(fingerprint + record.body_sha),
                             meta_terms=record.meta_terms,
                             title_typeset=record.title_typeset,
                             old_slugs=tuple(s for s in slugs if s != slug)))
    _check_urls(entries, project)
    entries.sort(key=lambda e: (e.issue.date, e.issue.series, e.issue.number), reverse=True)
    return Collection(entries=tuple(entries), dirty=dirty,
                      gone=tuple(sorted(set(known) - set(records))),
                      slug_map=slug_map if slugs_changed else None)


def _racy_window(mtime_ns: int) -> int:
    """How close to our read an edit may have come unseen, by the timestamps' resolution."""
    return RACY_NS if mtime_ns % 1_000_000_000 == 0 else FINE_RACY_NS


def _check_urls(entries: list[Entry], project: Project) -> None:
    """Two issues at one URL: possible when a kept first slug equals another issue's slug."""
    owner: dict[tuple[str, str], Entry] = {}
    problems = []
    for entry in sorted(entries, key=lambda e: e.rel):
        key = (entry.issue.series, entry.issue.slug)
        if key in owner:
            problems.append(Problem(
                Location(entry.rel, entry.issue.line_of("slug") or entry.issue.line_of("title")),
                f"the page {entry.issue.series}/{entry.issue.slug}/ already belongs to "
                f"{owner[key].rel} (its first slug is kept for stable links); set another "
                "'slug' in front matter"))
        else:
            owner[key] = entry
    if problems:
        raise IssueError(problems=problems)


def _has_duplicates(records: Iterable[FileRecord]) -> bool:
    """A quick look for a repeated slug or number in a series (the report is load.py's)."""
    seen: set[tuple[str, str, object]] = set()
    for record in records:
        issue = record.issue
        for key in ((issue.series, "slug", issue.slug), (issue.series, "number", issue.number)):
            if key in seen:
                return True
            seen.add(key)
    return False


def _scan(project: Project) -> list[tuple[str, os.stat_result]]:
    """Every ``*.md`` under issues/ with its stat, as root-relative posix paths, sorted.

    The same files as :func:`publisher.load.issue_files`, found with ``os.scandir`` (one
    system call per file, no Path objects): at 5,000 issues this is most of a no-op build.
    """
    base = os.fspath(project.issues_dir)
    prefix = project.issues_dir.relative_to(project.root).as_posix() \
        if project.issues_dir.is_relative_to(project.root) else "issues"
    found: list[tuple[str, os.stat_result]] = []
    stack = [(base, prefix)]
    while stack:
        folder, rel_folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            rel = f"{rel_folder}/{entry.name}"
            if entry.is_dir():
                stack.append((entry.path, rel))
            elif entry.name.endswith(".md") and entry.is_file():
                found.append((rel, entry.stat()))
    found.sort()
    return found


def _published(issue: Issue, slugs: list[str], sent: set[str]) -> bool:
    if issue.status == "draft":
        return False
    if issue.status == "published":
        return True
    return any(f"{issue.series}/{slug}" in sent for slug in {issue.slug, *slugs})


def sent_keys(project: Project) -> set[str]:
    """Keys (series/slug) of the issues the ledger records as sent."""
    # imported here to keep a build's start-up light; never guarded by ``except
    # ImportError``: an import that fails on some platform must fail the build loudly, not
    # leave every sent issue out of the archive
    from publisher.ledger import sent_issue_keys

    return set(sent_issue_keys(project))


def load_slug_map(project: Project) -> dict[str, list[str]]:
    """The first and earlier slugs of each issue (``series/number``), every entry checked.

    The file is committed, so anyone may have written it: each slug is a folder name in the
    site, and one such as ``../../www`` would send pages (and later deletions) outside the
    output folder. Every entry must follow the front-matter rules, or the build stops here.
    """
    path = project.state_dir / SLUG_MAP
    if not path.is_file():
        return {}
    display = project.relative(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise IssueError.at(display, None, f"unreadable slug map (not UTF-8 at byte "
                            f"{exc.start}); {_SLUG_MAP_FIX}") from None
    data = parse_json(text, display, error=IssueError, what=f"slug map ({_SLUG_MAP_FIX})")
    if not isinstance(data, dict):
        raise IssueError.at(display, 1, "slug map must be a JSON object of "
                            '"series/number": ["slug", ...]')
    problems: list[Problem] = []
    out: dict[str, list[str]] = {}
    for key, slugs in data.items():
        series, _, number = key.partition("/")
        if slug_problem(series) or not number.isdigit() or not number.isascii():
            problems.append(Problem(Location(display, line_of(text, key)),
                                    f"slug map key {key!r} must be 'series/number'"))
            continue
        if not isinstance(slugs, list) or not slugs:
            problems.append(Problem(Location(display, line_of(text, key)),
                                    f"{key}: must be a list of slugs, got {slugs!r}"))
            continue
        for slug in slugs:
            why = slug_problem(slug) if isinstance(slug, str) else "must be text"
            if why:
                problems.append(Problem(Location(display, line_of(text, slug) or
                                                 line_of(text, key)),
                                        f"{key}: slug {why}"))
        out[key] = slugs
    if problems:
        raise IssueError(problems=problems, hint=f"The build stopped before writing; "
                                                 f"{_SLUG_MAP_FIX}.")
    return out


_SLUG_MAP_FIX = "fix it or delete it to start afresh (old URLs then lose their redirects)"


def save_slug_map(project: Project, slug_map: dict[str, list[str]]) -> None:
    """Write the slug map (only after a successful build), atomically."""
    path = project.state_dir / SLUG_MAP
    text = json.dumps(dict(sorted(slug_map.items())), ensure_ascii=False, indent=1) + "\n"
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}")
    temp.write_text(text, encoding="utf-8", newline="\n")  # the same bytes on every OS (git)
    os.replace(temp, path)
