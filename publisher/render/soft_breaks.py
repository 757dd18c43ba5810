"""Soft break opportunities (``<wbr>``) in long words, URLs and hashtags of the email body.

The email's CSS lets long words wrap (``overflow-wrap``/``word-break``), but some clients
ignore it, and inside a table a word still sets the column's minimum width. A ``<wbr>`` is
a break opportunity every engine honours that shows nothing and is not copied, so a 90-
character URL or ``#ОченьДлинныйХэштег`` can wrap on a 320 px phone.

Only text between tags is touched: never a tag's attributes (``href`` stays exact), never
an entity, never an ESP tag (``[% … %]``, ``*|NAME|*``), never inside ``<style>`` or
``<script>``. Runs shorter than :data:`LONG` characters are left alone. Used for the email
only: the archive page and the search index get the body as written.
"""

from __future__ import annotations

import re

LONG = 20  # a run of this many non-space characters gets break opportunities
CHUNK = 12  # at most this many characters between two opportunities
WBR = "<wbr>"
_AFTER = frozenset("/.?&=#_-,;:@+~|")  # URL and hashtag punctuation: break after it

_RUN = re.compile(r"[^\s<>\[\]]" + f"{{{LONG},}}")  # a candidate: maybe in a tag or an ESP tag
_RAW = re.compile(r"<(style|script)\b.*?</\1\s*>|<!--.*?-->", re.DOTALL | re.IGNORECASE)
_PIECE = re.compile(r"&#?\w+;|.", re.DOTALL)


def soft_breaks(html: str) -> str:
    """``html`` with ``<wbr>`` inside every run of :data:`LONG` or more visible characters.

    Long runs are rare, so the text is searched for them directly (no pass over every tag)
    and each one is kept only if it lies outside a tag, an ESP tag and ``<style>``."""
    skip = [(m.start(), m.end()) for m in _RAW.finditer(html)] if "<s" in html or "<!" in html \
        else []
    esp = "[%" in html
    out: list[str] = []
    last = 0
    for match in _RUN.finditer(html):
        start, end = match.span()
        if html.rfind("<", 0, start) > html.rfind(">", 0, start):
            continue  # inside a tag: an attribute value
        if esp and html.rfind("[%", 0, start + 1) > html.rfind("%]", 0, start):
            continue  # inside [% … %]
        if "*|" in match.group(0) or any(a <= start < b for a, b in skip):
            continue
        out.append(html[last:start])
        out.append(_break_run(match.group(0)))
        last = end
    if not out:
        return html
    out.append(html[last:])
    return "".join(out)


def _break_run(run: str) -> str:
    out: list[str] = []
    since = 0  # characters since the last opportunity
    pieces = _PIECE.findall(run)
    last = len(pieces) - 1
    for index, piece in enumerate(pieces):
        out.append(piece)
        since += 1
        if index == last:
            continue
        char = "&" if piece == "&amp;" else piece  # never after &nbsp; and its kin
        after_punctuation = char in _AFTER and pieces[index + 1] not in _AFTER  # "://" whole
        if (after_punctuation and since > 1) or since >= CHUNK:
            out.append(WBR)
            since = 0
    return "".join(out)
