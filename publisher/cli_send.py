"""``publisher send``, ``publish`` and ``status``: thin commands over :mod:`publisher.sending`.

Registered by cli.py from ``commands``. Progress (copies handed over, the ESP's track) goes to
stderr; the one-line summary to stdout.
"""

from __future__ import annotations

import json
import sys
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import click

from publisher.backends import REGISTRY
from publisher.backends.base import Delivery
from publisher.cli import load
from publisher.config import Project
from publisher.errors import EXIT_ERROR, EXIT_OK, EXIT_PARTIAL, EXIT_UNKNOWN, PublisherError
from publisher.models import Recipient
from publisher.sending import Plan, Reporter, SendOptions, SendResult, parse_at, send_issue


class CliReporter(Reporter):
    """Progress bar for per-recipient runs, one line per change of the ESP's track."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._last_track = ""

    def note(self, text: str) -> None:
        click.echo(f"Note: {text}", err=True)

    def begin(self, total: int) -> None:
        if total > 1:
            self._bar = click.progressbar(length=total, label="Sending", file=sys.stderr,
                                          show_pos=True, show_eta=True)
            self._bar.__enter__()

    def advance(self, recipient: Recipient, error: str | None) -> None:
        if error:
            click.echo(f"\nRefused: {recipient.email}: {error}", err=True)
        if self._bar is not None:
            self._bar.update(1)

    def end(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None

    def track(self, delivery: Delivery) -> None:
        if delivery.detail != self._last_track:
            self._last_track = delivery.detail
            click.echo(f"Delivery: {delivery.detail}", err=True)


def _when(plan: Plan, project: Project) -> str:
    if plan.at is None:
        return "now"
    return f"{plan.at.strftime('%Y-%m-%d %H:%M')} ({project.settings.site.timezone})"


def show_plan(plan: Plan, project: Project) -> None:
    email = plan.email
    kind = "TEST copies" if plan.test else "Real send"
    click.echo(f"{kind}: {email.issue_key}")
    click.echo(f"  Subject:  {email.subject}")
    click.echo(f"  From:     {email.from_name} <{email.from_email}>")
    click.echo(f"  Backend:  {plan.backend}")
    click.echo(f"  Audience: {plan.describe_audience()}")
    click.echo(f"  When:     {_when(plan, project)}")
    click.echo(f"  Size:     HTML {email.html_size / 1024:.1f} KB")
    for note in plan.notes:
        click.echo(f"  Note:     {note}")


def show_dry_run(plan: Plan, project: Project) -> None:
    """Exactly what the first recipient would get: headers and the plain-text part."""
    from publisher.backends.copies import CopyMaker

    first = plan.pending.recipients[0] if plan.pending.recipients else \
        Recipient(f"{plan.pending.list_id}@list.invalid")
    if plan.backend == "sendsay":
        sendwhen = "test" if plan.test else "later" if plan.at else "now"
        click.echo(f"\nissue.send: sendwhen={sendwhen}"
                   f", name={plan.email.issue_key}, letter with HTML and text; Sendsay fills "
                   "[% ... %] tags per subscriber.")
        click.echo("\n" + "\n".join(plan.email.text.splitlines()[:20]))
        return
    maker = CopyMaker(plan.email, unsubscribe_url=project.settings.footer.unsubscribe_url)
    message = message_from_bytes(maker.bytes_for(first), policy=policy.default)
    click.echo(f"\nFirst copy (of {max(plan.count, 1)}):")
    for header in ("From", "To", "Reply-To", "Subject", "Message-ID", "List-Unsubscribe",
                   "List-Unsubscribe-Post"):
        if message[header]:
            click.echo(f"  {header}: {message[header]}")
    body = message.get_body(("plain",)).get_content()
    click.echo("\n" + "\n".join(body.splitlines()[:20]))


def summary(result: SendResult) -> str:
    plan = result.plan
    what = f"{plan.email.issue_key} ({'test' if plan.test else 'real'})"
    if not result.state:
        return f"Nothing sent: {what}; " + "; ".join(result.notes or ("nothing to do",))
    receipt = result.receipt
    ref = f", ref {receipt.provider_id}" if receipt and receipt.provider_id else ""
    if result.state == "scheduled":
        return f"Scheduled {what} to {plan.describe_audience()} via {plan.backend}{ref}"
    parts = [f"{'Sent' if result.state == 'sent' else 'Not sent'} {what} to "
             f"{plan.describe_audience()} via {plan.backend}{ref}"]
    if plan.backend != "sendsay" and receipt is not None:
        parts.append(f"{receipt.accepted} accepted")
    if result.failed:
        parts.append(f"{len(result.failed)} refused: " + ", ".join(
            f"{a} ({r})" for a, r in result.failed[:5]))
    if result.delivery is not None:
        parts.append(result.delivery.detail)
    return "; ".join(parts)


def exit_code(result: SendResult) -> int:
    """0 done; 1 nothing sent; 3 sent but some recipients refused or deferred; 4 in doubt."""
    if result.state == "failed":
        return EXIT_ERROR
    if result.in_doubt:
        return EXIT_UNKNOWN
    if result.failed or result.deferred:
        return EXIT_PARTIAL
    return EXIT_OK


def result_json(result: SendResult, command: str) -> dict[str, Any]:
    """What ``--json`` prints for a finished (or dry) run: everything a CI step acts on."""
    plan = result.plan
    receipt = result.receipt
    return {
        "command": command, "issue": plan.email.issue_key, "test": plan.test,
        "backend": plan.backend, "audience": plan.describe_audience(),
        "state": result.state or ("dry-run" if result.dry_run else "nothing-to-do"),
        "exit_code": exit_code(result),
        "ref": receipt.provider_id if receipt else "",
        "accepted": receipt.accepted if receipt else 0,
        "failed": [{"address": a, "reason": r} for a, r in result.failed],
        "deferred": [{"address": a, "reason": r} for a, r in result.deferred],
        "in_doubt": list(result.in_doubt),
        "report": result.report_file,
        "delivery": None if result.delivery is None else {
            "outcome": result.delivery.outcome, "status": result.delivery.status,
            "detail": result.delivery.detail},
        "notes": list(plan.notes) + list(result.notes),
        "next": result.next_step,
    }


def error_json(exc: PublisherError, command: str, **extra: Any) -> dict[str, Any]:
    state = {4: "unknown"}.get(exc.exit_code, "error")
    return {"command": command, **extra, "state": state, "exit_code": exc.exit_code,
            "error": [str(p) for p in exc.problems] or [str(exc)], "hint": exc.hint}


def emit_json(data: dict[str, Any]) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _run_send(ctx: click.Context, issue: str, options: SendOptions, yes: bool,
              as_json: bool = False) -> SendResult:
    from publisher.load import find_issue

    project = load(ctx)
    path = find_issue(project, issue)

    def confirm(plan: Plan) -> bool:
        if not as_json:
            show_plan(plan, project)
        if yes or plan.test:
            return True
        return click.confirm("Send it?", default=False, err=True)

    result = send_issue(project, path, options, confirm=confirm, reporter=CliReporter())
    if as_json:
        emit_json(result_json(result, options.command))
    elif options.dry_run:
        show_plan(result.plan, project)
        show_dry_run(result.plan, project)
        copies = result.plan.count or 1
        click.echo(f"\nDry run: nothing was sent or recorded ({copies} "
                   f"cop{'y' if copies == 1 else 'ies'} would go out).")
    else:
        click.echo(summary(result))
        for line in result.problems:
            click.echo(line, err=True)
    code = exit_code(result)
    if code:
        ctx.exit(code)
    return result


def _json_errors(ctx: click.Context, command: str, issue: str, run: Any) -> Any:
    """Run ``run()``; with --json a PublisherError becomes a JSON answer (same exit code)."""
    try:
        return run()
    except PublisherError as exc:
        if not ctx.obj.get("json"):
            raise
        emit_json(error_json(exc, command, issue=issue))
        ctx.exit(exc.exit_code)


def _send_options(f):  # type: ignore[no-untyped-def]
    for option in reversed((
        click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation."),
        click.option("--at", "at", metavar="'YYYY-MM-DD HH:MM'",
                     help="Schedule (newsletter time zone; Sendsay only)."),
        click.option("--dry-run", is_flag=True, help="Show what would be sent; contact nobody."),
        click.option("--backend", type=click.Choice(list(REGISTRY)), default=None,
                     help="Backend for this run (default: esp.backend)."),
        click.option("--force", is_flag=True, help="Send again although the ledger says it "
                                                   "went out to this audience."),
        click.option("--resend-unknown", is_flag=True,
                     help="Treat sends/recipients in doubt after a crash as not sent."),
        click.option("--retry-failed", is_flag=True,
                     help="Resend to recipients the server refused last time."),
        click.option("--no-wait", is_flag=True, help="Do not follow the ESP's delivery track."),
        click.option("--json", "as_json", is_flag=True,
                     help="Print the outcome as JSON on stdout (for CI); exit codes as usual."),
    )):
        f = option(f)
    return f


def _options(project: Project, *, at: str | None, **flags: Any) -> SendOptions:
    return SendOptions(at=parse_at(at, project) if at else None, **flags)


@click.command()
@click.argument("issue")
@click.option("--test", "test", multiple=True, metavar="ADDR",
              help="Send proof copies to ADDR (repeatable) instead of the audience.")
@_send_options
@click.pass_context
def send(ctx: click.Context, issue: str, test: tuple[str, ...], yes: bool, at: str | None,
         dry_run: bool, backend: str | None, force: bool, resend_unknown: bool,
         retry_failed: bool, no_wait: bool, as_json: bool) -> None:
    """Send ISSUE to its audience (or proofs with --test), at most once.

    Shows subject, backend, audience and time, and asks before a real send unless --yes.
    The ledger (.publisher/ledger.jsonl) refuses a second send to the same audience, and
    Sendsay is asked first whether an issue with this name already went out.
    Exit codes: 0 done, 1 error (nothing sent), 3 sent but some recipients refused or
    deferred, 4 outcome unknown (run again later).

    \b
    Examples:
      publisher send kak-ne-stat-zhertvoy-vorov-2 --test me@example.org
      publisher send kak-ne-stat-zhertvoy-vorov-2 --at "2026-12-01 10:00"
      publisher send kak-ne-stat-zhertvoy-vorov-2 --dry-run --backend smtp
    """
    ctx.obj["json"] = as_json

    def run() -> None:
        project = load(ctx)
        options = _options(project, at=at, test=test, dry_run=dry_run, backend=backend,
                           force=force, resend_unknown=resend_unknown,
                           retry_failed=retry_failed, wait=not no_wait)
        _run_send(ctx, issue, options, yes, as_json)

    _json_errors(ctx, "send", issue, run)


@click.command()
@click.argument("issue")
@_send_options
@click.pass_context
def publish(ctx: click.Context, issue: str, yes: bool, at: str | None, dry_run: bool,
            backend: str | None, force: bool, resend_unknown: bool, retry_failed: bool,
            no_wait: bool, as_json: bool) -> None:
    """Check ISSUE, send it to its audience, and record it for the archive.

    With the default `outbox` backend this works on any machine: the mail lands in outbox/.

    \b
    Example:
      publisher publish kak-ne-stat-zhertvoy-vorov-2
    """
    from publisher.load import find_issue
    from publisher.pipeline import prepare
    from publisher.sending import AlreadySent

    ctx.obj["json"] = as_json

    def run() -> None:
        project = load(ctx)
        name = backend or project.settings.esp.backend
        prepared = prepare(project, find_issue(project, issue), backend=name)
        for warning in prepared.warnings:
            click.echo(f"Warning: {warning}", err=True)
        click.echo(f"Checked {prepared.issue.key}: {len(prepared.warnings)} warnings", err=True)
        options = _options(project, at=at, dry_run=dry_run, backend=backend, force=force,
                           resend_unknown=resend_unknown, retry_failed=retry_failed,
                           wait=not no_wait, command="publish")
        try:
            result = _run_send(ctx, issue, options, yes, as_json)
        except AlreadySent as exc:
            # publishing is the step an author (or CI) repeats: done once is done
            if as_json:
                emit_json({"command": "publish", "issue": prepared.issue.key,
                           "state": "already-published", "exit_code": 0, "detail": str(exc)})
            else:
                click.echo(f"Already published: {exc}; nothing sent (send --force sends "
                           "again).")
            return
        if result.state in ("sent", "scheduled") and not as_json:
            click.echo(f"Recorded in {project.relative(project.state_dir / 'ledger.jsonl')}; "
                       "the archive lists it from its next build.")

    _json_errors(ctx, "publish", issue, run)


@click.command()
@click.argument("issue", required=False)
@click.option("--sync", is_flag=True,
              help="Ask the ESP (Sendsay) which issues it already holds under their names and "
                   "record what the ledger lacks (a fresh checkout, a second machine).")
@click.option("--json", "as_json", is_flag=True, help="Print the ledger as JSON on stdout.")
@click.pass_context
def status(ctx: click.Context, issue: str | None, sync: bool, as_json: bool) -> None:
    """Show what was sent, when, to whom, and what the ESP says about it.

    Exit code 4 while a send's outcome is still unknown (run the send again later).

    \b
    Examples:
      publisher status
      publisher status kak-ne-stat-zhertvoy-vorov-2
      publisher status --sync      # in CI, before anything else
    """
    from publisher.ledger import Ledger

    project = load(ctx)
    if sync:
        _sync(project, quiet=as_json)
    ledger = Ledger.of(project)
    entries = ledger.entries()
    if issue is not None:
        key = issue if any(e.issue == issue for e in entries) else _issue_key(project, issue)
        entries = [e for e in entries if e.issue == key]
        if not entries and not as_json:
            click.echo(f"{key}: never sent")
            return
    unknown = [e for e in entries if e.real and e.state == "unknown"]
    if as_json:
        emit_json({"command": "status", "exit_code": EXIT_UNKNOWN if unknown else EXIT_OK,
                   "sendsay_timezone": project.settings.esp.sendsay.timezone,
                   "sends": [_entry_json(ledger, e) for e in entries]})
    elif not entries:
        click.echo("Nothing sent yet.")
    else:
        if any(e.backend == "sendsay" for e in entries):
            click.echo(f"(Sendsay account time zone: {project.settings.esp.sendsay.timezone}, "
                       "esp.sendsay.timezone)")
        for entry in entries:
            kind = "test" if entry.test else "real"
            when = entry.at.astimezone().strftime("%Y-%m-%d %H:%M")
            ref = f" ref {entry.ref}" if entry.ref else ""
            click.echo(f"{when}  {entry.issue}  {kind}  {entry.backend}  "
                       f"{entry.audience_desc}  {entry.state}{ref}")
            if issue is None:
                continue
            for line in _details(project, ledger, entry):
                click.echo(f"    {line}")
        for entry in unknown:
            click.echo(f"Outcome unknown: {entry.issue} ({entry.backend}); run `publisher send "
                       f"{entry.issue}` again to settle it", err=True)
    if unknown:
        ctx.exit(EXIT_UNKNOWN)


def _sync(project: Project, *, quiet: bool) -> None:
    from publisher.esp_sync import sync_with_esp

    report = sync_with_esp(project)
    if quiet:
        return
    for key, state, note in report.settled:
        click.echo(f"{key}: an unsettled send looked up: {state} ({note})", err=True)
    for key, found in report.found:
        when = found.when.astimezone().strftime("%Y-%m-%d %H:%M %Z") if found.when else "?"
        click.echo(f"{key}: found in {report.backend} as issue {found.id}, sent {when} "
                   "(recorded in the ledger)", err=True)
    new = f"{len(report.found)} send(s) recorded" if report.found else "nothing new"
    click.echo(f"{report.backend} account time zone: {report.timezone}; "
               f"{report.checked} issue(s) checked, {new}", err=True)


def _entry_json(ledger: Any, entry: Any) -> dict[str, Any]:
    data = {"id": entry.id, "issue": entry.issue, "test": entry.test,
            "backend": entry.backend, "audience": entry.audience_desc, "state": entry.state,
            "ref": entry.ref, "at": entry.at.isoformat(),
            "finished_at": entry.finished_at.isoformat() if entry.finished_at else None,
            "scheduled_for": entry.scheduled_for.isoformat() if entry.scheduled_for else None,
            "synced": entry.synced, "error": entry.error, "note": entry.note,
            "delivery": entry.delivery or None}
    if ledger.progress_path(entry.id).exists():
        progress = ledger.progress(entry.id, _known_recipients(ledger, entry),
                                   strict=False).readable()
        data["recipients"] = {"sent": len(progress.sent),
                              "refused": dict(sorted(progress.failed.items())),
                              "deferred": dict(sorted(progress.deferred.items())),
                              "in_doubt": sorted(progress.in_doubt)}
    return data


def _known_recipients(ledger: Any, entry: Any) -> tuple[Any, ...]:
    """The subscribers of the list a send went to, so ``status`` can name the recipients its
    delivery log holds by token only; none when the list is gone or unreadable."""
    from publisher.errors import PublisherError
    from publisher.subscribers import load_subscribers

    kind, _, relative = str(entry.audience).partition(":")
    root = ledger.dir.parent
    if kind != "recipients" or not relative or ".." in Path(relative).parts:
        return ()
    try:
        return load_subscribers(root / relative, relative)
    except (PublisherError, OSError):
        return ()


def _issue_key(project: Project, ref: str) -> str:
    from publisher.load import find_issue, load_issue

    return load_issue(find_issue(project, ref), project).key


def _details(project: Project, ledger: Any, entry: Any) -> list[str]:
    from publisher.backends import backend_for

    lines = []
    if entry.scheduled_for:
        lines.append(f"scheduled for {entry.scheduled_for.strftime('%Y-%m-%d %H:%M %Z')}")
    if entry.error:
        lines.append(f"error: {entry.error}")
    if entry.note:
        lines.append(f"note: {entry.note}")
    if ledger.progress_path(entry.id).exists():
        progress = ledger.progress(entry.id, _known_recipients(ledger, entry),
                                   strict=False).readable()
        deferred = f", {len(progress.deferred)} deferred" if progress.deferred else ""
        lines.append(f"recipients: {len(progress.sent)} sent, {len(progress.failed)} refused"
                     f"{deferred}, {len(progress.in_doubt)} in doubt")
        lines += [f"refused: {a}: {r}" for a, r in sorted(progress.failed.items())]
        lines += [f"deferred: {a}: {r}" for a, r in sorted(progress.deferred.items())]
        lines += [f"in doubt: {a}" for a in sorted(progress.in_doubt)]
    if entry.delivery:
        lines.append(f"delivery: {entry.delivery.get('detail')}")
    if entry.test or entry.backend != "sendsay":
        return lines
    try:
        with backend_for(project, entry.backend) as backend:
            report = backend.status(entry.issue, entry.ref)
    except PublisherError as exc:
        lines.append(f"{entry.backend}: cannot ask ({exc})")
        return lines
    if report is None:
        return lines
    if report.delivery is not None:
        lines.append(f"now: {report.delivery.detail}")
    if report.note:
        lines.append(report.note)
    lines += funnel(report.numbers)
    return lines


def funnel(numbers: tuple[tuple[str, int], ...]) -> list[str]:
    """Numbers with the conversion from each step of the funnel to the next."""
    if not numbers:
        return ["statistics: none yet (Sendsay may need a few minutes)"]
    values = dict(numbers)
    base_of = {"delivered": "recipients", "bounced": "recipients",
               "unique opens": "delivered", "unique clicks": "unique opens",
               "unsubscribes": "delivered"}
    out = []
    for label, value in numbers:
        base = base_of.get(label)
        rate = ""
        if base and values.get(base):
            rate = f"  {100 * value / values[base]:5.1f}% of {base}"
        out.append(f"{label:<14}{value:>8}{rate}")
    return out
