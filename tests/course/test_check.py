"""``publisher check`` on courses: the lesson sequence, reported as path:line messages."""

from __future__ import annotations

from pathlib import Path

from tests.course.helpers import COURSE, invoke, lesson_file, make_course


def check(root: Path) -> tuple[int, list[str]]:
    result = invoke(root, "check")
    return result.exit_code, result.output.splitlines()


def test_a_good_course_passes(tmp_path: Path) -> None:
    code, lines = check(make_course(tmp_path / "nl"))
    assert code == 0, lines
    assert lines[-1].startswith("OK: 5 issues, 0 errors")


def test_gap_duplicate_and_missing_delay(tmp_path: Path) -> None:
    root = make_course(tmp_path / "nl", delays=(None, "2 days", "3 days", "1 week", "1 day"))
    (root / "issues" / "kurs-2.md").unlink()  # gap: no lesson 2
    (root / "issues" / "kurs-3b.md").write_text(lesson_file(3, "3 days", slug="dubl"),
                                                encoding="utf-8")  # duplicate 3
    (root / "issues" / "kurs-4.md").write_text(lesson_file(4, None), encoding="utf-8")
    code, lines = check(root)
    assert code == 1
    errors = [line for line in lines if line.startswith("Error:")]
    assert "Error: issues/kurs-3b.md:2: duplicate number 3 in series 'kurs' (also in " \
           "issues/kurs-3.md)" in errors  # reported once, by the issue rules
    assert "Error: issues/kurs-4.md:6: lesson 4 needs a 'delay' after the previous lesson, " \
           "e.g. 'delay: 3 days'" in errors
    assert "Error: issues/kurs-3.md:6: course 'kurs' has no lesson 2: lessons must be " \
           "numbered 1, 2, 3... without gaps" in errors
    assert len(errors) == 3, errors
    # a duplicate lesson with distinct issue numbers is the course rule's to catch
    (root / "issues" / "kurs-3b.md").write_text(
        lesson_file(3, "3 days", slug="dubl").replace("lesson: 3", "lesson: 3\nnumber: 33"),
        encoding="utf-8")
    _, lines = check(root)
    assert "Error: issues/kurs-3b.md:6: duplicate lesson 3 in course 'kurs' (also in " \
           "issues/kurs-3.md)" in lines


def test_bad_delay_is_reported_at_its_line(tmp_path: Path) -> None:
    root = make_course(tmp_path / "nl")
    (root / "issues" / "kurs-2.md").write_text(lesson_file(2, "soon"), encoding="utf-8")
    code, lines = check(root)
    assert code == 1
    assert "Error: issues/kurs-2.md:7: 'delay' must be like '3 days', '12 hours' or '1 week', " \
           "got 'soon'" in lines
    # and a run refuses the broken course with the same message, sending nothing
    run = invoke(root, "course", "run", "--now", "2026-11-23 10:00")
    assert run.exit_code == 1
    assert "Error: issues/kurs-2.md:7: 'delay' must be like" in run.output


def test_unrenderable_lesson_fails_check(tmp_path: Path) -> None:
    root = make_course(tmp_path / "nl")
    (root / "issues" / "kurs-3.md").write_text(
        lesson_file(3, "3 days", "Картинка: ![схема](images/missing.png)\n"), encoding="utf-8")
    code, lines = check(root)
    assert code == 1
    assert any(line.startswith("Error: issues/kurs-3.md:") and "missing.png" in line
               for line in lines), lines


def test_draft_lesson_in_the_middle_warns_and_holds_subscribers(tmp_path: Path) -> None:
    root = make_course(tmp_path / "nl")
    (root / "issues" / "kurs-2.md").write_text(lesson_file(2, "2 days", status="draft"),
                                               encoding="utf-8")
    code, lines = check(root)
    assert code == 0
    assert any("lesson 2 is a draft: subscribers stop at lesson 1" in line for line in lines)


def test_sendsay_delivery_needs_a_workflow_id(tmp_path: Path) -> None:
    root = make_course(tmp_path / "nl", course={"delivery": "sendsay"})
    code, lines = check(root)
    assert code == 1
    assert any(line.startswith("Error: newsletter.yaml:") and
               "course.sequence_id: required when delivery is 'sendsay'" in line
               for line in lines), lines
    run = invoke(root, "course", "run", COURSE)
    assert run.exit_code == 1 and "delivered by a Sendsay workflow" in run.output


def test_window_settings_are_validated(tmp_path: Path) -> None:
    root = make_course(tmp_path / "nl", course={"window_start": "9am", "window_days": ["mon", "fr"]})
    code, lines = check(root)
    assert code == 1
    assert any("series[2].course.window_start: must be a time of day HH:MM" in line
               for line in lines), lines
    assert any("series[2].course.window_days[1]: must be one of" in line for line in lines)
