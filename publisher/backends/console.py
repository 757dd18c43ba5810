"""Print each message to a stream (development): headers and the plain-text part."""

from __future__ import annotations

import datetime as dt
import sys
from email import message_from_bytes, policy
from typing import Any, ClassVar

from publisher.backends.base import BaseBackend, Journal
from publisher.backends.copies import CopyMaker
from publisher.config import Project
from publisher.models import Audience, Email, Recipient, SendReceipt

_SHOWN = ("From", "To", "Reply-To", "Subject", "Date", "Message-ID", "List-Unsubscribe")


class ConsoleBackend(BaseBackend):
    """Writes a readable rendering of every copy to ``stream`` (default: stdout)."""

    name = "console"
    per_recipient = True
    supports_lists = True
    defaults: ClassVar[dict[str, Any]] = {"unsubscribe_url": "", "stream": None}

    @classmethod
    def options_from(cls, project: Project) -> dict[str, Any]:
        return {"unsubscribe_url": project.settings.footer.unsubscribe_url}

    def send(self, email: Email, audience: Audience, *, at: dt.datetime | None = None,
             journal: Journal | None = None) -> SendReceipt:
        stream = self.options["stream"] or sys.stdout
        maker = CopyMaker(email, unsubscribe_url=self.options["unsubscribe_url"])
        recipients = audience.recipients or (Recipient(f"{audience.list_id}@list.invalid"),)
        for recipient in recipients:
            if journal:
                journal.start(recipient)
            message = message_from_bytes(maker.bytes_for(recipient), policy=policy.default)
            for header in _SHOWN:
                if message[header]:
                    stream.write(f"{header}: {message[header]}\n")
            stream.write("\n" + message.get_body(("plain",)).get_content() + "\n" + "-" * 72 + "\n")
            if journal:
                journal.done(recipient)
        stream.flush()
        return SendReceipt(backend=self.name, issue_key=email.issue_key,
                           audience=audience.describe(), provider_id="console",
                           accepted=len(recipients))
