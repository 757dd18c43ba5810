"""What the hostile-input guards cost an ordinary build: the YAML tree check, the Markdown
limits and the output-path guard, each against the work it protects.

Run:  .venv/bin/python bench/bench_limits.py [--rounds 15] [--issues 200]

On the benchmark corpus (bench/corpus.py), interleaved A B A B rounds; each row is the median
of the per-round ratios (guarded / unguarded) with its spread (min-max):

* ``load_issue`` of every issue with the YAML tree check and Markdown limits vs. with both
  turned off (the load stage of a cold build);
* ``body_problems`` alone vs. converting the same bodies with Python-Markdown;
* ``Staging.put`` of 1,000 pages with the path guard vs. a plain write.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive_site import write  # noqa: E402
from bench import corpus  # noqa: E402
from publisher import yamlfile  # noqa: E402
from publisher.config import load_project  # noqa: E402
from publisher.load import issue_files, load_issue  # noqa: E402
from publisher.render import limits  # noqa: E402
from publisher.render.body import markdown_to_html  # noqa: E402


def seconds(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def interleaved(a: Callable[[], object], b: Callable[[], object], rounds: int) -> str:
    a(), b()  # warm up
    ratios, times = [], []
    for _ in range(rounds):
        ta, tb = seconds(a), seconds(b)
        ratios.append(ta / tb)
        times.append(ta)
    return (f"{statistics.median(ratios):.3f}x (spread {min(ratios):.3f}-{max(ratios):.3f}); "
            f"guarded {statistics.median(times) * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--issues", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp) / "nl"
        corpus.generate(root, args.issues)
        project = load_project(root)
        paths = issue_files(project)
        bodies = [load_issue(p, project).body for p in paths]

        def load_all() -> None:
            for path in paths:
                load_issue(path, project)

        check_tree, body_problems = yamlfile._check_tree, limits.body_problems

        def unguarded_load() -> None:
            yamlfile._check_tree = lambda *a: []
            limits.body_problems = lambda *a: []
            try:
                load_all()
            finally:
                yamlfile._check_tree, limits.body_problems = check_tree, body_problems

        print(f"{len(paths)} issues, {sum(map(len, bodies)) // len(bodies):,} characters "
              "per body on average")
        print("load_issue, guarded / unguarded:     ", interleaved(load_all, unguarded_load,
                                                                   args.rounds))
        print("body_problems / Python-Markdown:     ", interleaved(
            lambda: [body_problems(b) for b in bodies],
            lambda: [markdown_to_html(b, project) for b in bodies], max(3, args.rounds // 3)))

        site = Path(temp) / "site"
        names = [f"series/page-{i}/index.html" for i in range(1000)]

        def staged(guard: bool) -> Callable[[], None]:
            def run() -> None:
                staging = write.Staging(site, {}, full=True)
                for name in names:
                    target = write.inside(staging.dir, name, links=False) if guard else \
                        staging.dir / name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(b"<html></html>")
                staging.discard()
            return run

        print("1,000 staged pages, guarded / plain: ", interleaved(staged(True), staged(False),
                                                                   args.rounds))


if __name__ == "__main__":
    main()
