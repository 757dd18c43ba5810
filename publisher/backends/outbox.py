"""The default backend: every message becomes an .eml file under ``outbox/``; no account needed.

A local subscriber list (``esp.outbox.subscribers``) gives one personalised file per recipient;
without one, a single file addressed to the series list stands for the mailing. Files are
written atomically, so a crash never leaves half a message. Open them in any mail program.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
from pathlib import Path
from typing import Any, ClassVar

from publisher.backends.base import BaseBackend, Journal, Reconciliation
from publisher.backends.copies import CopyMaker
from publisher.config import Project
from publisher.errors import SendError
from publisher.models import Audience, Email, Recipient, SendReceipt

_UNSAFE = re.compile(r"[^A-Za-z0-9@._+-]")


def file_name(recipient: Recipient, test: bool = False) -> str:
    return ("test-" if test else "") + _UNSAFE.sub("_", recipient.email.lower()) + ".eml"


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # no statvfs on Windows
        return False


class OutboxBackend(BaseBackend):
    """Writes ``<dir>/<series>/<issue slug>/<address>.eml`` per copy."""

    name = "outbox"
    per_recipient = True
    supports_lists = True
    defaults: ClassVar[dict[str, Any]] = {"dir": "outbox", "unsubscribe_url": ""}

    @classmethod
    def options_from(cls, project: Project) -> dict[str, Any]:
        return {"dir": str(project.root / project.settings.esp.outbox.dir),
                "unsubscribe_url": project.settings.footer.unsubscribe_url}

    def folder(self, issue_key: str) -> Path:
        return Path(self.options["dir"]).joinpath(*issue_key.split("/"))

    def targets(self, audience: Audience) -> list[tuple[Recipient, str]]:
        """(recipient, file name) of every copy the audience gets."""
        if audience.kind == "list":
            return [(Recipient(f"{audience.list_id}@list.invalid"),
                     file_name(Recipient(f"list-{audience.list_id}")))]
        test = audience.kind == "test"
        return [(r, file_name(r, test)) for r in audience.recipients]

    def check(self, email: Email, audience: Audience) -> None:
        """The issue's folder exists and is writable, before anything is recorded."""
        from publisher.oserrors import describe

        folder = self.folder(email.issue_key)
        try:
            existing = folder  # creating nothing yet: a declined send leaves no trace
            while not existing.exists() and existing != existing.parent:
                existing = existing.parent
            if not existing.is_dir():
                raise FileExistsError(errno.EEXIST, "not a folder", str(existing))
            if not os.access(existing, os.W_OK):
                raise PermissionError(errno.EROFS if _read_only(existing) else errno.EACCES,
                                      "not writable", str(existing))
        except OSError as exc:
            raise SendError(describe(exc, exc.filename or folder, self._root()),
                            retryable=True) from exc

    def _root(self) -> Path:
        """The newsletter folder (the outbox's parent by default), for shorter messages."""
        return Path(self.options["dir"]).parent

    def send(self, email: Email, audience: Audience, *, at: dt.datetime | None = None,
             journal: Journal | None = None) -> SendReceipt:
        from publisher.oserrors import describe
        from publisher.pipeline import write_atomic

        maker = CopyMaker(email, unsubscribe_url=self.options["unsubscribe_url"])
        folder = self.folder(email.issue_key)
        per_recipient = audience.kind != "list"
        for recipient, name in self.targets(audience):
            if journal and per_recipient:
                journal.start(recipient)
            try:
                write_atomic(folder / name, maker.bytes_for(recipient))
            except OSError as exc:
                raise SendError(describe(exc, folder / name, self._root()),
                                retryable=True) from exc
            if journal and per_recipient:
                journal.done(recipient)
        count = len(self.targets(audience))
        return SendReceipt(backend=self.name, issue_key=email.issue_key,
                           audience=audience.describe(), provider_id=str(folder),
                           accepted=count)

    def reconcile(self, issue_key: str, audience: Audience, since: dt.datetime,
                  ref: str = "") -> Reconciliation:
        if audience.kind != "list":
            return super().reconcile(issue_key, audience, since, ref)
        (_, name), = self.targets(audience)
        path = self.folder(issue_key) / name
        if path.is_file() and dt.datetime.fromtimestamp(path.stat().st_mtime,
                                                        dt.UTC) >= since:
            return Reconciliation("sent", ref=str(path.parent), note=f"{path} exists")
        return Reconciliation("absent", note=f"{path} was not written")
