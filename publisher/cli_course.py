"""``publisher course ...``: enrol subscribers, run the course from cron, sync Sendsay drafts.

Thin click commands over :mod:`publisher.course`; this module only parses options and prints
what the library returns. Library errors (PublisherError) become ``Error: ...`` lines with
exit code 1 through the main group.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from publisher.cli import echo_error, load
from publisher.config import EMAIL_RE, Project
from publisher.course.lessons import course_series, load_course
from publisher.course.roster_csv import parse_when, read_roster
from publisher.course.runner import RunReport, run_courses
from publisher.course.store import CourseStore, Enrolee, RunLock, moment
from publisher.course.window import Window, zone
from publisher.errors import ConfigError, PublisherError



def _timezone(project: Project, slug: str) -> str:
    series = course_series(project, slug)
    return series.course.timezone or project.settings.site.timezone


def _when(value: str | None, timezone: str, option: str) -> dt.datetime:
    """``--now``/``--at``: a date or date+time, naive values in ``timezone``; default: now."""
    if value is None:
        return dt.datetime.now(dt.UTC)
    parsed = parse_when(value, timezone)
    if parsed is None:
        raise click.BadParameter(f"expected YYYY-MM-DD or 'YYYY-MM-DD HH:MM', got {value!r}",
                                 param_hint=option)
    return parsed


def _address(email: str) -> str:
    address = email.strip().lower()
    if not EMAIL_RE.match(address):
        raise click.BadParameter(f"not an email address: {email!r}", param_hint="EMAIL")
    return address


def _local(seconds: int | None, timezone: str) -> str:
    if seconds is None:
        return "-"
    return moment(seconds).astimezone(zone(timezone)).strftime("%Y-%m-%d %H:%M")


@click.group()
def course() -> None:
    """Email courses: a roster, lessons on each subscriber's own schedule, exactly once.

    \b
    Example:
      publisher course enroll upravlyay-ka reader@example.org --name Анна
      publisher course run            # from cron, every few minutes
    """


@course.command()
@click.argument("course_slug", metavar="COURSE")
@click.argument("email")
@click.option("--name", default="", help="Subscriber's name (for personal greetings).")
@click.option("--at", "at", default=None, metavar="DATE",
              help="Enrolment time, 'YYYY-MM-DD [HH:MM]' (default: now); lesson 1 follows it.")
@click.option("--timezone", "timezone", default="", metavar="TZ",
              help="Subscriber's IANA time zone for the sending window (default: the course's).")
@click.pass_context
def enroll(ctx: click.Context, course_slug: str, email: str, name: str, at: str | None,
           timezone: str) -> None:
    """Enrol EMAIL in COURSE: they start at lesson 1.

    With course.delivery 'sendsay' the address is started on the course's Sendsay workflow
    instead of the local roster.

    \b
    Example:
      publisher course enroll upravlyay-ka anna@example.org --name Анна --at 2026-12-01
    """
    project = load(ctx)
    series = course_series(project, course_slug)
    address = _address(email)
    if timezone:
        try:
            zone(timezone)
        except (KeyError, ValueError):
            raise click.BadParameter(f"unknown time zone {timezone!r}",
                                     param_hint="--timezone") from None
    if series.course.delivery == "sendsay":
        from publisher.course.sendsay import start_workflow

        start_workflow(project, course_slug, address, name)
        click.echo(f"Started {address} on Sendsay workflow {series.course.sequence_id} "
                   f"({course_slug})")
        return
    when = _when(at, timezone or _timezone(project, course_slug), "--at")
    course_obj = load_course(project, course_slug)
    with CourseStore.for_project(project.root) as store:
        result = store.enrol(course_slug, [Enrolee(address, name.strip(), timezone, when)],
                             course_obj.delays, dt.datetime.now(dt.UTC))
    if result.added:
        local = when.astimezone(zone(timezone or _timezone(project, course_slug)))
        click.echo(f"Enrolled {address} in {course_slug} (from {local:%Y-%m-%d %H:%M})")
    elif result.reactivated:
        click.echo(f"Re-enrolled {address} in {course_slug}: continues where they stopped")
    else:
        click.echo(f"{address} is already enrolled in {course_slug}; nothing changed")


@course.command(name="import")
@click.argument("course_slug", metavar="COURSE")
@click.argument("csv_file", metavar="FILE.csv",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def import_(ctx: click.Context, course_slug: str, csv_file: Path) -> None:
    """Enrol everyone in a CSV file (columns: email, name, timezone, enrolled_at, course).

    Bad rows are reported one per line and skipped; the good rows are enrolled together or
    not at all. Exit code 1 when any row was rejected.

    \b
    Example:
      publisher course import upravlyay-ka subscribers.csv
    """
    project = load(ctx)
    series = course_series(project, course_slug)
    if series.course.delivery != "local":
        raise ConfigError(f"course {course_slug!r} is delivered by a Sendsay workflow; "
                          "import the list in Sendsay, or enrol addresses one by one")
    course_obj = load_course(project, course_slug)
    roster = read_roster(csv_file, course_slug, project,
                         timezone=_timezone(project, course_slug))
    for problem in roster.problems:
        echo_error(str(problem))
    with CourseStore.for_project(project.root) as store:
        result = store.enrol(course_slug, [p for _, p in roster.people], course_obj.delays,
                             dt.datetime.now(dt.UTC))
    delimiter = {"\t": "tab"}.get(roster.delimiter, repr(roster.delimiter))
    click.echo(f"Read {csv_file} as {roster.encoding} (delimiter {delimiter}): {roster.rows} "
               f"rows; enrolled {len(result.added)}, re-enrolled {len(result.reactivated)}, "
               f"already enrolled {len(result.already)}, rejected {len(roster.problems)}")
    if roster.problems:
        ctx.exit(1)


@course.command()
@click.argument("course_slug", metavar="COURSE")
@click.argument("email")
@click.option("--unsubscribed", is_flag=True,
              help="Record that the subscriber unsubscribed (rather than was removed).")
@click.pass_context
def unenroll(ctx: click.Context, course_slug: str, email: str, unsubscribed: bool) -> None:
    """Stop sending COURSE to EMAIL (what was sent stays recorded).

    \b
    Example:
      publisher course unenroll upravlyay-ka anna@example.org
    """
    project = load(ctx)
    course_series(project, course_slug)
    address = _address(email)
    with CourseStore.for_project(project.root) as store:
        done = store.unenrol(course_slug, address, dt.datetime.now(dt.UTC),
                             "unsubscribed" if unsubscribed else "unenrolled")
        known = store.is_enrolled(course_slug, address)
    if done:
        click.echo(f"Unenrolled {address} from {course_slug}: no more lessons")
    elif known:
        click.echo(f"{address} had already left {course_slug}; nothing changed")
    else:
        raise PublisherError(f"{address} is not enrolled in {course_slug}")


@course.command(name="list")
@click.argument("course_slug", metavar="COURSE")
@click.pass_context
def list_(ctx: click.Context, course_slug: str) -> None:
    """Who is where in COURSE, and when their next lesson is due (local time).

    \b
    Example:
      publisher course list upravlyay-ka
    """
    project = load(ctx)
    course_obj = load_course(project, course_slug)
    window = Window.of(course_obj.series, project)
    total = len(course_obj.lessons)
    with CourseStore.for_project(project.root) as store:
        store.apply_schedule(course_slug, course_obj.delays, course_obj.fingerprint)
        rows = store.roster(course_slug)
    click.echo(f"{course_slug}: {total} lessons, window {window.describe()}, "
               f"{sum(r.status == 'active' for r in rows)} active of {len(rows)}")
    if not rows:
        return
    click.echo(f"{'email':<32} {'name':<16} {'status':<12} {'sent':>5}  next")
    for row in rows:
        tz = row.timezone or window.timezone
        if row.status != "active":
            nxt = "-"
        elif row.problem:
            nxt = f"lesson {row.next_lesson}: {row.problem}, see `course resolve`"
        elif row.held:
            nxt = f"lesson {row.next_lesson}: being sent"
        elif row.next_due is None:
            nxt = "finished" if row.next_lesson > total else f"lesson {row.next_lesson}: not ready"
        else:
            due = window.next_open(moment(row.next_due), row.timezone)
            when = due.astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M") if due else "never"
            nxt = f"lesson {row.next_lesson} at {when}"
        click.echo(f"{row.email:<32} {row.name[:16]:<16} {row.status:<12} "
                   f"{row.sent:>2}/{total:<2}  {nxt}")


@course.command()
@click.argument("course_slug", metavar="[COURSE]", required=False)
@click.option("--now", "now", default=None, metavar="DATETIME",
              help="Act as if it were this time, 'YYYY-MM-DD HH:MM' in the site's time zone "
                   "(for rehearsals and tests; default: the clock).")
@click.option("--dry-run", is_flag=True, help="Show what is due; send and record nothing.")
@click.option("--backend", type=click.Choice(["outbox", "sendsay", "smtp"]), default=None,
              help="Deliver through this backend (default: esp.backend).")
@click.option("--json", "as_json", is_flag=True, help="Print the run's report as JSON on stdout.")
@click.pass_context
def run(ctx: click.Context, course_slug: str | None, now: str | None, dry_run: bool,
        backend: str | None, as_json: bool) -> None:
    """Send every lesson that is due, once; safe to run from cron every few minutes.

    Exit codes: 0 done, 1 error (nothing sent), 3 sent but some deliveries failed (a later
    run retries them), 4 some outcomes are not known yet (run again later).

    \b
    Example:
      */5 * * * *  cd /srv/newsletter && publisher course run
      publisher course run upravlyay-ka --now "2026-12-01 09:00" --dry-run
    """
    project = load(ctx)
    moment_now = _when(now, project.settings.site.timezone, "--now")
    try:
        report = run_courses(project, [course_slug] if course_slug else [], now=moment_now,
                             dry_run=dry_run, backend_name=backend)
    except PublisherError as exc:
        if not as_json:
            raise
        from publisher.cli_send import emit_json, error_json
        emit_json(error_json(exc, "course run"))
        ctx.exit(exc.exit_code)
    if as_json:
        from publisher.cli_send import emit_json
        emit_json(report_json(report))
    else:
        _print_report(project, report)
    if report.exit_code:
        ctx.exit(report.exit_code)


def report_json(report: RunReport) -> dict[str, object]:
    """``course run --json``: per lesson group who got it, who failed, what is unknown."""
    return {
        "command": "course run", "now": report.now.isoformat(), "dry_run": report.dry_run,
        "backend": report.backend, "exit_code": report.exit_code, "sent": report.sent,
        "unknown": report.unknown,
        "settled": [{"course": s.course, "email": s.email, "lesson": s.lesson,
                     "state": s.state, "note": s.note,
                     "settles_at": s.settles_at.isoformat() if s.settles_at else None}
                    for s in report.settled],
        "courses": [{
            "course": c.course, "lessons": c.lessons, "outside_window": c.outside_window,
            "next_due": c.next_due.isoformat() if c.next_due else None,
            "sends": [{"lesson": s.lesson, "title": s.title, "batch": s.batch,
                       "recipients": list(s.recipients), "sent": list(s.sent),
                       "failed": [{"address": a, "reason": r} for a, r in s.failed],
                       "unknown": list(s.unknown), "ref": s.provider_id, "error": s.error}
                      for s in c.sends],
            "on_hold": [{"email": p.email, "lesson": p.lesson, "state": p.state,
                         "error": p.error,
                         "resolve": f"publisher course resolve {c.course} {p.email} "
                                    f"{p.lesson} --sent|--not-sent"} for p in c.on_hold],
        } for c in report.courses],
    }


def _print_report(project: Project, report: RunReport) -> None:
    tz = project.settings.site.timezone
    verb = "would send" if report.dry_run else "sent"
    if report.crashed_intents:
        click.echo(f"Warning: {report.crashed_intents} deliveries of an interrupted run are "
                   "unknown; looking them up", err=True)
    settled: dict[tuple[str, int, str, str], int] = {}
    for item in report.settled:
        key = (item.course, item.lesson, item.state, item.note)
        settled[key] = settled.get(key, 0) + 1
    for (course_slug, lesson, state, note), count in settled.items():
        outcome = {"sent": "it went out, recorded as sent",
                   "absent": "it did not go out, sent again now"}.get(state, "still unknown")
        click.echo(f"{course_slug}: lesson {lesson} to {count} subscriber(s) looked up: "
                   f"{outcome} ({note})", err=state == "unknown")
    for course_report in report.courses:
        for send in course_report.sends:
            head = f"{course_report.course}: lesson {send.lesson} «{send.title}»"
            if send.error:
                echo_error(f"{head}: {send.error}")
                continue
            count = len(send.recipients) if report.dry_run else len(send.sent)
            ref = f" ({report.backend} {send.provider_id})" if send.provider_id else ""
            click.echo(f"{head}: {verb} to {count}{ref}")
            for address, reason in send.failed:
                echo_error(f"{head}: {address} refused: {reason}")
            for address in send.unknown:
                click.echo(f"Error: {head}: {address}: outcome unknown; the next `publisher "
                           "course run` looks it up by name and settles it", err=True)
        held = [p for p in course_report.on_hold if p.state in ("unknown", "intent")]
        for item in held:
            click.echo(f"Warning: {course_report.course}: lesson {item.lesson} to {item.email}: "
                       "outcome unknown; run `publisher course run` again later (it settles "
                       "by itself), or after checking by hand `publisher course resolve "
                       f"{course_report.course} {item.email} {item.lesson} --sent` (or "
                       "--not-sent)", err=True)
        nxt = "-" if course_report.next_due is None else \
            course_report.next_due.astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M")
        waiting = f", {course_report.outside_window} waiting for the sending window" \
            if course_report.outside_window else ""
        total = sum(len(s.recipients if report.dry_run else s.sent) for s in course_report.sends)
        click.echo(f"{course_report.course}: {verb} {total} lesson(s){waiting}; next due {nxt}")


@course.command()
@click.argument("course_slug", metavar="COURSE")
@click.pass_context
def sync(ctx: click.Context, course_slug: str) -> None:
    """Upload every lesson of COURSE as a Sendsay draft, updating the same drafts on re-runs.

    \b
    Example:
      publisher course sync upravlyay-ka
    """
    from publisher.course.sendsay import sync_drafts

    project = load(ctx)
    results = sync_drafts(project, course_slug, now=dt.datetime.now(dt.UTC))
    for item in results:
        click.echo(f"lesson {item.lesson} «{item.title}»: draft {item.draft_id} {item.action}")
    changed = sum(r.action != "unchanged" for r in results)
    click.echo(f"{course_slug}: {len(results)} lessons, {changed} drafts created or updated")


@course.command()
@click.argument("course_slug", metavar="COURSE")
@click.argument("email")
@click.argument("lesson", type=click.IntRange(min=1))
@click.option("--sent/--not-sent", "sent", required=True,
              help="It reached the subscriber (move on) / it did not (send it at the next run).")
@click.pass_context
def resolve(ctx: click.Context, course_slug: str, email: str, lesson: int, sent: bool) -> None:
    """Settle a lesson whose delivery outcome is unknown, after checking by hand.

    \b
    Example:
      publisher course resolve upravlyay-ka anna@example.org 3 --sent
    """
    project = load(ctx)
    course_obj = load_course(project, course_slug)
    address = _address(email)
    with CourseStore.for_project(project.root) as store:
        lock = RunLock(project.root)
        lock.acquire(store)
        try:
            done = store.resolve(course_slug, address, lesson, sent=sent,
                                 delays=course_obj.delays)
        finally:
            lock.release()
    if not done:
        raise PublisherError(f"{course_slug}: lesson {lesson} to {address} has no unknown or "
                             "failed delivery to settle")
    click.echo(f"{course_slug}: lesson {lesson} to {address} marked "
               + ("sent" if sent else "not sent; the next run sends it"))
