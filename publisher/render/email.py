"""Body -> email: the Jinja email templates around a rendered body, UTM tags, CSS inlined.

The result is the finished :class:`~publisher.models.Email` a backend delivers; the context
built here (site, menu, newsletters, library, footer) is shared with the archive pages.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import re
from functools import lru_cache
from typing import Any

from markupsafe import Markup

from publisher import urls
from publisher.config import Project
from publisher.i18n import format_date, strings
from publisher.models import Email, Issue
from publisher.render.body import RenderedBody, markdown_to_html, render_body
from publisher.errors import TemplateError
from publisher.render.merge_tags import Dialect, dialect_for, issue_values
from publisher.render.soft_breaks import soft_breaks
from publisher.render.templates import render_template, template_file
from publisher.render.utm import add_utm


@lru_cache(maxsize=8)
def _library_html(project: Project) -> str:
    library = project.settings.library
    if library is None or not library.text:
        return ""
    html, _ = markdown_to_html(library.text, project)
    return html


@lru_cache(maxsize=8)
def _library_email_html(project: Project) -> str:
    return soft_breaks(_library_html(project))


@lru_cache(maxsize=8)
def _library_text(project: Project) -> str:
    from publisher.render.text import html_to_text

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
    from publisher.render.typography import RussianTypographer

    return RussianTypographer()(text)


HEADING = re.compile(r"<h[12][^>]*>(.*?)</h[12]>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def title_in_body(title: str, body_html: str) -> bool:
    wanted = _normalise(title)
    return any(_normalise(html_lib.unescape(_TAG.sub("", m.group(1)))) == wanted
               for m in HEADING.finditer(body_html))


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
        "show_title": not title_in_body(title_html, body.html),
        "series": series,
        "date": format_date(issue.date, settings.site.language),
        # soft breaks are the email's only: the page wraps by CSS, and search reads words
        "body_html": Markup(soft_breaks(body.html)),
        "library_html": Markup(_library_email_html(project)),
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
    from publisher.render.inline import inline_css  # deferred import: premailer is slow to import

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
    if not html.strip():
        raise TemplateError.at(template_file(project, f"email/{template}.html"), 1,
                               "the template (or one it extends) renders to nothing; expected the "
                               "email's HTML")
    try:
        html = inline_css(html)
    except Exception as exc:  # lxml or cssutils refusing what the template made
        raise TemplateError.at(template_file(project, f"email/{template}.html"), None,
                               f"the HTML could not be inlined ({type(exc).__name__}: "
                               f"{exc}); expected an HTML document") from None
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
        tag_values=tuple(issue_values(project, issue).items()),
    )
