"""One process at a time in a newsletter folder, on Linux, macOS and Windows.

The lock is an exclusive transaction on a small SQLite file (the way the course store has
always locked its runs), not ``fcntl.flock``, which Windows lacks. It needs no dependency,
SQLite implements it on every platform (POSIX locks, ``LockFileEx`` on Windows), two
connections in one process exclude each other as two processes do, and the operating system
drops it when the process ends however it ends, so a killed send leaves no stale lock.
Nothing is ever written to the file: it stays an empty database.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path


class FolderLock:
    """``acquire()`` (never waits: False when another process holds it) and ``release()``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None

    @property
    def held(self) -> bool:
        return self._db is not None

    def acquire(self) -> bool:
        """Take the lock now, or return False when someone else has it."""
        if self._db is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(2):
            db = sqlite3.connect(self.path, timeout=0, isolation_level=None,
                                 check_same_thread=False)
            try:
                db.execute("BEGIN EXCLUSIVE")
            except sqlite3.OperationalError:  # SQLITE_BUSY: held by another connection
                db.close()
                return False
            except sqlite3.DatabaseError:
                # not a database: a lock file from before (an empty file is fine, but a
                # file something else wrote is not); nobody can hold such a file through
                # SQLite, so replacing it takes nothing away from anyone
                db.close()
                if attempt:
                    raise
                self.path.unlink(missing_ok=True)
                continue
            self._db = db
            return True
        return False  # pragma: no cover (the loop returns or raises)

    def release(self) -> None:
        """Give the lock back (safe to call twice)."""
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            self._db.close()
            self._db = None

    def __enter__(self) -> FolderLock:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (for folders named after the build that made them).

    Not ``os.kill(pid, 0)`` everywhere: on Windows ``os.kill`` with any signal but Ctrl-C or
    Ctrl-Break *terminates* the process, so there the process is asked about with
    OpenProcess/GetExitCodeProcess instead.
    """
    if os.name == "nt":  # pragma: no cover (CI is Linux)
        return _windows_process_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _windows_process_alive(pid: int) -> bool:  # pragma: no cover (CI is Linux)
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    query_limited_information, still_active, access_denied = 0x1000, 259, 5
    handle = kernel32.OpenProcess(query_limited_information, False, pid)
    if not handle:
        return ctypes.get_last_error() == access_denied  # type: ignore[attr-defined]
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == still_active
    finally:
        kernel32.CloseHandle(handle)
