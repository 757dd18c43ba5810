"""The ESP is the source of truth: never twice, whatever the ledger holds or the clocks say.

Every test counts executed ``issue.send`` calls in the Sendsay double's request log. The
double's time zone and clock are set apart from this machine's (UTC, Moscow, +10 h, and a clock
ten minutes ahead or behind, which is the same as a client clock ten minutes off), and its
statistics may lag behind a new issue: the lookup must match on the issue's name alone.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from publisher.ledger import Ledger
from publisher.models import Audience
from publisher.testing.fake_sendsay import FakeSendsay
from tests.fixtures_project import config_data, write_tree
from tests.fixtures_sendsay import SENDSAY_APIKEY, SENDSAY_LOGIN
from tests.sending.util import esp_for, files, invoke, ledger_lines, sendsay_env

UTC = dt.UTC
MOSCOW = dt.timezone(dt.timedelta(hours=3))
PLUS_TEN = dt.timezone(dt.timedelta(hours=10))
#: (account time zone, account clock minus ours in seconds)
CLOCKS = {"utc": (UTC, 0), "moscow": (MOSCOW, 0), "plus10h": (PLUS_TEN, 0),
          "moscow-ahead-10min": (MOSCOW, 600), "utc-behind-10min": (UTC, -600)}
#: ambiguous failures: Sendsay executed issue.send, the client never learnt it
FAULTS: dict[str, Callable[[FakeSendsay], None]] = {
    "drop": lambda f: f.drop_connection_after_send(),
    "reset": lambda f: f.reset_connection_after_send(),
    "http_500": lambda f: f.answer_server_error(status=500, action="issue.send"),
    "garbage": lambda f: f.answer_non_json(action="issue.send"),
    "timeout": lambda f: f.delay_answers(3, action="issue.send"),
}


def fake(zone: dt.tzinfo = MOSCOW, offset: float = 0, lag: float = 0) -> FakeSendsay:
    return FakeSendsay(login=SENDSAY_LOGIN, apikey=SENDSAY_APIKEY, groups={"pl01": 120},
                       timezone=zone, clock_offset=offset, stats_lag=lag)


def sendsay_project(root: Path, double: FakeSendsay, **sendsay: object) -> Path:
    esp = esp_for("sendsay", sendsay=double)
    esp["sendsay"].update(timeout=1, **sendsay)  # type: ignore[union-attr]
    write_tree(root, {"newsletter.yaml": config_data(esp=esp), **files()})
    return root


def send(root: Path, *extra: str) -> tuple[int, str]:
    result = invoke(root, "send", "hello", "--yes", *extra, env=sendsay_env())
    return result.exit_code, result.output


@pytest.mark.parametrize("clock", sorted(CLOCKS))
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_three_runs_after_an_ambiguous_failure_send_exactly_once(tmp_path: Path, fault: str,
                                                                 clock: str) -> None:
    zone, offset = CLOCKS[clock]
    with fake(zone, offset) as double:
        root = sendsay_project(tmp_path / "nl", double)
        FAULTS[fault](double)
        codes = []
        outputs = []
        for _ in range(3):
            code, output = send(root)
            codes.append(code)
            outputs.append(output)
        assert len(double.executed_sends()) == 1, outputs
    assert codes == [4, 1, 1], outputs  # unknown, then "already went out" (nothing sent)
    assert "did go out: Sendsay issue 1001 named news/hello" in outputs[1]
    assert "never went out" not in "".join(outputs)
    assert "already went out" in outputs[2]


@pytest.mark.parametrize("clock", ["utc", "plus10h", "moscow-ahead-10min"])
def test_statistics_lag_does_not_make_a_sent_issue_absent(tmp_path: Path, clock: str) -> None:
    """stat.uni does not show the new issue yet: issue.list + issue.get find it by name."""
    zone, offset = CLOCKS[clock]
    with fake(zone, offset, lag=3600) as double:
        root = sendsay_project(tmp_path / "nl", double)
        double.drop_connection_after_send()
        assert send(root)[0] == 4
        double.clock.advance(30 * 60)  # past the settling time, still inside the lag
        code, output = send(root)
        assert len(double.executed_sends()) == 1
    assert code == 1 and "did go out" in output, output


def test_an_attempt_sendsay_never_saw_settles_as_not_sent_and_goes_out_once(
        tmp_path: Path) -> None:
    """Killed between intent and issue.send: unknown (exit 4) until settled, then sent once."""
    with fake(PLUS_TEN, -600) as double:
        root = sendsay_project(tmp_path / "nl", double, settle_minutes=2)
        # an intent with no outcome, as a kill -9 right after writing it leaves
        Ledger(root / ".publisher").intent(issue="news/hello", content_hash="x",
                                           audience=Audience(kind="list", list_id="pl01"),
                                           backend="sendsay", test=False, esp_known=0,
                                           esp_at=double.clock.utc())
        results = []
        for minutes in (0, 1, 0.5):  # 0, 1 and 1.5 min after the attempt
            double.clock.advance(minutes * 60)
            results.append(send(root))
        assert [code for code, _ in results] == [4, 4, 4]
        assert "is settled as not sent and the next run sends it" in results[0][1]
        assert double.executed_sends() == []
        double.clock.advance(60)  # 2.5 min after the attempt on Sendsay's clock
        code, output = send(root)
        assert code == 0, output
        assert "never went out" in output
        assert send(root)[0] == 1  # and never again
        assert len(double.executed_sends()) == 1


def test_ledger_removed_after_a_send_refuses_the_second(tmp_path: Path) -> None:
    with fake(UTC, 600) as double:
        root = sendsay_project(tmp_path / "nl", double)
        assert send(root)[0] == 0
        shutil.rmtree(root / ".publisher")  # a fresh CI checkout that did not commit it
        code, output = send(root)
        assert len(double.executed_sends()) == 1
    assert code == 1
    assert "did not know this send, sendsay does: Sendsay issue 1001 named news/hello" in output
    assert "already went out on " in output and "found in sendsay" in output
    assert [line["event"] for line in ledger_lines(root)] == ["synced"]


def test_ledger_from_an_older_checkout_refuses(tmp_path: Path) -> None:
    with fake(PLUS_TEN) as double:
        root = sendsay_project(tmp_path / "nl", double)
        invoke(root, "send", "hello", "--test", "me@example.org", env=sendsay_env())
        old = (root / ".publisher" / "ledger.jsonl").read_bytes()  # before the real send
        assert send(root)[0] == 0
        (root / ".publisher" / "ledger.jsonl").write_bytes(old)
        code, output = send(root)
        assert len(double.executed_sends()) == 2  # the proof and the one real send
    assert code == 1 and "already went out" in output, output


@pytest.mark.parametrize("lag", [0, 3600])
def test_two_checkouts_sending_one_after_the_other_send_once(tmp_path: Path, lag: int) -> None:
    with fake(UTC, -600, lag=lag) as double:
        first = sendsay_project(tmp_path / "laptop", double)
        second = sendsay_project(tmp_path / "ci", double)
        assert send(first)[0] == 0
        code, output = send(second)
        assert len(double.executed_sends()) == 1
        assert code == 1 and "already went out" in output, output
        # --force is the author's explicit "again"
        assert send(second, "--force")[0] == 0
        assert len(double.executed_sends()) == 2


def test_forced_resend_with_a_lost_answer_is_matched_by_count_not_by_the_old_issue(
        tmp_path: Path) -> None:
    with fake() as double:
        root = sendsay_project(tmp_path / "nl", double)
        assert send(root)[0] == 0
        double.drop_connection_after_send()
        assert send(root, "--force")[0] == 4
        assert ledger_lines(root)[-2]["esp_known"] == 1  # the first issue was known before
        code, output = send(root)
        assert len(double.executed_sends()) == 2
    assert code == 1 and "did go out: Sendsay issue 1002" in output, output


def test_status_sync_rebuilds_a_missing_ledger(tmp_path: Path) -> None:
    with fake(PLUS_TEN) as double:
        root = sendsay_project(tmp_path / "nl", double)
        assert send(root)[0] == 0
        shutil.rmtree(root / ".publisher")
        result = invoke(root, "status", "--sync", env=sendsay_env())
        assert result.exit_code == 0, result.output
        assert "news/hello: found in sendsay as issue 1001" in result.output
        assert "sendsay account time zone: Europe/Moscow" in result.output
        again = invoke(root, "status", "--sync", env=sendsay_env())
        assert "1 issue(s) checked, nothing new" in again.output
    assert [line["event"] for line in ledger_lines(root)] == ["synced"]
    status = invoke(root, "status")
    assert "news/hello  real  sendsay  list pl01  sent ref issue 1001" in status.output


def test_json_output_for_send_publish_and_status(tmp_path: Path) -> None:
    import json

    with fake() as double:
        root = sendsay_project(tmp_path / "nl", double)
        double.drop_connection_after_send()
        lost = invoke(root, "send", "hello", "--yes", "--json", env=sendsay_env())
        assert lost.exit_code == 4
        data = json.loads(lost.stdout)
        assert data["state"] == "unknown" and data["exit_code"] == 4
        assert "publisher send news/hello" in data["hint"]
        status = invoke(root, "status", "--json", env=sendsay_env())
        assert status.exit_code == 4  # still unknown: said every run
        sends = json.loads(status.stdout)["sends"]
        assert [s["state"] for s in sends] == ["unknown"]
        published = invoke(root, "publish", "hello", "--yes", "--json", env=sendsay_env())
        assert published.exit_code == 0, published.output
        assert json.loads(published.stdout)["state"] == "already-published"
        status = invoke(root, "status", "--json", env=sendsay_env())
        assert status.exit_code == 0
        assert json.loads(status.stdout)["sends"][0]["state"] == "sent"
        assert len(double.executed_sends()) == 1
