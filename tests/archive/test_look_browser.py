"""The archive's look in headless Chromium: both colour schemes pass axe-core, print shows the
article alone.

axe-core (Deque's accessibility engine, the one browsers' audits use) is installed from npm
into ``.venv/npm`` on first use and injected into each page; a test fails on any violation
of impact "serious" or "critical" (contrast below WCAG AA is "serious").
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.archive.search_corpus import generate
from tests.fixtures_serve import ROOT

AXE_DIR = ROOT / ".venv" / "npm"
AXE = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
PAGES = ("", "upravlyay-ka/", "upravlyay-ka/konversiya-voronki/", "tags/",
         "tags/klientskaya-baza/", "search/?q=конверсия", "404.html")


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed (apt-get install npm); axe-core comes from npm")
        AXE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "install", "--prefix", str(AXE_DIR), "--no-audit", "--no-fund",
                        "--silent", "axe-core@4"], check=True, timeout=300)
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def site_preview(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from archive_site.serve import Preview, ServeOptions

    root = generate(tmp_path_factory.mktemp("look") / "newsletter", count=12)
    issue = root / "issues" / "upravlyay-ka-001-konversiya-voronki.md"
    text = issue.read_text(encoding="utf-8")
    issue.write_text(text + "\n> Цитата для проверки контраста.\n\n| Этап | Конверсия |\n"
                     "|---|---|\n| Первый | 40% |\n\n```\nкод\n```\n", encoding="utf-8")
    server = Preview(root, ServeOptions(out_dir=root / "_site", port=0, poll_interval=0.1,
                                        jobs=1))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def serious(page, axe_source: str) -> list[str]:  # type: ignore[no-untyped-def]
    page.add_script_tag(content=axe_source)
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_both_schemes_pass_axe(chromium, site_preview, axe_source, scheme: str) -> None:  # type: ignore[no-untyped-def]
    page = chromium.new_page()
    try:
        page.emulate_media(color_scheme=scheme)
        found = {}
        for path in PAGES:
            page.goto(site_preview.url + path)
            if path.startswith("search/"):
                page.wait_for_function(
                    "document.getElementById('search-status').textContent !== ''")
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            if scheme == "dark":
                assert background != "rgb(255, 255, 255)", path
            problems = serious(page, axe_source)
            if problems:
                found[path] = problems
        Path("/tmp/publisher-browser").mkdir(parents=True, exist_ok=True)
        page.goto(site_preview.url + "upravlyay-ka/konversiya-voronki/")
        page.screenshot(path=f"/tmp/publisher-browser/issue-{scheme}.png", full_page=True)
        assert found == {}
    finally:
        page.close()


def test_print_shows_the_article_alone(chromium, site_preview) -> None:  # type: ignore[no-untyped-def]
    page = chromium.new_page()
    try:
        page.goto(site_preview.url + "upravlyay-ka/konversiya-voronki/")
        page.emulate_media(media="print")
        for hidden in (".site-header", ".site-footer", ".issue-nav", ".subscribe",
                       ".library", ".issue-tags"):
            if page.locator(hidden).count():
                assert not page.locator(hidden).first.is_visible(), hidden
        assert page.locator("article.issue h1").is_visible()
        assert page.locator("article .prose table").is_visible()
        colour = page.evaluate("getComputedStyle(document.querySelector('.prose p')).color")
        assert colour == "rgb(0, 0, 0)"
        page.emulate_media(media="print", color_scheme="dark")  # print is light in any scheme
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") in (
            "rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF")
    finally:
        page.close()
