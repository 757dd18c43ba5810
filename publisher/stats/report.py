"""``_report/index.html``: the author's local view of the statistics (never in the archive).

One self-contained page (inline CSS, inline SVG, no script, no request to anywhere) and
``stats.csv`` beside it with the table's rows. Sections: open and click rates over time per
newsletter, the best and worst issues by open rate, a funnel (and top links) per issue, the
most clicked links (``links.csv`` beside it), the table, and the
SMTP/outbox sends with what the ledger knows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from html import escape
from pathlib import Path

from publisher.config import Project
from publisher.i18n import report_strings
from publisher.stats import charts
from publisher.stats.store import SendStats

COLUMNS = ("recipients", "delivered", "bounced", "deferred", "opens", "clicks", "unsubscribes")

_CSS = """
:root { --ink: #1f2a33; --muted: #56626b; --page: #fff; --rule: #d5dce2; --bar: #7aa7d9;
  --open: #1d4f91; --click: #b04a00; color-scheme: light dark; }
@media (prefers-color-scheme: dark) { :root { --ink: #e4e8eb; --muted: #a7b2bb;
  --page: #13181c; --rule: #3a464f; --bar: #3f6ea3; --open: #8cb8f5; --click: #ffab70; } }
body { margin: 0 auto; max-width: 60rem; padding: 1rem; font: 15px/1.5 system-ui, sans-serif;
  color: var(--ink); background: var(--page); }
a { color: var(--open); } h2 { margin-top: 2rem; }
.chart { width: 100%; max-width: 40rem; height: auto; display: block; }
.chart text { fill: var(--ink); font-size: 12px; }
.legend-open { color: var(--open); } .legend-click { color: var(--click); }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { border-bottom: 1px solid var(--rule); padding: 0.3rem 0.4rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.muted { color: var(--muted); } details { margin: 0.4rem 0; }
table.links td:first-child { overflow-wrap: anywhere; }
table.links td:nth-child(2) { text-align: left; }
"""


#: how many links the report lists across issues, and per issue
TOP_LINKS, TOP_LINKS_PER_ISSUE = 10, 5


def write_report(project: Project, sends: list[SendStats], out_dir: Path,
                 now: dt.datetime | None = None,
                 links: list[tuple[str, str, int]] | None = None) -> Path:
    """Write ``index.html``, ``stats.csv`` and ``links.csv`` into ``out_dir`` (atomically);
    returns the page. ``links``: ``(send, url, clicks)``, most clicked first."""
    words = report_strings(project.settings.site.language)
    titles = {s.slug: s.title for s in project.settings.series}
    esp = [s for s in sends if s.opens is not None]
    local = [s for s in sends if s.opens is None]
    parts = [f'<!DOCTYPE html><html lang="{escape(project.settings.site.language)}"><head>'
             '<meta charset="utf-8"><meta name="viewport" content="width=device-width, '
             f'initial-scale=1"><meta name="robots" content="noindex"><title>'
             f'{escape(words["title"])}</title><style>{_CSS}</style></head><body>'
             f'<h1>{escape(words["title"])}</h1>']
    stamp = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="minutes")
    parts.append(f'<p class="muted">{words["generated"]}: {stamp} · '
                 f'<a href="stats.csv" download>{words["csv"]}</a> · '
                 f'<a href="links.csv" download>{words["links_csv"]}</a></p>')
    by_send = {s.send: s for s in sends}
    links = [row for row in links or [] if row[0] in by_send]
    if not sends:
        parts.append(f"<p>{words['none']}</p>")
    if esp:
        parts.append(f'<h2>{words["rates"]}</h2><p><span class="legend-open">━ '
                     f'{words["open"]}</span> · <span class="legend-click">╌ {words["click"]}'
                     "</span></p>")
        for slug in sorted({s.series for s in esp}):
            own = [s for s in esp if s.series == slug]
            name = titles.get(slug, slug)
            points = [(dt.date.fromisoformat(s.sent_at[:10]), s.rate("opens"), s.rate("clicks"))
                      for s in own]
            parts.append(f"<h3>{escape(name)}</h3>{charts.rate_lines(name, points)}")
        ranked = sorted((s for s in esp if s.rate("opens") is not None),
                        key=lambda s: (-(s.rate("opens") or 0), s.sent_at))
        for heading, chosen in ((words["best"], ranked[:3]), (words["worst"], ranked[::-1][:3])):
            parts.append(f"<h2>{heading}</h2><ol>")
            parts += [f"<li>{escape(s.title)} — {s.rate('opens'):.1f}% / "
                      f"{s.rate('clicks') or 0:.1f}% <span class=\"muted\">"
                      f"({s.sent_at[:10]})</span></li>" for s in chosen]
            parts.append("</ol>")
        parts.append(f"<h2>{words['funnels']}</h2>")
        for s in sorted(esp, key=lambda s: s.sent_at, reverse=True):
            steps = [(words[c], getattr(s, c)) for c in ("recipients", "delivered", "opens",
                                                         "clicks")]
            own = [(url, n) for send, url, n in links if send == s.send][:TOP_LINKS_PER_ISSUE]
            listed = (f"<p>{words['top_links']}:</p><ol class=\"links\">" + "".join(
                f"<li>{_link(url)} — {n}</li>" for url, n in own) + "</ol>") if own else ""
            parts.append(f"<details open><summary>{escape(s.title)} · {s.sent_at[:10]}"
                         f"</summary>{charts.funnel(s.title, steps)}{listed}</details>")
        parts.append(f"<h2>{words['links']}</h2>")
        if links:
            parts.append(f"<table class=\"links\"><thead><tr><th>{words['link']}</th>"
                         f"<th>{words['issue']}</th><th>{words['clicks']}</th></tr></thead>"
                         "<tbody>" + "".join(
                             f"<tr><td>{_link(url)}</td><td>{escape(by_send[send].title)}</td>"
                             f"<td>{n}</td></tr>" for send, url, n in links[:TOP_LINKS]) +
                         "</tbody></table>")
        else:
            parts.append(f"<p class=\"muted\">{words['links_note']}</p>")
    if sends:
        parts.append(f"<h2>{words['table']}</h2>{_table(sends, words)}")
    if local:
        parts.append(f"<h2>{words['ledger']}</h2><p class=\"muted\">{words['ledger_note']}</p>"
                     "<table><thead><tr>" + "".join(
                         f"<th>{words[c]}</th>" for c in ("issue", "date", "backend",
                                                          "recipients", "sent", "refused",
                                                          "deferred")) + "</tr></thead><tbody>")
        for s in local:
            parts.append(f"<tr><td>{escape(s.title)}</td><td>{s.sent_at[:10]}</td>"
                         f"<td>{escape(s.backend)}</td>" + "".join(
                             f"<td>{_n(v)}</td>" for v in (s.recipients, s.delivered, s.bounced,
                                                           s.deferred)) + "</tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>\n")
    out_dir.mkdir(parents=True, exist_ok=True)
    _atomic(out_dir / "stats.csv", _csv(sends).encode("utf-8"))
    _atomic(out_dir / "links.csv", _links_csv(links, by_send).encode("utf-8"))
    page = out_dir / "index.html"
    _atomic(page, "".join(parts).encode("utf-8"))
    return page


def _table(sends: list[SendStats], words: dict[str, str]) -> str:
    head = "".join(f"<th>{words[c]}</th>" for c in ("issue", "date", "backend", *COLUMNS))
    rows = []
    for s in sorted(sends, key=lambda s: s.sent_at, reverse=True):
        cells = "".join(f"<td>{_n(getattr(s, c))}</td>" for c in COLUMNS)
        rows.append(f"<tr><td>{escape(s.title)}</td><td>{s.sent_at[:10]}</td>"
                    f"<td>{escape(s.backend)}</td>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _csv(sends: list[SendStats]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(("issue", "title", "backend", "sent_at", *COLUMNS, "open_rate",
                     "click_rate"))
    for s in sends:
        rates = [f"{r:.2f}" if (r := s.rate(n)) is not None else "" for n in ("opens", "clicks")]
        writer.writerow((s.issue, s.title, s.backend, s.sent_at,
                         *("" if getattr(s, c) is None else getattr(s, c) for c in COLUMNS),
                         *rates))
    return buffer.getvalue()


def _links_csv(links: list[tuple[str, str, int]], by_send: dict[str, SendStats]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(("issue", "title", "sent_at", "url", "clicks"))
    for send, url, clicks in links:
        s = by_send[send]
        writer.writerow((s.issue, s.title, s.sent_at, url, clicks))
    return buffer.getvalue()


def _link(url: str) -> str:
    """A link the author can follow, shown without its scheme; long ones shortened."""
    shown = url.split("://", 1)[-1]
    if len(shown) > 70:
        shown = shown[:67] + "…"
    return f'<a href="{escape(url)}" rel="noreferrer">{escape(shown)}</a>'


def _n(value: int | None) -> str:
    return "—" if value is None else str(value)


def _atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
