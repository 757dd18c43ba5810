"""The sending window: weekdays and [start, end) in a time zone, across midnight and DST."""

from __future__ import annotations

import datetime as dt

from publisher.course.window import Window

UTC = dt.UTC
WEEKDAYS = frozenset(range(5))


def utc(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def test_contains_in_course_and_subscriber_time_zone() -> None:
    window = Window(WEEKDAYS, 9 * 60, 12 * 60, "Europe/Moscow")
    assert window.contains(utc("2026-11-23 06:00"))  # Monday 09:00 MSK
    assert not window.contains(utc("2026-11-23 09:00"))  # 12:00 MSK: end is exclusive
    assert not window.contains(utc("2026-11-28 07:00"))  # Saturday
    assert window.contains(utc("2026-11-23 04:00"), "Asia/Yekaterinburg")  # 09:00 there


def test_next_open_skips_the_weekend_and_the_closed_part_of_the_day() -> None:
    window = Window(WEEKDAYS, 9 * 60, 12 * 60, "Europe/Moscow")
    assert window.next_open(utc("2026-11-27 10:00")) == utc("2026-11-30 06:00")  # Fri 13:00
    assert window.next_open(utc("2026-11-23 03:00")) == utc("2026-11-23 06:00")
    assert window.next_open(utc("2026-11-23 07:00")) == utc("2026-11-23 07:00")  # open now


def test_window_over_midnight() -> None:
    window = Window(frozenset(range(7)), 22 * 60, 6 * 60, "UTC")
    assert window.contains(utc("2026-11-23 23:00"))
    assert window.contains(utc("2026-11-24 05:59"))
    assert not window.contains(utc("2026-11-24 06:00"))
    assert window.next_open(utc("2026-11-24 12:00")) == utc("2026-11-24 22:00")


def test_local_time_is_kept_across_a_dst_change() -> None:
    window = Window(frozenset(range(7)), 9 * 60, 10 * 60, "Europe/Berlin")
    assert window.contains(utc("2026-03-27 08:30"))  # CET: 09:30
    assert not window.contains(utc("2026-03-30 08:30"))  # CEST: 10:30
    assert window.contains(utc("2026-03-30 07:30"))


def test_never_opening_window() -> None:
    assert Window(frozenset(), 0, 1440, "UTC").next_open(utc("2026-11-23 00:00")) is None
