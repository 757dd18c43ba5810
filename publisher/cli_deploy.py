"""``publisher deploy``: the built archive to where visitors read it (see publisher.deploy)."""

from __future__ import annotations

from pathlib import Path

import click

from publisher.cli import load


@click.command("deploy")
@click.option("--site", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The built archive (default: _site/ in the newsletter folder).")
@click.option("--to", "method", type=click.Choice(["folder", "rsync", "s3"]), default=None,
              help="Target for this run (default: deploy.method).")
@click.option("--dry-run", is_flag=True,
              help="List what would be uploaded and deleted; change nothing.")
@click.option("--full", is_flag=True,
              help="Upload every file, whatever the target's manifest says.")
@click.pass_context
def deploy(ctx: click.Context, site: Path | None, method: str | None, dry_run: bool,
           full: bool) -> None:
    """Upload the changed files of the built archive to deploy.method; delete removed ones.

    Only files whose content changed since the last deploy are sent (the target keeps a
    manifest); pages go after the images and styles they use, deletions come last.
    Credentials come from the environment variables newsletter.yaml names.

    \b
    Examples:
      publisher build && publisher deploy
      publisher deploy --dry-run
    """
    from publisher.deploy.run import deploy as run_deploy

    project = load(ctx)
    report = run_deploy(project, site or project.root / "_site", method=method,
                        dry_run=dry_run, full=full, echo=lambda line: click.echo(f"  {line}"))
    click.echo(report.summary)
