"""Bad input, through the CLI: one ``path:line: message`` per problem, exit 1, no traceback.

The broken files are fixtures under tests/data/ (issues, configs, templates); cases that need
two files (duplicates) or a size are generated here. Every case is also rendered, and a
failing render must leave no output behind.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from publisher.cli import cli
from tests.fixtures_project import DEFAULT_ISSUE, issue_text

DATA = Path(__file__).resolve().parent.parent / "data"

ISSUE_CASES = {
    "broken_yaml": "5: invalid YAML: expected ',' or ']', but got ':' "
                   "(while parsing a flow sequence at line 4)",
    "no_front_matter": "1: missing front matter: the file must start with a '---' line, then "
                       "YAML fields, then another '---' line",
    "unclosed_front_matter": "1: front matter is not closed: add a '---' line after the fields",
    "missing_title": "2: 'title' is required",
    "bad_date": "3: 'date' must be YYYY-MM-DD, got '15/01/2025'",
    "impossible_date": "3: not a real date: 2020-13-15 (month must be in 1..12)",
    "bad_number": "5: 'number' must be a whole number from 1 to 1,000,000, got 'first'",
    "unknown_series": "4: unknown series 'newz' (did you mean 'news'?)",
    "unknown_field": "6: unknown field 'preheder' (did you mean 'preheader'?)",
    "missing_image": "9: image not found: images/no-such-file.png",
}


def invoke(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--project", str(root), *args])


def errors(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Error: ")]


def assert_clean_failure(result: Result) -> None:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # handled, not a crash
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", sorted(ISSUE_CASES))
def test_bad_issue_is_reported_by_check(project, name: str) -> None:  # type: ignore[no-untyped-def]
    root = project({DEFAULT_ISSUE: None,
                    f"issues/{name}.md": (DATA / "issues" / f"{name}.md").read_text("utf-8")})
    result = invoke(root, "check")
    assert_clean_failure(result)
    assert errors(result) == [f"Error: issues/{name}.md:{ISSUE_CASES[name]}"]
    assert result.stderr.splitlines()[-1].startswith("Check failed: ")


@pytest.mark.parametrize("name", sorted(ISSUE_CASES))
def test_bad_issue_fails_render_without_output(project, name: str) -> None:  # type: ignore[no-untyped-def]
    root = project({DEFAULT_ISSUE: None,
                    f"issues/{name}.md": (DATA / "issues" / f"{name}.md").read_text("utf-8")})
    out = root / "out"
    result = invoke(root, "render", f"issues/{name}.md", "--out", str(out))
    assert_clean_failure(result)
    assert errors(result) == [f"Error: issues/{name}.md:{ISSUE_CASES[name]}"]
    assert not out.exists() or list(out.iterdir()) == []


def test_every_data_file_has_a_case() -> None:
    assert sorted(p.stem for p in (DATA / "issues").glob("*.md")) == sorted(ISSUE_CASES)


def test_duplicate_slug_in_a_series(project) -> None:  # type: ignore[no-untyped-def]
    root = project({"issues/news-002-again.md": issue_text(number=2)})  # same title: same slug
    result = invoke(root, "check")
    assert_clean_failure(result)
    assert errors(result) == ["Error: issues/news-002-again.md:2: duplicate slug 'privet-mir' in "
                              "series 'news' (also in issues/news-001-hello.md)"]


def test_duplicate_explicit_slug_points_at_its_line(project) -> None:  # type: ignore[no-untyped-def]
    root = project({"issues/news-002-again.md": issue_text(title="Другой", number=2,
                                                           slug="privet-mir")})
    result = invoke(root, "check")
    assert errors(result) == ["Error: issues/news-002-again.md:7: duplicate slug 'privet-mir' in "
                              "series 'news' (also in issues/news-001-hello.md)"]


def test_same_slug_in_another_series_is_fine(project) -> None:  # type: ignore[no-untyped-def]
    root = project({"issues/notes-001-hello.md": issue_text(series="notes")})
    result = invoke(root, "check")
    assert result.exit_code == 0, result.output


def test_duplicate_number_in_a_series(project) -> None:  # type: ignore[no-untyped-def]
    root = project({"issues/news-002-other.md": issue_text(title="Другой выпуск")})
    result = invoke(root, "check")
    assert_clean_failure(result)
    assert errors(result) == ["Error: issues/news-002-other.md:5: duplicate number 1 in series "
                              "'news' (also in issues/news-001-hello.md)"]


def test_all_problems_of_all_files_at_once(project) -> None:  # type: ignore[no-untyped-def]
    root = project({"issues/a.md": (DATA / "issues" / "bad_date.md").read_text("utf-8"),
                    "issues/b.md": (DATA / "issues" / "unknown_series.md").read_text("utf-8")})
    result = invoke(root, "check")
    assert errors(result) == [
        "Error: issues/a.md:3: 'date' must be YYYY-MM-DD, got '15/01/2025'",
        "Error: issues/b.md:4: unknown series 'newz' (did you mean 'news'?)",
    ]


@pytest.mark.parametrize("name, line, message", [
    ("syntax_error", 5, "template syntax error: Encountered unknown tag 'endblock'. You "
                        "probably made a nesting mistake. Jinja is expecting this tag, but "
                        "currently looking for 'elif' or 'else' or 'endif'. The innermost block "
                        "that needs to be closed is 'if'."),
    ("undefined_variable", 5, "template error: 'issue_titel' is undefined"),
])
def test_template_errors_name_file_and_line(project, name: str, line: int,  # type: ignore[no-untyped-def]
                                            message: str) -> None:
    root = project({"templates/email/issue.html":
                    (DATA / "templates" / f"{name}.html").read_text("utf-8")})
    out = root / "out"
    for args in (("check",), ("render", DEFAULT_ISSUE, "--out", str(out))):
        result = invoke(root, *args)
        assert_clean_failure(result)
        assert errors(result) == [f"Error: templates/email/issue.html:{line}: {message}"]
    assert not out.exists()


def test_email_over_budget(project) -> None:  # type: ignore[no-untyped-def]
    body = "Длинный абзац текста для проверки бюджета размера письма. " * 400 + "\n"
    root = project({DEFAULT_ISSUE: issue_text(body=body)},
                   email={"size_warning_kb": 10, "size_budget_kb": 20})
    out = root / "out"
    for args in (("check",), ("render", DEFAULT_ISSUE, "--out", str(out))):
        result = invoke(root, *args)
        assert_clean_failure(result)
        [line] = errors(result)
        assert line.startswith(f"Error: {DEFAULT_ISSUE}:1: email HTML is ")
        assert line.endswith(" KB, over the budget of 20 KB (email.size_budget_kb); Gmail "
                             "clips at 102 KB: shorten the issue or split it")
    assert not out.exists()


def test_email_near_the_limit_warns(project) -> None:  # type: ignore[no-untyped-def]
    body = "Длинный абзац текста для проверки бюджета размера письма. " * 100 + "\n"
    root = project({DEFAULT_ISSUE: issue_text(body=body)},
                   email={"size_warning_kb": 10, "size_budget_kb": 90})
    result = invoke(root, "check")
    assert result.exit_code == 0, result.output
    assert f"Warning: {DEFAULT_ISSUE}:1: email HTML is " in result.stderr
    assert "near Gmail's 102 KB clipping limit (warning above 10 KB)" in result.stderr
    assert invoke(root, "check", "--strict").exit_code == 1


def test_image_without_alt_text_warns(project) -> None:  # type: ignore[no-untyped-def]
    root = project({DEFAULT_ISSUE: issue_text(body="Текст.\n\n![](images/chart.png)\n"),
                    "issues/images/chart.png": b"\x89PNG\r\n\x1a\n"})
    result = invoke(root, "check")
    assert result.exit_code == 0, result.output
    assert (f"Warning: {DEFAULT_ISSUE}:10: image has no alt text: images/chart.png "
            "(write ![description](...))") in result.stderr.splitlines()


# -- newsletter.yaml -------------------------------------------------------------------------

def config_errors(project, name: str) -> tuple[Path, Result]:  # type: ignore[no-untyped-def]
    root = project({"newsletter.yaml": (DATA / "config" / f"{name}.yaml").read_text("utf-8")})
    result = invoke(root, "check")
    assert_clean_failure(result)
    return root / "newsletter.yaml", result


def test_config_reports_every_problem_at_once(project) -> None:  # type: ignore[no-untyped-def]
    path, result = config_errors(project, "many_problems")
    assert errors(result) == [
        f"Error: {path}:3: site.base_url: must be an absolute http(s) URL, "
        "got 'ftp://news.example.org/'",
        f"Error: {path}:5: site.timezone: unknown time zone 'Mars/Olympus' "
        "(expected an IANA name such as 'Europe/Moscow')",
        f"Error: {path}:8: sender.email: must be an email address, got 'not-an-email'",
        f"Error: {path}:12: series[0].subscribe_url: must be an absolute http(s) URL, "
        "got 'news.example.org/sub'",
    ]


def test_config_unknown_key_has_a_close_match_hint(project) -> None:  # type: ignore[no-untyped-def]
    path, result = config_errors(project, "unknown_key")
    assert errors(result) == [
        f"Error: {path}:4: site.langauge: unknown key (did you mean 'language'?)"]


def test_config_broken_yaml_has_its_line(project) -> None:  # type: ignore[no-untyped-def]
    path, result = config_errors(project, "broken_yaml")
    assert errors(result) == [f"Error: {path}:5: invalid YAML: expected <block end>, but found "
                              "'<scalar>' (while parsing a block mapping at line 2)"]


def test_config_missing_sections(project) -> None:  # type: ignore[no-untyped-def]
    path, result = config_errors(project, "missing_sections")
    assert errors(result) == [f"Error: {path}: sender: required (a mapping)",
                              f"Error: {path}: series: required (a list)",
                              f"Error: {path}: footer: required (a mapping)"]


def test_config_wrong_kind_of_value_keeps_its_line(project) -> None:  # type: ignore[no-untyped-def]
    root = project(email={"size_budget_kb": "big"}, series=[{"slug": "Bad Slug", "title": "x"}])
    result = invoke(root, "check")
    assert_clean_failure(result)
    path = root / "newsletter.yaml"
    lines = path.read_text("utf-8").splitlines()
    slug_line = next(i for i, line in enumerate(lines, 1) if "Bad Slug" in line)
    budget_line = next(i for i, line in enumerate(lines, 1) if "size_budget_kb" in line)
    assert errors(result) == [
        f"Error: {path}:{slug_line}: series[0].slug: must be lowercase latin letters, digits "
        "and dashes, got 'Bad Slug'",
        f"Error: {path}:{budget_line}: email.size_budget_kb: must be a whole number, got 'big'",
    ]


def test_missing_config(tmp_path: Path) -> None:
    result = invoke(tmp_path, "check")
    assert_clean_failure(result)
    assert errors(result) == [f"Error: {tmp_path}/newsletter.yaml: not found; run `publisher "
                              "init DIR` to create a newsletter folder, or pass --project DIR"]


def test_unknown_issue_reference(project) -> None:  # type: ignore[no-untyped-def]
    root = project()
    result = invoke(root, "render", "no-such-issue", "--out", str(root / "out"))
    assert_clean_failure(result)
    assert errors(result) == ["Error: no-such-issue: no such issue file, slug or series/slug "
                              "in issues/"]


def test_debug_shows_the_traceback(project) -> None:  # type: ignore[no-untyped-def]
    root = project({DEFAULT_ISSUE: issue_text(date="15/01/2025")})
    result = CliRunner().invoke(cli, ["--project", str(root), "--debug", "render", DEFAULT_ISSUE,
                                      "--out", str(root / "out")])
    assert result.exit_code == 1
    assert type(result.exception).__name__ == "IssueError"


def test_unwritable_output_is_one_line_and_leaves_nothing_half_written(project) -> None:  # type: ignore[no-untyped-def]
    root = project()
    out = root / "out"
    (out / "privet-mir.eml").mkdir(parents=True)  # the last of the three files cannot be placed
    result = invoke(root, "render", DEFAULT_ISSUE, "--out", str(out))
    assert_clean_failure(result)
    assert errors(result) == [f"Error: {out}/privet-mir.eml: cannot write output: "
                              "a folder is in the way"]
    assert sorted(p.name for p in out.iterdir()) == ["privet-mir.eml"]  # no .html/.txt, no temps


def test_output_below_a_file_is_reported(project) -> None:  # type: ignore[no-untyped-def]
    root = project({"blocker": "a file, not a folder"})
    result = invoke(root, "render", DEFAULT_ISSUE, "--out", str(root / "blocker" / "out"))
    assert_clean_failure(result)
    [line] = errors(result)
    assert line.startswith(f"Error: {root}/blocker") and "cannot write output: " in line


def test_rerender_replaces_the_previous_output(project) -> None:  # type: ignore[no-untyped-def]
    root = project()
    out = root / "out"
    assert invoke(root, "render", DEFAULT_ISSUE, "--out", str(out)).exit_code == 0
    (root / DEFAULT_ISSUE).write_text(issue_text(body="Новый текст.\n"), encoding="utf-8")
    assert invoke(root, "render", DEFAULT_ISSUE, "--out", str(out)).exit_code == 0
    assert "Новый текст." in (out / "privet-mir.txt").read_text("utf-8")
    assert sorted(p.name for p in out.iterdir()) == ["privet-mir.eml", "privet-mir.html",
                                                     "privet-mir.txt"]
