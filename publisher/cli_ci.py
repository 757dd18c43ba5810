"""``publisher publish-ready``: the step a CI workflow runs on every push (see publisher.ready)."""

from __future__ import annotations

import click

from publisher.cli import load


@click.command("publish-ready")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; contact nobody.")
@click.pass_context
def publish_ready(ctx: click.Context, dry_run: bool) -> None:
    """Publish every issue marked `status: ready` that was not sent yet, oldest first.

    What CI runs on a push: each issue goes through `publish --yes` (check, send once,
    record in the ledger); one that fails stops the run. Issues without a `status:` line
    are reported and left alone.

    \b
    Example:
      publisher publish-ready
    """
    from publisher.cli_send import publish
    from publisher.ready import ready_issues

    project = load(ctx)
    found = ready_issues(project)
    for issue in found.unmarked:
        click.echo(f"Note: {project.relative(issue.path)}: no `status:` line, so not published "
                   "automatically (write `status: ready` to publish it)", err=True)
    if not found.due:
        click.echo(f"Nothing to publish: {len(found.sent)} ready issues already sent, "
                   f"{found.drafts} drafts.")
        return
    click.echo(f"Publishing {len(found.due)} issues: "
               + ", ".join(issue.key for issue in found.due), err=True)
    for issue in found.due:
        ctx.invoke(publish, issue=str(issue.path), yes=True, at=None, dry_run=dry_run,
                   backend=None, force=False, resend_unknown=False, retry_failed=False,
                   no_wait=False)
