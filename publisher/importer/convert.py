"""One old letter (HTML or plain text) -> the article as Markdown, plus what the page said.

lxml parses and rewrites the tree (it is fast, forgiving with 2005's HTML, and already here
under premailer); markdownify writes the Markdown (:mod:`~publisher.importer.tomarkdown`).
Sendsay's ``[% … %]`` tags are swapped for inert ASCII tokens before parsing and put back
in the Markdown, so neither parser nor converter can touch a byte of them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin

from lxml import etree
from lxml import html as lxml_html

from publisher.config import Settings
from publisher.importer import chrome, oldhtml, tables
from publisher.importer.decode import decode_html
from publisher.importer.page import find_date, read_facts
from publisher.importer.tomarkdown import to_markdown

SENDSAY_TAG = re.compile(r"\[%.*?%\]", re.DOTALL)
_TOKEN = re.compile(r"zsstag(\d{5})z")
_WORD_HIDDEN = re.compile(r"<!--\[if[^\]]*\]>.*?<!\[endif\]-->", re.DOTALL | re.IGNORECASE)
_WORD_REVEALED = re.compile(r"<!\[if[^\]]*\]>|<!\[endif\]>", re.IGNORECASE)
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$", re.MULTILINE)


class ConversionError(Exception):
    """A letter that cannot be turned into an article (the reason is the message)."""


@dataclass
class Article:
    markdown: str
    title: str = ""  # from the page (<title>, og:title) or the article's first heading
    date: dt.date | None = None
    aliases: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # chrome texts that were removed
    encoding: str = ""
    base_url: str = ""

    @property
    def images(self) -> list[str]:
        return re.findall(r"!\[[^\]]*\]\(<?([^)\s>]+)", self.markdown)


def convert_bytes(data: bytes, settings: Settings, *, base_url: str = "",
                  local_dir: Path | None = None) -> Article:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConversionError("a binary file, not an HTML page")
    decoded = decode_html(data)
    if not re.search(r"<[A-Za-z!]", decoded.text):  # a saved text letter
        article = convert_text(decoded.text)
        article.encoding = decoded.encoding
        return article
    article = convert_html(decoded.text, settings, base_url=base_url, local_dir=local_dir)
    article.encoding = decoded.encoding
    return article


def convert_html(html: str, settings: Settings, *, base_url: str = "",
                 local_dir: Path | None = None) -> Article:
    """The article of one letter; raise ConversionError when there is none."""
    tags: list[str] = []

    def protect(match: re.Match[str]) -> str:
        tags.append(match.group(0))
        return f"zsstag{len(tags) - 1:05d}z"

    raw = SENDSAY_TAG.sub(protect, html)
    tokens = {f"zsstag{i:05d}z": tag for i, tag in enumerate(tags)}
    cleaned = _WORD_REVEALED.sub("", _WORD_HIDDEN.sub("", raw))
    if not cleaned.strip():
        raise ConversionError("the letter has no HTML")
    try:
        parser = lxml_html.HTMLParser(remove_comments=False, remove_pis=True)
        doc = lxml_html.document_fromstring(cleaned, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ConversionError(f"unreadable HTML ({exc})") from None
    facts = read_facts(raw, doc)
    body = doc.find("body")
    if body is None:
        body = doc
    oldhtml.normalise(body)
    rules = chrome.ChromeRules.from_settings(settings, tokens)
    importer = settings.importer
    chrome.cut_outside(body, importer.article_start, importer.article_end)
    removed = chrome.strip_chrome(body, rules)
    tables.unwrap_layout_tables(body)
    base = base_url or facts.base_url
    if base:
        _absolute_urls(body, base, local_dir)
    _trim(body)
    if not oldhtml.text_of(body) and body.find(".//img") is None:
        raise ConversionError("no article text is left once the newsletter's chrome is removed")
    markdown = to_markdown(etree.tostring(body, encoding="unicode", method="html"))
    markdown = restore_tags(markdown, tags)
    title = _clean_title(facts.title, rules, tokens) or _first_heading(markdown)
    date = facts.date or find_date(" ".join(removed)) or _early_date(markdown)
    return Article(markdown=markdown, title=title, date=date, aliases=list(facts.urls),
                   removed=removed, base_url=base)


def restore_tags(markdown: str, tags: list[str]) -> str:
    """Put the Sendsay tags back; inside a pipe-table row a tag's ``|`` is written ``\\|``
    (the table would split there), which Markdown renders back to ``|``."""
    if not tags:
        return markdown
    lines = markdown.split("\n")
    for index, line in enumerate(lines):
        if "zsstag" in line:
            in_cell = line.lstrip().startswith("|")

            def tag(match: re.Match[str], in_cell: bool = in_cell) -> str:
                value = tags[int(match.group(1))]
                return value.replace("|", "\\|") if in_cell else value
            lines[index] = _TOKEN.sub(tag, line)
    return "\n".join(lines)


def convert_text(text: str) -> Article:
    """A text-only letter: paragraphs at blank lines, lines kept, Markdown escaped."""
    from html import escape

    paragraphs = [p for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]
    html = "".join("<p>" + "<br>".join(escape(line) for line in p.strip().split("\n")) + "</p>"
                   for p in paragraphs)
    markdown = to_markdown(f"<div>{html}</div>")
    return Article(markdown=markdown, title=_first_heading(markdown))


def _absolute_urls(root: etree._Element, base: str, local_dir: Path | None) -> None:
    """Relative links and images against the page's old address; an image saved beside
    the page stays relative (it is copied into issues/images/)."""
    for el in root.iter("a", "img"):
        attr = "href" if el.tag == "a" else "src"
        value = (el.get(attr) or "").strip()
        if not value or re.match(r"^[a-z][a-z0-9+.-]*:|^#|^zsstag", value, re.IGNORECASE):
            continue
        if el.tag == "img" and local_dir is not None and \
                (local_dir / unquote(value.split("?")[0])).is_file():
            continue
        el.set(attr, urljoin(base, value))


def _trim(root: etree._Element) -> None:
    """Empty paragraphs anywhere; decorative lines ("-", "* * *") at the article's edges."""
    for el in list(root.iter("p", "div", "span", "font", "b", "i", "strong", "em", "u")):
        if el.getparent() is None:
            continue
        if not oldhtml.text_of(el) and el.find(".//img") is None and \
                el.find(".//table") is None and el.find(".//hr") is None:
            if el.tag in ("p", "div") or not (el.tail or "").strip():
                chrome._remove(el)
    leaves = [el for el in root.iter() if isinstance(el.tag, str) and oldhtml.is_block(el)
              and el.tag not in ("tr", "tbody", "thead", "td", "th", "body")
              and not any(oldhtml.is_block(d) for d in el.iterdescendants())]
    for order in (leaves, list(reversed(leaves))):
        for el in order:
            if re.search(r"\w", oldhtml.text_of(el)) or el.find(".//img") is not None:
                break
            chrome._remove(el)


def _clean_title(title: str, rules: chrome.ChromeRules, tokens: dict[str, str]) -> str:
    """The page title without the newsletter's or the archive's name around it."""
    if not title or rules.judge(title, []):
        return ""
    parts = [p for p in re.split(r"\s+(?:[-|:»—–]|::)\s+", title) if p.strip()]
    while parts and rules.judge(parts[0], []):
        parts.pop(0)
    while parts and rules.judge(parts[-1], []):
        parts.pop()
    if not parts:
        return ""
    first, last = parts[0], parts[-1]
    start = title.find(first)
    end = title.rfind(last) + len(last)
    return _TOKEN.sub(lambda m: tokens.get(m.group(0), m.group(0)), title[start:end].strip())


def _first_heading(markdown: str) -> str:
    match = _HEADING.search(markdown)
    if not match:
        return ""
    text = re.sub(r"\\(.)", r"\1", match.group(1))
    return re.sub(r"[*_`]", "", text).strip()


def _early_date(markdown: str) -> dt.date | None:
    """A date in the article's first lines (old letters often open with it)."""
    return find_date("\n".join(markdown.splitlines()[:3]))
