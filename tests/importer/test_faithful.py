"""Faithfulness on generated letters: every word survives, in order, once rendered again.

Letters are generated (a fixed seed, so a failure repeats) from the pieces old letters are
made of — paragraphs, ``<br>`` soup, ``<font>``, emphasis, links, headings, lists nested
two deep, data tables with lists in cells, layout tables around it all — with text full of
what Markdown would misread (``*``, ``_``, ``#``, ``1.``, ``-``, ``|``, ``<``, ``&``,
``[``). Imported and rendered back, the words must be the source's words in the same
order: conversion may change whitespace only.
"""

from __future__ import annotations

import random
import re
from html import escape

import lxml.html
import pytest

from publisher.config import load_project
from publisher.importer.convert import convert_html
from publisher.render.body import markdown_to_html
from tests.fixtures_project import ROOT

WORDS = ("продажа", "клиент", "менеджер", "база", "звонок", "встреча", "маржа", "план",
         "отдел", "цель", "этап", "2010", "15%", "A.S.", "e-mail", "KPI")
TRICKY = ("*звёздочка*", "_подчёркнуто_", "#решётка", "1.", "2)", "-", "+", "|", "<тег>",
          "&amp;", "[скобка]", "(круглая)", "`код`", "\\", ">", "!", "~", "=", "**", "__")


def _text(rng: random.Random, words: int) -> str:
    # a real word in every piece: a block of nothing but punctuation at the letter's edge
    # is a decorative line ("-" under the masthead), which import drops on purpose
    out = [rng.choice(WORDS)]
    for _ in range(words - 1):
        out.append(rng.choice(TRICKY) if rng.random() < 0.25 else rng.choice(WORDS))
    return " ".join(out)


def _inline(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 4)):
        text = escape(_text(rng, rng.randint(1, 6)))
        kind = rng.random()
        if kind < 0.15:
            parts.append(f"<b>{text}</b>")
        elif kind < 0.3:
            parts.append(f"<i>{text}</i>")
        elif kind < 0.4:
            parts.append(f'<a href="https://example.org/p?{rng.randint(1, 99)}">{text}</a>')
        elif kind < 0.5:
            parts.append(f'<font face="Arial" size="2">{text}</font>')
        elif kind < 0.55:
            parts.append(f'<span style="font-weight:bold">{text}</span>')
        elif kind < 0.6:
            parts.append(f"{text}&nbsp;&nbsp;")
        else:
            parts.append(text)
    return " ".join(parts)


def _list(rng: random.Random, depth: int = 0) -> str:
    tag = rng.choice(("ul", "ol"))
    items = []
    for _ in range(rng.randint(1, 4)):
        nested = _list(rng, depth + 1) if depth < 1 and rng.random() < 0.3 else ""
        items.append(f"<li>{_inline(rng)}{nested}</li>")
    return f"<{tag}>{''.join(items)}</{tag}>"


def _table(rng: random.Random) -> str:
    columns = rng.randint(2, 4)
    rows = []
    for row in range(rng.randint(2, 4)):
        cells = []
        for _ in range(columns):
            if row and rng.random() < 0.3:
                items = "".join(f"<li>{escape(_text(rng, rng.randint(1, 4)))}</li>"
                                for _ in range(rng.randint(1, 3)))
                cells.append(f"<td><{rng.choice(('ul', 'ol'))}>{items}</ul></td>")
            else:
                cells.append(f"<td>{_inline(rng)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return '<table border="1">' + "".join(rows) + "</table>"


def _letter(rng: random.Random) -> str:
    blocks = []
    for _ in range(rng.randint(3, 9)):
        kind = rng.random()
        if kind < 0.35:
            blocks.append(f"<p>{_inline(rng)}</p>")
        elif kind < 0.5:
            blocks.append(f"{_inline(rng)}<br>{_inline(rng)}<br><br>")
        elif kind < 0.6:
            blocks.append(f"<b><font size=4>{escape(_text(rng, 3))}</font></b><br><br>")
        elif kind < 0.75:
            blocks.append(_list(rng))
        elif kind < 0.85:
            blocks.append(_table(rng))
        elif kind < 0.9:
            blocks.append(f"<blockquote>{_inline(rng)}</blockquote>")
        elif kind < 0.93:
            blocks.append(f"<center>{_inline(rng)}</center><p>&nbsp;</p>")
        elif kind < 0.96:
            blocks.append(f"<h3>{escape(_text(rng, 3))}</h3><div>{_inline(rng)}<br>"
                          f"{_inline(rng)}</div>")
        else:  # two columns of a layout table: read left, then right
            blocks.append(f"<table><tr><td><p>{_inline(rng)}</p></td>"
                          f"<td>{_inline(rng)}<br><br>{_inline(rng)}</td></tr></table>")
    article = "\n".join(blocks)
    if rng.random() < 0.5:  # the letter's frame
        article = f'<table width="600"><tr><td>{article}</td></tr></table>'
    return f"<html><body>{article}</body></html>"


def _words(text: str) -> list[str]:
    text = text.replace("\u00a0", " ")
    text = re.sub(r"[«»“”„\"]", '"', text)
    text = re.sub(r"[—–]", "-", text)
    return text.split()


def _source_words(html: str) -> list[str]:
    return _words(" ".join(lxml.html.document_fromstring(html).itertext()))


@pytest.mark.parametrize("seed", range(60))
def test_every_word_survives_in_order(seed: int) -> None:
    project = load_project(ROOT)
    rng = random.Random(seed)
    html = _letter(rng)
    markdown = convert_html(html, project.settings).markdown
    rendered, _ = markdown_to_html(markdown, project)
    root = lxml.html.fragment_fromstring(rendered, create_parent="div")
    for label in root.find_class("cell-label"):
        label.drop_tree()  # the stacked layout's copy of the column header
    got = _words(" ".join(root.itertext()))
    assert got == _source_words(html), f"seed {seed}:\n{html}\n---\n{markdown}"
