"""What the pre-send lookup at Sendsay costs per send (the ESP decides "already sent").

    .venv/bin/python bench/bench_lookup.py [--rounds 30] [--listed 3]

Each round sends one new issue through ``publisher.sending.deliver`` against the local
Sendsay double twice, interleaved (A B A B ...): A with the lookup (what every real send does:
``stat.uni`` by the issue's name, then ``issue.list`` of the list's last days and the names of
the issues on it in one ``batch`` of ``issue.get``), B with it switched off (the old path:
pong + group.list check, intent, issue.send, outcome). ``--listed`` issues of other names are
in the list's archive around the send (a weekly newsletter has 0-1; a daily one a few).
Reports the median of the per-round ratios A/B with the spread, the extra wall time per send,
and the extra API calls per send. No track polling (``wait=False``).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--listed", type=int, default=3)
    args = parser.parse_args()

    from publisher.backends.sendsay import SendsayBackend
    from publisher.config import load_project
    from publisher.models import Audience
    from publisher.pipeline import prepare
    from publisher.sending import SendOptions, deliver
    from publisher.testing.fake_sendsay import FakeSendsay
    from tests.fixtures_project import config_data, issue_text, write_tree

    class NoLookup(SendsayBackend):
        looks_up = False

    audience = Audience(kind="list", list_id="pl01")
    options = SendOptions(backend="sendsay", wait=False)
    with tempfile.TemporaryDirectory() as tmp, \
            FakeSendsay(login="x_bench", apikey="bench-key", groups={"pl01": 1000}) as fake:
        root = Path(tmp) / "nl"
        esp = {"backend": "sendsay", "sendsay": {"login": "x_bench", "api_url": fake.base_url}}
        write_tree(root, {"newsletter.yaml": config_data(esp=esp),
                          "issues/news-001-hello.md": issue_text(slug="hello")})
        os.environ.update(SENDSAY_APIKEY="bench-key", SENDSAY_API_URL=fake.base_url)
        project = load_project(root)
        email = prepare(project, root / "issues" / "news-001-hello.md",
                        backend="sendsay").email
        backend_options = SendsayBackend.options_from(project)

        def one(kind: type[SendsayBackend], name: str) -> tuple[float, int]:
            fake.account.issues.clear()
            for other in range(args.listed):  # other issues in the list's recent archive
                fake.account.execute({"action": "issue.send", "sendwhen": "now",
                                      "group": "pl01", "name": f"other/{other}",
                                      "letter": {"subject": "x", "from.email": "a@b.org",
                                                 "message": {"text": "x"}}},
                                     _key())
            before = len(fake.requests)
            started = time.perf_counter()
            deliver(project, dataclasses.replace(email, issue_key=name), audience,
                    options=options, backend=kind(**backend_options))
            return time.perf_counter() - started, len(fake.requests) - before

        one(SendsayBackend, "warm/up")
        ratios, extra_ms, extra_calls = [], [], []
        for index in range(args.rounds):
            with_lookup, calls_a = one(SendsayBackend, f"bench/a{index}")
            without, calls_b = one(NoLookup, f"bench/b{index}")
            ratios.append(with_lookup / without)
            extra_ms.append((with_lookup - without) * 1000)
            extra_calls.append(calls_a - calls_b)
        sends = len(fake.executed_sends())
    assert sends == 2 * args.rounds + 1  # the direct archive fillers are not in the log
    quart = statistics.quantiles(ratios, n=4)
    print(f"pre-send lookup, {args.rounds} interleaved rounds, {args.listed} other issue(s) "
          "in the list's archive")
    print(f"  time with / without lookup: median {statistics.median(ratios):.2f}x "
          f"(quartiles {quart[0]:.2f}-{quart[2]:.2f})")
    print(f"  extra per send: median {statistics.median(extra_ms):.2f} ms, "
          f"{statistics.median(extra_calls):.0f} extra request-log line(s) "
          "(stat.uni, issue.list, batch of issue.get: each issue.get is logged on its own)")


def _key():  # type: ignore[no-untyped-def]
    from publisher.testing.fake_sendsay_account import Credentials

    return Credentials("apikey:field", apikey="bench-key")


if __name__ == "__main__":
    main()
