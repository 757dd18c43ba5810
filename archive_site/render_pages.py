"""Rendering the planned pages, on every core when there are many.

Pages are closures over the build's state (Site, cards, cache), which cannot be pickled, so
the extra workers are forked processes that inherit it. Each renders an interleaved share of
the pages into the staging folder (different files, no locking needed) and sends back what it
wrote; the parent renders its own share meanwhile. A worker opens its own SQLite connection
(a connection must not cross a fork). If a worker fails, its share is rendered again here,
so the error is raised with its ordinary ``path:line`` message.

Forking is used only where it is the platform's default start method (Linux up to Python
3.13) and the process runs no threads (``publisher serve`` does): Windows has no ``fork``,
and on macOS a forked child of a process that loaded the system frameworks can crash, which
is why Python defaults to ``spawn`` there. Everywhere else the pages render in one process,
byte for byte the same site (tests/platform_sim proves it).
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable

from archive_site.cache import Cache, OutputRecord
from archive_site.pages import Planned
from archive_site.write import Staging

#: below this many pages to render, one process is faster than forking
MIN_PARALLEL = 400
BATCH = 200

Progress = Callable[[str, int, int], None]


def render_planned(staging: Staging, planned: list[Planned], cache: Cache, *, jobs: int,
                   progress: Progress | None = None) -> tuple[int, int]:
    """Render and stage the pages whose key changed; returns (written, skipped)."""
    todo = [page for page in planned if not staging.unchanged(page.path, page.key)]
    skipped = len(planned) - len(todo)
    if jobs > 1 and len(todo) >= MIN_PARALLEL and can_fork():
        return _parallel(staging, todo, cache, jobs, progress), skipped
    return _render(staging, todo, cache, progress), skipped


def can_fork() -> bool:
    """Whether forking this process is the platform's own choice and safe (no threads)."""
    return threading.active_count() == 1 and \
        multiprocessing.get_start_method(allow_none=True) in (None, "fork") and \
        multiprocessing.get_all_start_methods()[0] == "fork"


def _render(staging: Staging, pages: list[Planned], cache: Cache,
            progress: Progress | None) -> int:
    written = 0
    for start in range(0, len(pages), BATCH):
        batch = pages[start:start + BATCH]
        cache.prefetch([page.body_key for page in batch if page.body_key])
        for page in batch:
            written += staging.put(page.path, page.key, page.render())
        if progress is not None:
            progress("pages", min(start + BATCH, len(pages)), len(pages))
    return written


def _parallel(staging: Staging, todo: list[Planned], cache: Cache, jobs: int,
              progress: Progress | None) -> int:
    context = multiprocessing.get_context("fork")
    shares = [todo[i::jobs] for i in range(jobs)]
    workers = []
    for share in shares[1:]:
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_worker, args=(staging, share, cache, sender),
                                  daemon=True)
        process.start()
        sender.close()
        workers.append((process, receiver, share))
    written = _render(staging, shares[0], cache, progress)
    for process, receiver, share in workers:
        try:
            result = receiver.recv()
        except EOFError:  # the worker died without a word
            result = None
        finally:
            receiver.close()
        process.join()
        if result is None:
            written += _render(staging, share, cache, None)  # raises the real error here
            continue
        outputs, staged = result
        staging.outputs.update(outputs)
        staging.staged.extend(staged)
        written += len(staged)
    return written


def _worker(staging: Staging, pages: list[Planned], cache: Cache, sender) -> None:  # type: ignore[no-untyped-def]
    """In a forked process: render ``pages``, send back (outputs, staged) or None."""
    result: tuple[dict[str, OutputRecord], list[str]] | None = None
    try:
        cache.reconnect()
        staging.outputs.clear()
        staging.staged.clear()
        _render(staging, pages, cache, None)
        result = (dict(staging.outputs), list(staging.staged))
    except BaseException:  # reported by rendering the share again in the parent
        result = None
    finally:
        sender.send(result)
        sender.close()
        cache.close()
