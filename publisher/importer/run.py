"""The import loop: letters in date order -> issue files, with a result for every letter.

For each letter: already imported and unchanged -> skipped ("already there"); imported and
edited since (or deleted) -> left alone, and the result says so; new -> fetched, converted,
numbered after the series' last issue, checked (a pipe table that would lose cells is a
failure, not a file), written atomically and recorded. A letter that fails is reported with
its reference and reason; the others go on. ``dry_run`` writes nothing and returns what
would be written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from publisher.config import Project
from publisher.errors import PublisherError, SendError
from publisher.importer.catalogue import Catalogue, issue_file_text
from publisher.importer.convert import ConversionError
from publisher.importer.images import localise
from publisher.importer.sources import Letter
from publisher.pipeline import write_atomic
from publisher.render.markdown_lint import lint_markdown

IMPORTED, WOULD, EXISTS, EDITED, FAILED = "imported", "would import", "exists", "edited", "failed"
SAVE_EVERY = 25  # letters between saves of the import record (and at the end, always)


@dataclass
class Result:
    source: str
    label: str
    status: str
    path: Path | None = None
    reason: str = ""
    text: str = ""  # what was (or would be) written
    notes: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)


@dataclass
class Summary:
    results: list[Result] = field(default_factory=list)
    not_in_series: list[str] = field(default_factory=list)

    def count(self, *statuses: str) -> int:
        return sum(r.status in statuses for r in self.results)

    def line(self) -> str:
        parts = [f"{self.count(IMPORTED, WOULD)} "
                 f"{'would be imported' if self.count(WOULD) else 'imported'}",
                 f"{self.count(EXISTS)} skipped (already there)",
                 f"{self.count(EDITED)} skipped (edited since import)",
                 f"{self.count(FAILED)} failed"]
        if self.not_in_series:
            parts.append(f"{len(self.not_in_series)} not in any series")
        return ", ".join(parts)


def run_import(project: Project, letters: Iterable[Letter], *, dry_run: bool = False,
               refresh: bool = False, download_images: bool = False,
               fallback_date: dt.date | None = None, fallback_title: str = "",
               progress: Callable[[int, int, Result], None] | None = None) -> Summary:
    """Import ``letters`` (in the order given: date order) into ``project``'s issues/."""
    catalogue = Catalogue.load(project)
    letters = list(letters)
    summary = Summary()
    written = 0
    try:
        for index, letter in enumerate(letters, 1):
            result = _one(project, catalogue, letter, dry_run=dry_run, refresh=refresh,
                          download_images=download_images, fallback_date=fallback_date,
                          fallback_title=fallback_title)
            summary.results.append(result)
            if result.status == IMPORTED:
                written += 1
                if written % SAVE_EVERY == 0:
                    catalogue.save()
            if progress is not None:
                progress(index, len(letters), result)
    finally:
        if not dry_run:
            catalogue.save()
    return summary


def _one(project: Project, catalogue: Catalogue, letter: Letter, *, dry_run: bool,
         refresh: bool, download_images: bool, fallback_date: dt.date | None,
         fallback_title: str) -> Result:
    status, path = catalogue.status(letter.source)
    result = Result(letter.source, letter.label, EXISTS, path)
    if status == "edited":
        return _set(result, EDITED, "edited since it was imported; left alone")
    if status == "deleted":
        return _set(result, EDITED, "deleted since it was imported; not imported again")
    if status == "exists" and not refresh:
        return result
    try:
        article = letter.load()
    except SendError as exc:
        if "auth/failed" in (exc.provider_code or ""):
            raise
        return _set(result, FAILED, str(exc))
    except ConversionError as exc:
        return _set(result, FAILED, str(exc))
    except (PublisherError, OSError, ValueError) as exc:  # one letter, not the import
        return _set(result, FAILED, f"{type(exc).__name__}: {exc}")
    title = letter.title or article.title or fallback_title
    date = letter.date or article.date or fallback_date
    if not title:
        return _set(result, FAILED, "no title: the letter has no subject or heading "
                                    "(pass --title)")
    if date is None:
        return _set(result, FAILED, "no date in the letter (pass --date)")
    reuse = catalogue.by_source.get(letter.source) if status == "exists" else None
    number, slug, target = catalogue.allocate(letter.series, title, reuse=reuse)
    markdown = article.markdown
    fetch = not dry_run
    plan = localise(markdown, folder=project.issues_dir / "images" / target.stem,
                    issues_dir=project.issues_dir, source_dir=letter.source_dir,
                    download=download_images, fetch=fetch)
    aliases = list(dict.fromkeys([*letter.aliases, *article.aliases]))
    text = issue_file_text(title=title, date=date, series=letter.series, number=number,
                           slug=slug, source=letter.source, markdown=plan.markdown,
                           aliases=aliases)
    broken = lint_markdown(plan.markdown)
    if broken:
        line, message = broken[0]
        return _set(result, FAILED, f"the converted Markdown is wrong at body line {line}: "
                                    f"{message}")
    result.path, result.text, result.notes, result.aliases = target, text, plan.notes, aliases
    if dry_run:
        return _set(result, WOULD, "")
    data = text.encode("utf-8")
    write_atomic(target, data)
    catalogue.wrote(letter.source, target, data)
    return _set(result, IMPORTED, "")


def _set(result: Result, status: str, reason: str) -> Result:
    result.status = status
    result.reason = reason
    return result
