"""Property-based: whatever is in the newsletter folder, a command exits 0 or 1, prints no
traceback, ends within its deadline and changes no file outside the output folders.

Inputs are built from the pieces hostile files are made of (YAML anchors and aliases, flow
brackets, tags, huge numbers, control characters; Markdown brackets, quotes, list markers,
raw HTML, attribute lists), joined at random and sometimes repeated thousands of times, so
Hypothesis reaches the shapes that hung or crashed before (issue 10) and shrinks any new one
to a small example. Profiles and deadlines: tests/hostile/conftest.py.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import event, given
from hypothesis import strategies as st

from publisher.cli import cli
from publisher.errors import PublisherError
from publisher.jsonfile import parse_json
from publisher.yamlfile import parse_yaml
from tests.fixtures_project import DEFAULT_ISSUE, config_data, issue_text, write_tree
from tests.hostile.helpers import snapshot

YAML_PIECES = [
    "title", "date", "series", "number", "lesson", "delay", "slug", "tags", "status",
    "preheader", "site", "sender", "name", ":", ": ", " ", "\n", "  ", "- ", "&a ", "*a",
    "&b ", "*b", "[", "]", "{", "}", ", ", "'", '"', "!!str ", "!!binary ", "!!set ",
    "!!python/object:os.system ", "<<: *a", "? ", "~", "yes", "null", "2025-01-15",
    "0001-01-01", "9999-12-31", "2020-13-45", "9" * 60, "1e999", ".inf", ".nan", '"\\x01"',
    '"a\\r\\nb"', "#", "|", ">", "news", "notes", "draft", "published", "3 days",
    "99999999999 weeks", "Привет", "\t", "%YAML 1.1\n", "---\n", "...\n", "\\", "0x1F",
    "1:20:30", "-1", "0", "\u2028", "\ufeff",
]
MARKDOWN_PIECES = [
    "[", "]", "(", ")", "![", "](", "a", "слово ", "\n", "\n\n", "    ", "\t", "> ", ">",
    "- ", "* ", "+ ", "1. ", "2) ", "**", "__", "_", "*", "`", "```", "~~~", "<", ">",
    "<div>", "</div>", "<script>alert(1)</script>", "<!--", "-->", "&amp;", "&#", "|", "---",
    "===", "# ", "{: onclick=x }", "{: #id .c }", "{:", "}", "javascript:", "data:",
    "*|NAME|*", "[% x %]", "\\", "\x0b", "\x00", "\u2028", '"', "«", "»", "—", "--", "...",
    "<br>", "| a | b |\n|---|---|\n", "[x]: https://example.org\n", "https://example.org/",
    "images/missing.png", "../outside.png", "<<", ">>", "'",
]


def hostile_text(pieces: list[str], *, max_pieces: int, max_repeat: int) -> st.SearchStrategy:
    """Joined pieces (and a little free text), now and then one piece repeated many times."""
    piece = st.one_of(st.sampled_from(pieces), st.text(max_size=4))
    repeated = st.tuples(st.sampled_from(pieces), st.integers(2, max_repeat)).map(
        lambda pair: pair[0] * pair[1])
    return st.lists(st.one_of(piece, piece, piece, repeated), max_size=max_pieces).map(
        "".join)


YAML_TEXT = hostile_text(YAML_PIECES, max_pieces=60, max_repeat=400)
MARKDOWN_TEXT = hostile_text(MARKDOWN_PIECES, max_pieces=80, max_repeat=3000)


@given(YAML_TEXT)
def test_yaml_loader_returns_or_reports(text: str) -> None:
    try:
        parse_yaml(text, "f.yaml", line_offset=1)
    except PublisherError as exc:
        assert exc.lines() and all(line.startswith("f.yaml") for line in exc.lines())


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                    lambda inner: st.lists(inner, max_size=4) |
                    st.dictionaries(st.text(max_size=5), inner, max_size=4), max_leaves=30)
       .map(json.dumps) | hostile_text(["{", "}", "[", "]", '"', ":", ",", "1" * 5000, "\\u",
                                        "null", " "], max_pieces=40, max_repeat=5000))
def test_json_loader_returns_or_reports(text: str) -> None:
    try:
        parse_json(text, "s.json")
    except PublisherError as exc:
        assert str(exc).startswith("s.json")


@pytest.fixture(scope="module")
def newsletter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid newsletter folder with one published issue (copied for each example)."""
    root = tmp_path_factory.mktemp("base") / "newsletter"
    root.mkdir()
    write_tree(root, {"newsletter.yaml": config_data(),
                      DEFAULT_ISSUE: issue_text(status="published")})
    return root


@given(body=MARKDOWN_TEXT)
def test_markdown_pipeline_renders_or_reports(newsletter: Path, body: str) -> None:
    from publisher.config import load_project
    from publisher.load import load_issue
    from publisher.pipeline import render_checked

    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp) / "nl"
        shutil.copytree(newsletter, root)
        (root / DEFAULT_ISSUE).write_text(issue_text(body), encoding="utf-8")
        project = load_project(root)
        try:
            issue = load_issue(root / DEFAULT_ISSUE, project)
        except PublisherError as exc:
            assert all(str(p.location.path) == DEFAULT_ISSUE for p in exc.problems)
            event("refused at load")
            return
        checked = render_checked(issue, project)
        event("rendered" if checked.email is not None else "template problems")
        assert checked.email is not None or checked.errors


# where commands may write: outputs, the outbox, publisher's own records
OUTPUTS = ("out", "_site", ".publisher", "._site.", ".out.", "outbox")
COMMANDS = [("check",), ("render", DEFAULT_ISSUE, "--out", "out"), ("build", "--out", "_site"),
            ("send", DEFAULT_ISSUE, "--yes"), ("status",)]


@st.composite
def hostile_folder(draw: st.DrawFn) -> dict[str, str | bytes]:
    """Files to write over the valid newsletter: one to three of the inputs a collaborator,
    a merge or a script could leave there."""
    files: dict[str, str | bytes] = {}
    for target in draw(st.lists(st.sampled_from(
            ["front", "field", "field", "body", "body", "config", "slugs", "template", "bytes"]),
            min_size=1, max_size=3, unique=True)):
        if target == "field":  # a valid issue but for one hostile value
            field = draw(st.sampled_from(["title", "date", "number", "slug", "tags",
                                          "preheader", "status", "lesson", "delay"]))
            value = draw(st.sampled_from(YAML_PIECES) | YAML_TEXT)
            lines = issue_text(status="published").splitlines(keepends=True)
            at = next((i for i, line in enumerate(lines) if line.startswith(field + ":")), None)
            if at is None:
                lines.insert(1, f"{field}: {value}\n")
            else:
                lines[at] = f"{field}: {value}\n"
            files[DEFAULT_ISSUE] = "".join(lines)
        elif target == "front":
            files[DEFAULT_ISSUE] = "---\n" + draw(YAML_TEXT) + "\n---\nТекст.\n"
        elif target == "body":
            files[DEFAULT_ISSUE] = issue_text(draw(MARKDOWN_TEXT), status="published")
        elif target == "config":
            base = (json.dumps(config_data(), ensure_ascii=False) if draw(st.booleans())
                    else "")
            files["newsletter.yaml"] = base + "\n" + draw(YAML_TEXT)
        elif target == "slugs":
            slug = draw(st.sampled_from(["../../../www", "../x", "/etc/x", "a" * 300, "ok",
                                         "", ".", "a/b"]) | st.text(max_size=12))
            files[".publisher/slugs.json"] = draw(st.sampled_from([
                json.dumps({"news/1": [slug, "privet-mir"]}), json.dumps({slug: ["a"]}),
                json.dumps([slug]), "{" * 3000, json.dumps({"news/1": slug})]))
        elif target == "template":
            name = draw(st.sampled_from(["templates/email/base.html",
                                         "templates/email/issue.html",
                                         "templates/email/email.css",
                                         "templates/archive/issue.html"]))
            files[name] = draw(st.sampled_from(["", "{{ 1/0 }}", "{% include 'email/base.html' %}",
                                                "{{ nope }}", "{% if %}", "<html>"]))
        else:
            files[DEFAULT_ISSUE] = draw(st.binary(max_size=200))
    return files


def outside_outputs(root: Path) -> dict[str, str]:
    """Snapshot of the temporary folder holding ``root``, output folders left out."""
    top = root.parent
    snap = snapshot(top)
    return {path: digest for path, digest in snap.items()
            if not any(part.startswith(OUTPUTS) for part in Path(path).parts[1:2])}


@given(files=hostile_folder(), command=st.sampled_from(COMMANDS))
def test_cli_exits_0_or_1_and_writes_only_its_outputs(newsletter: Path,
                                                       files: dict[str, str | bytes],
                                                       command: tuple[str, ...]) -> None:
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp) / "nl"
        shutil.copytree(newsletter, root)
        (Path(temp) / "www").mkdir()
        (Path(temp) / "www" / "index.html").write_text("someone else's", encoding="utf-8")
        write_tree(root, files)
        args = [a if a not in ("out", "_site") else str(root / a) for a in command]
        before = outside_outputs(root)
        result = CliRunner().invoke(cli, ["--project", str(root), *args], obj={})
        event(f"{command[0]} exit {result.exit_code}")
        assert result.exit_code in (0, 1), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            repr(result.exception)
        assert "Traceback" not in result.output
        assert "internal error" not in result.output, result.output
        if result.exit_code == 1:
            assert "Error: " in result.output or "Check failed" in result.output
        assert outside_outputs(root) == before
