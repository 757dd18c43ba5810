"""The ledger: intent before the call, never twice, corruption reported, never overwritten."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from publisher.backends.locmem import LocmemBackend
from publisher.config import load_project
from publisher.errors import LedgerError, SendError
from publisher.ledger import Ledger, _crc, sent_issue_keys
from publisher.models import Audience, Recipient
from publisher.sending import SendOptions, deliver

LIST = Audience(kind="list", list_id="pl01")
PROOF = Audience(kind="test", recipients=(Recipient("ed@example.org"),))


class SpyBackend(LocmemBackend):
    """Looks at the ledger file at the moment it is asked to send."""

    seen: list[str] = []

    def send(self, email, audience, *, at=None, journal=None):  # type: ignore[no-untyped-def]
        path = Path(self.options["ledger"])
        SpyBackend.seen.append(path.read_text(encoding="utf-8"))
        return super().send(email, audience, at=at, journal=journal)


SpyBackend.defaults = {**LocmemBackend.defaults, "ledger": ""}


class FailingBackend(LocmemBackend):
    defaults = {**LocmemBackend.defaults, "ambiguous": False}

    def send(self, email, audience, *, at=None, journal=None):  # type: ignore[no-untyped-def]
        raise SendError("boom with secret-key-0042 inside", backend="locmem",
                        ambiguous=self.options["ambiguous"])


@pytest.fixture
def newsletter(project):  # type: ignore[no-untyped-def]
    return load_project(project())


def test_intent_is_on_disk_before_the_backend_is_called(newsletter, sample) -> None:  # type: ignore[no-untyped-def]
    SpyBackend.seen.clear()
    ledger_path = newsletter.state_dir / "ledger.jsonl"
    result = deliver(newsletter, sample.email, LIST,
                     backend=SpyBackend(ledger=str(ledger_path)))
    (seen,) = SpyBackend.seen
    events = [json.loads(line)["event"] for line in seen.splitlines()]
    assert events == ["intent"]
    after = [json.loads(line) for line in ledger_path.read_text().splitlines()]
    assert [e["event"] for e in after] == ["intent", "outcome"]
    assert after[1]["state"] == "sent" and result.state == "sent"
    assert after[0]["issue"] == sample.email.issue_key
    assert after[0]["hash"] == sample.email.content_hash
    assert after[0]["audience"] == "list:pl01" and after[0]["backend"] == "locmem"


def test_second_real_send_is_refused_with_when_unless_forced(newsletter, sample) -> None:  # type: ignore[no-untyped-def]
    deliver(newsletter, sample.email, LIST, backend=LocmemBackend())
    with pytest.raises(LedgerError) as info:
        deliver(newsletter, sample.email, LIST, backend=LocmemBackend())
    message = str(info.value)
    assert message.startswith(f"{sample.email.issue_key} already went out on ")
    assert "to list pl01 via locmem, ref locmem-" in message
    assert info.value.hint == "add --force to send it to the same audience again"
    forced = deliver(newsletter, sample.email, LIST, backend=LocmemBackend(),
                     options=SendOptions(force=True))
    assert forced.state == "sent"
    assert len(Ledger.of(newsletter).entries()) == 2


def test_other_audience_and_test_sends_are_not_blocked(newsletter, sample) -> None:  # type: ignore[no-untyped-def]
    deliver(newsletter, sample.email, LIST, backend=LocmemBackend())
    deliver(newsletter, sample.email, Audience(kind="list", list_id="pl02"), backend=LocmemBackend())
    for _ in range(2):
        deliver(newsletter, sample.email, PROOF, backend=LocmemBackend())
    assert sent_issue_keys(newsletter) == {sample.email.issue_key}


def test_test_sends_do_not_count_as_published(newsletter, sample) -> None:  # type: ignore[no-untyped-def]
    deliver(newsletter, sample.email, PROOF, backend=LocmemBackend())
    assert sent_issue_keys(newsletter) == set()


def test_failed_send_is_recorded_and_does_not_block(newsletter, sample) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SendError):
        deliver(newsletter, sample.email, LIST, backend=FailingBackend())
    (entry,) = Ledger.of(newsletter).entries()
    assert entry.state == "failed"
    assert deliver(newsletter, sample.email, LIST, backend=LocmemBackend()).state == "sent"


def test_ambiguous_failure_stays_unknown_and_blocks_until_reconciled(newsletter, sample) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SendError):
        deliver(newsletter, sample.email, LIST, backend=FailingBackend(ambiguous=True))
    (entry,) = Ledger.of(newsletter).entries()
    assert entry.state == "unknown"
    assert sent_issue_keys(newsletter) == set()
    with pytest.raises(LedgerError) as info:  # locmem cannot look it up: a person decides
        deliver(newsletter, sample.email, LIST, backend=LocmemBackend())
    assert "may or may not have gone out" in str(info.value)
    assert str(info.value).startswith(".publisher/ledger.jsonl:1: ")
    result = deliver(newsletter, sample.email, LIST, backend=LocmemBackend(),
                     options=SendOptions(resend_unknown=True))
    assert result.state == "sent"


def test_secrets_are_never_written(newsletter, sample, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SENDSAY_APIKEY", "secret-key-0042")
    with pytest.raises(SendError):
        deliver(newsletter, sample.email, LIST, backend=FailingBackend())
    text = (newsletter.state_dir / "ledger.jsonl").read_text()
    assert "secret-key-0042" not in text and "boom with *** inside" in text


def _write(newsletter, sample, lines: int = 1) -> Path:  # type: ignore[no-untyped-def]
    for index in range(lines):
        deliver(newsletter, sample.email, Audience(kind="list", list_id=f"pl{index}"),
                backend=LocmemBackend())
    return newsletter.state_dir / "ledger.jsonl"


@pytest.mark.parametrize(("edit", "message"), [
    (lambda lines: lines.__setitem__(1, "{not json"),
     ".publisher/ledger.jsonl:2: not a ledger record (invalid JSON)"),
    (lambda lines: lines.__setitem__(1, lines[1].replace('"sent"', '"failed"')),
     ".publisher/ledger.jsonl:2: record was changed after it was written (checksum mismatch)"),
    (lambda lines: lines.__delitem__(0),
     ".publisher/ledger.jsonl:1: outcome for send {id}, which has no intent before it"),
    (lambda lines: lines.__setitem__(1, "[1, 2]"),
     ".publisher/ledger.jsonl:2: not a ledger record (expected a JSON object)"),
])
def test_corrupt_or_hand_edited_ledger_is_reported_and_left_alone(newsletter, sample, edit,
                                                                  message) -> None:  # type: ignore[no-untyped-def]
    path = _write(newsletter, sample)
    lines = path.read_text(encoding="utf-8").splitlines()
    entry_id = json.loads(lines[0])["id"]
    edit(lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = path.read_bytes()
    for attempt in (lambda: sent_issue_keys(newsletter),
                    lambda: deliver(newsletter, sample.email, PROOF, backend=LocmemBackend())):
        with pytest.raises(LedgerError) as info:
            attempt()
        assert str(info.value) == message.format(id=entry_id)
        assert "never rewrites its ledger" in (info.value.hint or "")
    assert path.read_bytes() == before


def test_torn_last_line_is_reported_not_appended_to(newsletter, sample) -> None:  # type: ignore[no-untyped-def]
    path = _write(newsletter, sample)
    with path.open("a", encoding="utf-8") as f:
        f.write('{"event": "outco')
    before = path.read_bytes()
    with pytest.raises(LedgerError, match=r"ledger.jsonl:3: incomplete last line"):
        deliver(newsletter, sample.email, PROOF, backend=LocmemBackend())
    assert path.read_bytes() == before


def test_unknown_fields_valid_checksum_but_unknown_event(newsletter, sample) -> None:  # type: ignore[no-untyped-def]
    path = _write(newsletter, sample)
    record = {"event": "shred", "id": "x", "at": "2026-01-01T00:00:00+00:00"}
    record["crc"] = _crc(dict(record))
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")
    with pytest.raises(LedgerError, match=r"ledger.jsonl:3: unknown event 'shred'"):
        Ledger.of(newsletter).entries()


def test_scheduled_send_counts_once_its_time_has_come(newsletter, sample) -> None:  # type: ignore[no-untyped-def]
    ledger = Ledger.of(newsletter)
    soon = ledger.intent(issue="news/soon", content_hash="h", audience=LIST, backend="sendsay",
                         test=False, scheduled_for=dt.datetime.now(dt.UTC)
                         + dt.timedelta(days=1))
    ledger.outcome(soon, "scheduled", ref="7")
    past = ledger.intent(issue="news/past", content_hash="h", audience=LIST, backend="sendsay",
                         test=False, scheduled_for=dt.datetime.now(dt.UTC)
                         - dt.timedelta(minutes=1))
    ledger.outcome(past, "scheduled", ref="8")
    assert sent_issue_keys(newsletter) == {"news/past"}


def test_one_send_at_a_time(newsletter) -> None:  # type: ignore[no-untyped-def]
    ledger = Ledger.of(newsletter)
    with ledger.lock(), pytest.raises(LedgerError, match="another publisher send is running"):
        with Ledger.of(newsletter).lock():
            pass


def test_no_ledger_means_nothing_sent(newsletter) -> None:  # type: ignore[no-untyped-def]
    assert sent_issue_keys(newsletter) == set()
    assert not (newsletter.state_dir / "ledger.jsonl").exists()


def test_progress_file_hand_edit_is_reported(newsletter) -> None:  # type: ignore[no-untyped-def]
    ledger = Ledger.of(newsletter)
    path = ledger.progress_path("abc")
    path.parent.mkdir(parents=True)
    path.write_text("= boot\n> a@example.org\n+ a@example.org\nsent to b@example.org\n")
    with pytest.raises(LedgerError, match=r"deliveries/abc.log:4: not a delivery record"):
        ledger.progress("abc")


def test_audience_key_is_the_list_or_a_fingerprint_of_the_addresses() -> None:
    from publisher.ledger import audience_key
    cohort = tuple(Recipient(f"r{i}@example.org") for i in range(1000))
    same = tuple(reversed(cohort))
    key = audience_key(Audience(kind="recipients", recipients=cohort))
    assert key.startswith("recipients:1000:sha256:") and len(key) < 60
    assert key == audience_key(Audience(kind="recipients", recipients=same))
    assert audience_key(Audience(kind="recipients", list_id="subscribers/news.csv",
                                 recipients=cohort)) == "recipients:subscribers/news.csv"
    assert audience_key(PROOF) == "test:ed@example.org"


def _progress_file(newsletter, text: str):  # type: ignore[no-untyped-def]
    ledger = Ledger.of(newsletter)
    path = ledger.progress_path("run")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    # logs written before address tokens: still read, and named by address for messages
    return ledger.progress("run").readable()


def test_progress_same_boot_is_exact(newsletter, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PUBLISHER_BOOT_ID", "b1")
    progress = _progress_file(newsletter, "= b1\n> a@x.org\n> b@x.org\n> c@x.org\n> d@x.org\n"
                                          "@ a@x.org\n+ a@x.org\n@ b@x.org\n! b@x.org\t550 no\n"
                                          "@ c@x.org\n")
    assert progress.sent == {"a@x.org"} and progress.failed == {"b@x.org": "550 no"}
    assert progress.in_doubt == {"c@x.org"}  # d was reserved but never handed over: pending


def test_progress_after_a_reboot_is_conservative(newsletter, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PUBLISHER_BOOT_ID", "b2")
    progress = _progress_file(newsletter, "= b1\n> a@x.org\n> b@x.org\n@ a@x.org\n+ a@x.org\n")
    assert progress.sent == {"a@x.org"} and progress.in_doubt == {"b@x.org"}


def test_progress_later_reservation_keeps_an_earlier_doubt(newsletter, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PUBLISHER_BOOT_ID", "b1")
    progress = _progress_file(newsletter, "= b1\n> a@x.org\n@ a@x.org\n= b1\n> a@x.org\n")
    assert progress.in_doubt == {"a@x.org"}


def test_progress_ignores_a_torn_last_line(newsletter, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PUBLISHER_BOOT_ID", "b1")
    progress = _progress_file(newsletter, "= b1\n> a@x.org\n@ a@x.org\n+ a@x.o")
    assert progress.in_doubt == {"a@x.org"} and progress.sent == frozenset()
