"""Sendsay: bad input fails cleanly before anything is recorded; an ambiguous failure is never
answered by a second issue.send — the next run looks the issue up instead (sendsay-api.md §5.4).
"""

from __future__ import annotations

import pytest

from publisher.testing.fake_sendsay import FakeSendsay
from tests.fixtures_sendsay import SENDSAY_APIKEY, SENDSAY_LOGIN
from tests.sending.util import esp_for, files, invoke, ledger_lines, sendsay_env


@pytest.fixture
def root(project, sendsay: FakeSendsay):  # type: ignore[no-untyped-def]
    return project(files(), esp=esp_for("sendsay", sendsay=sendsay))


def states(root) -> list[str]:  # type: ignore[no-untyped-def]
    return [line.get("state", line["event"]) for line in ledger_lines(root)]


# ---- bad input: one clear line, exit 1, nothing recorded


def test_missing_credentials(root, sendsay: FakeSendsay) -> None:  # type: ignore[no-untyped-def]
    result = invoke(root, "send", "hello", "--yes")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Error: sendsay: no credentials in the environment",
        "Error: set SENDSAY_APIKEY (the API key of a sublogin), or SENDSAY_LOGIN, "
        "SENDSAY_SUBLOGIN and SENDSAY_PASSWORD"]
    assert ledger_lines(root) == [] and sendsay.requests == []


def test_wrong_key(root, sendsay: FakeSendsay) -> None:  # type: ignore[no-untyped-def]
    result = invoke(root, "send", "hello", "--yes", env={"SENDSAY_APIKEY": "wrong-0123456"})
    assert result.exit_code == 1
    assert result.output.startswith(
        "Error: sendsay: pong failed: error/auth/failed (wrong_credentials)\n")
    assert "wrong-0123456" not in result.output
    assert ledger_lines(root) == [] and sendsay.executed_sends() == []


def test_unknown_list_id(project, sendsay: FakeSendsay) -> None:  # type: ignore[no-untyped-def]
    root = project(files(), esp=esp_for("sendsay", sendsay=sendsay),
                   series=[{"slug": "news", "title": "Новости", "list_id": "pl77"}])
    result = invoke(root, "send", "hello", "--yes", env=sendsay_env())
    assert result.exit_code == 1
    assert "Error: sendsay: list 'pl77' does not exist in the account (lists: pl01, pl02)" \
        in result.output
    assert ledger_lines(root) == [] and sendsay.executed_sends() == []


def test_series_without_list_id_names_the_config_line(project, sendsay: FakeSendsay) -> None:  # type: ignore[no-untyped-def]
    root = project(files(), esp=esp_for("sendsay", sendsay=sendsay),
                   series=[{"slug": "news", "title": "Новости"}])
    result = invoke(root, "send", "hello", "--yes", env=sendsay_env())
    assert result.exit_code == 1
    assert result.output.startswith("Error: newsletter.yaml:")
    assert "series[0].list_id: required to send through sendsay" in result.output


def test_sender_not_allowed(project, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with FakeSendsay(login=SENDSAY_LOGIN, apikey=SENDSAY_APIKEY, groups={"pl01": 120},
                     senders=["editor@example.org"]) as fake:
        root = project(files(), esp=esp_for("sendsay", sendsay=fake))
        result = invoke(root, "send", "hello", "--yes", env=sendsay_env())
        assert fake.executed_sends() == []
    assert result.exit_code == 1
    assert "Error: sendsay: issue.send failed: error/issue/sender_not_allowed" in result.output
    assert "add and confirm the from address as a sender" in result.output
    # an errors answer: nothing was created, so the send is recorded as failed (not unknown)
    assert states(root) == ["intent", "failed"]


# ---- ambiguous failures: recorded "unknown", reconciled, never resent blindly


@pytest.mark.parametrize("fault", ["drop", "http_502", "non_json"])
def test_ambiguous_failure_then_next_run_reconciles_instead_of_resending(
        root, sendsay: FakeSendsay, fault: str) -> None:  # type: ignore[no-untyped-def]
    {"drop": lambda: sendsay.drop_connection_after_send(),
     "http_502": lambda: sendsay.answer_server_error(action="issue.send"),
     "non_json": lambda: sendsay.answer_non_json(action="issue.send")}[fault]()
    first = invoke(root, "send", "hello", "--yes", env=sendsay_env())
    assert first.exit_code == 4  # outcome unknown: run again later
    assert "it may have been executed" in first.output or "may have been" in first.output
    assert "run `publisher send news/hello` again in a few minutes" in first.output
    assert states(root) == ["intent", "unknown"]
    assert len(sendsay.executed_sends()) == 1

    second = invoke(root, "send", "hello", "--yes", env=sendsay_env())
    assert second.exit_code == 1
    assert "Note: The send interrupted on " in second.output and "did go out" in second.output
    assert "already went out" in second.output
    assert len(sendsay.executed_sends()) == 1  # exactly one issue.send ever executed
    assert states(root) == ["intent", "unknown", "sent"]
    assert ledger_lines(root)[-1]["event"] == "reconciled"


def test_polling_failure_after_acceptance_keeps_the_send_recorded(root, sendsay: FakeSendsay) -> None:  # type: ignore[no-untyped-def]
    sendsay.answer_server_error(action="track.get")
    result = invoke(root, "send", "hello", "--yes", env=sendsay_env())
    assert result.exit_code == 0, result.output
    assert "could not follow the delivery" in result.output
    assert states(root) == ["intent", "sent"]
