"""Which letters are issues already, and what becomes of a new one: number, slug, file.

An imported issue says where it came from (``imported_from: sendsay:12345``), so a rerun
finds it by that reference whatever the file is called now. What import wrote is recorded
in ``.publisher/imports.json`` (reference -> file and SHA-256 of its bytes): a file whose
bytes still match was left as imported ("already there"); one that differs was edited by
its author and is never touched again ("edited"); a recorded file that is gone was deleted
on purpose and is not brought back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from publisher.config import Project
from publisher.errors import IssueError
from publisher.load import issue_files, split_front_matter
from publisher.slug import slugify

STATE_FILE = "imports.json"
PREHEADER_MIN, PREHEADER_MAX = 40, 130


@dataclass
class Existing:
    path: Path
    number: int | None
    slug: str | None


@dataclass
class Catalogue:
    """The issues folder as import sees it; ``save()`` writes the record of what was written."""

    project: Project
    by_source: dict[str, Existing] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)  # series -> highest number
    slugs: dict[str, set[str]] = field(default_factory=dict)  # series -> slugs in use
    paths: set[Path] = field(default_factory=set)
    record: dict[str, dict[str, str]] = field(default_factory=dict)
    dirty: bool = False

    @classmethod
    def load(cls, project: Project) -> Catalogue:
        catalogue = cls(project)
        for path in issue_files(project):
            catalogue.paths.add(path.resolve())
            data = _front(path)
            if data is None:
                continue
            series = str(data.get("series", ""))
            number = data.get("number", data.get("lesson"))
            if isinstance(number, int) and not isinstance(number, bool):
                catalogue.numbers[series] = max(catalogue.numbers.get(series, 0), number)
            slug = data.get("slug") or (slugify(data["title"])
                                        if isinstance(data.get("title"), str) else None)
            if isinstance(slug, str):
                catalogue.slugs.setdefault(series, set()).add(slug)
            source = data.get("imported_from")
            if isinstance(source, str) and source:
                catalogue.by_source[source] = Existing(
                    path, number if isinstance(number, int) else None,
                    slug if isinstance(slug, str) else None)
        state = project.state_dir / STATE_FILE
        if state.is_file():
            try:
                loaded = json.loads(state.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise IssueError.at(project.relative(state), getattr(exc, "lineno", None),
                                    f"unreadable import record ({exc}); fix or delete it "
                                    "(imported files then count as edited)") from None
            if isinstance(loaded, dict):
                catalogue.record = {str(k): v for k, v in loaded.items() if isinstance(v, dict)}
        return catalogue

    # ---- what a letter is to us

    def status(self, source: str) -> tuple[str, Path | None]:
        """``new``, ``exists`` (unchanged since import), ``edited`` or ``deleted``."""
        existing = self.by_source.get(source)
        recorded = self.record.get(source)
        if existing is None:
            if recorded is not None:
                return "deleted", self.project.root / recorded.get("file", "")
            return "new", None
        if recorded is None or recorded.get("sha256") != _sha(existing.path.read_bytes()):
            return "edited", existing.path
        return "exists", existing.path

    def allocate(self, series: str, title: str, *, reuse: Existing | None = None
                 ) -> tuple[int, str, Path]:
        """The next number in ``series``, a free slug and the file name for a new issue."""
        if reuse is not None and reuse.number is not None and reuse.slug:
            return reuse.number, reuse.slug, reuse.path
        number = self.numbers.get(series, 0) + 1
        self.numbers[series] = number
        base = slugify(title)
        taken = self.slugs.setdefault(series, set())
        slug, counter = base, 2
        while slug in taken:
            slug = f"{base}-{counter}"
            counter += 1
        taken.add(slug)
        path = self.project.issues_dir / f"{series}-{number:03d}-{slug}.md"
        while path.resolve() in self.paths or path.exists():
            path = path.with_name(path.stem + "-imported.md")
        self.paths.add(path.resolve())
        return number, slug, path

    def wrote(self, source: str, path: Path, data: bytes) -> None:
        rel = path.resolve().relative_to(self.project.root.resolve()).as_posix()
        self.record[source] = {"file": rel, "sha256": _sha(data)}
        self.by_source[source] = Existing(path, None, None)
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        from publisher.pipeline import write_atomic

        text = json.dumps(dict(sorted(self.record.items())), ensure_ascii=False, indent=1)
        write_atomic(self.project.state_dir / STATE_FILE, (text + "\n").encode("utf-8"))
        self.dirty = False


def _front(path: Path) -> dict[str, Any] | None:
    try:
        front, _, _ = split_front_matter(path.read_text(encoding="utf-8"), path)
        data = yaml.safe_load(front)
    except (IssueError, UnicodeDecodeError, yaml.YAMLError, OSError):
        return None
    return data if isinstance(data, dict) else None


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def issue_file_text(*, title: str, date: dt.date, series: str, number: int, slug: str,
                    source: str, markdown: str, aliases: list[str]) -> str:
    """The Markdown file of an imported issue: front matter, then the article."""
    fields: dict[str, Any] = {"title": title, "date": date, "series": series, "number": number,
                              "slug": slug}
    preheader = make_preheader(markdown)
    if preheader:
        fields["preheader"] = preheader
    fields["status"] = "published"
    fields["imported_from"] = source
    if aliases:
        fields["aliases"] = list(aliases)
    front = yaml.safe_dump(fields, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{front}---\n{markdown}"


_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


def make_preheader(markdown: str) -> str:
    """The first real paragraph, cut at a word to at most 130 characters (inbox preview)."""
    for block in re.split(r"\n\s*\n", markdown):
        line = block.strip()
        if not line or line.startswith(("#", "|", "-", ">", "!")) or re.match(r"\d+\.", line):
            continue
        text = _MD_LINK.sub(r"\1", line)
        text = re.sub(r"\\(.)", r"\1", re.sub(r"[*`]|(?<!\\)_", "", text))
        text = re.sub(r"\[%.*?%\]", "", text)
        text = re.sub(r"\s+", " ", text).strip()
        if len(text) < PREHEADER_MIN:
            continue
        if len(text) <= PREHEADER_MAX:
            return text
        cut = text.rfind(" ", 0, PREHEADER_MAX)
        return text[: cut if cut > PREHEADER_MIN else PREHEADER_MAX - 1].rstrip(" ,;:—-") + "…"
    return ""
