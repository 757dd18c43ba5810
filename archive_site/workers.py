"""Both cores for the expensive steps: parsing changed files and converting Markdown.

Markdown conversion is most of a cold build, and it is CPU-bound Python, so it runs in
worker processes. The project is handed to each worker once (``initializer``), not with
every job. Small batches run inline: starting processes costs more than a few renders,
and an incremental rebuild must stay well under half a second.

Portable: the pool uses the platform's default start method (``spawn`` on Windows and
macOS), so the jobs are module-level functions and the project is pickled to each worker;
nothing relies on a forked copy of the parent. Only where the default is ``fork`` and the
parent runs threads (``publisher serve``) does it ask for ``forkserver`` (or ``spawn``)
instead: forking a threaded process can copy a held lock into the child.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from publisher.config import Project

#: below this many jobs, run inline (a forked pool starts in a few milliseconds)
MIN_PARALLEL = 48
#: the same where workers are spawned (Windows, macOS) and each imports publisher again,
#: about 0.9 s of start-up: bench/bench_portable.py measured the spawned pool against one
#: process at 1.73x the time for 100 issues, 1.14x for 250, 1.12x for 500 and 0.89x for 1,000
MIN_PARALLEL_SPAWN = 700

_project: Project | None = None


def cpu_count() -> int:
    """The CPUs this process may use: ``os.process_cpu_count()`` (Python 3.13+), else the
    affinity mask where the platform has one (Linux), else ``os.cpu_count()`` (macOS,
    Windows)."""
    counter = getattr(os, "process_cpu_count", None)
    if counter is not None:
        return counter() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def pool_context() -> multiprocessing.context.BaseContext:
    """The default start method, except ``fork`` in a process that runs threads."""
    method = multiprocessing.get_start_method()
    if method == "fork" and threading.active_count() > 1:
        available = multiprocessing.get_all_start_methods()
        method = "forkserver" if "forkserver" in available else "spawn"
    return multiprocessing.get_context(method)


def min_parallel(context: multiprocessing.context.BaseContext | None) -> int:
    """How many jobs make a new pool of ``context`` pay (None: the pool is running)."""
    if context is None:
        return MIN_PARALLEL
    return MIN_PARALLEL if context.get_start_method() == "fork" else MIN_PARALLEL_SPAWN


def _init(project: Project) -> None:
    global _project
    _project = project


def _init_worker(project: Project) -> None:
    """A pool worker's start: Ctrl-C reaches the whole process group, but only the parent
    acts on it (it terminates the pool); a worker that also raised KeyboardInterrupt would
    print a traceback of its own for every process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _init(project)


def current_project() -> Project:
    """The project of this build, in the parent or in a worker."""
    if _project is None:
        raise RuntimeError("workers.current_project() called outside a build")
    return _project


class Workers:
    """A lazily started process pool; ``with Workers(project, jobs) as workers:``."""

    def __init__(self, project: Project, jobs: int | None = None) -> None:
        self.project = project
        self.jobs = max(1, jobs or cpu_count())
        self._pool: Any = None
        _init(project)

    def map(self, job: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        """``job`` over ``items``, results in any order."""
        items = list(items)
        context = pool_context() if self._pool is None else None
        if self.jobs == 1 or len(items) < min_parallel(context):
            return map(job, items)
        if self._pool is None:
            self._pool = (context or pool_context()).Pool(self.jobs, initializer=_init_worker,
                                                          initargs=(self.project,))
        chunk = max(1, min(64, len(items) // (self.jobs * 8)))
        return self._pool.imap_unordered(job, items, chunksize=chunk)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if exc_info[0] is not None and self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
        self.close()
