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
