"""The ESP's and the newsletter's chrome around an old article, found and removed.

Chrome is what the templates add to every issue anyway: the web-version bar ("Все выпуски"),
the sender line, the masthead with the newsletter's title, the site menu, the list of
newsletters with subscribe links, the business-library block, the signature, the footer,
unsubscribe text. It is recognised from what ``newsletter.yaml`` already says — menu titles
and URLs, series titles, sender and footer, the library's texts — plus phrases ESPs put in
every letter, plus the author's own ``importer:`` patterns.

The unit is a block (a paragraph, a cell, a ``<div>``, a line between ``<br>`` at the edge of
a paragraph). A block is chrome when its words are *all* chrome — known phrases and the text
of links to known chrome addresses — and there is real evidence: a strong phrase (a series
title, a line of the footer or the library text, an ESP phrase) or a chrome link. Short
menu words ("Главная", "Контакты") alone are never evidence, so an article paragraph that
happens to say "Внимание!" stays, and so does a sentence that links to the newsletter's own
page. Blocks are judged from the outside in: the largest all-chrome block goes whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

from publisher.config import Settings
from publisher.importer.oldhtml import (WHITESPACE, collapse, is_block, lines_of, rebuild_lines,
                                       text_of)

#: phrases ESPs and old archives put around every letter (strong evidence)
ESP_PHRASES = (
    "Отправляет email-рассылки с помощью сервиса Sendsay", "Все выпуски", "Архив рассылки",
    "Архив выпусков", "Рассылки Subscribe.Ru", "Subscribe.Ru", "В избранное",
    "Отписаться", "Отписаться от рассылки", "Подписаться", "Подписаться на рассылку",
    "Веб-версия", "Web-версия", "Открыть в браузере", "Посмотреть в браузере",
    "Версия для печати", "Переслать другу", "Рекомендовать другу",
    "Если письмо отображается некорректно", "Если письмо отображается неправильно",
    "Если письмо не отображается", "Вы получили это письмо", "Sendsay",
    "Рассылка", "Рассылки", "Выпуск", "Управление подпиской", "Изменить настройки подписки",
    "View in browser", "Unsubscribe", "Forward to a friend",
)
#: block texts that are chrome whatever else they say (short lines only)
ESP_PATTERNS = (
    r"(?:подписан адрес|адрес подписки|код этой рассылки|чтобы отписаться|"
    r"вы получили это письмо|вы подписаны на|если вы не хотите (?:больше )?получать|"
    r"отписаться от рассылки|для отписки|рассылка (?:сайта|компании)|"
    r"to unsubscribe|you received this|you are receiving).{0,300}",
    r"(?:выпуск|номер|issue)\s*(?:№|#|no\.?|n)?\s*\d+[\s,.:]*(?:от\s+)?[\w .,:-]{0,40}",
    r"(?:©|\(c\)|copyright)\s*[\w .,:«»\"-]{0,100}",
    # a masthead's date alone on its line: 16.02.2009, 2009-02-16, 16 февраля 2009 г.
    r"(?:от\s+)?(?:\d{1,2}[./]\d{1,2}[./]\d{4}|\d{4}-\d\d-\d\d|\d{1,2}\s+[а-я]+\s+\d{4})"
    r"(?:\s*г\.?)?",
)
CHROME, WEAK, CONTENT = "chrome", "weak", "content"
_URL_PATTERNS = re.compile(
    r"unsubscribe|unsub|/optout|subscribe\.ru|sendsay\.ru|param\.url_unsub|"
    r"param\.issue_archive_url|/catalog/|#unsub", re.IGNORECASE)
_WORDS = re.compile(r"[\W_]+")


def words(text: str) -> str:
    """Case-folded words separated by single spaces: what chrome matching compares."""
    return _WORDS.sub(" ", text.casefold()).strip()


def url_key(url: str) -> str:
    """A URL without scheme, ``www.``, query and trailing slash, for comparing addresses."""
    url = url.strip().lower()
    url = re.sub(r"^[a-z]+://", "", url)
    url = re.sub(r"^www\.", "", url)
    return url.split("?")[0].split("#")[0].rstrip("/")


@dataclass
class ChromeRules:
    """What chrome looks like for one newsletter folder."""

    strong: list[str] = field(default_factory=list)  # word strings, longest first
    weak: list[str] = field(default_factory=list)
    urls: set[str] = field(default_factory=set)  # url_key() of chrome links
    url_prefixes: tuple[str, ...] = ()
    patterns: list[re.Pattern[str]] = field(default_factory=list)  # full-match, collapsed text
    tokens: dict[str, str] = field(default_factory=dict)  # protected Sendsay tag -> tag

    @property
    def _known(self) -> set[str]:
        if not hasattr(self, "_known_cache"):
            self._known_cache = {*self.strong, *self.weak}
        return self._known_cache

    @classmethod
    def from_settings(cls, settings: Settings, tokens: dict[str, str] | None = None
                      ) -> ChromeRules:
        strong: set[str] = set()
        weak: set[str] = set()
        urls: set[str] = set()

        def add(text: str, into: set[str]) -> None:
            for piece in [text, *re.split(r"\n\s*\n|\n|(?<=[.!?])\s+", text)]:
                key = words(piece.replace("{series}", " "))
                if key:
                    into.add(key)

        site = settings.site
        add(site.title, strong)
        for series in settings.series:
            add(series.title, strong)
            if series.subscribe_url:
                urls.add(url_key(series.subscribe_url))
        add(settings.sender.name, strong)
        footer = settings.footer
        add(footer.publisher, strong)
        for part in footer.reason.split("{series}"):
            add(part, strong)
        for contact in footer.contacts:
            add(contact.title, weak)
            urls.add(url_key(contact.url))
        if footer.unsubscribe_url:
            urls.add(url_key(footer.unsubscribe_url.split("{")[0]))
        for link in _walk_links(settings.navigation):
            add(link.title, weak)
            urls.add(url_key(link.url))
        library = settings.library
        if library is not None:
            add(library.title, strong)
            add(library.text, strong)
            add(library.link_text, strong)
            add(library.heading, weak)
            urls.add(url_key(library.url))
        for phrase in ESP_PHRASES:
            add(phrase, strong)
        importer = settings.importer
        patterns = [re.compile(p, re.IGNORECASE | re.DOTALL)
                    for p in (*ESP_PATTERNS, *importer.chrome)]
        # a phrase that is one short word is only strong when nobody would write it alone
        for phrase in list(strong):
            if len(phrase) < 4:
                strong.discard(phrase)
                weak.add(phrase)
        return cls(strong=sorted(strong, key=len, reverse=True),
                   weak=sorted(weak - strong, key=len, reverse=True),
                   urls={u for u in urls if u}, url_prefixes=tuple(importer.chrome_links),
                   patterns=patterns, tokens=dict(tokens or {}))

    # ---- judging one block

    def link_kind(self, href: str) -> str | None:
        """``esp``: only chrome links there (unsubscribe, the ESP, the author's prefixes);
        ``site``: one of the newsletter's own addresses (menu, series pages, library), which
        an article may link too; None: any other address."""
        href = self._untoken(href or "")
        if not href:
            return None
        if _URL_PATTERNS.search(href) or any(href.startswith(p) for p in self.url_prefixes):
            return "esp"
        return "site" if url_key(href) in self.urls else None

    def is_chrome_link(self, href: str) -> bool:
        return self.link_kind(href) is not None

    def judge(self, text: str, links: Iterable[tuple[str, str]]) -> bool:
        """Whether a block with this visible text and these (href, link text) is chrome."""
        return self.verdict(text, links) == CHROME

    def verdict(self, text: str, links: Iterable[tuple[str, str]]) -> str:
        """CHROME, WEAK (only menu words, no evidence: chrome when beside chrome) or
        CONTENT."""
        shown = collapse(self._untoken(text))
        if not shown:
            return CONTENT
        if any(p.fullmatch(shown) for p in self.patterns):
            return CHROME
        residual = f" {words(shown)} "
        evidence = False
        known = self._known
        for href, link_text in links:
            key = words(self._untoken(link_text))
            kind = self.link_kind(href)
            if kind is None:
                continue
            if not key:
                evidence = True  # an image linked to the site, in a block of chrome words
            elif f" {key} " in residual and (kind == "esp" or key in known):
                # a menu title linking to the menu's page; but "Записаться на тренинг"
                # linking to the same page is the article's own call to action
                residual = residual.replace(f" {key} ", " ", 1)
                evidence = True
        for phrase in self.strong:
            if f" {phrase} " in residual:
                residual = residual.replace(f" {phrase} ", " ")
                evidence = True
        whole = f" {words(shown)} "
        if not evidence and len(whole.split()) >= 3 and any(whole in f" {p} "
                                                              for p in self.strong):
            return CHROME  # one line of a longer known text (the library's, split up)
        for phrase in self.weak:
            residual = residual.replace(f" {phrase} ", " ")
        if residual.strip():
            return CONTENT
        return CHROME if evidence else WEAK

    def element_verdict(self, el: etree._Element) -> str:
        links = [(a.get("href", ""), text_of(a)) for a in el.iter("a")]
        return self.verdict(text_of(el), links)

    def judge_element(self, el: etree._Element) -> bool:
        return self.element_verdict(el) == CHROME

    def _untoken(self, text: str) -> str:
        if not self.tokens or "sstag" not in text:
            return text
        for token, tag in self.tokens.items():
            text = text.replace(token, tag)
        return text


def _walk_links(links):  # type: ignore[no-untyped-def]
    for link in links:
        yield link
        yield from _walk_links(link.children)


# --------------------------------------------------------------------------- removal


def strip_chrome(root: etree._Element, rules: ChromeRules) -> list[str]:
    """Remove every chrome block (outermost first); return their texts (for the report)."""
    removed: list[str] = []

    def visit(el: etree._Element) -> None:
        children = [c for c in el if isinstance(c.tag, str)]
        verdicts = [rules.element_verdict(c)
                    if is_block(c) and c.tag not in ("tbody", "thead", "tfoot") else CONTENT
                    for c in children]
        for index, verdict in enumerate(verdicts):  # "Внимание!" above the library block
            if verdict == WEAK and CHROME in verdicts[max(0, index - 1): index + 2]:
                verdicts[index] = CHROME
        for child, verdict in zip(children, verdicts):
            if verdict == CHROME:
                removed.append(text_of(child))
                _remove(child)
            else:
                visit(child)

    visit(root)
    for para in list(root.iter("p", "div", "td", "th", "li")):
        removed.extend(trim_lines(para, rules))
    return removed


def trim_lines(block: etree._Element, rules: ChromeRules) -> list[str]:
    """Chrome lines (between ``<br>``) at the start or end of a block that is not chrome."""
    if block.find("br") is None or any(is_block(k) for k in block):
        return []
    lines = lines_of(block)
    removed: list[str] = []

    def chrome(line: list[object]) -> bool:
        text = "".join(x if isinstance(x, str) else "".join(x.itertext()) + (x.tail or "")
                       for x in line)
        links = []
        for x in line:
            if isinstance(x, etree._Element):
                links += [(a.get("href", ""), text_of(a)) for a in x.iter("a")]
        if rules.judge(text, links):
            removed.append(collapse(text))
            return True
        return not collapse(text)

    while lines and chrome(lines[-1]):
        lines.pop()
    while lines and chrome(lines[0]):
        lines.pop(0)
    if removed:
        rebuild_lines(block, lines)
    return removed


def _remove(el: etree._Element) -> None:
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail and tail.strip(WHITESPACE):
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


# --------------------------------------------------------------------------- the author's markers


def cut_outside(root: etree._Element, start: str, end: str) -> None:
    """Drop what lies before the block matching ``start`` and from the one matching ``end``."""
    blocks = [el for el in root.iter() if isinstance(el.tag, str) and is_block(el)
              and not any(is_block(d) for d in el.iterdescendants())]
    if start:
        pattern = re.compile(start, re.IGNORECASE)
        first = next((b for b in blocks if pattern.search(text_of(b))), None)
        if first is not None:
            _cut(first, before=True)
    if end:
        pattern = re.compile(end, re.IGNORECASE)
        last = next((b for b in blocks if b.getparent() is not None
                     and _attached(b, root) and pattern.search(text_of(b))), None)
        if last is not None:
            _cut(last, before=False)


def _attached(el: etree._Element, root: etree._Element) -> bool:
    while el is not None:
        if el is root:
            return True
        el = el.getparent()
    return False


def _cut(mark: etree._Element, *, before: bool) -> None:
    """Remove everything before ``mark`` (before=True) or ``mark`` and everything after."""
    node = mark
    if not before:
        for sibling in list(node.itersiblings()):
            node.getparent().remove(sibling)
        node.tail = None
        parent = node.getparent()
        parent.remove(node)
        node = parent
    while node.getparent() is not None:
        parent = node.getparent()
        if before:
            for sibling in list(node.itersiblings(preceding=True)):
                parent.remove(sibling)
            parent.text = None
        else:
            for sibling in list(node.itersiblings()):
                parent.remove(sibling)
            node.tail = None
        node = parent
