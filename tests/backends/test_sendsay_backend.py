"""The Sendsay backend against the local double over real HTTP (no mocks)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo

import pytest

from publisher.backends import get_backend
from publisher.backends.sendsay import SendsayBackend, account_url, users_list
from publisher.errors import ConfigError, SendError
from publisher.models import Audience, Recipient
from publisher.testing.fake_sendsay import FakeSendsay
from tests.fixtures_sendsay import (SENDSAY_APIKEY, SENDSAY_LOGIN, SENDSAY_PASSWORD,
                                    SENDSAY_SUBLOGIN)

LIST = Audience(kind="list", list_id="pl01")


def make(fake: FakeSendsay, **options) -> SendsayBackend:  # type: ignore[no-untyped-def]
    auth = {"apikey": SENDSAY_APIKEY} if "password" not in options else {}
    return get_backend("sendsay", api_url=fake.base_url, login=SENDSAY_LOGIN, timeout=5,
                       poll_interval=0.01, **auth, **options)  # type: ignore[return-value]


def test_list_send_carries_the_letter_name_and_group(sendsay: FakeSendsay,
                                                     sample_sendsay) -> None:  # type: ignore[no-untyped-def]
    email = sample_sendsay.email
    with make(sendsay) as backend:
        receipt = backend.send(email, LIST)
    (line,) = sendsay.executed_sends()
    request = line["request"]
    assert receipt.provider_id == line["answer"]["track.id"]
    assert request["sendwhen"] == "now" and request["group"] == "pl01"
    assert request["name"] == email.issue_key and request["label"] == [email.issue_key]
    assert request["relink"] == 1
    letter = request["letter"]
    assert letter["subject"] == email.subject
    assert letter["from.email"] == email.from_email and letter["from.name"] == email.from_name
    assert letter["reply.email"] == email.reply_to
    assert letter["message"] == {"html": email.html, "text": email.text}
    assert "[% param.url_unsub %]" in letter["message"]["html"]
    assert line["auth"] == "apikey:header"
    # the login is known, so the account address is used directly: no redirect round trip
    assert all(entry["outcome"] != "redirect" for entry in sendsay.requests)


def test_recipients_become_members_then_one_express_send(sendsay: FakeSendsay,
                                                         sample_sendsay) -> None:  # type: ignore[no-untyped-def]
    cohort = Audience(kind="recipients", recipients=(Recipient("anna@example.org", "Анна"),
                                                     Recipient("boris@example.org")))
    with make(sendsay) as backend:
        backend.check(sample_sendsay.email, cohort)
        backend.send(sample_sendsay.email, cohort)
    members = [e for e in sendsay.requests if e["action"] == "member.set"]
    assert [m["request"]["email"] for m in members] == ["anna@example.org", "boris@example.org"]
    assert members[0]["request"]["datakey"] == [["base.firstName", "set", "Анна"]]
    assert all(m["request"]["if_exists"] == "ignore" and m["parent_seq"] for m in members)
    (send,) = sendsay.executed_sends()
    assert send["request"]["group"] == "masssending"
    assert send["request"]["users.list"] == \
        "member.email;data.name\nanna@example.org;Анна\nboris@example.org;"
    assert len(members) == 2  # check() made sure of them; send() did not repeat it


def test_test_send_uses_mca(sendsay: FakeSendsay, sample_sendsay) -> None:  # type: ignore[no-untyped-def]
    proofs = Audience(kind="test", recipients=(Recipient("ed@example.org"),))
    with make(sendsay) as backend:
        backend.send(sample_sendsay.email, proofs)
    (send,) = sendsay.executed_sends()
    assert send["request"]["sendwhen"] == "test" and send["request"]["mca"] == ["ed@example.org"]
    assert "group" not in send["request"]


def test_scheduled_send_converts_to_moscow_time(sendsay: FakeSendsay, sample_sendsay) -> None:  # type: ignore[no-untyped-def]
    at = dt.datetime(2030, 1, 15, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Yekaterinburg"))
    with make(sendsay) as backend:
        receipt = backend.send(sample_sendsay.email, LIST, at=at)
        delivery = backend.wait(receipt)
    (send,) = sendsay.executed_sends()
    assert send["request"]["sendwhen"] == "later"
    assert send["request"]["later.time"] == "2030-01-15 08:00"  # UTC+5 -> UTC+3
    assert delivery is not None and delivery.outcome == "scheduled" and delivery.status == -4


def test_wait_polls_until_final_and_reports_progress(sendsay: FakeSendsay,
                                                     sample_sendsay) -> None:  # type: ignore[no-untyped-def]
    seen = []
    with make(sendsay) as backend:
        receipt = backend.send(sample_sendsay.email, LIST)
        sendsay.script_track(receipt.provider_id, [0, 2, -1])
        delivery = backend.wait(receipt, seen.append)
    assert [d.status for d in seen] == [0, 2, -1]
    assert delivery is not None and delivery.outcome == "ok"
    assert delivery.detail == f"track {receipt.provider_id}: finished (status -1)"


def test_rejected_by_moderation_is_a_failure(sendsay: FakeSendsay, sample_sendsay) -> None:  # type: ignore[no-untyped-def]
    with make(sendsay) as backend:
        receipt = backend.send(sample_sendsay.email, LIST)
        sendsay.script_track(receipt.provider_id, [-6])
        delivery = backend.wait(receipt)
    assert delivery is not None and delivery.outcome == "failed"
    assert "rejected by moderation" in delivery.detail


def test_password_login_relogs_in_after_expiry_and_sends_once(sendsay: FakeSendsay,
                                                               sample_sendsay) -> None:  # type: ignore[no-untyped-def]
    with make(sendsay, password=SENDSAY_PASSWORD, sublogin=SENDSAY_SUBLOGIN) as backend:
        backend.check(sample_sendsay.email, LIST)
        sendsay.expire_sessions()
        backend.send(sample_sendsay.email, LIST)
    assert len(sendsay.executed_sends()) == 1
    assert [e["action"] for e in sendsay.requests].count("login") == 2


def test_check_rejects_unknown_list_before_sending(sendsay: FakeSendsay, sample_sendsay) -> None:  # type: ignore[no-untyped-def]
    with make(sendsay) as backend, pytest.raises(SendError) as info:
        backend.check(sample_sendsay.email, Audience(kind="list", list_id="pl99"))
    assert str(info.value) == "sendsay: list 'pl99' does not exist in the account (lists: pl01, pl02)"
    assert sendsay.executed_sends() == []


def test_check_rejects_wrong_key(sendsay: FakeSendsay, sample_sendsay) -> None:  # type: ignore[no-untyped-def]
    backend = get_backend("sendsay", api_url=sendsay.base_url, login=SENDSAY_LOGIN,
                          apikey="wrong-key-123", timeout=5)
    with backend, pytest.raises(SendError) as info:
        backend.check(sample_sendsay.email, LIST)
    assert "error/auth/failed (wrong_credentials)" in str(info.value)
    assert "SENDSAY_APIKEY" in (info.value.hint or "")
    assert "wrong-key-123" not in str(info.value) + (info.value.hint or "")


def test_no_credentials_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        get_backend("sendsay", api_url="https://api.sendsay.ru/")
    assert "no credentials in the environment" in str(info.value)
    assert "SENDSAY_APIKEY" in (info.value.hint or "")


@pytest.mark.parametrize("hours", [0, 3, 10, -5])
@pytest.mark.parametrize("lag", [0, 600])
def test_lookup_finds_a_sent_issue_by_name_in_any_zone(sample_sendsay, hours: int,
                                                      lag: int) -> None:  # type: ignore[no-untyped-def]
    """The account's zone is not ours, and its statistics may lag: the name still decides."""
    zone = dt.timezone(dt.timedelta(hours=hours))
    key = sample_sendsay.email.issue_key
    with FakeSendsay(login=SENDSAY_LOGIN, apikey=SENDSAY_APIKEY, groups={"pl01": 120},
                     timezone=zone, stats_lag=lag) as fake, \
            make(fake, timezone=f"Etc/GMT{-hours:+d}" if hours else "UTC") as backend:
        assert backend.lookup(key, LIST) == []
        backend.send(sample_sendsay.email, LIST)
        backend.send(dataclasses.replace(sample_sendsay.email, issue_key="news/other"), LIST)
        fake.clear_requests()
        (found,) = backend.lookup(key, LIST)
        actions = [e["action"] for e in fake.requests]
        assert backend.lookup("news/third", LIST) == []  # another issue's name is no match
    assert found.name == key and found.id == "1001"
    assert found.when is not None
    assert abs(found.when - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=30)
    # statistics first; only when they lag, the archive (issue.list) and names (issue.get)
    assert actions == (["stat.uni", "issue.list", "issue.get", "issue.get", "batch"] if lag
                       else ["stat.uni"])


def test_status_reports_track_and_funnel(sendsay: FakeSendsay, sample_sendsay) -> None:  # type: ignore[no-untyped-def]
    with make(sendsay) as backend:
        receipt = backend.send(sample_sendsay.email, LIST)
        report = backend.status(sample_sendsay.email.issue_key, receipt.provider_id)
    assert report is not None and report.delivery is not None
    labels = [label for label, _ in report.numbers]
    assert labels == ["recipients", "delivered", "bounced", "unique opens", "unique clicks",
                      "unsubscribes"]
    assert dict(report.numbers)["recipients"] == 120


def test_account_url_skips_the_redirect_when_login_is_known() -> None:
    assert account_url("https://api.sendsay.ru/", "x_1") == \
        "https://api.sendsay.ru/general/api/v100/json/x_1"
    assert account_url("https://api.sendsay.ru/", "") == "https://api.sendsay.ru/"


def test_users_list_without_names_is_one_address_per_line() -> None:
    assert users_list((Recipient("a@example.org"), Recipient("b@example.org"))) == \
        "a@example.org\nb@example.org"
