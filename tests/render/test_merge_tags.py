"""ESP tags reach the ESP byte for byte: nothing in the pipeline escapes or URL-encodes them."""

from __future__ import annotations

import re
from pathlib import Path

from publisher.config import load_project
from publisher.pipeline import prepare
from tests.fixtures_project import DEFAULT_ISSUE, issue_text

AUTHOR_BODY = """Здравствуйте, [% anketa.base.firstName %]!

Ваша [персональная ссылка](https://news.example.org/p/?n=[% anketa.base.firstName %]&id=[% anketa.member.email %])
и [ссылка на отписку]([% param.url_unsub %]).

| Кому | Что |
|------|-----|
| [% anketa.base.firstName %] | - пункт [% anketa.member.email %]<br>- ещё |
"""


def test_sendsay_unsubscribe_and_web_version_tags_survive(sample_sendsay) -> None:  # type: ignore[no-untyped-def]
    html, text = sample_sendsay.email.html, sample_sendsay.email.text
    assert 'href="[% param.url_unsub %]"' in html
    assert 'href="[% param.issue_archive_url %]"' in html
    assert "%20" not in "".join(re.findall(r"\[%.*?%\]", html))
    assert "Отписаться от рассылки: [% param.url_unsub %]" in text
    assert "Открыть в браузере: [% param.issue_archive_url %]" in text
    assert sample_sendsay.email.list_unsubscribe == "[% param.url_unsub %]"
    assert "*|" not in html and "*|" not in text


def test_generic_backends_get_publisher_tags(sample) -> None:  # type: ignore[no-untyped-def]
    assert 'href="*|UNSUBSCRIBE_URL|*"' in sample.email.html
    assert "[%" not in sample.email.html


def test_author_written_sendsay_tags_survive_in_href_text_and_cells(project) -> None:  # type: ignore[no-untyped-def]
    root: Path = project({DEFAULT_ISSUE: issue_text(body=AUTHOR_BODY)})
    prepared = prepare(load_project(root), root / DEFAULT_ISSUE, backend="sendsay")
    html, text = prepared.email.html, prepared.email.text
    assert ('href="https://news.example.org/p/?n=[% anketa.base.firstName %]'
            '&amp;id=[% anketa.member.email %]"') in html
    assert 'href="[% param.url_unsub %]"' in html
    assert "Здравствуйте, [% anketa.base.firstName %]!" in html
    assert "</span>[% anketa.base.firstName %]</td>" in html
    assert "пункт [% anketa.member.email %]</li>" in html
    assert "pubtag" not in html  # the shield tokens never leak
    # the text part keeps every tag on one line, even where the paragraph is wrapped
    assert text.count("[% anketa.base.firstName %]") == 3
    assert "(https://news.example.org/p/?n=[% anketa.base.firstName %]&id=" \
           "[% anketa.member.email %])" in text
    assert "ссылка на\u00a0отписку ([% param.url_unsub %])" in re.sub(r"[ \n]+", " ", text)


def test_tags_are_not_touched_by_typography(project) -> None:  # type: ignore[no-untyped-def]
    body = 'Привет, [% anketa.base.firstName %] - "друг" и [% anketa.base.lastName %].\n'
    root = project({DEFAULT_ISSUE: issue_text(body=body)})
    html = prepare(load_project(root), root / DEFAULT_ISSUE, backend="sendsay").email.html
    assert "[% anketa.base.firstName %]\u00a0— «друг» и\u00a0[% anketa.base.lastName %]." in html


def test_utm_is_not_added_to_tag_urls(sample_sendsay) -> None:  # type: ignore[no-untyped-def]
    html = sample_sendsay.email.html
    assert "[% param.url_unsub %]?utm" not in html
    assert "utm_source=upravlyay-ka&amp;utm_medium=email" in html


def test_author_written_generic_tags_are_not_emphasis(project) -> None:  # type: ignore[no-untyped-def]
    from publisher.render.merge_tags import personalise
    from publisher.models import Recipient

    body = ("Привет, *|NAME|*! Письмо для *|EMAIL|*, *курсив* остаётся курсивом.\n\n"
            "[Отписаться](*|UNSUBSCRIBE_URL|*)\n")
    root = project({DEFAULT_ISSUE: issue_text(body=body)})
    email = prepare(load_project(root), root / DEFAULT_ISSUE, backend="outbox").email
    assert "Привет, *|NAME|*! Письмо для *|EMAIL|*," in email.html
    assert "<em" in email.html and "курсив</em>" in email.html
    html = personalise(email.html, Recipient("anna@example.org", "Анна"),
                       unsubscribe_url="https://news.example.org/u/?e={email}", series="news",
                       html=True)
    assert "Привет, Анна! Письмо для anna@example.org," in html
    assert 'href="https://news.example.org/u/?e=anna@example.org"' in html
    text = personalise(email.text, Recipient("anna@example.org", "Анна"),
                       unsubscribe_url="https://news.example.org/u/?e={email}", series="news",
                       html=False)
    assert "Привет, Анна!" in text
