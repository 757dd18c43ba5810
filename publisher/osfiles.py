"""Durable appends on every platform: the three calls the ledger makes that differ.

* ``os.open`` on Windows opens in text mode unless ``O_BINARY`` is given, and then every
  ``os.write`` turns ``\\n`` into ``\\r\\n``: :data:`APPEND` asks for binary.
* ``os.fdatasync`` does not exist on macOS or Windows: :func:`datasync` falls back to
  ``os.fsync`` (the same guarantee plus the metadata).
* A directory cannot be opened (let alone fsynced) on Windows, where NTFS journals the new
  directory entry itself: :func:`fsync_dir` does what the platform allows.
"""

from __future__ import annotations

import os
from pathlib import Path

#: flags of an append-only log file: create if missing, never truncate, binary everywhere
APPEND = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)


def datasync(fd: int) -> None:
    """Make the file's data durable (``fdatasync`` where it exists, else ``fsync``)."""
    sync = getattr(os, "fdatasync", None) or os.fsync
    sync(fd)


def fsync_dir(path: Path) -> None:
    """Make a new entry in ``path`` durable where the platform can open a directory."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except PermissionError:  # Windows: directories cannot be opened; NTFS journals entries
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
