"""Positions in an issue's Markdown source as ``path:line`` lines."""

from __future__ import annotations

import bisect
from collections.abc import Callable


def line_finder(text: str, first_line: int) -> Callable[[int], int]:
    """A function from an offset in ``text`` to its line in the file (text starts at
    ``first_line``); one pass to index, a binary search per call."""
    starts = [0]
    position = text.find("\n")
    while position >= 0:
        starts.append(position + 1)
        position = text.find("\n", position + 1)

    def line_of(offset: int) -> int:
        return first_line + bisect.bisect_right(starts, offset) - 1

    return line_of


def first_line_with(text: str, needle: str, first_line: int) -> int | None:
    """The file line where ``needle`` first occurs in ``text``, if it does."""
    offset = text.find(needle) if needle else -1
    if offset < 0:
        return None
    return first_line + text.count("\n", 0, offset)
