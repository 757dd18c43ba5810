"""Tables in old letters: most are layout (the letter's frame), a few hold data.

A layout table is unwrapped — its cells' contents stay, in reading order, and the table
goes — because a pipe table of a letter's frame is unreadable and breaks on a phone. A data
table is kept for :mod:`~publisher.importer.tomarkdown`, which writes it as a pipe table.

Data tables look like data: at least two rows with at least two cells, no table inside,
no headings or quotes in the cells, cells of a paragraph or two (lists allowed: that is
what the sales-stage table has), few empty cells. ``role="presentation"`` is layout.
Tables are judged innermost first, so a data table inside the letter's frame survives the
frame's unwrapping.
"""

from __future__ import annotations

from lxml import etree

from publisher.importer.oldhtml import text_of

_CELL_BLOCKS_ALLOWED = {"p", "div", "ul", "ol", "li", "br", "span"}
_NEVER_IN_DATA = {"table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "hr", "pre",
                  "center", "dl", "form"}
MAX_CELL_BLOCKS = 4
MAX_CELL_CHARS = 1500


def rows_of(table: etree._Element) -> list[etree._Element]:
    """The table's own rows (not those of tables nested in its cells)."""
    rows = []
    for child in table:
        tag = child.tag.lower() if isinstance(child.tag, str) else ""
        if tag == "tr":
            rows.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            rows.extend(r for r in child if isinstance(r.tag, str) and r.tag.lower() == "tr")
    return rows


def cells_of(row: etree._Element) -> list[etree._Element]:
    return [c for c in row if isinstance(c.tag, str) and c.tag.lower() in ("td", "th")]


def is_data_table(table: etree._Element) -> bool:
    if (table.get("role") or "").lower() in ("presentation", "none"):
        return False
    rows = rows_of(table)
    wide_rows = [r for r in rows if len(cells_of(r)) >= 2]
    if len(rows) < 2 or len(wide_rows) < 2:
        return False
    cells = [c for r in rows for c in cells_of(r)]
    empty = 0
    for cell in cells:
        if any(isinstance(d.tag, str) and d.tag.lower() in _NEVER_IN_DATA
               for d in cell.iterdescendants()):
            return False
        blocks = [d for d in cell if isinstance(d.tag, str)
                  and d.tag.lower() in ("p", "div")]
        text = text_of(cell)
        if len(blocks) > MAX_CELL_BLOCKS or len(text) > MAX_CELL_CHARS:
            return False
        if not text and cell.find(".//img") is None:
            empty += 1
    return empty * 2 <= len(cells)


def unwrap_layout_tables(root: etree._Element) -> int:
    """Replace every layout table by its cells' contents; return how many were unwrapped."""
    tables = [t for t in root.iter("table")]
    tables.sort(key=_depth, reverse=True)  # innermost first
    count = 0
    for table in tables:
        if table.getparent() is None or is_data_table(table):
            continue
        _unwrap(table)
        count += 1
    return count


def _depth(el: etree._Element) -> int:
    depth = 0
    while el.getparent() is not None:
        el = el.getparent()
        depth += 1
    return depth


def _unwrap(table: etree._Element) -> None:
    """The table becomes a ``<div>`` holding one ``<div>`` per cell, in reading order."""
    frame = etree.Element("div")
    for caption in table.iter("caption"):
        caption.tag = "p"
        caption.tail = None
        frame.append(caption)
        break
    for row in rows_of(table):
        for cell in cells_of(row):
            cell.tag = "div"
            for attr in list(cell.attrib):
                del cell.attrib[attr]
            cell.tail = None
            frame.append(cell)
    frame.tail = table.tail
    table.getparent().replace(table, frame)
