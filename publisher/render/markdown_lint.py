"""Markdown mistakes that Python-Markdown would swallow silently, reported as ``path:line``.

Markdown has no syntax errors, but some slips lose content without a trace: a pipe table
row with more cells than its header has the extra cells dropped (usually a ``|`` typed
inside a cell), and a row with fewer cells renders empty cells. Both are reported with the
row's line so the author fixes them before subscribers see a broken table.
"""

from __future__ import annotations

import re

_DELIMITER = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_CODE_SPAN = re.compile(r"`+[^`]*`+")


def _cells(line: str) -> int:
    text = _CODE_SPAN.sub("code", line.strip())
    text = text.replace("\\|", "")
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|"):
        text = text[:-1]
    return text.count("|") + 1


def lint_markdown(source: str, first_line: int = 1) -> list[tuple[int, str]]:
    """(line, message) for every table row whose cell count differs from its header."""
    problems: list[tuple[int, str]] = []
    lines = source.splitlines()
    in_fence = False
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        if (not in_fence and "|" in line and index + 1 < len(lines)
                and "-" in lines[index + 1] and _DELIMITER.match(lines[index + 1])):
            columns = _cells(line)
            row = index + 2
            while row < len(lines) and lines[row].strip() and "|" in lines[row]:
                count = _cells(lines[row])
                if count != columns:
                    what = "extra cells are dropped; write a '|' inside a cell as '\\|'" \
                        if count > columns else "missing cells render empty"
                    problems.append((first_line + row,
                                     f"table row has {count} cell{'s' * (count != 1)}, "
                                     f"its header has "
                                     f"{columns} ({what})"))
                row += 1
            index = row
            continue
        index += 1
    return problems
