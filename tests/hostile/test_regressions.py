"""One regression test per remaining case of issue 10: each was a traceback or a silently
wrong result, and is now one ``path:line: message`` (exit 1) or the right result."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import lxml.etree
import pytest

from publisher.secrets import ScrubFilter, scrub
from tests.fixtures_project import DEFAULT_ISSUE, issue_text
from tests.hostile.helpers import assert_clean_failure, invoke

ISSUE = DEFAULT_ISSUE
PUBLISHED = issue_text(status="published")


# --- templates and CSS ----------------------------------------------------------------------

@pytest.mark.parametrize("name, content, message", [
    ("templates/email/base.html", "", "renders to nothing"),
    ("templates/email/issue.html", "", "templates/email/issue.html:1: the template (or one it "
                                       "extends) renders to nothing"),
    ("templates/email/issue.html", "<!-- nothing -->", "could not be inlined"),
    ("templates/email/base.html", b"\xff\xfe{{ x }}", "templates/email/base.html:1: not UTF-8"),
    ("templates/email/email.css", b"p {}\n\xff", "templates/email/email.css:2: not UTF-8"),
    ("templates/email/issue.html", "{% extends 'email/base.html' %}{% block rows %}"
                                   "{{ 1/0 }}{% endblock %}",
     "templates/email/issue.html:1: template error: ZeroDivisionError: division by zero"),
    ("templates/email/issue.html", "{% include 'email/issue.html' %}", "includes or calls itself"),
])
def test_broken_email_templates(project, name: str, content, message: str) -> None:  # type: ignore[no-untyped-def]
    root = project()
    from publisher.render.templates import PACKAGE_TEMPLATES

    for shipped in ("email/base.html", "email/issue.html", "email/issue.txt",
                    "email/email.css", "email/email-responsive.css"):
        target = root / "templates" / shipped
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((PACKAGE_TEMPLATES / shipped).read_bytes())
    path = root / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    assert_clean_failure(invoke(root, "render", ISSUE, "--out", str(root / "out")), message)
    assert not (root / "out").exists()
    assert_clean_failure(invoke(root, "check"), message)


def test_broken_archive_template(project) -> None:  # type: ignore[no-untyped-def]
    root = project({ISSUE: PUBLISHED, "templates/archive/issue.html": "{{ 1/0 }}"})
    assert_clean_failure(invoke(root, "build", "--out", str(root / "_site")),
                         "templates/archive/issue.html:1: template error: ZeroDivisionError")
    assert not (root / "_site").exists()


# --- the render cache -----------------------------------------------------------------------

@pytest.mark.parametrize("damage", ["garbage", "pages"])
def test_corrupt_cache_is_detected_reported_once_and_rebuilt(project, caplog, damage: str) -> None:  # type: ignore[no-untyped-def]
    root = project({ISSUE: PUBLISHED})
    out = root / "_site"
    assert invoke(root, "build", "--out", str(out)).exit_code == 0
    cache = root / ".publisher" / "cache" / "archive.sqlite"
    if damage == "garbage":
        cache.write_bytes(b"not a database at all" * 100)
    else:
        db = sqlite3.connect(cache)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        data = bytearray(cache.read_bytes())
        for index in range(4096, len(data), 7):
            data[index] = 0xAB
        cache.write_bytes(bytes(data))
    for suffix in ("-wal", "-shm"):
        Path(f"{cache}{suffix}").unlink(missing_ok=True)
    page = out / "news" / "privet-mir" / "index.html"
    before = page.read_bytes()
    with caplog.at_level(logging.WARNING):
        result = invoke(root, "build", "--out", str(out))
    assert result.exit_code == 0, result.output
    warnings = [r for r in caplog.records if "build cache" in r.getMessage()]
    assert len(warnings) == 1 and "it is rebuilt" in warnings[0].getMessage()
    assert page.read_bytes() == before
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        again = invoke(root, "build", "--out", str(out))
    assert again.exit_code == 0 and "0 rendered" in again.output
    assert not [r for r in caplog.records if "build cache" in r.getMessage()]


# --- CSV files and enrolment dates ----------------------------------------------------------

def test_a_csv_field_over_128_kb(project) -> None:  # type: ignore[no-untyped-def]
    root = project(series=[{"slug": "news", "title": "Новости", "kind": "course"}])
    (root / ISSUE).write_text(issue_text(number=None, lesson=1), encoding="utf-8")
    roster = root / "people.csv"
    roster.write_text('email,name\na@example.org,"' + "x" * 200_000 + '"\n', encoding="utf-8")
    assert_clean_failure(invoke(root, "course", "import", "news", str(roster)),
                         "people.csv:2: unreadable CSV (field larger than field limit")


def test_a_csv_field_over_128_kb_in_a_subscriber_list(tmp_path: Path) -> None:
    from publisher.errors import ConfigError
    from publisher.subscribers import load_subscribers

    path = tmp_path / "subs.csv"
    path.write_text('email,name\n"' + "x" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unreadable CSV"):
        load_subscribers(path, "subs.csv")


@pytest.mark.parametrize("date", ["0001-01-01", "9999-12-31", "1969-12-31 23:00"])
def test_enrolment_dates_out_of_range(project, date: str) -> None:  # type: ignore[no-untyped-def]
    root = project(series=[{"slug": "news", "title": "Новости", "kind": "course"}])
    (root / ISSUE).write_text(issue_text(number=None, lesson=1), encoding="utf-8")
    roster = root / "people.csv"
    roster.write_text(f"email,name,enrolled_at\na@example.org,A,{date}\n", encoding="utf-8")
    result = invoke(root, "course", "import", "news", str(roster))
    assert_clean_failure(result, "people.csv:2: 'enrolled_at' must be in a year from 1971")
    for command in (["course", "list", "news"], ["course", "run", "--dry-run"]):
        listed = invoke(root, *command)
        assert listed.exit_code == 0, listed.output


# --- images, feeds --------------------------------------------------------------------------

def test_image_outside_issues_is_an_error(project) -> None:  # type: ignore[no-untyped-def]
    root = project({ISSUE: issue_text("Текст.\n\n![схема](../secret.png)\n", status="published")})
    (root.parent / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    message = f"{ISSUE}:11: image outside issues/: ../secret.png"
    assert_clean_failure(invoke(root, "check"), message)
    assert_clean_failure(invoke(root, "render", ISSUE, "--out", str(root / "out")), message)
    assert_clean_failure(invoke(root, "build", "--out", str(root / "_site")), message)


@pytest.mark.parametrize("where", ["title", "preheader", "body", "tags"])
def test_control_characters_never_reach_the_feed(project, where: str) -> None:  # type: ignore[no-untyped-def]
    fields = {"status": "published"}
    body = "Текст.\n"
    if where == "body":
        body = "Текст \x0b с вертикальной табуляцией.\n"
    elif where == "tags":
        fields["tags"] = ["a\x01b"]
    else:
        fields[where] = f"Заголовок \x1b[31m {where}"
    root = project({ISSUE: issue_text(body, **fields)})
    out = root / "_site"
    result = invoke(root, "build", "--out", str(out))
    assert_clean_failure(result, f"{ISSUE}:", "control character")
    assert not out.exists()


def test_feed_of_an_ordinary_issue_is_valid_xml(project) -> None:  # type: ignore[no-untyped-def]
    root = project({ISSUE: issue_text("Текст & <b>разметка</b> «кавычки».\n",
                                      status="published")})
    out = root / "_site"
    assert invoke(root, "build", "--out", str(out)).exit_code == 0
    for feed in out.rglob("*.xml"):
        lxml.etree.fromstring(feed.read_bytes())


# --- secrets --------------------------------------------------------------------------------

def test_secret_values_are_scrubbed_from_error_lines(project, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    secret = "s3cr3t-Pa55word"
    monkeypatch.setenv("SMTP_PASSWORD", secret)
    root = project({ISSUE: issue_text(series=secret)})
    result = invoke(root, "check")
    assert result.exit_code == 1
    assert secret not in result.output
    assert "unknown series '***'" in result.output


def test_scrub_covers_quoted_and_encoded_forms(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SENDSAY_PASSWORD", 'p@ss "wörd"/+')
    monkeypatch.setenv("SENDSAY_APIKEY", "abc")  # too short to scrub meaningfully
    text = ('error: {"passwd": "p@ss \\"w\\u00f6rd\\"/+"} url=p%40ss%20%22w%C3%B6rd%22%2F%2B '
            'raw=p@ss "wörd"/+ abc')
    clean = scrub(text)
    assert "p@ss" not in clean and "p%40ss" not in clean
    assert clean.count("***") == 3 and clean.endswith(" abc")


def test_deploy_credentials_join_the_one_scrubber(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A deploy secret lives in a variable the config names; once deploy reads it, every
    path to the terminal masks it: its own redaction, the CLI's error lines and log records,
    raw, JSON-escaped, URL-encoded, and an SSH key line by line."""
    from publisher.deploy.secrets import Secrets

    key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA+/x\nQUJDREVGR0g=\n"
    monkeypatch.setenv("MY_DEPLOY_TOKEN", "tok/en+with space")
    monkeypatch.setenv("MY_SSH_KEY", key)
    monkeypatch.setattr("publisher.secrets._REGISTERED", set())
    assert "tok/en" in scrub("tok/en+with space")  # not a secret before deploy names it
    secrets = Secrets(("MY_DEPLOY_TOKEN",))
    assert secrets.get("MY_SSH_KEY").startswith("-----BEGIN")
    text = ("url=tok%2Fen%2Bwith%20space form=tok%2Fen%2Bwith+space raw=tok/en+with space "
            "json=\"b3BlbnNzaC1rZXktdjEAAAAA+/x\" line=QUJDREVGR0g=")
    for clean in (secrets.redact(text), scrub(text)):
        assert "tok" not in clean and "b3Blbn" not in clean and "QUJD" not in clean, clean
    record = logging.LogRecord("boto", logging.DEBUG, __file__, 1, "signing with %s",
                               ("tok/en+with space",), None)
    assert ScrubFilter().filter(record) and record.getMessage() == "signing with ***"


def test_log_records_are_scrubbed(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SENDSAY_APIKEY", "key-0123456789")
    record = logging.LogRecord("x", logging.WARNING, __file__, 1,
                               "Sendsay said %s", ("bad key key-0123456789",), None)
    assert ScrubFilter().filter(record)
    assert record.getMessage() == "Sendsay said bad key ***"


# --- attribute lists and safe_html ----------------------------------------------------------

HOSTILE_MARKDOWN = (
    "Абзац с фокусом.\n{: onfocus=\"alert(1)\" autofocus tabindex=1 }\n\n"
    "[ссылка](javascript:alert(2)) и [ещё](JaVa\tScRiPt:alert(3))\n\n"
    "[данные](data:text/html,<script>alert(4)</script>)\n\n"
    "[нормальная](https://example.org/){: onclick=\"x()\" title=\"ок\" }\n\n"
    "<div onclick=\"alert(5)\"><script>alert(6)</script>сырой HTML</div>\n"
)


def render_body_html(project, **overrides) -> str:  # type: ignore[no-untyped-def]
    root = project({ISSUE: issue_text(HOSTILE_MARKDOWN)}, **overrides)
    from publisher.config import load_project
    from publisher.load import load_issue
    from publisher.render import render_body

    loaded = load_project(root)
    return render_body(load_issue(root / ISSUE, loaded), loaded).html


def test_attribute_lists_and_links_cannot_run_script(project) -> None:  # type: ignore[no-untyped-def]
    html = render_body_html(project)
    assert "onfocus" not in html and "onclick=\"x()\"" not in html
    assert "javascript" not in html.lower().replace("\t", "") and "data:text" not in html
    assert 'href="https://example.org/"' in html and 'title="ок"' in html
    assert "alert(6)" in html  # raw HTML is the author's own: trusted (see README)


def test_safe_html_cleans_guest_authors_html(project) -> None:  # type: ignore[no-untyped-def]
    html = render_body_html(project, site={"safe_html": True})
    assert "<script" not in html and "onclick" not in html and "alert(5)" not in html
    assert "сырой HTML" in html and 'href="https://example.org/"' in html


def test_safe_html_keeps_tables_and_their_labels(project) -> None:  # type: ignore[no-untyped-def]
    table = ("| Что | Зачем | Кто | Когда |\n|-----|-------|-----|-------|\n"
             "| A | - пункт<br>- ещё | Я | Сейчас |\n")  # four columns: a table that stacks
    root = project({ISSUE: issue_text(table)}, site={"safe_html": True})
    from publisher.config import load_project
    from publisher.load import load_issue
    from publisher.render import render_body

    loaded = load_project(root)
    html = render_body(load_issue(root / ISSUE, loaded), loaded).html
    assert 'class="cell-label"' in html and "<ul>" in html and "stackable" in html
