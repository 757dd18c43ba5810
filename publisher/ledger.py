"""The send ledger: an append-only record of every send, owned by the author, never rewritten.

Why JSON lines and not SQLite: the ledger lives in the newsletter folder next to the issues
and belongs in version control; one JSON object per line is readable and diffable, a problem
can be named by ``file:line``, and appending a line + ``fsync`` is all the durability the
never-twice rule needs. Nothing is ever updated in place: an outcome is a new line.

``.publisher/ledger.jsonl`` — one event per line, each with a checksum of its own content
(``crc``) so a hand edit or a torn write is reported instead of being trusted::

    {"event": "intent", "id": ..., "issue": "series/slug", "hash": ..., "audience": "list:pl01",
     "audience_desc": "list pl01", "recipients": 120, "backend": "sendsay", "test": false,
     "at": "2026-11-26T23:00:00+00:00", "scheduled_for": null, "crc": ...}
    {"event": "outcome", "id": ..., "state": "sent|failed|unknown|scheduled", "ref": "3", ...}
    {"event": "resume", "id": ..., "pending": 40, ...}      an interrupted send continues
    {"event": "reconciled", "id": ..., "state": "sent|failed", "note": ...}
    {"event": "delivery", "id": ..., "outcome": "ok", "status": -1, "detail": ...}
    {"event": "synced", "id": ..., "issue": ..., "audience": ..., "backend": "sendsay",
     "ref": "issue 1001", "sent_at": ..., "at": ...}   a send found at the ESP, not made here

A Sendsay intent also records ``esp_known`` (how many issues under this name Sendsay held
just before the attempt) and ``esp_at`` (Sendsay's clock then): an attempt whose answer was
lost is settled by name against those (:mod:`publisher.settle`), never by a time window.
A ``synced`` entry is how a fresh checkout or a second machine learns of a send made
elsewhere: the ESP, not this file, is the source of truth (``publisher status --sync``).

The intent is on disk before a backend is called and the outcome right after, so a send whose
outcome line is missing is "unknown": it is looked up with the ESP (reconciled), never resent
blindly. Per-recipient backends (SMTP, outbox) also keep ``.publisher/deliveries/<id>.log``
(see :class:`DeliveryLog`): an interrupted run resumes with the addresses that have neither a
copy nor a doubt about one.

Secrets are never written: entries hold addresses, ids and messages only, and every message is
passed through :func:`redact` first.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from publisher import osfiles
from publisher.config import Project
from publisher.errors import LedgerError
from publisher.models import Audience, Recipient
from publisher.oslock import FolderLock
from publisher.privacy import KEY_ENV, AddressKey, redact_addresses
from publisher.secrets import scrub
from publisher.subscribers import describe

LEDGER_NAME = "ledger.jsonl"
DELIVERIES = "deliveries"
STATES = ("sent", "failed", "unknown", "scheduled")
_FIELDS: dict[str, tuple[str, ...]] = {
    "intent": ("id", "issue", "hash", "audience", "audience_desc", "recipients", "backend",
               "test", "at"),
    "outcome": ("id", "state", "at"),
    "resume": ("id", "at"),
    "reconciled": ("id", "state", "at"),
    "delivery": ("id", "outcome", "at"),
    "synced": ("id", "issue", "audience", "audience_desc", "backend", "ref", "at"),
}
_PROGRESS_RE = re.compile(r"^([>@+!~]) (\S+)(?:\t(.*))?$")
#: a recipient deferred (4xx) by this many runs in a row is reported as refused instead
MAX_DEFERRALS = 3
#: ledger fields holding what servers and people wrote (addresses in them are masked)
_FREE_TEXT = ("error", "note", "detail")
#: a delivery log's line naming the address key of the run after it (privacy.AddressKey.id)
KEY_LINE = "# key "


def delivery_key(address: str, key: AddressKey) -> str:
    """How an address is written to (and matched in) a per-recipient delivery log: its keyed
    token (:mod:`publisher.privacy`), so the logs can live in git without one address.

    The one place that decides it. Logs from before tokens name addresses; :meth:`Ledger.progress`
    still reads them (``publisher migrate`` rewrites them).
    """
    return key.token(address)


def delivery_line(mark: str, token: str, reason: str = "") -> bytes:
    """One delivery-log record: ``<mark> <token>[<TAB>reason]``; a server's reason often
    quotes the address, so addresses in it are masked too."""
    from publisher.privacy import redact_addresses

    text = f"{mark} {token}"
    if reason:
        text += "\t" + " ".join(redact_addresses(scrub(reason)).split())
    return (text + "\n").encode("utf-8")


def audience_key(audience: Audience) -> str:
    """What "the same audience" means: the list (ESP list or local subscriber file) when there
    is one, so a subscriber added later does not make the whole list "new"; else the addresses.
    """
    if audience.list_id:
        return f"{audience.kind}:{audience.list_id}"
    if len(audience.recipients) <= 3:
        return audience.key
    # a cohort of thousands must not make every ledger line that long: its fingerprint will do
    digest = hashlib.sha256(audience.key.encode("utf-8")).hexdigest()[:16]
    return f"{audience.kind}:{len(audience.recipients)}:sha256:{digest}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _crc(record: dict[str, Any]) -> str:
    body = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


@dataclass
class LedgerEntry:
    """One send attempt and everything recorded about it since, folded from its events."""

    id: str
    issue: str
    hash: str
    audience: str
    audience_desc: str
    recipients: int
    backend: str
    test: bool
    at: dt.datetime
    line: int
    scheduled_for: dt.datetime | None = None
    state: str = "unknown"  # an intent with no outcome yet is unknown
    ref: str = ""
    accepted: int = 0
    failed: int = 0
    error: str = ""
    note: str = ""
    delivery: dict[str, Any] = field(default_factory=dict)
    finished_at: dt.datetime | None = None
    #: Sendsay: issues under this name just before the attempt, and Sendsay's clock then
    esp_known: int = 0
    esp_at: dt.datetime | None = None
    synced: bool = False  # found at the ESP (a send made elsewhere), not sent from here

    @property
    def real(self) -> bool:
        return not self.test

    @property
    def counts_as_sent(self) -> bool:
        """Whether this entry blocks a second send (sent, scheduled, or possibly sent)."""
        return self.state in ("sent", "scheduled", "unknown")

    def completed(self, now: dt.datetime | None = None) -> bool:
        """Sent, or scheduled for a time that has passed."""
        if self.state == "sent":
            return True
        now = now or _now()
        return self.state == "scheduled" and self.scheduled_for is not None and \
            self.scheduled_for <= now


@dataclass(frozen=True)
class Progress:
    """Per-recipient state of one send: who has it, who was refused, who is in doubt."""

    sent: frozenset[str]
    failed: dict[str, str]
    in_doubt: frozenset[str]
    #: refused for now (4xx): the next run retries them without being asked
    deferred: dict[str, str] = field(default_factory=dict)
    #: the log's address key (entries above are its tokens), and token -> address for the
    #: recipients the caller named or a pre-token log spelled out (for messages only)
    key: AddressKey | None = None
    names: dict[str, str] = field(default_factory=dict)

    def tokens(self, recipients: tuple[Recipient, ...]) -> set[str]:
        """The tokens of ``recipients``, as this log names them."""
        return {self.token(r.email) for r in recipients}

    def token(self, address: str) -> str:
        return delivery_key(address, self.key) if self.key is not None else address.lower()

    def readable(self) -> Progress:
        """The same progress naming recipients by address where known (else by token), for
        the author's eyes; never written to a file git keeps."""
        name = self.names.get
        return replace(self, sent=frozenset(name(t, t) for t in self.sent),
                       failed={name(t, t): r for t, r in self.failed.items()},
                       in_doubt=frozenset(name(t, t) for t in self.in_doubt),
                       deferred={name(t, t): r for t, r in self.deferred.items()}, names={})

    def pending(self, recipients: tuple[Recipient, ...], *, resend_unknown: bool = False,
                retry_failed: bool = False) -> tuple[Recipient, ...]:
        out = []
        for r in recipients:
            address = self.token(r.email)
            if address in self.sent:
                continue
            if address in self.in_doubt and not resend_unknown:
                continue
            if address in self.failed and not retry_failed:
                continue
            out.append(r)
        return tuple(out)


class Ledger:
    """The ledger of one newsletter folder (``<root>/.publisher``)."""

    def __init__(self, state_dir: Path, display_root: Path | None = None) -> None:
        self.dir = state_dir
        self.path = state_dir / LEDGER_NAME
        self._display_root = display_root
        self._key: AddressKey | None = None

    def address_key(self) -> AddressKey:
        """The key of the delivery logs' tokens (``PUBLISHER_ADDRESS_KEY`` or
        ``.publisher/address.key``, made on first use)."""
        if self._key is None:
            self._key = AddressKey.of(self.dir)
        return self._key

    @classmethod
    def of(cls, project: Project) -> Ledger:
        return cls(project.state_dir, project.root)

    def display(self, path: Path) -> str:
        if self._display_root is not None:
            try:
                return str(path.relative_to(self._display_root))
            except ValueError:
                pass
        return str(path)

    # ---- reading

    def entries(self) -> list[LedgerEntry]:
        """Every entry, oldest first; LedgerError at ``file:line`` for anything not ours."""
        if not self.path.exists():
            return []
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise LedgerError.at(self.display(self.path), None,
                                 f"cannot read the ledger: {exc.strerror}") from exc
        entries: dict[str, LedgerEntry] = {}
        lines = data.split(b"\n")
        last = len(lines) - 1
        for number, raw in enumerate(lines, start=1):
            if number - 1 == last:
                if raw:
                    self._fail(number, "incomplete last line (was a send interrupted while "
                                       "writing?)", "keep a copy, then remove that line by hand "
                                                    "only if you know what it recorded")
                break
            self._apply(entries, self._parse(raw, number), number)
        return list(entries.values())

    def _fail(self, line: int, message: str, hint: str | None = None) -> None:
        raise LedgerError.at(self.display(self.path), line, message, hint=hint or (
            "publisher never rewrites its ledger; restore the file from version control or a "
            "backup (it is the record of what was already sent)"))

    def _parse(self, raw: bytes, line: int) -> dict[str, Any]:
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self._fail(line, "not a ledger record (invalid JSON)")
        if not isinstance(record, dict):
            self._fail(line, "not a ledger record (expected a JSON object)")
        crc = record.pop("crc", None)
        if crc != _crc(record):
            self._fail(line, "record was changed after it was written (checksum mismatch)")
        event = record.get("event")
        if event not in _FIELDS:
            self._fail(line, f"unknown event {event!r}")
        missing = [k for k in _FIELDS[event] if k not in record]
        if missing:
            self._fail(line, f"{event} record lacks {', '.join(missing)}")
        return record

    def _apply(self, entries: dict[str, LedgerEntry], record: dict[str, Any], line: int) -> None:
        event, entry_id = record["event"], record["id"]
        try:
            at = dt.datetime.fromisoformat(record["at"])
        except (TypeError, ValueError):
            self._fail(line, f"bad time {record.get('at')!r}")
        if event == "intent":
            if entry_id in entries:
                self._fail(line, f"second intent for send {entry_id}")
            scheduled = record.get("scheduled_for")
            esp_at = record.get("esp_at")
            entries[entry_id] = LedgerEntry(
                id=entry_id, issue=record["issue"], hash=record["hash"],
                audience=record["audience"], audience_desc=record["audience_desc"],
                recipients=int(record["recipients"]), backend=record["backend"],
                test=bool(record["test"]), at=at, line=line,
                scheduled_for=dt.datetime.fromisoformat(scheduled) if scheduled else None,
                esp_known=int(record.get("esp_known") or 0),
                esp_at=dt.datetime.fromisoformat(esp_at) if esp_at else None)
            return
        if event == "synced":
            if entry_id in entries:
                self._fail(line, f"second record for send {entry_id}")
            sent_at = record.get("sent_at")
            entries[entry_id] = LedgerEntry(
                id=entry_id, issue=record["issue"], hash="", audience=record["audience"],
                audience_desc=record["audience_desc"], recipients=0,
                backend=record["backend"], test=False, line=line, state="sent",
                at=dt.datetime.fromisoformat(sent_at) if sent_at else at,
                ref=record["ref"], note=record.get("note") or "", synced=True, finished_at=at)
            return
        entry = entries.get(entry_id)
        if entry is None:
            self._fail(line, f"{event} for send {entry_id}, which has no intent before it")
        assert entry is not None
        if event == "resume":
            entry.state = "unknown"  # until this run's outcome is written
        elif event in ("outcome", "reconciled"):
            if record["state"] not in STATES:
                self._fail(line, f"unknown state {record['state']!r}")
            entry.state = record["state"]
            entry.ref = record.get("ref") or entry.ref
            entry.accepted += int(record.get("accepted") or 0)
            entry.failed = int(record.get("failed", entry.failed) or 0)
            entry.error = record.get("error") or ""
            entry.note = record.get("note") or entry.note
            entry.finished_at = at
        elif event == "delivery":
            entry.delivery = {k: record.get(k) for k in ("outcome", "status", "detail")}

    def find(self, issue: str | None = None) -> list[LedgerEntry]:
        return [e for e in self.entries() if issue is None or e.issue == issue]

    def previous(self, issue: str, audience: str) -> list[LedgerEntry]:
        """Real sends of ``issue`` to ``audience``, oldest first."""
        return [e for e in self.entries()
                if e.real and e.issue == issue and e.audience == audience]

    # ---- writing (append + fsync, under the lock)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive use of the ledger for one send (a second `publisher send` waits for none)."""
        with FolderLock(self.dir / "ledger.lock") as lock:
            if not lock.acquire():
                raise LedgerError.at(self.display(self.path), None,
                                     "another publisher send is running in this folder",
                                     hint="wait for it to finish")
            yield

    def _append(self, record: dict[str, Any]) -> None:
        record = {k: (scrub(v) if isinstance(v, str) else v) for k, v in record.items()
                  if v is not None or k == "scheduled_for"}
        # the ledger is kept in git: a server's message quoting an address keeps its words only
        for name in _FREE_TEXT:
            if isinstance(record.get(name), str):
                record[name] = redact_addresses(record[name])
        record["crc"] = _crc(record)
        line = json.dumps(record, ensure_ascii=False) + "\n"
        self.dir.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        if not created and self.path.stat().st_size:
            with open(self.path, "rb") as existing:
                existing.seek(-1, os.SEEK_END)
                if existing.read(1) != b"\n":
                    self.entries()  # reports the incomplete last line; never append after it
        fd = os.open(self.path, osfiles.APPEND, 0o644)
        try:
            size = os.fstat(fd).st_size
            try:
                data = line.encode("utf-8")
                while data:  # a short write (disk nearly full) continues or fails below
                    data = data[os.write(fd, data):]
                os.fsync(fd)
            except OSError as exc:
                # never leave half a record behind (a full disk): cut back to the last line
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, size)
                    os.fsync(fd)
                exc.filename = exc.filename or str(self.path)  # name the file in the message
                raise
        finally:
            os.close(fd)
        if created:
            _fsync_dir(self.dir)

    def intent(self, *, issue: str, content_hash: str, audience: Audience, backend: str,
               test: bool, scheduled_for: dt.datetime | None = None,
               esp_known: int | None = None, esp_at: dt.datetime | None = None) -> str:
        entry_id = uuid.uuid4().hex[:16]
        self._append({"event": "intent", "id": entry_id, "issue": issue, "hash": content_hash,
                      "audience": audience_key(audience), "audience_desc": describe(audience),
                      "recipients": len(audience.recipients), "backend": backend,
                      "test": test, "at": _now().isoformat(),
                      "scheduled_for": scheduled_for.isoformat() if scheduled_for else None,
                      "esp_known": esp_known,
                      "esp_at": esp_at.isoformat() if esp_at else None})
        return entry_id

    def synced(self, *, issue: str, audience: str, audience_desc: str, backend: str, ref: str,
               sent_at: dt.datetime | None, note: str = "") -> str:
        """Record a send the ESP holds that this ledger did not know (made elsewhere)."""
        entry_id = uuid.uuid4().hex[:16]
        self._append({"event": "synced", "id": entry_id, "issue": issue, "audience": audience,
                      "audience_desc": audience_desc, "backend": backend, "ref": ref,
                      "sent_at": sent_at.isoformat() if sent_at else None,
                      "note": note or None, "at": _now().isoformat()})
        return entry_id

    def resume(self, entry_id: str, pending: int) -> None:
        self._append({"event": "resume", "id": entry_id, "pending": pending,
                      "at": _now().isoformat()})

    def outcome(self, entry_id: str, state: str, *, ref: str = "", accepted: int = 0,
                failed: int = 0, error: str = "") -> None:
        if state not in STATES:
            raise ValueError(state)
        self._append({"event": "outcome", "id": entry_id, "state": state, "ref": ref or None,
                      "accepted": accepted, "failed": failed, "error": error or None,
                      "at": _now().isoformat()})

    def reconciled(self, entry_id: str, state: str, *, ref: str = "", note: str = "") -> None:
        self._append({"event": "reconciled", "id": entry_id, "state": state,
                      "ref": ref or None, "note": note or None, "at": _now().isoformat()})

    def delivery(self, entry_id: str, outcome: str, status: int | None, detail: str) -> None:
        self._append({"event": "delivery", "id": entry_id, "outcome": outcome,
                      "status": status, "detail": detail, "at": _now().isoformat()})

    # ---- per-recipient progress

    def progress_path(self, entry_id: str) -> Path:
        return self.dir / DELIVERIES / f"{entry_id}.log"

    def progress(self, entry_id: str, recipients: tuple[Recipient, ...] = (), *,
                 strict: bool = True) -> Progress:
        """Who has the issue, who was refused, who is in doubt (see :class:`DeliveryLog`).

        Entries are address tokens; ``recipients`` lets :meth:`Progress.readable` name them.
        A log written with another address key cannot tell who has the issue: with
        ``strict`` (everything that sends) that is an error naming the log's line, never a
        resend to everyone; without it (``status``) the counts are still right.
        """
        key = self.address_key()
        names = {delivery_key(r.email, key): r.email for r in recipients}
        path = self.progress_path(entry_id)
        if not path.exists():
            return Progress(frozenset(), {}, frozenset(), key=key, names=names)
        segments: list[tuple[str | None, dict[str, tuple[str, str]]]] = []
        lines = path.read_bytes().split(b"\n")
        # a torn last line (no newline) is ignored: whatever it recorded was not durable, and
        # a reservation is fsynced before its copy is handed over
        for number, raw in enumerate(lines[:-1], start=1):
            text = raw.decode("utf-8", "replace").removesuffix("\r")  # edited on Windows
            if text.startswith("= "):
                segments.append((text[2:].strip() or None, {}))
                continue
            if text.startswith(KEY_LINE):
                if text[len(KEY_LINE):].strip() != key.id and strict:
                    raise LedgerError.at(
                        self.display(path), number, "written with another address key, so "
                        "it cannot tell which recipients already have the issue (nothing "
                        "was sent)", hint=f"set {KEY_ENV} to the key of the machine that "
                        "sent it (or restore its .publisher/address.key), then run again")
                continue
            match = _PROGRESS_RE.match(text)
            if match is None:
                raise LedgerError.at(self.display(path), number,
                                     "not a delivery record ('= run', '> addr', '@ addr', "
                                     "'+ addr', '! addr<TAB>reason' or '~ addr<TAB>reason')",
                                     hint="restore the file; it records who already has "
                                          "the issue")
            mark, address, reason = match.groups()
            if "@" in address:  # a log from before tokens: still the record of who has it
                token = delivery_key(address, key)
                names.setdefault(token, address)
                address = token
            if not segments:
                segments.append((None, {}))
            state = segments[-1][1]
            if mark != ">" and address not in state:
                raise LedgerError.at(self.display(path), number,
                                     f"'{mark}' for {address} with no reservation before it")
            state[address] = (mark, reason or "")
        result: dict[str, tuple[str, str]] = {}
        deferrals: dict[str, int] = {}
        current = boot_id()
        for index, (boot, state) in enumerate(segments):
            later = segments[index + 1][0] if index + 1 < len(segments) else current
            # same boot: every write of the run reached the page cache, so the marks are exact;
            # after a reboot unsynced marks may be lost, so a reservation alone means "in doubt"
            exact = boot is not None and boot == later
            for address, (mark, reason) in state.items():
                if mark == ">" and exact:
                    continue  # reserved, never handed over: what earlier runs said still holds
                deferrals[address] = deferrals.get(address, 0) + 1 if mark == "~" else 0
                if mark == "~" and deferrals[address] >= MAX_DEFERRALS:
                    mark, reason = "!", f"{reason} (still deferred after {MAX_DEFERRALS} runs)"
                result[address] = ("@" if mark == ">" else mark, reason)
        return Progress(
            sent=frozenset(a for a, (m, _) in result.items() if m == "+"),
            failed={a: r for a, (m, r) in result.items() if m == "!"},
            in_doubt=frozenset(a for a, (m, _) in result.items() if m == "@"),
            deferred={a: r for a, (m, r) in result.items() if m == "~"}, key=key, names=names)

    def journal(self, entry_id: str, upcoming: tuple[Recipient, ...] = (),
                on_done: Any = None) -> DeliveryLog:
        return DeliveryLog(self.progress_path(entry_id), upcoming=upcoming, on_done=on_done,
                           key=self.address_key())


def boot_id() -> str | None:
    """This boot of the machine (Linux); ``PUBLISHER_BOOT_ID`` overrides it in tests."""
    override = os.environ.get("PUBLISHER_BOOT_ID")
    if override:
        return override
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip() or None
    except OSError:
        return None


class DeliveryLog:
    """The :class:`~publisher.backends.base.Journal` of a per-recipient send.

    Recipients are named by keyed tokens (``h:…``, :func:`delivery_key`), never addresses;
    ``addr`` below means a token. Records, one per line: ``# key <id>`` names the run's
    address key; ``= <boot id>`` opens a run; ``> addr`` reserves an address
    (fsynced before its copy is handed over); ``@ addr`` is written just before handing the copy
    to the transport, ``+ addr`` / ``! addr<TAB>why`` right after; ``~ addr<TAB>why`` is a
    temporary refusal (4xx): deferred, retried by the next run without a flag (and reported as
    refused after :data:`MAX_DEFERRALS` runs).

    Why not one fsync per message: it halves SMTP throughput. Reservations are fsynced in
    batches of the next ``batch`` addresses; ``@``/``+`` lines are plain writes. If only the
    process dies, the kernel still has every write, so on the same boot the marks are exact and
    at most the one address with ``@`` and no outcome is in doubt. After a reboot unsynced
    marks may be lost, so every reserved address without a ``+`` counts as in doubt (never
    resent without the author's consent). Without a boot id, batches are of one.
    """

    def __init__(self, path: Path, upcoming: tuple[Recipient, ...] = (),
                 on_done: Any = None, batch: int | None = None,
                 key: AddressKey | None = None) -> None:
        self.path = path
        self.on_done = on_done
        self.boot = boot_id()
        self.batch = batch or (64 if self.boot else 1)
        self.key = key or AddressKey.of(path.parent.parent)
        self._order = [delivery_key(r.email, self.key) for r in upcoming]
        self._position = {a: i for i, a in enumerate(self._order)}
        self._reserved: set[str] = set()
        self._fd: int | None = None
        self.count = 0

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, osfiles.APPEND, 0o644)
        prefix = b""
        if os.fstat(self._fd).st_size:
            with open(self.path, "rb") as f:
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":
                    prefix = b"\n"  # end a torn line before writing after it
        # the run marker's fsync also makes every earlier (same-boot) line durable
        # each run names its key, so a run with another key is refused, never a resend
        self._write(prefix + f"{KEY_LINE}{self.key.id}\n= {self.boot or ''}\n".encode(),
                    sync=True)

    def _write(self, data: bytes, *, sync: bool = False) -> None:
        if self._fd is None:
            self.open()
        assert self._fd is not None
        try:
            os.write(self._fd, data)
            if sync:
                osfiles.datasync(self._fd)
        except OSError as exc:
            exc.filename = exc.filename or str(self.path)  # name the file in the message
            raise

    def start(self, recipient: Recipient) -> None:
        address = delivery_key(recipient.email, self.key)
        if address not in self._reserved:
            index = self._position.get(address)
            upcoming = [address] if index is None else \
                [a for a in self._order[index:index + self.batch] if a not in self._reserved]
            self._reserved.update(upcoming)
            self._write(b"".join(delivery_line(">", a) for a in upcoming), sync=True)
        self._write(delivery_line("@", address))

    def done(self, recipient: Recipient, error: str | None = None, *,
             temporary: bool = False) -> None:
        """The transport accepted (``error`` None) or refused the copy; ``temporary``: a 4xx
        refusal, deferred (the author is told once it is final, not on every retry)."""
        from publisher.sending import crashpoint  # test hook: die mid-run

        crashpoint(f"after-handover:{self.count + 1}")
        mark = "+" if not error else "~" if temporary else "!"
        self._write(delivery_line(mark, delivery_key(recipient.email, self.key), error or ""))
        self.count += 1
        crashpoint(f"after-recipient:{self.count}")
        if self.on_done is not None and not temporary:
            self.on_done(recipient, error)

    def close(self) -> None:
        """Make the last outcomes durable; always called, also when the run failed."""
        if self._fd is None:
            return
        try:
            osfiles.datasync(self._fd)
        finally:
            os.close(self._fd)
            self._fd = None


def _fsync_dir(path: Path) -> None:
    osfiles.fsync_dir(path)


def sent_issue_keys(project: Project) -> set[str]:
    """Issue keys with a completed real send (test proofs do not count); for the archive."""
    now = _now()
    return {e.issue for e in Ledger.of(project).entries() if e.real and e.completed(now)}
