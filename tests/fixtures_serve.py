"""Fixtures for ``publisher serve`` and the real-browser tests of the archive.

``sample_copy``: the sample newsletter copied into tmp_path with its issue marked published
(the archive shows only sent or published issues), so tests may edit it freely.
``preview``: a running :class:`archive_site.serve.Preview` on 127.0.0.1 (any free port) over
that copy, stopped afterwards. ``chromium``: Debian's headless Chromium driven by Playwright,
one per test module; skipped, with the reason, only where /usr/bin/chromium is absent.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_ISSUE = "upravlyay-ka-001-kak-ne-stat-zhertvoy-vorov-2.md"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def copy_sample(target: Path, *, status: str = "published") -> Path:
    """The sample newsletter in ``target`` (config + issues), its issue given ``status``."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "newsletter.yaml", target / "newsletter.yaml")
    shutil.copytree(ROOT / "issues", target / "issues")
    issue = target / "issues" / SAMPLE_ISSUE
    text = issue.read_text(encoding="utf-8")
    issue.write_text(text.replace("\nstatus: ready\n", f"\nstatus: {status}\n", 1),
                     encoding="utf-8")
    return target


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    return copy_sample(tmp_path / "newsletter")


@pytest.fixture
def preview(sample_copy: Path) -> Iterator[object]:
    from archive_site.serve import Preview, ServeOptions

    server = Preview(sample_copy, ServeOptions(out_dir=sample_copy / "_site", port=0,
                                               poll_interval=0.1, jobs=1))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A headless Chromium (Debian's; Playwright never downloads one here)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium; CI installs it)")
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(chromium):  # type: ignore[no-untyped-def]
    """A fresh page of the shared Chromium (15 s timeouts); a JavaScript error raised on it
    fails the test that used it."""
    page = chromium.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    page.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"

