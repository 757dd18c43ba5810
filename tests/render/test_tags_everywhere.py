"""ESP tags written in the Markdown: byte for byte to Sendsay; evaluated everywhere else a
reader would see them (outbox and SMTP copies, archive page, feeds, search, serve previews);
``check`` reports tags outside the supported subset at their line."""

from __future__ import annotations

import json
import re
from email import message_from_bytes, policy
from pathlib import Path

from archive_site.build import build
from archive_site.search import query
from publisher.check import check_project
from publisher.config import load_project
from publisher.pipeline import prepare
from tests.fixtures_project import DEFAULT_ISSUE, issue_text
from tests.fixtures_smtp import SmtpServer
from tests.sending.util import SUBSCRIBERS, esp_for, invoke

BODY = """[% IF anketa.base.firstName %]Здравствуйте, [% anketa.base.firstName | ucfirst %]![% ELSE %]Здравствуйте, коллега![% END %]

Письмо для [% anketa.member.email %]. [% UNLESS anketa.base.city %]Город не указан.[% END %]

[% IF anketa.base.firstName %]

Персональный абзац для [% anketa.base.firstName %].

[% END %]

[Веб-версия]([% param.issue_archive_url %]) и [отписка]([% param.url_unsub %]).
"""
ESP_ARTEFACTS = re.compile(r"\[%|%\]|\*\|")


def body_project(project, backend: str, body: str = BODY, **kw):  # type: ignore[no-untyped-def]
    files = {"subscribers/news.csv": SUBSCRIBERS,
             DEFAULT_ISSUE: issue_text(slug="hello", body=body, status="published")}
    return project(files, esp=esp_for(backend, **kw))


def html_part(data: bytes) -> tuple[str, str]:
    """(HTML, text) of a message, non-breaking spaces read as spaces."""
    message = message_from_bytes(data, policy=policy.default)
    return (message.get_body(("html",)).get_content().replace("\u00a0", " "),  # type: ignore[union-attr]
            message.get_body(("plain",)).get_content().replace("\u00a0", " "))  # type: ignore[union-attr]


def test_sendsay_gets_the_tags_byte_for_byte(project) -> None:  # type: ignore[no-untyped-def]
    root = body_project(project, "outbox")
    html = prepare(load_project(root), root / DEFAULT_ISSUE, backend="sendsay").email.html
    for tag in ("[% IF anketa.base.firstName %]", "[% anketa.base.firstName | ucfirst %]",
                "[% ELSE %]", "[% END %]", "[% UNLESS anketa.base.city %]",
                'href="[% param.issue_archive_url %]"', 'href="[% param.url_unsub %]"'):
        assert tag in html


def test_outbox_copies_are_evaluated_per_recipient(project) -> None:  # type: ignore[no-untyped-def]
    root = body_project(project, "outbox")
    result = invoke(root, "send", "hello", "--yes")
    assert result.exit_code == 0, result.output
    folder = root / "outbox" / "news" / "hello"
    anna_html, anna_text = html_part((folder / "anna@example.org.eml").read_bytes())
    vera_html, vera_text = html_part((folder / "vera@example.org.eml").read_bytes())
    assert "Здравствуйте, Анна!" in anna_html and "Здравствуйте, Анна!" in anna_text
    assert "Персональный абзац для Анна." in anna_html
    assert "Здравствуйте, коллега!" in vera_html and "Персональный" not in vera_html
    assert "Письмо для vera@example.org." in vera_html
    assert 'href="https://news.example.org/archive/news/hello/' in anna_html
    assert 'href="https://news.example.org/unsub/?email=anna@example.org"' in anna_html
    assert "Город не указан." in anna_html
    for part in (anna_html, anna_text, vera_html, vera_text):
        assert not ESP_ARTEFACTS.search(part), part
    assert "<p></p>" not in re.sub(r"<p [^>]*>", "<p>", anna_html)
    assert "\n\n\n" not in vera_text
    # the warning check gives: these are Sendsay tags and the backend is not Sendsay
    assert "Sendsay tags ([% … %]) with backend 'outbox'" in result.output
    assert "anketa.base.city comes from the subscriber list's columns" in result.output


def test_smtp_copies_are_evaluated_per_recipient(project, smtpd: SmtpServer) -> None:  # type: ignore[no-untyped-def]
    root = body_project(project, "smtp", smtpd=smtpd)
    result = invoke(root, "send", "hello", "--yes")
    assert result.exit_code == 0, result.output
    got = {m.rcpt_tos[0]: html_part(m.data) for m in smtpd.messages}
    assert "Здравствуйте, Борис!" in got["boris@example.org"][0]
    assert "Здравствуйте, коллега!" in got["vera@example.org"][1]
    assert not any(ESP_ARTEFACTS.search(h + t) for h, t in got.values())


def test_archive_page_feed_and_search_show_the_anonymous_reader_version(project) -> None:  # type: ignore[no-untyped-def]
    root = body_project(project, "outbox")
    site = root / "_site"
    build(load_project(root), site)
    page = (site / "news" / "hello" / "index.html").read_text(encoding="utf-8") \
        .replace("\u00a0", " ")
    feed = (site / "feed.xml").read_text(encoding="utf-8").replace("\u00a0", " ")
    assert "Здравствуйте, коллега!" in page and "Город не указан." in page
    assert "Персональный" not in page
    assert 'href="https://news.example.org/archive/news/hello/"' in page
    assert "коллега" in feed and "Персональный" not in feed
    for text in (page, feed):
        assert not ESP_ARTEFACTS.search(text), text
    assert query(site, "коллега") == ["news/hello/"]
    assert query(site, "anketa") == [] and query(site, "firstname") == []
    for shard in (site / "search").glob("*.json"):
        assert "anketa" not in shard.read_text(encoding="utf-8")


def test_serve_preview_fills_a_sample_subscriber(project) -> None:  # type: ignore[no-untyped-def]
    from archive_site.serve_emails import fill_tags

    root = body_project(project, "outbox")
    project_ = load_project(root)
    prepared = prepare(project_, root / DEFAULT_ISSUE, backend="sendsay")
    html = fill_tags(prepared.email.html, prepared, project_, as_html=True).replace("\u00a0", " ")
    assert "Здравствуйте, Анна!" in html and "Персональный абзац" in html
    assert not ESP_ARTEFACTS.search(html)


def test_check_names_the_line_of_a_tag_outside_the_subset(project) -> None:  # type: ignore[no-untyped-def]
    body = ("Первая строка.\n\n[% FOREACH item IN list %]\n\n- пункт\n\n"
            "Привет, [% shout(anketa.base.firstName) %]!\n\n[% IF x %]без конца\n")
    root = project({DEFAULT_ISSUE: issue_text(body=body)})
    report = check_project(load_project(root))
    body_line = 8  # front matter of issue_text is lines 1-7
    messages = [str(p) for p in report.errors]
    assert any(m.startswith(f"issues/news-001-hello.md:{body_line + 2}: ESP tag '[% FOREACH")
               and "'FOREACH' is not supported" in m for m in messages), messages
    assert any(m.startswith(f"issues/news-001-hello.md:{body_line + 6}:")
               and "unknown function 'shout'" in m for m in messages), messages
    assert any(m.startswith(f"issues/news-001-hello.md:{body_line + 8}:")
               and "IF without its END" in m for m in messages), messages


def test_check_warns_about_sendsay_only_tags_on_another_backend(project) -> None:  # type: ignore[no-untyped-def]
    root = project({DEFAULT_ISSUE: issue_text(body="Текст.\n\nПривет, [% anketa.base.firstName %]!\n")},
                   esp={"backend": "smtp", "smtp": {"host": "127.0.0.1"}})
    warnings = [str(p) for p in check_project(load_project(root)).warnings]
    assert any(w.startswith("issues/news-001-hello.md:10: Sendsay tags") for w in warnings), \
        warnings
    sendsay = project({DEFAULT_ISSUE: issue_text(body="Текст.\n\nПривет, *|NAME|*!\n")},
                      esp={"backend": "sendsay", "sendsay": {"login": "x_1"}})
    warnings = [str(p) for p in check_project(load_project(sendsay)).warnings]
    assert any("*|…|* tags are not filled by Sendsay" in w for w in warnings), warnings


def test_send_refuses_an_issue_with_a_bad_tag_before_anything_goes_out(project) -> None:  # type: ignore[no-untyped-def]
    root = body_project(project, "outbox", body="Привет, [% FOREACH x %]!\n")
    result = invoke(root, "send", "hello", "--yes")
    assert result.exit_code == 1
    assert "'FOREACH' is not supported" in result.output
    assert not (root / "outbox").exists()
    ledger = Path(root) / ".publisher" / "ledger.jsonl"
    assert not ledger.exists() or not [json.loads(line) for line in ledger.read_text().split()]
