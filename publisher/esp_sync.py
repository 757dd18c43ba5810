"""Rebuild the ledger from what the ESP reports: ``publisher status --sync``.

The ledger protects a send only on the machine that holds it. A fresh CI checkout that did
not commit ``.publisher/``, a second laptop or a ledger restored from an older commit learn
here (and implicitly before every send, :func:`publisher.sending.plan_send`) which issues the
ESP already holds under their stable names, and record them as ``synced`` entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from publisher.backends import backend_for
from publisher.backends.base import BaseBackend, EspIssue
from publisher.config import Project
from publisher.errors import IssueError, PublisherError
from publisher.ledger import Ledger, audience_key
from publisher.models import Audience
from publisher.settle import settle, went_out
from publisher.subscribers import describe


def record_found(ledger: Ledger, issue_key: str, audience: Audience, backend: BaseBackend,
                 found: list[EspIssue]) -> list[EspIssue]:
    """Record the ESP's issues under ``issue_key`` the ledger does not account for; return them.

    Counting, not matching ids: a normal send records its track id, a reconciled one the
    issue id, so the ledger's completed sends of this key are set against the ESP's oldest
    issues and only the surplus is new.
    """
    known = [e for e in ledger.find(issue_key)
             if e.real and e.backend == backend.name and e.state in ("sent", "scheduled")]
    new = found[len(known):]
    for issue in new:
        ledger.synced(issue=issue_key, audience=audience_key(audience),
                      audience_desc=describe(audience), backend=backend.name,
                      ref=f"issue {issue.id}", sent_at=issue.when,
                      note=f"found in {backend.name}: {went_out(issue, issue_key)}")
    return new


@dataclass
class SyncReport:
    backend: str
    timezone: str
    checked: int = 0
    found: list[tuple[str, EspIssue]] = field(default_factory=list)  # (issue key, ESP issue)
    settled: list[tuple[str, str, str]] = field(default_factory=list)  # (key, state, note)


def sync_with_esp(project: Project, backend: BaseBackend | None = None) -> SyncReport:
    """Ask the ESP about every issue that is not a draft; record what the ledger lacks."""
    from publisher.load import issue_files, load_issue

    backend = backend or backend_for(project)
    if not backend.looks_up:
        raise PublisherError(f"status --sync asks the ESP, and the {backend.name} backend "
                             "cannot look sends up", hint="set esp.backend to sendsay")
    report = SyncReport(backend.name, str(getattr(backend, "timezone", "")))
    ledger = Ledger.of(project)
    ledger.entries()  # a corrupt ledger is reported before anything is asked or written
    lists = {s.slug: s.list_id for s in project.settings.series if s.list_id}
    with ledger.lock(), backend:
        for path in issue_files(project):
            try:
                issue = load_issue(path, project)
            except IssueError:
                continue  # `publisher check` reports broken files; they were never sent
            if issue.status == "draft" or issue.series not in lists:
                continue
            audience = Audience(kind="list", list_id=lists[issue.series])
            report.checked += 1
            found = backend.lookup(issue.key, audience)
            for entry in ledger.find(issue.key):
                if entry.real and entry.state == "unknown" and entry.backend == backend.name:
                    result = settle(backend, entry.issue, audience, known=entry.esp_known,
                                    started=entry.at, esp_started=entry.esp_at, found=found)
                    if result.state == "sent":
                        ledger.reconciled(entry.id, "sent", ref=result.ref, note=result.note)
                    elif result.state == "absent":
                        ledger.reconciled(entry.id, "failed",
                                          note=f"settled as not sent: {result.note}")
                    report.settled.append((issue.key, result.state, result.note))
            report.found += [(issue.key, i) for i in
                             record_found(ledger, issue.key, audience, backend, found)]
    return report
