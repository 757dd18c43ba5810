"""CSS inlining (premailer behind ``publisher.render.inline``): quiet, leak-free, tag-safe."""

from __future__ import annotations

import logging

import pytest

from publisher.render.inline import inline_css

PAGE = """<!DOCTYPE html><html><head>
<style>p { color: red; mso-line-height-rule: exactly; } a { colour: blue; }</style>
<style data-premailer="ignore">@media (max-width: 600px) { p { color: blue !important; } }</style>
</head><body><p>Текст <a href="[% param.url_unsub %]">отписаться</a>
<a href="https://x.example/?a=1&amp;b=*|EMAIL|*">x</a></p></body></html>"""


def test_rules_inlined_media_block_kept_as_written() -> None:
    html = inline_css(PAGE)
    assert '<p style="color:red; mso-line-height-rule:exactly">' in html
    assert "<style>@media (max-width: 600px) { p { color: blue !important; } }</style>" in html
    assert "data-premailer" not in html
    assert html.count("<style") == 1


def test_esp_tags_pass_byte_for_byte() -> None:
    html = inline_css(PAGE)
    assert 'href="[% param.url_unsub %]"' in html
    assert 'href="https://x.example/?a=1&amp;b=*|EMAIL|*"' in html


def test_css_complaints_are_never_printed(capfd: pytest.CaptureFixture[str]) -> None:
    inline_css(PAGE)  # 'colour' is not a property; mso-* is unknown to cssutils
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_repeated_inlining_does_not_grow_cssutils_handlers() -> None:
    inline_css(PAGE)
    logger = logging.getLogger("CSSUTILS")
    before = len(logger.handlers)
    for _ in range(5):
        inline_css(PAGE)
    assert len(logger.handlers) == before


def test_images_get_no_invalid_height_attribute() -> None:
    page = ('<html><head><style>img { border: 0; max-width: 100%; height: auto; } '
            'table { width: 100%; }</style></head><body><table><tr><td>'
            '<img src="https://x.example/a.png" alt="a"></td></tr></table></body></html>')
    html = inline_css(page)
    assert 'height="auto"' not in html
    assert 'style="border:0; max-width:100%; height:auto"' in html
    assert 'width="100%"' in html  # width attributes still help Outlook
