"""The plain-text alternative, written from the body's document tree (not by stripping tags).

Headings are underlined, numbered lists keep their numbers, bullets become ``•``, links are
followed by their URL, and tables become one block per row, ``Header: value`` for each cell,
because a grid of columns cannot survive a plain-text client's proportional font or
narrow window. Lists inside cells stay lists.
"""

from __future__ import annotations

import re
import textwrap

import lxml.html
from lxml.html import HtmlElement

from publisher.render.merge_tags import tag_stand_ins

WIDTH = 72
_SPACES = re.compile(r"[ \t\r\n]+")
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "blockquote",
           "pre", "hr", "dl"}


def html_to_text(body_html: str, *, width: int = WIDTH) -> str:
    """Plain text for a Markdown body fragment."""
    if not body_html.strip():
        return ""
    root = lxml.html.fragment_fromstring(body_html, create_parent="div")
    blocks = _blocks(root, width)
    return "\n\n".join(b for b in blocks if b.strip()).strip() + "\n"


def _inline(element: HtmlElement) -> str:
    """Text of an inline run, links written as ``text (url)``.

    Newlines in the source text are soft breaks (Markdown joins the lines), so they become
    spaces; only ``<br>`` makes a line break.
    """
    parts: list[str] = [_soft(element.text)]
    for child in element:
        if isinstance(child.tag, str):
            cls = child.get("class", "")
            if cls in ("cell-label", "footnote-backref"):
                pass
            elif cls == "footnote-ref":  # the superscript number of a footnote
                parts.append(f"[{child.text_content().strip()}]")
            elif child.tag == "br":
                parts.append("\n")
            elif child.tag == "a":
                label = _inline(child).strip()
                href = child.get("href", "")
                if href and not href.startswith("#") and href != label:
                    parts.append(f"{label} ({href})" if label else href)
                else:
                    parts.append(label)
            elif child.tag == "img":
                alt = child.get("alt", "")
                parts.append(f"[{alt}]" if alt else "")
            elif child.tag in ("ul", "ol", "table"):
                pass  # handled as blocks by the caller
            else:
                parts.append(_inline(child))
        parts.append(_soft(child.tail))
    return "".join(parts)


def _soft(text: str | None) -> str:
    return (text or "").replace("\r", " ").replace("\n", " ")


def _clean(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def _wrap(text: str, width: int, first: str = "", rest: str = "") -> str:
    """Fill lines to ``width``; an ESP tag (``[% param.url_unsub %]``) is never broken, and
    is measured as about what it becomes (an IF or END as nothing), see :func:`tag_stand_ins`."""
    glued, restore = tag_stand_ins(_clean(text))
    out = []
    for index, line in enumerate(glued.split("\n")):
        prefix = first if index == 0 else rest
        if len(prefix) + len(line) <= width:  # fits: skip textwrap, the slow part of this module
            out.append(prefix + line)
            continue
        out.append(textwrap.fill(line, width=width, initial_indent=prefix,
                                 subsequent_indent=rest, break_long_words=False,
                                 break_on_hyphens=False))
    return restore("\n".join(out))


def _blocks(container: HtmlElement, width: int) -> list[str]:
    blocks: list[str] = []
    loose = [_soft(container.text)]

    def flush() -> None:
        text = "".join(loose)
        if text.strip():
            blocks.append(_wrap(text, width))
        loose.clear()

    for child in container:
        if not isinstance(child.tag, str):  # comments
            loose.append(_soft(child.tail))
            continue
        if child.tag in _BLOCKS:
            flush()
            blocks.append(_block(child, width))
        else:
            loose.append(_inline_single(child))
        loose.append(_soft(child.tail))
    flush()
    return blocks


def _inline_single(element: HtmlElement) -> str:
    wrapper = lxml.html.Element("span")
    copy = lxml.html.fromstring(lxml.html.tostring(element, encoding="unicode"))
    copy.tail = None
    wrapper.append(copy)
    return _inline(wrapper)


def _block(element: HtmlElement, width: int) -> str:
    tag = element.tag
    if tag in ("h1", "h2"):
        text = _clean(_inline(element))
        return f"{text}\n{('=' if tag == 'h1' else '-') * min(len(text), width)}"
    if tag == "hr":
        return "-" * 20
    if tag.startswith("h") and len(tag) == 2:
        return _clean(_inline(element)).upper() if element.getparent() is not None else ""
    if tag == "p":
        return _wrap(_inline(element), width)
    if tag in ("ul", "ol"):
        return _list(element, width, indent="")
    if tag == "blockquote":
        inner = "\n\n".join(_blocks(element, width - 2))
        return "\n".join(("> " + line).rstrip() for line in inner.split("\n"))
    if tag == "pre":
        return element.text_content().rstrip()
    if tag == "table":
        return _table(element, width)
    if tag == "dl":
        return _definitions(element, width)
    return "\n\n".join(_blocks(element, width))


def _definitions(element: HtmlElement, width: int) -> str:
    """A definition list: each term on its own line, its definitions indented under it."""
    lines = []
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if child.tag == "dt":
            lines.append(_wrap(_inline(child), width))
        elif child.tag == "dd":
            inner = "\n\n".join(b for b in _blocks(child, width - 4) if b.strip())
            lines.append("\n".join(("    " + line).rstrip() for line in inner.split("\n")))
    return "\n".join(lines)


def _list(element: HtmlElement, width: int, indent: str) -> str:
    lines = []
    number = int(element.get("start", "1") or 1)
    for item in element.iterchildren("li"):
        marker = f"{number}. " if element.tag == "ol" else "• "
        number += 1
        head = _clean(_inline(item))
        lines.append(_wrap(head, width, indent + marker, indent + " " * len(marker)))
        for sub in item:
            if isinstance(sub.tag, str) and sub.tag in ("ul", "ol"):
                lines.append(_list(sub, width, indent + " " * len(marker)))
            elif isinstance(sub.tag, str) and sub.tag == "p" and head == "":
                lines.append(_wrap(_inline(sub), width, indent + marker, indent + "   "))
    return "\n".join(lines)


def _table(table: HtmlElement, width: int) -> str:
    headers = [_clean(_inline(th)) for th in table.xpath("./thead/tr/th|./thead/tr/td")]
    rows = table.xpath("./tbody/tr") or table.xpath("./tr")
    records = []
    for row in rows:
        cells = [c for c in row if isinstance(c.tag, str) and c.tag in ("td", "th")]
        lines = []
        for index, cell in enumerate(cells):
            label = headers[index] if index < len(headers) else ""
            texts, lists = _cell_parts(cell, width)
            if not texts and not lists:
                continue  # an empty cell says nothing; its label alone would read as a gap
            if index == 0:  # the first cell names the record: "Этап: 1"
                lines.append(_wrap(f"{label}: {texts}" if label else texts, width))
                lines.extend(lists)
                continue
            head = f"{label}: {texts}" if label else texts
            lines.append(_wrap(head.rstrip(), width, "  ", "    "))
            lines.extend(lists)
        records.append("\n".join(line for line in lines if line.strip()))
    return "\n\n".join(records)


def _cell_parts(cell: HtmlElement, width: int) -> tuple[str, list[str]]:
    """A cell's text, with any lists in it (in order) rendered as indented lists."""
    lists = []
    for sub in cell:
        if isinstance(sub.tag, str) and sub.tag in ("ul", "ol"):
            lists.append(_list(sub, width, "    "))
    return _clean(_inline(cell)).replace("\n", " "), lists
