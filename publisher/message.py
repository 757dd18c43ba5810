"""An :class:`Email` as a MIME message: multipart/alternative, text first, then HTML.

Headers go through :mod:`email.policy` so a Cyrillic subject or display name is encoded per
RFC 2047 and long lines are folded per RFC 5322; bodies are UTF-8 (quoted-printable or
base64, whichever the policy finds shorter), so every mail program shows them correctly.
"""

from __future__ import annotations

import datetime as dt
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from publisher.models import Email, Recipient


def _address(name: str, email: str) -> Address:
    username, _, domain = email.rpartition("@")
    return Address(display_name=name, username=username, domain=domain)


def to_mime(email: Email, *, to: Recipient | None = None, to_header: str = "",
            date: dt.datetime | None = None, html: str | None = None,
            text: str | None = None, list_unsubscribe: str = "",
            message_id: str | None = None) -> EmailMessage:
    """Build the MIME message; ``html``/``text`` override the parts (personalised copies)."""
    message = EmailMessage(policy=SMTP)
    message["Subject"] = email.subject
    message["From"] = _address(email.from_name, email.from_email)
    if to is not None:
        message["To"] = _address(to.name, to.email)
    elif to_header:
        message["To"] = to_header
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    message["Date"] = format_datetime(date or dt.datetime.now(dt.timezone.utc))
    message["Message-ID"] = message_id or email.message_id
    message["Content-Language"] = email.language
    if list_unsubscribe:
        message["List-Unsubscribe"] = f"<{list_unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    for name, value in email.headers:
        message[name] = value
    message.set_content(text if text is not None else email.text, subtype="plain",
                        charset="utf-8")
    message.add_alternative(html if html is not None else email.html, subtype="html",
                            charset="utf-8")
    return message
