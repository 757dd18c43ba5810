"""How fast one issue renders, and how much our own code adds to the libraries it drives.

Run:  .venv/bin/python bench/bench_render.py [--rounds 40] [--many 200] [--issue PATH]

The question is the ratio ``prepare() / bare sum``, where the bare sum is what the libraries
alone take for the same issue: Python-Markdown (the same built-in extensions, a reused
instance, none of ours), Jinja (our two templates, context built once) and premailer (the
same options and page, CSS parsing cached). Target: ``prepare`` within 1.15x.

On a shared, noisy machine the two sides are measured interleaved, A B A B …: each round
times the bare sum and then ``prepare`` back to back, and the result is the median of the
per-round ratios with their spread (25th-75th percentile, and min-max). Rows for the parts
(each library alone, ``render_email``, css-inline beside premailer) are medians over the same
rounds. Then: ``--many`` issues prepared in one process, and ``publisher render`` as a
subprocess (wall time, target under 0.5 s).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from publisher.config import load_project  # noqa: E402
from publisher.load import load_issue  # noqa: E402
from publisher.pipeline import prepare  # noqa: E402
from publisher.render import environment, render_body, render_email  # noqa: E402
from publisher.render.email import email_context  # noqa: E402
from publisher.render.markdown_ext import FOOTNOTES, LIBRARY_EXTENSIONS  # noqa: E402
from publisher.render.merge_tags import dialect_for  # noqa: E402

SAMPLE = ROOT / "issues" / "upravlyay-ka-001-kak-ne-stat-zhertvoy-vorov-2.md"
PREMAILER_CACHED = "premailer, rule list cached (as ours)"
BARE = ["Python-Markdown alone", "Jinja alone (html + txt)", "premailer alone"]
BARE_CACHED = ["Python-Markdown alone", "Jinja alone (html + txt)", PREMAILER_CACHED]


def _ms(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return (time.perf_counter() - start) * 1000


def _quartiles(values: list[float]) -> tuple[float, float, float]:
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def libraries(path: Path) -> tuple[dict[str, Callable[[], object]], Callable[[], object], object]:
    """The bare library calls for ``path``, ``prepare`` for it, and the project."""
    import markdown
    from premailer import Premailer

    project = load_project(path.parent.parent)
    issue = load_issue(path, project)
    body = render_body(issue, project)
    context = email_context(issue, project, body, dialect_for(project.settings.esp.backend))
    env = environment(project)
    template = project.settings.email.template
    html_template = env.get_template(f"email/{template}.html")
    text_template = env.get_template(f"email/{template}.txt")
    page = html_template.render(context)
    md = markdown.Markdown(extensions=list(LIBRARY_EXTENSIONS),
                           extension_configs={"footnotes": FOOTNOTES}, output_format="html")

    def markdown_alone() -> str:
        md.reset()
        return md.convert(issue.body)

    def premailer_alone(cls: type = Premailer) -> str:
        return cls(
            page, allow_network=False, disable_link_rewrites=True, remove_classes=False,
            keep_style_tags=False, strip_important=False, disable_validation=True,
            cache_css_parsing=True, disable_basic_attributes=["height"],
            cssutils_logging_level="CRITICAL").transform(pretty_print=False)

    from publisher.render.inline import _premailer

    cached_rules = _premailer()

    parts: dict[str, Callable[[], object]] = {
        "Python-Markdown alone": markdown_alone,
        "Jinja alone (html + txt)": lambda: (html_template.render(context),
                                             text_template.render(context)),
        "premailer alone": premailer_alone,
        PREMAILER_CACHED: lambda: premailer_alone(cached_rules),
    }
    extra: dict[str, Callable[[], object]] = {
        "ours: render_email (body given)": lambda: render_email(issue, project, body=body)}
    try:
        import css_inline
    except ImportError:
        pass
    else:
        inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
        extra["css-inline on the same page"] = lambda: inliner.inline(page)
    parts.update(extra)
    return parts, lambda: prepare(project, path), project


def interleaved(path: Path, rounds: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Per-round times of every part and of prepare, and the per-round ratios."""
    parts, ours, _ = libraries(path)
    for _ in range(3):  # warm-up: imports, template compilation, CSS caches
        for func in parts.values():
            func()
        ours()
    sums = {"bare sum": BARE, "bare sum, premailer's rule list cached": BARE_CACHED}
    times: dict[str, list[float]] = {name: [] for name in [*parts, *sums, "ours: prepare"]}
    ratios: dict[str, list[float]] = {name: [] for name in sums}
    for _ in range(rounds):
        this_round = {name: _ms(func) for name, func in parts.items()}
        mine = _ms(ours)
        for name, value in this_round.items():
            times[name].append(value)
        times["ours: prepare"].append(mine)
        for name, members in sums.items():
            bare = sum(this_round[member] for member in members)
            times[name].append(bare)
            ratios[name].append(mine / bare)
    return times, ratios


def many(count: int) -> tuple[float, float]:
    """(total seconds, ms per issue) preparing ``count`` issues in one process."""
    folder = Path(tempfile.mkdtemp(prefix="bench-many-"))
    try:
        shutil.copy(ROOT / "newsletter.yaml", folder / "newsletter.yaml")
        (folder / "issues").mkdir()
        text = SAMPLE.read_text(encoding="utf-8")
        paths = []
        for number in range(1, count + 1):
            issue = text.replace("number: 1\n", f"number: {number}\n").replace(
                "slug: kak-ne-stat-zhertvoy-vorov-2\n", f"slug: vypusk-{number}\n")
            path = folder / "issues" / f"upravlyay-ka-{number:03d}.md"
            path.write_text(issue, encoding="utf-8")
            paths.append(path)
        project = load_project(folder)
        prepare(project, paths[0])  # warm: imports, template compilation, CSS cache
        start = time.perf_counter()
        for path in paths:
            prepare(project, path)
        total = time.perf_counter() - start
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return total, total / count * 1000


def command(runs: int) -> tuple[float, float]:
    """(median, min) wall seconds of ``publisher render`` on the sample, as a user runs it."""
    script = Path(sys.executable).with_name("publisher")
    argv = [str(script)] if script.exists() else [sys.executable, "-m", "publisher"]
    times = []
    with tempfile.TemporaryDirectory(prefix="bench-render-") as out:
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run([*argv, "--project", str(ROOT), "render", str(SAMPLE), "--out", out],
                           check=True, capture_output=True)
            times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def report(path: Path, rounds: int) -> float:
    times, ratios = interleaved(path, rounds)
    width = max(len(name) for name in times)
    print(f"{path.name}: {rounds} interleaved rounds (bare libraries, then prepare)")
    print(f"{'':{width}}  {'median':>9}  {'p25-p75':>17}")
    for name, values in times.items():
        a, m, b = _quartiles(values)
        print(f"{name:{width}}  {m:6.2f} ms  {a:6.2f}-{b:6.2f} ms")
    if "css-inline on the same page" in times:
        speedup = statistics.median(times["premailer alone"]) / \
            statistics.median(times["css-inline on the same page"])
        print(f"css-inline is {speedup:.0f}x faster than premailer on this page")
    for name, values in ratios.items():
        q1, median, q3 = _quartiles(values)
        print(f"prepare / {name}: median of per-round ratios {median:.3f} "
              f"(p25-p75 {q1:.3f}-{q3:.3f}, min-max {min(values):.3f}-{max(values):.3f})")
    median = _quartiles(ratios["bare sum"])[1]
    print(f"target: prepare <= 1.15x the bare sum: {'OK' if median <= 1.15 else 'OVER'}\n")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=40, help="interleaved rounds")
    parser.add_argument("--many", type=int, default=200, help="issues in the 'many' row")
    parser.add_argument("--command-runs", type=int, default=7, help="subprocess runs")
    parser.add_argument("--issue", type=Path, action="append",
                        help="issue file(s) to measure (default: the sample)")
    args = parser.parse_args()

    for path in args.issue or [SAMPLE]:
        report(path.resolve(), args.rounds)
    if args.many:
        total, per_issue = many(args.many)
        print(f"many: {args.many} issues prepared in one process: {total:.2f} s, "
              f"{per_issue:.2f} ms per issue")
    if args.command_runs:
        wall_median, wall_min = command(args.command_runs)
        print(f"`publisher render` command (subprocess): median {wall_median * 1000:.0f} ms, "
              f"min {wall_min * 1000:.0f} ms; target < 500 ms: "
              f"{'OK' if wall_median < 0.5 else 'OVER'}")


if __name__ == "__main__":
    main()
