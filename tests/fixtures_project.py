"""The ``project`` fixture: a small newsletter folder written into ``tmp_path`` from a dict.

``project()`` gives a valid folder (config + one issue) that renders; ``project(files,
**overrides)`` adds or replaces files (a ``None`` value removes a default one) and deep-merges
``overrides`` into the config. ``settings(**overrides)`` gives validated :class:`Settings`.
The module-level helpers (``config_data``, ``issue_text``, ``write_tree``) are importable by
tests that need them outside a fixture.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from publisher.config import Settings, build_settings
from publisher.yamlfile import LineMap

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_ISSUE = ROOT / "issues" / "upravlyay-ka-001-kak-ne-stat-zhertvoy-vorov-2.md"
# a copy of ../shared/seeds/000_4259183e6fd755ed.txt, so the tests run from any checkout
SEED = ROOT / "tests" / "data" / "seed" / "000_4259183e6fd755ed.txt"

BASE_CONFIG: dict[str, Any] = {
    "site": {"title": "Test News", "base_url": "https://news.example.org/archive/",
             "language": "ru", "timezone": "Europe/Moscow"},
    "sender": {"name": "Тестовая рассылка", "email": "news@example.org",
               "reply_to": "editor@example.org"},
    "series": [
        {"slug": "news", "title": "Новости", "subscribe_url": "https://news.example.org/sub/",
         "list_id": "pl01"},
        {"slug": "notes", "title": "Заметки", "subscribe_url": "https://news.example.org/notes/"},
    ],
    "navigation": [{"title": "Главная", "url": "https://news.example.org/"}],
    "library": {"title": "Библиотека", "url": "https://news.example.org/library/",
                "heading": "Внимание!", "text": "Текст библиотеки."},
    "footer": {"publisher": "Example Publisher", "reason": "Вы подписаны на «{series}».",
               "contacts": [{"title": "editor@example.org", "url": "mailto:editor@example.org"}],
               "unsubscribe_url": "https://news.example.org/unsub/?email={email}"},
}

DEFAULT_ISSUE = "issues/news-001-hello.md"


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of ``base`` with ``overrides`` merged in (mappings merge, others replace)."""
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def config_data(**overrides: Any) -> dict[str, Any]:
    """The base config with ``overrides`` deep-merged (``site={"language": "en"}``)."""
    return merge(BASE_CONFIG, overrides)


def issue_text(body: str = "Здравствуйте!\n\nПервый абзац.\n", **fields: Any) -> str:
    """An issue file: front matter from ``fields`` (defaults: a valid issue of 'news')."""
    front = {"title": "Привет, мир", "date": "2025-01-15", "series": "news", "number": 1,
             "preheader": "Короткое описание выпуска для предпросмотра во входящих."}
    front.update(fields)
    lines = []
    for key, value in front.items():
        if value is None:
            continue
        lines.append(f"{key}: {value}" if key == "date" else
                     yaml.safe_dump({key: value}, allow_unicode=True, width=1000).strip())
    return "---\n" + "\n".join(lines) + "\n---\n" + body


def write_tree(root: Path, files: dict[str, str | bytes | dict | None]) -> None:
    """Write ``files`` under ``root``: text, bytes, or a dict dumped as YAML."""
    for name, content in files.items():
        path = root / name
        if content is None:
            path.unlink(missing_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, dict):
            path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False),
                            encoding="utf-8")
        else:
            path.write_text(content, encoding="utf-8")


ProjectFactory = Callable[..., Path]


@pytest.fixture
def project(tmp_path: Path) -> ProjectFactory:
    """Factory: ``project(files=None, **config_overrides) -> root`` of a newsletter folder."""

    def make(files: dict[str, str | bytes | dict | None] | None = None,
             **overrides: Any) -> Path:
        root = tmp_path / "newsletter"
        root.mkdir(exist_ok=True)
        tree: dict[str, str | bytes | dict | None] = {
            "newsletter.yaml": config_data(**overrides),
            DEFAULT_ISSUE: issue_text(),
        }
        tree.update(files or {})
        write_tree(root, tree)
        return root

    return make


@pytest.fixture
def settings() -> Callable[..., Settings]:
    """Factory: ``settings(**overrides) -> Settings`` validated like newsletter.yaml."""

    def make(**overrides: Any) -> Settings:
        return build_settings(config_data(**overrides), "newsletter.yaml", LineMap())

    return make


@pytest.fixture(scope="session")
def sample_project():  # type: ignore[no-untyped-def]
    """The sample newsletter shipped in the repository (newsletter.yaml + issues/)."""
    from publisher.config import load_project

    return load_project(ROOT)


@pytest.fixture(scope="session")
def sample(sample_project):  # type: ignore[no-untyped-def]
    """The sample issue prepared for the default (outbox, generic tags) backend."""
    from publisher.pipeline import prepare

    return prepare(sample_project, SAMPLE_ISSUE, backend="outbox")


@pytest.fixture(scope="session")
def sample_sendsay(sample_project):  # type: ignore[no-untyped-def]
    """The sample issue prepared with Sendsay's own tags."""
    from publisher.pipeline import prepare

    return prepare(sample_project, SAMPLE_ISSUE, backend="sendsay")
