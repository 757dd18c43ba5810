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

import contextlib
import datetime as dt
import os
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from publisher.backends import backend_class, backend_for
from publisher.backends.base import BaseBackend, Delivery, EspIssue, Reconciliation
from publisher.config import Project
from publisher.errors import (EXIT_PARTIAL, EXIT_UNKNOWN, LedgerError, OutcomeUnknown,
                              PublisherError, SendError)
from publisher.secrets import scrub
from publisher.ledger import Ledger, LedgerEntry, Progress, audience_key
from publisher.models import Audience, Email, Recipient, SendReceipt
from publisher.oserrors import os_failure
from publisher.settle import describe as describe_moment
from publisher.settle import settle, went_out
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
    command: str = "send"  # what the author runs (send | publish): named in hints


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
    esp_known: int | None = None  # issues under this name the ESP held (None: not asked)
    esp_at: dt.datetime | None = None  # the ESP's clock when it was asked
    checked: bool = False  # backend.check() already passed while planning

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
    deferred: tuple[tuple[str, str], ...] = ()  # refused for now (4xx): the next run retries
    dry_run: bool = False
    #: lines for the author: who did not get it and the exact command that helps
    problems: tuple[str, ...] = ()

    @property
    def report_file(self) -> str:
        found = [p.rsplit(" listed in ", 1)[1] for p in self.problems if " listed in " in p]
        return found[0] if found else ""

    @property
    def next_step(self) -> str:
        """The command that helps, when something is left to do (for --json)."""
        for line in self.problems:
            if "`" in line:
                return line.split("`")[1]
        return ""


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
    """Apply the ledger's rules and ask the ESP; may reconcile and sync (unless dry-running).

    A backend that can look sends up (Sendsay) is asked before every real send whether an
    issue under this issue's name exists: the ESP, not the ledger, has the last word, so a
    fresh checkout or a second machine is as safe as the author's own. What it reports that
    the ledger did not know is recorded (``synced``).
    """
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
    unknown = [e for e in previous if e.state == "unknown"]
    if options.dry_run:
        notes += [f"an earlier send ({_when(e.at)}) has no recorded outcome; a real run first "
                  f"looks it up with {e.backend}" for e in unknown]
        if backend.looks_up:
            notes.append(f"a real run first asks {backend.name} whether an issue named "
                         f"{email.issue_key} exists")
    done = [e for e in previous if e.state in ("sent", "scheduled")]
    if done and not options.force and not unknown:
        raise _already_sent(done[-1], email)  # the ledger knows: no need to ask anyone
    found = None
    if backend.looks_up and not options.dry_run:
        backend.check(email, audience)  # credentials and list first: a clear error, no trace
        mine = [e for e in unknown if e.backend == backend.name]
        found = backend.lookup(email.issue_key, audience, around=mine[0].at if mine else None,
                               at_least=max([e.esp_known + 1 for e in mine] + [1]))
    for entry in unknown:
        if not options.dry_run:
            _reconcile(ledger, entry, audience, backend, options, reporter, found)
    if found:
        _sync(ledger, email, audience, backend, found, reporter)
        previous = ledger.previous(email.issue_key, audience_key(audience))
    done = [e for e in previous if e.state in ("sent", "scheduled")]
    if done and not options.force:
        raise _already_sent(done[-1], email)
    if done:
        notes.append(f"sending again (--force); it already went out {_when(_sent_at(done[-1]))}")
    return replace(base, notes=tuple(notes), checked=found is not None,
                   esp_known=len(found) if found is not None else None,
                   esp_at=backend.esp_now() if found is not None else None)


def _sync(ledger: Ledger, email: Email, audience: Audience, backend: BaseBackend,
          found: list[EspIssue], reporter: Reporter) -> None:
    """Record the ESP's issues under this name that the ledger does not account for."""
    from publisher.esp_sync import record_found

    for issue in record_found(ledger, email.issue_key, audience, backend, found):
        reporter.note(f"{ledger.display(ledger.path)} did not know this send, {backend.name} "
                      f"does: {went_out(issue, email.issue_key)} (recorded now)")


def _sent_at(entry: LedgerEntry) -> dt.datetime | None:
    return entry.at if entry.synced else (entry.finished_at or entry.at)


def _reconcile(ledger: Ledger, entry: LedgerEntry, audience: Audience, backend: BaseBackend,
               options: SendOptions, reporter: Reporter,
               found: list[EspIssue] | None = None) -> None:
    if entry.backend != backend.name:
        found_state = Reconciliation("unknown", note=f"it was sent with {entry.backend}; run "
                                                     f"with --backend {entry.backend} to look "
                                                     "it up")
    else:
        found_state = settle(backend, entry.issue, audience, known=entry.esp_known,
                             started=entry.at, esp_started=entry.esp_at, found=found)
    if found_state.state == "sent":
        ledger.reconciled(entry.id, "sent", ref=found_state.ref, note=found_state.note)
        entry.state, entry.ref = "sent", found_state.ref or entry.ref
        if found_state.when is not None:
            entry.finished_at = found_state.when
        reporter.note(f"The send interrupted {_when(entry.at)} did go out: "
                      f"{found_state.note}.")
    elif found_state.state == "absent":
        ledger.reconciled(entry.id, "failed", note=f"settled as not sent: {found_state.note}")
        entry.state = "failed"
        reporter.note(f"The send interrupted {_when(entry.at)} never went out "
                      f"({found_state.note}); sending it now.")
    elif options.resend_unknown:
        ledger.reconciled(entry.id, "failed", note="author chose to send again "
                                                   f"(--resend-unknown): {found_state.note}")
        entry.state = "failed"
    else:
        again = f"`publisher {options.command} {entry.issue}`"
        when = f" after {found_state.when.astimezone().strftime('%H:%M %Z')}" \
            if found_state.when else " later"
        raise OutcomeUnknown.at(
            ledger.display(ledger.path), entry.line,
            f"{entry.issue}: the send started {_when(entry.at)} to {entry.audience_desc} via "
            f"{entry.backend} may or may not have gone out ({found_state.note})",
            hint=f"run {again} again{when}; it settles by itself (add --resend-unknown "
                 "only if you are sure it did not go out)")


def _plan_per_recipient(ledger: Ledger, base: Plan, previous: list[LedgerEntry],
                        options: SendOptions) -> Plan:
    active = [e for e in previous if e.counts_as_sent]
    if options.force or not active:
        notes = (f"sending again (--force); it already went out {_when(active[-1].at)}",) \
            if active else ()
        return replace(base, notes=notes)
    latest = active[-1]
    progress = ledger.progress(latest.id, base.audience.recipients)
    resumable = latest.state == "unknown" or (latest.state == "sent" and (
        options.resend_unknown or options.retry_failed or bool(progress.deferred)))
    if not resumable:
        error = _already_sent(latest, base.email)
        left = leftovers(ledger, latest.id, progress, options, base.email.issue_key)
        if left:
            error.hint = "; ".join(left)
            if progress.in_doubt:
                error.exit_code = EXIT_UNKNOWN  # a person must decide: say so every run
        raise error
    pending = progress.pending(base.audience.recipients, resend_unknown=options.resend_unknown,
                               retry_failed=options.retry_failed)
    going = progress.tokens(pending)
    held = [f"{count} {what}" for count, what in (
        (len(progress.in_doubt - going), "in doubt"),
        (len(set(progress.failed) - going), "refused last time")) if count]
    notes = [f"resuming the send started {_when(latest.at)}: {len(progress.sent)} already "
             f"have it, {len(pending)} to go"
             + (f"; not sent again: {', '.join(held)} (listed at the end)" if held else "")]
    return replace(base, resume=latest, notes=tuple(notes),
                   pending=replace(base.audience, recipients=pending))


#: more addresses than this go to a file under .publisher/reports/ instead of the terminal
LIST_INLINE = 10


def leftovers(ledger: Ledger, entry_id: str, progress: Progress, options: SendOptions,
              issue_key: str, *, last_time: bool = False) -> list[str]:
    """Who did not get the issue and why, each group with the exact command that helps.

    Every address is listed: on the line when there are few, else in
    ``.publisher/reports/<send id>-<kind>.txt`` (the line names the file).
    """
    command = f"publisher {options.command} {issue_key}"
    when = " last time" if last_time else ""
    progress = progress.readable()  # addresses for the author (the terminal, ignored reports)
    groups = (
        ("refused", sorted(progress.failed.items()),
         f"were refused by the server{when}; `{command} --retry-failed` tries them again "
         "(once the addresses are fixed)"),
        ("deferred", sorted(progress.deferred.items()),
         f"were deferred (a temporary refusal){when}; the next `{command}` retries them, no "
         "flag needed"),
        ("in-doubt", [(a, "") for a in sorted(progress.in_doubt)],
         "may already have it (the run stopped while sending to them), not sent again; "
         f"`{command} --resend-unknown` sends to them"),
    )
    lines = []
    for kind, rows, what in groups:
        if not rows:
            continue
        lines.append(f"{len(rows)} recipient(s) {what}: "
                     f"{_addresses(ledger, entry_id, kind, rows)}")
    return lines


def _addresses(ledger: Ledger, entry_id: str, kind: str, rows: list[tuple[str, str]]) -> str:
    if len(rows) <= LIST_INLINE:
        return ", ".join(f"{a} ({r})" if r else a for a, r in rows)
    path = ledger.dir / "reports" / f"{entry_id}-{kind}.txt"
    text = "".join(f"{a}\t{r}\n" if r else f"{a}\n" for a, r in rows)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        return f"{len(rows)} addresses (could not write the list to {ledger.display(path)}: " \
               f"{exc.strerror}; `publisher status {entry_id}` shows them)"
    return f"all {len(rows)} listed in {ledger.display(path)}"


class AlreadySent(LedgerError):
    """The ledger says this issue already went out to this audience (``send`` refuses;
    ``publish``, the repeatable author's step, reports it and succeeds)."""


def _already_sent(entry: LedgerEntry, email: Email) -> LedgerError:
    changed = "" if entry.synced or entry.hash == email.content_hash else \
        " (the issue has changed since)"
    ref = f", ref {entry.ref}" if entry.ref else ""
    if entry.state == "scheduled" and entry.scheduled_for is not None:
        verb = f"is scheduled for {_when(entry.scheduled_for).removeprefix('on ')}"
    else:
        verb = f"already went out {_when(_sent_at(entry))}"
    where = f" (found in {entry.backend}, not sent from this ledger)" if entry.synced else ""
    return AlreadySent(f"{entry.issue} {verb} to {entry.audience_desc} via {entry.backend}"
                       f"{ref}{changed}{where}", hint="add --force to send it to the same "
                                                      "audience again")


_when = describe_moment


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
    try:
        if options.dry_run:
            return SendResult(plan=plan_send(ledger, email, audience, backend, options,
                                             reporter), dry_run=True)
        with ledger.lock():
            try:
                return _plan_and_run(ledger, email, audience, backend, options, confirm,
                                     reporter)
            finally:
                backend.close()  # backends connect lazily: a refused plan never connects
    except OSError as exc:
        # the ledger, the lock or a delivery log could not be written: the intent is written
        # before any backend call, so a failure there means nothing was sent
        raise os_failure(exc, root=project.root) from exc


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
        progress = ledger.progress(plan.resume.id, plan.audience.recipients) if plan.resume \
            else Progress(frozenset(), {}, frozenset())
        problems = leftovers(ledger, plan.resume.id, progress, options,
                             email.issue_key) if plan.resume else []
        shown = progress.readable()
        return SendResult(plan=plan, notes=("nothing left to send",),
                          in_doubt=tuple(sorted(shown.in_doubt)),
                          failed=tuple(sorted(shown.failed.items())),
                          problems=tuple(problems))
    if not plan.checked:
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
                                 scheduled_for=plan.at, esp_known=plan.esp_known,
                                 esp_at=plan.esp_at)
    crashpoint("after-intent")
    journal = ledger.journal(entry_id, plan.pending.recipients, on_done=reporter.advance) \
        if backend.per_recipient and plan.pending.kind != "list" else None
    if journal is not None:
        reporter.begin(plan.count)
    try:
        # an ESP that looks sends up also labels them with the attempt id
        extra = {"attempt": entry_id} if backend.looks_up else {}
        receipt = backend.send(email, plan.pending, at=plan.at, journal=journal, **extra)
    except SendError as exc:
        if journal is not None:
            journal.close()
            reporter.end()
        state = "unknown" if exc.ambiguous else "failed"
        if journal is not None and ledger.progress(entry_id).sent:
            state = "unknown"  # some have it: the next run resumes instead of starting over
            if not exc.ambiguous:
                exc.exit_code = EXIT_PARTIAL
        ledger.outcome(entry_id, state, error=str(exc))
        if exc.ambiguous and journal is None:
            exc.hint = (f"do not send it by other means: run `publisher {options.command} "
                        f"{email.issue_key}` again in a few minutes; it asks {backend.name} "
                        "whether the issue went out (and settles by itself)")
        raise
    except OSError as exc:
        # our own state could not be written (a full disk, say): if no copy was handed over,
        # close the entry as failed (when even that fails, it stays unknown and resumes)
        if journal is not None:
            with contextlib.suppress(OSError):
                journal.close()
        progress = ledger.progress(entry_id)
        if not (progress.sent or progress.in_doubt or progress.failed):
            with contextlib.suppress(OSError):
                ledger.outcome(entry_id, "failed", error=f"nothing sent: {exc}")
        raise
    except BaseException:
        if journal is not None:
            journal.close()  # keep what was delivered; no outcome line: the entry is unknown
        raise
    if journal is not None:
        journal.close()
        reporter.end()
    crashpoint("after-call")
    failed, in_doubt, deferred, problems = receipt.failed, (), (), ()
    if journal is not None:
        progress = ledger.progress(entry_id, plan.audience.recipients)
        shown = progress.readable()
        failed = tuple(sorted(shown.failed.items()))
        in_doubt = tuple(sorted(shown.in_doubt))
        deferred = tuple(sorted(shown.deferred.items()))
        state = "sent" if progress.sent or plan.test else "failed"
        if deferred and not progress.sent:
            state = "unknown"  # nobody has it yet, but the next run retries: keep it open
        problems = tuple(leftovers(ledger, entry_id, progress, options, email.issue_key))
    else:
        state = "scheduled" if plan.at is not None else "sent"
    # the ledger is kept in git: refusals are recorded by token, never by address
    recorded = sorted(progress.failed.items()) if journal is not None else list(failed)
    ledger.outcome(entry_id, state, ref=receipt.provider_id, accepted=receipt.accepted,
                   failed=len(failed), error="; ".join(f"{a}: {r}" for a, r in recorded[:20]))
    delivery = None
    if options.wait and state == "sent":
        delivery = _follow(ledger, entry_id, backend, receipt, reporter)
    return SendResult(plan=plan, entry_id=entry_id, state=state, receipt=receipt,
                      delivery=delivery, failed=failed, in_doubt=in_doubt, deferred=deferred,
                      problems=problems)


def _follow(ledger: Ledger, entry_id: str, backend: BaseBackend, receipt: SendReceipt,
            reporter: Reporter) -> Delivery | None:
    """Poll the ESP's track; a failure here never means "not sent" (it was accepted)."""
    if type(backend).wait is not BaseBackend.wait:
        reporter.note(f"following the delivery ({backend.name} ref {receipt.provider_id}); "
                      "Ctrl+C stops following, the send stays recorded")
    try:
        delivery = backend.wait(receipt, reporter.track)
    except SendError as exc:
        reporter.note(f"could not follow the delivery: {scrub(str(exc))}; "
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
