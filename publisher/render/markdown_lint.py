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


# Markdown the renderer does not support: shown as source (or silently reshaped) in the email.
_FENCE_LINE = re.compile(r"^( *)(`{3,}|~{3,})")
_ITEM = re.compile(r"^( *)(?:[-*+]|\d{1,9}[.)])[ \t]+\S")
_TASK = re.compile(r"^ *(?:[-*+]|\d{1,9}[.)])[ \t]+\[[ xX]\][ \t]")
_STRIKE = re.compile(r"~~\S(?:.*?\S)?~~")
_HASH_HEADING = re.compile(r"^#{1,6}[^\s#\\]")
_FOOTNOTE_REF = re.compile(r"\[\^([^\]\s]+)\](?!:)")
_FOOTNOTE_DEF = re.compile(r"^ {0,3}\[\^([^\]\s]+)\]:")
_REF_LINK = re.compile(r"!?\[([^\]\^][^\]]*)\]\[([^\]]*)\]")
_LINK_DEF = re.compile(r"^ {0,3}\[([^\]\^][^\]]*)\]:\s*\S")
_HEADING_OR_RULE = re.compile(r"^(?:#{1,6}\s|\s*(?:[-*_]\s*){3,}$|\s*[|<])")


def _code_spans_removed(line: str) -> str:
    return _CODE_SPAN.sub("code", line)


def unsupported_markdown(source: str, first_line: int = 1) -> list[tuple[int, str]]:
    """(line, message) for syntax the renderer shows as source or reshapes silently:
    strikethrough, task-list boxes, ``#word`` headings (a hashtag starting a line), footnote
    references and reference links without a definition, unclosed code fences, a list or a
    table glued to the paragraph above it, and sub-lists indented by fewer than 4 spaces."""
    lines = source.splitlines()
    problems: list[tuple[int, str]] = []
    footnote_defs = {m.group(1) for line in lines if (m := _FOOTNOTE_DEF.match(line))}
    link_defs = {m.group(1).strip().casefold() for line in lines if (m := _LINK_DEF.match(line))}
    fence: tuple[str, int] | None = None  # (fence characters, line index) while inside one
    previous = ""  # the previous line (blank when a block ended)
    item_indent: int | None = None  # indent of the last list item while in a list

    def report(index: int, message: str) -> None:
        problems.append((first_line + index, message))

    for index, line in enumerate(lines):
        fence_match = _FENCE_LINE.match(line)
        if fence is not None:
            if fence_match and fence_match.group(2).startswith(fence[0]) \
                    and not line.strip().strip(fence[0][0]):
                fence = None
            previous = line
            continue
        if fence_match:
            fence = (fence_match.group(2), index)
            previous = line
            continue
        if not line.strip():
            previous = ""
            continue
        code_block = line.startswith(("    ", "\t")) and not previous.strip() \
            and item_indent is None
        if code_block:
            continue
        text = _code_spans_removed(line)
        item = _ITEM.match(line)
        if item:
            indent = len(item.group(1))
            if previous.strip() and item_indent is None and indent < 4 \
                    and not _HEADING_OR_RULE.match(previous) and not _ITEM.match(previous):
                report(index, "a list right under a paragraph line joins the paragraph "
                              "(shown as '- …' text): leave a blank line before the list")
            elif item_indent is not None and indent % 4:
                report(index, f"a list item indented by {indent} space{'s' * (indent != 1)} "
                              "does not nest as meant: sub-lists are indented by 4 spaces "
                              "per level (4, 8, …)")
            if _TASK.match(line):
                report(index, "task-list boxes ('[ ]', '[x]') are not supported and show "
                              "as typed: write the item without them, or use ☐ / ☑")
            item_indent = indent if item_indent is None else min(item_indent, indent)
        elif not previous.strip() and not line.startswith((" ", "\t")):
            item_indent = None  # a paragraph at the margin after a blank line ends the list
        if _STRIKE.search(text):
            report(index, "strikethrough (~~…~~) is not supported and shows the tildes: "
                          "write <del>…</del>")
        if _HASH_HEADING.match(line):
            report(index, f"'{line.split()[0]}' at the start of a line becomes a heading: "
                          "write '\\#' for a hashtag, or '# Title' (with a space) for a heading")
        for match in _FOOTNOTE_REF.finditer(text):
            if match.group(1) not in footnote_defs:
                report(index, f"footnote [^{match.group(1)}] has no definition "
                              f"('[^{match.group(1)}]: text'), so it shows as typed")
        for match in _REF_LINK.finditer(text):
            name = (match.group(2) or match.group(1)).strip().casefold()
            if name not in link_defs:
                report(index, f"reference link [{match.group(2) or match.group(1)}] has no "
                              "definition ('[name]: https://…'), so it shows as typed")
        if (previous.strip() and "|" not in previous and "|" in line
                and index + 1 < len(lines) and _DELIMITER.match(lines[index + 1])
                and "-" in lines[index + 1]):
            report(index, "a table right under a paragraph line is shown as text: leave a "
                          "blank line before the table")
        previous = line
    if fence is not None:
        report(fence[1], f"code fence {fence[0]} is never closed, so it shows as typed: "
                         f"close it with {fence[0]} on a line of its own")
    return sorted(problems)
