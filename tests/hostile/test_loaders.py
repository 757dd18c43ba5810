"""The YAML loader's limits, one case per hostile input of issue 10, at their lines.

Each case runs through the CLI (``check``) on a temporary newsletter: exit 1, one
``path:line: message`` per problem, no traceback, and (for the hangs) a bounded time that the
Hypothesis suite's deadline watches; here the loader itself is also called directly.
"""

from __future__ import annotations

import pytest

from publisher.errors import PublisherError
from publisher.yamlfile import MAX_DEPTH, parse_yaml
from tests.fixtures_project import DEFAULT_ISSUE, config_data
from tests.hostile.helpers import assert_clean_failure, invoke

ISSUE = DEFAULT_ISSUE
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8))


def front(*lines: str, body: str = "Текст.\n") -> str:
    return ("---\ntitle: Привет\ndate: 2025-01-15\nseries: news\nnumber: 1\n"
            + "".join(line + "\n" for line in lines) + "---\n" + body)


def problem_of(text: str) -> str:
    with pytest.raises(PublisherError) as caught:
        parse_yaml(text, "f.yaml")
    return "\n".join(caught.value.lines())


def test_alias_bomb_is_refused_quickly() -> None:
    # 9**6 values at 'f' (line 6): past the budget, before 'i' would make 9**9
    assert "f.yaml:6: too many values" in problem_of(BOMB)


def test_alias_bomb_in_front_matter_even_unused(project) -> None:  # type: ignore[no-untyped-def]
    root = project({ISSUE: front(*BOMB.splitlines())})
    # the bomb's keys are unknown fields too, but the loader stops at the bomb first
    assert_clean_failure(invoke(root, "check"), f"{ISSUE}:11: too many values")


def test_alias_bomb_in_config(project) -> None:  # type: ignore[no-untyped-def]
    root = project()
    config = root / "newsletter.yaml"
    config.write_text(config.read_text(encoding="utf-8") + BOMB.replace("a:", "zz:", 1),
                      encoding="utf-8")
    assert_clean_failure(invoke(root, "check"), "newsletter.yaml:", "too many values")


def test_shared_values_are_still_fine() -> None:
    data, _ = parse_yaml("base: &b {title: x}\ncopy: *b\nmore: {<<: *b, url: y}\n", "f.yaml")
    assert data["copy"] == {"title": "x"} and data["more"] == {"title": "x", "url": "y"}


@pytest.mark.parametrize("text", ["tags: &a [*a]\n", "m: &m {k: *m}\n"])
def test_recursive_alias(text: str) -> None:
    assert "f.yaml:1: an alias refers to the value it is part of" in problem_of(text)


def test_recursive_alias_through_the_cli(project) -> None:  # type: ignore[no-untyped-def]
    root = project({ISSUE: front("tags: &a [*a]")})
    assert_clean_failure(invoke(root, "check"), f"{ISSUE}:6: an alias refers")


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 999, 5000, 100_000])
def test_deep_nesting(depth: int) -> None:
    message = problem_of("k: " + "[" * depth + "]" * depth + "\n")
    assert "f.yaml:1:" in message and "nested" in message


def test_duplicate_keys_are_errors_at_their_line(project) -> None:  # type: ignore[no-untyped-def]
    root = project({ISSUE: front("number: 2")})
    assert_clean_failure(invoke(root, "check"),
                         f"{ISSUE}:6: duplicate key 'number' (also at line 5)")


def test_duplicate_key_in_config(project) -> None:  # type: ignore[no-untyped-def]
    root = project()
    config = root / "newsletter.yaml"
    text = config.read_text(encoding="utf-8").replace("site:\n", "site:\n  title: Другое\n", 1)
    config.write_text(text, encoding="utf-8")
    assert_clean_failure(invoke(root, "check"), "newsletter.yaml:", "duplicate key 'title'")


@pytest.mark.parametrize("key, kind", [("12", "a number"), ("yes", "true/false"),
                                       ("2025-01-01", "a date"), ("~", "empty (null)")])
def test_keys_must_be_names(project, key: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    root = project({ISSUE: front(f"{key}: x")})
    assert_clean_failure(invoke(root, "check"), f"{ISSUE}:6: key '{key}' is read by YAML as "
                                                f"{kind}")


def test_a_list_as_a_key() -> None:
    assert "f.yaml:1: a key must be a name" in problem_of("? [a, b]\n: x\n")


@pytest.mark.parametrize("digits", [41, 4301, 100_000])
def test_long_integers(project, digits: int) -> None:  # type: ignore[no-untyped-def]
    root = project({ISSUE: front().replace("number: 1", "number: " + "9" * digits)})
    assert_clean_failure(invoke(root, "check"), f"{ISSUE}:5: number too long")


@pytest.mark.parametrize("value", ["0x" + "f" * 5000, "1" + ":30" * 3000, "-" + "9" * 41])
def test_long_integers_in_any_base(value: str) -> None:
    assert "f.yaml:1: number too long" in problem_of(f"n: {value}\n")


@pytest.mark.parametrize("value", ['"A\\r\\nBcc: x@example.org"', '"A\\x01B"', '"A\\x7fB"',
                                   '"A\\u0085B"', '"A\\0B"'])
def test_control_characters_in_the_title(project, value: str) -> None:  # type: ignore[no-untyped-def]
    root = project({ISSUE: front().replace("title: Привет", f"title: {value}")})
    assert_clean_failure(invoke(root, "check"), f"{ISSUE}:2: control character U+")
    assert_clean_failure(invoke(root, "render", ISSUE), f"{ISSUE}:2: control character")


def test_line_break_in_title(project) -> None:  # type: ignore[no-untyped-def]
    root = project({ISSUE: front().replace("title: Привет", 'title: "A\\nB"')})
    assert_clean_failure(invoke(root, "render", ISSUE), f"{ISSUE}:2: 'title' must be one line")


@pytest.mark.parametrize("value", ['"Имя\\nBcc: x@example.org"', '"Имя\\r\\nX: y"'])
def test_line_break_in_sender_name(project, value: str) -> None:  # type: ignore[no-untyped-def]
    root = project()
    config = root / "newsletter.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "name: Тестовая рассылка", f"name: {value}"), encoding="utf-8")
    result = invoke(root, "render", ISSUE)
    assert_clean_failure(result, "newsletter.yaml:")
    assert "sender.name: must be one line" in result.output or "control character" in \
        result.output


def test_multiline_text_settings_stay_allowed(settings) -> None:  # type: ignore[no-untyped-def]
    built = settings(library={"title": "Б", "url": "https://x.example/", "text": "a\n\nb\n"})
    assert built.library.text == "a\n\nb\n"


@pytest.mark.parametrize("line, message", [
    ("lesson: 99999999999999999999", "'lesson' must be a whole number from 1 to 10,000"),
    ("delay: 99999999999999999 days", "'delay' must be at most 3,660 days"),
    ("delay: 999999999999", "'delay' must be at most 3,660 days"),
])
def test_range_checks(project, line: str, message: str) -> None:  # type: ignore[no-untyped-def]
    root = project({ISSUE: front(line)},
                   series=[{"slug": "news", "title": "Новости", "kind": "course"}])
    assert_clean_failure(invoke(root, "check"), f"{ISSUE}:6: {message}")


@pytest.mark.parametrize("date", ["0001-01-01", "9999-12-31"])
def test_issue_dates_in_range(project, date: str) -> None:  # type: ignore[no-untyped-def]
    root = project({ISSUE: front().replace("date: 2025-01-15", f"date: {date}")})
    assert_clean_failure(invoke(root, "check"), f"{ISSUE}:3: 'date' must be between")


def test_long_slug_is_refused_before_the_build(project) -> None:  # type: ignore[no-untyped-def]
    root = project({ISSUE: front("slug: " + "a" * 300, "status: published")})
    result = invoke(root, "build", "--out", str(root / "_site"))
    assert_clean_failure(result, f"{ISSUE}:6: 'slug' must be at most 100 characters")


@pytest.mark.parametrize("setting", ["timeout: .inf", "timeout: .nan", "poll_timeout: 1e999"])
def test_infinite_numbers_in_config(project, setting: str) -> None:  # type: ignore[no-untyped-def]
    root = project()
    config = root / "newsletter.yaml"
    config.write_text(config.read_text(encoding="utf-8") + f"esp:\n  sendsay:\n    {setting}\n",
                      encoding="utf-8")
    assert_clean_failure(invoke(root, "check"), "newsletter.yaml:", "must be a number")


@pytest.mark.parametrize("name", ["issues", ".publisher", "templates"])
def test_a_file_where_a_folder_belongs(project, name: str) -> None:  # type: ignore[no-untyped-def]
    root = project({ISSUE: None})
    import shutil

    shutil.rmtree(root / name, ignore_errors=True)
    (root / name).write_text("x", encoding="utf-8")
    for command in (["check"], ["build", "--out", str(root / "_site")]):
        assert_clean_failure(invoke(root, *command), f"{name}: is a file")


def test_config_data_helper_is_valid(settings) -> None:  # type: ignore[no-untyped-def]
    assert settings() is not None and config_data()["series"]
