"""Russian typography for text nodes: «ёлочки», em dashes, non-breaking spaces, ellipses.

Email columns are narrow, so a line must never start with a dash or leave a one-letter
preposition dangling at its end. Rules are applied to text only (never to attributes, code,
or ESP tags such as ``[% anketa.base.firstName %]``), in document order so a quote that
opens before a link and closes after it is still paired correctly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

NBSP = "\u00a0"
_ESP_TAG = re.compile(r"\[%.*?%\]|\*\|[A-Z0-9_]+\|\*", re.DOTALL)
# 1-2 letter words (prepositions, conjunctions, particles) glue to the next word
_SHORT_WORD = re.compile(r"(?<![\w\-])([A-Za-zА-Яа-яЁё]{1,2}|[A-Za-zА-Яа-яЁё]\.)[ \t]+(?=\S)")
_DASH = re.compile(r"[ \t\u00a0]+(?:-{1,3}|–|—)(?=[ \t\n]|$)")
_LINE_START_DASH = re.compile(r"^(?:-{2,3}|–)(?=[ \t])")
_ELLIPSIS = re.compile(r"\.\.\.")
_DOUBLE_ANGLE = re.compile(r"<<(.+?)>>")
_ANY_QUOTE = re.compile("[«»\"“”„]")
_HIDDEN = 0xE000  # start of Unicode's private use area
_HIDDEN_RE = re.compile("[\ue000-\uf8ff]")
_OPEN_CONTEXT = set(" \t\n\u00a0([{«„—–-/") | {""}


class RussianTypographer:
    """Stateful across text pieces of one document (quote nesting and previous character)."""

    def __init__(self) -> None:
        self.depth = 0
        self.previous = ""

    def __call__(self, text: str) -> str:
        if not text:
            return text
        if "[%" not in text and "*|" not in text:  # the usual case: no ESP tags to protect
            return self._plain(text)
        # each ESP tag stands in as one private-use character while the rules run, so it is
        # never changed itself yet still counts as a word ("и [% name %]" glues like "и Анна")
        tags: list[str] = []

        def hide(match: re.Match[str]) -> str:
            tags.append(match.group(0))
            return chr(_HIDDEN + len(tags) - 1)

        typeset = self._plain(_ESP_TAG.sub(hide, text))
        if not tags:
            return typeset
        return _HIDDEN_RE.sub(lambda m: tags[ord(m.group(0)) - _HIDDEN]
                              if ord(m.group(0)) - _HIDDEN < len(tags) else m.group(0), typeset)

    def _plain(self, text: str) -> str:
        if not text or text.isspace():  # most text nodes between tags: no rule applies
            if text:
                self.previous = text[-1]
            return text
        # each rule runs only when its trigger character is present: most text nodes are
        # short runs between inline tags, and a substring test is far cheaper than a regex
        if "<<" in text:
            text = _DOUBLE_ANGLE.sub(r"«\1»", text)
        if "..." in text:
            text = _ELLIPSIS.sub("…", text)
        if "-" in text or "–" in text or "—" in text:
            text = _DASH.sub(NBSP + "—", text)
            if self.previous in ("", "\n"):
                text = _LINE_START_DASH.sub("—", text)
        text = _SHORT_WORD.sub("\\1" + NBSP, text)
        if _ANY_QUOTE.search(text):  # the character loop is the slow part; most text skips it
            text = "".join(self._quotes(text))
        self.previous = text[-1]
        return text

    def _quotes(self, text: str) -> Iterator[str]:
        """Pair quotes: visit only the quote characters, copy the text between them."""
        position = 0
        previous = self.previous
        for match in _ANY_QUOTE.finditer(text):
            start = match.start()
            char = match.group()
            if start > position:
                previous = text[start - 1]
            if char == "«":
                self.depth += 1
            elif char == "»":
                self.depth = max(0, self.depth - 1)
            else:
                opening = previous in _OPEN_CONTEXT or previous.isspace()
                if char == "„" or (char == "“" and opening):
                    opening = True
                if opening:
                    char = "«" if self.depth == 0 else "„"
                    self.depth += 1
                else:
                    self.depth = max(0, self.depth - 1)
                    char = "»" if self.depth == 0 else "“"
            yield text[position:start]
            yield char
            previous = char
            position = start + 1
        yield text[position:]
