"""SMTP refusals against aiosmtpd: 4xx is temporary (retried in the run, then deferred and
retried by the next run without a flag), 5xx is permanent (reported with ``--retry-failed``);
every address is listed in full and the exit code says what happened."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures_smtp import SmtpServer
from tests.sending.util import esp_for, files, invoke

PEOPLE = [f"r{i:02d}@example.org" for i in range(20)]


def smtp_project(project, smtpd: SmtpServer, people=PEOPLE, **smtp):  # type: ignore[no-untyped-def]
    esp = esp_for("smtp", smtpd=smtpd)
    esp["smtp"].update(retry_delay=0.05, **smtp)
    csv = "email,name\n" + "".join(f"{a},\n" for a in people)
    return project({**files(), "subscribers/news.csv": csv}, esp=esp)


def test_451_then_250_gets_exactly_one_copy_in_the_same_run(project, smtpd: SmtpServer) -> None:  # type: ignore[no-untyped-def]
    root = smtp_project(project, smtpd)
    smtpd.defer.update({"r03@example.org": 1, "r07@example.org": 2})
    result = invoke(root, "send", "hello", "--yes")
    assert result.exit_code == 0, result.output
    assert smtpd.delivered_to() == {a: 1 for a in PEOPLE}
    assert "deferred" not in result.output and "Refused" not in result.output


def test_550_and_451_refusals_the_run_says_which_and_what_helps(project, smtpd: SmtpServer) -> None:  # type: ignore[no-untyped-def]
    root = smtp_project(project, smtpd, retries=1)
    smtpd.refuse.update({"r01@example.org", "r02@example.org", "r03@example.org"})
    smtpd.defer.update({"r10@example.org": 5, "r11@example.org": 5})  # longer than the run
    first = invoke(root, "send", "hello", "--yes")
    assert first.exit_code == 3, first.output  # sent, but some recipients failed
    assert ("3 recipient(s) were refused by the server; `publisher send news/hello "
            "--retry-failed` tries them again (once the addresses are fixed): "
            "r01@example.org (550 5.1.1 mailbox unavailable), r02@example.org") in first.output
    assert ("2 recipient(s) were deferred (a temporary refusal); the next `publisher send "
            "news/hello` retries them, no flag needed: r10@example.org (451 4.7.1") \
        in first.output
    assert "--force" not in first.output
    assert len(smtpd.delivered_to()) == 15

    smtpd.defer.clear()
    second = invoke(root, "send", "hello", "--yes")  # no flag: the deferred ones go out
    assert second.exit_code == 3, second.output  # the 550s are still refused
    assert smtpd.delivered_to()["r10@example.org"] == 1
    assert smtpd.delivered_to()["r11@example.org"] == 1
    third = invoke(root, "send", "hello", "--yes")
    assert third.exit_code == 1 and "--retry-failed` tries them again" in third.output
    smtpd.refuse.clear()
    fixed = invoke(root, "send", "hello", "--yes", "--retry-failed")
    assert fixed.exit_code == 0, fixed.output
    assert smtpd.delivered_to() == {a: 1 for a in PEOPLE}


def test_many_refusals_are_listed_in_full_in_a_file(project, smtpd: SmtpServer) -> None:  # type: ignore[no-untyped-def]
    root = smtp_project(project, smtpd)
    refused = set(PEOPLE[2:15])
    smtpd.refuse.update(refused)
    result = invoke(root, "send", "hello", "--yes", "--json")
    assert result.exit_code == 3
    import json
    data = json.loads(result.stdout)
    assert data["state"] == "sent" and data["exit_code"] == 3
    assert {f["address"] for f in data["failed"]} == refused
    assert data["next"] == "publisher send news/hello --retry-failed"
    report = Path(root / data["report"])
    assert report.parent == root / ".publisher" / "reports"
    listed = {line.split("\t")[0] for line in report.read_text().splitlines()}
    assert listed == refused
