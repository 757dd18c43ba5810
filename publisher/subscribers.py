"""Who a send goes to: the series' ESP list, a local subscriber CSV, or test addresses.

A local list is a UTF-8 CSV, ``email,name`` (a header row naming the columns is optional;
extra columns are kept as fields). Bad rows are reported as ``file:line`` all at once;
repeated addresses are kept once, so nobody gets an issue twice because of a copy-paste.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from publisher.csvfile import guarded
from publisher.config import EMAIL_RE, Project
from publisher.errors import ConfigError, Location, Problem, PublisherError
from publisher.models import Audience, Issue, Recipient


def load_subscribers(path: Path, display: str | Path) -> tuple[Recipient, ...]:
    """Read a subscriber CSV; ConfigError naming ``file:line`` for every bad row."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError.at(display, None, "subscriber list not found") from None
    except UnicodeDecodeError as exc:
        raise ConfigError.at(display, None, f"not UTF-8 text (byte {exc.start})") from None
    rows = list(guarded(csv.reader(io.StringIO(text)), display, ConfigError))
    columns = ["email", "name"]
    start = 0
    if rows and rows[0] and "@" not in rows[0][0]:
        columns = [c.strip().lower() for c in rows[0]]
        start = 1
        if "email" not in columns:
            raise ConfigError.at(display, 1, f"header has no 'email' column (got "
                                             f"{', '.join(columns)})")
    problems: list[Problem] = []
    seen: set[str] = set()
    out: list[Recipient] = []
    for number, row in enumerate(rows[start:], start=start + 1):
        if not row or not any(cell.strip() for cell in row):
            continue
        values = dict(zip(columns, (cell.strip() for cell in row)))
        email = values.get("email", "")
        if not EMAIL_RE.match(email):
            problems.append(Problem(Location(display, number),
                                    f"not an email address: {email!r}"))
            continue
        if email.lower() in seen:
            continue
        seen.add(email.lower())
        fields = tuple((k, v) for k, v in values.items() if k not in ("email", "name"))
        out.append(Recipient(email=email, name=values.get("name", ""), fields=fields))
    if problems:
        raise ConfigError(problems=problems)
    if not out:
        raise ConfigError.at(display, None, "subscriber list is empty")
    return tuple(out)


def test_audience(addresses: tuple[str, ...] | list[str]) -> Audience:
    """Proof copies to these addresses."""
    bad = [a for a in addresses if not EMAIL_RE.match(a)]
    if bad:
        raise PublisherError(f"--test: not an email address: {', '.join(bad)}")
    unique = list(dict.fromkeys(a.strip() for a in addresses))
    return Audience(kind="test", recipients=tuple(Recipient(a) for a in unique))


def _csv_audience(project: Project, template: str, series: str) -> Audience:
    relative = template.replace("{series}", series)
    recipients = load_subscribers(project.root / relative, relative)
    return Audience(kind="recipients", list_id=relative, recipients=recipients)


def audience_for(project: Project, issue: Issue, backend: str) -> Audience:
    """The real audience of ``issue`` for ``backend``, from newsletter.yaml."""
    settings = project.settings
    index, series = next(((i, s) for i, s in enumerate(settings.series)
                          if s.slug == issue.series), (None, None))
    if series is None:
        raise ConfigError.at(project.relative(issue.path), issue.line_of("series"),
                             f"series {issue.series!r} is not in newsletter.yaml")
    if backend == "sendsay":
        if not series.list_id:
            key = f"series[{index}].list_id"
            raise ConfigError.at(project.relative(project.config_path),
                                 project.lines.line(key), f"{key}: required to send "
                                 "through sendsay (the id of the Sendsay list, e.g. 'pl01')")
        return Audience(kind="list", list_id=series.list_id)
    if backend == "smtp":
        return _csv_audience(project, settings.esp.smtp.subscribers, series.slug)
    if settings.esp.outbox.subscribers:
        return _csv_audience(project, settings.esp.outbox.subscribers, series.slug)
    return Audience(kind="list", list_id=series.list_id or series.slug)


def describe(audience: Audience) -> str:
    """For people: ``list pl01``, ``3 recipients (subscribers/x.csv)``, ``test: a@x``."""
    text = audience.describe()
    if audience.kind == "recipients" and audience.list_id:
        text += f" ({audience.list_id})"
    return text
