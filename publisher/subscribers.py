"""Who a send goes to: the series' ESP list, a local subscriber CSV, or test addresses.

A local list is a CSV read by :mod:`publisher.subscriber_csv` (the reader ``course import``
uses too: UTF-8, UTF-16 or Windows-1251; comma, semicolon or tab; ``email,name`` or a header
naming the columns, with aliases such as E-mail/Почта and Имя; extra columns are kept as
fields). Bad rows are reported as ``file:line`` all at once; repeated addresses are kept
once, so nobody gets an issue twice because of a copy-paste.
"""

from __future__ import annotations

from pathlib import Path

from publisher.config import EMAIL_RE, Project
from publisher.errors import ConfigError, PublisherError
from publisher.models import Audience, Issue, Recipient
from publisher.subscriber_csv import read_subscriber_file


def load_subscribers(path: Path, display: str | Path) -> tuple[Recipient, ...]:
    """Read a subscriber CSV; ConfigError naming ``file:line`` for every bad row.

    Any bad line refuses the whole list: a send must not quietly skip a subscriber. A
    repeated address is kept once.
    """
    table = read_subscriber_file(path, display)
    if table.problems:
        raise ConfigError(problems=list(table.problems))
    if not table.rows:
        raise ConfigError.at(display, None, "subscriber list is empty")
    out: list[Recipient] = []
    for row in table.rows:
        fields = tuple((k, v) for k, v in row.values.items() if k not in ("email", "name"))
        out.append(Recipient(email=row.email, name=row.values.get("name", ""), fields=fields))
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
