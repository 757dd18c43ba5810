"""The interface every delivery backend implements (outbox, smtp, sendsay, locmem, console).

A backend receives finished :class:`~publisher.models.Email` objects and an
:class:`~publisher.models.Audience`; it never renders. It is used as a context manager so a
connection (SMTP) or a session (Sendsay) is opened once and reused for a whole run.

A backend never hides a failure: it raises :class:`~publisher.errors.SendError` saying
whether the call provably did not execute (``retryable``) or may have (``ambiguous``).
The never-twice bookkeeping is the ledger's job (``publisher.sending``), not the backend's;
a backend that delivers recipient by recipient reports each one to the :class:`Journal` it
is given, so an interrupted run can resume with only the recipients not yet sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from publisher.errors import ConfigError
from publisher.models import Audience, Email, Recipient, SendReceipt


class Journal(Protocol):
    """Per-recipient progress of one send (the ledger's delivery log implements it).

    ``start`` must be durable before the message is handed to the transport, ``done`` is
    called right after the transport accepted (``error`` None) or refused it (``temporary``:
    a 4xx refusal, to be retried).
    """

    def start(self, recipient: Recipient) -> None: ...

    def done(self, recipient: Recipient, error: str | None = None, *,
             temporary: bool = False) -> None: ...


@dataclass(frozen=True)
class Delivery:
    """What the ESP finally did with an accepted send (Sendsay: the track's last status)."""

    outcome: str  # ok | failed | scheduled | moderation | running | unknown
    status: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class Reconciliation:
    """The answer to "did that interrupted send go out?": ``sent``, ``absent`` or ``unknown``."""

    state: str
    ref: str = ""
    note: str = ""
    when: dt.datetime | None = None  # sent: when it went out; unknown: when it settles


@dataclass(frozen=True)
class EspIssue:
    """An issue the ESP holds under our stable name: what the pre-send lookup finds."""

    id: str
    name: str
    when: dt.datetime | None = None  # aware, converted from the account's time zone
    group: str | None = None


@dataclass(frozen=True)
class StatusReport:
    """What the ESP says about a past send, for ``publisher status``."""

    delivery: Delivery | None = None
    #: (label, value) rows in funnel order, e.g. ("recipients", 120), ("delivered", 118)
    numbers: tuple[tuple[str, int], ...] = ()
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class BaseBackend:
    """Base class: ``open()``/``close()``/``with backend:``, ``send()`` and optional extras.

    Subclasses list their constructor options in ``defaults`` (name -> default value);
    an unknown option is an error naming the allowed ones.
    """

    #: registry name, e.g. "outbox"
    name: ClassVar[str] = "base"
    #: whether the backend delivers to an ESP-held list by id (``Audience(kind="list")``)
    supports_lists: ClassVar[bool] = False
    #: whether ``send(..., at=...)`` can schedule
    supports_scheduling: ClassVar[bool] = False
    #: whether it delivers one recipient at a time (and reports to a Journal)
    per_recipient: ClassVar[bool] = False
    #: options accepted by the constructor, with their defaults
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, **options: Any) -> None:
        unknown = sorted(set(options) - set(self.defaults))
        if unknown:
            allowed = ", ".join(sorted(self.defaults)) or "none"
            raise ConfigError(f"backend {self.name!r}: unknown option(s) {', '.join(unknown)} "
                              f"(allowed: {allowed})")
        self.options: dict[str, Any] = {**self.defaults, **options}

    def open(self) -> None:
        """Acquire connections/sessions. Safe to call twice."""

    def close(self) -> None:
        """Release what open() acquired. Safe to call twice."""

    def __enter__(self) -> BaseBackend:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def check(self, email: Email, audience: Audience) -> None:
        """Verify, before anything is recorded, that a send can work (credentials, list ids).

        Raises SendError/ConfigError; the default checks nothing.
        """

    def send(self, email: Email, audience: Audience, *, at: dt.datetime | None = None,
             journal: Journal | None = None) -> SendReceipt:
        """Hand ``email`` to the transport for ``audience``; ``at`` schedules it (aware time).

        A backend that ``looks_up`` also takes ``attempt=`` (the ledger's id of the attempt).
        """
        raise NotImplementedError

    def wait(self, receipt: SendReceipt,
             on_progress: Callable[[Delivery], None] | None = None) -> Delivery | None:
        """Follow an accepted send to its final state; None when there is nothing to follow."""
        return None

    #: whether :meth:`lookup` asks the ESP (the ESP, not the ledger, decides "already sent")
    looks_up: ClassVar[bool] = False
    #: an attempt the ESP does not know this long after it is settled as "not sent"
    settle_after: dt.timedelta = dt.timedelta(minutes=5)

    def lookup(self, issue_key: str, audience: Audience, around: dt.datetime | None = None,
               at_least: int = 1) -> list[EspIssue]:
        """Every issue the ESP holds under the name ``issue_key``, oldest first.

        Matches on the name and nothing else (no time window: clocks and zones differ).
        ``around`` is a hint where to look when the fast index may lag (an earlier attempt);
        slower sources are asked too when the fast one shows fewer than ``at_least``.
        """
        return []

    def esp_now(self) -> dt.datetime | None:
        """The ESP's own current time (aware), when it tells it; None otherwise."""
        return None

    def reconcile(self, issue_key: str, audience: Audience, since: dt.datetime,
                  ref: str = "") -> Reconciliation:
        """Backends that cannot :meth:`lookup`: did an attempt with no outcome get through?"""
        return Reconciliation("unknown", note=f"the {self.name} backend cannot look sends up")

    def status(self, issue_key: str, ref: str) -> StatusReport | None:
        """The ESP's view of a past send (delivery state, numbers); None: nothing to ask."""
        return None
