"""Email previews for ``publisher serve``: every issue's email as subscribers will see it.

``/__emails/`` lists the issues (drafts included: previewing is what drafts are for);
``/__emails/<series>/<slug>/`` shows the finished email — rendered by
:func:`publisher.pipeline.prepare`, exactly what ``send`` hands to the backend — in two frames,
a phone (375 px) and a desktop mail client (800 px), with the subject, sender, preheader, size,
warnings and the plain-text part. Merge tags are filled with a sample subscriber so links and
names read as in a real inbox. These pages exist only in the preview server, never in the site.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from publisher import urls
from publisher.config import Project
from publisher.errors import PublisherError
from publisher.load import issue_files, load_issue
from publisher.render.merge_tags import personalise
from publisher.models import Issue, Recipient
from publisher.pipeline import Prepared, prepare

PREFIX = "/__emails/"
PHONE_WIDTH = 375
DESKTOP_WIDTH = 800
SAMPLE_EMAIL = "reader@example.org"
SAMPLE_NAME = {"ru": "Анна", "en": "Anna"}


@dataclass(frozen=True)
class Listing:
    """Issues that load, and ``path:line`` problems of those that do not."""

    issues: tuple[Issue, ...]
    errors: tuple[str, ...]


def list_issues(project: Project) -> Listing:
    """Every issue file, newest first; a broken file is reported, not fatal to the list."""
    issues: list[Issue] = []
    errors: list[str] = []
    for path in issue_files(project):
        try:
            issues.append(load_issue(path, project))
        except PublisherError as exc:
            errors.extend(exc.lines())
    issues.sort(key=lambda i: (i.date, i.series, i.number), reverse=True)
    return Listing(tuple(issues), tuple(errors))


def find(listing: Listing, series: str, slug: str) -> Issue | None:
    return next((i for i in listing.issues if i.series == series and i.slug == slug), None)


def fill_tags(text: str, prepared: Prepared, project: Project, *, as_html: bool = False) -> str:
    """The email with the ESP's per-subscriber tags evaluated for a sample subscriber."""
    settings = project.settings
    language = settings.site.language.split("-")[0]
    sample = Recipient(SAMPLE_EMAIL, SAMPLE_NAME.get(language, SAMPLE_NAME["en"]))
    return personalise(text, sample, unsubscribe_url=settings.footer.unsubscribe_url
                       or "#unsubscribe", series=prepared.issue.series, html=as_html,
                       issue_values=dict(prepared.email.tag_values))


def email_document(prepared: Prepared, project: Project) -> str:
    """The HTML part for a frame: links open outside the preview (a ``<base>`` is added)."""
    document = fill_tags(prepared.email.html, prepared, project, as_html=True)
    head = document.find("<head>")
    if head >= 0:
        document = document[: head + 6] + '<base target="_blank">' + document[head + 6:]
    return document


def render(project: Project, issue: Issue) -> Prepared:
    return prepare(project, issue.path)


_STYLE = """
body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;
color:#1f2a33;background:#f4f6f8}
header,main{padding:12px 20px}header{background:#1f2a33;color:#fff}
header a{color:#cfe0ff}h1{font-size:20px;margin:4px 0 8px}
table.meta{border-collapse:collapse;margin:0 0 12px}
table.meta th{text-align:left;padding:2px 12px 2px 0;color:#5b6770;font-weight:normal;
vertical-align:top}table.meta td{padding:2px 0}
.frames{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
.frame{min-width:0;max-width:100%;overflow-x:auto}
.frame h2{font-size:14px;margin:0 0 6px;color:#5b6770}
iframe{display:block;border:1px solid #c8d1d9;background:#fff;height:900px}
.warn{background:#fff7e0;border-left:4px solid #c98a00;padding:8px 12px;margin:0 0 12px}
.err{background:#fdecea;border-left:4px solid #b3261e;padding:8px 12px;margin:0 0 12px;
white-space:pre-wrap;font:13px/1.4 ui-monospace,Menlo,Consolas,monospace}
pre.text{white-space:pre-wrap;background:#fff;border:1px solid #c8d1d9;padding:12px;
max-width:72ch;overflow-wrap:anywhere;font:13px/1.45 ui-monospace,Menlo,Consolas,monospace}
ul.issues{padding-left:18px}ul.issues li{margin:0 0 6px}.muted{color:#5b6770}
"""

# Grow each frame to its document's height, so the whole email scrolls with the page.
_FIT_FRAMES = """<script>
for (const f of document.querySelectorAll('iframe[data-fit]')) {
  const fit = () => { try { f.style.height =
    f.contentDocument.documentElement.scrollHeight + 'px'; } catch (e) {} };
  f.addEventListener('load', fit); if (f.contentDocument &&
    f.contentDocument.readyState === 'complete') fit();
}
</script>"""


def _page(title: str, body: str, language: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="{html.escape(language)}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
            f"<body>{body}</body></html>\n")


def _errors(lines: tuple[str, ...] | list[str]) -> str:
    return "".join(f'<div class="err">{html.escape(line)}</div>' for line in lines)


def index_page(project: Project, listing: Listing, site_prefix: str) -> str:
    """``/__emails/``: every issue, newest first, with its status."""
    items = []
    for issue in listing.issues:
        status = "" if issue.status == "ready" else f' <span class="muted">({issue.status})</span>'
        items.append(
            f'<li><a href="{PREFIX}{issue.series}/{issue.slug}/">{html.escape(issue.title)}</a>'
            f'{status}<br><span class="muted">{issue.date.isoformat()} · {issue.series} '
            f"№{issue.number} · {html.escape(str(project.relative(issue.path)))}</span></li>")
    body = (f'<header><a href="{html.escape(site_prefix)}">← site</a>'
            f"<h1>Email previews</h1></header><main>{_errors(listing.errors)}"
            f'<ul class="issues">{"".join(items) or "<li>No issues yet.</li>"}</ul></main>')
    return _page("Email previews", body, project.settings.site.language)


def preview_page(project: Project, prepared: Prepared, site_prefix: str) -> str:
    """``/__emails/<series>/<slug>/``: the email at phone and desktop width, and its text."""
    email = prepared.email
    issue = prepared.issue
    base = f"{PREFIX}{issue.series}/{issue.slug}/"
    sender = f"{email.from_name} <{email.from_email}>"
    rows = [("From", sender), ("Subject", email.subject), ("Preheader", email.preheader or "—"),
            ("Size", f"{email.html_size / 1024:.1f} KB HTML (Gmail clips at 102 KB)"),
            ("Source", str(project.relative(issue.path)))]
    if email.reply_to:
        rows.insert(1, ("Reply-To", email.reply_to))
    meta = "".join(f"<tr><th>{k}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    warnings = "".join(f'<div class="warn">{html.escape(str(w))}</div>'
                       for w in prepared.warnings)
    frames = "".join(
        f'<section class="frame"><h2>{label} · {width} px</h2>'
        f'<iframe data-fit title="{label} preview" width="{width}" src="{base}email.html" '
        'sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox">'
        "</iframe></section>"
        for label, width in (("Phone", PHONE_WIDTH), ("Desktop", DESKTOP_WIDTH)))
    text = html.escape(fill_tags(email.text, prepared, project))
    body = (f'<header><a href="{PREFIX}">← all emails</a> · '
            f'<a href="{html.escape(site_prefix + urls.issue_path(issue))}">web page</a>'
            f"<h1>{html.escape(email.subject)}</h1></header><main>"
            f'<table class="meta">{meta}</table>{warnings}<div class="frames">{frames}</div>'
            f'<h2>Plain-text part</h2><pre class="text">{text}</pre></main>{_FIT_FRAMES}')
    return _page(email.subject, body, project.settings.site.language)


def error_page(title: str, lines: list[str] | tuple[str, ...], language: str) -> str:
    body = (f'<header><a href="{PREFIX}">← all emails</a><h1>{html.escape(title)}</h1></header>'
            f"<main>{_errors(lines)}</main>")
    return _page(title, body, language)


def issue_path_of(request_path: str) -> tuple[str, str, str] | None:
    """``/__emails/<series>/<slug>/[email.html|email.txt]`` -> (series, slug, part)."""
    parts = [p for p in request_path[len(PREFIX):].split("/") if p]
    if len(parts) == 2:
        return parts[0], parts[1], ""
    if len(parts) == 3 and parts[2] in ("email.html", "email.txt"):
        return parts[0], parts[1], parts[2]
    return None


__all__ = [
    "PREFIX", "Listing", "list_issues", "index_page", "preview_page", "email_document",
    "error_page", "find", "render", "issue_path_of",
]
