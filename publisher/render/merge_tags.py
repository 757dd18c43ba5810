"""Per-recipient values in a finished email, in the syntax of the ESP that fills them.

Sendsay fills its own template tags (``[% param.url_unsub %]``) per subscriber; the SMTP and
outbox backends fill publisher's ``*|UNSUBSCRIBE_URL|*`` style tags the same way, by string
substitution on the already-inlined HTML, so personalisation never reruns the inliner.

Both must reach the ESP byte for byte, but lxml (under premailer) URL-escapes ``href``
values (``[% x %]`` -> ``[%%20x%20%]``): :func:`shield` swaps every tag for an inert token
before inlining and :func:`unshield` puts it back afterwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from publisher.models import Recipient

TAG_RE = re.compile(r"\[%.*?%\]|\*\|[A-Z0-9_]+\|\*", re.DOTALL)
_TOKEN_RE = re.compile(r"pubtag(\d{4})x")


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


def personalise(text: str, recipient: Recipient, *, unsubscribe_url: str, series: str,
                html: bool) -> str:
    """Fill publisher's generic tags for one recipient (SMTP and outbox backends)."""
    if "*|" not in text:
        return text
    url = unsubscribe_url.replace("{email}", quote(recipient.email, safe="@")) \
        .replace("{series}", quote(series))
    name = recipient.name
    if html:
        from markupsafe import escape
        name = str(escape(name))
        url = str(escape(url))
    return (text.replace("*|UNSUBSCRIBE_URL|*", url)
            .replace("*|EMAIL|*", recipient.email)
            .replace("*|NAME|*", name))
