"""Cold builds where workers are spawned (Windows, macOS) beside Linux's forked ones.

    .venv/bin/python bench/bench_portable.py              # 60 and 300 issues, 5 rounds
    .venv/bin/python bench/bench_portable.py 120 --rounds 3

Each round builds the same generated archive (tests/fixtures_archive.py) cold, as a child
process, in four ways, interleaved A B C D so the shared machine's load hits all alike:

  fork -j1     Linux, one process
  fork -j2     Linux, the pool forked (today's default on Linux)
  spawn -j1    macOS/Windows simulated (tests/platform_sim), one process
  spawn -j2    simulated, the pool spawned (each worker imports publisher itself)

and reports the median of the per-round ratios to ``fork -j1`` with their spread (min-max).
What it answers: whether a spawned pool still pays for its start-up at a given size, which
is what ``workers.MIN_PARALLEL`` (and the spawn threshold) should be.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from publisher.dev import simulated_env  # noqa: E402
from tests.fixtures_archive import generate_archive  # noqa: E402

VARIANTS = (("fork -j1", False, "1"), ("fork -j2", False, "2"), ("spawn -j1", True, "1"),
            ("spawn -j2", True, "2"))


def _build(folder: Path, simulated: bool, jobs: str) -> float:
    shutil.rmtree(folder / ".publisher", ignore_errors=True)
    shutil.rmtree(folder / "_site", ignore_errors=True)
    env = simulated_env() if simulated else dict(os.environ)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "publisher", "--project", str(folder), "build",
                    "--out", str(folder / "_site"), "-j", jobs], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="*", type=int, default=[60, 300])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "newsletter"
            generate_archive(folder, size)
            times: dict[str, list[float]] = {name: [] for name, _, _ in VARIANTS}
            for _ in range(args.rounds):
                for name, simulated, jobs in VARIANTS:
                    times[name].append(_build(folder, simulated, jobs))
            base = times["fork -j1"]
            print(f"\n{size} issues, {args.rounds} rounds (median seconds; ratio to fork -j1: "
                  "median [min-max])")
            for name, _, _ in VARIANTS:
                ratios = [t / b for t, b in zip(times[name], base)]
                print(f"  {name:<10} {statistics.median(times[name]):6.2f} s   "
                      f"{statistics.median(ratios):5.2f} [{min(ratios):.2f}-{max(ratios):.2f}]")
            # what the threshold decides: the pool against one process, same start method
            for method in ("fork", "spawn"):
                pooled = [a / b for a, b in zip(times[f"{method} -j2"], times[f"{method} -j1"])]
                print(f"  {method} -j2 / {method} -j1: {statistics.median(pooled):.2f} "
                      f"[{min(pooled):.2f}-{max(pooled):.2f}]")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
