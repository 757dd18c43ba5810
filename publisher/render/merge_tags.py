"""Per-recipient values in a finished email, in the syntax of the ESP that fills them.

Sendsay fills its own template tags (``[% param.url_unsub %]``) per subscriber, so for Sendsay
they stay byte for byte. Everywhere else publisher evaluates them itself
(:mod:`publisher.render.esp_template`): the SMTP and outbox backends per recipient, on the
already-inlined HTML (so personalisation never reruns the inliner) with
:func:`personalise`; the archive as an anonymous reader with :func:`for_web`. publisher's own
``*|UNSUBSCRIBE_URL|*`` tags are variables of the same language.

Both must reach the ESP byte for byte, but lxml (under premailer) URL-escapes ``href``
values (``[% x %]`` -> ``[%%20x%20%]``): :func:`shield` swaps every tag for an inert token
before inlining and :func:`unshield` puts it back afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import quote

from publisher.models import Issue, Recipient
from publisher.render.esp_template import (Lookup, Template, parse_leniently, render,
                                           values_lookup)

if TYPE_CHECKING:
    from publisher.config import Project

# a tag never holds another "[%", so an unclosed one stops at the next: linear, never a
# scan to the end of the text for each of many unclosed tags
TAG_RE = re.compile(r"\[%[^%\[]*(?:(?:%(?!\])|\[(?!%))[^%\[]*)*%\]|\*\|[A-Z0-9_]+\|\*")
_TOKEN_RE = re.compile(r"pubtag(\d{4,})x")
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


@dataclass(frozen=True)
class Dialect:
    """What the templates emit for values only the ESP knows at delivery time."""

    name: str
    unsubscribe_url: str
    web_version_url: str | None  # None: the web version is our archive page
    subscriber_email: str
    subscriber_name: str


SENDSAY = Dialect(
    name="sendsay",
    unsubscribe_url="[% param.url_unsub %]",
    web_version_url="[% param.issue_archive_url %]",
    subscriber_email="[% anketa.member.email %]",
    subscriber_name="[% anketa.base.firstName %]",
)

GENERIC = Dialect(
    name="generic",
    unsubscribe_url="*|UNSUBSCRIBE_URL|*",
    web_version_url=None,
    subscriber_email="*|EMAIL|*",
    subscriber_name="*|NAME|*",
)


def dialect_for(backend: str) -> Dialect:
    """The tags a backend's transport understands."""
    return SENDSAY if backend == "sendsay" else GENERIC


_STAND_IN = 0xE100  # private use area: one character per tag, plus padding characters
_PAD = "\ue0ff"
_STAND_IN_RE = re.compile("\ue0ff*([\ue100-\uf8ff])")
_CONTROL = re.compile(r"\[%-?\s*(?:#|(?:IF|ELSIF|ELSE|UNLESS|END)\b)")


def tag_stand_ins(text: str) -> tuple[str, Callable[[str], str]]:
    """``text`` with each tag replaced by a run of characters about as wide as what the tag
    becomes (an IF/ELSE/END: one; a URL: its own length; other values: at most 12), for
    wrapping the plain-text part before tags are evaluated; returns the text and the
    function that puts the tags back."""
    tags: list[str] = []

    def hide(match: re.Match[str]) -> str:
        tag = match.group(0)
        if len(tags) >= 0xF8FF - _STAND_IN:
            return tag.replace(" ", "\x00")  # (thousands of tags) kept whole, full width
        tags.append(tag)
        # a URL is as long as its tag or longer; a name or an address about 12
        width = 1 if _CONTROL.match(tag) else len(tag) if "url" in tag.lower() else \
            min(len(tag), 12)
        return _PAD * (width - 1) + chr(_STAND_IN + len(tags) - 1)

    hidden = TAG_RE.sub(hide, text)
    if hidden == text:
        return text, lambda wrapped: wrapped
    return hidden, lambda wrapped: _STAND_IN_RE.sub(
        lambda m: tags[ord(m.group(1)) - _STAND_IN], wrapped).replace("\x00", " ")


def shield(html: str) -> tuple[str, list[str]]:
    """Replace ESP tags with inert tokens; return the new text and the tags in order."""
    tags: list[str] = []

    def swap(match: re.Match[str]) -> str:
        tags.append(match.group(0))
        return f"pubtag{len(tags) - 1:04d}x"

    return TAG_RE.sub(swap, html), tags


def unshield(html: str, tags: list[str]) -> str:
    """Undo :func:`shield`."""
    if not tags:
        return html
    return _TOKEN_RE.sub(lambda m: tags[int(m.group(1))], html)


def evaluate(text: str, lookup: Lookup, *, html: bool) -> str:
    """``text`` with every tag evaluated (see :mod:`publisher.render.esp_template`).

    A tag outside the supported subset (``check`` reports it at its line) is dropped rather
    than shown raw; the parse is cached, so per-recipient calls only evaluate."""
    if "[%" not in text and "*|" not in text:
        return text
    template = _compiled(text, html)
    if not template.has_tags:
        return text
    out = render(template, lookup, html=html)
    if template.has_blocks and not html:
        out = _BLANK_LINES.sub("\n\n", out)  # a tag alone on its line leaves a blank one
    return out


@lru_cache(maxsize=16)
def _compiled(text: str, html: bool) -> Template:
    return parse_leniently(text, html=html)


def unsubscribe_link(template: str, email: str, series: str) -> str:
    """The footer's unsubscribe URL template filled for one address (or none, on the web)."""
    return template.replace("{email}", quote(email, safe="@")).replace("{series}",
                                                                       quote(series))


def recipient_lookup(recipient: Recipient, *, unsubscribe_url: str, series: str,
                     issue_values: Mapping[str, str] | None = None) -> Lookup:
    """What publisher knows about one recipient (and the issue), by Sendsay variable name."""
    values = dict(issue_values or {})
    values.update({
        "anketa.base.firstName": recipient.name,
        "anketa.member.email": recipient.email,
        "param.url_unsub": unsubscribe_link(unsubscribe_url, recipient.email, series),
    })
    return values_lookup(values, dict(recipient.fields))


def personalise(text: str, recipient: Recipient, *, unsubscribe_url: str, series: str,
                html: bool, issue_values: Mapping[str, str] | None = None) -> str:
    """Evaluate the tags in ``text`` for one recipient (SMTP and outbox backends): the
    publisher's ``*|NAME|*`` tags and the Sendsay tags an author wrote in the Markdown."""
    if "[%" not in text and "*|" not in text:
        return text
    lookup = recipient_lookup(recipient, unsubscribe_url=unsubscribe_url, series=series,
                              issue_values=issue_values)
    return evaluate(text, lookup, html=html)


def anonymous_lookup(project: Project, issue: Issue) -> Lookup:
    """An anonymous web reader: no name or address, so ``IF`` takes the ``ELSE`` branch; the
    issue's own values are known (README, "Personalisation tags" lists the fallbacks)."""
    values = dict(issue_values(project, issue))
    values["param.url_unsub"] = unsubscribe_link(project.settings.footer.unsubscribe_url, "",
                                                 issue.series)
    return values_lookup(values)


def issue_values(project: Project, issue: Issue) -> dict[str, str]:
    """Tag values that are the same for every recipient of ``issue``."""
    from publisher import urls
    from publisher.i18n import format_date

    return {
        "param.issue_archive_url": urls.issue_url(project, issue),
        "param.issue.date": format_date(issue.date, project.settings.site.language),
        "param.issue.name": issue.title,
    }


def for_web(html: str, project: Project, issue: Issue) -> str:
    """Body HTML as an anonymous reader of the archive (pages, feeds, search) sees it."""
    return evaluate(html, anonymous_lookup(project, issue), html=True)
