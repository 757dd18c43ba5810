"""Sending benchmarks: SMTP throughput with the ledger on, and the Sendsay path's overhead.

    .venv/bin/python bench/bench_send.py [--recipients 10000] [--sends 50] [--repeat 2]

1. SMTP: one issue to N recipients through ``publisher.sending.deliver`` (ledger intent,
   per-recipient journal with one fdatasync per message, outcome) into an aiosmtpd server on
   127.0.0.1 running in a separate process (so client and server use different cores).
   Compared with the bare backend (no ledger) to show what the journal costs, and with the
   journal fsyncing every message (what happens where no boot id is available). Target:
   >= 1,000 messages a second with the ledger on.
2. Sendsay: per-send wall time of ``deliver`` (plan, pong + group.list check, intent,
   issue.send, outcome; no track polling) against the local double, next to a bare
   ``SendsayClient.issue_send`` — the difference is publisher's overhead per send.

Prints a table. Numbers depend on the machine (CPU, disk fsync latency); run twice.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVER = """
import signal, sys, time
from tests.fixtures_smtp import SmtpServer
server = SmtpServer(keep=False).start()
print(server.port, flush=True)
signal.signal(signal.SIGTERM, lambda *a: (server.stop(), print(server.count, flush=True), sys.exit(0)))
while True:
    time.sleep(1)
"""


def smtp_server() -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen([sys.executable, "-c", SERVER], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE)
    assert proc.stdout is not None
    return proc, int(proc.stdout.readline())


def stop(proc: subprocess.Popen[str]) -> int:
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return int(out.split()[-1])


def make_project(tmp: Path, port: int, recipients: int) -> Path:
    from publisher.scaffold import init_project

    root = tmp / "newsletter"
    init_project(root, title="Bench", language="ru", base_url="https://example.org/n/",
                 sender_email="news@example.org")
    config = (root / "newsletter.yaml").read_text(encoding="utf-8")
    config = config.replace("list_id: ''", "list_id: pl01").replace(
        "esp:\n  backend: outbox\n",
        f"esp:\n  backend: smtp\n  smtp:\n    host: 127.0.0.1\n    port: {port}\n"
        "    security: none\n    subscribers: subscribers.csv\n  sendsay:\n"
        "    login: x_bench\n    poll_interval: 0.01\n")
    (root / "newsletter.yaml").write_text(config, encoding="utf-8")
    rows = "".join(f"reader{i:05d}@example.org,Читатель {i}\n" for i in range(recipients))
    (root / "subscribers.csv").write_text("email,name\n" + rows, encoding="utf-8")
    for issue in (root / "issues").glob("*.md"):
        issue.write_text(issue.read_text(encoding="utf-8").replace("status: draft",
                                                                   "status: ready"),
                         encoding="utf-8")
    return root


def bench_smtp(tmp: Path, recipients: int, repeat: int) -> list[tuple[str, str]]:
    import publisher.ledger
    from publisher.backends import backend_for
    from publisher.config import load_project
    from publisher.models import Audience
    from publisher.pipeline import prepare
    from publisher.sending import SendOptions, deliver
    from publisher.subscribers import audience_for

    proc, port = smtp_server()
    times: dict[str, list[float]] = {"bare": [], "ledger": [], "fsync": []}
    try:
        project = load_project(make_project(tmp, port, recipients))
        path = next(project.issues_dir.glob("*.md"))
        email = prepare(project, path, backend="smtp").email
        audience = audience_for(project, prepare(project, path).issue, "smtp")

        def bare() -> None:
            with backend_for(project, "smtp") as backend:
                backend.send(email, Audience(kind="recipients", recipients=audience.recipients))

        def ledgered() -> None:
            result = deliver(project, email, audience, options=SendOptions(force=True))
            assert result.receipt is not None and result.receipt.accepted == recipients

        def fsync_each() -> None:
            # what the journal costs without batched reservations (no boot id: fsync each)
            real_boot_id = publisher.ledger.boot_id
            publisher.ledger.boot_id = lambda: None
            try:
                ledgered()
            finally:
                publisher.ledger.boot_id = real_boot_id

        for _ in range(repeat):  # interleaved, so load from elsewhere hits all alike
            for name, run in (("bare", bare), ("ledger", ledgered), ("fsync", fsync_each)):
                started = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - started)
    finally:
        received = stop(proc)
    assert received == 3 * repeat * recipients, received

    def row(label: str, name: str) -> tuple[str, str]:
        best, worst = min(times[name]), max(times[name])
        return (f"{label}, {recipients:,} recipients",
                f"{best:6.2f} s  {recipients / best:8,.0f} msg/s  (worst of {repeat}: "
                f"{recipients / worst:,.0f} msg/s)")

    return [row("SMTP, backend only", "bare"), row("SMTP, ledger + journal on", "ledger"),
            row("SMTP, ledger, fsync per message (no boot id)", "fsync")]


def bench_sendsay(tmp: Path, sends: int) -> list[tuple[str, str]]:
    from publisher.backends.sendsay_client import SendsayClient
    from publisher.config import load_project
    from publisher.models import Audience
    from publisher.pipeline import prepare
    from publisher.sending import SendOptions, deliver
    from publisher.testing.fake_sendsay import FakeSendsay

    root = tmp / "newsletter"
    with FakeSendsay(login="x_bench", apikey="bench-key", groups={"pl01": 1000}) as fake:
        os.environ.update(SENDSAY_APIKEY="bench-key", SENDSAY_API_URL=fake.base_url)
        project = load_project(root)
        email = prepare(project, next(project.issues_dir.glob("*.md")), backend="sendsay").email
        client = SendsayClient(fake.account_url, login="x_bench", apikey="bench-key")
        letter = {"subject": email.subject, "from.email": email.from_email,
                  "message": {"html": email.html, "text": email.text}}
        bare = []
        with client:
            for _ in range(sends):
                started = time.perf_counter()
                client.issue_send(letter, sendwhen="now", group="pl01", name=email.issue_key)
                bare.append(time.perf_counter() - started)
        full = []
        for _ in range(sends):
            started = time.perf_counter()
            deliver(project, email, Audience(kind="list", list_id="pl01"),
                    options=SendOptions(backend="sendsay", force=True, wait=False))
            full.append(time.perf_counter() - started)
        executed = len(fake.executed_sends())
    assert executed == 2 * sends
    bare_ms, full_ms = statistics.median(bare) * 1000, statistics.median(full) * 1000
    return [(f"Sendsay, bare issue.send (median of {sends})", f"{bare_ms:6.2f} ms"),
            (f"Sendsay, deliver(): check + ledger + issue.send (median of {sends})",
             f"{full_ms:6.2f} ms"),
            ("Sendsay, publisher overhead per send", f"{full_ms - bare_ms:6.2f} ms")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--sends", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=2, help="SMTP runs per variant (best shown)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=ROOT / "bench") as tmp:
        rows = bench_smtp(Path(tmp), args.recipients, args.repeat) + \
            bench_sendsay(Path(tmp), args.sends)
    width = max(len(name) for name, _ in rows)
    print(f"{'benchmark':<{width}}  result")
    print("-" * (width + 30))
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
