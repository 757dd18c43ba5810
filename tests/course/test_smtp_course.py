"""Courses through a real SMTP server on loopback (aiosmtpd): per-recipient copies, once each."""

from __future__ import annotations

from pathlib import Path

from publisher.backends import get_backend
from publisher.course.runner import RunReport, run_courses
from publisher.course.store import CourseStore, Enrolee
from tests.course import scenario
from tests.course.helpers import COURSE, at, deliveries, invoke, make_course, project_of
from tests.fixtures_smtp import SmtpServer


def factory(server: SmtpServer):  # type: ignore[no-untyped-def]
    def make(project, name):  # type: ignore[no-untyped-def]
        return get_backend("smtp", host=server.host, port=server.port, security="none",
                           unsubscribe_url=project.settings.footer.unsubscribe_url)
    return make


def test_a_month_of_lessons_through_smtp(tmp_path: Path, smtpd: SmtpServer) -> None:
    root = make_course(tmp_path / "nl", course=scenario.COURSE_SETTINGS)
    received: dict[tuple[str, int], str] = {}

    def collect(when: str, report: RunReport) -> None:
        for item in smtpd.messages:
            lesson = int(str(item.message["Subject"]).split()[-1])
            for address in item.rcpt_tos:
                key = (address, lesson)
                assert key not in received, f"{key} delivered twice (again at {when})"
                received[key] = when
        smtpd.messages.clear()

    scenario.play(root, collect, backend_name="smtp", backend_factory=factory(smtpd))
    assert received == scenario.EXPECTED
    per_address: dict[str, int] = {}
    for address, _ in scenario.EXPECTED:
        per_address[address] = per_address.get(address, 0) + 1
    assert smtpd.delivered_to() == per_address


def test_refused_address_is_retried_then_left_for_a_person(tmp_path: Path,
                                                            smtpd: SmtpServer) -> None:
    root = make_course(tmp_path / "nl")
    with CourseStore.for_project(root) as store:
        store.enrol(COURSE, [Enrolee("ok@example.org"), Enrolee("gone@example.org")],
                    ((1, 0),), at("2026-11-23 08:00"))
    smtpd.refuse.add("gone@example.org")
    outcomes = []
    for hour in ("10:00", "10:05", "10:10", "10:15"):
        report = run_courses(project_of(root), now=at(f"2026-11-23 {hour}"),
                             backend_name="smtp", backend_factory=factory(smtpd))
        outcomes.append([(s.sent, tuple(a for a, _ in s.failed)) for s in report.courses[0].sends])
    assert outcomes == [
        [(("ok@example.org",), ("gone@example.org",))],
        [((), ("gone@example.org",))],
        [((), ("gone@example.org",))],
        [],  # three attempts in all: now it waits for a person
    ]
    assert smtpd.delivered_to() == {"ok@example.org": 1}
    listing = invoke(root, "course", "list", COURSE)
    assert "gone@example.org" in listing.output and "failed, see `course resolve`" in listing.output
    assert deliveries(root)[("gone@example.org", 1)] == "failed"
