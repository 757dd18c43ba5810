"""Personalised copies of one email, one per recipient, without rebuilding MIME each time.

Building an :class:`~email.message.EmailMessage` costs about 2 ms, which caps an SMTP run at
~500 messages a second. So the message is built once by :func:`publisher.render.message.to_mime`
with marker values in the per-recipient places (To, Message-ID, List-Unsubscribe, the two
bodies), serialised once, and cut at the markers. A copy is then the static chunks joined with
the recipient's values: the bodies are personalised by
:func:`~publisher.render.merge_tags.personalise` on the already-inlined HTML (never
re-inlined) and base64-encoded, which is the one encoding that needs no knowledge of the
content.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from email.utils import formataddr

from publisher.render.merge_tags import personalise
from publisher.render.message import to_mime
from publisher.models import Email, Recipient

_TO = "to-marker-5f1c@publisher.invalid"
_MID = "<mid-marker-5f1c@publisher.invalid>"
_LU = "https://publisher.invalid/lu-marker-5f1c"
_TEXT = "text-marker-5f1c"
_HTML = "html-marker-5f1c"
_CTE_7BIT = b"Content-Transfer-Encoding: 7bit\r\n"
_CTE_B64 = b"Content-Transfer-Encoding: base64\r\n"


class CopyMaker:
    """Makes the bytes of ``email`` for one recipient at a time (CRLF line ends, SMTP-ready).

    ``unsubscribe_url`` is the footer's template (``{email}``, ``{series}``); the
    List-Unsubscribe headers are set when the email has a ``list_unsubscribe`` value.
    """

    def __init__(self, email: Email, *, unsubscribe_url: str, date: dt.datetime | None = None,
                 list_headers: bool = True) -> None:
        self.email = email
        self.unsubscribe_url = unsubscribe_url
        self.list_headers = (list_headers and bool(email.list_unsubscribe)
                             and (bool(unsubscribe_url) or '*|' not in email.list_unsubscribe))
        skeleton = to_mime(email, to=Recipient(_TO), date=date, html=_HTML, text=_TEXT,
                           list_unsubscribe=_LU if self.list_headers else "",
                           message_id=_MID).as_bytes()
        self._chunks, self._slots = _cut(skeleton)
        self._domain = email.from_email.rpartition("@")[2]

    def personalise(self, recipient: Recipient) -> tuple[str, str, str]:
        """(html, text, List-Unsubscribe URL) for ``recipient``."""
        fill = {"unsubscribe_url": self.unsubscribe_url, "series": self.email.series,
                "issue_values": dict(self.email.tag_values)}
        html = personalise(self.email.html, recipient, html=True, **fill)
        text = personalise(self.email.text, recipient, html=False, **fill)
        url = personalise(self.email.list_unsubscribe, recipient, html=False, **fill) \
            if self.list_headers else ""
        return html, text, url

    def message_id(self, recipient: Recipient) -> str:
        """A Message-ID per copy: stable for (issue, address), so a resend is recognisable."""
        tag = hashlib.sha256(f"{self.email.message_id}\0{recipient.email.lower()}".encode())
        return f"<{self.email.series}.{tag.hexdigest()[:20]}@{self._domain}>"

    def bytes_for(self, recipient: Recipient) -> bytes:
        html, text, url = self.personalise(recipient)
        values = {
            "to": formataddr((recipient.name, recipient.email), charset="utf-8").encode("ascii"),
            "mid": self.message_id(recipient).encode("ascii"),
            "lu": url.encode("utf-8"),
            "text": _b64(text),
            "html": _b64(html),
        }
        out = [self._chunks[0]]
        for slot, chunk in zip(self._slots, self._chunks[1:]):
            out.append(values[slot])
            out.append(chunk)
        return b"".join(out)


def _b64(text: str) -> bytes:
    return base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n").rstrip(b"\r\n")


def _cut(skeleton: bytes) -> tuple[list[bytes], list[str]]:
    """Split the serialised skeleton at its markers; mark the body parts as base64."""
    markers = {"to": _TO.encode(), "mid": _MID.encode(), "lu": _LU.encode(),
               "text": _TEXT.encode(), "html": _HTML.encode()}
    found = sorted((skeleton.find(m), slot, m) for slot, m in markers.items()
                   if skeleton.find(m) >= 0)
    for slot in ("to", "mid", "text", "html"):
        if not any(s == slot for _, s, _ in found):
            raise RuntimeError(f"MIME skeleton lost its {slot} marker")  # a bug, not input
    chunks: list[bytes] = []
    slots: list[str] = []
    position = 0
    for index, slot, marker in found:
        chunk = skeleton[position:index]
        if slot in ("text", "html"):
            # the marker body was short ASCII, so the part says 7bit; the real body is base64
            cut = chunk.rfind(_CTE_7BIT)
            if cut < 0:
                raise RuntimeError("MIME skeleton part without a 7bit marker body")
            chunk = chunk[:cut] + _CTE_B64 + chunk[cut + len(_CTE_7BIT):]
        chunks.append(chunk)
        slots.append(slot)
        position = index + len(marker)
    chunks.append(skeleton[position:])
    return chunks, slots
