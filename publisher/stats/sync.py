"""Filling the statistics store: Sendsay's numbers, and what publisher knows of other sends.

Sendsay (``stat.uni`` over the ``issue.*`` area, §6.5 of docs/sendsay-api.md): recipients
(``members``), delivered (``deliv_ok``), bounced (``deliv_bad``), unique opens
(``u_readed``), unique clicks (``u_clicked``), unsubscribes (``unsubed``), one row per ESP
issue named after the issue key. Clicks per link come from the ``click.*`` area, whose
fields §6.5 does not document: the query is an ASSUMPTION (``click.url`` with ``count(*)``,
filtered on ``click.issue.id``; see SendsayClient.link_clicks). An account that refuses it
makes the sync say so once and go on without per-link numbers. Links are grouped with their
``utm_*`` parameters removed, so one link tagged per issue counts as one.

SMTP and outbox sends have no opens or clicks; their numbers are the ledger's: recipients,
sent (as delivered), refused (as bounced) and in doubt (deferred).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from publisher.config import Project
from publisher.errors import PublisherError, SendError
from publisher.ledger import Ledger, LedgerEntry
from publisher.stats.links import read_rows
from publisher.stats.store import SendStats, StatsStore


@dataclass(frozen=True)
class SyncReport:
    sends: int  # sends looked at
    changed: int  # of which the numbers changed since the last sync
    problems: tuple[str, ...]  # backends that could not be asked
    links: int = 0  # sends whose clicks per link changed


#: what the ESP does not answer about clicks per link (a rejected query, not a lost answer)
_NOT_OFFERED = ("error/request/", "error/action/")


def store_path(project: Project) -> Path:
    return project.state_dir / "stats.sqlite"


def _titles(project: Project) -> dict[str, str]:
    from publisher.load import issue_files, load_issue

    titles = {}
    for path in issue_files(project):
        try:
            issue = load_issue(path, project)
        except PublisherError:
            continue  # `publisher check` reports it; the report shows the key instead
        titles[issue.key] = issue.title
    return titles


def sync(project: Project, store: StatsStore, *, series: str | None = None,
         since: dt.date | None = None, now: dt.datetime | None = None) -> SyncReport:
    """Bring the store up to date for the real sends in the ledger (filtered)."""
    stamp = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    ledger = Ledger.of(project)
    entries = [e for e in ledger.entries() if not e.test and e.state == "sent"
               and (series is None or e.issue.split("/")[0] == series)
               and (since is None or e.at.date() >= since)]
    titles = _titles(project)
    found: list[SendStats] = []
    problems: list[str] = []
    sendsay = sorted({e.issue for e in entries if e.backend == "sendsay"})
    clicks: dict[str, dict[str, int]] = {}
    if sendsay:
        try:
            found += _from_sendsay(project, sendsay, titles, stamp, clicks, problems)
        except PublisherError as exc:
            problems.append(f"sendsay: {exc}")
    for entry in entries:
        if entry.backend != "sendsay":
            found.append(_from_ledger(ledger, entry, titles, stamp))
    changed = {stats.send for stats in found if store.put(stats)}
    links = {send for send, per_link in clicks.items() if store.put_links(send, per_link, stamp)}
    return SyncReport(sends=len(found), changed=len(changed | links), problems=tuple(problems),
                      links=len(links))


def _from_sendsay(project: Project, keys: list[str], titles: dict[str, str], stamp: str,
                  clicks: dict[str, dict[str, int]], problems: list[str]) -> list[SendStats]:
    """Per-issue rows, and clicks per link into ``clicks`` while the account answers them."""
    from publisher.backends import backend_for

    out = []
    per_link = True
    with backend_for(project, "sendsay") as backend:
        for key in keys:
            for row in backend.stat_rows(key):  # type: ignore[attr-defined]
                if per_link:
                    try:
                        pairs = backend.link_clicks(str(row["id"]))  # type: ignore[attr-defined]
                    except SendError as exc:
                        if not str(exc.provider_code or "").startswith(_NOT_OFFERED):
                            raise
                        per_link = False
                        problems.append("sendsay: clicks per link are not available from this "
                                        f"account ({exc.provider_code}); the report shows "
                                        "clicks per issue only")
                    else:
                        # grouped by links.normalize_url's form, unreadable rows skipped
                        clicks[f"sendsay:{row['id']}"] = {
                            link.url: link.clicks for link in read_rows(pairs)}
                out.append(SendStats(
                    send=f"sendsay:{row['id']}", issue=key, series=key.split("/")[0],
                    title=titles.get(key, key), backend="sendsay",
                    sent_at=_iso_moscow(str(row.get("dt") or "")),
                    recipients=_int(row.get("members")), delivered=_int(row.get("deliv_ok")),
                    bounced=_int(row.get("deliv_bad")), deferred=None,
                    opens=_int(row.get("u_readed")), clicks=_int(row.get("u_clicked")),
                    unsubscribes=_int(row.get("unsubed")), synced_at=stamp))
    return out


def _from_ledger(ledger: Ledger, entry: LedgerEntry, titles: dict[str, str],
                 stamp: str) -> SendStats:
    sent, refused, deferred = entry.accepted, entry.failed, None
    if ledger.progress_path(entry.id).exists():
        progress = ledger.progress(entry.id, strict=False)  # counts only
        sent, refused, deferred = len(progress.sent), len(progress.failed), len(progress.in_doubt)
    return SendStats(send=f"ledger:{entry.id}", issue=entry.issue,
                     series=entry.issue.split("/")[0], title=titles.get(entry.issue, entry.issue),
                     backend=entry.backend, sent_at=entry.at.isoformat(timespec="seconds"),
                     recipients=entry.recipients, delivered=sent, bounced=refused,
                     deferred=deferred, opens=None, clicks=None, unsubscribes=None,
                     synced_at=stamp)


def _int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _iso_moscow(text: str) -> str:
    """Sendsay's ``YYYY-MM-DD HH:MM:SS`` is Moscow time (§2)."""
    try:
        moment = dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return text
    return moment.replace(tzinfo=dt.timezone(dt.timedelta(hours=3))).isoformat()
