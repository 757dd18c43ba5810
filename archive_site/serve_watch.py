"""Which source files changed: OS file events (watchfiles), or polling as the fallback.

``publisher serve`` rebuilds when an issue, a template or ``newsletter.yaml`` changes. OS
events (watchfiles: the Rust ``notify`` crate) report a save within a few milliseconds, where
a 0.3 s poll costs on average 0.15 s of waiting. Polling ``stat()`` stays as the fallback:
it works on network and container file systems where events get lost, where the inotify
limit is reached, and when the author asks (``serve --poll``, WATCHFILES_FORCE_POLLING);
a pass costs about 10 ms for 5,000 files.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

Snapshot = dict[Path, tuple[int, int]]  # path -> (mtime_ns, size)


def _ignored(path: Path) -> bool:
    """Editor droppings never trigger a build: hidden files and vim's swap files (``.x.swp``),
    backups (``x~``), Emacs locks (``.#x``, ``#x#``), vim's write test (``4913``), Kate's
    ``x.kate-swp``, JetBrains' ``x___jb_tmp___`` and ``*.tmp``."""
    name = path.name
    return (name.startswith((".", "#")) or name == "4913"
            or name.endswith(("~", ".swp", ".swx", ".swo", ".tmp", ".kate-swp",
                              "___jb_tmp___", "___jb_old___")))


def snapshot(roots: Iterable[Path], skip: tuple[Path, ...] = ()) -> Snapshot:
    """mtime and size of every file under ``roots`` (files or folders; missing ones skipped).

    Files under ``skip`` (the output folder, should it sit inside a watched folder) are left
    out, or every build would trigger the next.
    """
    found: Snapshot = {}
    for root in roots:
        candidates = root.rglob("*") if root.is_dir() else [root]
        for path in candidates:
            if _ignored(path) or (skip and any(path.is_relative_to(s) for s in skip)):
                continue
            try:
                stat = path.stat()
            except OSError:  # deleted between listing and stat
                continue
            if path.is_file():
                found[path] = (stat.st_mtime_ns, stat.st_size)
    return found


def changed_paths(before: Snapshot, after: Snapshot) -> list[Path]:
    """Files added, removed or modified between two snapshots, sorted."""
    keys = before.keys() | after.keys()
    return sorted(p for p in keys if before.get(p) != after.get(p))


#: how often a wait for file events looks whether serve is stopping (seconds)
STOP_CHECK = 0.1


def _deadline(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


def _step(interval: float, deadline: float | None) -> float:
    """The next wait: ``interval``, or less when the deadline comes sooner."""
    return interval if deadline is None else max(0.0, min(interval, deadline - time.monotonic()))


def _passed(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline


@dataclass
class Watcher:
    """Remembers the last snapshot of ``roots`` and reports what changed since."""

    roots: tuple[Path, ...]
    settle: float = 0.05  # editors write in bursts (temp file, rename, chmod): wait them out
    skip: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        self._last = snapshot(self.roots, self.skip)

    def poll(self) -> list[Path]:
        """Changed files since the last call; waits until a burst of writes has settled."""
        current = snapshot(self.roots, self.skip)
        changed = changed_paths(self._last, current)
        if changed:
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline:
                time.sleep(self.settle)
                again = snapshot(self.roots, self.skip)
                if again == current:
                    break
                changed = sorted(set(changed) | set(changed_paths(current, again)))
                current = again
        self._last = current
        return changed

    def wait(self, stop: threading.Event, interval: float = 0.3,
             timeout: float | None = None) -> list[Path]:
        """Block until something changed (the changed files) or ``stop`` is set or
        ``timeout`` passed ([])."""
        deadline = _deadline(timeout)
        while not stop.wait(_step(interval, deadline)):
            changed = self.poll()
            if changed or _passed(deadline):
                return changed
        return []

    def close(self) -> None:
        """Nothing to release: polling holds no OS resource."""


class WatchUnavailable(Exception):
    """OS file events cannot be used here (no watchfiles, inotify limit, network drive)."""


#: file systems where the kernel sees no events for changes made by other machines
NETWORK_FS = frozenset({"nfs", "nfs4", "cifs", "smbfs", "smb3", "9p", "fuse.sshfs", "afs",
                        "ncpfs", "fuse.rclone", "davfs", "fuse.davfs2", "virtiofs", "vboxsf",
                        "fuse.vmhgfs-fuse"})


def file_system_type(path: Path, mounts: str | None = None) -> str | None:
    """The type of the file system ``path`` lives on, from /proc/self/mounts (Linux only;
    None elsewhere or when unknown). ``mounts``: that file's text, for tests."""
    if mounts is None:
        try:
            mounts = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    best, kind = -1, None
    target = str(path)
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) > best:
            best, kind = len(point), fields[2]
    return kind


class EventWatcher:
    """OS file events through watchfiles (inotify, FSEvents, ReadDirectoryChangesW).

    Two watches, because a watch on a single file dies when an editor replaces it by rename:
    the project folder itself, not recursively (``newsletter.yaml``, and ``issues/`` or
    ``templates/`` appearing or going), and ``issues/`` and ``templates/`` recursively (made
    again whenever one of them appears or goes). Each thread hands its batches to a queue;
    :meth:`wait` returns everything queued, so a burst (a ``git checkout``) that arrives
    while a build runs becomes one more build, not hundreds.
    """

    def __init__(self, root: Path, folders: tuple[str, ...], files: tuple[str, ...],
                 skip: tuple[Path, ...] = (), *, step_ms: int = 30,
                 debounce_ms: int = 1600) -> None:
        try:
            import watchfiles
        except ImportError as exc:
            raise WatchUnavailable(f"watchfiles is not installed ({exc})") from exc
        self._watchfiles = watchfiles
        self.root = root
        self.folders = folders
        self.files = files
        self.skip = skip
        self.step_ms = step_ms
        self.debounce_ms = debounce_ms
        self._queue: queue.Queue[set[Path] | BaseException] = queue.Queue()
        self._closing = threading.Event()
        self._rewatch = threading.Event()
        self._threads: list[threading.Thread] = []
        self._start()

    # --- what counts -----------------------------------------------------------------------

    def _top_filter(self, change: object, path: str) -> bool:
        name = Path(path).name
        return Path(path).parent == self.root and (name in self.files or name in self.folders)

    def _tree_filter(self, change: object, path: str) -> bool:
        candidate = Path(path)
        if _ignored(candidate) or any(candidate.is_relative_to(s) for s in self.skip):
            return False
        return not any(part.startswith(".") for part in candidate.relative_to(self.root).parts)

    # --- threads ---------------------------------------------------------------------------

    def _start(self) -> None:
        started: queue.Queue[BaseException | None] = queue.Queue()
        for target, name in ((self._watch_top, "serve-watch-top"),
                             (self._watch_tree, "serve-watch-tree")):
            thread = threading.Thread(target=target, args=(started,), name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        for _ in self._threads:
            try:
                problem = started.get(timeout=10)
            except queue.Empty:
                problem = TimeoutError("the file watcher did not start within 10 s")
            if problem is not None:
                self.close()
                raise WatchUnavailable(_describe(problem)) from problem

    def _run(self, paths: list[Path], recursive: bool, flt: Callable[[object, str], bool],
             stop: threading.Event, started: queue.Queue | None) -> None:
        """One watchfiles loop until ``stop``; the first (possibly empty) batch means it is up."""
        for batch in self._watchfiles.watch(
                *paths, watch_filter=flt, debounce=self.debounce_ms, step=self.step_ms,
                stop_event=stop, rust_timeout=200, yield_on_timeout=True,
                raise_interrupt=False, recursive=recursive, force_polling=False):
            if started is not None:
                started.put(None)
                started = None
            changed = {Path(path) for _, path in batch}
            if changed:
                self._queue.put(changed)
                if not recursive:  # issues/ or templates/ came or went: watch them again
                    self._rewatch.set()

    def _watch_top(self, started: queue.Queue) -> None:
        try:
            self._run([self.root], False, self._top_filter, self._closing, started)
        except BaseException as exc:  # noqa: BLE001 (handed to the caller)
            (started if started.empty() and not self._closing.is_set() else self._queue).put(exc)

    def _watch_tree(self, started: queue.Queue | None) -> None:
        while not self._closing.is_set():
            self._rewatch.clear()
            folders = [self.root / f for f in self.folders if (self.root / f).is_dir()]
            try:
                if folders:
                    self._run(folders, True, self._tree_filter, _Either(self._rewatch,
                                                                        self._closing), started)
                elif started is not None:
                    started.put(None)
                started = None
                if not folders:
                    self._rewatch.wait(0.5)
            except BaseException as exc:  # noqa: BLE001 (handed to the caller)
                (started or self._queue).put(exc)
                return

    # --- the caller's side -----------------------------------------------------------------

    def wait(self, stop: threading.Event, interval: float = 0.1,
             timeout: float | None = None) -> list[Path]:
        """Block until something changed (the changed files, sorted) or ``stop`` is set or
        ``timeout`` passed ([]).

        ``interval`` is :meth:`Watcher.wait`'s (the same call serves both watchers): events
        arrive as they happen, so it is not used; ``stop`` is looked at every
        :data:`STOP_CHECK` seconds. Raises WatchUnavailable when a watch broke after
        starting (the caller falls back to polling)."""
        deadline = _deadline(timeout)
        while not stop.is_set():
            try:
                first = self._queue.get(timeout=_step(STOP_CHECK, deadline))
            except queue.Empty:
                if _passed(deadline):
                    return []
                continue
            changed: set[Path] = set()
            for item in [first, *_drain(self._queue)]:
                if isinstance(item, BaseException):
                    raise WatchUnavailable(_describe(item)) from item
                changed |= item
            return sorted(changed)
        return []

    def close(self) -> None:
        """Stop both watches and wait for their threads (each notices within 0.2 s)."""
        self._closing.set()
        self._rewatch.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()


class _Either:
    """Set when either event is (watchfiles asks only ``is_set()``)."""

    def __init__(self, *events: threading.Event) -> None:
        self.events = events

    def is_set(self) -> bool:
        return any(event.is_set() for event in self.events)


def _drain(q: queue.Queue) -> list:
    items = []
    while True:
        try:
            items.append(q.get_nowait())
        except queue.Empty:
            return items


def _describe(problem: BaseException) -> str:
    text = str(problem) or type(problem).__name__
    if "watch limit" in text.lower() or getattr(problem, "errno", None) == 28:
        text += " (raise fs.inotify.max_user_watches, or close other watchers)"
    return text


def force_polling_requested(environ: dict[str, str] | None = None) -> bool:
    """WATCHFILES_FORCE_POLLING, as watchfiles reads it: set and not empty/0/false."""
    value = (os.environ if environ is None else environ).get("WATCHFILES_FORCE_POLLING")
    return value is not None and value.strip().lower() not in ("", "0", "false", "no")


def open_watcher(root: Path, folders: tuple[str, ...], files: tuple[str, ...],
                 skip: tuple[Path, ...] = (), *, poll: bool = False,
                 mounts: str | None = None) -> tuple[EventWatcher | Watcher, str | None]:
    """OS events where they work, else the stat() poller, with the one-line reason why."""
    root = root.resolve()
    reason = None
    if poll:
        reason = "--poll given"
    elif force_polling_requested():
        reason = "WATCHFILES_FORCE_POLLING is set"
    elif (kind := file_system_type(root, mounts)) in NETWORK_FS:
        reason = f"{root} is on a network file system ({kind}) where file events get lost"
    if reason is None:
        try:
            return EventWatcher(root, folders, files, skip), None
        except WatchUnavailable as exc:
            reason = f"file events unavailable: {exc}"
    roots = tuple(root / name for name in (*folders, *files))
    return Watcher(roots, skip=skip), f"Watching by polling every 0.3 s ({reason})."
