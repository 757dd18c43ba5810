"""Checks over a built site: links resolve, HTML is balanced, nothing external is loaded."""

from __future__ import annotations

import posixpath
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
#: elements whose end tag HTML lets an author leave out; our templates never do
_URL_ATTRS = {("a", "href"), ("link", "href"), ("script", "src"), ("img", "src"),
              ("form", "action")}


class PageParser(HTMLParser):
    """Collects URLs, ids and tag-balance problems of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, dict]] = []
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.ids: list[str] = []
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if "id" in attributes:
            self.ids.append(attributes["id"])
        for name, value in attrs:
            if (tag, name) in _URL_ATTRS and value is not None:
                self.urls.append((tag, value, attributes))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else ''}>")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()


def parse(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def resolve(site: Path, page: str, url: str, base_url: str) -> Path | None:
    """The file a URL on ``page`` points to inside the site, or None when external."""
    if url.startswith(base_url):
        target = url[len(base_url):]
    else:
        parts = urlsplit(url)
        if parts.scheme or parts.netloc:
            return None
        if url.startswith("#"):
            return site / page
        base_path = urlsplit(base_url).path
        if parts.path.startswith("/"):
            target = parts.path[len(base_path):] if parts.path.startswith(base_path) else \
                "/nonexistent" + parts.path
        else:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(page), parts.path))
            if parts.path.endswith("/") or parts.path == "":
                target += "/"
    target = unquote(urlsplit(target).path)
    if target in (".", "./", "", "/"):
        target = ""
    path = site / target.lstrip("/")
    if target.endswith("/") or target == "" or path.is_dir():
        path = path / "index.html"
    return path


def check_site(site: Path, base_url: str) -> list[str]:
    """Every problem of every HTML page: broken internal links, unbalanced tags, external
    resources loaded by a page, duplicate ids."""
    problems = []
    for file in sorted(site.rglob("*.html")):
        page = file.relative_to(site).as_posix()
        parser = parse(file)
        problems += [f"{page}: {p}" for p in parser.problems]
        if parser.stack and parser.stack != []:
            problems.append(f"{page}: unclosed {parser.stack}")
        duplicates = {i for i in parser.ids if parser.ids.count(i) > 1}
        if duplicates:
            problems.append(f"{page}: duplicate ids {duplicates}")
        for tag, url, attributes in parser.urls:
            target = resolve(site, page, url, base_url)
            loads = tag in ("script", "img") or (tag == "link" and
                                                 attributes.get("rel") == "stylesheet")
            if target is None:
                if loads:
                    problems.append(f"{page}: external resource {url}")
                continue
            if tag == "link" and attributes.get("rel") in ("canonical", "alternate", "prev",
                                                           "next"):
                pass  # absolute URLs of the live site, still must exist in it
            if not target.is_file():
                problems.append(f"{page}: <{tag}> {url} -> {target.relative_to(site)} missing")
    return problems


def pagefind_fragments(site: Path) -> list[dict]:
    """The documents of the site's Pagefind index, decoded (url, content, filters, meta)."""
    import gzip
    import json

    out = []
    for path in sorted((site / "pagefind" / "fragment").glob("*.pf_fragment")):
        data = gzip.decompress(path.read_bytes())
        assert data.startswith(b"pagefind_dcd"), path
        out.append(json.loads(data[len(b"pagefind_dcd"):]))
    return out
