"""Markdown -> body: an issue's Markdown as HTML (shared by the email and the archive page)
and as plain text, plus what the checks need to know about it (images, lint).

The Markdown converter is built once per process and reused: building it costs more than
converting one issue. Markdown and lxml load on first use, so a build with nothing to render
skips them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from publisher import urls
from publisher.config import Project
from publisher.models import Issue

if TYPE_CHECKING:  # Markdown and lxml load on first use: a build with nothing to render
    from publisher.render.markdown_ext import ImageRef  # skips them, and start-up is most of it


@dataclass(frozen=True)
class RenderedBody:
    """An issue body in both forms, plus what checks need to know about it."""

    html: str
    text: str
    images: tuple[ImageRef, ...]


@lru_cache(maxsize=4)
def _converter(typography: bool):  # type: ignore[no-untyped-def]
    from publisher.render.markdown_ext import make_markdown

    return make_markdown(typography)


def markdown_to_html(source: str, project: Project, *, source_dir: Path | None = None,
                     first_line: int = 1) -> tuple[str, list[ImageRef]]:
    """Convert Markdown with the newsletter syntax; returns HTML and the images found."""
    md, extension = _converter(project.settings.typography)
    from publisher.render.markdown_ext import ConvertContext

    extension.context = ConvertContext(
        source_dir=source_dir, assets_root=project.issues_dir,
        assets_url=urls.assets_url(project), source=source, first_line=first_line)
    md.reset()
    html = md.convert(source)
    if project.settings.site.safe_html:
        from publisher.render.sanitize import sanitize_html

        html = sanitize_html(html)
    return html, extension.context.images


def render_body(issue: Issue, project: Project) -> RenderedBody:
    """The issue's Markdown as HTML (shared by email and archive) and as plain text."""
    html, images = markdown_to_html(issue.body, project, source_dir=issue.path.parent,
                                    first_line=issue.body_line)
    from publisher.render.text import html_to_text

    return RenderedBody(html=html, text=html_to_text(html), images=tuple(images))


def image_outside(image: ImageRef, issues_dir: Path) -> str | None:
    """Why a local image cannot be published (it is not under issues/), or None.

    The archive copies images from issues/ only, so one elsewhere would be missing from the
    site and its email link would climb out of ``assets/``.
    """
    if image.local_path is None or image.local_path.is_relative_to(issues_dir):
        return None
    return (f"image outside issues/: {image.src} (the archive publishes images from issues/ "
            "only; move it there)")


def check_body(issue: Issue, body: RenderedBody, project: Project) -> tuple[list, list]:
    """(errors, warnings) about the body: table rows that lose cells, missing images;
    Markdown the renderer would show as source, images without alt text or (remote ones)
    without a width."""
    from publisher.errors import Location, Problem
    from publisher.render.markdown_lint import lint_markdown, unsupported_markdown

    where = project.relative(issue.path)
    errors = [Problem(Location(where, line), message)
              for line, message in lint_markdown(issue.body, issue.body_line)]
    warnings = [Problem(Location(where, line), message)
                for line, message in unsupported_markdown(issue.body, issue.body_line)]
    issues_dir = project.issues_dir.resolve()
    for image in body.images:
        location = Location(where, image.line)
        outside = image_outside(image, issues_dir)
        if outside:
            errors.append(Problem(location, outside))
        elif image.local_path is not None and not image.local_path.is_file():
            errors.append(Problem(location, f"image not found: {image.src}"))
        if not image.alt.strip():
            warnings.append(Problem(location, f"image has no alt text: {image.src} "
                                              "(write ![description](...))"))
        if image.local_path is None and not image.width and not image.src.startswith("data:"):
            warnings.append(Problem(location, f"remote image has no width: {image.src} "
                                              "(Outlook shows it at its own size; write "
                                              "![...](...){: width=\"552\" } or smaller)"))
    return errors, warnings
