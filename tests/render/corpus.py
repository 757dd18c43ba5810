"""The layout corpus (tests/corpus/): varied issues of our own, rendered as they would be sent.

``tests/corpus/ru`` is a Russian newsletter and course (typography on), ``tests/corpus/en``
an English newsletter; their issues cover wide and small tables, code, long URLs, hashtags
and words, images of several sizes and formats, footnotes, definition lists, nested quotes
and lists, ESP tags, every heading level and class, a course lesson and a near-102 KB digest.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from publisher import urls
from publisher.config import Project, load_project
from publisher.pipeline import Prepared, prepare

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
ROOT = CORPUS.parent.parent
SAMPLE = ROOT / "issues" / "upravlyay-ka-001-kak-ne-stat-zhertvoy-vorov-2.md"


@dataclass(frozen=True)
class Rendered:
    name: str
    project: Project
    prepared: Prepared

    @property
    def html(self) -> str:
        return self.prepared.email.html

    @property
    def assets_url(self) -> str:
        return urls.assets_url(self.project)


def issue_paths() -> list[Path]:
    """Every corpus issue, then the sample."""
    paths = sorted(CORPUS.glob("*/issues/*.md"))
    return [*paths, SAMPLE]


def name_of(path: Path) -> str:
    return "sample" if path == SAMPLE else f"{path.parent.parent.name}/{path.stem}"


@cache
def _project(root: Path) -> Project:
    return load_project(root)


def render(path: Path) -> Rendered:
    project = _project(path.parent.parent)
    return Rendered(name_of(path), project, prepare(project, path))
