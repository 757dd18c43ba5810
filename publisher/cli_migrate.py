"""``publisher migrate``: bring a folder made by an older publisher up to date."""

from __future__ import annotations

import click

from publisher.cli import load


@click.command()
@click.option("--dry-run", is_flag=True, help="Say what would change; change nothing.")
@click.pass_context
def migrate(ctx: click.Context, dry_run: bool) -> None:
    """Take subscribers' addresses out of the files git keeps, losing no send record.

    Rewrites delivery logs that name recipients by address so they name them by keyed
    tokens (atomically, under the send lock; they read exactly as before), adds the
    .gitignore lines for subscriber lists, the course roster, reports and the address key,
    and stops git tracking files that hold addresses (`git rm --cached`: they stay on
    disk), and adds the build-cache step to the CI workflow `init` wrote. Safe to run
    again. Set PUBLISHER_ADDRESS_KEY in CI to the key in .publisher/address.key so CI reads
    the same tokens.

    \b
    Example:
      publisher migrate --dry-run
      publisher migrate
    """
    from publisher.ci_workflow import CACHE_STEP, GITHUB_WORKFLOW_PATH
    from publisher.migrate import migrate as run_migration

    project = load(ctx)
    done = run_migration(project, dry_run=dry_run)
    verb = "would " if dry_run else ""
    for path in done.logs:
        click.echo(f"{path}: {verb}name recipients by token instead of address")
    if done.gitignore:
        click.echo(f".gitignore: {verb}add " + ", ".join(done.gitignore))
    for path in done.untracked:
        click.echo(f"{path}: {verb}stop being tracked by git (the file stays here)")
    if done.untracked and not dry_run:
        click.echo("Commit the change. Earlier commits still hold those files: to remove them "
                   "from the history as well, rewrite it (for example with git filter-repo) "
                   "and force-push.", err=True)
    if done.workflow == "added":
        click.echo(f"{GITHUB_WORKFLOW_PATH}: {verb}restore the archive's build cache before "
                   "`publisher build` (actions/cache: a push then rebuilds only what changed)")
    elif done.workflow == "manual":
        click.echo(f"Note: {GITHUB_WORKFLOW_PATH} has no build step as `publisher init` "
                   "writes it, so it was left as it is; to keep the archive's build cache "
                   "between runs, add this step before yours:\n" + CACHE_STEP.rstrip(),
                   err=True)
    if not done.changed:
        click.echo("Nothing to migrate: no file git keeps names a subscriber, and the CI "
                   "workflow is up to date.")
