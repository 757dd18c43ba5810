"""Which issues an unattended run (CI) may publish: marked ``status: ready`` and not sent yet.

Only an explicit ``status: ready`` line counts. An issue without a status is "ready" for the
commands a person types, but a machine that sends on every push must not mail an old issue
that merely lacks the line; such issues are reported, not sent. Course lessons are never
published this way: ``course run`` sends them to each subscriber on their own schedule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from publisher.config import Project
from publisher.ledger import sent_issue_keys
from publisher.load import load_issues
from publisher.models import Issue


@dataclass
class ReadyIssues:
    due: list[Issue] = field(default_factory=list)  # ready and not sent: publish these
    sent: list[Issue] = field(default_factory=list)  # ready, already sent (the ledger says)
    unmarked: list[Issue] = field(default_factory=list)  # no status line: left alone
    drafts: int = 0


def ready_issues(project: Project) -> ReadyIssues:
    """Sort every newsletter issue of the folder into what CI publishes and what it leaves."""
    courses = {s.slug for s in project.settings.series if s.kind == "course"}
    done = sent_issue_keys(project)
    out = ReadyIssues()
    for issue in sorted(load_issues(project), key=lambda i: (i.date, i.series, i.number)):
        if issue.series in courses or issue.status == "published":
            continue
        if issue.status == "draft":
            out.drafts += 1
        elif issue.line_of("status") is None:
            out.unmarked.append(issue)
        elif issue.key in done:
            out.sent.append(issue)
        else:
            out.due.append(issue)
    return out
