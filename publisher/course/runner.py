"""``course run``: send every due (subscriber, lesson) pair exactly once, and record it.

One run, top to bottom::

    lock            a second run at the same time stops at once with a clear message
    load            each course's lessons (a broken sequence stops that course, loudly)
    settle          intents left by a crashed run become "unknown"; unknowns are looked
                    up at the ESP (reconcile) and settled only on a definite answer
    find due        indexed query on next_due, then the sending window per time zone;
                    at most one lesson per subscriber per run (the next one is due only
                    after this one was sent), so a missed week catches up without flooding
    render          each lesson once per run, in its current form
    send            grouped by lesson: Sendsay gets one express issue.send per group, SMTP and
                    the outbox one copy per recipient; intent is durable before the call,
                    the outcome is recorded after; an ambiguous failure is "unknown", never
                    resent by a later run until reconciled or settled by a person

Nothing prints: the caller gets a :class:`RunReport`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from publisher.backends.base import BaseBackend, EspIssue
from publisher.config import Project
from publisher.course.lessons import Course, Lesson, course_series, courses, load_course
from publisher.course.store import CourseStore, DueSubscriber, Pending, RunLock, moment
from publisher.course.window import Window
from publisher.errors import (EXIT_ERROR, EXIT_OK, EXIT_PARTIAL, EXIT_UNKNOWN, ConfigError,
                              PublisherError, SendError)
from publisher.models import Audience, Email, Recipient
from publisher.oserrors import os_failure, sqlite_failure
from publisher.settle import settle, went_out

log = logging.getLogger("publisher.course")

BackendFactory = Callable[[Project, str | None], BaseBackend]
#: per-recipient backends get this many recipients per call, the roster re-read in between
CHUNK = 50


@dataclass(frozen=True)
class LessonSend:
    """What happened to one lesson group in this run."""

    course: str
    lesson: int
    title: str
    batch: str  # the issue name at the ESP (Sendsay) / the issue key (per-recipient backends)
    recipients: tuple[str, ...]
    sent: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()
    unknown: tuple[str, ...] = ()
    provider_id: str = ""
    error: str = ""  # rendering or sending failed before anything was recorded


@dataclass(frozen=True)
class Settled:
    """An unknown delivery the run looked up at the ESP."""

    course: str
    email: str
    lesson: int
    state: str  # sent | absent | unknown
    note: str
    settles_at: dt.datetime | None = None  # unknown: when it is settled as "not sent"


@dataclass(frozen=True)
class CourseReport:
    course: str
    lessons: int
    sends: tuple[LessonSend, ...] = ()
    outside_window: int = 0  # due, waiting for the window to open
    on_hold: tuple[Pending, ...] = ()  # unknown deliveries waiting for a person
    next_due: dt.datetime | None = None


@dataclass(frozen=True)
class RunReport:
    now: dt.datetime
    dry_run: bool
    backend: str
    courses: tuple[CourseReport, ...] = ()
    settled: tuple[Settled, ...] = ()
    crashed_intents: int = 0

    @property
    def sent(self) -> int:
        return sum(len(s.sent) for c in self.courses for s in c.sends)

    @property
    def problems(self) -> bool:
        """Whether anything needs a person (a non-zero exit code from the CLI)."""
        return self.exit_code != EXIT_OK

    @property
    def unknown(self) -> int:
        """Deliveries whose outcome is not known yet (held until settled)."""
        return sum(1 for c in self.courses for p in c.on_hold if p.state in ("unknown", "intent"))

    @property
    def exit_code(self) -> int:
        """0 done; 4 outcomes still unknown (run again later); 3 sent, some failed; 1 error."""
        if self.unknown or any(s.unknown for c in self.courses for s in c.sends):
            return EXIT_UNKNOWN
        troubled = any(s.error or s.failed for c in self.courses for s in c.sends)
        if troubled:
            return EXIT_PARTIAL if self.sent else EXIT_ERROR
        return EXIT_OK


def crashpoint(name: str) -> None:
    """Test hook (``PUBLISHER_CRASH_AT``): die here like ``kill -9``; see publisher.sending."""
    from publisher.sending import crashpoint as die_at

    die_at(name)


def default_backend(project: Project, name: str | None) -> BaseBackend:
    from publisher.backends import backend_for

    return backend_for(project, name)


def run_courses(project: Project, slugs: Sequence[str] = (), *, now: dt.datetime,
                dry_run: bool = False, backend_name: str | None = None,
                backend_factory: BackendFactory = default_backend) -> RunReport:
    """Send what is due in ``slugs`` (default: every local-delivery course) at ``now``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    selected = _select(project, slugs)
    name = backend_name or project.settings.esp.backend
    path = project.root / ".publisher" / "courses.sqlite"
    try:
        store = CourseStore.for_project(project.root)
        lock = RunLock(project.root)
        try:
            if not dry_run:
                lock.acquire(store)
            loaded = [load_course(project, slug) for slug in selected]
            run = _Run(project, store, now=now, dry_run=dry_run, backend_name=name,
                       factory=backend_factory)
            try:
                return run.execute(loaded)
            finally:
                run.close()
        finally:
            lock.release()
            store.close()
    except OSError as exc:
        raise os_failure(exc, root=project.root) from exc
    except sqlite3.Error as exc:
        # the store refuses a write (read-only folder, full disk): its transaction rolled back
        raise sqlite_failure(exc, path, project.root) from exc


def _select(project: Project, slugs: Sequence[str]) -> list[str]:
    if slugs:
        for slug in slugs:
            series = course_series(project, slug)
            if series.course.delivery != "local":
                raise ConfigError(f"course {slug!r} is delivered by a Sendsay workflow "
                                  "(course.delivery: sendsay); `course run` sends only "
                                  "courses with a local roster",
                                  hint=f"run `publisher course sync {slug}` to update its drafts")
        return list(slugs)
    return [s.slug for s in courses(project) if s.course.delivery == "local"]


class _Run:
    """The state of one run: store, run id, the backend (opened on first need), rendered lessons."""

    def __init__(self, project: Project, store: CourseStore, *, now: dt.datetime, dry_run: bool,
                 backend_name: str, factory: BackendFactory) -> None:
        self.project = project
        self.store = store
        self.now = now
        self.dry_run = dry_run
        self.backend_name = backend_name
        self.factory = factory
        self.backend: BaseBackend | None = None
        self.run_id = 0
        self.rendered: dict[str, Email | PublisherError] = {}

    def _backend(self) -> BaseBackend:
        if self.backend is None:
            backend = self.factory(self.project, self.backend_name)
            backend.open()
            self.backend = backend
        return self.backend

    def close(self) -> None:
        if self.backend is not None:
            self.backend.close()

    def execute(self, loaded: list[Course]) -> RunReport:
        crashed = 0
        if not self.dry_run:
            crashed = self.store.stale_intents_to_unknown()
            self.run_id = self.store.start_run(self.now)
        reports, settled = [], []
        for course in loaded:
            self.store.apply_schedule(course.slug, course.delays, course.fingerprint)
            if not self.dry_run:
                settled.extend(self._settle(course))
            reports.append(self._course(course))
        report = RunReport(now=self.now, dry_run=self.dry_run, backend=self.backend_name,
                           courses=tuple(reports), settled=tuple(settled),
                           crashed_intents=crashed)
        if not self.dry_run:
            self.store.finish_run(self.run_id, f"{report.sent} sent")
        return report

    # ---- unknown deliveries

    def _settle(self, course: Course) -> list[Settled]:
        """Ask the ESP about unknown deliveries: by the group's issue name, within a bounded time.

        A group Sendsay holds under its name went out; one it does not know once the settling
        time has passed (on the run's clock, the one its intent was recorded with) did not, and
        is due again in this very run; until then it is reported, every run, as unknown.
        """
        pending = [p for p in self.store.pending(course.slug) if p.state == "unknown"]
        by_batch: dict[tuple[str, str, int], list[Pending]] = defaultdict(list)
        for item in pending:
            by_batch[(item.batch, item.backend, item.lesson)].append(item)
        out = []
        for (batch, backend_name, lesson), items in by_batch.items():
            if backend_name != self.backend_name:
                continue  # another backend sent it; only that one can look it up
            audience = Audience(kind="recipients",
                                recipients=tuple(Recipient(p.email) for p in items))
            started = moment(min(p.intent_at for p in items))
            try:
                answer = settle(self._backend(), batch, audience, known=0, started=started,
                                now=self.now)
            except PublisherError as exc:
                log.warning("%s: cannot reconcile %s: %s", course.slug, batch, exc)
                out += [Settled(course.slug, p.email, lesson, "unknown",
                                f"cannot ask {backend_name}: {exc}") for p in items]
                continue
            for item in items:
                if answer.state == "sent":
                    self.store.resolve(course.slug, item.email, lesson, sent=True,
                                       delays=course.delays, provider_id=answer.ref)
                elif answer.state == "absent":
                    self.store.resolve(course.slug, item.email, lesson, sent=False,
                                       delays=course.delays)
                out.append(Settled(course.slug, item.email, lesson, answer.state, answer.note,
                                   answer.when if answer.state == "unknown" else None))
        return out

    # ---- one course

    def _course(self, course: Course) -> CourseReport:
        window = Window.of(course.series, self.project)
        groups: dict[int, list[DueSubscriber]] = defaultdict(list)
        outside = 0
        for subscriber in self.store.due(course.slug, self.now):
            if window.contains(self.now, subscriber.timezone):
                groups[subscriber.lesson].append(subscriber)
            else:
                outside += 1
        sends = []
        for number in sorted(groups):
            lesson = course.lesson(number)
            if lesson is None:  # the schedule cache says due, the lessons say no such lesson
                continue
            sends.append(self._send(course, lesson, groups[number]))
        earliest = self.store.next_due(course.slug)
        # in the course's time zone; subscribers with their own may differ by hours
        next_due = window.next_open(max(moment(earliest), self.now)) \
            if earliest is not None else None
        return CourseReport(course=course.slug, lessons=len(course.lessons), sends=tuple(sends),
                            outside_window=outside,
                            on_hold=tuple(self.store.pending(course.slug)), next_due=next_due)

    def _email(self, lesson: Lesson) -> Email:
        """The lesson rendered for this run's backend, once per run (its current text)."""
        from publisher.pipeline import prepare

        key = str(lesson.path)
        if key not in self.rendered:
            try:
                self.rendered[key] = prepare(self.project, lesson.path,
                                             backend=self.backend_name).email
            except PublisherError as exc:
                self.rendered[key] = exc
        result = self.rendered[key]
        if isinstance(result, PublisherError):
            raise result
        return result

    def _send(self, course: Course, lesson: Lesson, due: list[DueSubscriber]) -> LessonSend:
        recipients = tuple(Recipient(email=d.email, name=d.name) for d in due)
        emails = tuple(r.email for r in recipients)
        base = LessonSend(course=course.slug, lesson=lesson.number, title=lesson.title,
                          batch="", recipients=emails)
        try:
            email = self._email(lesson)
        except PublisherError as exc:
            return dataclasses.replace(base, error="; ".join(exc.lines()))
        if self.dry_run:
            return dataclasses.replace(base, batch=email.issue_key)
        try:
            backend = self._backend()
        except PublisherError as exc:
            return dataclasses.replace(base, error="; ".join(exc.lines()))
        if backend.per_recipient:
            return self._send_each(course, lesson, email, recipients, backend, base)
        return self._send_batch(course, lesson, email, recipients, backend, base)

    def _send_batch(self, course: Course, lesson: Lesson, email: Email,
                    recipients: tuple[Recipient, ...], backend: BaseBackend,
                    base: LessonSend) -> LessonSend:
        """One call for the whole group (Sendsay express send), named uniquely per run."""
        stamp = self.now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H%MZ")
        batch = f"{email.issue_key}/{stamp}-r{self.run_id}"
        email = dataclasses.replace(email, issue_key=batch)
        audience = Audience(kind="recipients", recipients=recipients)
        emails = base.recipients
        try:
            backend.check(email, audience)  # member.set etc.: nothing is sent yet
        except PublisherError as exc:
            return dataclasses.replace(base, batch=batch, error="; ".join(exc.lines()))
        # whoever unenrolled while the members were being checked gets nothing
        emails = tuple(self.store.still_active(course.slug, emails))
        if not emails:
            return dataclasses.replace(base, batch=batch, recipients=())
        if len(emails) != len(recipients):
            recipients = tuple(r for r in recipients if r.email in emails)
            audience = Audience(kind="recipients", recipients=recipients)
        if backend.looks_up:
            # the ESP decides: a group it already holds under this name is not sent again.
            # The name is this run's own, so only a restored store could repeat it: the
            # statistics index alone (one call) is asked, not the archive.
            found = backend.lookup(batch, audience, at_least=0)
            if found:
                return self._already_at_esp(course, lesson, base, batch, emails, email,
                                            backend, found[0])
        crashpoint("course:before-intent")
        self.store.record_intent(course.slug, lesson.number, emails, run_id=self.run_id,
                                 batch=batch, backend=backend.name,
                                 content_hash=email.content_hash, now=self.now)
        crashpoint("course:after-intent")
        try:
            receipt = backend.send(email, audience)
            crashpoint("course:after-call")
        except SendError as exc:
            reason = str(exc)
            if exc.ambiguous:
                self.store.record_unknown(course.slug, lesson.number, emails, reason)
                return dataclasses.replace(base, batch=batch, unknown=emails)
            failures = tuple((e, reason) for e in emails)
            self.store.record_failed(course.slug, lesson.number, failures)
            return dataclasses.replace(base, batch=batch, failed=failures)
        except BaseException as exc:
            # anything unforeseen after the intent: the call may have gone out
            self.store.record_unknown(course.slug, lesson.number, emails,
                                      f"{type(exc).__name__}: {exc}")
            raise
        refused = {address.lower(): reason for address, reason in receipt.failed}
        sent = tuple(e for e in emails if e not in refused)
        self.store.record_sent(course.slug, lesson.number, sent, sent_at=self.now,
                               provider_id=receipt.provider_id, delays=course.delays)
        crashpoint("course:after-record")
        failures = tuple((e, refused[e]) for e in emails if e in refused)
        if failures:
            self.store.record_failed(course.slug, lesson.number, failures)
        return dataclasses.replace(base, batch=batch, sent=sent, failed=failures,
                                   provider_id=receipt.provider_id)

    def _already_at_esp(self, course: Course, lesson: Lesson, base: LessonSend, batch: str,
                        emails: tuple[str, ...], email: Email, backend: BaseBackend,
                        found: EspIssue) -> LessonSend:
        log.warning("%s: %s", course.slug, went_out(found, batch))
        self.store.record_intent(course.slug, lesson.number, emails, run_id=self.run_id,
                                 batch=batch, backend=backend.name,
                                 content_hash=email.content_hash, now=self.now)
        self.store.record_sent(course.slug, lesson.number, emails, sent_at=found.when or self.now,
                               provider_id=f"issue {found.id}", delays=course.delays)
        return dataclasses.replace(base, batch=batch, sent=emails, provider_id=f"issue {found.id}")

    def _send_each(self, course: Course, lesson: Lesson, email: Email,
                   recipients: tuple[Recipient, ...], backend: BaseBackend,
                   base: LessonSend) -> LessonSend:
        """One copy per recipient (SMTP, outbox); the journal records each one's intent/outcome."""
        audience = Audience(kind="recipients", recipients=recipients)
        journal = _Journal(self.store, course, lesson.number, run_id=self.run_id,
                           batch=email.issue_key, backend=backend.name,
                           content_hash=email.content_hash, now=self.now)
        provider_id = ""
        error = ""
        try:
            backend.check(email, audience)
            # in chunks, re-reading the roster before each: an SMTP run can take minutes, and
            # someone who unenrols meanwhile must get nothing more
            for start in range(0, len(recipients), CHUNK):
                chunk = recipients[start:start + CHUNK]
                active = set(self.store.still_active(course.slug, [r.email for r in chunk]))
                chunk = tuple(r for r in chunk if r.email in active)
                if chunk:
                    receipt = backend.send(email, Audience(kind="recipients", recipients=chunk),
                                           journal=journal)
                    provider_id = receipt.provider_id
        except SendError as exc:
            error = str(exc)
            journal.interrupted(error, ambiguous=exc.ambiguous)
        except BaseException as exc:
            journal.interrupted(f"{type(exc).__name__}: {exc}", ambiguous=True)
            raise
        return dataclasses.replace(base, batch=email.issue_key, sent=tuple(journal.sent),
                                   failed=tuple(journal.failed),
                                   unknown=tuple(journal.unknown), provider_id=provider_id,
                                   error=error if not journal.unknown else "")


@dataclass
class _Journal:
    """The store as the per-recipient :class:`~publisher.backends.base.Journal` of a backend.

    ``start`` commits the intent before the copy is handed over; ``done`` commits the outcome.
    A recipient started but never done when the backend stops is in doubt ("unknown").
    """

    store: CourseStore
    course: Course
    lesson: int
    run_id: int
    batch: str
    backend: str
    content_hash: str
    now: dt.datetime
    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    _open: str | None = None

    def start(self, recipient: Recipient) -> None:
        email = recipient.email.lower()
        self.store.record_intent(self.course.slug, self.lesson, [email], run_id=self.run_id,
                                 batch=self.batch, backend=self.backend,
                                 content_hash=self.content_hash, now=self.now)
        self._open = email

    def done(self, recipient: Recipient, error: str | None = None, *,
             temporary: bool = False) -> None:
        # a deferred (4xx) copy is a failure to the store: a later run retries it anyway
        email = recipient.email.lower()
        if error is None:
            self.store.record_sent(self.course.slug, self.lesson, [email], sent_at=self.now,
                                   provider_id=self.batch, delays=self.course.delays)
            self.sent.append(email)
        else:
            self.store.record_failed(self.course.slug, self.lesson, [(email, error)])
            self.failed.append((email, error))
        self._open = None

    def interrupted(self, reason: str, *, ambiguous: bool) -> None:
        if self._open is None:
            return
        if ambiguous:
            self.store.record_unknown(self.course.slug, self.lesson, [self._open], reason)
            self.unknown.append(self._open)
        else:
            self.store.record_failed(self.course.slug, self.lesson, [(self._open, reason)])
            self.failed.append((self._open, reason))
        self._open = None

