"""bench/bench_archive.py runs end to end on a small corpus, and both tools build the same site.

The numbers themselves are the benchmark's business (notes report them); this proves the
benchmark measures what it says: publisher and Hugo + Pagefind each built every issue with a
search index over every issue, and the table reports each row with its per-round ratio.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ISSUES = 12


def test_the_archive_benchmark_builds_both_sites_and_reports_every_row(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_archive.py"), str(ISSUES), "--rounds", "2",
         "--keep", str(tmp_path)], capture_output=True, text=True, encoding="utf-8",
        timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    base = tmp_path / str(ISSUES)
    for out in (base / "publisher-out", base / "hugo-out"):
        entry = json.loads((out / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
        assert sum(lang["page_count"] for lang in entry["languages"].values()) == ISSUES, out
    # the edit row changed one issue in each, and both sites show the edited text
    for out in (base / "publisher-out", base / "hugo-out"):
        pages = "".join(p.read_text(encoding="utf-8") for p in out.rglob("index.html"))
        assert "Правка номер 1" in pages, out
    rows = {}
    for line in result.stdout.splitlines():
        match = re.match(r"(cold|warm|edit) \| ([\d.]+) s \(([\d.]+)–([\d.]+)\) \| "
                         r"([\d.]+) s \(([\d.]+)–([\d.]+)\) \| ([\d.]+)× \(([\d.]+)–([\d.]+)\)$",
                         line)
        if match:
            rows[match.group(1)] = [float(v) for v in match.groups()[1:]]
    assert sorted(rows) == ["cold", "edit", "warm"], result.stdout
    for row, (ours, lo, hi, peer, plo, phi, ratio, rlo, rhi) in rows.items():
        assert lo <= ours <= hi and plo <= peer <= phi and rlo <= ratio <= rhi, row
        assert ours > 0 and peer > 0, row
        # every per-round ratio lies between the extremes of the two tools' times (which
        # the table rounds to 0.01 s)
        assert (lo - 0.005) / (phi + 0.005) - 0.01 <= rlo, row
        assert rhi <= (hi + 0.005) / max(plo - 0.005, 0.001) + 0.01, row
    assert re.search(r"peak RSS of the process tree \| \d+ MB \| \d+ MB", result.stdout)
