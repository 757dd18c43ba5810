"""The inline stage's shortcut (markdown_ext.QuickInlineProcessor) changes nothing but speed.

A text node without any inline pattern's trigger is left alone instead of being tried
against every pattern; these convert the same Markdown with the shortcut on and off and
demand identical HTML: the layout corpus, the sample, and generated text dense in the
characters the triggers are made of (and in Cyrillic, where most text has none).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from publisher.config import load_project
from publisher.load import load_issue
from publisher.render import markdown_to_html
from publisher.render.markdown_ext import INLINE_TRIGGERS, QuickInlineProcessor, make_markdown
from tests.render.corpus import issue_paths

ROOT = Path(__file__).resolve().parent.parent.parent


def both_ways(source: str, project, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
              **kwargs) -> tuple[str, str]:
    quick, _ = markdown_to_html(source, project, **kwargs)
    with monkeypatch.context() as patched:
        patched.setattr(QuickInlineProcessor, "enabled", False)
        slow, _ = markdown_to_html(source, project, **kwargs)
    return quick, slow


@pytest.mark.parametrize("path", issue_paths(), ids=lambda p: p.stem)
def test_every_corpus_issue_converts_the_same(path: Path, monkeypatch) -> None:
    project = load_project(path.parent.parent)
    issue = load_issue(path, project)
    quick, slow = both_ways(issue.body, project, monkeypatch, source_dir=path.parent,
                            first_line=issue.body_line)
    assert quick == slow


def test_every_registered_pattern_has_triggers() -> None:
    """A new Python-Markdown or extension pattern without triggers turns the shortcut off
    (safe, but slow): this says so, so the table gets the new name."""
    for typography in (False, True):
        md, _ = make_markdown(typography)
        names = [item.name for item in md.inlinePatterns._priority]
        assert names and all(name in INLINE_TRIGGERS for name in names), names
        assert isinstance(md.treeprocessors["inline"], QuickInlineProcessor)


#: text none of the triggers is made of, and pieces that each hold one (or more)
PLAIN = ["привет", "ёлка", "слово", "Word", " ", ".", ",", "—", "1.", "- ", "> ", "#", ":", "|",
         "---", "\n", "\n\n", "(", ")", "!", "]", ">", ";", "^", "~", "{: .x}", '"', "'", "    ",
         "a@b.ru", "mailto:", "ftp.", "wwwx", "htt"]
SPECIAL = ["*", "**", "_", "__", "`", "``", "\\", "[", "<", "&", "&amp;", "&#1;", "&laquo;",
           "  \n", "http://a.ru/x_y", "https://b.ru", "www.", "www.b.ru", "<b>", "</b>",
           "<!-- c -->", "[^1]", "[x]: /y", "![a](b.png)", "[a](/b)", "<http://c.ru>",
           "<a@b.ru>", "*|FNAME|*", "\\*"]


@settings(max_examples=400, deadline=None)
@example(["привет", "слово"], [(1, "  \n")])  # a line break alone in a paragraph
@example(["привет", " ", "слово"], [(1, "https://b.ru")])
@example(["привет", " ", "слово"], [(2, "&laquo;")])
@given(st.lists(st.sampled_from(PLAIN), min_size=1, max_size=30),
       st.lists(st.tuples(st.integers(0, 30), st.sampled_from(SPECIAL)), max_size=2))
def test_generated_markdown_converts_the_same(plain: list[str],
                                              special: list[tuple[int, str]]) -> None:
    """Mostly plain text, with at most two trigger-bearing pieces: the cases where the
    shortcut decides alone (a paragraph with none) and next to one that needs the patterns."""
    pieces = list(plain)
    for where, piece in special:
        pieces.insert(min(where, len(pieces)), piece)
    source = "".join(pieces)
    project = _sample_project()
    quick, _ = markdown_to_html(source, project)
    QuickInlineProcessor.enabled = False
    try:
        slow, _ = markdown_to_html(source, project)
    finally:
        QuickInlineProcessor.enabled = True
    assert quick == slow, source


_PROJECT = []


def _sample_project():  # type: ignore[no-untyped-def]
    if not _PROJECT:
        _PROJECT.append(load_project(ROOT))
    return _PROJECT[0]
