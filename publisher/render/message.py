"""An :class:`Email` as a MIME message: multipart/alternative, text first, then HTML.

A Cyrillic subject or display name is encoded per RFC 2047 and folded per RFC 5322; bodies
are UTF-8 (quoted-printable or base64, whichever the policy finds shorter), so every mail
program shows them correctly.

Non-ASCII headers are encoded with :class:`email.header.Header` and stored pre-folded: the
modern policy's own folder (seen on CPython 3.11) puts the space between two words *between*
two encoded-words, where RFC 2047 says a reader must drop it, so "СТАТЬ ЖЕРТВОЙ" came back
as "СТАТЬЖЕРТВОЙ" (and a name as "Солома тин").
"""

from __future__ import annotations

import base64
import datetime as dt
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, parseaddr
from itertools import groupby

from publisher.models import Email, Recipient


def _set(message: EmailMessage, name: str, value: str) -> None:
    """Set a header; non-ASCII text goes in as whole RFC 2047 words, folded at 78 columns."""
    if value.isascii():
        message[name] = value
    else:
        message.set_raw(name, _encode(name, value))


def _encode(name: str, value: str) -> str:
    return Header(value, "utf-8", maxlinelen=76, header_name=name).encode(linesep="\r\n")


def _set_address(message: EmailMessage, name: str, display_name: str, email: str) -> None:
    """Set an address header; a non-ASCII display name is written as its own phrase.

    Runs of ASCII words stay plain (quoted when they hold specials such as ``:``), each run
    of non-ASCII words becomes one encoded-word, so no encoded-word boundary falls inside a
    name: readers differ on the space between two encoded-words in a phrase (RFC 2047 drops
    it, Python's parser keeps it). A run too long for one 75-character word is split anyway.
    """
    if display_name.isascii():
        message[name] = formataddr((display_name, email))
        return
    parts: list[str] = []
    for is_ascii, words in groupby(display_name.split(), key=str.isascii):
        run = " ".join(words)
        if is_ascii:
            parts.append(formataddr((run, "x@x")).rpartition(" <")[0])
        else:
            parts.extend(_phrase_words(run))
    parts.append(f"<{email}>")
    lines = [f"{name}:"]
    for part in parts:
        if len(lines[-1]) + 1 + len(part) > 78 and lines[-1] != f"{name}:":
            lines.append("")
        lines[-1] += " " + part
    message.set_raw(name, "\r\n".join(lines)[len(name) + 2:])


def _phrase_words(run: str) -> list[str]:
    """Encoded-words for a run of non-ASCII words, split only where a space is.

    The space stays inside the earlier encoded-word, so an RFC 2047 reader joins them right;
    a single word too long for one encoded-word is split by :class:`Header`.
    """
    chunks = [""]
    for word in run.split(" "):
        joined = f"{chunks[-1]} {word}" if chunks[-1] else word
        if chunks[-1] and len(_word(joined)) > 75:
            chunks[-1] += " "
            chunks.append(word)
        else:
            chunks[-1] = joined
    out: list[str] = []
    for chunk in chunks:
        out.extend(Header(chunk, "utf-8", maxlinelen=76).encode(linesep="\n").split("\n "))
    return out


def _word(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "?="


def to_mime(email: Email, *, to: Recipient | None = None, to_header: str = "",
            date: dt.datetime | None = None, html: str | None = None,
            text: str | None = None, list_unsubscribe: str = "",
            message_id: str | None = None) -> EmailMessage:
    """Build the MIME message; ``html``/``text`` override the parts (personalised copies)."""
    message = EmailMessage(policy=SMTP)
    _set(message, "Subject", email.subject)
    _set_address(message, "From", email.from_name, email.from_email)
    if to is not None:
        _set_address(message, "To", to.name, to.email)
    elif to_header:
        _set_address(message, "To", *parseaddr(to_header))
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    message["Date"] = format_datetime(date or dt.datetime.now(dt.UTC))
    message["Message-ID"] = message_id or email.message_id
    if list_unsubscribe:
        message["List-Unsubscribe"] = f"<{list_unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    for name, value in email.headers:
        message[name] = value
    message.set_content(text if text is not None else email.text, subtype="plain",
                        charset="utf-8")
    message.add_alternative(html if html is not None else email.html, subtype="html",
                            charset="utf-8")
    # set_content() clears every Content-* header, so this one goes on last
    message["Content-Language"] = email.language
    return message
