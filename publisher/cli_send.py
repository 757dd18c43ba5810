"""``publisher send``, ``publish`` and ``status``: thin commands over :mod:`publisher.sending`.

Registered by cli.py from ``commands``. Progress (copies handed over, the ESP's track) goes to
stderr; the one-line summary to stdout.
"""

from __future__ import annotations

import sys
from email import message_from_bytes, policy
from typing import Any

import click

from publisher.backends import REGISTRY
from publisher.backends.base import Delivery
from publisher.cli import load
from publisher.config import Project
from publisher.errors import PublisherError
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


def _run_send(ctx: click.Context, issue: str, options: SendOptions, yes: bool) -> SendResult:
    from publisher.load import find_issue

    project = load(ctx)
    path = find_issue(project, issue)

    def confirm(plan: Plan) -> bool:
        show_plan(plan, project)
        if yes or plan.test:
            return True
        return click.confirm("Send it?", default=False, err=True)

    result = send_issue(project, path, options, confirm=confirm, reporter=CliReporter())
    if options.dry_run:
        show_plan(result.plan, project)
        show_dry_run(result.plan, project)
        copies = result.plan.count or 1
        click.echo(f"\nDry run: nothing was sent or recorded ({copies} "
                   f"cop{'y' if copies == 1 else 'ies'} would go out).")
    else:
        click.echo(summary(result))
        if result.state == "failed":
            ctx.exit(1)
    return result


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
         retry_failed: bool, no_wait: bool) -> None:
    """Send ISSUE to its audience (or proofs with --test), at most once.

    Shows subject, backend, audience and time, and asks before a real send unless --yes.
    The ledger (.publisher/ledger.jsonl) refuses a second send to the same audience.

    \b
    Examples:
      publisher send kak-ne-stat-zhertvoy-vorov-2 --test me@example.org
      publisher send kak-ne-stat-zhertvoy-vorov-2 --at "2026-12-01 10:00"
      publisher send kak-ne-stat-zhertvoy-vorov-2 --dry-run --backend smtp
    """
    project = load(ctx)
    options = _options(project, at=at, test=test, dry_run=dry_run, backend=backend,
                       force=force, resend_unknown=resend_unknown, retry_failed=retry_failed,
                       wait=not no_wait)
    _run_send(ctx, issue, options, yes)


@click.command()
@click.argument("issue")
@_send_options
@click.pass_context
def publish(ctx: click.Context, issue: str, yes: bool, at: str | None, dry_run: bool,
            backend: str | None, force: bool, resend_unknown: bool, retry_failed: bool,
            no_wait: bool) -> None:
    """Check ISSUE, send it to its audience, and record it for the archive.

    With the default `outbox` backend this works on any machine: the mail lands in outbox/.

    \b
    Example:
      publisher publish kak-ne-stat-zhertvoy-vorov-2
    """
    from publisher.load import find_issue
    from publisher.pipeline import prepare
    from publisher.sending import AlreadySent

    project = load(ctx)
    name = backend or project.settings.esp.backend
    prepared = prepare(project, find_issue(project, issue), backend=name)
    for warning in prepared.warnings:
        click.echo(f"Warning: {warning}", err=True)
    click.echo(f"Checked {prepared.issue.key}: {len(prepared.warnings)} warnings", err=True)
    options = _options(project, at=at, dry_run=dry_run, backend=backend, force=force,
                       resend_unknown=resend_unknown, retry_failed=retry_failed,
                       wait=not no_wait)
    try:
        result = _run_send(ctx, issue, options, yes)
    except AlreadySent as exc:
        # publishing is the step an author (or CI) repeats: done once is done
        click.echo(f"Already published: {exc}; nothing sent (send --force sends again).")
        return
    if result.state in ("sent", "scheduled"):
        click.echo(f"Recorded in {project.relative(project.state_dir / 'ledger.jsonl')}; the "
                   "archive lists it from its next build.")


@click.command()
@click.argument("issue", required=False)
@click.pass_context
def status(ctx: click.Context, issue: str | None) -> None:
    """Show what was sent, when, to whom, and what the ESP says about it.

    \b
    Examples:
      publisher status
      publisher status kak-ne-stat-zhertvoy-vorov-2
    """
    from publisher.ledger import Ledger

    project = load(ctx)
    ledger = Ledger.of(project)
    entries = ledger.entries()
    if issue is not None:
        key = issue if any(e.issue == issue for e in entries) else _issue_key(project, issue)
        entries = [e for e in entries if e.issue == key]
        if not entries:
            click.echo(f"{key}: never sent")
            return
    if not entries:
        click.echo("Nothing sent yet.")
        return
    for entry in entries:
        kind = "test" if entry.test else "real"
        when = entry.at.astimezone().strftime("%Y-%m-%d %H:%M")
        ref = f" ref {entry.ref}" if entry.ref else ""
        click.echo(f"{when}  {entry.issue}  {kind}  {entry.backend}  {entry.audience_desc}  "
                   f"{entry.state}{ref}")
        if issue is None:
            continue
        for line in _details(project, ledger, entry):
            click.echo(f"    {line}")


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
        progress = ledger.progress(entry.id)
        lines.append(f"recipients: {len(progress.sent)} sent, {len(progress.failed)} refused, "
                     f"{len(progress.in_doubt)} in doubt")
        lines += [f"refused: {a}: {r}" for a, r in sorted(progress.failed.items())[:20]]
        lines += [f"in doubt: {a}" for a in sorted(progress.in_doubt)[:20]]
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
