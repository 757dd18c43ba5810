"""Operating-system failures as one line: ``path: what happened; what to do``.

A read-only ledger, a full disk, a file where a folder should be: the author needs the path,
the cause in words and the fix, never a traceback. Used where publisher writes its state
(ledger, delivery logs, course store, outbox) and, as a last resort, by the CLI.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from publisher.errors import PublisherError

#: errno -> (what happened, what to do)
_ADVICE: dict[int, tuple[str, str]] = {
    errno.EROFS: ("the file system is read-only", "run where the newsletter folder is "
                                                  "writable, or remount it read-write"),
    errno.EACCES: ("permission denied", "make it writable for this user (chmod/chown)"),
    errno.EPERM: ("operation not permitted", "make it writable for this user (chmod/chown)"),
    errno.ENOSPC: ("no space left on the disk", "free some space, then run the same command "
                                                "again"),
    errno.EDQUOT: ("the disk quota is exhausted", "free some space, then run the same command "
                                                  "again"),
    errno.ENOTDIR: ("a file is where a folder should be", "move that file away (publisher "
                                                          "needs a folder there)"),
    errno.EEXIST: ("a file is where a folder should be", "move that file away (publisher "
                                                         "needs a folder there)"),
    errno.EISDIR: ("a folder is where a file should be", "move that folder away"),
    errno.ENOENT: ("no such file or folder", "check the path in newsletter.yaml"),
    errno.EIO: ("input/output error", "check the disk"),
}


class OsFailure(PublisherError):
    """An operating-system failure, already in words: one line, exit code 1."""


def describe(exc: OSError, path: Path | str | None = None, root: Path | None = None) -> str:
    """``path: what happened; what to do`` for ``exc``."""
    where = path if path is not None else exc.filename
    what, todo = _ADVICE.get(exc.errno or -1, (exc.strerror or type(exc).__name__,
                                               "check the path and run again"))
    shown = _relative(where, root) if where is not None else "publisher"
    return f"{shown}: {what}; {todo}"


def os_failure(exc: OSError, path: Path | str | None = None,
               root: Path | None = None) -> OsFailure:
    return OsFailure(describe(exc, path, root))


def sqlite_failure(exc: sqlite3.Error, path: Path, root: Path | None = None) -> OsFailure:
    """SQLite reports OS trouble in its own words; map the common ones to ours.

    Its messages are vague ("unable to open database file", "disk I/O error"), so the file
    system holding ``path`` is asked whether it is read-only or full.
    """
    text = str(exc).lower()
    code = _file_system_state(path)
    if code is None:
        if "readonly" in text or "read-only" in text:
            code = errno.EROFS
        elif "disk is full" in text:
            code = errno.ENOSPC
        elif "unable to open" in text:
            code = errno.EACCES
        else:
            return OsFailure(f"{_relative(path, root)}: {exc}; check the file and run again")
    return os_failure(OSError(code, ""), path, root)


def _file_system_state(path: Path) -> int | None:
    """EROFS / ENOSPC when the file system holding ``path`` is read-only / full (POSIX)."""
    folder = path if path.is_dir() else path.parent
    try:
        stats = os.statvfs(folder)
    except (OSError, AttributeError):  # Windows has no statvfs
        return None
    if stats.f_flag & os.ST_RDONLY:
        return errno.EROFS
    if stats.f_bavail == 0:
        return errno.ENOSPC
    return None


def _relative(path: Path | str, root: Path | None) -> str:
    if root is not None:
        try:
            return str(Path(path).resolve().relative_to(root.resolve()))
        except (ValueError, OSError):
            pass
    return str(path)
