"""The ``sendsay`` fixture: a started local Sendsay double (``publisher.testing.fake_sendsay``).

Tests point a client or backend at ``sendsay.base_url`` (bare host: the first call is redirected)
or ``sendsay.account_url``, with the credentials below, and assert on ``sendsay.requests`` and
``sendsay.executed_sends()``. The request log is also written to ``tmp_path/sendsay.jsonl`` so a
failing test leaves a readable trace.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from publisher.backends.sendsay_client import SendsayClient
from publisher.testing.fake_sendsay import FakeSendsay

SENDSAY_LOGIN = "x_1693831336455"
SENDSAY_SUBLOGIN = "publisher"
SENDSAY_APIKEY = "test-apikey-7f3a9c51e2b84d06"
SENDSAY_PASSWORD = "test-password-5b1e77"
#: list id -> recipient count (stat.uni numbers derive from it)
SENDSAY_GROUPS = {"pl01": 120, "pl02": 2000}


@pytest.fixture
def sendsay(tmp_path: Path) -> Iterator[FakeSendsay]:
    """A running fake Sendsay account with the credentials and lists above; any sender allowed."""
    with FakeSendsay(login=SENDSAY_LOGIN, sublogin=SENDSAY_SUBLOGIN, apikey=SENDSAY_APIKEY,
                     password=SENDSAY_PASSWORD, groups=SENDSAY_GROUPS,
                     log_path=tmp_path / "sendsay.jsonl") as fake:
        yield fake


@pytest.fixture
def sendsay_client(sendsay: FakeSendsay) -> Iterator[SendsayClient]:
    """An API-key client of the ``sendsay`` double, through the bare host, with instant sleeps."""
    with SendsayClient(sendsay.base_url, login=SENDSAY_LOGIN, apikey=SENDSAY_APIKEY,
                       timeout=5, sleep=lambda seconds: None) as client:
        yield client
