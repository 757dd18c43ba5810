"""The archive and the email previews in a real browser: headless Debian Chromium.

Everything runs against ``publisher serve`` (archive_site.serve.Preview) on 127.0.0.1 over a
copy of the sample newsletter: a reader's path from the index to the sales-stage issue, the
table with its lists, no sideways scrolling on a phone, the email as a phone shows it, the
static search, and live reload after an edit (and after a broken edit). Screenshots of each
state go to /tmp/publisher-browser/ for a person to look at; nothing here times anything.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures_serve import SAMPLE_ISSUE

SLUG = "kak-ne-stat-zhertvoy-vorov-2"
ISSUE_PATH = f"upravlyay-ka/{SLUG}/"
EMAIL_PATH = f"/__emails/upravlyay-ka/{SLUG}/"
SHOTS = Path("/tmp/publisher-browser")
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_reader_finds_the_issue_and_its_table(preview, page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(DESKTOP)
    page.goto(preview.url)
    assert page.locator("html").get_attribute("lang") == "ru"
    _shot(page, "index-desktop")
    page.locator(f"main a[href*='{SLUG}']").first.click()
    page.wait_for_url(f"**/{ISSUE_PATH}")
    _shot(page, "issue-desktop")

    table = page.locator("main table").first
    assert table.is_visible()
    headers = table.locator("th").all_inner_texts()
    assert [h.strip() for h in headers][:5] == [
        "Этап", "Суть деятельности", "Цель деятельности", "Как измерять эффективность",
        "Конвертация"]
    lists = table.locator("td ul")
    assert lists.count() == 6  # two cells with lists in each of the three stages
    for index in range(lists.count()):
        box = lists.nth(index).bounding_box()
        assert lists.nth(index).is_visible() and box and box["height"] > 10
    items = table.locator("td ul li").all_inner_texts()
    assert any("Количество назначенных встреч" in item for item in items)
    assert len(items) == 13  # 2+1, 4+1 and 4+1 items in the three stages
    numbered = page.locator("main ol li")
    assert numbered.count() >= 6
    assert "продавцу быть единственным" in numbered.first.inner_text()


@pytest.mark.parametrize("where", ["", ISSUE_PATH, "upravlyay-ka/", "search/"])
def test_no_sideways_scrolling_on_a_phone(preview, page, where: str) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(PHONE)
    page.goto(preview.url + where)
    page.wait_for_load_state("load")
    if where == ISSUE_PATH:
        _shot(page, "issue-phone")
        # the table either reflows or scrolls inside its own box; its lists stay readable
        assert page.locator("main table td ul").first.is_visible()
    assert page.evaluate(OVERFLOW) <= 0, f"page {where or 'index'} scrolls sideways at 375 px"


def test_email_preview_at_phone_width_stacks_the_table(preview, page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(preview.origin + EMAIL_PATH)
    _shot(page, "email-preview-page")
    frames = page.locator("iframe")
    assert [frames.nth(i).get_attribute("width") for i in range(frames.count())] == [
        "375", "800"]
    for index, name in ((0, "email-phone"), (1, "email-desktop")):
        frames.nth(index).screenshot(path=str(SHOTS / f"{name}.png"))

    phone = frames.nth(0).element_handle().content_frame()
    assert phone.evaluate("window.innerWidth") == 375
    assert phone.evaluate(OVERFLOW) <= 0, "the email scrolls sideways on a phone"
    cells = phone.locator("table.stackable tbody tr").first.locator("td")
    assert cells.count() == 5
    displays = {cells.nth(i).evaluate("e => getComputedStyle(e).display")
                for i in range(cells.count())}
    assert displays == {"block"}, "table cells are not stacked at 375 px"
    first, second = cells.nth(0).bounding_box(), cells.nth(1).bounding_box()
    assert second["y"] >= first["y"] + first["height"] - 1  # one below the other
    assert phone.locator("table.stackable .cell-label").first.is_visible()
    assert phone.locator("table.stackable td ul").first.is_visible()

    desktop = frames.nth(1).element_handle().content_frame()
    assert desktop.evaluate("window.innerWidth") == 800
    first_cell = desktop.locator("table.stackable tbody td").first
    assert first_cell.evaluate("e => getComputedStyle(e).display") == "table-cell"
    assert not desktop.locator("table.stackable .cell-label").first.is_visible()
    # what the frame shows is the email itself: no preview machinery inside it
    assert "__reload" not in phone.content()

    page.set_viewport_size(PHONE)  # the preview page itself works on a phone too
    assert page.evaluate(OVERFLOW) <= 0


def test_search_finds_the_article(preview, page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(PHONE)
    page.goto(preview.url + "search/")
    page.fill("#search-page-q", "конвертация")
    page.press("#search-page-q", "Enter")
    result = page.locator(f"#search-results a[href*='{SLUG}']")
    result.first.wait_for()
    assert "продажный" in result.first.inner_text()
    _shot(page, "search-phone")
    page.fill("#search-page-q", "абракадабра")
    page.press("#search-page-q", "Enter")
    page.wait_for_function("document.querySelectorAll('#search-results li').length === 0")


def test_live_reload_after_an_edit_and_a_broken_edit(preview, page,
                                                     sample_copy: Path) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(DESKTOP)
    page.goto(preview.url + ISSUE_PATH)
    source = sample_copy / "issues" / SAMPLE_ISSUE
    original = source.read_text(encoding="utf-8")

    source.write_text(original + "\nДобавлено в редакторе: живая перезагрузка.\n",
                      encoding="utf-8")
    page.get_by_text("живая перезагрузка").wait_for()  # the page reloaded by itself

    source.write_text(original.replace("date: 2026-11-26", "date: 26.11.2026"),
                      encoding="utf-8")
    overlay = page.locator("#publisher-serve-error")
    overlay.wait_for()
    assert f"issues/{SAMPLE_ISSUE}:3:" in overlay.inner_text()
    _shot(page, "build-error-overlay")
    assert page.get_by_text("живая перезагрузка").is_visible()  # the last good site stays

    source.write_text(original, encoding="utf-8")
    overlay.wait_for(state="detached")
    assert page.get_by_text("живая перезагрузка").count() == 0
    on_disk = (sample_copy / "_site" / ISSUE_PATH / "index.html").read_text(encoding="utf-8")
    assert "__reload" not in on_disk and "publisher-serve-error" not in on_disk


def test_reload_endpoint_answers_json(preview, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(preview.origin + "/__reload?since=nothing")
    payload = json.loads(page.locator("body").inner_text())
    assert payload["ok"] is True and payload["token"] == preview.state.token
