"""``publisher stats``: sync the numbers of every real send, then write the local report."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json

import click

from publisher.cli import load


@click.command()
@click.option("--series", "series", metavar="SLUG", help="Only this newsletter or course.")
@click.option("--since", metavar="DATE", help="Only sends on or after DATE (YYYY-MM-DD).")
@click.option("--no-sync", is_flag=True, help="Do not ask the ESP; report what is stored.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the numbers (per send, and clicks per link) as JSON on stdout.")
@click.pass_context
def stats(ctx: click.Context, series: str | None, since: str | None, no_sync: bool,
          as_json: bool) -> None:
    """Pull per-issue numbers, keep their history, write _report/index.html.

    Sendsay sends: recipients, delivered, bounced, unique opens and clicks, unsubscribes
    (stat.uni), and clicks per link where the account answers them. SMTP and outbox
    sends: what the ledger knows (sent, refused, in doubt); their clicks are not tracked.
    The numbers are kept in .publisher/stats.sqlite, so trends outlive the ESP's retention;
    running it again only adds a history point when a number changed. The report is a local
    file for the author, never part of the archive.

    \b
    Examples:
      publisher stats
      publisher stats --series upravlyay-ka --since 2026-01-01
    """
    from publisher.stats.report import write_report
    from publisher.stats.store import StatsStore, readable_store
    from publisher.stats.sync import store_path, sync

    project = load(ctx)
    day = None
    if since is not None:
        try:
            day = dt.date.fromisoformat(since)
        except ValueError:
            raise click.UsageError(f"--since must be a date YYYY-MM-DD, got {since!r}") from None
    if series is not None and series not in {s.slug for s in project.settings.series}:
        raise click.UsageError(f"--series: no newsletter or course {series!r} in the config")
    # with --json, stdout holds only the JSON; the progress lines go to stderr
    say = functools.partial(click.echo, err=as_json)
    path = store_path(project)
    with readable_store(path, project), StatsStore(path) as store:
        if not no_sync:
            report = sync(project, store, series=series, since=day)
            for problem in report.problems:
                click.echo(f"warning: {problem}; the report shows the numbers stored before"
                           if "per link" not in problem else f"warning: {problem}", err=True)
            say(f"Synced {report.sends} sends, {report.changed} with new numbers.")
        sends = store.sends(series=series, since=day.isoformat() if day else None)
        links = store.links([s.send for s in sends])
    page = write_report(project, sends, project.root / "_report", links=links)
    say(f"Report: {project.relative(page)} ({len(sends)} sends)")
    if as_json:
        per_send: dict[str, list[dict[str, object]]] = {}
        for send, url, clicks in links:
            per_send.setdefault(send, []).append({"url": url, "clicks": clicks})
        click.echo(json.dumps([{**dataclasses.asdict(s), "links": per_send.get(s.send, [])}
                               for s in sends], ensure_ascii=False, indent=2))
