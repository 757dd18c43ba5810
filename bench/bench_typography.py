"""The typography storm: a 200 KB paragraph of quotes, dashes, ranges and numbers.

Run:  .venv/bin/python bench/bench_typography.py [--rounds 15] [--kb 200]

Before this rule set the storm did not finish in 30 s (``<<…>>`` and the dash rule rescanned
the text from every position). Prints, interleaved round by round (A B A B …, so the shared
machine's noise hits both alike), the median of per-round ratios with their spread:

* storm / ordinary Russian prose of the same size: how much the hostile input costs over
  normal text (linear rules keep this a small constant);
* storm at full size / storm at a quarter of the size: 4.0 means linear time, 16 quadratic;
* the absolute time of the full storm (target: well under a second).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from publisher.render.typography import RussianTypographer  # noqa: E402

STORM_UNIT = ('"Он" - сказал "она "да" и нет" -- <<ёлки ... 15-16.01.2027, пн-пт, 8-10, '
              '24 500 ₽, 80 %, А. С. Пушкин, т.е. "«" - »" -   - ')
PROSE_UNIT = ("Сегодня мы продолжаем разговор о том, как построить систему продаж, в которой "
              "уход одного менеджера не уносит с собой клиентскую базу компании. ")


def make(unit: str, kb: int) -> str:
    size = kb * 1024
    text = unit * (size // len(unit.encode("utf-8")) + 1)
    return text.encode("utf-8")[:size].decode("utf-8", errors="ignore")


def once(text: str) -> float:
    start = time.perf_counter()
    RussianTypographer()(text)
    return time.perf_counter() - start


def spread(values: list[float]) -> str:
    ordered = sorted(values)
    return f"{statistics.median(ordered):.2f} (p10 {ordered[len(ordered) // 10]:.2f}, " \
           f"p90 {ordered[(len(ordered) * 9) // 10]:.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--kb", type=int, default=200)
    args = parser.parse_args()
    storm, quarter = make(STORM_UNIT, args.kb), make(STORM_UNIT, args.kb // 4)
    plain = make(PROSE_UNIT, args.kb)
    print(f"storm {len(storm.encode()) / 1024:.0f} KB, prose {len(plain.encode()) / 1024:.0f} "
          f"KB, quarter storm {len(quarter.encode()) / 1024:.0f} KB; {args.rounds} rounds")
    once(storm)  # warm-up: regex compilation, allocator
    vs_prose: list[float] = []
    vs_quarter: list[float] = []
    full: list[float] = []
    for _ in range(args.rounds):
        a = once(storm)
        b = once(plain)
        c = once(quarter)
        vs_prose.append(a / b)
        vs_quarter.append(a / c)
        full.append(a * 1000)
    print(f"storm / prose of the same size:  {spread(vs_prose)}")
    print(f"storm / quarter-size storm:      {spread(vs_quarter)}  (4 = linear)")
    print(f"storm, ms:                       {spread(full)}  (target: well under 1000)")


if __name__ == "__main__":
    main()
