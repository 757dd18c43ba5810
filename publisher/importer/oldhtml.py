"""Old HTML as it was written, made regular before anything reads it as an article.

Letters from the 2000s were typed in FrontPage, Word or a mail client: layout tables,
``<font size=4><b>`` for headings, ``<br><br>`` between paragraphs, ``&nbsp;`` for spacing,
Word's ``MsoNormal`` paragraphs with lists faked by a bullet character in a
``mso-list:Ignore`` span. This module rewrites such a tree (lxml, in place) into plain
structure: real ``<p>``, ``<hN>``, ``<ul>``/``<ol>`` and ``<b>``/``<i>``, with tracking pixels,
hidden preheaders, scripts and Word's own tags gone. It never drops visible text.
"""

from __future__ import annotations

import copy
import re

from lxml import etree
from lxml.html import HtmlElement

#: elements whose content is never part of an article
JUNK = {"script", "style", "noscript", "iframe", "object", "embed", "applet", "form", "input",
        "select", "textarea", "button", "map", "area", "head", "title", "meta", "link", "xml",
        "base", "frameset", "frame", "svg", "template"}
#: elements that only wrap text (Word's and old editors' markup): dropped, text kept
TRANSPARENT = {"o:p", "w:sdt", "v:shape", "v:imagedata", "st1:metricconverter", "nobr",
               "wbr", "abbr", "acronym", "big", "small", "tt", "ins", "mark", "label", "bdi"}
BLOCKS = {"p", "div", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
          "pre", "hr", "center", "dl", "address", "section", "article", "header", "footer",
          "nav", "aside", "figure", "main", "tbody", "tr", "td", "th", "thead", "tfoot", "li",
          "dd", "dt", "caption", "body"}
#: containers whose loose text and ``<br><br>`` runs become paragraphs
CONTAINERS = {"body", "div", "td", "th", "blockquote", "center", "dd", "section", "article",
              "main", "header", "footer", "aside", "nav", "address", "figure"}
INLINE_WRAPPERS = {"font", "span", "b", "strong", "i", "em", "u", "a", "s", "strike", "sup",
                   "sub", "big", "small", "tt", "nobr"}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|mso-hide\s*:\s*all|"
                           r"max-height\s*:\s*0|font-size\s*:\s*0(?:px|pt)?\s*(?:;|$)", re.I)
_BOLD_STYLE = re.compile(r"font-weight\s*:\s*(?:bold|bolder|[6-9]00)", re.I)
_ITALIC_STYLE = re.compile(r"font-style\s*:\s*italic", re.I)
_FONT_SIZE_STYLE = re.compile(r"font-size\s*:\s*([\d.]+)\s*(pt|px|em|%)?", re.I)
_MSO_LIST = re.compile(r"mso-list\s*:\s*(l\d+)\s+level(\d+)", re.I)
_MSO_IGNORE = re.compile(r"mso-list\s*:\s*ignore", re.I)
_NUMBER_MARKER = re.compile(r"^\(?([0-9]{1,3}|[a-zA-Z]|[ivxlcIVXLC]{1,5})[.)]$")
_PIXEL_SRC = re.compile(r"spacer|pixel|1x1|blank\.gif|clear\.gif|/open/|/track|counter|"
                        r"/stat/|top100|liveinternet|hotlog|mail\.ru/counter|/cnt\?", re.I)
#: <font size=N> in CSS pixels (what browsers use)
_FONT_SIZES = {1: 10, 2: 13, 3: 16, 4: 18, 5: 24, 6: 32, 7: 48}
HEADING_MIN_PX = 17.5  # <font size=4>, 14pt, 18px and up make a heading when bold
WHITESPACE = " \t\r\n\u00a0\u200b\ufeff"


def normalise(root: HtmlElement) -> None:
    """Rewrite an old letter's tree into plain structure (see the module docstring)."""
    remove_junk(root)
    for el in root.iter():  # &nbsp; was spacing in old letters; typography adds its own
        if el.text and "\u00a0" in el.text:
            el.text = el.text.replace("\u00a0", " ")
        if el.tail and "\u00a0" in el.tail:
            el.tail = el.tail.replace("\u00a0", " ")
    styles_to_tags(root)
    word_lists(root)
    unwrap_inline_blocks(root)
    for container in [e for e in root.iter() if _tag(e) in CONTAINERS]:
        wrap_runs(container)
    font_headings(root)


def _tag(el: etree._Element) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def text_of(el: etree._Element) -> str:
    """Visible text with whitespace (nbsp included) collapsed."""
    return collapse("".join(el.itertext()))


def collapse(text: str) -> str:
    return re.sub(f"[{WHITESPACE}]+", " ", text).strip()


def remove_junk(root: HtmlElement) -> None:
    """Scripts, Word's XML islands, forms, hidden preheaders, tracking pixels, comments."""
    for el in list(root.iter()):
        if el.getparent() is None and el is not root:
            continue  # inside something already removed
        tag = _tag(el)
        comment = not isinstance(el.tag, str)  # comments, processing instructions
        word_xml = tag.startswith(("w:", "m:")) and tag not in TRANSPARENT
        if comment or tag in JUNK or word_xml:
            _drop_tree(el)
        elif tag in TRANSPARENT or ":" in tag:
            el.drop_tag()
        elif (_HIDDEN_STYLE.search(el.get("style", "")) or el.get("hidden") is not None
              or (tag == "img" and _is_pixel(el))):
            _drop_tree(el)


def _drop_tree(el: etree._Element) -> None:
    parent = el.getparent()
    if parent is None:
        return
    if isinstance(el, HtmlElement):
        el.drop_tree()
        return
    tail = el.tail
    previous = el.getprevious()
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _is_pixel(img: etree._Element) -> bool:
    """Open-tracking pixels, spacer GIFs and counters: images nobody was meant to see."""
    sizes = []
    for attr in ("width", "height"):
        value = img.get(attr, "")
        match = re.match(r"\s*(\d+)", value)
        if match:
            sizes.append(int(match.group(1)))
    for _name, value in re.findall(r"(width|height)\s*:\s*(\d+)px", img.get("style", ""), re.I):
        sizes.append(int(value))
    if sizes and min(sizes) <= 2:
        return True
    return bool(_PIXEL_SRC.search(img.get("src", ""))) and not img.get("alt", "").strip()


def styles_to_tags(root: HtmlElement) -> None:
    """``font-weight:bold``/``font-style:italic`` spans as ``<b>``/``<i>`` (Word writes both)."""
    for el in list(root.iter("span", "font")):
        style = el.get("style", "")
        bold, italic = bool(_BOLD_STYLE.search(style)), bool(_ITALIC_STYLE.search(style))
        if not (bold or italic):
            continue
        if bold and italic:
            inner = etree.SubElement(el, "i")
            inner.text, el.text = el.text, None
            for child in list(el)[:-1]:
                inner.append(child)
        el.set("data-size", str(font_px(el) or ""))
        el.tag = "b" if bold else "i"


def font_px(el: etree._Element) -> float | None:
    """The font size an element sets itself, in CSS pixels (None: it sets none)."""
    if _tag(el) == "font" and el.get("size"):
        value = el.get("size", "").strip()
        try:
            if value.startswith(("+", "-")):
                return float(_FONT_SIZES[max(1, min(7, 3 + int(value)))])
            return float(_FONT_SIZES[max(1, min(7, int(value)))])
        except (ValueError, KeyError):
            return None
    if el.get("data-size"):
        try:
            return float(el.get("data-size", ""))
        except ValueError:
            return None
    match = _FONT_SIZE_STYLE.search(el.get("style", ""))
    if match:
        number, unit = float(match.group(1)), (match.group(2) or "px").lower()
        return {"pt": number * 4 / 3, "px": number, "em": number * 16,
                "%": number * 16 / 100}[unit]
    return None


# --------------------------------------------------------------------------- Word's lists


def word_lists(root: HtmlElement) -> None:
    """Word's list paragraphs (``mso-list:l0 level1``, a marker in ``mso-list:Ignore``)
    as real nested ``<ul>``/``<ol>``."""
    for parent in list(root.iter()):
        children = list(parent)
        index = 0
        while index < len(children):
            item = _word_item(children[index])
            if item is None:
                index += 1
                continue
            run = []
            while index < len(children) and (found := _word_item(children[index])) is not None:
                run.append((children[index], *found))
                index += 1
            _build_lists(parent, run)


def _word_item(el: etree._Element) -> tuple[int, bool] | None:
    """(level, numbered) of a Word list paragraph, else None."""
    if _tag(el) not in ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6"):
        return None
    style = el.get("style", "")
    match = _MSO_LIST.search(style)
    classes = el.get("class", "")
    if not match and "MsoListParagraph" not in classes:
        return None
    marker = _marker(el)
    if marker is None:
        return None
    level = int(match.group(2)) if match else 1
    return level, bool(_NUMBER_MARKER.match(marker.strip()))


def _marker(el: etree._Element) -> str | None:
    for span in el.iter("span"):
        if _MSO_IGNORE.search(span.get("style", "")):
            return text_of(span)
    return None


def _build_lists(parent: etree._Element, run: list[tuple[etree._Element, int, bool]]) -> None:
    first = run[0][0]
    position = parent.index(first)
    tail = run[-1][0].tail
    stack: list[tuple[int, etree._Element]] = []  # (level, list element)
    top: etree._Element | None = None
    for para, level, numbered in run:
        for span in list(para.iter("span")):
            if _MSO_IGNORE.search(span.get("style", "")):
                _drop_tree(span)
                break
        while stack and stack[-1][0] > level:
            stack.pop()
        if not stack or stack[-1][0] < level:
            new_list = etree.Element("ol" if numbered else "ul")
            if stack and len(stack[-1][1]):
                stack[-1][1][-1].append(new_list)  # nested inside the previous item
            elif stack:
                stack[-1][1].append(new_list)
            else:
                top = new_list
            stack.append((level, new_list))
        li = etree.SubElement(stack[-1][1], "li")
        li.text = para.text.lstrip(WHITESPACE) if para.text else None
        for child in list(para):
            li.append(child)
        para.tail = None
        parent.remove(para)
    assert top is not None
    top.tail = tail
    parent.insert(position, top)


# --------------------------------------------------------------------------- paragraphs


def unwrap_inline_blocks(root: HtmlElement) -> None:
    """``<font>`` or ``<b>`` around whole paragraphs (blocks, or text split by ``<br><br>``):
    the wrapper goes, the paragraphs stay. A wrapper's font size moves to its child elements,
    so ``<font size=4><b>Heading</b><br><br>...`` still yields the heading."""
    for el in list(root.iter()):
        tag = _tag(el)
        if tag == "center":
            el.tag = "div"
            continue
        if tag not in INLINE_WRAPPERS:
            continue
        holds_blocks = any(_tag(d) in BLOCKS for d in el.iterdescendants())
        if not holds_blocks and not (tag in ("font", "span") and _double_br(el)):
            continue
        if tag == "a" and el.get("href"):
            continue  # a linked block stays linked; markdownify keeps its text
        size = font_px(el)
        if size is not None:
            for child in el:
                if isinstance(child.tag, str) and font_px(child) is None:
                    child.set("data-size", str(size))
        el.drop_tag()


def is_block(el: etree._Element) -> bool:
    return _tag(el) in BLOCKS


def wrap_runs(container: etree._Element) -> None:
    """Loose text beside blocks, and text split by ``<br><br>``, become ``<p>`` elements."""
    kids = list(container)
    if not any(is_block(k) for k in kids) and not _double_br(container):
        return
    items: list[object] = []  # strings and elements, in order
    if container.text:
        items.append(container.text)
    container.text = None
    for kid in kids:
        tail, kid.tail = kid.tail, None
        container.remove(kid)
        items.append(kid)
        if tail:
            items.append(tail)
    runs: list[list[object]] = []
    current: list[object] = []

    def flush() -> None:
        nonlocal current
        while current and _is_br_or_space(current[-1]):
            current.pop()
        while current and _is_br_or_space(current[0]):
            current.pop(0)
        if current:
            runs.append(current)
        current = []

    for item in items:
        if isinstance(item, etree._Element) and is_block(item):
            flush()
            runs.append([item])
        elif isinstance(item, etree._Element) and _tag(item) == "br":
            last = next((x for x in reversed(current) if not _is_space(x)), None)
            if isinstance(last, etree._Element) and _tag(last) == "br":
                flush()  # <br><br>: a paragraph break
            else:
                current.append(item)
        else:
            current.append(item)
    flush()
    for run in runs:
        if len(run) == 1 and isinstance(run[0], etree._Element) and is_block(run[0]):
            container.append(run[0])
            continue
        append_items(etree.SubElement(container, "p"), run)


def append_items(el: etree._Element, items: list[object]) -> None:
    """Append strings (as text or the last child's tail) and elements, in order."""
    for item in items:
        if isinstance(item, str):
            if len(el):
                el[-1].tail = (el[-1].tail or "") + item
            else:
                el.text = (el.text or "") + item
        else:
            el.append(item)  # type: ignore[arg-type]


def _is_space(item: object) -> bool:
    return isinstance(item, str) and not item.strip(WHITESPACE)


def _is_br_or_space(item: object) -> bool:
    return _is_space(item) or (isinstance(item, etree._Element) and _tag(item) == "br")


def _double_br(container: etree._Element) -> bool:
    previous_br = False
    for kid in container:
        if _tag(kid) == "br":
            if previous_br:
                return True
            previous_br = not (kid.tail or "").strip(WHITESPACE)
        else:
            previous_br = False
    return False


# --------------------------------------------------------------------------- headings


def font_headings(root: HtmlElement) -> None:
    """Bold, large, standalone lines (``<b><font size=4>``, Word's 14pt bold) as headings.

    The largest such size becomes ``<h2>`` (the issue's title is the page's ``<h1>``), the
    next ``<h3>``, then ``<h4>``; existing headings move down so none is above ``<h2>``.
    """
    for para in list(root.iter("p")):
        _split_heading_line(para)
    candidates: list[tuple[etree._Element, float]] = []
    for el in root.iter("p", "div"):
        if any(is_block(d) for d in el.iterdescendants()):
            continue
        size = _heading_size(el)
        if size is not None:
            candidates.append((el, size))
    sizes = sorted({round(size) for _, size in candidates}, reverse=True)
    existing = [int(_tag(h)[1]) for h in root.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    shift = 2 - min(existing) if existing and min(existing) < 2 else 0
    for heading in list(root.iter("h1", "h2", "h3", "h4", "h5", "h6")):
        heading.tag = f"h{min(6, int(_tag(heading)[1]) + shift)}"
    for el, size in candidates:
        el.tag = f"h{min(4, 2 + sizes.index(round(size)))}"
        for attr in list(el.attrib):
            del el.attrib[attr]
    for heading in root.iter("h1", "h2", "h3", "h4", "h5", "h6"):
        for inner in list(heading.iter("b", "strong", "font", "span", "u")):
            if inner is not heading:
                inner.drop_tag()


def _split_heading_line(para: etree._Element) -> None:
    """``<b><font size=4>Heading</font></b><br>text``: the heading line becomes its own block."""
    if para.find("br") is None or any(is_block(d) for d in para.iterdescendants()):
        return
    lines = lines_of(para)
    if len(lines) < 2:
        return
    probe = etree.Element("p")
    rebuild_lines(probe, [[copy.deepcopy(x) if not isinstance(x, str) else x
                           for x in lines[0]]])
    if _heading_size(probe) is None:
        return
    head = etree.Element("p")
    rebuild_lines(head, [lines[0]])
    rebuild_lines(para, lines[1:])
    para.addprevious(head)
    head.tail = None


def _heading_size(block: etree._Element) -> float | None:
    """The size of a block whose every visible character is bold and large, else None."""
    text = text_of(block)
    if not text or len(text) > 200 or not re.search(r"\w", text):
        return None
    sizes: list[float] = []
    for node, string in _text_nodes(block):
        if not string.strip(WHITESPACE):
            continue
        bold, size = False, font_px(block) or 16.0
        chain = []
        current = node
        while current is not None and current is not block:
            chain.append(current)
            current = current.getparent()
        for el in reversed(chain):  # outermost first: inner sizes win
            if _tag(el) in ("b", "strong") or _BOLD_STYLE.search(el.get("style", "")):
                bold = True
            px = font_px(el)
            if px is not None:
                size = px
        if _tag(block) in ("b", "strong"):
            bold = True
        if not bold or size < HEADING_MIN_PX:
            return None
        sizes.append(size)
    return min(sizes) if sizes else None


def _text_nodes(block: etree._Element):  # type: ignore[no-untyped-def]
    """(element the text belongs to, text) for every text piece inside ``block``."""
    if block.text:
        yield block, block.text
    for el in block.iterdescendants():
        if not isinstance(el.tag, str):
            continue
        if el.text:
            yield el, el.text
        if el.tail:
            parent = el.getparent()
            yield parent, el.tail


def lines_of(block: etree._Element) -> list[list[object]]:
    """The block's content as lines of strings and elements, split at ``<br>``."""
    lines: list[list[object]] = [[]]
    if block.text:
        lines[-1].append(block.text)
    for kid in block:
        if isinstance(kid.tag, str) and kid.tag.lower() == "br":
            lines.append([])
            if kid.tail:
                lines[-1].append(kid.tail)
        else:
            lines[-1].append(kid)  # its tail goes with it (element.tail)
    return lines


def rebuild_lines(block: etree._Element, lines: list[list[object]]) -> None:
    tail = block.tail
    for kid in list(block):
        block.remove(kid)  # tails go with the removed elements; lines still hold them
    block.text = None
    for number, line in enumerate(lines):
        if number:
            etree.SubElement(block, "br")
        append_items(block, line)
    block.tail = tail
