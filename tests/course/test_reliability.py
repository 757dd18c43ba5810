"""Never twice: a run killed mid-way, two runs at once, and the lock's message.

The runs under test are real processes (``python -m publisher course run``) so a kill is a
real SIGKILL with no cleanup; the Sendsay double and the SMTP server run in this process and
count what actually arrived.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

from publisher.course.store import CourseStore, Enrolee, RunLock
from publisher.testing.fake_sendsay import FakeSendsay
from tests.course.helpers import (COURSE, at, deliveries, invoke, make_course, sendsay_env,
                                  spawn)
from tests.fixtures_smtp import SmtpServer

NOW = "2026-11-23 10:00"


def enrol(root: Path, count: int) -> list[str]:
    emails = [f"reader{i:02d}@example.org" for i in range(count)]
    with CourseStore.for_project(root) as store:
        store.enrol(COURSE, [Enrolee(e) for e in emails], ((1, 0),), at("2026-11-23 08:00"))
    return emails


def wait_for(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def finish(process) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


def test_killed_during_issue_send_is_reconciled_not_resent(tmp_path: Path,
                                                           sendsay: FakeSendsay) -> None:
    root = make_course(tmp_path / "nl", esp={"backend": "sendsay"})
    emails = enrol(root, 5)
    sendsay.delay_answers(30, action="issue.send")  # executed at once, answered much later
    process = spawn(root, "course", "run", "--now", NOW, env=sendsay_env(sendsay))
    try:
        wait_for(lambda: len(sendsay.executed_sends()) == 1)
        process.send_signal(signal.SIGKILL)
    finally:
        finish(process)
    sendsay.clear_faults()
    assert set(deliveries(root).values()) == {"intent"}  # the run died before the outcome

    process = spawn(root, "course", "run", "--now", "2026-11-23 10:05", env=sendsay_env(sendsay))
    code, out, err = finish(process)
    assert code == 0, out + err
    assert "interrupted run are unknown" in err
    assert len(sendsay.executed_sends()) == 1  # looked up, never sent again
    assert deliveries(root) == {(e, 1): "sent" for e in emails}


def test_killed_mid_smtp_run_every_copy_at_most_once(tmp_path: Path) -> None:
    with SmtpServer() as server:
        # 10 messages a second: slow enough that the kill lands mid-run on a loaded machine
        root = make_course(tmp_path / "nl", esp={
            "backend": "smtp", "smtp": {"host": server.host, "port": server.port,
                                        "security": "none", "rate": 10}})
        emails = enrol(root, 40)
        process = spawn(root, "course", "run", "--now", NOW)
        try:
            wait_for(lambda: server.count >= 10)
            process.send_signal(signal.SIGKILL)
        finally:
            finish(process)
        first = server.delivered_to()
        assert 10 <= sum(first.values()) < 40 and max(first.values()) == 1

        code, out, err = finish(spawn(root, "course", "run", "--now", "2026-11-23 10:05"))
        states = deliveries(root)
        unknown = [e for (e, _), state in states.items() if state == "unknown"]
        assert len(unknown) <= 1  # at most the one copy in flight when the run died
        assert code == (4 if unknown else 0), out + err  # 4: outcome unknown
        counts = server.delivered_to()
        assert all(counts.get(e, 0) == 1 for e in emails if e not in unknown)
        assert all(counts.get(e, 0) <= 1 for e in unknown)
        # a person checks the in-doubt address and says what happened; then it is settled
        for address in unknown:
            verdict = "--sent" if counts.get(address) else "--not-sent"
            assert invoke(root, "course", "resolve", COURSE, address, "1", verdict).exit_code == 0
        finish(spawn(root, "course", "run", "--now", "2026-11-23 10:10"))
        assert server.delivered_to() == {e: 1 for e in emails}
        assert set(deliveries(root).values()) == {"sent"}


def test_two_runs_at_once_one_sends_the_other_is_locked(tmp_path: Path,
                                                        sendsay: FakeSendsay) -> None:
    root = make_course(tmp_path / "nl", esp={"backend": "sendsay"})
    emails = enrol(root, 3)
    # the first run's issue.send is executed at once and answered 5 s later: it holds the
    # lock that long, which is when the second run starts
    sendsay.delay_answers(5, action="issue.send")
    first = spawn(root, "course", "run", "--now", NOW, env=sendsay_env(sendsay))
    wait_for(lambda: len(sendsay.executed_sends()) == 1)
    second = spawn(root, "course", "run", "--now", NOW, env=sendsay_env(sendsay))
    code2, out2, err2 = finish(second)
    assert first.poll() is None, "the runs did not overlap; the machine is too slow for 5 s"
    code1, out1, err1 = finish(first)
    assert code1 == 0, out1 + err1
    assert code2 == 1
    assert "another `publisher course run` or `course sync` is already running" in err2
    assert "pid" in err2 and "Traceback" not in err2
    assert len(sendsay.executed_sends()) == 1
    assert deliveries(root) == {(e, 1): "sent" for e in emails}


def test_locked_run_says_so_and_dry_run_still_works(tmp_path: Path) -> None:
    root = make_course(tmp_path / "nl")
    enrol(root, 2)
    with CourseStore.for_project(root) as store:
        lock = RunLock(root)
        lock.acquire(store)
        try:
            locked = invoke(root, "course", "run", "--now", NOW)
            dry = invoke(root, "course", "run", "--now", NOW, "--dry-run")
        finally:
            lock.release()
    assert locked.exit_code == 1
    assert "Error: another `publisher course run`" in locked.output
    assert dry.exit_code == 0 and "would send to 2" in dry.output
    assert deliveries(root) == {}
    after = invoke(root, "course", "run", "--now", NOW)
    assert after.exit_code == 0 and "sent to 2" in after.output
