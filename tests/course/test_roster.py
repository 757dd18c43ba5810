"""Roster input: enroll/unenroll/list through the CLI, and CSV import reported line by line."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

from tests.course.helpers import COURSE, at, deliveries, invoke, make_course

HEADER = "email,name,timezone,enrolled_at\n"


def roster(root: Path) -> dict[str, tuple[str, str]]:
    from publisher.course.store import CourseStore

    with CourseStore.for_project(root) as store:
        return {r.email: (r.name, r.status) for r in store.roster(COURSE)}


def test_enroll_list_unenroll(tmp_path: Path) -> None:
    root = make_course(tmp_path / "nl", course={"window_days": ["mon", "tue", "wed", "thu", "fri"],
                                                "window_start": "09:00", "window_end": "12:00"})
    first = invoke(root, "course", "enroll", COURSE, "Anna@Example.org", "--name", "Анна",
                   "--at", "2026-11-28 10:00")
    assert first.exit_code == 0, first.output
    assert first.output == "Enrolled anna@example.org in kurs (from 2026-11-28 10:00)\n"
    again = invoke(root, "course", "enroll", COURSE, "anna@example.org")
    assert "already enrolled" in again.output
    listing = invoke(root, "course", "list", COURSE)
    # enrolled on a Saturday: lesson 1 waits for Monday's window
    assert "anna@example.org" in listing.output
    assert "lesson 1 at 2026-11-30 09:00" in listing.output
    assert "0/4" in listing.output

    left = invoke(root, "course", "unenroll", COURSE, "anna@example.org")
    assert left.exit_code == 0 and "no more lessons" in left.output
    run = invoke(root, "course", "run", "--now", "2026-11-30 10:00")
    assert "sent 0 lesson(s)" in run.output
    assert deliveries(root) == {}
    back = invoke(root, "course", "enroll", COURSE, "anna@example.org")
    assert "continues where they stopped" in back.output


def test_unknown_course_and_bad_address_are_one_line_errors(tmp_path: Path) -> None:
    root = make_course(tmp_path / "nl")
    unknown = invoke(root, "course", "enroll", "kusr", "a@example.org")
    assert unknown.exit_code == 1
    assert unknown.output.splitlines()[0] == "Error: newsletter.yaml: unknown course 'kusr' " \
                                             "(did you mean 'kurs'?)"
    newsletter = invoke(root, "course", "list", "news")
    assert newsletter.exit_code == 1 and "is a newsletter, not a course" in newsletter.output
    bad = invoke(root, "course", "enroll", COURSE, "not-an-address")
    assert bad.exit_code == 2 and "not an email address" in bad.output
    missing = invoke(root, "course", "unenroll", COURSE, "nobody@example.org")
    assert missing.exit_code == 1 and "is not enrolled" in missing.output


def test_import_reports_each_bad_line_and_keeps_the_good_ones(tmp_path: Path) -> None:
    root = make_course(tmp_path / "nl")
    csv = tmp_path / "people.csv"
    csv.write_text(HEADER
                   + "anna@example.org,Анна,,2026-11-23\n"
                   + "not-an-address,Борис,,\n"
                   + "ANNA@example.org,Анна снова,,\n"
                   + "vera@example.org,Вера,Mars/Olympus,\n"
                   + "gleb@example.org,Глеб,Asia/Yekaterinburg,2026-11-23 10:00\n"
                   + "dasha@example.org,Даша,,23.11.2026\n"
                   + "\n"
                   + "egor@example.org,Егор,,\n", encoding="utf-8")
    result = invoke(root, "course", "import", COURSE, str(csv))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[:4] == [
        f"Error: {csv}:3: not an email address: 'not-an-address'",
        f"Error: {csv}:4: duplicate row: anna@example.org is already on line 2; skipped",
        f"Error: {csv}:5: unknown time zone 'Mars/Olympus' (expected an IANA name such as "
        "'Asia/Yekaterinburg')",
        f"Error: {csv}:7: 'enrolled_at' must be YYYY-MM-DD or YYYY-MM-DD HH:MM, got '23.11.2026'",
    ]
    assert lines[4] == (f"Read {csv} as utf-8 (delimiter ','): 7 rows; enrolled 3, re-enrolled 0, "
                        "already enrolled 0, rejected 4")
    assert set(roster(root)) == {"anna@example.org", "gleb@example.org", "egor@example.org"}

    again = invoke(root, "course", "import", COURSE, str(csv))
    assert "enrolled 0, re-enrolled 0, already enrolled 3, rejected 4" in again.output


def test_import_reads_cp1251_and_semicolons_and_says_so(tmp_path: Path) -> None:
    root = make_course(tmp_path / "nl")
    csv = tmp_path / "excel.csv"
    csv.write_bytes("E-mail;Имя\nanna@example.org;Анна\nboris@example.org;Борис\n"
                    .encode("cp1251"))
    result = invoke(root, "course", "import", COURSE, str(csv))
    assert result.exit_code == 0, result.output
    assert "as cp1251 (delimiter ';'): 2 rows; enrolled 2" in result.output
    assert roster(root)["boris@example.org"] == ("Борис", "active")


def test_import_utf8_with_bom_and_no_header(tmp_path: Path) -> None:
    root = make_course(tmp_path / "nl")
    csv = tmp_path / "bom.csv"
    csv.write_bytes("anna@example.org,Анна\n".encode("utf-8-sig"))
    result = invoke(root, "course", "import", COURSE, str(csv))
    assert result.exit_code == 0, result.output
    assert "as utf-8-sig" in result.output
    assert roster(root) == {"anna@example.org": ("Анна", "active")}


def test_import_course_column_and_bad_header(tmp_path: Path) -> None:
    root = make_course(tmp_path / "nl")
    csv = tmp_path / "courses.csv"
    csv.write_text("email,course\na@example.org,kurs\nb@example.org,python\n"
                   "c@example.org,news\n", encoding="utf-8")
    result = invoke(root, "course", "import", COURSE, str(csv))
    assert f"Error: {csv}:3: unknown course 'python'" in result.output
    assert f"Error: {csv}:4: unknown course 'news'" in result.output
    assert set(roster(root)) == {"a@example.org"}

    header = tmp_path / "header.csv"
    header.write_text("email,timezon\nz@example.org,Europe/Moscow\n", encoding="utf-8")
    bad = invoke(root, "course", "import", COURSE, str(header))
    assert bad.exit_code == 1
    assert bad.output == (f"Error: {header}:1: unknown column 'timezon' (did you mean "
                          "'timezone'?) (columns: email, name, timezone, enrolled_at, course); "
                          "nothing was imported\n")
    assert "z@example.org" not in roster(root)


def test_import_is_all_or_nothing(tmp_path: Path) -> None:
    """A failure in the middle of enrolling leaves the roster exactly as it was."""
    import sqlite3

    import pytest

    from publisher.course.store import CourseStore, Enrolee

    root = make_course(tmp_path / "nl")
    with CourseStore.for_project(root) as store:
        store.db.execute("CREATE TRIGGER no_zed BEFORE INSERT ON enrolments "
                         "WHEN NEW.email LIKE 'zed%' BEGIN SELECT RAISE(ABORT, 'boom'); END")
        people = [Enrolee("a@example.org"), Enrolee("b@example.org"), Enrolee("zed@example.org")]
        with pytest.raises(sqlite3.IntegrityError):
            store.enrol(COURSE, people, ((1, 0),), at("2026-11-23 08:00"))
        assert store.roster(COURSE) == []


def test_run_through_the_cli_writes_one_outbox_copy_per_subscriber(tmp_path: Path) -> None:
    root = make_course(tmp_path / "nl")
    for email in ("anna@example.org", "boris@example.org", "vera@example.org"):
        invoke(root, "course", "enroll", COURSE, email, "--at", "2026-11-23 08:00")
    invoke(root, "course", "unenroll", COURSE, "vera@example.org", "--unsubscribed")
    dry = invoke(root, "course", "run", COURSE, "--now", "2026-11-23 10:00", "--dry-run")
    assert dry.output.splitlines() == [
        "kurs: lesson 1 «Урок 1»: would send to 2",
        "kurs: would send 2 lesson(s); next due 2026-11-23 10:00",
    ]
    result = invoke(root, "course", "run", COURSE, "--now", "2026-11-23 10:00")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "kurs: sent 2 lesson(s); next due 2026-11-25 10:00"
    folder = root / "outbox" / "kurs" / "urok-1"
    assert sorted(p.name for p in folder.iterdir()) == ["anna@example.org.eml",
                                                        "boris@example.org.eml"]
    copy = message_from_bytes((folder / "anna@example.org.eml").read_bytes(),
                              policy=policy.default)
    assert copy["To"] == "anna@example.org"
    assert copy["List-Unsubscribe"] == "<https://news.example.org/unsub/?email=anna@example.org>"
    listing = invoke(root, "course", "list", COURSE).output
    assert "vera@example.org" in listing and "unsubscribed" in listing
    again = invoke(root, "course", "run", COURSE, "--now", "2026-11-23 10:05")
    assert "sent 0 lesson(s)" in again.output
