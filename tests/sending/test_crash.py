"""Never twice, proved by killing the CLI (a separate process) at each step and running again.

``PUBLISHER_CRASH_AT`` makes the process ``os._exit`` at a named point, like a power cut:
no outcome line, no cleanup. After the next run, the Sendsay double's request log and the SMTP
server's mailbox must show exactly one delivery per recipient.
"""

from __future__ import annotations

import re

import pytest

from publisher.testing.fake_sendsay import FakeSendsay
from tests.fixtures_smtp import SmtpServer
from tests.sending.util import esp_for, files, ledger_lines, run, sendsay_env

ADDRESSES = ["anna@example.org", "boris@example.org", "vera@example.org"]
MANY = "email,name\n" + "".join(f"r{i:02d}@example.org,Читатель {i}\n" for i in range(10))


def events(root) -> list[str]:  # type: ignore[no-untyped-def]
    return [line.get("state", line["event"]) for line in ledger_lines(root)]


# ---- Sendsay


def test_sendsay_crash_before_the_call_is_confirmed_absent_then_sent_once(
        project, sendsay: FakeSendsay) -> None:  # type: ignore[no-untyped-def]
    root = project(files(), esp=esp_for("sendsay", sendsay=sendsay))
    crashed = run(root, "send", "hello", "--yes", env=sendsay_env(), crash_at="after-intent")
    assert crashed.returncode == 75
    assert events(root) == ["intent"] and sendsay.executed_sends() == []

    early = run(root, "send", "hello", "--yes", env=sendsay_env())
    assert early.returncode == 4, early.stderr  # not settled yet: run again later
    # the minutes left count down from 5 (a loaded machine may take a minute between runs)
    assert re.search(r"if it still does not in [1-5] min, it is settled as not sent",
                     early.stderr), early.stderr
    assert "run `publisher send news/hello` again after " in early.stderr
    assert sendsay.executed_sends() == []

    sendsay.clock.advance(5 * 60 + 5)  # the settling time passes on Sendsay's clock
    again = run(root, "send", "hello", "--yes", env=sendsay_env())
    assert again.returncode == 0, again.stderr
    assert "never went out" in again.stderr
    assert len(sendsay.executed_sends()) == 1
    assert events(root) == ["intent", "failed", "intent", "sent", "delivery"]


def test_sendsay_crash_after_the_call_is_reconciled_not_resent(project,
                                                                sendsay: FakeSendsay) -> None:  # type: ignore[no-untyped-def]
    root = project(files(), esp=esp_for("sendsay", sendsay=sendsay))
    crashed = run(root, "send", "hello", "--yes", env=sendsay_env(), crash_at="after-call")
    assert crashed.returncode == 75
    assert events(root) == ["intent"] and len(sendsay.executed_sends()) == 1

    again = run(root, "send", "hello", "--yes", env=sendsay_env())
    assert again.returncode == 1
    assert "did go out" in again.stderr and "already went out" in again.stderr
    assert len(sendsay.executed_sends()) == 1
    assert events(root) == ["intent", "sent"]
    # and the archive now counts it
    status = run(root, "status", env=sendsay_env())
    assert "news/hello  real  sendsay  list pl01  sent ref issue " in status.stdout


# ---- SMTP


@pytest.mark.parametrize("point", ["after-intent", "after-handover:4", "after-recipient:4",
                                   "after-recipient:10", "after-call"])
def test_smtp_crash_anywhere_then_resume_gives_everyone_exactly_one_copy(
        project, smtpd: SmtpServer, point: str) -> None:  # type: ignore[no-untyped-def]
    root = project({**files(), "subscribers/news.csv": MANY},
                   esp=esp_for("smtp", smtpd=smtpd))
    crashed = run(root, "send", "hello", "--yes", crash_at=point)
    assert crashed.returncode == 75
    before = smtpd.delivered_to()

    again = run(root, "send", "hello", "--yes")
    # a copy in doubt waits for the author's decision: exit 4 ("outcome unknown") until then
    assert again.returncode == (4 if point.startswith("after-handover") else 0), again.stderr
    received = smtpd.delivered_to()
    assert all(count == 1 for count in received.values()), received
    assert sorted(received) == [f"r{i:02d}@example.org" for i in range(10)]
    if point.startswith("after-handover"):
        # the server accepted the copy, the process died before writing so: "in doubt",
        # reported and not resent
        assert "1 recipient(s) may already have it" in again.stderr
        assert "--resend-unknown` sends to them: r03@example.org" in again.stderr
        assert f"{len(before) - 1} already have it" in again.stderr
    else:
        assert "may already have it" not in again.stderr
    if point == "after-call":  # the entry was closed by the resume: a third run refuses
        third = run(root, "send", "hello", "--yes")
        assert third.returncode == 1 and "already went out" in third.stderr
        assert smtpd.delivered_to() == received


def test_smtp_in_doubt_recipient_is_resent_only_on_request(project, smtpd: SmtpServer) -> None:  # type: ignore[no-untyped-def]
    root = project(files(), esp=esp_for("smtp", smtpd=smtpd))
    run(root, "send", "hello", "--yes", crash_at="after-handover:2")
    assert smtpd.delivered_to() == {"anna@example.org": 1, "boris@example.org": 1}
    resumed = run(root, "send", "hello", "--yes")
    assert "boris@example.org" in resumed.stderr and "--resend-unknown" in resumed.stderr
    assert smtpd.delivered_to() == {a: 1 for a in ADDRESSES}
    status = run(root, "status", "hello")
    assert "recipients: 2 sent, 0 refused, 1 in doubt" in status.stdout
    assert "in doubt: boris@example.org" in status.stdout
    forced = run(root, "send", "hello", "--yes", "--resend-unknown")
    assert forced.returncode == 0, forced.stderr
    assert smtpd.delivered_to()["boris@example.org"] == 2  # the author asked for it


def test_smtp_after_a_reboot_every_unconfirmed_reservation_is_in_doubt(project,
                                                                       smtpd: SmtpServer) -> None:  # type: ignore[no-untyped-def]
    """After a power cut, writes that were not fsynced may be lost: be conservative."""
    root = project({**files(), "subscribers/news.csv": MANY},
                   esp=esp_for("smtp", smtpd=smtpd))
    run(root, "send", "hello", "--yes", crash_at="after-recipient:3",
        env={"PUBLISHER_BOOT_ID": "boot-a"})
    assert len(smtpd.delivered_to()) == 3
    resumed = run(root, "send", "hello", "--yes", env={"PUBLISHER_BOOT_ID": "boot-b"})
    assert resumed.returncode == 4, resumed.stderr  # in doubt: the author decides
    assert "7 recipient(s) may already have it" in resumed.stderr
    assert len(smtpd.delivered_to()) == 3  # nobody was sent a second copy, nobody new either
    consent = run(root, "send", "hello", "--yes", "--resend-unknown",
                  env={"PUBLISHER_BOOT_ID": "boot-b"})
    assert consent.returncode == 0, consent.stderr
    assert smtpd.delivered_to() == {f"r{i:02d}@example.org": 1 for i in range(10)}


def test_secrets_stay_out_of_verbose_output(project, sendsay: FakeSendsay) -> None:  # type: ignore[no-untyped-def]
    from tests.fixtures_sendsay import SENDSAY_APIKEY
    root = project(files(), esp=esp_for("sendsay", sendsay=sendsay))
    done = run(root, "--verbose", "send", "hello", "--yes", env=sendsay_env())
    assert done.returncode == 0, done.stderr
    assert "INFO publisher.sendsay" in done.stderr  # the log is really on
    wrong = run(root, "--verbose", "--debug", "send", "hello", "--yes", "--force",
                env={"SENDSAY_APIKEY": "wrong-key-0f0f0f"})
    assert wrong.returncode == 1
    everything = done.stdout + done.stderr + wrong.stdout + wrong.stderr + \
        (root / ".publisher" / "ledger.jsonl").read_text()
    assert SENDSAY_APIKEY not in everything and "wrong-key-0f0f0f" not in everything
