"""Markdown that would hang or overflow Python-Markdown is refused with its line, quickly.

The cases of issue 10 (10,000 nested list levels, 2,000 nested ordered lists, growing '>'
depth, '[' x50,000, '[a](' x20,000, 5,000-deep '[[[...]]]', 300 nested levels that raised
RecursionError) at full size, plus the same shapes just past each limit, so the depth rules
are tested and not only the size cap.
"""

from __future__ import annotations

import pytest

from publisher.render import limits
from tests.fixtures_project import DEFAULT_ISSUE, issue_text
from tests.hostile.helpers import assert_clean_failure, invoke

ISSUE = DEFAULT_ISSUE
BODY_LINE = 8  # issue_text(): five fields between the '---' lines


def nested_list(levels: int, indent: str = "    ", marker: str = "-") -> str:
    return "".join(indent * i + f"{marker} x\n" for i in range(levels))


CASES = {
    "list 10,000 levels": nested_list(10_000, "  "),
    "ordered 2,000 levels": nested_list(2_000, "   ", "1."),
    "quotes growing 3,000": "".join(">" * i + " x\n" for i in range(1, 3000)),
    "[ x50,000": "[" * 50_000,
    "[a]( x20,000": "[a](" * 20_000,
    "[[[ 5,000 deep": "[" * 5000 + "x" + "]" * 5000,
    "list 300 levels": nested_list(300),
    "list just too deep": nested_list(limits.MAX_LIST_DEPTH + 1),
    "ordered just too deep": nested_list(limits.MAX_LIST_DEPTH + 1, "    ", "1."),
    "quotes just too deep": "> " * (limits.MAX_QUOTE_DEPTH + 1) + "x\n",
    "brackets just too deep": "[" * (limits.MAX_BRACKET_DEPTH + 1) + "x"
                              + "]" * (limits.MAX_BRACKET_DEPTH + 1),
    "too many [": "[x] " * (limits.MAX_BRACKETS + 1),
    "too many <": "a < b " * (limits.MAX_ANGLES + 1),
    "too long": "слово " * (limits.MAX_CHARS // 6 + 10),
    "control character": "текст \x01 текст\n",
    "items opened on one line": "+ " * 2000 + "x\n",  # found by the property suite
    "quotes and items on one line": "> - " * 300 + "x\n",
    "list in quotes too deep": "> " * 5 + nested_list(limits.MAX_LIST_DEPTH + 1).replace(
        "\n", "\n" + "> " * 5),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_markdown_is_one_line_through_check(project, name: str) -> None:  # type: ignore[no-untyped-def]
    root = project({ISSUE: issue_text("Абзац.\n\n" + CASES[name])})
    result = invoke(root, "check")
    assert_clean_failure(result, f"{ISSUE}:")
    line = int(next(line for line in result.output.splitlines()
                    if line.startswith("Error:")).split(":")[2])
    assert BODY_LINE <= line <= BODY_LINE + 3000


@pytest.mark.parametrize("name", ["list 300 levels", "[ x50,000"])
def test_render_and_build_refuse_it_too(project, name: str) -> None:  # type: ignore[no-untyped-def]
    root = project({ISSUE: issue_text(CASES[name], status="published")})
    assert_clean_failure(invoke(root, "render", ISSUE, "--out", str(root / "out")), ISSUE)
    assert_clean_failure(invoke(root, "build", "--out", str(root / "_site")), ISSUE)
    assert not (root / "out").exists() and not (root / "_site").exists()


def test_the_line_is_the_one_that_goes_too_deep() -> None:
    body = "Абзац.\n\n" + nested_list(limits.MAX_LIST_DEPTH + 5)
    assert limits.body_problems(body, 10) == [
        (10 + 2 + limits.MAX_LIST_DEPTH, f"lists nested more than {limits.MAX_LIST_DEPTH} "
                                         "levels deep; flatten the list")]


@pytest.mark.parametrize("body", [
    nested_list(limits.MAX_LIST_DEPTH),
    "> " * limits.MAX_QUOTE_DEPTH + "x\n",
    "[" * limits.MAX_BRACKET_DEPTH + "x" + "]" * limits.MAX_BRACKET_DEPTH,
    "\n\n".join("[ссылка](https://example.org/) " * 50 for _ in range(200)),
    "```\n" + "\n".join(" " * 40 + "code" for _ in range(10)) + "\n```\n",
    "Табуляция\tи\r\nпереводы строк.\n",
])
def test_ordinary_bodies_pass(body: str) -> None:
    assert limits.body_problems(body) == []


def test_limits_leave_a_newsletter_renderable(project) -> None:  # type: ignore[no-untyped-def]
    root = project({ISSUE: issue_text(nested_list(limits.MAX_LIST_DEPTH))})
    result = invoke(root, "render", ISSUE, "--out", str(root / "out"))
    assert result.exit_code == 0, result.output
