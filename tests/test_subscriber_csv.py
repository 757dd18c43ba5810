"""One subscriber CSV reader for SMTP, the outbox and ``course import``: what spreadsheets
and CRMs export (encodings, delimiters, header names), and bad lines named by file:line."""

from __future__ import annotations

import codecs
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from publisher.course.store import CourseStore
from publisher.errors import PublisherError
from publisher.subscriber_csv import read_subscriber_file
from publisher.subscribers import load_subscribers
from tests.course.helpers import COURSE, make_course
from tests.course.helpers import invoke as course_invoke
from tests.fixtures_smtp import SmtpServer
from tests.sending.util import esp_for, files, invoke

PEOPLE = [("anna@example.org", "Анна Петрова"), ("boris@example.org", "Борис, мл."),
          ("vera@example.org", "")]


def table(header: list[str] | None, delimiter: str,
          rows: list[tuple[str, ...]] = tuple(PEOPLE)) -> str:  # type: ignore[assignment]
    def line(cells: tuple[str, ...] | list[str]) -> str:
        return delimiter.join(f'"{c}"' if delimiter in c or '"' in c else c for c in cells)

    lines = ([line(header)] if header else []) + [line(row) for row in rows]
    return "\r\n".join(lines) + "\r\n"


def encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-16":
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    return text.encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251", "utf-16"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize("header", [["email", "name"], ["E-mail", "Имя"], ["Почта", "ФИО"],
                                    ["Адрес", "Name", "Город"], None])
def test_every_export_reads_as_the_same_people(tmp_path: Path, encoding: str, delimiter: str,
                                               header: list[str] | None) -> None:
    rows = [(*person, "Москва") for person in PEOPLE] if header and len(header) == 3 \
        else PEOPLE
    path = tmp_path / "list.csv"
    path.write_bytes(encode(table(header, delimiter, rows), encoding))
    read = read_subscriber_file(path, "list.csv")
    assert (read.encoding, read.delimiter, read.problems) == (encoding, delimiter, ())
    assert [(r.email, r.values["name"]) for r in read.rows] == PEOPLE
    recipients = load_subscribers(path, "list.csv")
    assert [(r.email, r.name) for r in recipients] == PEOPLE
    if header and len(header) == 3:
        assert recipients[0].fields == (("город", "Москва"),)


def test_bad_lines_are_named_by_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text('email;name\n'
                    'anna@example.org;"Анна\nПетрова"\n'  # a quoted cell over two lines
                    'not-an-address;Борис\n'
                    '\n'
                    'vera@example.org;Вера;лишнее\n'
                    'ANNA@example.org;Анна снова\n', encoding="utf-8")
    read = read_subscriber_file(path, "list.csv")
    assert [str(p) for p in read.problems] == [
        "list.csv:4: not an email address: 'not-an-address'",
        "list.csv:6: 3 fields, but the header names 2; check the delimiter ';' and quotes"]
    assert [(row.line, first) for row, first in read.duplicates] == [(7, 2)]
    assert read.rows[0].values["name"] == "Анна\nПетрова"
    with pytest.raises(PublisherError) as refused:  # a send refuses the whole list
        load_subscribers(path, "list.csv")
    assert refused.value.lines()[:2] == [str(p) for p in read.problems]


@pytest.mark.parametrize(("data", "message"), [
    (b"name,city\nAnna,Moscow\n", "list.csv:1: no email column in the header (found: name, "
                                  "city); name it email, e-mail, почта or адрес (e.g. email, "
                                  "name)"),
    (b"email,Email\na@example.org,b@example.org\n", "list.csv:1: the header names column "
                                                     "'email' twice"),
    (b"email\na@example.org\n\x00\x00\x00", "list.csv:3: a NUL byte: this is not a text CSV "
                                            "file (save it from the spreadsheet as CSV)"),
    (b"email\n" + "а@example.org\n".encode("cp1251") + b"\x98\n",
     "list.csv:3: not UTF-8 or Windows-1251 text; save the file as \"CSV UTF-8\""),
    (b"email\n", "list.csv: subscriber list is empty"),
])
def test_unreadable_lists_are_one_line_errors(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(data)
    with pytest.raises(PublisherError) as error:
        load_subscribers(path, "list.csv")
    assert error.value.lines() == [message]


RUSSIAN_EXCEL = "E-mail;Имя;Телефон\r\nanna@example.org;Анна;+7 900\r\n" \
                "boris@example.org;Борис Иванов, директор;\r\n"


@pytest.mark.parametrize("backend", ["outbox", "smtp"])
def test_a_russian_excel_export_is_sent_to(project, smtpd: SmtpServer, backend: str) -> None:  # type: ignore[no-untyped-def]
    """The list the SMTP and outbox backends used to refuse: cp1251 with semicolons."""
    root = project(files(), esp=esp_for(backend, smtpd=smtpd))
    (root / "subscribers" / "news.csv").write_bytes(RUSSIAN_EXCEL.encode("cp1251"))
    result = invoke(root, "send", "hello", "--yes")
    assert result.exit_code == 0, result.output
    assert "2 recipients (subscribers" in result.output
    if backend == "smtp":
        messages = [m.message for m in smtpd.messages]
    else:
        messages = [message_from_bytes(p.read_bytes(), policy=policy.default)
                    for p in sorted((root / "outbox").rglob("*.eml"))]
    assert sorted(str(m["To"]) for m in messages) == [
        '"Борис Иванов, директор" <boris@example.org>', "Анна <anna@example.org>"]


def test_course_import_and_a_send_read_a_file_alike(tmp_path: Path, project) -> None:  # type: ignore[no-untyped-def]
    data = RUSSIAN_EXCEL.replace("Телефон", "Часовой пояс").replace("+7 900", "Asia/Omsk")
    path = tmp_path / "export.csv"
    path.write_bytes(data.encode("cp1251"))
    course = make_course(tmp_path / "course")
    imported = course_invoke(course, "course", "import", COURSE, str(path))
    assert imported.exit_code == 0, imported.output
    assert "as cp1251 (delimiter ';'): 2 rows; enrolled 2" in imported.output
    sent_to = load_subscribers(path, "export.csv")
    with CourseStore.for_project(course) as store:
        enrolled = {r.email: r.name for r in store.roster(COURSE)}
    assert {r.email: r.name for r in sent_to} == enrolled
    assert dict(sent_to[0].fields) == {"timezone": "Asia/Omsk"}
