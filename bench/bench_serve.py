"""``publisher serve``: time from saving an issue to its new page, file events vs polling.

For each size, bench/corpus.py writes the same corpus twice and ``publisher serve`` runs on
each copy as a real subprocess, one watching through OS file events (watchfiles), the other
with ``--poll``. Each round edits one issue (a new marker in its text) in the events copy,
then the same issue in the polling copy (A B A B …), and measures from the write to:

* **page file**: the issue's ``index.html`` on disk holds the marker;
* **page served**: a GET of the page over HTTP returns it;
* **search**: ``pagefind/pagefind-entry.json`` changed (the index was rebuilt).

It reports the median and min–max per mode, and the median of per-round ratios
(polling / events) with their spread. The machine is shared: read medians, not minima.

    python bench/bench_serve.py --sizes 1000 5000 --rounds 7
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import corpus  # noqa: E402

MODES = ("events", "polling")
METRICS = ("page file", "page served", "search")


@dataclass
class Server:
    """One ``publisher serve`` subprocess over its own copy of the corpus."""

    root: Path
    mode: str
    child: subprocess.Popen = field(init=False)
    url: str = ""
    lines: list[str] = field(default_factory=list)

    def start(self) -> None:
        flags = ["--poll"] if self.mode == "polling" else []
        self.child = subprocess.Popen(
            [sys.executable, "-m", "publisher", "--project", str(self.root), "serve",
             "--port", "0", "--out", str(self.root / "_site"), *flags],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert self.child.stdout is not None
        for line in self.child.stdout:
            self.lines.append(line)
            if line.startswith("Serving "):
                self.url = line.split()[1]
                break
        else:
            raise SystemExit(f"serve ({self.mode}) did not start:\n{''.join(self.lines)}")
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.child.stdout is not None
        for line in self.child.stdout:
            self.lines.append(line)

    def stop(self) -> None:
        self.child.terminate()
        try:
            self.child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.child.kill()
            self.child.wait()

    def build_seconds(self) -> float | None:
        """The builder's own time for the last rebuild (its summary line)."""
        for line in reversed(self.lines):
            found = re.search(r"in (\d+\.\d+) s$", line.strip())
            if found and "changed:" in line and "search index:" not in line:
                return float(found.group(1))
        return None


def _served(url: str, marker: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return marker in response.read().decode("utf-8", errors="replace")
    except OSError:
        return False


def edit_once(server: Server, issue: corpus.CorpusIssue, marker: str,
              deadline: float = 60.0) -> dict[str, float]:
    """Write ``marker`` into the issue; seconds until page file, page served, search index."""
    source = server.root / "issues" / corpus.issue_filename(issue)
    page = server.root / "_site" / issue.series / issue.slug / "index.html"
    entry = server.root / "_site" / "pagefind" / "pagefind-entry.json"
    url = f"{server.url}{issue.series}/{issue.slug}/"
    entry_before = entry.read_bytes() if entry.exists() else b""
    text = corpus.issue_file(issue) + f"\nBENCHMARK {marker}\n"
    times: dict[str, float] = {}

    def watch_http() -> None:
        while "page served" not in times and time.perf_counter() - started < deadline:
            if _served(url, marker):
                times["page served"] = time.perf_counter() - started
            else:
                time.sleep(0.005)

    started = time.perf_counter()
    source.write_text(text, encoding="utf-8")
    http = threading.Thread(target=watch_http)
    http.start()
    while len(times) < 3 and time.perf_counter() - started < deadline:
        now = time.perf_counter() - started
        if "page file" not in times:
            try:
                if marker in page.read_text(encoding="utf-8"):
                    times["page file"] = now
            except OSError:
                pass
        if "search" not in times:
            try:
                if entry.read_bytes() != entry_before:
                    times["search"] = now
            except OSError:
                pass
        time.sleep(0.002)
    http.join()
    missing = [m for m in METRICS if m not in times]
    if missing:
        raise SystemExit(f"{server.mode}: no {', '.join(missing)} within {deadline} s")
    time.sleep(0.2)  # the summary line follows the files
    times["build (serve's own)"] = server.build_seconds() or float("nan")
    return times


def _row(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} ({min(values):.3f}–{max(values):.3f})"


def bench_size(size: int, rounds: int, work: Path) -> list[str]:
    issues = corpus.issues(size)
    servers = {}
    for mode in MODES:
        root = work / f"{size}-{mode}"
        corpus.generate(root, size)
        servers[mode] = Server(root, mode)
    results: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    try:
        for server in servers.values():
            server.start()
        time.sleep(1.0)  # let both settle after their first build
        target = issues[len(issues) // 2]
        for round_ in range(rounds + 1):  # round 0 warms the caches and is not counted
            order = MODES if round_ % 2 == 0 else MODES[::-1]
            for mode in order:
                times = edit_once(servers[mode], target, f"r{round_}{mode}{time.time_ns()}")
                if round_:
                    results[mode].append(times)
                time.sleep(0.5)  # the search index and listings settle before the next edit
    finally:
        for server in servers.values():
            server.stop()
    lines = [f"\n### {size} issues, {rounds} rounds (seconds from the write; median (min–max))\n",
             "| measure | events | polling | polling / events per round |",
             "|---|---|---|---|"]
    for metric in (*METRICS, "build (serve's own)"):
        per_mode = {mode: [r[metric] for r in results[mode]] for mode in MODES}
        ratios = [p / e for e, p in zip(per_mode["events"], per_mode["polling"]) if e > 0]
        lines.append(f"| {metric} | {_row(per_mode['events'])} | {_row(per_mode['polling'])} "
                     f"| {_row(ratios)} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    try:
        out = ["# publisher serve: write → page"]
        for size in args.sizes:
            out += bench_size(size, args.rounds, work)
            print("\n".join(out[-7:]), flush=True)
        print("\n".join(out))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
