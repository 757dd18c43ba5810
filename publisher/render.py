"""Stage 2: an Issue's Markdown -> body HTML and plain text; Jinja email templates -> Email.

The Markdown converter and the Jinja environment are built once per process and reused:
building them costs more than converting one issue. Templates use ``StrictUndefined`` so a
misspelt variable is an error with the template's file and line, not an empty string.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import re
import traceback
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from publisher import urls
from publisher.config import Project
from publisher.errors import TemplateError
from publisher.i18n import format_date, strings
from publisher.merge_tags import Dialect, dialect_for
from publisher.models import Email, Issue
from publisher.utm import add_utm

if TYPE_CHECKING:  # Markdown and lxml load on first use: a build with nothing to render
    from publisher.markdown_ext import ImageRef  # skips them, and start-up is most of it

PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@dataclass(frozen=True)
class RenderedBody:
    """An issue body in both forms, plus what checks need to know about it."""

    html: str
    text: str
    images: tuple[ImageRef, ...]


@lru_cache(maxsize=4)
def _converter(typography: bool):  # type: ignore[no-untyped-def]
    from publisher.markdown_ext import make_markdown

    return make_markdown(typography)


def markdown_to_html(source: str, project: Project, *, source_dir: Path | None = None,
                     first_line: int = 1) -> tuple[str, list[ImageRef]]:
    """Convert Markdown with the newsletter syntax; returns HTML and the images found."""
    md, extension = _converter(project.settings.typography)
    from publisher.markdown_ext import ConvertContext

    extension.context = ConvertContext(
        source_dir=source_dir, assets_root=project.issues_dir,
        assets_url=urls.assets_url(project), source=source, first_line=first_line)
    md.reset()
    html = md.convert(source)
    return html, extension.context.images


def render_body(issue: Issue, project: Project) -> RenderedBody:
    """The issue's Markdown as HTML (shared by email and archive) and as plain text."""
    html, images = markdown_to_html(issue.body, project, source_dir=issue.path.parent,
                                    first_line=issue.body_line)
    from publisher.plaintext import html_to_text

    return RenderedBody(html=html, text=html_to_text(html), images=tuple(images))


def template_dirs(project: Project) -> list[Path]:
    """The folder's own templates first, then the ones shipped with publisher."""
    dirs = [project.templates_dir]
    shipped = PACKAGE_TEMPLATES
    if shipped.is_dir() and shipped.resolve() != project.templates_dir.resolve():
        dirs.append(PACKAGE_TEMPLATES)
    return dirs


@lru_cache(maxsize=8)
def _environment(dirs: tuple[str, ...]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(list(dirs), encoding="utf-8"),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def environment(project: Project) -> jinja2.Environment:
    return _environment(_template_dirs_key(project))


@lru_cache(maxsize=8)
def _template_dirs_key(project: Project) -> tuple[str, ...]:
    # template_dirs() resolves paths (file-system calls); once per project is enough
    return tuple(str(d) for d in template_dirs(project))


def render_template(project: Project, name: str, context: dict[str, Any]) -> str:
    """Render one template; any Jinja failure becomes a TemplateError at ``file:line``."""
    env = environment(project)
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError.at(_template_path(project, exc.filename or exc.name or name),
                               exc.lineno, f"template syntax error: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError.at(project.relative(project.templates_dir / name), None,
                               f"template {exc.name!r} not found in "
                               f"{', '.join(str(d) for d in template_dirs(project))}") from None
    except jinja2.TemplateError as exc:
        path, line = _template_frame(exc)
        raise TemplateError.at(_template_path(project, path or name), line,
                               f"template error: {exc}") from None


def _template_path(project: Project, filename: str) -> Path:
    """A template's file as the author knows it: relative to the newsletter folder."""
    return project.relative(Path(filename))


def _template_frame(exc: BaseException) -> tuple[str | None, int | None]:
    """The innermost template file and line in a Jinja traceback (Jinja rewrites frames)."""
    found: tuple[str | None, int | None] = (None, None)
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith((".html", ".txt", ".xml", ".css", ".j2")):
            found = (frame.filename, frame.lineno)
    return found


@lru_cache(maxsize=8)
def _library_html(project: Project) -> str:
    library = project.settings.library
    if library is None or not library.text:
        return ""
    html, _ = markdown_to_html(library.text, project)
    return html


@lru_cache(maxsize=8)
def _library_text(project: Project) -> str:
    from publisher.plaintext import html_to_text

    return html_to_text(_library_html(project)).strip()


def common_context(project: Project) -> dict[str, Any]:
    """What every email and archive page shows: site, menu, newsletters, library, footer."""
    settings = project.settings
    return {
        "site": settings.site,
        "sender": settings.sender,
        "navigation": settings.navigation,
        "all_series": settings.series,
        "library": settings.library,
        "library_html": Markup(_library_html(project)),
        "library_text": _library_text(project),
        "footer": settings.footer,
        "lang": settings.site.language,
        "t": strings(settings.site.language),
        "base_url": urls.base(project),
        "format_date": lambda d: format_date(d, settings.site.language),
    }


def typeset(text: str, project: Project) -> str:
    """``text`` with the language's typography (for titles shown outside the body)."""
    if not project.settings.typography:
        return text
    from publisher.typography import RussianTypographer

    return RussianTypographer()(text)


_HEADING = re.compile(r"<h[12][^>]*>(.*?)</h[12]>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def _title_in_body(title: str, body_html: str) -> bool:
    wanted = _normalise(title)
    return any(_normalise(html_lib.unescape(_TAG.sub("", m.group(1)))) == wanted
               for m in _HEADING.finditer(body_html))


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip().casefold()


def email_context(issue: Issue, project: Project, body: RenderedBody,
                  dialect: Dialect) -> dict[str, Any]:
    settings = project.settings
    series = settings.series_by_slug(issue.series)
    archive_page = urls.issue_url(project, issue)
    unsubscribe = dialect.unsubscribe_url
    title_html = typeset(issue.title, project)
    return {
        **common_context(project),
        "issue": issue,
        "title_html": title_html,
        # an author who placed the title as a heading inside the body (after a greeting, as
        # in the sample) gets it there, not twice
        "show_title": not _title_in_body(title_html, body.html),
        "series": series,
        "date": format_date(issue.date, settings.site.language),
        "body_html": Markup(body.html),
        "body_text": body.text,
        "reason": settings.footer.reason.replace("{series}", series.title if series else ""),
        "links": {
            "web_version": dialect.web_version_url or archive_page,
            "archive_page": archive_page,
            "series_archive": urls.series_url(project, issue.series),
            "archive": urls.base(project),
            "unsubscribe": unsubscribe,
            "subscribe": series.subscribe_url if series else "",
        },
        "dialect": dialect.name,
    }


def render_email(issue: Issue, project: Project, *, backend: str | None = None,
                 body: RenderedBody | None = None) -> Email:
    """The finished email for ``issue`` as ``backend`` (default: config) will deliver it."""
    from publisher.inline import inline_css  # deferred import: premailer is slow to import

    settings = project.settings
    dialect = dialect_for(backend or settings.esp.backend)
    body = body or render_body(issue, project)
    context = email_context(issue, project, body, dialect)
    template = settings.email.template
    html = render_template(project, f"email/{template}.html", context)
    text = render_template(project, f"email/{template}.txt", context)
    if settings.email.utm:
        html = add_utm(html, own_url=settings.site.base_url, source=issue.series,
                       campaign=issue.key)
    html = inline_css(html)
    digest = hashlib.sha256(
        "\0".join((issue.title, html, text)).encode("utf-8")).hexdigest()
    domain = settings.sender.email.rpartition("@")[2]
    return Email(
        issue_key=issue.key,
        series=issue.series,
        subject=issue.title,
        from_name=settings.sender.name,
        from_email=settings.sender.email,
        reply_to=settings.sender.reply_to,
        html=html,
        text=text,
        preheader=issue.preheader,
        message_id=f"<{issue.series}.{issue.slug}.{digest[:12]}@{domain}>",
        content_hash=digest,
        language=settings.site.language,
        list_unsubscribe=dialect.unsubscribe_url,
    )


def check_body(issue: Issue, body: RenderedBody, project: Project) -> tuple[list, list]:
    """(errors, warnings) about the body: table rows that lose cells, missing images,
    images without alt text."""
    from publisher.errors import Location, Problem
    from publisher.markdown_lint import lint_markdown

    where = project.relative(issue.path)
    errors = [Problem(Location(where, line), message)
              for line, message in lint_markdown(issue.body, issue.body_line)]
    warnings = []
    for image in body.images:
        location = Location(where, image.line)
        if image.local_path is not None and not image.local_path.is_file():
            errors.append(Problem(location, f"image not found: {image.src}"))
        if not image.alt.strip():
            warnings.append(Problem(location, f"image has no alt text: {image.src} "
                                              "(write ![description](...))"))
    return errors, warnings


__all__ = ["RenderedBody", "render_body", "render_email", "markdown_to_html", "render_template",
           "environment", "common_context", "check_body"]
