"""Stage 2: issue bodies rendered once and cached, in worker processes when there are many.

The body HTML is exactly the email's (what ``publisher.render.render_body`` makes): the table
with lists in its cells, the ``span.cell-label`` for stacked layouts. With it the cache keeps the
body's search stems and its local images, so later stages never convert Markdown again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path

from archive_site.cache import Cache, CachedBody
from archive_site.collect import Entry
from archive_site.workers import current_project
from publisher.config import Project
from publisher.errors import IssueError, Location, Problem, PublisherError
from publisher.load import split_front_matter
from publisher.render.markdown_ext import ImageRef
from publisher.render.merge_tags import for_web
from publisher.models import Issue
from publisher.render import markdown_to_html
from publisher.render.body import image_outside

Mapper = Callable[[Callable, Iterable], Iterable]


def body_html(issue: Issue, project: Project) -> tuple[str, list[ImageRef]]:
    """The body HTML of ``render_body`` (so exactly the email's), without its plain-text
    twin: the archive does not need wrapped text, and making it is a quarter of the cost of
    a cold build. tests/archive check that this stays equal to ``render_body(...).html``."""
    return markdown_to_html(issue.body, project, source_dir=Path(issue.path).parent,
                            first_line=issue.body_line)


def render_job(args: tuple[str, Issue]) -> tuple[str, CachedBody | None, list[Problem]]:
    """Render one body (runs in a worker process); problems are returned, not raised."""
    key, issue = args
    project = current_project()
    try:
        text = Path(issue.path).read_text(encoding="utf-8")
        _, body, _ = split_front_matter(text, project.relative(issue.path))
        html, found = body_html(dataclasses.replace(issue, body=body), project)
        html = for_web(html, project, issue)  # ESP tags as for an anonymous reader
    except PublisherError as exc:
        return key, None, exc.problems or [Problem(Location(project.relative(issue.path)),
                                                   str(exc))]
    images = []
    issues_dir = project.issues_dir.resolve()
    for image in found:
        outside = image_outside(image, issues_dir)
        if outside:
            return key, None, [Problem(Location(project.relative(issue.path), image.line),
                                       outside)]
        if image.local_path is not None and image.local_path.is_file():
            try:
                images.append(image.local_path.relative_to(issues_dir).as_posix())
            except ValueError:  # outside issues/: not published (checks report it)
                continue
    # terms stay empty: Pagefind indexes the finished pages (archive_site/search.py)
    return key, CachedBody(html=html, terms="", images=tuple(sorted(set(images)))), []


def render_bodies(entries: tuple[Entry, ...], cache: Cache, mapper: Mapper,
                  progress: Callable[[str, int, int], None] | None = None) -> int:
    """Render every body the cache lacks; returns how many were rendered."""
    missing = cache.missing_bodies([e.body_key for e in entries])
    jobs = {e.body_key: e.issue for e in entries if e.body_key in missing}
    problems: list[Problem] = []
    batch: dict[str, CachedBody] = {}
    done = 0
    for key, body, found in mapper(render_job, list(jobs.items())):
        done += 1
        if body is None:
            problems.extend(found)
            continue
        batch[key] = body
        if len(batch) >= 200:  # bound memory: bodies go to disk as they come
            cache.put_bodies(batch)
            batch = {}
        if progress is not None:
            progress("render", done, len(jobs))
    cache.put_bodies(batch)
    if problems:
        raise IssueError(problems=problems)
    return len(jobs)
