"""The archive's reading layout in headless Chromium: wide tables fit a desktop, the phone
stacks them, navigation and headings line up with the content, fonts are consistent.

Measured against ``publisher serve`` over a copy of the sample (fixtures in
tests/fixtures_serve.py); geometry only, nothing timed.
"""

from __future__ import annotations

import pytest

ISSUE_PATH = "upravlyay-ka/kak-ne-stat-zhertvoy-vorov-2/"
BOX = "s => { const b = document.querySelector(s).getBoundingClientRect(); " \
      "return {left: b.left, right: b.right, top: b.top, bottom: b.bottom}; }"


def _box(page, selector: str) -> dict:  # type: ignore[no-untyped-def]
    return page.evaluate(f"({BOX})({selector!r})")


def test_wide_table_fits_a_desktop_without_scrolling(preview, page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(preview.url + ISSUE_PATH)
    table = page.locator("main table").first
    scroll, client = table.evaluate("t => [t.scrollWidth, t.clientWidth]")
    assert scroll <= client, f"the table scrolls sideways ({scroll} in {client} px)"
    assert page.get_by_role("columnheader", name="Конвертация").is_visible()
    header, main_box, text = _box(page, ".site-header .wrap"), _box(page, "main"), \
        _box(page, ".prose > p")
    table_box = _box(page, "main table")
    assert table_box["right"] <= main_box["right"] and table_box["left"] >= main_box["left"]
    assert table_box["right"] - table_box["left"] > text["right"] - text["left"]  # wider
    # one left edge for header, navigation and text
    nav = _box(page, ".nav-list")
    assert abs(nav["left"] - text["left"]) < 1 and abs(header["left"] + 16 - text["left"]) < 1
    assert not page.locator(".cell-label").first.is_visible()  # labels only when stacked


def test_phone_stacks_the_table_with_labels(preview, page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(preview.url + ISSUE_PATH)
    cell = page.locator("main table tbody td").first
    assert cell.evaluate("e => getComputedStyle(e).display") == "block"
    assert page.locator(".cell-label").first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth - innerWidth") <= 0
    # the navigation is compact: the article starts within the first quarter of the screen
    assert _box(page, "main")["top"] < 200


@pytest.mark.parametrize("where", ["", "search/", "upravlyay-ka/", ISSUE_PATH])
def test_headings_have_room_below_the_navigation(preview, page, where: str) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(preview.url + where)
    first = "main .issue-series" if where == ISSUE_PATH else "main h1"
    gap = _box(page, first)["top"] - _box(page, ".site-header")["bottom"]
    assert gap >= 24, f"{first} sits {gap} px below the navigation"


def test_serif_for_the_article_only(preview, page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(preview.url + ISSUE_PATH)
    family = "s => getComputedStyle(document.querySelector(s)).fontFamily"
    assert page.evaluate(family, ".prose > p").startswith("Georgia")
    for selector in (".site-title", ".nav-list a", "h1", ".issue-meta", ".site-footer a",
                     ".prose table", ".prose h1"):
        assert page.evaluate(family, selector).startswith("system-ui"), selector
    page.goto(preview.url)
    for selector in (".issue-item-title", ".issue-item-summary", ".lead"):
        assert page.evaluate(family, selector).startswith("system-ui"), selector
    page.goto(preview.url + "search/")
    for selector in (".search-page-form label", ".search-page-form button"):
        assert page.evaluate(family, selector).startswith("system-ui"), selector


def test_navigation_is_keyboard_reachable(preview, page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(preview.url)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    focused = []
    for _ in range(8):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.textContent.trim()"))
    assert "Академия бизнес-тренеров" in focused and "Главная" in focused
