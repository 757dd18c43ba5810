"""Courses through the Sendsay double: one express issue.send per lesson group, drafts, workflow."""

from __future__ import annotations

import json
from pathlib import Path

from publisher.backends import get_backend
from publisher.course.runner import RunReport
from publisher.testing.fake_sendsay import FakeSendsay
from tests.course import scenario
from tests.course.helpers import (COURSE, at, deliveries, invoke, lesson_file, make_course,
                                  project_of, sendsay_env)
from tests.fixtures_sendsay import SENDSAY_APIKEY, SENDSAY_LOGIN


def factory(fake: FakeSendsay):  # type: ignore[no-untyped-def]
    def make(project, name):  # type: ignore[no-untyped-def]
        return get_backend("sendsay", api_url=fake.base_url, login=SENDSAY_LOGIN,
                           apikey=SENDSAY_APIKEY, sleep=lambda seconds: None)
    return make


def addresses(users_list: str) -> list[str]:
    lines = users_list.splitlines()
    if lines and lines[0].startswith("member.email"):
        lines = lines[1:]
    return [line.split(";")[0] for line in lines]


def test_a_month_of_lessons_through_sendsay(tmp_path: Path, sendsay: FakeSendsay) -> None:
    root = make_course(tmp_path / "nl", course=scenario.COURSE_SETTINGS)
    received: dict[tuple[str, int], str] = {}
    calls: list[tuple[str, int, list[str]]] = []

    def collect(when: str, report: RunReport) -> None:
        for entry in sendsay.executed_sends():
            request = entry["request"]
            lesson = int(request["letter"]["subject"].split()[-1])
            people = addresses(request["users.list"])
            assert request["group"] == "masssending" and request["sendwhen"] == "now"
            calls.append((when, lesson, people))
            for email in people:
                assert (email, lesson) not in received, f"{email} got lesson {lesson} twice"
                received[(email, lesson)] = when
        members = [e["request"]["email"] for e in sendsay.requests
                   if e["action"] == "member.set"]
        sent_to = {a for e in sendsay.executed_sends() for a in addresses(e["request"]["users.list"])}
        assert sent_to <= set(members), "every express recipient is made a member first"
        sendsay.clear_requests()

    scenario.play(root, collect, backend_name="sendsay", backend_factory=factory(sendsay))

    assert received == scenario.EXPECTED
    # one issue.send per (run, lesson): the two people due lesson 4 at once share one call
    for (when, lesson), group in scenario.GROUPS.items():
        matching = [people for w, n, people in calls if (w, n) == (when, lesson)]
        assert len(matching) == 1 and set(matching[0]) == group
    assert len(calls) == len({(w, n) for w, n, _ in calls})
    assert set(deliveries(root).values()) == {"sent"}


def test_ten_due_people_one_issue_send_with_names_and_unique_name(
        tmp_path: Path, sendsay: FakeSendsay) -> None:
    from publisher.course.runner import run_courses
    from publisher.course.store import CourseStore, Enrolee

    root = make_course(tmp_path / "nl")
    people = [Enrolee(f"reader{i}@example.org", f"Читатель {i}") for i in range(10)]
    with CourseStore.for_project(root) as store:
        store.enrol(COURSE, people, ((1, 0),), at("2026-11-23 08:00"))
    report = run_courses(project_of(root), now=at("2026-11-23 10:00"), backend_name="sendsay",
                         backend_factory=factory(sendsay))
    sends = sendsay.executed_sends()
    assert len(sends) == 1
    request = sends[0]["request"]
    assert request["users.list"].splitlines()[0] == "member.email;data.name"
    assert sorted(addresses(request["users.list"])) == sorted(p.email for p in people)
    assert request["name"].startswith("kurs/urok-1/2026-11-23T0700Z-r")
    assert "[% param.url_unsub %]" in request["letter"]["message"]["html"]
    assert report.courses[0].sends[0].provider_id == sends[0]["answer"]["track.id"]


def test_lost_answer_is_unknown_then_reconciled_not_resent(tmp_path: Path,
                                                          sendsay: FakeSendsay) -> None:
    """Sendsay executed the send but the answer was lost: no second issue.send, ever."""
    from publisher.course.runner import run_courses
    from publisher.course.store import CourseStore, Enrolee

    root = make_course(tmp_path / "nl")
    with CourseStore.for_project(root) as store:
        store.enrol(COURSE, [Enrolee("a@example.org"), Enrolee("b@example.org")], ((1, 0),),
                    at("2026-11-23 08:00"))
    sendsay.drop_connection_after_send()
    first = run_courses(project_of(root), now=at("2026-11-23 10:00"), backend_name="sendsay",
                        backend_factory=factory(sendsay))
    assert first.courses[0].sends[0].unknown == ("a@example.org", "b@example.org")
    assert first.problems
    assert set(deliveries(root).values()) == {"unknown"}

    second = run_courses(project_of(root), now=at("2026-11-23 10:30"), backend_name="sendsay",
                         backend_factory=factory(sendsay))
    assert [s.state for s in second.settled] == ["sent", "sent"]
    assert len(sendsay.executed_sends()) == 1
    assert set(deliveries(root).values()) == {"sent"}
    # and lesson 2 is now scheduled from the time lesson 1 actually went
    assert second.courses[0].sends == ()


def test_sync_uploads_drafts_and_updates_them_in_place(tmp_path: Path,
                                                       sendsay: FakeSendsay,
                                                       monkeypatch) -> None:  # type: ignore[no-untyped-def]
    root = make_course(tmp_path / "nl")
    for key, value in sendsay_env(sendsay).items():
        monkeypatch.setenv(key, value)
    first = invoke(root, "course", "sync", COURSE)
    assert first.exit_code == 0, first.output
    assert "4 drafts created or updated" in first.output
    drafts = {e["answer"]["id"]: e["request"] for e in sendsay.requests
              if e["action"] == "issue.draft.set"}
    assert len(drafts) == 4 and all("id" not in r for r in drafts.values())

    sendsay.clear_requests()
    (root / "issues" / "kurs-3.md").write_text(lesson_file(3, "3 days", "Новый текст.\n"),
                                               encoding="utf-8")
    second = invoke(root, "course", "sync", COURSE)
    assert second.exit_code == 0, second.output
    updates = [e for e in sendsay.requests if e["action"] == "issue.draft.set"]
    assert len(updates) == 1  # only the edited lesson; the same draft id, overwritten
    assert updates[0]["request"]["id"] in drafts
    assert "Новый текст." in updates[0]["request"]["obj"]["letter"]["message"]["html"]
    assert second.output.count("unchanged") == 3
    assert len(sendsay.account.drafts) == 4


def test_enroll_into_sendsay_workflow(tmp_path: Path, sendsay: FakeSendsay,
                                      monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """delivery: sendsay -> member.set then sequence.member.start, nothing in the local roster."""
    root = make_course(tmp_path / "nl", course={"delivery": "sendsay", "sequence_id": "17"})
    for key, value in sendsay_env(sendsay).items():
        monkeypatch.setenv(key, value)
    result = invoke(root, "course", "enroll", COURSE, "Anna@Example.org", "--name", "Анна")
    starts = [e for e in sendsay.requests if e["action"] == "sequence.member.start"]
    assert [e["request"]["id"] for e in starts] == ["17"]
    assert starts[0]["request"]["email"] == "anna@example.org"
    members = [e for e in sendsay.requests if e["action"] == "member.set"]
    assert members[0]["request"]["datakey"] == [["base.firstName", "set", "Анна"]]
    assert result.exit_code == 0, result.output
    assert sendsay.account.sequence_members == {"17": ["anna@example.org"]}
    assert not deliveries(root)
    assert json.dumps(sendsay.requests).count(SENDSAY_APIKEY) == 0
