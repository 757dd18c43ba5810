"""``publisher stats`` against the local Sendsay double and the outbox: sync, history, report.

The double's ``stat.uni`` numbers follow fixed formulas (fake_sendsay_checks.issue_numbers):
120 recipients -> 114 delivered, 6 bounced, 45 unique opens, 11 unique clicks, 1
unsubscribe. The report is opened in headless Chromium: its charts render, with no console
error and no request at all (it is a local file with inline SVG).
"""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

from publisher.testing.fake_sendsay import FakeSendsay
from tests.fixtures_project import DEFAULT_ISSUE, issue_text
from tests.sending.util import SUBSCRIBERS, esp_for, invoke, sendsay_env


def two_sends(project, sendsay: FakeSendsay) -> Path:  # type: ignore[no-untyped-def]
    esp = esp_for("sendsay", sendsay=sendsay)
    esp["outbox"] = {"subscribers": "subscribers/{series}.csv"}
    root = project({"subscribers/news.csv": SUBSCRIBERS,
                    DEFAULT_ISSUE: issue_text(slug="hello"),
                    "issues/news-002-second.md": issue_text(slug="second", number=2,
                                                            title="Второй выпуск",
                                                            date="2025-02-01")}, esp=esp)
    for args in (("send", "hello", "--yes"), ("send", "second", "--yes", "--backend", "outbox")):
        result = invoke(root, *args, env=sendsay_env())
        assert result.exit_code == 0, result.output
    return root


def test_sync_keeps_history_and_is_idempotent(project, sendsay: FakeSendsay) -> None:  # type: ignore[no-untyped-def]
    root = two_sends(project, sendsay)
    first = invoke(root, "stats", env=sendsay_env())
    assert first.exit_code == 0, first.output
    assert "Synced 2 sends, 2 with new numbers." in first.output
    assert "Report: _report/index.html (2 sends)" in first.output
    again = invoke(root, "stats", env=sendsay_env())
    assert "Synced 2 sends, 0 with new numbers." in again.output
    db = sqlite3.connect(root / ".publisher" / "stats.sqlite")
    assert db.execute("SELECT count(*) FROM history").fetchone()[0] == 2
    rows = {r[0]: r[1:] for r in db.execute(
        "SELECT backend, recipients, delivered, bounced, opens, clicks, unsubscribes FROM sends")}
    assert rows["sendsay"] == (120, 114, 6, 45, 11, 1)
    assert rows["outbox"] == (3, 3, 0, None, None, None)
    with (root / "_report" / "stats.csv").open(encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert {r["backend"] for r in table} == {"sendsay", "outbox"}
    sendsay_row = next(r for r in table if r["backend"] == "sendsay")
    assert sendsay_row["open_rate"] == "39.47" and sendsay_row["title"] == "Привет, мир"
    page = (root / "_report" / "index.html").read_text(encoding="utf-8")
    assert "Отправки через SMTP и outbox" in page and "Второй выпуск" in page
    assert not (root / "_site").exists()  # the report is never part of the archive


def test_filters_and_bad_options(project, sendsay: FakeSendsay) -> None:  # type: ignore[no-untyped-def]
    root = two_sends(project, sendsay)
    only = invoke(root, "stats", "--since", "2099-01-01", env=sendsay_env())
    assert "Synced 0 sends" in only.output and "(0 sends)" in only.output
    bad = invoke(root, "stats", "--since", "вчера", env=sendsay_env())
    assert bad.exit_code == 2 and "--since must be a date YYYY-MM-DD" in bad.output
    bad = invoke(root, "stats", "--series", "nope", env=sendsay_env())
    assert bad.exit_code == 2 and "no newsletter or course 'nope'" in bad.output


def test_esp_unreachable_keeps_the_stored_numbers(project, sendsay: FakeSendsay) -> None:  # type: ignore[no-untyped-def]
    root = two_sends(project, sendsay)
    assert invoke(root, "stats", env=sendsay_env()).exit_code == 0
    result = invoke(root, "stats", env={"SENDSAY_APIKEY": "k3y-n0t-valid"})
    assert result.exit_code == 0, result.output
    assert "warning: sendsay:" in result.output
    assert "(2 sends)" in result.output
    assert "k3y-n0t-valid" not in result.output


def test_report_renders_its_charts_in_a_browser(project, sendsay: FakeSendsay, chromium) -> None:  # type: ignore[no-untyped-def]
    root = two_sends(project, sendsay)
    assert invoke(root, "stats", env=sendsay_env()).exit_code == 0
    page = chromium.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: problems.append(f"request {r.url}")
            if not r.url.startswith("file://") else None)
    try:
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            page.goto((root / "_report" / "index.html").as_uri())
            assert page.locator("svg.chart").count() >= 2  # rates over time + a funnel
            assert page.locator("svg.chart polyline.line-open").count() == 1
            box = page.locator("svg.chart").first.bounding_box()
            assert box is not None and box["width"] > 200 and box["height"] > 50
            ink = page.evaluate("getComputedStyle(document.querySelector('.chart text')).fill")
            assert ink == ("rgb(31, 42, 51)" if scheme == "light" else "rgb(228, 232, 235)")
        assert problems == []
    finally:
        page.close()


LINKED = ("Здравствуйте!\n\nСм. [прайс](https://shop.example.org/price?utm_source=mail) и "
          "[тот же прайс](https://shop.example.org/price?utm_source=footer), а также "
          "[блог](https://blog.example.org/post).\n")


def linked_send(project, sendsay: FakeSendsay) -> Path:  # type: ignore[no-untyped-def]
    root = project({DEFAULT_ISSUE: issue_text(body=LINKED, slug="hello")},
                   esp=esp_for("sendsay", sendsay=sendsay))
    result = invoke(root, "send", "hello", "--yes", env=sendsay_env())
    assert result.exit_code == 0, result.output
    return root


def test_clicks_per_link_are_synced_grouped_and_kept_with_history(project, sendsay: FakeSendsay) -> None:  # type: ignore[no-untyped-def]
    from publisher.testing.fake_sendsay_checks import letter_links

    root = linked_send(project, sendsay)
    (issue,) = sendsay.account.issues
    links = letter_links(issue.letter["message"]["html"])
    price = [i for i, url in enumerate(links) if url.startswith("https://shop.example.org/price")]
    blog = [i for i, url in enumerate(links) if url == "https://blog.example.org/post"]
    assert len(price) == 2 and len(blog) == 1  # the letter as Sendsay got it holds both tags
    # the double shares the issue's 22 clicks (120 recipients) among its n links n, n-1, …, 1
    n = len(links)

    def share(i: int) -> int:
        return 22 * (n - i) // (n * (n + 1) // 2)

    first = invoke(root, "stats", env=sendsay_env())
    assert first.exit_code == 0, first.output
    db = sqlite3.connect(root / ".publisher" / "stats.sqlite")
    stored = dict(db.execute("SELECT url, clicks FROM links").fetchall())
    # utm_* removed: the two tagged price links count as one link
    assert stored["https://shop.example.org/price"] == sum(share(i) for i in price)
    assert stored.get("https://blog.example.org/post", 0) == share(blog[0])
    assert not any("utm_" in url for url in stored)
    points = db.execute("SELECT count(*) FROM link_history").fetchone()[0]
    assert points == len(stored)

    again = invoke(root, "stats", env=sendsay_env())
    assert "0 with new numbers" in again.output
    assert db.execute("SELECT count(*) FROM link_history").fetchone()[0] == points

    page = (root / "_report" / "index.html").read_text(encoding="utf-8")
    assert "Самые кликабельные ссылки" in page and "shop.example.org/price" in page
    with (root / "_report" / "links.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["url"] == max(stored, key=lambda url: (stored[url], url))
    assert {r["url"]: int(r["clicks"]) for r in rows} == stored

    as_json = invoke(root, "stats", "--no-sync", "--json", env=sendsay_env())
    assert as_json.exit_code == 0, as_json.output
    import json
    (send,) = json.loads(as_json.stdout)
    assert send["clicks"] == 11 and send["opens"] == 45
    assert {item["url"]: item["clicks"] for item in send["links"]} == stored


def test_an_account_without_clicks_per_link_still_syncs(project, sendsay: FakeSendsay) -> None:  # type: ignore[no-untyped-def]
    root = linked_send(project, sendsay)
    sendsay.account.click_stats = False
    result = invoke(root, "stats", env=sendsay_env())
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "per link" in line]
    assert len(warnings) == 1 and "Traceback" not in result.output
    assert "Synced 1 sends, 1 with new numbers." in result.stdout
    db = sqlite3.connect(root / ".publisher" / "stats.sqlite")
    assert db.execute("SELECT count(*) FROM links").fetchone()[0] == 0
    assert db.execute("SELECT opens FROM sends").fetchone()[0] == 45
    page = (root / "_report" / "index.html").read_text(encoding="utf-8")
    assert "Клики по ссылкам не получены" in page


def test_a_damaged_store_is_named_and_left_as_it_is(project, sendsay: FakeSendsay) -> None:  # type: ignore[no-untyped-def]
    """stats.sqlite keeps history the ESP may have dropped: a damaged one is reported in one
    line naming it, never replaced or "repaired" by a fresh, empty history."""
    root = two_sends(project, sendsay)
    assert invoke(root, "stats", env=sendsay_env()).exit_code == 0
    store = root / ".publisher" / "stats.sqlite"
    for damage in (b"not a database at all, just text" * 100,
                   store.read_bytes()[:4096] + b"\0" * 100 + store.read_bytes()[4196:]):
        store.write_bytes(damage)
        result = invoke(root, "stats", env=sendsay_env())
        assert result.exit_code == 1, result.output
        errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
        assert len(errors) == 1 and ".publisher/stats.sqlite" in errors[0], result.output
        assert "internal error" not in result.output and "Traceback" not in result.output
        assert store.read_bytes() == damage
