"""``publisher build``: the archive site, with a progress bar on long builds."""

from __future__ import annotations

import sys
from pathlib import Path

import click


class ProgressBar:
    """A one-line progress bar on a terminal; silent when output is piped or short."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.shown = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or total < 200:
            return
        width = 30
        filled = width * done // max(total, 1)
        click.echo(f"\r{stage:>7} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}",
                   err=True, nl=False)
        self.shown = True

    def close(self) -> None:
        """Clear the bar's line (before a summary is printed); it may be shown again."""
        if self.shown:
            click.echo("\r" + " " * 60 + "\r", err=True, nl=False)
            self.shown = False


@click.command("build")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: _site/ in the newsletter folder).")
@click.option("--clean", is_flag=True, help="Render every page again and replace the folder "
                                            "(the render cache is still used).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes for Markdown (default: one per core).")
@click.pass_context
def build(ctx: click.Context, out: Path | None, clean: bool, jobs: int | None) -> None:
    """Build the web archive: index, newsletter and issue pages, feeds, search.

    Only issues that were sent or say `status: published` appear. The new site is built
    beside the old one and swapped in; a failed build leaves the old one untouched.

    \b
    Example:
      publisher build --out _site
    """
    from archive_site.build import build as build_site
    from publisher.cli import load  # here: publisher.cli imports this module while loading

    project = load(ctx)
    bar = ProgressBar()
    try:
        report = build_site(project, out or project.root / "_site", progress=bar,
                            incremental=not clean, jobs=jobs)
    finally:
        bar.close()
    click.echo(report.summary)
