"""Where old letters come from: the Sendsay account's archive, or saved HTML files.

Each source yields :class:`Letter` objects in date order, each with a ``load`` that fetches
and converts it: a letter that cannot be read or converted fails alone, with its reference
and the reason, and the import goes on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publisher.config import Project
from publisher.errors import ConfigError, SendError
from publisher.importer.convert import Article, ConversionError, convert_bytes, convert_html, \
    convert_text

#: the first day a back catalogue is looked for when --since is not given
EARLIEST = dt.date(2000, 1, 1)
_DAY = re.compile(r"((?:19|20)\d\d)-(\d\d)-(\d\d)")


@dataclass
class Letter:
    """One old issue to import: its reference, series and (when known early) date/title."""

    source: str  # "sendsay:12345" | "html:<file name>#<hash>"
    label: str  # how messages name it
    series: str
    load: Callable[[], Article]
    date: dt.date | None = None
    title: str = ""
    source_dir: Path | None = None  # a saved page's folder (its images live there)
    aliases: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- Sendsay


def sendsay_client(project: Project):  # type: ignore[no-untyped-def]
    """A client of the account in newsletter.yaml, credentials from the environment."""
    from publisher.backends.sendsay import SendsayBackend, account_url
    from publisher.backends.sendsay_client import SendsayClient

    o = SendsayBackend.options_from(project)
    if not o["apikey"] and not o["password"]:
        raise ConfigError("sendsay: no credentials in the environment",
                          hint="set SENDSAY_APIKEY (the API key of a sublogin), or "
                               "SENDSAY_LOGIN, SENDSAY_SUBLOGIN and SENDSAY_PASSWORD")
    return SendsayClient(account_url(o["api_url"], o["login"]), login=o["login"],
                         apikey=o["apikey"], sublogin=o["sublogin"], password=o["password"],
                         timeout=o["timeout"])


def year_ranges(since: dt.date, until: dt.date) -> list[tuple[dt.date, dt.date]]:
    """``[since, until]`` cut into calendar years (how ``issue.list`` is paged)."""
    ranges = []
    start = since
    while start <= until:
        end = min(until, dt.date(start.year, 12, 31))
        ranges.append((start, end))
        start = end + dt.timedelta(days=1)
    return ranges


def sendsay_letters(client: Any, project: Project, *, since: dt.date | None,
                    until: dt.date | None, series: list[str],
                    on_page: Callable[[dt.date, dt.date, int], None] | None = None,
                    skipped: list[str] | None = None) -> list[Letter]:
    """Every issue the account sent to the chosen series' lists, oldest first.

    ``issue.list`` is asked a calendar year at a time and filtered by list id; rows whose
    ``gid`` is no series' ``list_id`` are left out (and noted in ``skipped``).
    """
    settings = project.settings
    by_list = {s.list_id: s.slug for s in settings.series
               if s.list_id and (not series or s.slug in series)}
    if not by_list:
        chosen = ", ".join(series) if series else "any series"
        raise ConfigError.at(project.relative(project.config_path), None,
                             f"no list_id for {chosen}: import sendsay maps each old issue "
                             "to the series whose list_id is the issue's list",
                             hint="set series[].list_id to the Sendsay list id (e.g. pl01)")
    since = since or EARLIEST
    until = until or dt.date.today()
    rows: dict[str, dict[str, Any]] = {}
    for start, end in year_ranges(since, until):
        page = client.issue_list(start, end, groups=sorted(by_list))
        if on_page is not None:
            on_page(start, end, len(page))
        for row in page:
            if isinstance(row, dict) and row.get("id") not in (None, ""):
                rows.setdefault(str(row["id"]), row)
    letters = []
    for issue_id, row in rows.items():
        gid = str(row.get("gid") or "")
        slug = by_list.get(gid)
        if slug is None:
            if skipped is not None:
                skipped.append(f"sendsay:{issue_id} (list {gid or 'unknown'} is no series' "
                               "list_id)")
            continue
        letters.append(Letter(
            source=f"sendsay:{issue_id}", label=f"Sendsay issue {issue_id}", series=slug,
            date=_day(row.get("date") or row.get("dt")),
            load=_sendsay_loader(client, issue_id, settings)))
    letters.sort(key=lambda x: (x.date or dt.date.max, _numeric(x.source)))
    return letters


def _numeric(source: str) -> tuple[int, str]:
    tail = source.rpartition(":")[2]
    return (int(tail), "") if tail.isdigit() else (0, tail)


def _day(value: Any) -> dt.date | None:
    match = _DAY.search(str(value or ""))
    if not match:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _sendsay_loader(client: Any, issue_id: str, settings: Any) -> Callable[[], Article]:
    def load() -> Article:
        try:
            answer = client.call("issue.get", id=_id_value(issue_id))
        except SendError as exc:
            if "auth/failed" in (exc.provider_code or ""):
                raise  # every other letter would fail the same way: stop the import
            raise ConversionError(f"issue.get failed: {exc}") from None
        parts = letter_parts(answer)
        if parts.html:
            article = convert_html(parts.html, settings)
        else:
            article = convert_text(parts.text)
        article.title = parts.subject or article.title
        article.date = parts.date or article.date
        for url in parts.urls:
            if url not in article.aliases:
                article.aliases.append(url)
        return article
    return load


def _id_value(issue_id: str) -> int | str:
    return int(issue_id) if issue_id.isdigit() else issue_id


@dataclass
class LetterParts:
    subject: str
    date: dt.date | None
    html: str
    text: str
    urls: list[str]


def letter_parts(answer: Any) -> LetterParts:
    """The parts of an ``issue.get`` answer, wherever they are (the shape is assumed, §6.4).

    Accepted: ``obj.letter.message.html`` (the documented guess), ``obj.letter["message.html"]``
    (dotted keys, as ``issue.send`` takes them), ``obj.message.html``, ``obj.html``, and the
    same without ``obj``; ``text`` likewise. Raise ConversionError when there is no letter.
    """
    if not isinstance(answer, dict):
        raise ConversionError("issue.get answered something that is not an object")
    obj = answer.get("obj", answer)
    if isinstance(obj, list) and obj and isinstance(obj[0], dict):
        obj = obj[0]
    if not isinstance(obj, dict):
        raise ConversionError(f"issue.get answer has an unexpected 'obj' ({type(obj).__name__})")
    letter = obj.get("letter") if isinstance(obj.get("letter"), dict) else obj
    places = [letter, obj]

    def find(*keys: str) -> Any:
        for place in places:
            for key in keys:
                value: Any = place
                for part in key.split("/"):
                    value = value.get(part) if isinstance(value, dict) else None
                if isinstance(value, str) and value.strip():
                    return value
        return None

    html = find("message/html", "message.html", "html", "body/html", "content/html")
    text = find("message/text", "message.text", "text", "body/text", "content/text")
    if html is None and text is None:
        keys = ", ".join(sorted(str(k) for k in obj)) or "none"
        raise ConversionError(f"issue.get answer has no letter HTML or text (keys: {keys})")
    subject = find("subject", "name") or ""
    date = _day(obj.get("dt") or obj.get("date") or letter.get("dt"))
    urls = [u for u in (find("archive_url", "url", "web_url", "permalink") or "").split()
            if u.startswith(("http://", "https://"))]
    return LetterParts(subject=subject.strip(), date=date, html=html or "", text=text or "",
                       urls=urls)


# --------------------------------------------------------------------------- HTML files


def html_files(paths: list[Path]) -> list[Path]:
    """The ``.html``/``.htm`` files named, and those inside named folders, sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file()
                            and p.suffix.lower() in (".html", ".htm", ".shtml", ".xhtml"))
        elif path.is_file():
            found.append(path)
        else:
            raise ConfigError.at(path, None, "no such file or folder")
    return found


def html_letters(paths: list[Path], project: Project, *, series: str,
                 date: dt.date | None, title: str) -> list[Letter]:
    """Saved pages as letters of ``series``, converted up front (their dates are inside)."""
    settings = project.settings
    if settings.series_by_slug(series) is None:
        known = ", ".join(s.slug for s in settings.series)
        raise ConfigError.at(project.relative(project.config_path), None,
                             f"unknown series {series!r} (known: {known})")
    letters = []
    for path in html_files(paths):
        data = path.read_bytes()
        source = f"html:{path.name}#{hashlib.sha256(data).hexdigest()[:12]}"
        try:
            article = convert_bytes(data, settings, local_dir=path.parent)
            error = None
        except ConversionError as exc:
            article, error = None, str(exc)

        def load(article: Article | None = article, error: str | None = error) -> Article:
            if article is None:
                raise ConversionError(error or "cannot be converted")
            return article
        letters.append(Letter(source=source, label=str(path), series=series,
                              date=(article.date if article else None) or date,
                              title=(article.title if article else "") or title,
                              load=load, source_dir=path.parent))
    letters.sort(key=lambda x: (x.date or dt.date.max, x.label))
    return letters
