"""Limits on a Markdown body, checked before Python-Markdown sees it.

Python-Markdown parses nested blocks recursively and matches inline brackets by scanning
ahead from each one, so some inputs cost far more than their size: 300 nested list levels
overflow the stack, 10,000 take minutes, and 50,000 ``[`` in one paragraph are quadratic
(4,000 already take 3 s). No newsletter needs anything close to these limits, so a body
beyond one is refused with its line, in one linear pass, instead of hanging ``check``,
``build`` or ``serve``:

* the body is at most :data:`MAX_CHARS` characters;
* lists nest at most :data:`MAX_LIST_DEPTH` levels and quotes :data:`MAX_QUOTE_DEPTH`;
* one paragraph (lines up to a blank line) holds at most :data:`MAX_BRACKETS` ``[`` and
  :data:`MAX_ANGLES` ``<``, and brackets nest at most :data:`MAX_BRACKET_DEPTH` deep;
* no control characters other than tab and line breaks (they make the feed invalid XML).

Most bodies pass the quick tests (counts, one regular expression) without the per-line scan.
"""

from __future__ import annotations

import re

MAX_CHARS = 1_000_000
MAX_LIST_DEPTH = 20
MAX_QUOTE_DEPTH = 20
MAX_BRACKETS = 1_000  # per paragraph
MAX_ANGLES = 2_000  # per paragraph
MAX_BRACKET_DEPTH = 32

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# a line that starts with 20 characters of indentation or quote and list markers: the only
# lines that can nest deep (a quote or an item may open on its parent's line: '> - 1. x');
# one character class, so ordinary bodies pass this test fast
_DEEP_START = re.compile(rf"^[ \t>*+\-\d.)]{{{min(MAX_LIST_DEPTH, MAX_QUOTE_DEPTH)},}}",
                         re.MULTILINE)
_MARKER = r"[ \t]*(?:>|(?:[-*+]|\d{1,9}[.)])(?=[ \t]|$))"
_QUOTE_OR_ITEM = re.compile(rf"{_MARKER}")
_BRACKET = re.compile(r"\\.|[\[\]]", re.DOTALL)


def body_problems(text: str, first_line: int = 1) -> list[tuple[int, str]]:
    """(line, message) for each limit ``text`` exceeds; [] for every ordinary body.

    ``first_line`` is the file line of the body's first line (after the front matter).
    """
    if len(text) > MAX_CHARS:
        return [(first_line, f"the body is {len(text):,} characters long; at most "
                             f"{MAX_CHARS:,} (split it into several issues)")]
    problems: list[tuple[int, str]] = []
    control = _CONTROL.search(text)
    if control:
        problems.append((_line_at(text, control.start(), first_line),
                         f"control character U+{ord(control.group()):04X} in the text "
                         "(remove it: it makes the archive's feed invalid)"))
    if _DEEP_START.search(text):
        problems += _nesting(text, first_line)
    if text.count("[") > MAX_BRACKET_DEPTH or text.count("<") > MAX_ANGLES:
        problems += _paragraphs(text, first_line)
    return problems


def _line_at(text: str, offset: int, first_line: int) -> int:
    return first_line + text.count("\n", 0, offset)


def _nesting(text: str, first_line: int) -> list[tuple[int, str]]:
    """The first line where lists or quotes nest too deep (one problem each at most).

    Open list items are a stack of indents; on each line, the quote and list markers that
    open there (``> - 1. x`` opens three levels) count on top of it.
    """
    problems: list[tuple[int, str]] = []
    lists: list[int] = []  # indents of the open list items
    list_reported = quote_reported = False
    for number, line in enumerate(text.split("\n"), start=first_line):
        if not line.strip():
            continue
        rest, quotes, items, indent = line, 0, 0, None
        while True:
            match = _QUOTE_OR_ITEM.match(rest)
            if not match:
                break
            if match.group().lstrip(" \t") == ">":
                quotes += 1
            else:
                if indent is None:
                    indent = len(rest.expandtabs(4)) - len(rest.expandtabs(4).lstrip())
                items += 1
            rest = rest[match.end():]
        if quotes > MAX_QUOTE_DEPTH and not quote_reported:
            problems.append((number, f"quotes ('>') nested {quotes} levels deep; at most "
                                     f"{MAX_QUOTE_DEPTH}"))
            quote_reported = True
        if indent is not None:
            while lists and lists[-1] >= indent:
                lists.pop()
            lists.append(indent)
            if len(lists) + items - 1 > MAX_LIST_DEPTH and not list_reported:
                problems.append((number, f"lists nested more than {MAX_LIST_DEPTH} levels "
                                         "deep; flatten the list"))
                list_reported = True
        elif len(line) - len(line.lstrip(" \t")) == 0:
            lists.clear()
        if list_reported and quote_reported:
            break
    return problems


def _paragraphs(text: str, first_line: int) -> list[tuple[int, str]]:
    """Per paragraph: how many ``[`` and ``<``, and how deep brackets nest."""
    problems: list[tuple[int, str]] = []
    start = 0
    for paragraph in re.split(r"(\n[ \t]*\n)", text):
        line = _line_at(text, start, first_line)
        start += len(paragraph)
        opening = paragraph.count("[")
        if opening > MAX_BRACKETS:
            problems.append((line, f"{opening:,} '[' in one paragraph; at most "
                                   f"{MAX_BRACKETS:,} (escape them as \\[ or split the "
                                   "paragraph)"))
            continue
        angles = paragraph.count("<")
        if angles > MAX_ANGLES:
            problems.append((line, f"{angles:,} '<' in one paragraph; at most "
                                   f"{MAX_ANGLES:,} (write &lt; or split the paragraph)"))
            continue
        if opening <= MAX_BRACKET_DEPTH:
            continue
        depth = 0
        for match in _BRACKET.finditer(paragraph):
            token = match.group()
            if token == "[":
                depth += 1
                if depth > MAX_BRACKET_DEPTH:
                    problems.append((_line_at(paragraph, match.start(), line),
                                     f"brackets '[' nested more than {MAX_BRACKET_DEPTH} "
                                     "deep"))
                    break
            elif token == "]":
                depth = max(0, depth - 1)
    return problems
