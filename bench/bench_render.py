"""How fast one issue renders, part by part, and whether our own code adds more than it should.

Run:  .venv/bin/python bench/bench_render.py [--runs 30] [--many 200]

Prints one table. Rows:

* the libraries alone on the sample issue: Python-Markdown (same extensions, reused instance),
  Jinja (our templates, context built once), premailer (same options, CSS parsing cached: the
  second and later calls), and their bare sum;
* ours in-process: ``render_email`` (templates + UTM + inlining + text, body given) and
  ``prepare`` (load the file -> body -> checks -> email), with the ratio to the bare sum
  (target: ``prepare`` within 1.2x);
* css-inline beside premailer on the same HTML (the inliner we could switch to);
* rendering many: ``--many`` copies of the sample, prepared one after another in one process;
* the whole ``publisher render`` command as a subprocess, wall time (target: under 0.5 s).

Times are medians of ``--runs`` runs after a warm-up; machines differ, so compare rows of one
run rather than numbers across machines.
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
from publisher.render.merge_tags import dialect_for  # noqa: E402
from publisher.pipeline import prepare  # noqa: E402
from publisher.render import environment, render_body, render_email  # noqa: E402
from publisher.render.email import email_context  # noqa: E402

SAMPLE = ROOT / "issues" / "upravlyay-ka-001-kak-ne-stat-zhertvoy-vorov-2.md"
SUM_SAME = "bare sum, same page as ours"
SUM_CARD = "bare sum, design-card layout"
OURS = "ours: prepare (load -> body -> email)"


def _sum(values: list[tuple[float, float]]) -> tuple[float, float]:
    return sum(v[0] for v in values), sum(v[1] for v in values)


def timed_ms(func: Callable[[], object], runs: int, warmup: int = 3) -> tuple[float, float]:
    """(median, min) milliseconds of ``runs`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        func()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, min(times) * 1000


def parts(runs: int) -> dict[str, tuple[float, float]]:
    import markdown
    from premailer import Premailer

    project = load_project(ROOT)
    issue = load_issue(SAMPLE, project)
    body = render_body(issue, project)
    context = email_context(issue, project, body, dialect_for(project.settings.esp.backend))
    env = environment(project)
    html_template = env.get_template("email/issue.html")
    text_template = env.get_template("email/issue.txt")
    page = html_template.render(context)
    md = markdown.Markdown(extensions=["tables", "sane_lists", "attr_list"], output_format="html")

    def markdown_alone() -> str:
        md.reset()
        return md.convert(issue.body)

    def jinja_alone() -> tuple[str, str]:
        return html_template.render(context), text_template.render(context)

    # the design card's layout: every rule, @media included, in one <style> through premailer
    one_style = page.replace('<style data-premailer="ignore">', "<style>")

    def premailer_alone(html: str) -> Callable[[], str]:
        return lambda: Premailer(
            html, allow_network=False, disable_link_rewrites=True, remove_classes=False,
            keep_style_tags=False, strip_important=False, disable_validation=True,
            cache_css_parsing=True, cssutils_logging_level="CRITICAL").transform(
            pretty_print=False)

    results = {
        "Python-Markdown alone": timed_ms(markdown_alone, runs),
        "Jinja alone (html + txt)": timed_ms(jinja_alone, runs),
        "premailer alone, our page (@media kept as is)": timed_ms(premailer_alone(page), runs),
        "premailer alone, all CSS in one <style>": timed_ms(premailer_alone(one_style), runs),
    }
    libraries = [results["Python-Markdown alone"], results["Jinja alone (html + txt)"]]
    results[SUM_SAME] = _sum(libraries + [results["premailer alone, our page (@media kept as is)"]])
    results[SUM_CARD] = _sum(libraries + [results["premailer alone, all CSS in one <style>"]])
    results["ours: render_email (body given)"] = timed_ms(
        lambda: render_email(issue, project, body=body), runs)
    results[OURS] = timed_ms(lambda: prepare(project, SAMPLE), runs)
    try:
        import css_inline
    except ImportError:
        results["css-inline on our page"] = (float("nan"), float("nan"))
    else:
        inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
        results["css-inline on our page"] = timed_ms(lambda: inliner.inline(page), runs)
    return results


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="timed runs per in-process row")
    parser.add_argument("--many", type=int, default=200, help="issues in the 'many' row")
    parser.add_argument("--command-runs", type=int, default=7, help="subprocess runs")
    args = parser.parse_args()

    results = parts(args.runs)
    total, per_issue = many(args.many)
    wall_median, wall_min = command(args.command_runs)

    ours = results[OURS][1]
    speedup = results["premailer alone, our page (@media kept as is)"][1] / \
        results["css-inline on our page"][1]
    notes = {
        "ours: render_email (body given)": "",
        OURS: (f"{ours / results[SUM_SAME][1]:.2f}x same-page sum, "
               f"{ours / results[SUM_CARD][1]:.2f}x design-card sum"),
        "css-inline on our page": f"{speedup:.0f}x faster than premailer on it",
    }
    rows = [(name, f"{med:8.2f} ms", f"{low:8.2f} ms", notes.get(name, ""))
            for name, (med, low) in results.items()]
    rows.append((f"many: {args.many} issues, one process", f"{total:8.2f} s", "",
                 f"{per_issue:.2f} ms per issue"))
    rows.append(("`publisher render` command (subprocess)", f"{wall_median * 1000:8.0f} ms",
                 f"{wall_min * 1000:8.0f} ms", "target < 500 ms"))

    width = max(len(r[0]) for r in rows)
    print(f"Rendering the sample issue ({SAMPLE.name}); {args.runs} runs per row")
    print(f"{'':{width}}  {'median':>11}  {'min':>11}  note (ratios from min)")
    for name, median, low, note in rows:
        print(f"{name:{width}}  {median:>11}  {low:>11}  {note}")
    ratio = ours / results[SUM_SAME][1]
    print(f"\nprepare / same-page bare sum = {ratio:.2f} (target <= 1.20): "
          f"{'OK' if ratio <= 1.2 else 'OVER'}; command median {wall_median:.3f} s "
          f"(target < 0.5): {'OK' if wall_median < 0.5 else 'OVER'}")


if __name__ == "__main__":
    main()
