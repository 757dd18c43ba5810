"""Sending, guarded by the ledger: plan -> check -> confirm -> intent -> backend -> outcome.

The order is the never-twice rule (style guide, "The pipeline"; sendsay-api.md §5.4):

1. plan: find earlier sends of the same issue to the same audience in the ledger. A finished
   one refuses the send unless ``force``; one with no outcome ("unknown") is first looked up
   with the ESP (:meth:`~publisher.backends.base.BaseBackend.reconcile`) — never resent
   blindly; an interrupted per-recipient run is resumed with only the recipients not yet sent.
2. check: credentials, list ids — before anything is recorded, so bad input leaves no trace.
3. confirm: the caller (the CLI) shows the plan and may decline.
4. intent: written and fsynced before the backend is called.
5. backend: one call (Sendsay) or one copy per recipient (SMTP, outbox), each journaled.
6. outcome: written right after; an ambiguous failure is recorded as "unknown".
7. follow: poll the ESP's track until a final status (recorded as "delivery").

``PUBLISHER_CRASH_AT=<point>`` (test only) makes the process die with ``os._exit`` at a named
point — ``after-intent``, ``after-call``, ``after-recipient:N`` — so tests can prove that a
crash anywhere leaves every recipient with exactly one copy after the next run.
"""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from publisher.backends import backend_class, backend_for
from publisher.backends.base import BaseBackend, Delivery, Reconciliation
from publisher.config import Project
from publisher.errors import LedgerError, PublisherError, SendError
from publisher.ledger import Ledger, LedgerEntry, audience_key, redact
from publisher.models import Audience, Email, Recipient, SendReceipt
from publisher.subscribers import audience_for, describe, test_audience

CRASH_ENV = "PUBLISHER_CRASH_AT"


def crashpoint(name: str) -> None:
    """Test hook: die here, like a power cut, when ``PUBLISHER_CRASH_AT`` names this point."""
    if os.environ.get(CRASH_ENV) == name:
        os._exit(75)


class Aborted(PublisherError):
    """The author declined the confirmation; nothing was sent or recorded."""


@dataclass(frozen=True)
class SendOptions:
    """How to send: which backend, when, and which safety rules the author overrides."""

    backend: str | None = None  # default: esp.backend
    test: tuple[str, ...] = ()  # proof copies to these addresses instead of the audience
    at: dt.datetime | None = None  # aware; schedule (Sendsay only)
    force: bool = False  # send again although the ledger says it went out
    resend_unknown: bool = False  # treat "in doubt" recipients / unconfirmed sends as not sent
    retry_failed: bool = False  # resend to recipients the server refused last time
    dry_run: bool = False
    wait: bool = True  # follow the ESP's track until a final status


class Reporter:
    """Where progress goes; the CLI draws a progress bar, the library default is silent."""

    def note(self, text: str) -> None:
        """A line for the author (reconciliation results, skipped recipients)."""

    def begin(self, total: int) -> None:
        """``total`` copies are about to be handed over one by one."""

    def advance(self, recipient: Recipient, error: str | None) -> None:
        """One copy was accepted (``error`` None) or refused."""

    def end(self) -> None:
        """No more copies in this run."""

    def track(self, delivery: Delivery) -> None:
        """A poll of the ESP's track of the send."""


@dataclass(frozen=True)
class Plan:
    """What a send would do; shown to the author before confirming, and by ``--dry-run``."""

    email: Email
    backend: str
    audience: Audience  # the whole audience
    pending: Audience  # who gets a copy in this run
    at: dt.datetime | None
    test: bool
    resume: LedgerEntry | None = None
    notes: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        return len(self.pending.recipients)

    def describe_audience(self) -> str:
        text = describe(self.audience)
        if self.resume is not None and self.pending.recipients != self.audience.recipients:
            text += f"; this run: {self.count} not yet sent"
        return text


@dataclass(frozen=True)
class SendResult:
    plan: Plan
    entry_id: str = ""
    state: str = ""  # sent | scheduled | failed | unknown | "" (dry run / nothing to do)
    receipt: SendReceipt | None = None
    delivery: Delivery | None = None
    failed: tuple[tuple[str, str], ...] = ()
    in_doubt: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def parse_at(value: str, project: Project) -> dt.datetime:
    """``YYYY-MM-DD HH:MM`` in the newsletter's time zone, as an aware datetime in the future."""
    try:
        naive = dt.datetime.strptime(value.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        raise PublisherError(f"--at must be 'YYYY-MM-DD HH:MM', got {value!r}") from None
    at = naive.replace(tzinfo=zoneinfo.ZoneInfo(project.settings.site.timezone))
    if at <= dt.datetime.now(dt.UTC):
        raise PublisherError(f"--at {value} ({project.settings.site.timezone}) is in the past")
    return at


# --------------------------------------------------------------------------- planning


def plan_send(ledger: Ledger, email: Email, audience: Audience, backend: BaseBackend,
              options: SendOptions, reporter: Reporter) -> Plan:
    """Apply the ledger's rules; may reconcile (and record the result) unless dry-running."""
    test = audience.kind == "test"
    ledger.entries()  # a corrupt ledger stops every send, test proofs included: never append to it
    if options.at is not None and not backend.supports_scheduling:
        raise PublisherError(f"the {backend.name} backend cannot schedule a send (--at); use "
                             "sendsay, or run the send at that time")
    base = Plan(email=email, backend=backend.name, audience=audience, pending=audience,
                at=options.at, test=test)
    if test:
        return base
    previous = ledger.previous(email.issue_key, audience_key(audience))
    if backend.per_recipient and audience.kind != "list":
        return _plan_per_recipient(ledger, base, previous, options)
    notes: list[str] = []
    for entry in previous:
        if entry.state != "unknown":
            continue
        if options.dry_run:
            notes.append(f"an earlier send ({_when(entry.at)}) has no recorded outcome; a real "
                         f"run first looks it up with {entry.backend}")
            continue
        _reconcile(ledger, entry, audience, backend, options, reporter)
    done = [e for e in previous if e.state in ("sent", "scheduled")]
    if done and not options.force:
        raise _already_sent(done[-1], email)
    if done:
        notes.append(f"sending again (--force); it already went out {_when(done[-1].at)}")
    return replace(base, notes=tuple(notes))


def _reconcile(ledger: Ledger, entry: LedgerEntry, audience: Audience, backend: BaseBackend,
               options: SendOptions, reporter: Reporter) -> None:
    if entry.backend != backend.name:
        found = Reconciliation("unknown", note=f"it was sent with {entry.backend}; run with "
                                               f"--backend {entry.backend} to look it up")
    else:
        found = backend.reconcile(entry.issue, audience, entry.at - dt.timedelta(seconds=2),
                                  entry.ref)
    if found.state == "sent":
        ledger.reconciled(entry.id, "sent", ref=found.ref, note=found.note)
        entry.state, entry.ref = "sent", found.ref or entry.ref
        reporter.note(f"The send interrupted {_when(entry.at)} did go out: {found.note}.")
    elif found.state == "absent":
        ledger.reconciled(entry.id, "failed", note=f"confirmed absent: {found.note}")
        entry.state = "failed"
        reporter.note(f"The send interrupted {_when(entry.at)} never went out ({found.note}).")
    elif options.resend_unknown:
        ledger.reconciled(entry.id, "failed", note="author chose to send again "
                                                   f"(--resend-unknown): {found.note}")
        entry.state = "failed"
    else:
        raise LedgerError.at(
            ledger.display(ledger.path), entry.line,
            f"{entry.issue}: the send of {_when(entry.at)} to {entry.audience_desc} via "
            f"{entry.backend} may or may not have gone out ({found.note})",
            hint="check with the ESP; run again later, or add --resend-unknown once you are "
                 "sure it did not go out")


def _plan_per_recipient(ledger: Ledger, base: Plan, previous: list[LedgerEntry],
                        options: SendOptions) -> Plan:
    active = [e for e in previous if e.counts_as_sent]
    if options.force or not active:
        notes = (f"sending again (--force); it already went out {_when(active[-1].at)}",) \
            if active else ()
        return replace(base, notes=notes)
    latest = active[-1]
    resumable = latest.state == "unknown" or (
        latest.state == "sent" and (options.resend_unknown or options.retry_failed))
    if not resumable:
        raise _already_sent(latest, base.email)
    progress = ledger.progress(latest.id)
    pending = progress.pending(base.audience.recipients, resend_unknown=options.resend_unknown,
                               retry_failed=options.retry_failed)
    notes = [f"resuming the send started {_when(latest.at)}: {len(progress.sent)} already "
             f"have it, {len(pending)} to go"]
    doubt = sorted(progress.in_doubt - {r.email.lower() for r in pending})
    if doubt:
        notes.append(f"{len(doubt)} recipient(s) may already have it (the run stopped while "
                     f"sending to them), not sent again: {', '.join(doubt[:5])}"
                     f"{' …' if len(doubt) > 5 else ''}; --resend-unknown sends to them")
    refused = sorted(set(progress.failed) - {r.email.lower() for r in pending})
    if refused:
        notes.append(f"{len(refused)} recipient(s) were refused by the server last time; "
                     "--retry-failed tries them again")
    return replace(base, resume=latest, notes=tuple(notes),
                   pending=replace(base.audience, recipients=pending))


class AlreadySent(LedgerError):
    """The ledger says this issue already went out to this audience (``send`` refuses;
    ``publish``, the repeatable author's step, reports it and succeeds)."""


def _already_sent(entry: LedgerEntry, email: Email) -> LedgerError:
    changed = "" if entry.hash == email.content_hash else \
        " (the issue has changed since)"
    ref = f", ref {entry.ref}" if entry.ref else ""
    if entry.state == "scheduled" and entry.scheduled_for is not None:
        verb = f"is scheduled for {_when(entry.scheduled_for).removeprefix('on ')}"
    else:
        verb = f"already went out {_when(entry.finished_at or entry.at)}"
    return AlreadySent(f"{entry.issue} {verb} to {entry.audience_desc} via {entry.backend}"
                       f"{ref}{changed}", hint="add --force to send it to the same audience "
                                               "again")


def _when(moment: dt.datetime | None) -> str:
    if moment is None:
        return "at an unknown time"
    return "on " + moment.astimezone().strftime("%Y-%m-%d %H:%M %Z")


# --------------------------------------------------------------------------- executing


def deliver(project: Project, email: Email, audience: Audience, *,
            options: SendOptions = SendOptions(), backend: BaseBackend | None = None,
            confirm: Callable[[Plan], bool] | None = None,
            reporter: Reporter | None = None) -> SendResult:
    """Send ``email`` to ``audience`` under the ledger's rules (the library entry point).

    Used by ``publisher send``/``publish`` and by courses (an ``Audience`` of recipients goes
    out as one Sendsay express send). Raises SendError/LedgerError/ConfigError; returns the
    plan alone (state "") for a dry run, a declined confirmation raises :class:`Aborted`.
    """
    reporter = reporter or Reporter()
    backend = backend or backend_for(project, options.backend)
    ledger = Ledger.of(project)
    if options.dry_run:
        return SendResult(plan=plan_send(ledger, email, audience, backend, options, reporter))
    with ledger.lock():
        try:
            return _plan_and_run(ledger, email, audience, backend, options, confirm, reporter)
        finally:
            backend.close()  # backends connect lazily: a refused plan never connects at all


def _plan_and_run(ledger: Ledger, email: Email, audience: Audience, backend: BaseBackend,
                  options: SendOptions, confirm: Callable[[Plan], bool] | None,
                  reporter: Reporter) -> SendResult:
    plan = plan_send(ledger, email, audience, backend, options, reporter)
    for note in plan.notes:
        reporter.note(note)
    if not plan.pending.recipients and plan.pending.kind != "list":
        if plan.resume is not None and plan.resume.state == "unknown":
            # the run died after its last copy: close the entry instead of resending
            progress = ledger.progress(plan.resume.id)
            ledger.outcome(plan.resume.id, "sent" if progress.sent else "failed",
                           failed=len(progress.failed))
        in_doubt = tuple(sorted(ledger.progress(plan.resume.id).in_doubt)) \
            if plan.resume else ()
        return SendResult(plan=plan, notes=("nothing left to send",), in_doubt=in_doubt)
    backend.check(email, plan.pending)
    if confirm is not None and not confirm(plan):
        raise Aborted("not sent (declined)")
    return _execute(ledger, plan, backend, options, reporter)


def _execute(ledger: Ledger, plan: Plan, backend: BaseBackend, options: SendOptions,
             reporter: Reporter) -> SendResult:
    email = plan.email
    if plan.resume is not None:
        entry_id = plan.resume.id
        ledger.resume(entry_id, plan.count)
    else:
        entry_id = ledger.intent(issue=email.issue_key, content_hash=email.content_hash,
                                 audience=plan.audience, backend=backend.name, test=plan.test,
                                 scheduled_for=plan.at)
    crashpoint("after-intent")
    journal = ledger.journal(entry_id, plan.pending.recipients, on_done=reporter.advance) \
        if backend.per_recipient and plan.pending.kind != "list" else None
    if journal is not None:
        reporter.begin(plan.count)
    try:
        receipt = backend.send(email, plan.pending, at=plan.at, journal=journal)
    except SendError as exc:
        if journal is not None:
            journal.close()
            reporter.end()
        state = "unknown" if exc.ambiguous else "failed"
        if journal is not None and ledger.progress(entry_id).sent:
            state = "unknown"  # some have it: the next run resumes instead of starting over
        ledger.outcome(entry_id, state, error=str(exc))
        raise
    except BaseException:
        if journal is not None:
            journal.close()  # keep what was delivered; no outcome line: the entry is unknown
        raise
    if journal is not None:
        journal.close()
        reporter.end()
    crashpoint("after-call")
    failed, in_doubt = receipt.failed, ()
    if journal is not None:
        progress = ledger.progress(entry_id)
        failed = tuple(sorted(progress.failed.items()))
        in_doubt = tuple(sorted(progress.in_doubt))
        state = "sent" if progress.sent or plan.test else "failed"
    else:
        state = "scheduled" if plan.at is not None else "sent"
    ledger.outcome(entry_id, state, ref=receipt.provider_id, accepted=receipt.accepted,
                   failed=len(failed), error="; ".join(f"{a}: {r}" for a, r in failed[:20]))
    delivery = None
    if options.wait and state == "sent":
        delivery = _follow(ledger, entry_id, backend, receipt, reporter)
    return SendResult(plan=plan, entry_id=entry_id, state=state, receipt=receipt,
                      delivery=delivery, failed=failed, in_doubt=in_doubt)


def _follow(ledger: Ledger, entry_id: str, backend: BaseBackend, receipt: SendReceipt,
            reporter: Reporter) -> Delivery | None:
    """Poll the ESP's track; a failure here never means "not sent" (it was accepted)."""
    if type(backend).wait is not BaseBackend.wait:
        reporter.note(f"following the delivery ({backend.name} ref {receipt.provider_id}); "
                      "Ctrl+C stops following, the send stays recorded")
    try:
        delivery = backend.wait(receipt, reporter.track)
    except SendError as exc:
        reporter.note(f"could not follow the delivery: {redact(str(exc))}; "
                      "`publisher status` asks again later")
        return None
    if delivery is None:
        return None
    ledger.delivery(entry_id, delivery.outcome, delivery.status, delivery.detail)
    if delivery.status == -6:  # rejected by moderation: nobody received it
        ledger.reconciled(entry_id, "failed", note=delivery.detail)
    return delivery


# --------------------------------------------------------------------------- issues


def send_issue(project: Project, path: Path, options: SendOptions, *,
               confirm: Callable[[Plan], bool] | None = None,
               reporter: Reporter | None = None) -> SendResult:
    """``publisher send``: render ``path`` for the backend, pick the audience, deliver."""
    from publisher.pipeline import prepare
    from publisher.preflight import preflight_before_send

    name = options.backend or project.settings.esp.backend
    backend_class(name)  # an unknown name fails before rendering
    prepared = prepare(project, path, backend=name)
    preflight_before_send(project, prepared.issue, prepared.body.html, name,
                          note=reporter.note if reporter else None)
    if prepared.issue.status == "draft" and not options.test and not options.dry_run:
        raise PublisherError.at(project.relative(path), prepared.issue.line_of("status"),
                                "status is 'draft'; set it to 'ready' to send (test copies "
                                "with --test work for drafts)")
    audience = test_audience(options.test) if options.test else \
        audience_for(project, prepared.issue, name)
    backend = backend_for(project, name) if not options.dry_run or name != "sendsay" \
        else _offline_backend(project, name)
    return deliver(project, prepared.email, audience, options=options, backend=backend,
                   confirm=confirm, reporter=reporter)


def _offline_backend(project: Project, name: str) -> BaseBackend:
    """A dry run must work without credentials: it never contacts the ESP."""
    try:
        return backend_for(project, name)
    except PublisherError:
        cls = backend_class(name)
        return cls(**{**cls.options_from(project), "apikey": "dry-run"})  # type: ignore[attr-defined]
