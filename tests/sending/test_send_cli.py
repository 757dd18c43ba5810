"""`publisher send / publish / status` end to end, in-process, against real local transports."""

from __future__ import annotations

import json

from publisher.testing.fake_sendsay import FakeSendsay
from tests.fixtures_project import DEFAULT_ISSUE, issue_text
from tests.fixtures_sendsay import SENDSAY_APIKEY
from tests.fixtures_smtp import SmtpServer
from tests.sending.util import (KEY, esp_for, files, invoke, ledger_lines, sendsay_env)

ADDRESSES = ["anna@example.org", "boris@example.org", "vera@example.org"]


def make(project, backend: str, **kw):  # type: ignore[no-untyped-def]
    return project(files(), esp=esp_for(backend, **kw))


# ---- outbox: the default, no account


def test_publish_with_the_default_outbox_works_without_any_account(project) -> None:  # type: ignore[no-untyped-def]
    root = project({DEFAULT_ISSUE: issue_text(slug="hello")})  # no esp section at all
    result = invoke(root, "publish", "hello", "--yes")
    assert result.exit_code == 0, result.output
    assert (root / "outbox" / "news" / "hello" / "list-pl01.eml").is_file()
    assert "Sent news/hello (real) to list pl01 via outbox" in result.output
    from publisher.config import load_project
    from publisher.ledger import sent_issue_keys
    assert sent_issue_keys(load_project(root)) == {KEY}


def test_publish_again_is_done_once_while_send_again_is_refused(project) -> None:  # type: ignore[no-untyped-def]
    root = project({DEFAULT_ISSUE: issue_text(slug="hello")})
    assert invoke(root, "publish", "hello", "--yes").exit_code == 0
    eml = root / "outbox" / "news" / "hello" / "list-pl01.eml"
    first = eml.stat().st_mtime_ns
    again = invoke(root, "publish", "hello", "--yes")
    assert again.exit_code == 0, again.output
    assert "Already published: news/hello already went out on" in again.output
    assert "nothing sent" in again.output
    resend = invoke(root, "send", "hello", "--yes")
    assert resend.exit_code == 1
    assert "add --force to send it to the same audience again" in resend.output
    assert eml.stat().st_mtime_ns == first  # nothing was written again
    from publisher.ledger import Ledger
    from publisher.config import load_project
    real = [e for e in Ledger.of(load_project(root)).entries() if e.state == "sent"]
    assert len(real) == 1


def test_outbox_writes_one_personalised_file_per_subscriber(project) -> None:  # type: ignore[no-untyped-def]
    root = make(project, "outbox")
    result = invoke(root, "send", "hello", "--yes")
    assert result.exit_code == 0, result.output
    folder = root / "outbox" / "news" / "hello"
    assert sorted(p.name for p in folder.iterdir()) == [f"{a}.eml" for a in ADDRESSES]
    from email import message_from_bytes, policy
    anna = message_from_bytes((folder / "anna@example.org.eml").read_bytes(),
                              policy=policy.default)
    assert anna["To"] == "Анна <anna@example.org>"
    assert "email=anna@example.org" in anna["List-Unsubscribe"]


def test_second_send_is_refused_and_says_when(project) -> None:  # type: ignore[no-untyped-def]
    root = make(project, "outbox")
    assert invoke(root, "send", "hello", "--yes").exit_code == 0
    again = invoke(root, "send", "hello", "--yes")
    assert again.exit_code == 1
    assert "Error: news/hello already went out on " in again.output
    assert "add --force to send it to the same audience again" in again.output
    assert invoke(root, "send", "hello", "--yes", "--force").exit_code == 0
    assert [e["event"] for e in ledger_lines(root)] == ["intent", "outcome"] * 2


def test_declining_the_confirmation_sends_and_records_nothing(project) -> None:  # type: ignore[no-untyped-def]
    root = make(project, "outbox")
    result = invoke(root, "send", "hello", input="n\n")
    assert result.exit_code == 1
    assert "Real send: news/hello" in result.output
    assert "Subject:  Привет, мир" in result.output
    assert "Audience: 3 recipients (subscribers/news.csv)" in result.output
    assert "When:     now" in result.output
    assert "Error: not sent (declined)" in result.output
    assert ledger_lines(root) == [] and not (root / "outbox").exists()


def test_dry_run_shows_the_first_copy_and_touches_nothing(project) -> None:  # type: ignore[no-untyped-def]
    root = make(project, "outbox")
    result = invoke(root, "send", "hello", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "To: Анна <anna@example.org>" in result.output
    assert "List-Unsubscribe: <https://news.example.org/unsub/?email=anna@example.org>" \
        in result.output
    assert "Dry run: nothing was sent or recorded (3 copies would go out)." in result.output
    assert not (root / ".publisher").exists() and not (root / "outbox").exists()


def test_test_copies_need_no_confirmation_and_may_repeat(project) -> None:  # type: ignore[no-untyped-def]
    root = make(project, "outbox")
    for _ in range(2):
        result = invoke(root, "send", "hello", "--test", "me@example.org", "--test",
                        "you@example.org")
        assert result.exit_code == 0, result.output
    assert "TEST copies" in result.output
    assert sorted(p.name for p in (root / "outbox" / "news" / "hello").iterdir()) == \
        ["test-me@example.org.eml", "test-you@example.org.eml"]


def test_bad_test_address_is_a_clear_error(project) -> None:  # type: ignore[no-untyped-def]
    result = invoke(make(project, "outbox"), "send", "hello", "--test", "not-an-address")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: --test: not an email address: not-an-address"


def test_outbox_cannot_schedule(project) -> None:  # type: ignore[no-untyped-def]
    root = make(project, "outbox")
    result = invoke(root, "send", "hello", "--yes", "--at", "2099-01-01 10:00")
    assert result.exit_code == 1
    assert "the outbox backend cannot schedule a send (--at)" in result.output
    assert ledger_lines(root) == []


def test_bad_subscriber_row_names_file_and_line(project) -> None:  # type: ignore[no-untyped-def]
    root = project({**files(), "subscribers/news.csv": "email,name\nanna@example.org,A\nbroken,B\n"},
                   esp=esp_for("outbox"))
    result = invoke(root, "send", "hello", "--yes")
    assert result.exit_code == 1
    assert "Error: subscribers/news.csv:3: not an email address: 'broken'" in result.output


def test_status_lists_sends(project) -> None:  # type: ignore[no-untyped-def]
    root = make(project, "outbox")
    invoke(root, "send", "hello", "--test", "me@example.org")
    invoke(root, "send", "hello", "--yes")
    result = invoke(root, "status", "hello")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "news/hello  test  outbox  test: me@example.org  sent" in lines[0]
    assert "news/hello  real  outbox  3 recipients (subscribers/news.csv)  sent" in \
        result.output
    assert "    recipients: 3 sent, 0 refused, 0 in doubt" in lines


# ---- SMTP


def test_smtp_send_reports_refused_and_retries_only_them(project, smtpd: SmtpServer) -> None:  # type: ignore[no-untyped-def]
    root = make(project, "smtp", smtpd=smtpd)
    smtpd.refuse.add("boris@example.org")
    result = invoke(root, "send", "hello", "--yes")
    assert result.exit_code == 3, result.output  # sent, but some recipients failed
    assert "Refused: boris@example.org: 550 5.1.1 mailbox unavailable" in result.output
    assert "2 accepted; 1 refused: boris@example.org (550 5.1.1 mailbox unavailable)" \
        in result.output
    assert "`publisher send news/hello --retry-failed` tries them again" in result.output
    again = invoke(root, "send", "hello", "--yes")
    assert again.exit_code == 1  # already sent; the hint is the option that helps, not --force
    assert "--retry-failed` tries them again" in again.output and "--force" not in again.output
    smtpd.refuse.clear()
    retry = invoke(root, "send", "hello", "--yes", "--retry-failed")
    assert retry.exit_code == 0, retry.output
    assert smtpd.delivered_to() == {a: 1 for a in ADDRESSES}
    assert smtpd.connections == 2  # one per run


def test_smtp_refuses_to_start_when_server_is_down(project) -> None:  # type: ignore[no-untyped-def]
    from tests.fixtures_smtp import free_port
    root = project(files(), esp={"backend": "smtp", "smtp": {"host": "127.0.0.1",
                                                             "port": free_port(),
                                                             "security": "none"}})
    result = invoke(root, "send", "hello", "--yes")
    assert result.exit_code == 1
    assert "Error: smtp: cannot connect to 127.0.0.1:" in result.output
    assert "nothing was sent" in result.output
    assert ledger_lines(root) == []


def test_smtp_password_never_in_output_or_ledger(project, smtpd: SmtpServer) -> None:  # type: ignore[no-untyped-def]
    root = make(project, "smtp", smtpd=smtpd)
    result = invoke(root, "send", "hello", "--yes",
                    env={"SMTP_USER": "u", "SMTP_PASSWORD": "pw-0a9b8c7d"})
    assert result.exit_code == 1  # the test server offers no AUTH at all
    assert "does not offer a login (AUTH) on this connection" in result.output
    assert "pw-0a9b8c7d" not in result.output
    assert "pw-0a9b8c7d" not in json.dumps(ledger_lines(root))


# ---- Sendsay


def test_sendsay_send_polls_and_status_shows_the_funnel(project, sendsay: FakeSendsay) -> None:  # type: ignore[no-untyped-def]
    root = make(project, "sendsay", sendsay=sendsay)
    result = invoke(root, "send", "hello", "--yes", env=sendsay_env())
    assert result.exit_code == 0, result.output
    assert "Audience: list pl01" in result.output
    assert "Delivery: track 1: running (status 0)" in result.output
    assert "Sent news/hello (real) to list pl01 via sendsay, ref 1; track 1: finished " \
           "(status -1)" in result.output
    assert len(sendsay.executed_sends()) == 1
    status = invoke(root, "status", "hello", env=sendsay_env())
    assert status.exit_code == 0, status.output
    assert "news/hello  real  sendsay  list pl01  sent ref 1" in status.output
    assert "    now: track 1: finished (status -1)" in status.output
    assert "    recipients         120" in status.output
    assert "% of recipients" in status.output and "% of delivered" in status.output
    assert SENDSAY_APIKEY not in result.output + status.output
    assert SENDSAY_APIKEY not in (root / ".publisher" / "ledger.jsonl").read_text()
    assert SENDSAY_APIKEY not in json.dumps(sendsay.requests)


def test_sendsay_schedules_in_the_newsletter_time_zone(project, sendsay: FakeSendsay) -> None:  # type: ignore[no-untyped-def]
    root = project(files(), esp=esp_for("sendsay", sendsay=sendsay),
                   site={"timezone": "Europe/Berlin"})
    result = invoke(root, "send", "hello", "--yes", "--at", "2030-07-01 09:30",
                    env=sendsay_env())
    assert result.exit_code == 0, result.output
    assert "When:     2030-07-01 09:30 (Europe/Berlin)" in result.output
    assert "Scheduled news/hello" in result.output
    (send,) = sendsay.executed_sends()
    assert send["request"]["later.time"] == "2030-07-01 10:30"  # CEST+2 -> MSK+3
    again = invoke(root, "send", "hello", "--yes", env=sendsay_env())
    assert again.exit_code == 1 and "is scheduled for 2030-07-01" in again.output


def test_sendsay_dry_run_needs_no_credentials_and_contacts_nobody(project,
                                                                  sendsay: FakeSendsay) -> None:  # type: ignore[no-untyped-def]
    root = make(project, "sendsay", sendsay=sendsay)
    result = invoke(root, "send", "hello", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "issue.send: sendwhen=now, name=news/hello" in result.output
    assert sendsay.requests == [] and ledger_lines(root) == []


def test_sendsay_test_send(project, sendsay: FakeSendsay) -> None:  # type: ignore[no-untyped-def]
    root = make(project, "sendsay", sendsay=sendsay)
    result = invoke(root, "send", "hello", "--test", "ed@example.org", env=sendsay_env())
    assert result.exit_code == 0, result.output
    (send,) = sendsay.executed_sends()
    assert send["request"]["mca"] == ["ed@example.org"]


def test_backend_override_for_one_run(project, sendsay: FakeSendsay) -> None:  # type: ignore[no-untyped-def]
    root = make(project, "outbox")
    result = invoke(root, "send", "hello", "--yes", "--backend", "locmem")
    assert result.exit_code == 0, result.output
    assert "via locmem" in result.output
    assert not (root / "outbox").exists()


def test_sendsay_password_login_from_the_environment(project, sendsay: FakeSendsay) -> None:  # type: ignore[no-untyped-def]
    from tests.fixtures_sendsay import SENDSAY_LOGIN, SENDSAY_PASSWORD, SENDSAY_SUBLOGIN
    root = project(files(), esp={"backend": "sendsay",
                                 "sendsay": {"api_url": "https://api.sendsay.invalid/",
                                             "poll_interval": 0.01}})
    env = {"SENDSAY_API_URL": sendsay.base_url, "SENDSAY_LOGIN": SENDSAY_LOGIN,
           "SENDSAY_SUBLOGIN": SENDSAY_SUBLOGIN, "SENDSAY_PASSWORD": SENDSAY_PASSWORD}
    result = invoke(root, "send", "hello", "--yes", env=env)
    assert result.exit_code == 0, result.output
    assert len(sendsay.executed_sends()) == 1
    assert sendsay.executed_sends()[0]["auth"] == "session:field"
    assert SENDSAY_PASSWORD not in result.output + json.dumps(ledger_lines(root))
    assert [e["action"] for e in sendsay.requests][-1] == "logout"


def test_sendsay_without_login_follows_the_redirect(project, sendsay: FakeSendsay) -> None:  # type: ignore[no-untyped-def]
    root = project(files(), esp={"backend": "sendsay", "sendsay": {"poll_interval": 0.01}})
    result = invoke(root, "send", "hello", "--yes", "--no-wait", env=sendsay_env(sendsay))
    assert result.exit_code == 0, result.output
    outcomes = [(e["action"], e["outcome"]) for e in sendsay.requests]
    assert outcomes[:2] == [("pong", "redirect"), ("pong", "ok")]
    assert ("issue.send", "redirect") not in outcomes
    assert len(sendsay.executed_sends()) == 1
