"""A damaged or hand-edited course store (.publisher/courses.sqlite): times that are not times.

SQLite keeps whatever a column is given, so an edit can leave a date in year 1, a time
past year 9999, text or a float where publisher wrote Unix seconds. Each used to end
`course list` and `course run` in an "internal error" (ValueError, OverflowError,
TypeError). Now: one line naming the file and the record, exit 1, nothing sent; and once
the value is right again, the run sends as before.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from publisher.course.store import CourseStore
from tests.course.helpers import COURSE, at, make_course
from tests.hostile.helpers import assert_clean_failure, invoke

BAD_TIMES = [-62135596800, -99999999999, 99999999999999, 64060588801, "'abc'", "1e300",
             "-1"]
READERS = ["first@example.org", "second@example.org"]


def course_with_two_readers(tmp_path: Path) -> Path:
    """Two readers enrolled as an author does it: lesson 1 is due at once."""
    root = make_course(tmp_path / "news")
    for email in READERS:
        result = invoke(root, "course", "enroll", COURSE, email)
        assert result.exit_code == 0, result.output
    # the first look records the course's schedule (a later change of delays recomputes
    # every next_due, which would repair the damage this file makes)
    assert invoke(root, "course", "list", COURSE).exit_code == 0
    return root


def damage(root: Path, sql: str) -> None:
    db = sqlite3.connect(root / ".publisher" / "courses.sqlite")
    with db:
        db.execute(sql)
    db.close()


def sent(root: Path) -> list[Path]:
    return sorted((root / "outbox").rglob("*.eml")) if (root / "outbox").exists() else []


@pytest.mark.parametrize("value", BAD_TIMES)
def test_a_next_due_that_is_not_a_time(tmp_path: Path, value) -> None:  # type: ignore[no-untyped-def]
    root = course_with_two_readers(tmp_path)
    damage(root, f"UPDATE enrolments SET next_due = {value} WHERE email = '{READERS[1]}'")
    for args in (("course", "list", COURSE), ("course", "run", "--dry-run"),
                 ("course", "run")):
        result = invoke(root, *args)
        assert_clean_failure(result, ".publisher/courses.sqlite", f"{COURSE}/{READERS[1]}",
                             "next_due")
    assert sent(root) == []  # not even to the reader whose record is intact
    damage(root, f"UPDATE enrolments SET next_due = next_base WHERE email = '{READERS[1]}'")
    result = invoke(root, "course", "run")
    assert result.exit_code == 0, result.output
    assert len(sent(root)) == 2


def test_an_enrolment_date_that_is_not_a_time(tmp_path: Path) -> None:
    root = course_with_two_readers(tmp_path)
    damage(root, "UPDATE enrolments SET enrolled_at = 'вчера'")
    assert_clean_failure(invoke(root, "course", "list", COURSE), "enrolled_at",
                         ".publisher/courses.sqlite")


def test_an_unsettled_delivery_with_a_broken_time(tmp_path: Path) -> None:
    """A delivery left `unknown` is reconciled at the start of a run; its time is shown."""
    root = course_with_two_readers(tmp_path)
    with CourseStore.for_project(root) as store:
        store.record_intent(COURSE, 1, [READERS[0]], run_id=1, batch="b1", backend="outbox",
                            content_hash="x", now=at("2026-11-23 09:00"))
        store.record_unknown(COURSE, 1, [READERS[0]], "the connection dropped")
    damage(root, "UPDATE deliveries SET intent_at = 99999999999999")
    result = invoke(root, "course", "run")
    assert_clean_failure(result, ".publisher/courses.sqlite", "intent_at")
    assert sent(root) == []


def test_a_run_record_with_a_broken_start_does_not_hide_the_lock_message(tmp_path: Path) -> None:
    root = course_with_two_readers(tmp_path)
    with CourseStore.for_project(root) as store:
        run_id = store.start_run(at("2026-11-23 09:00"))
    damage(root, f"UPDATE runs SET started_at = 'x' WHERE id = {run_id}")
    with CourseStore.for_project(root) as store:
        assert store.last_unfinished_run() is None


def test_the_latest_importable_enrolment_with_a_long_delay_is_a_time(tmp_path: Path) -> None:
    """The range is not too tight: enrolled on the last importable day (2999-12-31), with
    every lesson's delay on top, the roster still reads."""
    import datetime as dt

    from publisher.course.store import Enrolee

    root = course_with_two_readers(tmp_path)
    late = dt.datetime(2999, 12, 31, 23, 0, tzinfo=dt.UTC)
    with CourseStore.for_project(root) as store:
        store.enrol(COURSE, [Enrolee("late@example.org", enrolled_at=late)],
                    ((1, 400 * 86400),), late)
    result = invoke(root, "course", "list", COURSE)
    assert result.exit_code == 0, result.output
    assert "late@example.org" in result.output
