"""The cleaned article -> Markdown that publisher's renderer reads back the same.

markdownify does the general HTML -> Markdown work (emphasis, links, images, headings,
blockquotes, escaping). It is extended where publisher's Markdown differs from what it
writes by default:

* **tables** become pipe tables, and a cell holding a list becomes the project's in-cell
  syntax ``- item<br>- item`` / ``1. item<br>2. item`` (paragraphs in a cell are joined with
  ``<br>`` as well; ``|`` is escaped); colspan and rowspan leave empty cells, so every row
  has the header's number of cells;
* **nested lists** are indented by four spaces (Python-Markdown's rule; markdownify's two
  would flatten them);
* **text** is escaped for Python-Markdown (which cannot escape ``&`` or ``<``: those become
  entities), on one line per paragraph, so no sentence can turn into a list or a heading;
* **links** whose URL has spaces (a Sendsay tag, an old unencoded address) use ``<...>``.
"""

from __future__ import annotations

import re
from typing import Any

from markdownify import MarkdownConverter, chomp

_LINE_START = re.compile(r"^(\s*)(?:([-+*]|>|\d{1,9}[.)])(?=\s|$)|(#))")
_ENTITY_LIKE = re.compile(r"&(?=#?\w+;)")
_TAG_LIKE = re.compile(r"<(?=[A-Za-z/!?])")
_BLANK_LINES = re.compile(r"\n{3,}")
_BOLD_CELL = re.compile(r"\*\*(?:[^*]|\\\*)+\*\*")


class ArticleConverter(MarkdownConverter):
    """markdownify with publisher's Markdown dialect (see the module docstring)."""

    class Options(MarkdownConverter.DefaultOptions):
        heading_style = "atx"
        bullets = "-"
        strong_em_symbol = "*"
        wrap = True  # whitespace (newlines included) collapses; lines break only at <br>
        wrap_width = None
        escape_misc = False  # it escapes '&' and '<', which Python-Markdown cannot unescape
        bs4_options = "html.parser"

    # ---- text

    def escape(self, text: str, parent_tags: Any) -> str:  # noqa: D102
        if not text:
            return ""
        text = text.replace("\\", "\\\\").replace("`", "\\`")
        text = text.replace("*", "\\*").replace("_", "\\_")
        text = text.replace("[", "\\[").replace("]", "\\]")
        text = _ENTITY_LIKE.sub("&amp;", text)
        text = _TAG_LIKE.sub("&lt;", text)
        return _LINE_START.sub(_escaped_start, text)

    # ---- links and images

    def convert_a(self, el: Any, text: str, parent_tags: Any) -> str:
        prefix, suffix, text = chomp(text)
        href = (el.get("href") or "").strip()
        if not text:
            return ""
        if not href or href.lower().startswith("javascript:"):
            return prefix + text + suffix
        title_part = _title(el.get("title"))
        return f"{prefix}[{text}]({_url(href)}{title_part}){suffix}"

    def convert_img(self, el: Any, text: str, parent_tags: Any) -> str:
        alt = (el.attrs.get("alt") or "").replace("[", "\\[").replace("]", "\\]")
        alt = re.sub(r"\s+", " ", alt).strip()
        src = el.attrs.get("src") or ""
        if not src:
            return alt
        title_part = _title(el.attrs.get("title"))
        return f"![{alt}]({_url(src)}{title_part})"

    # ---- lists (four-space nesting)

    def convert_li(self, el: Any, text: str, parent_tags: Any) -> str:
        text = (text or "").strip()
        if not text:
            return ""
        parent = el.parent
        if parent is not None and parent.name == "ol":
            start = parent.get("start")
            first = int(start) if start and str(start).isdigit() else 1
            bullet = f"{first + len(el.find_previous_siblings('li'))}. "
        else:
            bullet = "- "
        lines = text.split("\n")
        body = "\n".join(("    " + line) if line.strip() else "" for line in lines[1:])
        # an item of several paragraphs ends with a blank line, or Python-Markdown would
        # read the next item as a continuation of its last paragraph
        end = "\n\n" if "\n\n" in text else "\n"
        return bullet + lines[0] + ("\n" + body if body else "") + end

    def convert_list(self, el: Any, text: str, parent_tags: Any) -> str:
        if "li" in parent_tags:
            return "\n" + text.rstrip() + "\n"
        text = re.sub(r"\n{3,}", "\n\n", text)
        return "\n\n" + text.rstrip() + "\n\n"

    convert_ul = convert_list
    convert_ol = convert_list

    # ---- tables

    def convert_table(self, el: Any, text: str, parent_tags: Any) -> str:
        grid = _grid(el)
        if not grid:
            return text
        width = max(len(row) for row in grid)
        lines_out = []
        for index, row in enumerate(grid):
            cells = [self.cell(cell) if cell is not None else "" for cell in row]
            if index == 0:  # a header cell is bold anyway
                cells = [c[2:-2] if _BOLD_CELL.fullmatch(c) else c for c in cells]
            cells += [""] * (width - len(cells))
            lines_out.append("| " + " | ".join(cells) + " |")
            if index == 0:
                lines_out.append("|" + "|".join("---" for _ in range(width)) + "|")
        return "\n\n" + "\n".join(lines_out) + "\n\n"

    def cell(self, cell: Any) -> str:
        """One cell's content as ``<br>``-joined lines, lists in the in-cell syntax."""
        lines: list[str] = []
        self._cell_lines(cell, lines, [""])
        out = [line.strip() for line in lines]
        out = [line for line in out if line]
        return "<br>".join(line.replace("|", "\\|") for line in out)

    def _cell_lines(self, node: Any, lines: list[str], current: list[str]) -> None:
        """Walk a cell: inline content accumulates in ``current[0]``; blocks end a line."""
        from bs4 import NavigableString, Tag

        def end_line() -> None:
            if current[0].strip():
                lines.append(_unmark(re.sub(r"\s+", " ", current[0]).strip()))
            current[0] = ""

        for child in node.children:
            if isinstance(child, NavigableString):
                if type(child).__name__ in ("Comment", "Doctype"):
                    continue
                current[0] += self.process_text(child, parent_tags={"_inline", "td"})
            elif isinstance(child, Tag) and child.name in ("ul", "ol"):
                end_line()
                self._cell_list(child, lines)
            elif isinstance(child, Tag) and child.name == "br":
                end_line()
            elif isinstance(child, Tag) and child.name in ("p", "div", "li", "dt", "dd"):
                end_line()
                self._cell_lines(child, lines, current)
                end_line()
            elif isinstance(child, Tag):
                if child.find(["ul", "ol", "br", "p", "div"]) is not None:
                    self._cell_lines(child, lines, current)
                else:
                    current[0] += self.process_tag(child, parent_tags={"_inline", "td"})
        end_line()

    def _cell_list(self, list_el: Any, lines: list[str]) -> None:
        start = list_el.get("start")
        number = int(start) if start and str(start).isdigit() else 1
        for li in list_el.find_all("li", recursive=False):
            parts: list[str] = []
            nested = []
            for child in li.children:
                if getattr(child, "name", None) in ("ul", "ol"):
                    nested.append(child)
                else:
                    parts.append(self.process_element(child, parent_tags={"_inline", "td"}))
            item = re.sub(r"\s+", " ", "".join(parts)).strip()
            marker = f"{number}. " if list_el.name == "ol" else "- "
            if item:
                lines.append(marker + item)
                number += 1
            for sub in nested:  # in-cell lists do not nest: sub-items follow as items
                self._cell_list(sub, lines)


def _grid(table: Any) -> list[list[Any]]:
    """Rows of cells with colspan/rowspan expanded (spanned positions hold None)."""
    rows = [r for r in table.find_all("tr") if r.find_parent("table") is table]
    grid: list[list[Any]] = []
    pending: dict[int, int] = {}  # column -> rows still covered by a rowspan above
    for row in rows:
        out: list[Any] = []
        column = 0
        for cell in row.find_all(["td", "th"], recursive=False):
            while pending.get(column, 0) > 0:
                out.append(None)
                pending[column] -= 1
                column += 1
            out.append(cell)
            span = _int(cell.get("colspan"))
            down = _int(cell.get("rowspan"))
            for offset in range(span):
                if offset:
                    out.append(None)
                if down > 1:
                    pending[column + offset] = down - 1
            column += span
        while pending.get(column, 0) > 0:
            out.append(None)
            pending[column] -= 1
            column += 1
        grid.append(out)
    return [row for row in grid if row]


def _int(value: Any) -> int:
    try:
        return max(1, min(50, int(str(value))))
    except (TypeError, ValueError):
        return 1


def _escaped_start(match: re.Match[str]) -> str:
    """A line start that Python-Markdown would read as a list, quote or heading, escaped
    (``#`` even without a space: Python-Markdown's headings need none)."""
    return match.group(1) + _escape_marker(match.group(2) or match.group(3))


def _escape_marker(marker: str) -> str:
    if marker[0].isdigit():
        return marker[:-1] + "\\" + marker[-1]
    return "\\" + marker


def _unmark(line: str) -> str:
    """A cell line that is not a list item must not read as one (``1.`` / ``-`` escaped)."""
    return _LINE_START.sub(_escaped_start, line) if not line.startswith("\\") else line


def _title(title: str | None) -> str:
    return ' "' + title.replace('"', '\\"') + '"' if title else ""


def _url(url: str) -> str:
    if re.search(r"[\s()<>]", url):
        return "<" + url.replace("<", "%3C").replace(">", "%3E") + ">"
    return url


def to_markdown(html: str) -> str:
    """Markdown of an article's HTML (one ``<div>``), with tidy blank lines."""
    text = ArticleConverter().convert(html)
    text = "\n".join(line.rstrip() if not line.endswith("  ") else line
                     for line in text.split("\n"))
    text = re.sub(r"  \n[ \t]+", "  \n", text)
    return _BLANK_LINES.sub("\n\n", text).strip() + "\n"
