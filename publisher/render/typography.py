"""Russian typography for text nodes: «ёлочки» with „лапками“ inside, dashes, non-breaking
spaces, ellipses.

Email columns are narrow, so a line must never start with a dash, leave a one-letter
preposition dangling at its end, split ``80 %``, ``24 500``, ``А. С. Пушкин`` or ``т. е.``, or
break a range such as ``8–10`` after its dash. Rules are applied to text only (never to
attributes, code, URLs or ESP tags such as ``[% anketa.base.firstName %]``), in document order
so a quote that opens before a link and closes after it is still paired correctly.

Every rule is one regular expression without nested unbounded repetition, or the single pass
of :meth:`RussianTypographer._quotes`, so the time is linear in the text: a 200 KB paragraph
of quotes and dashes takes milliseconds (``bench/bench_typography.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

NBSP = "\u00a0"
WORD_JOINER = "\u2060"  # no line break here (after an en dash, which allows one)
_PROTECTED = re.compile(
    r"\[%[^%\[]*(?:(?:%(?!\])|\[(?!%))[^%\[]*)*%\]"  # Sendsay tags
    r"|\*\|[A-Z0-9_]+\|\*"  # publisher's tags
    r"|\x02wzxhzdk:\d+\x03"  # Python-Markdown's placeholders for inline HTML
    r"|(?:https?://|ftp://|www\.)[^\s<>«»\"]+"  # URLs
    r"|(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")  # addresses (from a word's start: linear)
_HIDDEN = 0xE000  # start of Unicode's private use area: one character per protected run
_HIDDEN_RE = re.compile("[\ue000-\uf8ff]")
_LETTER = "A-Za-zА-Яа-яЁё"

# 1-2 letter words (prepositions, conjunctions, particles) and initials glue to the next word
_SHORT_WORD = re.compile(rf"(?<![\w\-])([{_LETTER}]{{1,2}}|[{_LETTER}]\.)[ \t]+(?=\S)")
# a surname before initials: Пушкин А. С.
_BEFORE_INITIALS = re.compile(r"(?<=[а-яё])[ \t]+(?=[А-ЯЁ]\.[ \t\u00a0]?[А-ЯЁ]\.)")
_JOINED_INITIALS = re.compile(r"(?<![\w.])([А-ЯЁ]\.)(?=[А-ЯЁ]\.)")
# т. е., т. д., т. п., т. к., т. н. (written with or without the space)
_ABBREVIATION = re.compile(r"(?<![\w.])([тТ])\.[ \t]?([едпкн])\.(?!\w)")
# dashes between words: the first space of a run (the lookbehind keeps this linear)
_DASH = re.compile(r"(?<![ \t\u00a0])[ \t\u00a0]+(?:-{1,3}|–|—)(?=[ \t\n]|$)")
_LINE_START_DASH = re.compile(r"^(?:-{1,3}|–|—)[ \t]+")
_NUMBER = r"\d+(?:[.,:]\d+)*"
# 8-10, 15-16.01.2027, 10:00-12:00, 1990 - 2000; not phone numbers or ISO dates (chains)
_RANGE = re.compile(rf"(?<![\w\-–.,:/])({_NUMBER})(?: ?[-–] ?|-)({_NUMBER})(?![\w\-–]|[.,:]\d)")
_DAYS = ("пн|вт|ср|чт|пт|сб|вс|понедельник|вторник|среда|четверг|пятница|суббота|воскресенье"
         "|янв|фев|мар|апр|май|мая|июн|июл|авг|сен|сент|окт|ноя|дек|январь|февраль|март"
         "|апрель|июнь|июль|август|сентябрь|октябрь|ноябрь|декабрь")
_DAY_RANGE = re.compile(rf"(?<![\w\-])({_DAYS})\.?-({_DAYS})(?![\w\-])", re.IGNORECASE)
# thousands: 24 500, 1 000 000 (any space in the groups becomes non-breaking)
_DIGIT_GROUPS = re.compile(r"(?<![\d.,])\d{1,3}(?:[ \u202f]\d{3})+(?!\d)")
_UNITS = ("%|‰|₽|\\$|€|£|¥|°C|°|руб\\.?|р\\.|коп\\.?|тыс\\.?|млн|млрд|трлн|км/ч|км|кг|мг|гр?"
          "|м²|м³|м|см|мм|л|мл|т|ц|га|шт\\.?|ч|мин|сек|с|мс|дн\\.?|дней|дня|нед\\.?|мес\\.?"
          "|лет|год|года|гг?\\.|вв?\\.|чел\\.?|человек|раз|кВт|Вт|ГБ|МБ|КБ|ТБ|Гб|Мб|px|USD|EUR"
          "|RUB|стр\\.")
_NUMBER_UNIT = re.compile(rf"(?<=\d)[ \t]+(?=(?:{_UNITS})(?![\w]))")
_SIGN_NUMBER = re.compile(r"(?<!\w)([№§$€£₽])[ \t]+(?=\d)")
_ANY_QUOTE = re.compile("[«»\"“”„]")
_DIGIT = re.compile(r"\d")
_DOUBLE_ANGLE = re.compile(r"<<([^<>]*)>>")  # a pair only: ">>" alone is an arrow
_OPEN_CONTEXT = set(" \t\n\u00a0([{«„—–-/") | {""}


class RussianTypographer:
    """Stateful across text pieces of one document (quote nesting and previous character)."""

    def __init__(self) -> None:
        self.depth = 0
        self.previous = ""

    def new_block(self) -> None:
        """A paragraph, heading, list item or cell starts: quotes left open by the previous
        one do not carry over, and a dash at its start is a dialogue dash."""
        self.depth = 0
        self.previous = ""

    def __call__(self, text: str) -> str:
        if not text:
            return text
        if not any(mark in text for mark in ("[%", "*|", "\x02", "://", "www.", "@")):
            return self._plain(text)  # the usual case: nothing to protect
        # each protected run stands in as one private-use character while the rules run, so
        # it is never changed itself yet still counts as a word ("и [% name %]" glues)
        hidden: list[str] = []

        def hide(match: re.Match[str]) -> str:
            if len(hidden) >= 0xF8FF - _HIDDEN:
                return match.group(0)
            hidden.append(match.group(0))
            return chr(_HIDDEN + len(hidden) - 1)

        typeset = self._plain(_PROTECTED.sub(hide, text))
        if not hidden:
            return typeset
        return _HIDDEN_RE.sub(lambda m: hidden[ord(m.group(0)) - _HIDDEN]
                              if ord(m.group(0)) - _HIDDEN < len(hidden) else m.group(0),
                              typeset)

    def _plain(self, text: str) -> str:
        if not text or text.isspace():  # most text nodes between tags: no rule applies
            if text:
                self.previous = text[-1]
            return text
        # each rule runs only when its trigger is present: most text nodes are short runs
        # between inline tags, and a substring test is far cheaper than a regex
        if "<<" in text:
            text = _DOUBLE_ANGLE.sub("«\\1»", text)
        if "..." in text:
            text = text.replace("...", "…")
        has_digit = _DIGIT.search(text) is not None
        if "-" in text or "–" in text or "—" in text:
            if has_digit:
                text = _RANGE.sub(f"\\1–{WORD_JOINER}\\2", text)
            text = _DAY_RANGE.sub(f"\\1–{WORD_JOINER}\\2", text)
            text = _DASH.sub(NBSP + "—", text)
            if self.previous in ("", "\n"):
                text = _LINE_START_DASH.sub("—" + NBSP, text)
        if has_digit:
            text = _DIGIT_GROUPS.sub(lambda m: m.group(0).replace(" ", NBSP)
                                     .replace("\u202f", NBSP), text)
            text = _NUMBER_UNIT.sub(NBSP, text)
            text = _SIGN_NUMBER.sub("\\1" + NBSP, text)
        if "." in text:
            text = _ABBREVIATION.sub(f"\\1.{NBSP}\\2.", text)
            text = _JOINED_INITIALS.sub("\\1" + NBSP, text)
            text = _BEFORE_INITIALS.sub(NBSP, text)
        text = _SHORT_WORD.sub("\\1" + NBSP, text)
        if _ANY_QUOTE.search(text):  # the character loop is the slow part; most text skips it
            text = "".join(self._quotes(text))
        self.previous = text[-1]
        return text

    def _quotes(self, text: str) -> Iterator[str]:
        """Pair quotes: visit only the quote characters, copy the text between them.

        The outer pair is «ёлочки», any pair inside it „лапки“, whichever characters the
        author typed (``"…"``, ``«…»``, ``“…”``, ``„…“``)."""
        position = 0
        previous = self.previous
        for match in _ANY_QUOTE.finditer(text):
            start = match.start()
            char = match.group()
            if start > position:
                previous = text[start - 1]
            if char == "«" or char == "„":
                opening = True
            elif char == "»":
                opening = False
            else:
                opening = previous in _OPEN_CONTEXT or previous.isspace()
                if char == "“" and not opening and self.depth == 0:
                    opening = True  # English “…” opening after a letter: rare, but balanced
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
