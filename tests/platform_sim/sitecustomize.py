"""Linux made to look like Windows/macOS where publisher's code could tell the difference.

Put this folder first on ``PYTHONPATH`` and every Python process started with it (the test
run, the CLI in a subprocess, and every multiprocessing worker, which inherit the
environment) starts with:

* no ``os.sched_getaffinity`` (macOS and Windows lack it);
* ``spawn`` as the only multiprocessing start method: the default context is spawn and the
  ``fork`` and ``forkserver`` contexts are gone (Windows), so ``get_context("fork")`` raises
  ``ValueError`` as it does there, and ``os.fork`` is gone too;
* ``import fcntl`` raising ``ModuleNotFoundError`` (Windows);
* no ``os.fdatasync`` (macOS and Windows lack it);
* Windows' low-level files: ``os.open`` of a directory raises ``PermissionError`` (so no
  directory fsync), and a file opened with ``os.open`` without ``os.O_BINARY`` is in text
  mode, so ``os.write`` turns each ``\n`` into ``\r\n`` as the C runtime does there;
* Windows' text files: ``open``/``Path.write_text`` in a text write mode without
  ``newline=`` write ``\r\n`` for each ``\n`` (``os.linesep`` there).

``scripts/test`` runs the end-to-end tests a second time with it
(``PUBLISHER_PLATFORM_SIM`` is set to say so); README.md, "Tests", tells more.
"""

from __future__ import annotations

import importlib.abc
import multiprocessing.context as _mp_context
import os
import sys

BLOCKED = frozenset({"fcntl"})


class _Blocker(importlib.abc.MetaPathFinder):
    """Refuses the modules a Windows Python does not have."""

    def find_spec(self, fullname, path=None, target=None):  # type: ignore[no-untyped-def]
        if fullname in BLOCKED:
            raise ModuleNotFoundError(f"No module named {fullname!r} (platform simulation)",
                                      name=fullname)
        return None


def _windows_files() -> None:
    """os.open/os.write/os.close with the Windows C runtime's two surprises."""
    real_open, real_write, real_close = os.open, os.write, os.close
    binary = 0x8000  # Windows' O_BINARY; on Linux x86-64 the same bit is O_LARGEFILE
    #: fd -> (device, inode) of the file opened in text mode; checked on each write, since an
    #: fd closed by other means (a file object's close) is reused, e.g. for a pipe
    text_fds: dict[int, tuple[int, int]] = {}

    def open_(path, flags, mode=0o777, *, dir_fd=None):  # type: ignore[no-untyped-def]
        if os.path.isdir(path if dir_fd is None else os.path.join(str(dir_fd), path)):
            raise PermissionError(13, "Permission denied (platform simulation: a directory "
                                      "cannot be opened on Windows)", os.fspath(path))
        fd = real_open(path, flags & ~binary, mode, dir_fd=dir_fd)
        if not flags & binary:
            stat = os.fstat(fd)
            text_fds[fd] = (stat.st_dev, stat.st_ino)
        return fd

    def write(fd, data):  # type: ignore[no-untyped-def]
        if fd in text_fds:
            try:
                stat = os.fstat(fd)
                same = (stat.st_dev, stat.st_ino) == text_fds[fd]
            except OSError:
                same = False
            if same:
                data = bytes(data).replace(b"\n", b"\r\n")
            else:
                text_fds.pop(fd, None)
        return real_write(fd, data)

    def close(fd):  # type: ignore[no-untyped-def]
        text_fds.pop(fd, None)
        return real_close(fd)

    os.O_BINARY = binary  # type: ignore[attr-defined]
    os.open, os.write, os.close = open_, write, close
    import shutil

    shutil._use_fd_functions = False  # as on Windows: rmtree by path, not by directory fds


def _windows_text_files() -> None:
    """Text files written with the platform's line ending, as on Windows."""
    import builtins
    import io

    real_open = io.open

    def open_(file, mode="r", buffering=-1, encoding=None, errors=None, newline=None,  # type: ignore[no-untyped-def]
              closefd=True, opener=None):
        if newline is None and "b" not in mode and any(c in mode for c in "wax+"):
            newline = "\r\n"
        return real_open(file, mode, buffering, encoding, errors, newline, closefd, opener)

    io.open = builtins.open = open_  # type: ignore[assignment]


def _simulate() -> None:
    for name in BLOCKED:
        sys.modules.pop(name, None)
    sys.meta_path.insert(0, _Blocker())
    _windows_files()
    _windows_text_files()
    for name in ("sched_getaffinity", "sched_setaffinity", "fork", "fdatasync"):
        if hasattr(os, name):
            delattr(os, name)
    contexts = _mp_context._concrete_contexts
    for method in ("fork", "forkserver"):
        contexts.pop(method, None)
    spawn = contexts["spawn"]
    _mp_context._default_context = _mp_context.DefaultContext(spawn)
    _mp_context.DefaultContext.get_all_start_methods = lambda self: ["spawn"]  # type: ignore[method-assign]
    import multiprocessing

    # the module-level helpers were bound to the old default context at import
    for name in ("get_context", "get_start_method", "set_start_method",
                 "get_all_start_methods", "Pool", "Process", "Pipe", "Queue"):
        if hasattr(multiprocessing, name):
            setattr(multiprocessing, name, getattr(_mp_context._default_context, name))
    os.environ["PUBLISHER_PLATFORM_SIM"] = "1"


_simulate()
