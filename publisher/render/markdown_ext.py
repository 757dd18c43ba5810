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
* **Typography.** Language rules (:mod:`publisher.render.typography`) on text nodes only.
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
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

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
            table.set("class", (table.get("class", "") + " stackable").strip())
            for row in table.iterfind("tbody/tr"):
                for index, cell in enumerate(row):
                    if index >= len(headers) or not headers[index]:
                        continue
                    label = etree.Element("span", {"class": "cell-label"})
                    label.text = AtomicString(headers[index])
                    label.tail = cell.text
                    cell.text = None
                    cell.insert(0, label)


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
            context.images.append(ImageRef(src=src, url=url, alt=img.get("alt", ""),
                                           line=self._line_of(src), local_path=local))

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


class GenericTagProcessor(InlineProcessor):
    """Keep publisher's ``*|NAME|*`` tags as text: Markdown would read their stars as emphasis
    (``<em>|NAME|</em>``) and the SMTP/outbox backends could no longer fill them."""

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[str, int, int]:  # noqa: N802
        return m.group(0), m.start(0), m.end(0)


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
        md.treeprocessors.register(CellListProcessor(md), "cell_lists", 25)
        md.treeprocessors.register(ImageProcessor(md, self), "newsletter_images", 8)
        md.treeprocessors.register(CellLabelProcessor(md), "cell_labels", 7)
        if self.typography:
            md.treeprocessors.register(TypographyProcessor(md), "typography", 6)


def make_markdown(typography: bool) -> tuple[Markdown, NewsletterExtension]:
    """A Markdown converter with the newsletter syntax; reuse it with ``reset()``."""
    extension = NewsletterExtension(typography=typography)
    md = Markdown(extensions=["tables", "sane_lists", "attr_list", extension],
                  output_format="html")
    return md, extension
