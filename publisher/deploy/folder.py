"""The folder target: the site copied into another folder (any static host, a mounted share).

Each file is written beside its final name and renamed over it (``os.replace`` is atomic on
every system), so a reader of the folder sees the old file or the new one, never half.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from publisher.deploy.manifest import MANIFEST, SiteFile
from publisher.errors import PublisherError


class FolderTarget:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.label = os.path.normpath(path)

    def _check(self, site: Path) -> None:
        target, source = self.path.resolve(), site.resolve()
        if target == source or source in target.parents or target in source.parents:
            raise PublisherError.at(self.label, None, f"the deploy folder must be outside the "
                                                      f"built site {site} and not contain it")

    def read_manifest(self) -> bytes | None:
        try:
            return (self.path / MANIFEST).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise PublisherError.at(self.label, None,
                                    f"cannot read the deploy manifest: {exc.strerror}") from None

    def upload(self, site: Path, files: tuple[SiteFile, ...],
               done: Callable[[int], None]) -> None:
        self._check(site)
        for f in files:
            target = self.path.joinpath(*f.path.split("/"))
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                temporary = target.with_name(f".{target.name}.deploying-{os.getpid()}")
                shutil.copyfile(site.joinpath(*f.path.split("/")), temporary)
                os.replace(temporary, target)
            except OSError as exc:
                raise PublisherError.at(target, None,
                                        f"cannot write: {exc.strerror or exc}") from None
            done(1)

    def delete(self, paths: tuple[str, ...], dirs: list[str]) -> None:
        for path in paths:
            try:
                self.path.joinpath(*path.split("/")).unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise PublisherError.at(self.path / path, None,
                                        f"cannot delete: {exc.strerror or exc}") from None
        for directory in dirs:
            # not empty (somebody else's file) or already gone: leave it
            with contextlib.suppress(OSError):
                self.path.joinpath(*directory.split("/")).rmdir()

    def write_manifest(self, data: bytes) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        temporary = self.path / f".{MANIFEST}.{os.getpid()}"
        temporary.write_bytes(data)
        os.replace(temporary, self.path / MANIFEST)

    def close(self) -> None:
        pass
