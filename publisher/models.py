"""Values passed between pipeline stages: frozen, typed, and free of I/O.

load.py produces :class:`Issue`; render/ turns it into :class:`RenderedIssue` (body HTML,
text, outline) and then an :class:`Email` (finished, CSS-inlined, ready for a backend);
backends return :class:`SendReceipt`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Issue:
    """One issue (or course lesson) as the author wrote it: front matter + Markdown body."""

    path: Path
    title: str
    date: dt.date
    series: str
    number: int
    slug: str
    body: str
    body_line: int  # 1-based line of the file where the Markdown body starts
    preheader: str = ""
    status: str = "ready"  # draft | ready | published
    tags: tuple[str, ...] = ()
    lesson: int | None = None  # courses only: position in the course
    delay: dt.timedelta | None = None  # courses only: after the previous lesson / enrolment
    aliases: tuple[str, ...] = ()  # earlier URLs of the issue (an old archive's), redirected
    imported_from: str = ""  # where `publisher import` took it from: sendsay:<id>, html:<file>
    field_lines: tuple[tuple[str, int], ...] = ()  # front-matter key -> line, for messages

    @property
    def key(self) -> str:
        """Stable identity of the issue: series slug + issue slug (also the ESP issue name)."""
        return f"{self.series}/{self.slug}"

    def line_of(self, key: str) -> int | None:
        """Line of a front-matter key in the file (for ``path:line`` messages)."""
        return dict(self.field_lines).get(key)


@dataclass(frozen=True)
class Link:
    """A labelled URL (navigation, contacts, subscribe links)."""

    title: str
    url: str


@dataclass(frozen=True)
class Email:
    """A finished message for one issue: inlined HTML and text, addressed to nobody yet.

    ``html`` and ``text`` may hold the merge tags of the ESP they were rendered for (Sendsay's
    ``[% ... %]``, or publisher's own ``*|NAME|*`` tags that the SMTP/outbox backends fill per
    recipient without re-rendering).
    """

    issue_key: str
    series: str
    subject: str
    from_name: str
    from_email: str
    reply_to: str
    html: str
    text: str
    preheader: str
    message_id: str
    content_hash: str
    language: str = "ru"
    list_unsubscribe: str = ""  # URL (may contain merge tags) for List-Unsubscribe headers
    headers: tuple[tuple[str, str], ...] = ()
    # values of the issue's own tags (param.issue_archive_url, ...) for backends that fill
    # tags themselves (SMTP, outbox): see publisher.render.merge_tags.personalise
    tag_values: tuple[tuple[str, str], ...] = ()

    @property
    def html_size(self) -> int:
        """Size of the HTML part in bytes (what Gmail's 102 KB clipping counts)."""
        return len(self.html.encode("utf-8"))


@dataclass(frozen=True)
class Recipient:
    """One subscriber: address plus the fields used for personalisation."""

    email: str
    name: str = ""
    fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Audience:
    """Who a send goes to.

    ``kind`` is ``list`` (the series' list kept by the ESP, ``list_id``), ``recipients``
    (an explicit list we hold: local subscribers, a course cohort) or ``test`` (proof copies).
    """

    kind: str
    list_id: str = ""
    recipients: tuple[Recipient, ...] = ()

    def describe(self) -> str:
        if self.kind == "list":
            return f"list {self.list_id}"
        if self.kind == "test":
            return "test: " + ", ".join(r.email for r in self.recipients)
        return f"{len(self.recipients)} recipients"

    @property
    def key(self) -> str:
        """What "the same audience" means for the never-twice rule."""
        if self.kind == "list":
            return f"list:{self.list_id}"
        return f"{self.kind}:" + ",".join(sorted(r.email.lower() for r in self.recipients))


@dataclass(frozen=True)
class SendReceipt:
    """What a backend reports after handing a message to its transport."""

    backend: str
    issue_key: str
    audience: str
    provider_id: str = ""  # Sendsay track.id, SMTP/outbox: a local reference
    accepted: int = 0
    failed: tuple[tuple[str, str], ...] = ()  # (address, reason) for recipients that failed
    scheduled_for: dt.datetime | None = None
    sent_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
