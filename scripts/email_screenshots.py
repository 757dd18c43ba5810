"""Screenshots of rendered emails for review: the sample and three corpus issues, at 375 and
800 px, light and dark, as PNG files (headless Chromium; nothing leaves the machine).

Run:  .venv/bin/python scripts/email_screenshots.py [--out screenshots/email] [--no-style]

Writes ``<out>/<issue>-<width>-<scheme>.png`` (full page) and prints the paths. With
``--no-style`` the ``<style>`` blocks are removed first, as some clients do.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.render import layout_probe as probe  # noqa: E402
from tests.render.corpus import CORPUS, SAMPLE, render  # noqa: E402

ISSUES = [SAMPLE,
          CORPUS / "ru" / "issues" / "digest-001-shest-kolonok.md",
          CORPUS / "ru" / "issues" / "digest-004-dlinnye-slova.md",
          CORPUS / "en" / "issues" / "notes-001-shipping.md"]
WIDTHS = (375, 800)
CHROMIUM = "/usr/bin/chromium"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots" / "email")
    parser.add_argument("--no-style", action="store_true", help="drop <style> blocks first")
    parser.add_argument("issues", nargs="*", type=Path, help="issue files (default: four)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=["--headless", "--no-sandbox"])
        try:
            page = browser.new_page()
            for path in args.issues or ISSUES:
                rendered = render(path.resolve())
                html = probe.without_style(rendered.html) if args.no_style else rendered.html
                page.unroute("**/*")
                probe.serve_assets(page, rendered.assets_url, rendered.project.issues_dir)
                stem = rendered.name.replace("/", "-") + ("-nostyle" if args.no_style else "")
                for width in WIDTHS:
                    for scheme in ("light", "dark"):
                        probe.load(page, html, width=width, dark=scheme == "dark")
                        target = args.out / f"{stem}-{width}-{scheme}.png"
                        page.screenshot(path=str(target), full_page=True)
                        print(target.relative_to(ROOT) if target.is_relative_to(ROOT)
                              else target)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
