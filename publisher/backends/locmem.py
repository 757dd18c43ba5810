"""Keep messages in memory (tests): ``publisher.backends.locmem.outbox`` collects every copy."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any, ClassVar

from publisher.backends.base import BaseBackend, Journal
from publisher.backends.copies import CopyMaker
from publisher.config import Project
from publisher.models import Audience, Email, Recipient, SendReceipt

_refs = itertools.count(1)


@dataclass(frozen=True)
class Sent:
    """One delivered copy: for whom, and its bytes as the transport would have seen them."""

    email: Email
    recipient: Recipient
    data: bytes
    audience: Audience


#: every copy sent by any LocmemBackend in this process (tests clear it)
outbox: list[Sent] = []


class LocmemBackend(BaseBackend):
    """Delivers into :data:`outbox`; a list audience becomes one copy to a placeholder address."""

    name = "locmem"
    per_recipient = True
    supports_lists = True
    defaults: ClassVar[dict[str, Any]] = {"unsubscribe_url": "", "fail": ()}

    @classmethod
    def options_from(cls, project: Project) -> dict[str, Any]:
        return {"unsubscribe_url": project.settings.footer.unsubscribe_url}

    def send(self, email: Email, audience: Audience, *, at: dt.datetime | None = None,
             journal: Journal | None = None) -> SendReceipt:
        maker = CopyMaker(email, unsubscribe_url=self.options["unsubscribe_url"])
        recipients = audience.recipients or (Recipient(f"{audience.list_id}@list.invalid"),)
        failed = []
        for recipient in recipients:
            if journal:
                journal.start(recipient)
            if recipient.email in self.options["fail"]:  # tests: a refused recipient
                failed.append((recipient.email, "550 refused by test"))
                if journal:
                    journal.done(recipient, "550 refused by test")
                continue
            outbox.append(Sent(email, recipient, maker.bytes_for(recipient), audience))
            if journal:
                journal.done(recipient)
        return SendReceipt(backend=self.name, issue_key=email.issue_key,
                           audience=audience.describe(), provider_id=f"locmem-{next(_refs)}",
                           accepted=len(recipients) - len(failed), failed=tuple(failed))
