"""The settling countdown the author reads while an attempt is still in doubt."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from publisher.backends.base import BaseBackend
from publisher.models import Audience
from publisher.settle import settle

START = dt.datetime(2026, 12, 2, 11, 20, tzinfo=dt.UTC)


class ClockedEsp(BaseBackend):
    """An ESP that knows no issue yet and tells its time (what Sendsay's ``Date`` gives)."""

    name = "sendsay"
    looks_up = True

    def __init__(self, now: dt.datetime) -> None:
        super().__init__()
        self.now = now

    def esp_now(self) -> dt.datetime | None:
        return self.now


def minutes_announced(elapsed_seconds: float) -> int:
    esp = ClockedEsp(START + dt.timedelta(seconds=elapsed_seconds))
    answer = settle(esp, "news/hello", Audience("list", list_id="pl01"), known=0,
                    started=START, esp_started=START, found=[])
    assert answer.state == "unknown", answer
    assert answer.when == START + dt.timedelta(minutes=5)
    found = re.search(r"if it still does not in (\d+) min", answer.note)
    assert found, answer.note
    return int(found.group(1))


@pytest.mark.parametrize(("elapsed", "minutes"), [
    (-0.9, 5),   # a one-second HTTP date makes a fresh attempt look a moment ahead
    (0.0, 5),
    (1.0, 5),
    (59.0, 5),
    (60.0, 4),
    (61.0, 4),
    (240.5, 1),
    (299.9, 1),
])
def test_the_countdown_never_exceeds_the_settling_time_and_rounds_up(elapsed: float,
                                                                       minutes: int) -> None:
    assert minutes_announced(elapsed) == minutes


def test_past_the_settling_time_the_attempt_is_settled_as_not_sent() -> None:
    esp = ClockedEsp(START + dt.timedelta(minutes=5))
    answer = settle(esp, "news/hello", Audience("list", list_id="pl01"), known=0,
                    started=START, esp_started=START, found=[])
    assert answer.state == "absent" and "5 min after the attempt" in answer.note
