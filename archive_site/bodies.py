"""Stage 2: issue bodies rendered once and cached, in worker processes when there are many.

The body HTML is exactly the email's (``publisher.render.render_body``): the table with lists
in its cells, the ``span.cell-label`` for stacked layouts. With it the cache keeps the
body's search stems and its local images, so later stages never convert Markdown again.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from collections.abc import Callable, Iterable

from archive_site.cache import Cache, CachedBody
from archive_site.collect import Entry
from archive_site.search import terms
from archive_site.workers import current_project
from publisher.errors import Location, Problem, PublisherError
from publisher.load import split_front_matter
from publisher.models import Issue
from publisher.render import render_body

Mapper = Callable[[Callable, Iterable], Iterable]


def render_job(args: tuple[str, Issue]) -> tuple[str, CachedBody | None, list[Problem]]:
    """Render one body (runs in a worker process); problems are returned, not raised."""
    key, issue = args
    project = current_project()
    try:
        text = Path(issue.path).read_text(encoding="utf-8")
        _, body, _ = split_front_matter(text, project.relative(issue.path))
        rendered = render_body(dataclasses.replace(issue, body=body), project)
    except PublisherError as exc:
        return key, None, exc.problems or [Problem(Location(project.relative(issue.path)),
                                                   str(exc))]
    images = []
    issues_dir = project.issues_dir.resolve()
    for image in rendered.images:
        if image.local_path is not None and image.local_path.is_file():
            try:
                images.append(image.local_path.relative_to(issues_dir).as_posix())
            except ValueError:  # outside issues/: not published (checks report it)
                continue
    return key, CachedBody(html=rendered.html, terms=terms(rendered.text),
                           images=tuple(sorted(set(images)))), []


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
        from publisher.errors import IssueError

        raise IssueError(problems=problems)
    return len(jobs)
