"""Rendered output compared with committed golden files in tests/golden/, shown as a diff.

Golden files change only on purpose: ``PUBLISHER_UPDATE_GOLDEN=1 pytest tests/render`` rewrites
them (the tests then skip, saying so), and the diff goes into review with the change that
caused it. Output is deterministic: the issue date comes from front matter, nothing reads the
clock, and the Message-ID (a content hash) is not part of the HTML or text.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from publisher.config import load_project
from publisher.pipeline import prepare
from tests.fixtures_project import DEFAULT_ISSUE, issue_text

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
UPDATE = os.environ.get("PUBLISHER_UPDATE_GOLDEN") == "1"

FEATURES = """Здравствуйте!

## Заголовок второго уровня

### Третий уровень

Абзац с **жирным**, *курсивом*, `кодом` и [ссылкой](https://example.org/page?a=1&b=2).
Вторая строка того же абзаца.

> Цитата: "слова автора" - с тире.
>
> Второй абзац цитаты.

- пункт первый
- пункт второй
    - вложенный пункт
    - ещё вложенный
- пункт третий

1. Раз
2. Два
    1. Два-один
3. Три

![Схема этапов продаж](images/scheme.png)

| Колонка | Список | Номера |
|---------|--------|--------|
| Текст<br>вторая строка | - а<br>- б | 1. один<br>2. два |
| Только текст | Вступление<br>- пункт | |

Конец.
"""


def compare(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        pytest.skip(f"updated {path}")
    if not path.is_file():
        pytest.fail(f"{path} is missing: run PUBLISHER_UPDATE_GOLDEN=1 pytest tests/render")
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), actual.splitlines(keepends=True),
            fromfile=f"tests/golden/{name} (committed)", tofile=f"{name} (rendered now)", n=2))
        pytest.fail(f"rendered output differs from the golden file:\n{diff}\n"
                    "If the change is intended: PUBLISHER_UPDATE_GOLDEN=1 pytest tests/render",
                    pytrace=False)


def test_sample_email_html(sample) -> None:  # type: ignore[no-untyped-def]
    compare("sample.html", sample.email.html)


def test_sample_email_text(sample) -> None:  # type: ignore[no-untyped-def]
    compare("sample.txt", sample.email.text)


def test_sample_email_html_for_sendsay(sample_sendsay) -> None:  # type: ignore[no-untyped-def]
    compare("sample.sendsay.html", sample_sendsay.email.html)


@pytest.fixture(scope="module")
def features(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from tests.fixtures_project import config_data, write_tree

    root = tmp_path_factory.mktemp("features")
    write_tree(root, {"newsletter.yaml": config_data(),
                      DEFAULT_ISSUE: issue_text(body=FEATURES),
                      "issues/images/scheme.png": b"\x89PNG\r\n\x1a\n"})
    return prepare(load_project(root), root / DEFAULT_ISSUE)


def test_markdown_features_body_html(features) -> None:  # type: ignore[no-untyped-def]
    compare("features.body.html", features.body.html)


def test_markdown_features_text(features) -> None:  # type: ignore[no-untyped-def]
    compare("features.body.txt", features.body.text)
