"""Did an attempt whose answer was lost go out? The ESP decides, by name, within a bounded time.

One rule for newsletters (:mod:`publisher.sending`) and course groups
(:mod:`publisher.course.runner`), so both settle the same way:

* the ESP holds more issues under the attempt's stable name than were known before the
  attempt -> **sent** (the ESP is the source of truth; no time window, so neither a clock that
  is minutes off nor an account in another time zone can hide it);
* it holds no more, and the settling time (``esp.sendsay.settle_minutes``) has passed since
  the attempt -> **absent**: settled as "not sent", and the next send goes out once;
* otherwise -> **unknown**, with the time it settles, so the author is told every run.

Elapsed time is measured on the ESP's own clock where it tells it (Sendsay's ``Date`` header,
recorded with the attempt), else on this machine's clock at both ends (a constant error
cancels out).
"""

from __future__ import annotations

import datetime as dt
import math

from publisher.backends.base import BaseBackend, EspIssue, Reconciliation
from publisher.models import Audience


def describe(moment: dt.datetime | None) -> str:
    """``on 2026-12-01 10:00 MSK`` in this machine's zone; for messages to the author."""
    if moment is None:
        return "at an unknown time"
    return "on " + moment.astimezone().strftime("%Y-%m-%d %H:%M %Z")


def went_out(issue: EspIssue, issue_key: str) -> str:
    """``Sendsay issue 1001 named news/hello, sent on ...``."""
    return f"Sendsay issue {issue.id} named {issue_key}, sent {describe(issue.when)}"


def settle(backend: BaseBackend, issue_key: str, audience: Audience, *, known: int,
           started: dt.datetime, esp_started: dt.datetime | None = None,
           now: dt.datetime | None = None,
           found: list[EspIssue] | None = None) -> Reconciliation:
    """Settle one attempt of ``issue_key`` that has no recorded outcome.

    ``known``: issues under that name the ESP reported before the attempt; ``started``: the
    attempt's time on this machine's clock (``now`` is the same clock today), ``esp_started``
    on the ESP's. ``found`` reuses a lookup the caller already made.
    """
    if not backend.looks_up:
        return backend.reconcile(issue_key, audience, started)
    if found is None:
        found = backend.lookup(issue_key, audience, around=started, at_least=known + 1)
    if len(found) > known:
        issue = found[known]
        return Reconciliation("sent", ref=f"issue {issue.id}", when=issue.when,
                              note=went_out(issue, issue_key))
    esp_now = backend.esp_now()
    if esp_started is not None and esp_now is not None:
        elapsed, deadline = esp_now - esp_started, esp_started + backend.settle_after
        clock = f"{backend.name}'s clock"
    else:
        now = now or dt.datetime.now(dt.UTC)
        elapsed, deadline = now - started, started + backend.settle_after
        clock = "this machine's clock"
    minutes = backend.settle_after.total_seconds() / 60
    if elapsed >= backend.settle_after:
        return Reconciliation("absent", note=f"{backend.name} has no issue named {issue_key} "
                                             f"{elapsed.total_seconds() / 60:.0f} min after the "
                                             f"attempt ({clock}; settling time {minutes:g} min)")
    # HTTP dates have a one-second resolution, so a fresh attempt can look a moment in the
    # future: never announce more than the settling time itself, and round the rest up.
    left = min(backend.settle_after, backend.settle_after - elapsed).total_seconds()
    wait = max(1, math.ceil(left / 60))
    return Reconciliation(
        "unknown", when=deadline,
        note=f"{backend.name} does not know an issue named {issue_key} yet (its statistics can "
             f"lag); if it still does not in {wait} min, it is settled as not sent and the "
             "next run sends it")
