"""The interface every delivery backend implements (outbox, smtp, sendsay, locmem, console).

A backend receives finished :class:`~publisher.models.Email` objects and an
:class:`~publisher.models.Audience`; it never renders. It is used as a context manager so a
connection (SMTP) or a session (Sendsay) is opened once and reused for a whole run.

A backend never hides a failure: it raises :class:`~publisher.errors.SendError` saying
whether the call provably did not execute (``retryable``) or may have (``ambiguous``).
The never-twice bookkeeping is the ledger's job (pipeline.publish), not the backend's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from publisher.models import Audience, Email, SendReceipt


class BaseBackend:
    """Base class: ``open()``/``close()``/``with backend:`` and ``send()``."""

    #: registry name, e.g. "outbox"
    name: str = "base"
    #: whether the backend delivers to an ESP-held list by id (``Audience(kind="list")``)
    supports_lists: bool = False

    def __init__(self, **options: Any) -> None:
        self.options = options

    def open(self) -> None:
        """Acquire connections/sessions. Safe to call twice."""

    def close(self) -> None:
        """Release what open() acquired. Safe to call twice."""

    def __enter__(self) -> "BaseBackend":
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def send(self, email: Email, audience: Audience, *,
             at: dt.datetime | None = None) -> SendReceipt:
        """Hand ``email`` to the transport for ``audience``; ``at`` schedules it (aware time)."""
        raise NotImplementedError
