"""Simulated time through the locmem backend: who received which lesson when, exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher.backends import locmem
from publisher.course.runner import RunReport
from tests.course import scenario
from tests.course.helpers import deliveries, make_course


@pytest.fixture
def memory_outbox():
    locmem.outbox.clear()
    yield locmem.outbox
    locmem.outbox.clear()


def test_a_month_of_lessons_through_locmem(tmp_path: Path, memory_outbox: list) -> None:
    root = make_course(tmp_path / "nl", course=scenario.COURSE_SETTINGS)
    received: dict[tuple[str, int], str] = {}
    texts: dict[tuple[str, int], str] = {}

    def collect(when: str, report: RunReport) -> None:
        for copy in memory_outbox:
            lesson = int(copy.email.subject.split()[-1])
            key = (copy.recipient.email, lesson)
            assert key not in received, f"{key} delivered twice (again at {when})"
            received[key] = when
            texts[key] = copy.email.text
        memory_outbox.clear()

    reports = scenario.play(root, collect, backend_name="locmem")

    assert received == scenario.EXPECTED
    assert scenario.received_from_reports(reports) == scenario.EXPECTED
    assert set(deliveries(root).values()) == {"sent"}
    assert set(deliveries(root)) == set(scenario.EXPECTED)
    # lesson 2 was edited on 26 Nov: the people who got it before keep the old text, Vera
    # (2 Dec) gets the new one
    assert "Текст урока 2." in texts[("anna@example.org", 2)]
    assert "Исправленный текст урока 2." in texts[("vera@example.org", 2)]


def test_at_most_one_lesson_per_subscriber_per_run(tmp_path: Path, memory_outbox: list) -> None:
    """Lessons with no delay still go one per run: a burst never reaches a reader at once."""
    from publisher.course.runner import run_courses
    from publisher.course.store import CourseStore, Enrolee
    from tests.course.helpers import at, project_of

    root = make_course(tmp_path / "nl", delays=(None, "0 days", "0 days"))
    project = project_of(root)
    with CourseStore.for_project(root) as store:
        store.enrol("kurs", [Enrolee("a@example.org")], ((1, 0), (2, 0), (3, 0)),
                    at("2026-11-23 08:00"))
    for expected in (1, 2, 3, None):
        memory_outbox.clear()
        run_courses(project, now=at("2026-11-23 10:00"), backend_name="locmem")
        subjects = [c.email.subject for c in memory_outbox]
        assert subjects == ([f"Урок {expected}"] if expected else [])
