"""``publisher import sendsay`` and ``publisher import html``: the back catalogue as issues.

Registered lazily by cli.py. One line per letter goes to stderr as the import runs (what
happened to it and why); the summary line goes to stdout. Exit code 1 when a letter failed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from publisher.cli import load
from publisher.importer.run import EDITED, FAILED, WOULD, Result, Summary

_DAY = click.DateTime(formats=["%Y-%m-%d"])


def _common(function):  # type: ignore[no-untyped-def]
    for decorator in reversed([
        click.option("--dry-run", is_flag=True,
                     help="Write nothing; show what would be written."),
        click.option("--show", is_flag=True,
                     help="With --dry-run: print each file that would be written."),
        click.option("--download-images", is_flag=True,
                     help="Save remote images under issues/images/ and link the copies."),
        click.option("--refresh", is_flag=True,
                     help="Convert again the imported files nobody has edited since."),
    ]):
        function = decorator(function)
    return function


@click.group("import")
def import_group() -> None:
    """Import old issues (the back catalogue) as Markdown issues the archive publishes.

    Each letter becomes issues/<series>-<number>-<slug>.md with `status: published` and
    `imported_from`, numbered in date order after the series' last issue. A rerun imports
    only what is new and never touches a file edited since it was imported.

    \b
    Example:
      publisher import sendsay --dry-run
      publisher import html old-archive/ --series upravlyay-ka
    """


@import_group.command("sendsay")
@click.option("--since", type=_DAY, default=None,
              help="First day (YYYY-MM-DD; default 2000-01-01).")
@click.option("--until", type=_DAY, default=None, help="Last day (default: today).")
@click.option("--series", "-s", "series", multiple=True,
              help="Only this series (repeatable; default: every series with a list_id).")
@_common
@click.pass_context
def import_sendsay(ctx: click.Context, since: dt.datetime | None, until: dt.datetime | None,
                   series: tuple[str, ...], dry_run: bool, show: bool, download_images: bool,
                   refresh: bool) -> None:
    """Issues sent through Sendsay: issue.list a year at a time, then issue.get each.

    Credentials come from the environment as for `send` (SENDSAY_APIKEY, or SENDSAY_LOGIN,
    SENDSAY_SUBLOGIN and SENDSAY_PASSWORD); each issue's list id (gid) picks the series
    whose list_id it is.

    \b
    Example:
      publisher import sendsay --since 2009-01-01 --series upravlyay-ka --dry-run
    """
    from publisher.importer.run import run_import
    from publisher.importer.sources import sendsay_client, sendsay_letters

    project = load(ctx)
    for slug in series:
        _known_series(project, slug)
    skipped: list[str] = []

    def on_page(start: dt.date, end: dt.date, count: int) -> None:
        if count:
            click.echo(f"Listed {start}..{end}: {count} issues", err=True)

    with sendsay_client(project) as client:
        letters = sendsay_letters(client, project, since=since.date() if since else None,
                                  until=until.date() if until else None, series=list(series),
                                  on_page=on_page, skipped=skipped)
        summary = run_import(project, letters, dry_run=dry_run, refresh=refresh,
                             download_images=download_images, progress=_progress(project))
    summary.not_in_series = skipped
    _finish(ctx, project, summary, show=show and dry_run)


@import_group.command("html")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--series", "-s", required=True, help="Series slug the pages belong to.")
@click.option("--date", type=_DAY, default=None,
              help="Date for pages that show none (YYYY-MM-DD).")
@click.option("--title", default="", help="Title for pages that have none.")
@_common
@click.pass_context
def import_html(ctx: click.Context, paths: tuple[Path, ...], series: str,
                date: dt.datetime | None, title: str, dry_run: bool, show: bool,
                download_images: bool, refresh: bool) -> None:
    """Saved HTML pages (files or folders of them) of one series.

    The charset comes from the page's meta tag, else from its bytes (UTF-8, cp1251 and
    koi8-r are told apart); date and title from the page, else from the options.

    \b
    Example:
      publisher import html saved-pages/ --series upravlyay-ka
    """
    from publisher.importer.run import run_import
    from publisher.importer.sources import html_letters

    project = load(ctx)
    letters = html_letters(list(paths), project, series=series,
                           date=date.date() if date else None, title=title)
    summary = run_import(project, letters, dry_run=dry_run, refresh=refresh,
                         download_images=download_images, progress=_progress(project),
                         fallback_date=date.date() if date else None, fallback_title=title)
    _finish(ctx, project, summary, show=show and dry_run)


def _known_series(project, slug: str) -> None:  # type: ignore[no-untyped-def]
    from publisher.errors import ConfigError

    if project.settings.series_by_slug(slug) is None:
        known = ", ".join(s.slug for s in project.settings.series)
        raise ConfigError.at(project.relative(project.config_path), None,
                             f"unknown series {slug!r} (known: {known})")


def _progress(project):  # type: ignore[no-untyped-def]
    def report(index: int, total: int, result: Result) -> None:
        where = f" -> {project.relative(result.path)}" if result.path else ""
        why = f": {result.reason}" if result.reason else ""
        width = len(str(total))
        click.echo(f"[{index:>{width}}/{total}] {result.status}: {result.label}{where}{why}",
                   err=True)
        for note in result.notes:
            click.echo(f"    note: {note}", err=True)
    return report


def _finish(ctx: click.Context, project, summary: Summary, *,  # type: ignore[no-untyped-def]
            show: bool) -> None:
    for skipped in summary.not_in_series:
        click.echo(f"Not imported: {skipped}", err=True)
    if show:
        for result in summary.results:
            if result.status == WOULD:
                click.echo(f"==> {project.relative(result.path)}")
                click.echo(result.text)
    edited = [r for r in summary.results if r.status == EDITED]
    if edited:
        click.echo(f"Left alone: {len(edited)} imported file(s) changed since import "
                   "(their authors' edits win; --refresh does not touch them)", err=True)
    failed = [r for r in summary.results if r.status == FAILED]
    for result in failed:
        click.echo(f"Failed: {result.source} ({result.label}): {result.reason}", err=True)
    prefix = "Dry run: " if any(r.status == WOULD for r in summary.results) else ""
    click.echo(f"{prefix}{summary.line()}")
    if failed:
        ctx.exit(1)
