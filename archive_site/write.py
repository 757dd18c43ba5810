"""Last stage: the new files are written beside the site, then swapped in.

Every file of a build goes into a staging folder next to the output folder
(``.<name>.building-<pid>``); nothing in the output folder changes until every page has
rendered. Then:

* a **full** build (first build, ``incremental=False``, or after an interrupted commit)
  holds the whole site in staging and replaces the output folder with two renames;
* an **incremental** build stages only the files whose bytes changed and moves them in one by
  one (each ``os.replace`` is atomic), then deletes the files no longer produced.

A build that fails before the commit removes its staging folder and leaves the previous site
exactly as it was. A commit interrupted half-way (power cut) leaves a marker; the next build
notices it and rebuilds in full.

Every path a build writes, moves or deletes goes through :func:`inside`: a relative path of
plain names that, resolved, stays inside its root. A path made from hostile input (a slug
``../../www`` in a hand-edited slug map, a stale cache record) stops the build before the
commit, and deleting and pruning never leave the output folder.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path, PurePosixPath, PureWindowsPath

from archive_site.cache import OutputRecord, sha
from publisher.errors import PublisherError
from publisher.oslock import process_alive

SITE_MARKER = ".publisher-site"  # says "publisher built this folder; it may replace it"
NAME_MAX = 255  # bytes in one file name, on every common file system

log = logging.getLogger(__name__)


class OutsideError(PublisherError):
    """A path of the build would leave its output folder (the build stops before writing)."""


def inside(root: Path, relative: str, *, links: bool = True) -> Path:
    """``root / relative``, when ``relative`` is plain names that stay inside ``root``.

    Raises OutsideError for an absolute path, a drive, ``..``, ``.``, an empty or too long
    name, a NUL or a backslash (a separator on Windows), or (``links``) a symbolic link on
    the way that leads out. The staging folder is our own and holds no links, so its paths
    skip the file-system look-ups (``links=False``).
    """
    why = path_problem(relative)
    if why is None:
        target = root / relative
        if not links or target.resolve().is_relative_to(root.resolve()):
            return target
        why = "it leads outside the folder"
    raise OutsideError.at(root, None, f"refusing to write {relative!r}: {why}; the build "
                          "stopped before changing anything")


def path_problem(relative: str) -> str | None:
    """Why ``relative`` is not a safe relative path of plain names (or None)."""
    if not relative or "\0" in relative or "\\" in relative:
        return "not a plain relative path"
    if PurePosixPath(relative).is_absolute() or PureWindowsPath(relative).anchor:
        return "it is an absolute path"
    for name in relative.split("/"):
        if name in ("", ".", ".."):
            return f"it has a {name or 'empty'!r} part"
        if len(name.encode("utf-8", "surrogateescape")) > NAME_MAX:
            return f"a name is longer than {NAME_MAX} bytes"
    return None


def make_parent(target: str, made: set[str]) -> None:
    """Create the folder of ``target`` (a str path with ``/``) unless ``made`` says it was;
    a tree of thousands of pages then costs one mkdir call per folder, not per file."""
    parent = target.rpartition("/")[0]
    if parent not in made:
        os.makedirs(parent, exist_ok=True)
        made.add(parent)


class Staging:
    """Collects a build's files beside ``out_dir``; ``commit()`` makes them the site."""

    def __init__(self, out_dir: Path, previous: dict[str, OutputRecord], *, full: bool) -> None:
        self.out = out_dir
        self._out = os.fspath(out_dir)  # str paths: at 5,000 pages pathlib costs show
        self.previous = previous
        self.full = full
        self.dir = out_dir.parent / f".{out_dir.name}.building-{os.getpid()}"
        self._dir = os.fspath(self.dir)
        self._made: set[str] = set()  # folders of the staging tree already created
        self.outputs: dict[str, OutputRecord] = {}
        self.staged: list[str] = []
        _remove_stale(out_dir)
        _check_replaceable(out_dir)
        self.dir.mkdir(parents=True)

    @property
    def marker(self) -> Path:
        return self.out.parent / f".{self.out.name}.committing"

    def unchanged(self, path: str, key: str) -> bool:
        """True (and the file is kept) when the last build made ``path`` from ``key``."""
        if self.full:
            return False
        record = self.previous.get(path)
        if record is None or record.key != key:
            return False
        try:
            if os.stat(f"{self._out}/{path}").st_size != record.size:
                return False
        except FileNotFoundError:
            return False
        self.outputs[path] = record
        return True

    def keep(self, path: str) -> bool:
        """Keep the last build's ``path`` as it is; False if it is not there to keep."""
        record = self.previous.get(path)
        if self.full or record is None or not os.path.isfile(f"{self._out}/{path}"):
            return False
        self.outputs[path] = record
        return True

    def put(self, path: str, key: str, data: bytes) -> bool:
        """Stage ``data`` for ``path`` unless the site already has these bytes; True if staged."""
        digest = sha(data)
        record = OutputRecord(key, digest, len(data))
        self.outputs[path] = record
        before = self.previous.get(path)
        if not self.full and before is not None and before.hash == digest and \
                os.path.isfile(f"{self._out}/{path}"):
            return False
        with open(self._target(path), "wb") as handle:
            handle.write(data)
        self.staged.append(path)
        return True

    def copy(self, path: str, key: str, source: Path) -> bool:
        """Stage a copy of ``source`` (an image) for ``path`` unless it is unchanged."""
        if self.unchanged(path, key):
            return False
        target = self._target(path)
        shutil.copyfile(source, target)
        self.outputs[path] = OutputRecord(key, key, os.stat(target).st_size)
        self.staged.append(path)
        return True

    def _target(self, path: str) -> str:
        """Where ``path`` goes in the staging folder, its folder made: :func:`inside`'s check
        (the staging tree is our own, so no links to follow) on str paths, each folder made
        once (10,000 pages: pathlib and repeated mkdir calls were 0.5 s of a build)."""
        if path_problem(path) is not None:
            inside(self.dir, path, links=False)  # raises, saying why
        target = f"{self._dir}/{path}"
        make_parent(target, self._made)
        return target

    def commit(self) -> list[str]:
        """Make the staged files the site; returns the paths removed from it.

        A marker beside the site says a commit is under way until :meth:`finish` (called
        once the cache knows the new site): a build interrupted in between is followed by a
        full one, never by one trusting a half-written record.
        """
        gone = [path for path in sorted(set(self.previous) - set(self.outputs))
                if _deletable(path)] if not self.full else []
        swap = self.full or not self.out.exists()
        # all checked (links on the way included), then moved; a swap moves the folder whole
        targets = [] if swap else [inside(self.out, path) for path in self.staged]
        (self.dir / SITE_MARKER).write_text("Built by `publisher build`; it replaces this "
                                            "folder on every full build.\n", encoding="utf-8",
                                            newline="\n")  # the same bytes on every OS
        self.marker.write_text("", encoding="utf-8")
        if swap:
            self._swap()
            return gone
        for path, target in zip(self.staged, targets):
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.dir / path, target)
        for path in gone:
            try:
                target = inside(self.out, path)
            except OutsideError:
                log.warning("not removing %r: outside %s", path, self.out)
                continue
            target.unlink(missing_ok=True)
            _prune(self.out, target.parent)
        if not (self.out / SITE_MARKER).exists():
            os.replace(self.dir / SITE_MARKER, self.out / SITE_MARKER)
        shutil.rmtree(self.dir)
        return gone

    def finish(self) -> None:
        """The build is recorded: the next one may trust it."""
        self.marker.unlink(missing_ok=True)

    def _swap(self) -> None:
        trash = self.out.parent / f".{self.out.name}.old-{os.getpid()}"
        if self.out.exists():
            os.rename(self.out, trash)
        os.rename(self.dir, self.out)
        if trash.exists():
            shutil.rmtree(trash)

    def discard(self) -> None:
        """Forget this build (it failed): the site stays as it was."""
        shutil.rmtree(self.dir, ignore_errors=True)


def interrupted(out_dir: Path) -> bool:
    """True when a commit into ``out_dir`` did not finish (the next build must be full)."""
    return (out_dir.parent / f".{out_dir.name}.committing").exists()


def _remove_stale(out_dir: Path) -> None:
    """Staging folders of builds that crashed or were killed (their pid is gone)."""
    if not out_dir.parent.is_dir():
        return
    for prefix in (f".{out_dir.name}.building-", f".{out_dir.name}.old-"):
        for path in out_dir.parent.glob(prefix + "*"):
            pid = path.name.rsplit("-", 1)[-1]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # a folder of ours from an earlier build in this process
    return process_alive(pid)  # not os.kill(pid, 0): on Windows that kills the process


def _check_replaceable(out_dir: Path) -> None:
    """Refuse to replace a folder that publisher did not build (it may hold someone's files)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise PublisherError.at(out_dir, None, "exists and is not a folder; choose another "
                                "--out")
    if out_dir.is_dir() and not (out_dir / SITE_MARKER).exists() and any(out_dir.iterdir()):
        raise PublisherError.at(out_dir, None, "is not empty and was not built by publisher; "
                                "choose another --out or empty the folder")


def _deletable(path: str) -> bool:
    """A file of the last build (a cache record) that may be removed: a plain relative path."""
    if path_problem(path) is None:
        return True
    log.warning("not removing %r: not a plain path inside the site (a stale record)", path)
    return False


def _prune(root: Path, folder: Path) -> None:
    """Remove folders left empty by deleted pages, up to (never including) the site root,
    and never one outside it."""
    base = root.resolve()
    folder = folder.resolve()
    while folder != base and folder.is_relative_to(base) and folder.is_dir() and \
            not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
