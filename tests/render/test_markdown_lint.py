"""Table rows whose cell count differs from the header are reported at their line."""

from pathlib import Path

from click.testing import CliRunner

from publisher.cli import cli
from publisher.render.markdown_lint import lint_markdown, unsupported_markdown


def test_rows_with_extra_or_missing_cells_are_reported_at_their_line() -> None:
    source = "text\n\n| a | b |\n|---|---|\n| 1 | 2 | 3 |\n| x |\n| `a|b` | c \\| d |\n"
    assert lint_markdown(source, first_line=10) == [
        (14, "table row has 3 cells, its header has 2 (extra cells are dropped; "
             "write a '|' inside a cell as '\\|')"),
        (15, "table row has 1 cell, its header has 2 (missing cells render empty)"),
    ]


def test_tables_in_code_fences_are_ignored() -> None:
    assert lint_markdown("```\n| a | b |\n|---|---|\n| 1 |\n```\n") == []


def test_the_sample_tables_are_clean() -> None:
    root = Path(__file__).resolve().parents[2]
    for path in (root / "issues").glob("*.md"):
        assert lint_markdown(path.read_text(encoding="utf-8")) == []


def test_check_reports_a_broken_row_with_file_and_line(project) -> None:
    root = project({"issues/x.md": "---\ntitle: T\ndate: 2026-01-01\nseries: news\nnumber: 1\n"
                                   "---\n| a | b |\n|---|---|\n| 1 | 2 | 3 |\n"})
    result = CliRunner().invoke(cli, ["--project", str(root), "check"])
    assert result.exit_code == 1
    assert "Error: issues/x.md:9: table row has 3 cells, its header has 2" in result.output


UNSUPPORTED = """Текст абзаца
- пункт сразу под абзацем

- список
  - подпункт в два пробела

#продажи #маркетинг

\\#хэштег и # заголовок с пробелом — не ошибки

Сноска[^нет] и сноска[^есть].

[^есть]: определение

[текст][нет-ссылки] и [текст][есть-ссылка]

[есть-ссылка]: https://example.org/

~~зачёркнуто~~ и `~~в коде~~`

- [ ] задача

Абзац
| a | b |
|---|---|
| 1 | 2 |

```
~~в блоке кода~~ [^нет-в-коде]
```

```
не закрыт
"""


def test_unsupported_markdown_is_reported_at_its_line() -> None:
    problems = unsupported_markdown(UNSUPPORTED, first_line=7)
    lines = {line: message for line, message in problems}
    assert sorted(lines) == [8, 11, 13, 17, 21, 25, 27, 30, 38]
    assert "blank line before the list" in lines[8]
    assert "indented by 2 spaces" in lines[11]
    assert "'#продажи' at the start of a line becomes a heading" in lines[13]
    assert "footnote [^нет] has no definition" in lines[17]
    assert "reference link [нет-ссылки] has no definition" in lines[21]
    assert "strikethrough" in lines[25]
    assert "task-list boxes" in lines[27]
    assert "table right under a paragraph line" in lines[30]
    assert "code fence ``` is never closed" in lines[38]


def test_what_the_renderer_supports_is_not_reported() -> None:
    supported = ("# Заголовок\n- список сразу под заголовком\n\n1. раз\n    - вложенный\n"
                 "        - ещё глубже\n\nСноска[^1].\n\n[^1]: Да.\n\n[a][b]\n\n[b]: https://x.org\n"
                 "\n```\n#не заголовок\n```\n\n    #код\n")
    assert unsupported_markdown(supported) == []


def test_the_sample_and_the_corpus_have_no_unsupported_markdown() -> None:
    root = Path(__file__).resolve().parents[2]
    paths = [*(root / "issues").glob("*.md"), *(root / "tests" / "corpus").glob("ru/issues/*.md")]
    for path in paths:
        body = path.read_text(encoding="utf-8").split("\n---\n", 1)[1]
        assert unsupported_markdown(body) == [], path.name


def test_check_warns_about_unsupported_markdown_with_file_and_line(project) -> None:
    root = project({"issues/x.md": "---\ntitle: T\ndate: 2026-01-01\nseries: news\nnumber: 1\n"
                                   "preheader: Короткое описание выпуска для предпросмотра.\n"
                                   "---\nТекст\n\n~~старое~~ новое\n"})
    result = CliRunner().invoke(cli, ["--project", str(root), "check"])
    assert "issues/x.md:10: strikethrough (~~…~~) is not supported" in result.output
    strict = CliRunner().invoke(cli, ["--project", str(root), "check", "--strict"])
    assert strict.exit_code == 1
