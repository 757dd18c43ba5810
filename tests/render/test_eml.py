"""The .eml written by ``publisher render`` parses back with Python's email package."""

from __future__ import annotations

import datetime as dt
import os
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from publisher.cli import cli
from publisher.render.message import to_mime
from publisher.models import Email, Recipient
from tests.fixtures_project import ROOT

SLUG = "kak-ne-stat-zhertvoy-vorov-2"
SUBJECT = ("Требуется «продажный» менеджер со своей клиентской базой, или КАК НЕ СТАТЬ ЖЕРТВОЙ "
           "ВОРОВ — 2")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("render")
    result = CliRunner().invoke(cli, ["--project", str(ROOT), "render", SLUG, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def raw(rendered: Path) -> bytes:
    return (rendered / f"{SLUG}.eml").read_bytes()


@pytest.fixture(scope="module")
def message(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


def headers_of(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[0]


def test_subject_round_trips_and_is_rfc2047_encoded(raw: bytes, message: EmailMessage) -> None:
    assert str(message["Subject"]) == SUBJECT
    head = headers_of(raw)
    assert head.isascii()  # no raw UTF-8 in headers
    subject = re.search(rb"^Subject:(.*?)\r\n(?![ \t])", head, re.DOTALL | re.MULTILINE)
    assert subject and subject.group(1).lstrip().startswith(b"=?utf-8?")
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))


def test_from_reply_to_date_and_message_id(message: EmailMessage, sample) -> None:  # type: ignore[no-untyped-def]
    sender = message["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == \
        ("A.S.Consult: Александр Соломатин", "news@asconsult.ru")
    assert message["Reply-To"].addresses[0].addr_spec == "as-consult@yandex.ru"
    assert message["Date"].datetime.tzinfo is not None
    assert abs(message["Date"].datetime - dt.datetime.now(dt.UTC)) < \
        dt.timedelta(minutes=10)
    # folded onto its own line (RFC 5322 allows it); Python keeps the folding space
    assert message["Message-ID"].strip() == sample.email.message_id
    assert re.fullmatch(r"<upravlyay-ka\.kak-ne-stat-zhertvoy-vorov-2\.[0-9a-f]{12}"
                        r"@asconsult\.ru>", sample.email.message_id)
    assert message["Content-Language"] == "ru"
    assert message["MIME-Version"] == "1.0"


def test_multipart_alternative_text_then_html(message: EmailMessage, rendered: Path) -> None:
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert [p.get_content_charset() for p in parts] == ["utf-8", "utf-8"]
    text = (rendered / f"{SLUG}.txt").read_text(encoding="utf-8")
    html = (rendered / f"{SLUG}.html").read_text(encoding="utf-8")
    assert parts[0].get_content().replace("\r\n", "\n") == text
    # set_content() ends a part with a newline
    assert parts[1].get_content().replace("\r\n", "\n").rstrip("\n") == html.rstrip("\n")


def test_render_reports_and_writes_three_readable_files(rendered: Path) -> None:
    names = sorted(p.name for p in rendered.iterdir())
    assert names == [f"{SLUG}.eml", f"{SLUG}.html", f"{SLUG}.txt"]
    umask = os.umask(0o022)
    os.umask(umask)
    for path in rendered.iterdir():  # the mode open() would give, not mkstemp's 0600
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("name", [
    "A.S.Consult: Александр Соломатин",
    "Иван",
    "Plain ASCII, with a comma",
    "Ёж",
])
def test_display_names_round_trip(name: str) -> None:
    subject = ("Тема письма " * 12).strip()
    email = Email(issue_key="s/x", series="s", subject=subject, from_name=name,
                  from_email="news@example.org", reply_to="", html="<p>x</p>", text="x",
                  preheader="", message_id="<x@example.org>", content_hash="0")
    raw = to_mime(email, to=Recipient("reader@example.org", name)).as_bytes()
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["From"].addresses[0].display_name == name
    assert parsed["To"].addresses[0].display_name == name
    assert str(parsed["Subject"]) == subject
    assert headers_of(raw).isascii()


def test_long_display_name_is_split_only_between_words() -> None:
    """An RFC 2047 reader joins encoded-words without the folding space; each holds its own."""
    import base64

    name = "Очень длинное имя отправителя нашей замечательной рассылки"
    email = Email(issue_key="s/x", series="s", subject="x", from_name=name,
                  from_email="news@example.org", reply_to="", html="<p>x</p>", text="x",
                  preheader="", message_id="<x@example.org>", content_hash="0")
    head = headers_of(to_mime(email).as_bytes()).decode("ascii")
    words = re.findall(r"=\?utf-8\?b\?([A-Za-z0-9+/=]+)\?=", head.split("From:")[1])
    assert len(words) >= 2
    decoded = [base64.b64decode(w).decode("utf-8") for w in words]
    assert "".join(decoded) == name  # what an RFC 2047 reader shows
    assert all(d.endswith(" ") for d in decoded[:-1])  # never split inside a word
