"""The build cache: what the last builds learnt, so the next one repeats no work.

One SQLite file (``.publisher/cache/archive.sqlite`` unless a ``cache_dir`` is given) holds
three tables:

* ``files``: per issue file its mtime, size and content hash, and the parsed Issue (body
  left out), so an unchanged file is neither read nor parsed again (mtime+size, then hash);
* ``bodies``: rendered body HTML, search terms and local images, keyed by a hash of the
  Markdown *and* of everything that shapes its HTML (renderer code, Markdown version, base
  URL, typography); a key never goes stale, it simply stops being asked for;
* ``outputs``: per output folder, each written file's input key, content hash and size, so
  a page whose inputs did not change is neither rendered nor written.

SQLite rather than a pile of pickles: one file, atomic transactions, cheap point lookups, and
the body HTML of 5,000 issues never has to sit in memory at once.

The cache is always safe to delete, so a corrupt one (a crash of the disk, a half-copied
folder, someone's editor) is deleted: :func:`discard` logs one warning and the build starts
from an empty cache (``Cache`` does it when the file does not open; ``build()`` when a query
fails half-way).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import marshal
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from publisher.config import Project
from publisher.models import Issue

T = TypeVar("T")

SCHEMA_VERSION = 5  # bump whenever a stored format changes
CACHE_FILE = "archive.sqlite"

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL,
    seen_ns INTEGER NOT NULL,
    sha TEXT NOT NULL, issue BLOB NOT NULL, body_sha TEXT NOT NULL, meta_terms TEXT NOT NULL,
    title_typeset TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bodies (
    key TEXT PRIMARY KEY, html TEXT NOT NULL, terms TEXT NOT NULL, images TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS bodies_with_images ON bodies(key) WHERE images != '';
CREATE TABLE IF NOT EXISTS outputs (
    site TEXT NOT NULL, path TEXT NOT NULL, key TEXT NOT NULL, hash TEXT NOT NULL,
    size INTEGER NOT NULL, PRIMARY KEY (site, path));
CREATE TABLE IF NOT EXISTS search_docs (
    site TEXT NOT NULL, id INTEGER NOT NULL, path TEXT NOT NULL, sig TEXT NOT NULL,
    terms TEXT NOT NULL, PRIMARY KEY (site, id));
"""


@dataclass(frozen=True)
class FileRecord:
    """What the cache knows about one issue file."""

    mtime_ns: int
    size: int
    seen_ns: int  # when the file was read: an edit in the same clock tick needs a hash
    sha: str
    issue: Issue  # body emptied: bodies are read from disk only when they must be rendered
    body_sha: str  # hash of the Markdown body (and of its place in the file and folder)
    meta_terms: str  # search stems of title and preheader
    title_typeset: str  # the title with language typography (used when it is on)


@dataclass(frozen=True)
class CachedBody:
    """A rendered issue body as the archive uses it."""

    html: str
    terms: str  # space-separated search stems
    images: tuple[str, ...]  # local images, paths relative to issues/ (posix)


@dataclass(frozen=True)
class OutputRecord:
    """One file of the last committed build of a site folder."""

    key: str
    hash: str
    size: int


def discard(directory: Path, reason: BaseException) -> None:
    """Delete a corrupt cache file (and its journal), saying so once; the next open is empty."""
    log.warning("the build cache %s was unreadable (%s); it is rebuilt from the issues",
                directory / CACHE_FILE, reason)
    for suffix in ("", "-wal", "-shm", "-journal"):
        (directory / (CACHE_FILE + suffix)).unlink(missing_ok=True)


def default_cache_dir(project: Project) -> Path:
    return project.state_dir / "cache"


def site_name(project: Project, out_dir: Path) -> str:
    """How the cache names an output folder: relative to the newsletter folder when inside it,
    so a moved or copied folder keeps building incrementally."""
    out = out_dir.resolve()
    try:
        return out.relative_to(project.root.resolve()).as_posix()
    except ValueError:
        return str(out)


def sha(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _pack(issue: Issue) -> bytes:
    """An Issue without its path (the row's key) and body, as marshal data: at 5,000 issues,
    loading these is a good part of a no-op build, and marshal is several times faster than
    unpickling dataclasses holding dates and Paths."""
    return marshal.dumps((
        issue.title, issue.date.toordinal(), issue.series, issue.number, issue.slug,
        issue.body_line, issue.preheader, issue.status, issue.tags, issue.lesson,
        issue.delay.total_seconds() if issue.delay is not None else None, issue.field_lines))


def _unpack(path: Path, data: bytes) -> Issue:
    (title, date, series, number, slug, body_line, preheader, status, tags, lesson, delay,
     field_lines) = marshal.loads(data)
    return Issue(path=path, title=title, date=dt.date.fromordinal(date), series=series,
                 number=number, slug=slug, body="", body_line=body_line, preheader=preheader,
                 status=status, tags=tags, lesson=lesson,
                 delay=dt.timedelta(seconds=delay) if delay is not None else None,
                 field_lines=field_lines)


class SameObjects(Generic[T]):
    """Values made from objects the last build saw, handed out again while the object is the
    very same one: ``publisher serve`` builds after every save, and :meth:`Cache.files` gives
    out the same Issue objects while a file is unchanged.

    Each build starts a round (:meth:`start`); what it does not ask for again is dropped, and
    the objects are held, so an id never stands for another object while it is recorded. A
    new ``scope`` (what every value also depends on, such as the site's settings) forgets
    everything.
    """

    def __init__(self) -> None:
        self._scope: object = None
        self._last: dict[int, tuple[object, T]] = {}
        self._now: dict[int, tuple[object, T]] = {}

    def start(self, scope: object = None) -> None:
        self._last = self._now if scope == self._scope else {}
        self._scope, self._now = scope, {}

    def get(self, source: object, make: Callable[[], T]) -> T:
        kept = self._now.get(id(source)) or self._last.get(id(source))
        if kept is None or kept[0] is not source:
            kept = (source, make())
        self._now[id(source)] = kept
        return kept[1]


#: per cache file, the files table this process read or wrote last: (generation, root, rows)
_FILES_MEMO: dict[str, tuple[str, str, dict[str, FileRecord]]] = {}


class Cache:
    """The SQLite cache; open it with ``with Cache(dir) as cache:``."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / CACHE_FILE
        self._prefetched: dict[str, str] = {}
        try:
            self._open()
        except sqlite3.DatabaseError as exc:
            if hasattr(self, "db"):
                self.db.close()
            discard(directory, exc)
            self._open()

    def _open(self) -> None:
        self.reconnect()
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        row = self.db.execute("SELECT value FROM meta WHERE name='schema'").fetchone()
        if row is None or row[0] != str(SCHEMA_VERSION):
            self.db.executescript("DROP TABLE files; DROP TABLE bodies; DROP TABLE outputs; "
                                  "DROP TABLE search_docs; "
                                  "DELETE FROM meta WHERE name = 'files_generation';")
            self.db.executescript(_SCHEMA)
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)",
                            (str(SCHEMA_VERSION),))

    def reconnect(self) -> None:
        """A new connection (in a forked process: the parent's must not be used there).

        The inherited connection is kept referenced, never closed: closing it in the child
        could release or checkpoint what belongs to the parent.
        """
        if hasattr(self, "db"):
            self._inherited = self.db
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- issue files ----------------------------------------------------------------------

    def files(self, root: Path) -> dict[str, FileRecord]:
        """Every known issue file, by path relative to the project root ``root``.

        ``publisher serve`` builds again after every save in one process: the table it read
        or wrote last is kept in memory with the table's generation (a random token every
        write sets), and handed out again while the generation is the same, saving the read
        of 5,000 rows (0.1 s of a 0.4 s rebuild). Another process's build changes the token.
        """
        with self.db:
            self.db.execute("BEGIN")  # the token and the rows from one snapshot
            generation = self._files_generation()
            memo = _FILES_MEMO.get(str(self.path))
            if generation and memo is not None and memo[:2] == (generation, str(root)):
                return dict(memo[2])
            out = {}
            for path, mtime_ns, size, seen_ns, digest, issue, body_sha, meta_terms, title in \
                    self.db.execute("SELECT path, mtime_ns, size, seen_ns, sha, issue, "
                                    "body_sha, meta_terms, title_typeset FROM files"):
                try:
                    record = FileRecord(mtime_ns, size, seen_ns, digest,
                                        _unpack(root / path, issue), body_sha, meta_terms,
                                        title)
                except (ValueError, EOFError, TypeError, IndexError):
                    continue  # unreadable (another publisher version?): parsed again
                out[path] = record
        if generation:
            _FILES_MEMO[str(self.path)] = (generation, str(root), dict(out))
        return out

    def put_files(self, records: dict[str, FileRecord], gone: list[str]) -> None:
        generation = os.urandom(8).hex()
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            before = self._files_generation()
            self.db.executemany(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(path, r.mtime_ns, r.size, r.seen_ns, r.sha, _pack(r.issue),
                  r.body_sha, r.meta_terms, r.title_typeset) for path, r in records.items()])
            self.db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in gone])
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('files_generation', ?)",
                            (generation,))
        memo = _FILES_MEMO.pop(str(self.path), None)
        if memo is not None and before and memo[0] == before:  # ours is the only change
            table = {**memo[2], **records}
            for path in gone:
                table.pop(path, None)
            _FILES_MEMO[str(self.path)] = (generation, memo[1], table)

    def _files_generation(self) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE name='files_generation'").fetchone()
        return row[0] if row else None

    # --- bodies ---------------------------------------------------------------------------

    def missing_bodies(self, keys: list[str]) -> set[str]:
        have = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            have.update(row[0] for row in self.db.execute(
                f"SELECT key FROM bodies WHERE key IN ({marks})", chunk))
        return set(keys) - have

    def prefetch(self, keys: list[str]) -> None:
        """Load these bodies' HTML in one query; :meth:`body` hands each out once."""
        marks = ",".join("?" * len(keys))
        for key, html in self.db.execute(
                f"SELECT key, html FROM bodies WHERE key IN ({marks})", keys):
            self._prefetched[key] = html

    def body_html(self, key: str) -> str:
        """A body's HTML (prefetched or looked up)."""
        html = self._prefetched.pop(key, None)
        if html is not None:
            return html
        return self.body(key).html

    def body(self, key: str) -> CachedBody:
        row = self.db.execute("SELECT html, terms, images FROM bodies WHERE key = ?",
                              (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return CachedBody(row[0], row[1], tuple(filter(None, row[2].split("\n"))))

    def terms(self, keys: list[str]) -> dict[str, str]:
        """Search stems of many bodies at once (no HTML loaded)."""
        out: dict[str, str] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            out.update(self.db.execute(
                f"SELECT key, terms FROM bodies WHERE key IN ({marks})", chunk))
        return out

    def images(self, keys: list[str]) -> dict[str, tuple[str, ...]]:
        """Local images of the bodies ``keys`` (only those that have any).

        Reads the few bodies with images through a partial index instead of looking up
        every key: most issues have no images.
        """
        wanted = set(keys)
        return {key: tuple(filter(None, images.split("\n"))) for key, images in
                self.db.execute("SELECT key, images FROM bodies WHERE images != ''")
                if key in wanted}

    def put_bodies(self, bodies: dict[str, CachedBody]) -> None:
        if not bodies:
            return
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR REPLACE INTO bodies VALUES (?, ?, ?, ?)",
                [(key, b.html, b.terms, "\n".join(b.images)) for key, b in bodies.items()])

    # --- outputs --------------------------------------------------------------------------

    def outputs(self, site: str) -> dict[str, OutputRecord]:
        """The last committed build of ``site`` (see :func:`site_name`)."""
        return {path: OutputRecord(key, digest, size) for path, key, digest, size in
                self.db.execute("SELECT path, key, hash, size FROM outputs WHERE site = ?",
                                (site,))}

    def put_outputs(self, site: str, outputs: dict[str, OutputRecord], *,
                    replace_all: bool, gone: list[str]) -> None:
        name = site
        with self.db:
            self.db.execute("BEGIN")
            if replace_all:
                self.db.execute("DELETE FROM outputs WHERE site = ?", (name,))
            else:
                self.db.executemany("DELETE FROM outputs WHERE site = ? AND path = ?",
                                    [(name, p) for p in gone])
            self.db.executemany("INSERT OR REPLACE INTO outputs VALUES (?, ?, ?, ?, ?)",
                                [(name, p, r.key, r.hash, r.size) for p, r in outputs.items()])


    # --- search documents -----------------------------------------------------------------

    def search_docs(self, site: str) -> list[tuple[str, str]]:
        """(issue path, signature of its stems) of each document of the last build, by id."""
        return list(self.db.execute("SELECT path, sig FROM search_docs WHERE site = ? "
                                    "ORDER BY id", (site,)))

    def search_terms(self, site: str, ids: list[int]) -> dict[int, str]:
        """The stems the last build indexed for documents ``ids``."""
        out: dict[int, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            out.update(self.db.execute(
                f"SELECT id, terms FROM search_docs WHERE site = ? AND id IN ({marks})",
                [site, *chunk]))
        return out

    def put_search_docs(self, site: str, docs: list[tuple[str, str, str]],
                        changed: list[int] | None) -> None:
        """Store (path, signature, stems) per document; ``changed`` ids only, or all (None)."""
        with self.db:
            self.db.execute("BEGIN")
            if changed is None:
                self.db.execute("DELETE FROM search_docs WHERE site = ?", (site,))
                changed = list(range(len(docs)))
            self.db.executemany("INSERT OR REPLACE INTO search_docs VALUES (?, ?, ?, ?, ?)",
                                [(site, i, *docs[i]) for i in changed])
