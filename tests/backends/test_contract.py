"""One behaviour suite for every backend (like Django's SharedEmailBackendTests).

Each backend is driven against a real transport where it has one (aiosmtpd on loopback, the
Sendsay double over HTTP) and asked the same questions: does every recipient get exactly one
copy, does the receipt say so, are options checked, is it a reusable context manager.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from publisher.backends import REGISTRY, backend_class, get_backend
from publisher.backends import locmem
from publisher.backends.base import BaseBackend
from publisher.errors import ConfigError
from publisher.models import Audience, Recipient
from publisher.testing.fake_sendsay import FakeSendsay
from tests.fixtures_sendsay import SENDSAY_APIKEY, SENDSAY_LOGIN
from tests.fixtures_smtp import SmtpServer

RECIPIENTS = (Recipient("anna@example.org", "Анна"), Recipient("boris@example.org", "Борис"),
              Recipient("vera@example.org"))
UNSUB = "https://news.example.org/unsub/?email={email}"


@dataclass
class Harness:
    """A backend plus a way to ask its transport who received what."""

    backend: BaseBackend
    delivered: Callable[[], dict[str, int]]  # address -> copies


class Journal:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str | None]] = []

    def start(self, recipient: Recipient) -> None:
        self.events.append(("start", recipient.email, None))

    def done(self, recipient: Recipient, error: str | None = None, *,
             temporary: bool = False) -> None:
        self.events.append(("done", recipient.email, error))


def _count(addresses: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for a in addresses:
        out[a.lower()] = out.get(a.lower(), 0) + 1
    return out


@pytest.fixture(params=sorted(REGISTRY))
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    name = request.param
    if name == "outbox":
        backend = get_backend("outbox", dir=str(tmp_path / "outbox"), unsubscribe_url=UNSUB)
        yield Harness(backend, lambda: _count([p.name.removesuffix(".eml").removeprefix("test-")
                                               for p in (tmp_path / "outbox").rglob("*.eml")]))
    elif name == "locmem":
        locmem.outbox.clear()
        yield Harness(get_backend("locmem", unsubscribe_url=UNSUB),
                      lambda: _count([s.recipient.email for s in locmem.outbox]))
    elif name == "console":
        stream = io.StringIO()
        yield Harness(get_backend("console", unsubscribe_url=UNSUB, stream=stream),
                      lambda: _count([line.split("<")[-1].rstrip(">") if "<" in line
                                      else line[4:] for line in stream.getvalue().splitlines()
                                      if line.startswith("To: ")]))
    elif name == "smtp":
        with SmtpServer() as server:
            yield Harness(get_backend("smtp", host=server.host, port=server.port,
                                      security="none", unsubscribe_url=UNSUB, timeout=5),
                          server.delivered_to)
    elif name == "sendsay":
        with FakeSendsay(login=SENDSAY_LOGIN, apikey=SENDSAY_APIKEY,
                         groups={"pl01": 120}) as fake:
            def delivered() -> dict[str, int]:
                addresses: list[str] = []
                for line in fake.executed_sends():
                    request = line["request"]
                    if request.get("sendwhen") == "test":
                        addresses += request["mca"]
                    elif "users.list" in request:
                        rows = request["users.list"].splitlines()
                        rows = rows[1:] if "member.email" in rows[0] else rows
                        addresses += [row.split(";")[0] for row in rows]
                return _count(addresses)

            yield Harness(get_backend("sendsay", api_url=fake.base_url, login=SENDSAY_LOGIN,
                                      apikey=SENDSAY_APIKEY, timeout=5, poll_interval=0.01),
                          delivered)
    else:  # pragma: no cover - a new backend must be added here
        pytest.fail(f"no contract harness for backend {name!r}")


def test_every_recipient_gets_exactly_one_copy(harness: Harness, sample) -> None:  # type: ignore[no-untyped-def]
    audience = Audience(kind="recipients", recipients=RECIPIENTS)
    with harness.backend as backend:
        backend.check(sample.email, audience)
        receipt = backend.send(sample.email, audience)
    assert receipt.backend == harness.backend.name
    assert receipt.issue_key == sample.email.issue_key
    assert receipt.accepted == 3 and receipt.failed == ()
    assert harness.delivered() == {r.email: 1 for r in RECIPIENTS}


def test_test_audience_gets_proofs(harness: Harness, sample) -> None:  # type: ignore[no-untyped-def]
    audience = Audience(kind="test", recipients=(Recipient("editor@example.org"),))
    with harness.backend as backend:
        backend.send(sample.email, audience)
    assert harness.delivered() == {"editor@example.org": 1}


def test_journal_brackets_every_copy(harness: Harness, sample) -> None:  # type: ignore[no-untyped-def]
    journal = Journal()
    with harness.backend as backend:
        backend.send(sample.email, Audience(kind="recipients", recipients=RECIPIENTS),
                     journal=journal)
    if not harness.backend.per_recipient:
        assert journal.events == []  # one call for the whole audience: the ledger covers it
        return
    expected = []
    for r in RECIPIENTS:
        expected += [("start", r.email, None), ("done", r.email, None)]
    assert journal.events == expected


def test_open_and_close_are_idempotent(harness: Harness) -> None:
    backend = harness.backend
    backend.open()
    backend.open()
    backend.close()
    backend.close()
    with backend:
        pass


def test_unknown_option_lists_allowed_ones(harness: Harness) -> None:
    cls = backend_class(harness.backend.name)
    with pytest.raises(ConfigError) as info:
        cls(**harness.backend.options, colour="red")
    assert "unknown option(s) colour" in str(info.value)
    assert "allowed:" in str(info.value)


def test_unknown_backend_lists_names() -> None:
    with pytest.raises(ConfigError) as info:
        get_backend("mailchimp")
    assert str(info.value) == ("unknown backend 'mailchimp' (allowed: outbox, smtp, sendsay, "
                               "locmem, console)")
