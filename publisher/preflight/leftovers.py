"""Leftovers of writing that must not reach subscribers: placeholders (TK, TODO, XXX, lorem
ipsum), empty links, unreplaced ``{{ }}``; a subject too long for an inbox line; a preheader
that is missing or only repeats the first line (the inbox preview then says it twice).

The Markdown source is scanned line by line, skipping fenced code blocks and code spans
(code may legitimately say TODO or ``{{ name }}``)."""

from __future__ import annotations

import html as html_lib
import re

from publisher.config import Project
from publisher.errors import Location, Problem
from publisher.models import Issue

SUBJECT_MAX = 80
PREHEADER_MIN, PREHEADER_MAX = 40, 130
_PLACEHOLDER = re.compile(r"(?<![\w-])(TK|TODO|FIXME|XXX)(?![\w-])|(lorem\s+ipsum)",
                          re.IGNORECASE)
_EMPTY_TEXT = re.compile(r"(?<!!)\[\s*\]\([^()\n]*\)")
_EMPTY_URL = re.compile(r"\[[^\[\]\n]*\]\(\s*\)")
_JINJA = re.compile(r"\{\{[^{}\n]{0,200}\}\}|\{%[^{}\n]{0,200}%\}")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)[^`]+\1")
_FIRST_PARAGRAPH = re.compile(r"<p\b[^>]*>(.*?)</p>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_WORDS = re.compile(r"[^\w]+")


def leftover_problems(project: Project, issue: Issue, body_html: str) -> list[Problem]:
    where = project.relative(issue.path)
    problems = [Problem(Location(where, line), message)
                for line, message in scan_source(issue.body, issue.body_line)]
    for key in ("title", "preheader"):
        value = issue.title if key == "title" else issue.preheader
        for line, message in scan_source(value, issue.line_of(key) or 1):
            problems.append(Problem(Location(where, line), f"{key}: {message}"))
    if len(issue.title) > SUBJECT_MAX:
        problems.append(Problem(Location(where, issue.line_of("title") or 1),
                                f"subject has {len(issue.title)} characters; inboxes cut it "
                                f"after about {SUBJECT_MAX} (phones after 40)"))
    where_preheader = Location(where, issue.line_of("preheader") or 2)
    if not issue.preheader:
        problems.append(Problem(where_preheader, "no 'preheader': inboxes will preview the "
                                                 "first words of the body instead"))
    elif not PREHEADER_MIN <= len(issue.preheader) <= PREHEADER_MAX:
        problems.append(Problem(where_preheader, f"'preheader' has {len(issue.preheader)} "
                                                 f"characters; {PREHEADER_MIN}–{PREHEADER_MAX} "
                                                 "show best in inboxes"))
    if issue.preheader:
        first = first_paragraph(body_html)
        if first and _same_start(issue.preheader, first):
            problems.append(Problem(where_preheader, "'preheader' repeats the first line of "
                                                     "the body: the inbox preview shows it "
                                                     "twice; say something new"))
    return problems


def scan_source(text: str, first_line: int) -> list[tuple[int, str]]:
    """(line, message) for every leftover in Markdown ``text``."""
    found: list[tuple[int, str]] = []
    fence = ""
    for number, line in enumerate(text.splitlines(), start=first_line):
        opened = _FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = ""
            continue
        if opened:
            fence = opened.group(1)
            continue
        visible = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)
        for match in _PLACEHOLDER.finditer(visible):
            word = match.group(0)
            if match.group(1) and not word.isupper():
                continue  # "todo" and "tk" are words; the placeholders are written in capitals
            found.append((number, f"leftover {word!r}: finish the text before sending"))
        for match in _EMPTY_TEXT.finditer(visible):
            found.append((number, f"empty link text {match.group(0)!r}: readers see nothing "
                                  "to click"))
        for match in _EMPTY_URL.finditer(visible):
            found.append((number, f"link without a URL {match.group(0)!r}"))
        for match in _JINJA.finditer(visible):
            found.append((number, f"unreplaced placeholder {match.group(0)[:40]!r}: readers "
                                  "would see it as is"))
    return found


def first_paragraph(body_html: str) -> str:
    """Text of the body's first paragraph (what an inbox previews after the preheader)."""
    match = _FIRST_PARAGRAPH.search(body_html)
    if not match:
        return ""
    return html_lib.unescape(_TAG.sub("", match.group(1))).strip()


def _same_start(preheader: str, first: str) -> bool:
    a = _WORDS.sub(" ", preheader.casefold()).strip()
    b = _WORDS.sub(" ", first.casefold()).strip()
    if not a or not b:
        return False
    return b.startswith(a) or a.startswith(b)
