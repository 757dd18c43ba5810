"""Python-Markdown extensions for newsletters.

* **Lists in table cells.** Pipe tables cannot hold block content, so inside a cell lines
  are separated with ``<br>`` and lines starting with ``- `` / ``* `` / ``1. `` become a real
  ``<ul>``/``<ol>``: ``| - Количество встреч<br>- % встреч |``. The source still reads well,
  and GitHub shows it as dashed lines.
* **Stack labels.** Every body cell of a table with a header gets a hidden
  ``<span class="cell-label">`` with its column's header, which the email and site CSS show
  when a narrow screen stacks the table into cards.
* **Images.** Relative sources are resolved against the issue file, recorded for checks
  (missing file, missing alt) and rewritten to absolute URLs under the archive.
* **Image widths.** Local images get ``width="N"``, their own width capped at the email's
  content column (:mod:`publisher.render.images`), for Outlook, which ignores ``max-width``.
* **Bare URLs.** ``https://…`` and ``www.…`` written as plain text become links (so UTM and
  ESP click tracking see them); trailing punctuation stays outside the link.
* **Wide tables only stack.** Tables of four or more columns (or three with long cells) get
  ``stackable``; six or more also ``many-columns`` (smaller type); a table whose longest
  words could not fit 600 px side by side also ``tight`` (its cells break words anywhere).
* **Typography.** Language rules (:mod:`publisher.render.typography`) on text nodes only.
* **Safe attributes.** ``{: … }`` attribute lists and Markdown links may not add event
  handlers (``onfocus=``) or ``javascript:``/``vbscript:`` URLs (nor ``data:`` links); raw
  HTML stays the author's own (trusted; ``site.safe_html`` cleans it for guest authors).

Python-Markdown's own fenced code, footnotes, definition lists and abbreviations are on too.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from markdown import Markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import InlineProcessor as InlineTreeprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

from publisher.render.images import email_width
from publisher.render.typography import RussianTypographer

_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_BULLET = re.compile(r"^[-*+]\s+(.*)$", re.DOTALL)
_NUMBERED = re.compile(r"^(\d{1,9})[.)]\s+(.*)$", re.DOTALL)
_STASH = re.compile("\x02wzxhzdk:\\d+\x03")
_SKIP_TEXT = {"code", "pre", "script", "style", "kbd", "samp"}
_BLOCKS = {"p", "li", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "blockquote"}


@dataclass
class ImageRef:
    """An image the body refers to, for checks and for copying into the archive."""

    src: str  # as written
    url: str  # as emitted (absolute for relative sources)
    alt: str
    line: int | None
    local_path: Path | None  # resolved file for relative sources
    width: str = ""  # the width="" the email gives it ("" for none)


@dataclass
class ConvertContext:
    """Per-conversion inputs and findings (the Markdown instance itself is reused)."""

    source_dir: Path | None = None
    assets_root: Path | None = None  # relative images are addressed from this folder
    assets_url: str = ""  # absolute URL of assets_root in the archive
    source: str = ""
    first_line: int = 1
    images: list[ImageRef] = field(default_factory=list)


class CellListProcessor(Treeprocessor):
    """Turn ``<br>``-separated list lines inside table cells into real lists (before inline)."""

    def run(self, root: etree.Element) -> None:
        for cell in root.iter():
            if cell.tag in ("td", "th") and cell.text and len(cell) == 0:
                self._split(cell)

    def _split(self, cell: etree.Element) -> None:
        lines = [part.strip() for part in _BR.split(cell.text)]
        kinds = [self._kind(line) for line in lines]
        if len(lines) == 1 and kinds[0] is None:
            return
        cell.text = None
        current_list: etree.Element | None = None
        last_text: etree.Element | None = None
        for line, kind in zip(lines, kinds):
            if kind is None:
                current_list = None
                if last_text is None:
                    last_text = etree.SubElement(cell, "span", {"class": "cell-text"})
                    last_text.text = line
                else:
                    etree.SubElement(last_text, "br").tail = line
                continue
            last_text = None
            tag, start, item_text = kind
            if current_list is None or current_list.tag != tag:
                current_list = etree.SubElement(cell, tag)
                if tag == "ol" and start != 1:
                    current_list.set("start", str(start))
            etree.SubElement(current_list, "li").text = item_text

    @staticmethod
    def _kind(line: str) -> tuple[str, int, str] | None:
        match = _BULLET.match(line)
        if match:
            return "ul", 1, match.group(1)
        match = _NUMBERED.match(line)
        if match:
            return "ol", int(match.group(1)), match.group(2)
        return None


class CellLabelProcessor(Treeprocessor):
    """Give each body cell a hidden label with its column header, for stacked layouts."""

    def run(self, root: etree.Element) -> None:
        for table in root.iter("table"):
            header_row = table.find("thead/tr")
            if header_row is None:
                continue
            headers = [_STASH.sub("", "".join(th.itertext())).strip() for th in header_row]
            _classify_table(table, len(headers))
            for row in table.iterfind("tbody/tr"):
                for index, cell in enumerate(row):
                    if index >= len(headers) or not headers[index]:
                        continue
                    label = etree.Element("span", {"class": "cell-label"})
                    label.text = AtomicString(headers[index])
                    label.tail = cell.text
                    cell.text = None
                    cell.insert(0, label)


STACK_COLUMNS = 4  # tables this wide become cards on phones
MANY_COLUMNS = 6  # ... and these get smaller type and tighter cells
SHORT_CELL = 40  # characters: a three-column table whose cells are all shorter stays a table


def _classify_table(table: etree.Element, columns: int) -> None:
    """Mark a table ``stackable`` (cards on phones) unless it is two or three short columns,
    which read better as a table even on a 320 px screen; ``many-columns`` from six."""
    classes = table.get("class", "").split()
    stack = columns >= STACK_COLUMNS
    if columns == STACK_COLUMNS - 1 and not stack:
        stack = any(len(_STASH.sub("", "".join(cell.itertext()))) > SHORT_CELL
                    or cell.find(".//li") is not None
                    for cell in table.iter("td"))
    if stack:
        classes.append("stackable")
    if columns >= MANY_COLUMNS:
        classes.append("many-columns")
    if _min_width(table, columns, small=columns >= MANY_COLUMNS) > TABLE_WIDTH:
        classes.append("tight")
    if classes:
        table.set("class", " ".join(classes))


TABLE_WIDTH = 540  # px a table may take in the 552 px column, less a margin for font metrics
_WORD = re.compile(r"[^\s\u00a0]+")


def _min_width(table: etree.Element, columns: int, *, small: bool) -> float:
    """A table's narrowest width if words break only at spaces (desktop CSS): per column,
    its longest word (at most 20 characters: longer runs get ``<wbr>`` every 12 in the
    email) at about 7 px a character of 12-13 px Arial, plus the cell's padding. Only an
    estimate, to decide whether a desktop may keep whole words; measured in Chromium by the
    corpus tests."""
    per_char, padding = (6.8, 9) if small else (7.4, 13)
    longest = [0] * columns
    for row in table.iter("tr"):
        for index, cell in enumerate(row):
            if index >= columns:
                break
            words = _WORD.findall(_STASH.sub("", "".join(cell.itertext())))
            longest[index] = max([longest[index], *(min(len(w), 20) for w in words)])
    return sum(n * per_char + padding for n in longest)


def _set_image_width(img: etree.Element, local: Path | None) -> None:
    """``width="N"`` from the file itself (capped at the content column) unless the author
    gave one with ``{: width="N" }``; remote images are left as written."""
    if local is None or img.get("width"):
        return
    width = email_width(local)
    if width is not None:
        img.set("width", str(width))


class ImageProcessor(Treeprocessor):
    """Record images and make relative sources absolute archive URLs."""

    def __init__(self, md: Markdown, context_holder: NewsletterExtension) -> None:
        super().__init__(md)
        self.holder = context_holder

    def run(self, root: etree.Element) -> None:
        context = self.holder.context
        for img in root.iter("img"):
            src = img.get("src", "")
            parts = urlsplit(src)
            local = None
            url = src
            if not parts.scheme and not parts.netloc and not src.startswith(("/", "#", "data:")):
                if context.source_dir is not None:
                    local = (context.source_dir / parts.path).resolve()
                    if context.assets_root is not None and context.assets_url:
                        try:
                            relative = local.relative_to(context.assets_root.resolve())
                            url = context.assets_url + quote(relative.as_posix())
                        except ValueError:
                            url = context.assets_url + quote(posixpath.normpath(parts.path))
                img.set("src", url)
                _set_image_width(img, local)
            context.images.append(ImageRef(src=src, url=url, alt=img.get("alt", ""),
                                           line=self._line_of(src), local_path=local,
                                           width=img.get("width", "")))

    def _line_of(self, src: str) -> int | None:
        context = self.holder.context
        for offset, line in enumerate(context.source.splitlines()):
            if src and src in line:
                return context.first_line + offset
        return None


class TypographyProcessor(Treeprocessor):
    """Apply language typography to every text node, in document order."""

    def run(self, root: etree.Element) -> None:
        self.typographer = RussianTypographer()
        self._walk(root)

    def _walk(self, element: etree.Element) -> None:
        if element.tag in _BLOCKS:  # a quote left open does not run into the next block
            self.typographer.new_block()
        if element.tag not in _SKIP_TEXT and element.get("class") != "cell-label":
            if element.text and not isinstance(element.text, AtomicString):
                element.text = self.typographer(element.text)
            for child in element:
                self._walk(child)
        if element.tail:
            element.tail = self.typographer(element.tail)


_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "background", "poster", "cite",
                   "xlink:href", "srcset", "data"}
_UNSAFE_SCHEME = re.compile(r"^(?:javascript|vbscript|livescript|data):", re.IGNORECASE)
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f]+")


def unsafe_attribute(name: str, value: str) -> bool:
    """An event handler, or a URL that runs script (``java\tscript:`` too, as browsers read
    it); ``data:`` images stay (some authors embed small ones)."""
    name = name.lower()
    if name.startswith("on"):
        return True
    if name not in _URL_ATTRIBUTES:
        return False
    scheme = _UNSAFE_SCHEME.match(_IGNORED_IN_SCHEME.sub("", value))
    return scheme is not None and not (name == "src" and scheme.group().lower() == "data:")


class SafeAttributesProcessor(Treeprocessor):
    """Remove what :func:`unsafe_attribute` refuses from every element Markdown made."""

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            for name, value in list(element.attrib.items()):
                if unsafe_attribute(name, value):
                    del element.attrib[name]


class GenericTagProcessor(InlineProcessor):
    """Keep publisher's ``*|NAME|*`` tags as text: Markdown would read their stars as emphasis
    (``<em>|NAME|</em>``) and the SMTP/outbox backends could no longer fill them."""

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[str, int, int]:  # noqa: N802
        return m.group(0), m.start(0), m.end(0)


_URL_CHARS = r"(?:\[%.*?%\]|[^\s<>\"'«»\[\]\x02\x03]|\[(?!%))"
BARE_URL = (r"(?<![\w/@.:=\-\\])((?:https?://|www\.)" + _URL_CHARS + "+)")
_TRAILING = ".,;:!?…*_"  # a URL ending in one of these is rarer than a sentence or **bold**


def _trim_url(url: str) -> str:
    """Trailing punctuation belongs to the sentence, a ``)`` only if unbalanced in the URL."""
    while url:
        if url[-1] in _TRAILING or url[-1] == ")" and url.count("(") < url.count(")"):
            url = url[:-1]
        else:
            break
    return url


class BareUrlProcessor(InlineProcessor):
    """``https://example.org/page`` or ``www.example.org`` in plain text becomes a link whose
    text is the URL as written (an AtomicString, so typography leaves it alone)."""

    def handleMatch(self, m: re.Match[str], data: str):  # type: ignore[no-untyped-def]  # noqa: N802
        url = _trim_url(m.group(1))
        if len(url) < len("www.a.b") or url.endswith("//") or self._in_raw_link(data, m.start()):
            return None, None, None
        link = etree.Element("a", {"href": url if "://" in url else "https://" + url})
        link.text = AtomicString(url)
        return link, m.start(1), m.start(1) + len(url)


    def _in_raw_link(self, data: str, position: int) -> bool:
        """Whether ``position`` is between a raw-HTML ``<a …>`` and its ``</a>`` (inline
        placeholders -> stashed raw HTML placeholders -> the raw HTML)."""
        if "\x02" not in data:
            return False
        stashed = self.md.treeprocessors["inline"].stashed_nodes
        blocks = self.md.htmlStash.rawHtmlBlocks
        inside = False
        for match in _INLINE_STASH.finditer(data, 0, position):
            node = stashed.get(match.group(1))
            if not isinstance(node, str):
                continue
            raw = _STASH_INDEX.match(node)
            html = str(blocks[int(raw.group(1))]) if raw and int(raw.group(1)) < len(blocks) \
                else node
            if _RAW_A_OPEN.match(html):
                inside = True
            elif _RAW_A_CLOSE.match(html):
                inside = False
        return inside


class NestedLinkProcessor(Treeprocessor):
    """``[https://x.org](https://x.org)``: the label's URL was made a link inside the link;
    keep the outer one only (a link in a link is invalid HTML and clients split it)."""

    def run(self, root: etree.Element) -> None:
        for outer in list(root.iter("a")):
            for parent in outer.iter():
                for index, child in reversed(list(enumerate(parent))):
                    if child.tag == "a":
                        _unwrap(parent, index, child)


def _unwrap(parent: etree.Element, index: int, child: etree.Element) -> None:
    """Replace ``child`` (a bare-URL link: text only) by its text."""
    text = "".join(child.itertext()) + (child.tail or "")
    parent.remove(child)
    if index == 0:
        parent.text = AtomicString((parent.text or "") + text)
    else:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + text


_INLINE_STASH = re.compile("\x02klzzwxh:(\\d+)\x03")
_STASH_INDEX = re.compile("\x02wzxhzdk:(\\d+)\x03")
_RAW_A_OPEN = re.compile(r"<a\b", re.IGNORECASE)
_RAW_A_CLOSE = re.compile(r"</a\s*>", re.IGNORECASE)
FOOTNOTES = {"BACKLINK_TEXT": "\u21a9\ufe0e", "BACKLINK_TITLE": ""}  # text style, not emoji


_FENCE = re.compile(r"^( *)(`{3,}|~{3,})")


class IndentedFencePreprocessor(Preprocessor):
    """A fenced code block indented under a list item (as CommonMark and GitHub allow) is
    rewritten as the indented code block Python-Markdown understands there (its fences only
    work at the start of a line, so it would print as one run-on line of inline code).
    Fences indented by one to three spaces move to the margin. Line count is unchanged, so
    ``check``'s line numbers stay right."""

    def run(self, lines: list[str]) -> list[str]:
        out = list(lines)
        index = 0
        while index < len(out):
            match = _FENCE.match(out[index])
            if not match:
                index += 1
                continue
            indent, fence = len(match.group(1)), match.group(2)
            end = next((j for j in range(index + 1, len(out))
                        if out[j].strip().startswith(fence[0] * len(fence))
                        and not out[j].strip().strip(fence[0])), None)
            if end is None:
                break
            if indent >= 4:
                out[index] = out[end] = ""
                for j in range(index + 1, end):
                    line = out[j]
                    body = line[indent:] if line[:indent].strip() == "" else line.lstrip()
                    out[j] = " " * (indent + 4) + body if line.strip() else ""
            elif indent:
                for j in range(index, end + 1):
                    line = out[j]
                    out[j] = line[indent:] if line[:indent].strip() == "" else line.lstrip()
            index = end + 1
        return out


#: for each inline pattern the converter registers, text one of which any match must contain;
#: a text node holding none of them cannot match any pattern (see QuickInlineProcessor)
INLINE_TRIGGERS: dict[str, tuple[str, ...]] = {
    "backtick": ("`",), "escape": ("\\",), "footnote": ("[^",), "reference": ("[",),
    "link": ("[",), "image_link": ("![",), "image_reference": ("![",),
    "short_reference": ("[",), "short_image_ref": ("![",), "autolink": ("<",),
    "automail": ("<",), "linebreak": ("  \n",), "html": ("<",),
    "bare_urls": ("http://", "https://", "www."), "entity": ("&",), "generic_tags": ("*|",),
    "em_strong": ("*", "_"), "em_strong2": ("_",), "strong": ("*", "_"), "emphasis": ("*",),
    "emphasis2": ("_",), "not_strong": ("*", "_"), "strong_em": ("*", "_"),
}


class QuickInlineProcessor(InlineTreeprocessor):
    """Python-Markdown's inline stage, which tries every inline pattern (17 here) on every
    text node in turn, with one search first: a text holding none of the patterns'
    triggers (most text of a Russian issue: no ``*_[<&`\\``, no URL) is left as it is.

    Only when every registered pattern has known triggers (INLINE_TRIGGERS); a pattern an
    extension adds without them turns the shortcut off. A third of a body's conversion
    time is spent in this stage; tests/render check that the output is the same.
    """

    enabled = True  # tests compare the output with the shortcut off

    def __init__(self, md: Markdown) -> None:
        super().__init__(md)
        self._names: tuple[str, ...] | None = None
        self._quick: re.Pattern[str] | None = None

    def run(self, tree: etree.Element, ancestors: list[str] | None = None) -> etree.Element:
        # the registry's names in priority order (no public accessor); none: no shortcut
        names = tuple(getattr(item, "name", "") for item in
                      getattr(self.inlinePatterns, "_priority", ()))
        if names != self._names:
            self._names = names
            if names and all(name in INLINE_TRIGGERS for name in names):
                triggers = sorted({t for name in names for t in INLINE_TRIGGERS[name]})
                self._quick = re.compile("|".join(map(re.escape, triggers)))
            else:
                self._quick = None
        return super().run(tree, ancestors)

    def _InlineProcessor__handleInline(self, data: str,  # noqa: N802 (the base's name)
                                       patternIndex: int = 0) -> str:  # noqa: N803
        if self.enabled and self._quick is not None and not isinstance(data, AtomicString) and \
                self._quick.search(data) is None:
            return data
        return super()._InlineProcessor__handleInline(data, patternIndex)  # type: ignore[misc]


class NewsletterExtension(Extension):
    """Registers the processors; ``context`` is replaced before each conversion."""

    def __init__(self, typography: bool = False) -> None:
        super().__init__()
        self.typography = typography
        self.context = ConvertContext()

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (Markdown's API name)
        # cell lists must split raw cell text before inline patterns stash the <br> tags (20)
        # after links (160), so a tag inside a link's URL stays part of the link; before
        # the emphasis patterns (70 and below), which would eat the stars
        md.inlinePatterns.register(GenericTagProcessor(r"\*\|[A-Z0-9_]+\|\*", md),
                                   "generic_tags", 75)
        # bare URLs: after links, autolinks and raw HTML (160, 120, 90) have stashed theirs,
        # before emphasis, which would read a URL's underscores or stars
        md.inlinePatterns.register(BareUrlProcessor(BARE_URL, md), "bare_urls", 85)
        md.preprocessors.register(IndentedFencePreprocessor(md), "indented_fences", 28)
        md.treeprocessors.register(QuickInlineProcessor(md), "inline", 20)  # replaces it
        md.treeprocessors.register(CellListProcessor(md), "cell_lists", 25)
        md.treeprocessors.register(NestedLinkProcessor(md), "nested_links", 19)
        md.treeprocessors.register(ImageProcessor(md, self), "newsletter_images", 8)
        md.treeprocessors.register(CellLabelProcessor(md), "cell_labels", 7)
        if self.typography:
            md.treeprocessors.register(TypographyProcessor(md), "typography", 6)
        # after attr_list (8) has added the author's attributes
        md.treeprocessors.register(SafeAttributesProcessor(md), "safe_attributes", 5)


LIBRARY_EXTENSIONS = ("tables", "sane_lists", "attr_list", "fenced_code", "footnotes", "def_list",
                      "abbr")


def make_markdown(typography: bool) -> tuple[Markdown, NewsletterExtension]:
    """A Markdown converter with the newsletter syntax; reuse it with ``reset()``."""
    extension = NewsletterExtension(typography=typography)
    md = Markdown(extensions=[*LIBRARY_EXTENSIONS, extension],
                  extension_configs={"footnotes": FOOTNOTES}, output_format="html")
    return md, extension
