"""The course roster and delivery records: one SQLite file in ``.publisher/courses.sqlite``.

Why SQLite: it ships with Python, keeps everything in one file inside the newsletter folder
(copied and backed up with it), and gives what "never twice" needs and a CSV or JSON file
does not: a transaction that makes an import all-or-nothing, a commit that is on disk before
``issue.send`` is called (WAL + ``synchronous=FULL``: durable even across a power cut), and an
index, so finding the few due subscribers among 100,000 takes milliseconds. WAL also lets
``course list`` read while a run writes.

Tables::

    enrolments  (course, email) -> name, time zone, status, and where the subscriber is:
                next_lesson, next_base (enrolment or previous lesson's send time) and
                next_due = next_base + that lesson's delay (NULL: no such lesson yet);
                held = 1 while a delivery is in flight or its outcome is unknown
    deliveries  (course, email, lesson) -> state intent | sent | unknown | failed, the batch
                (ESP issue name), provider id, content hash of the version sent, times
    drafts      (course, lesson) -> Sendsay draft id and the hash of what was uploaded
    runs        one row per ``course run``: who ran it when (shown to a second run)
    schedule    course -> fingerprint of the lesson delays next_due was computed with

``next_due`` is a cache of the schedule so the due query is one indexed range scan; it is
recomputed when the course's delays change (``apply_schedule``). Times are Unix seconds (UTC).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from publisher.errors import PublisherError
from publisher.oslock import FolderLock

SCHEMA_VERSION = 1
#: definite failures (nothing was sent) are retried by later runs this many times in all
MAX_ATTEMPTS = 3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS enrolments (
    course      TEXT NOT NULL,
    email       TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    timezone    TEXT NOT NULL DEFAULT '',
    enrolled_at INTEGER NOT NULL,
    status      TEXT NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'unenrolled', 'unsubscribed')),
    left_at     INTEGER,
    next_lesson INTEGER NOT NULL DEFAULT 1,
    next_base   INTEGER NOT NULL,
    next_due    INTEGER,
    held        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (course, email)
);
CREATE INDEX IF NOT EXISTS enrolments_due ON enrolments (course, next_due)
    WHERE status = 'active' AND held = 0;
CREATE TABLE IF NOT EXISTS deliveries (
    course       TEXT NOT NULL,
    email        TEXT NOT NULL,
    lesson       INTEGER NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('intent', 'sent', 'unknown', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 1,
    run_id       INTEGER,
    batch        TEXT NOT NULL DEFAULT '',
    backend      TEXT NOT NULL DEFAULT '',
    intent_at    INTEGER NOT NULL,
    sent_at      INTEGER,
    provider_id  TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL DEFAULT '',
    error        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (course, email, lesson)
);
CREATE INDEX IF NOT EXISTS deliveries_state ON deliveries (state) WHERE state != 'sent';
CREATE TABLE IF NOT EXISTS drafts (
    course       TEXT NOT NULL,
    lesson       INTEGER NOT NULL,
    draft_id     TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    synced_at    INTEGER NOT NULL,
    PRIMARY KEY (course, lesson)
);
CREATE TABLE IF NOT EXISTS runs (
    id          INTEGER PRIMARY KEY,
    pid         INTEGER NOT NULL,
    started_at  INTEGER NOT NULL,
    now         INTEGER NOT NULL,
    finished_at INTEGER,
    summary     TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS schedule (course TEXT PRIMARY KEY, fingerprint TEXT NOT NULL);
"""


class StoreError(PublisherError):
    """Raised by the course store: unreadable database, or a run already in progress."""


def epoch(moment: dt.datetime) -> int:
    """An aware datetime as Unix seconds."""
    return int(moment.timestamp())


def moment(seconds: int) -> dt.datetime:
    """Unix seconds as an aware UTC datetime."""
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


#: the times the store holds are Unix seconds that publisher wrote: now, plus lesson delays,
#: or an imported enrolment date (1971-2999). Outside this range a value was edited or
#: damaged; read as it is, it would end a run in a ValueError or make a date from year 1.
#: The upper end is a thousand years past the last importable year, so no lesson delay
#: added to an imported date crosses it.
TIME_RANGE = (0, 64060588800)  # 1970-01-01 .. 4000-01-01 UTC


def is_time(value: object) -> bool:
    """Whether ``value`` is such a time (an int in :data:`TIME_RANGE`)."""
    return type(value) is int and TIME_RANGE[0] <= value <= TIME_RANGE[1]


def checked_time(value: object, path: Path, what: str) -> int:
    """``value`` if it is such a time; else a StoreError naming the file and the record."""
    if is_time(value):
        return value  # type: ignore[return-value]
    raise StoreError.at(path, None, f"{what} is {value!r}, not a time publisher writes (Unix "
                        "seconds from 1970 to 4000): the file was edited or damaged; nothing "
                        "was sent or changed. Restore it from a backup, or correct that value "
                        "(sqlite3)")


@dataclass(frozen=True)
class Enrolee:
    """A subscriber to enrol: what ``enroll`` and ``import`` hand to the store."""

    email: str
    name: str = ""
    timezone: str = ""
    enrolled_at: dt.datetime | None = None  # None: now


@dataclass(frozen=True)
class DueSubscriber:
    email: str
    name: str
    timezone: str
    lesson: int
    due: int


@dataclass(frozen=True)
class RosterRow:
    """One line of ``course list``."""

    email: str
    name: str
    timezone: str
    status: str
    enrolled_at: int
    sent: int  # lessons delivered
    next_lesson: int
    next_due: int | None
    held: bool
    problem: str  # 'unknown' / 'failed' delivery awaiting a person, else ''


@dataclass(frozen=True)
class EnrolResult:
    added: tuple[str, ...] = ()
    reactivated: tuple[str, ...] = ()
    already: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pending:
    """A delivery that is not settled: ``intent`` left by a crashed run, or ``unknown``."""

    course: str
    email: str
    lesson: int
    state: str
    batch: str
    backend: str
    intent_at: int
    error: str


class CourseStore:
    """The roster and delivery records of every course in one newsletter folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE), so a write
            # never waits half-way for a lock it could have asked for up front
            self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(_SCHEMA)  # idempotent; executescript commits on its own
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)",
                            (str(SCHEMA_VERSION),))
        except sqlite3.DatabaseError as exc:
            from publisher.oserrors import sqlite_failure

            if isinstance(exc, sqlite3.OperationalError):  # the OS refused: one line, a fix
                raise sqlite_failure(exc, path, path.parent.parent) from exc
            raise StoreError.at(path, None, f"cannot open the course store ({exc})") from exc

    @classmethod
    def for_project(cls, root: Path) -> CourseStore:
        return cls(root / ".publisher" / "courses.sqlite")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> CourseStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception: all or nothing."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # ---- schedule cache

    def apply_schedule(self, course: str, delays: Sequence[tuple[int, int]],
                       fingerprint: str) -> bool:
        """Recompute ``next_due`` when the course's lessons or delays changed; True if done."""
        row = self.db.execute("SELECT fingerprint FROM schedule WHERE course = ?",
                              (course,)).fetchone()
        if row and row[0] == fingerprint:
            return False
        with self.transaction() as db:
            db.execute("UPDATE enrolments SET next_due = NULL WHERE course = ?", (course,))
            for lesson, delay in delays:
                db.execute("UPDATE enrolments SET next_due = next_base + ? "
                           "WHERE course = ? AND next_lesson = ?", (delay, course, lesson))
            db.execute("INSERT OR REPLACE INTO schedule VALUES (?, ?)", (course, fingerprint))
        return True

    # ---- roster

    def enrol(self, course: str, people: Iterable[Enrolee], delays: Sequence[tuple[int, int]],
              now: dt.datetime) -> EnrolResult:
        """Enrol everyone in one transaction (an import is all or nothing).

        A new subscriber starts at lesson 1; one who left comes back where they stopped (what
        was sent stays sent); an active one is left alone.
        """
        first_delay = dict(delays).get(1)
        added, back, already = [], [], []
        with self.transaction() as db:
            for person in people:
                at = epoch(person.enrolled_at or now)
                row = db.execute("SELECT status FROM enrolments WHERE course = ? AND email = ?",
                                 (course, person.email)).fetchone()
                if row is None:
                    due = None if first_delay is None else at + first_delay
                    db.execute("INSERT INTO enrolments (course, email, name, timezone, "
                               "enrolled_at, next_base, next_due) VALUES (?, ?, ?, ?, ?, ?, ?)",
                               (course, person.email, person.name, person.timezone, at, at, due))
                    added.append(person.email)
                elif row[0] != "active":
                    db.execute("UPDATE enrolments SET status = 'active', left_at = NULL, "
                               "name = COALESCE(NULLIF(?, ''), name), "
                               "timezone = COALESCE(NULLIF(?, ''), timezone) "
                               "WHERE course = ? AND email = ?",
                               (person.name, person.timezone, course, person.email))
                    back.append(person.email)
                else:
                    already.append(person.email)
        return EnrolResult(tuple(added), tuple(back), tuple(already))

    def unenrol(self, course: str, email: str, now: dt.datetime,
                status: str = "unenrolled") -> bool:
        """Stop sending to ``email``; False if they were not enrolled (or already left)."""
        with self.transaction() as db:
            cursor = db.execute("UPDATE enrolments SET status = ?, left_at = ? WHERE course = ? "
                                "AND email = ? AND status = 'active'",
                                (status, epoch(now), course, email))
        return cursor.rowcount == 1

    def is_enrolled(self, course: str, email: str) -> bool:
        return self.db.execute("SELECT 1 FROM enrolments WHERE course = ? AND email = ?",
                               (course, email)).fetchone() is not None

    def roster(self, course: str) -> list[RosterRow]:
        rows = self.db.execute(
            """SELECT e.email, e.name, e.timezone, e.status, e.enrolled_at,
                      (SELECT count(*) FROM deliveries d WHERE d.course = e.course
                        AND d.email = e.email AND d.state = 'sent'),
                      e.next_lesson, e.next_due, e.held,
                      COALESCE((SELECT d.state FROM deliveries d WHERE d.course = e.course
                        AND d.email = e.email AND d.state != 'sent'
                        AND (d.state != 'failed' OR d.attempts >= ?) LIMIT 1), '')
               FROM enrolments e WHERE e.course = ? ORDER BY e.enrolled_at, e.email""",
            (MAX_ATTEMPTS, course)).fetchall()
        out = []
        for row in rows:
            where = f"enrolments row {course}/{row[0]}"
            checked_time(row[4], self.path, f"{where}: enrolled_at")
            if row[7] is not None:
                checked_time(row[7], self.path, f"{where}: next_due")
            out.append(RosterRow(*row[:8], held=bool(row[8]), problem=row[9]))
        return out

    def counts(self, course: str) -> dict[str, int]:
        return dict(self.db.execute("SELECT status, count(*) FROM enrolments WHERE course = ? "
                                    "GROUP BY status", (course,)).fetchall())

    # ---- what is due

    def _check_due_times(self, course: str) -> None:
        """Refuse a course whose roster holds a next_due that is not a time: SQL compares
        text and floats with integers without complaint, so the row would sit unseen (never
        due, never the earliest) while the others were sent."""
        row = self.db.execute(
            "SELECT email, next_due FROM enrolments WHERE course = ? AND next_due IS NOT NULL "
            "AND (typeof(next_due) != 'integer' OR next_due < ? OR next_due > ?) LIMIT 1",
            (course, *TIME_RANGE)).fetchone()
        if row is not None:
            checked_time(row[1], self.path, f"enrolments row {course}/{row[0]}: next_due")

    def due(self, course: str, now: dt.datetime) -> list[DueSubscriber]:
        """Active subscribers whose next lesson's time has come (window not yet applied)."""
        self._check_due_times(course)
        rows = self.db.execute(
            "SELECT email, name, timezone, next_lesson, next_due FROM enrolments "
            "WHERE course = ? AND status = 'active' AND held = 0 AND next_due <= ? "
            "ORDER BY next_due, email", (course, epoch(now))).fetchall()
        return [DueSubscriber(*row) for row in rows]

    def next_due(self, course: str) -> int | None:
        self._check_due_times(course)
        row = self.db.execute("SELECT min(next_due) FROM enrolments WHERE course = ? AND "
                              "status = 'active' AND held = 0", (course,)).fetchone()
        return row[0] if row else None  # every next_due was checked just above

    # ---- deliveries: intent before the call, outcome after

    def still_active(self, course: str, emails: Sequence[str]) -> list[str]:
        """Those of ``emails`` still enrolled (someone may unenrol while a run is sending)."""
        active = set()
        for start in range(0, len(emails), 500):
            chunk = list(emails[start:start + 500])
            marks = ",".join("?" * len(chunk))
            active.update(row[0] for row in self.db.execute(
                f"SELECT email FROM enrolments WHERE course = ? AND status = 'active' "
                f"AND email IN ({marks})", (course, *chunk)))
        return [e for e in emails if e in active]

    def record_intent(self, course: str, lesson: int, emails: Sequence[str], *, run_id: int,
                      batch: str, backend: str, content_hash: str, now: dt.datetime) -> None:
        """Durably note "about to send" and hold the subscribers, before the backend is called.

        Only a fresh pair or one whose earlier attempt definitely failed may be attempted;
        anything else means a bug or a second writer, and is refused.
        """
        at = epoch(now)
        with self.transaction() as db:
            for email in emails:
                cursor = db.execute(
                    """INSERT INTO deliveries (course, email, lesson, state, run_id, batch,
                           backend, intent_at, content_hash) VALUES (?, ?, ?, 'intent', ?, ?, ?,
                           ?, ?)
                       ON CONFLICT (course, email, lesson) DO UPDATE SET state = 'intent',
                           attempts = attempts + 1, run_id = excluded.run_id,
                           batch = excluded.batch, backend = excluded.backend,
                           intent_at = excluded.intent_at, error = '',
                           content_hash = excluded.content_hash
                       WHERE deliveries.state = 'failed'""",
                    (course, email, lesson, run_id, batch, backend, at, content_hash))
                if cursor.rowcount != 1:
                    raise StoreError(f"{course}: lesson {lesson} to {email} is already recorded; "
                                     "refusing to send it again")
            db.executemany("UPDATE enrolments SET held = 1 WHERE course = ? AND email = ?",
                           [(course, email) for email in emails])

    def record_sent(self, course: str, lesson: int, emails: Sequence[str], *,
                    sent_at: dt.datetime, provider_id: str,
                    delays: Sequence[tuple[int, int]]) -> None:
        """The backend accepted: mark sent and move each subscriber on to the next lesson.

        The next lesson's delay counts from ``sent_at``, the time this lesson actually went.
        """
        at = epoch(sent_at)
        next_delay = dict(delays).get(lesson + 1)
        next_due = None if next_delay is None else at + next_delay
        with self.transaction() as db:
            db.executemany("UPDATE deliveries SET state = 'sent', sent_at = ?, provider_id = ?, "
                           "error = '' WHERE course = ? AND email = ? AND lesson = ?",
                           [(at, provider_id, course, e, lesson) for e in emails])
            db.executemany("UPDATE enrolments SET next_lesson = ?, next_base = ?, next_due = ?, "
                           "held = 0 WHERE course = ? AND email = ? AND next_lesson = ?",
                           [(lesson + 1, at, next_due, course, e, lesson) for e in emails])

    def record_failed(self, course: str, lesson: int, failures: Sequence[tuple[str, str]]) -> None:
        """Definitely not sent: release the subscribers so a later run tries again (up to
        MAX_ATTEMPTS in all; then the delivery waits for a person)."""
        with self.transaction() as db:
            for email, reason in failures:
                db.execute("UPDATE deliveries SET state = 'failed', error = ? WHERE course = ? "
                           "AND email = ? AND lesson = ?", (reason[:500], course, email, lesson))
                db.execute("UPDATE enrolments SET held = 0 WHERE course = ? AND email = ? AND "
                           "(SELECT attempts FROM deliveries WHERE course = ? AND email = ? "
                           "AND lesson = ?) < ?",
                           (course, email, course, email, lesson, MAX_ATTEMPTS))

    def record_unknown(self, course: str, lesson: int, emails: Sequence[str],
                       reason: str) -> None:
        """The call may or may not have executed: keep the subscribers held until reconciled."""
        with self.transaction() as db:
            db.executemany("UPDATE deliveries SET state = 'unknown', error = ? WHERE course = ? "
                           "AND email = ? AND lesson = ? AND state = 'intent'",
                           [(reason[:500], course, e, lesson) for e in emails])

    def stale_intents_to_unknown(self) -> int:
        """Intents left by a run that died before recording the outcome become ``unknown``.

        Called only under the run lock, so no live run owns them.
        """
        with self.transaction() as db:
            cursor = db.execute("UPDATE deliveries SET state = 'unknown', error = 'the run that "
                                "sent it stopped before recording the outcome' "
                                "WHERE state = 'intent'")
        return cursor.rowcount

    def pending(self, course: str | None = None) -> list[Pending]:
        """Unsettled deliveries (``intent``/``unknown``), oldest first."""
        sql = ("SELECT course, email, lesson, state, batch, backend, intent_at, error "
               "FROM deliveries WHERE state IN ('intent', 'unknown')")
        params: tuple[str, ...] = ()
        if course is not None:
            sql += " AND course = ?"
            params = (course,)
        rows = self.db.execute(sql + " ORDER BY intent_at, email", params).fetchall()
        for row in rows:
            checked_time(row[6], self.path,
                         f"deliveries row {row[0]}/{row[1]} lesson {row[2]}: intent_at")
        return [Pending(*row) for row in rows]

    def resolve(self, course: str, email: str, lesson: int, *, sent: bool,
                delays: Sequence[tuple[int, int]], sent_at: dt.datetime | None = None,
                provider_id: str = "") -> bool:
        """Settle an unknown delivery: it went out (move on) or it did not (send again later).

        For reconciliation against the ESP's records and for a person's explicit decision.
        """
        row = self.db.execute("SELECT intent_at FROM deliveries WHERE course = ? AND email = ? "
                              "AND lesson = ? AND state IN ('unknown', 'failed')",
                              (course, email, lesson)).fetchone()
        if row is None:
            return False
        if sent:
            if sent_at is None:
                sent_at = moment(checked_time(row[0], self.path, f"deliveries row "
                                              f"{course}/{email} lesson {lesson}: intent_at"))
            self.record_sent(course, lesson, [email], sent_at=sent_at,
                             provider_id=provider_id, delays=delays)
            return True
        with self.transaction() as db:
            db.execute("DELETE FROM deliveries WHERE course = ? AND email = ? AND lesson = ?",
                       (course, email, lesson))
            db.execute("UPDATE enrolments SET held = 0 WHERE course = ? AND email = ?",
                       (course, email))
        return True

    def deliveries(self, course: str) -> list[tuple[str, int, str, int | None, str]]:
        """``(email, lesson, state, sent_at, content_hash)`` of every delivery (tests, reports)."""
        return self.db.execute("SELECT email, lesson, state, sent_at, content_hash FROM "
                               "deliveries WHERE course = ? ORDER BY email, lesson",
                               (course,)).fetchall()

    # ---- Sendsay drafts

    def drafts(self, course: str) -> dict[int, tuple[str, str]]:
        """lesson -> (draft id, content hash) of what ``course sync`` uploaded."""
        rows = self.db.execute("SELECT lesson, draft_id, content_hash FROM drafts WHERE "
                               "course = ?", (course,)).fetchall()
        return {lesson: (draft_id, digest) for lesson, draft_id, digest in rows}

    def save_draft(self, course: str, lesson: int, draft_id: str, content_hash: str,
                   now: dt.datetime) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO drafts VALUES (?, ?, ?, ?, ?)",
                       (course, lesson, draft_id, content_hash, epoch(now)))

    # ---- runs

    def start_run(self, now: dt.datetime) -> int:
        with self.transaction() as db:
            cursor = db.execute("INSERT INTO runs (pid, started_at, now) VALUES (?, ?, ?)",
                                (os.getpid(), epoch(dt.datetime.now(dt.UTC)),
                                 epoch(now)))
        return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, summary: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE runs SET finished_at = ?, summary = ? WHERE id = ?",
                       (epoch(dt.datetime.now(dt.UTC)), summary, run_id))

    def last_unfinished_run(self) -> tuple[int, int] | None:
        """(pid, started_at) of the newest run without an end: who holds the lock."""
        row = self.db.execute("SELECT pid, started_at FROM runs WHERE finished_at IS NULL "
                              "ORDER BY id DESC LIMIT 1").fetchone()
        if row is not None and not is_time(row[1]):
            return None  # only shown in the "already running" message: say less, not fail
        return row


class RunLock:
    """Only one ``course run`` / ``course sync`` at a time per newsletter folder.

    A :class:`publisher.oslock.FolderLock` on ``.publisher/courses.lock`` (released by the
    operating system however the run ends). A second run fails at once with a message
    naming the first.
    """

    def __init__(self, root: Path) -> None:
        self.path = root / ".publisher" / "courses.lock"
        self._lock = FolderLock(self.path)

    def acquire(self, store: CourseStore) -> None:
        if not self._lock.acquire():
            holder = store.last_unfinished_run()
            who = ""
            if holder:
                started = moment(holder[1]).strftime("%Y-%m-%d %H:%M:%S UTC")
                who = f" (pid {holder[0]}, started {started})"
            raise StoreError(f"another `publisher course run` or `course sync` is already "
                             f"running in this folder{who}; nothing was sent by this one",
                             hint="cron can simply try again at the next tick")

    def release(self) -> None:
        self._lock.release()
