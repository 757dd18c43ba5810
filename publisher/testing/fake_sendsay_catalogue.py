"""The double's back catalogue: old issues an account "sent" years ago, and ``issue.get``.

A test starts the double with the letters it wants in the archive
(``FakeSendsay(catalogue=[OldIssue(501, "pl02", "2009-03-02 10:00:00", "Тема", html)])``);
they are listed by ``issue.list`` and ``stat.uni`` like issues sent through it, and
``issue.get`` returns any archived issue in the shape §6.4 assumes::

    {"obj": {"id": 501, "gid": "pl02", "dt": "2009-03-02 10:00:00", "name": "...",
             "letter": {"subject": "...", "from.name": "...", "from.email": "...",
                        "message": {"html": "...", "text": "..."}}}}

The shape is a guess about the real service, so an old issue can be answered in another
one (``shape``): ``dotted`` (``letter["message.html"]``), ``flat`` (``obj.html``, no
``letter``), ``text`` (plain text only) or ``broken`` (no letter at all) — the importer
must accept the first three and fail the last one alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from publisher.testing.fake_sendsay_checks import ApiError, IssueRecord, format_dt, missing

SHAPES = ("documented", "dotted", "flat", "text", "broken")


@dataclass(frozen=True)
class OldIssue:
    """One issue of the back catalogue, as a test describes it."""

    id: int
    gid: str
    dt: str  # "YYYY-MM-DD HH:MM:SS", the account's time zone
    subject: str
    html: str = ""
    text: str = ""
    shape: str = "documented"
    members: int = 100

    def record(self) -> IssueRecord:
        if self.shape not in SHAPES:
            raise ValueError(f"shape must be one of {SHAPES}, got {self.shape!r}")
        message = {k: v for k, v in (("html", self.html), ("text", self.text)) if v}
        return IssueRecord(
            id=self.id, track_id="", sendwhen="now", group=self.gid, members=self.members,
            date=dt.datetime.strptime(self.dt, "%Y-%m-%d %H:%M:%S"), name=None, labels=(),
            letter={"subject": self.subject, "from.name": "A.S.Consult",
                    "from.email": "news@asconsult.ru", "message": message,
                    "_shape": self.shape})


def issue_get(issues: list[IssueRecord], request: dict[str, Any]) -> dict[str, Any]:
    """``issue.get``: one archived issue with its letter (§6.4)."""
    if request.get("id") in (None, ""):
        raise missing("id")
    wanted = str(request["id"])
    record = next((i for i in issues if str(i.id) == wanted), None)
    if record is None:
        raise ApiError("error/issue/not_found", wanted)
    letter = {k: v for k, v in record.letter.items() if k != "_shape"}
    shape = record.letter.get("_shape", "documented")
    message = dict(letter.get("message") or {})
    obj: dict[str, Any] = {"id": record.id, "gid": record.group, "dt": format_dt(record.date),
                           "name": record.name or "", "members": record.members}
    if shape == "dotted":
        letter.pop("message", None)
        letter.update({f"message.{k}": v for k, v in message.items()})
        obj["letter"] = letter
    elif shape == "flat":
        obj.update(subject=letter.get("subject", ""), html=message.get("html", ""))
    elif shape == "text":
        letter["message"] = {"text": message.get("text") or message.get("html", "")}
        obj["letter"] = letter
    elif shape == "documented":
        obj["letter"] = {**letter, "message": message}
    # "broken": no letter at all
    return {"obj": obj}
