"""Search in a real browser (headless Chromium) over a generated archive of 60 Russian issues.

The archive is built and served by ``publisher serve`` (archive_site.serve.Preview); the
queries are typed into the search page as a reader would. What must hold: Russian word forms
find each other, the issue whose title matches ranks first, words that merely start like the
query do not match, the newsletter and topic filters narrow the results, the page works at
375 px, and nothing is requested from any host but the preview server. The search script's
Snowball stemmer is compared with the reference implementation (``snowballstemmer``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.archive.search_corpus import generate

PHONE = {"width": 375, "height": 812}
SHOTS = Path("/tmp/publisher-browser")


@pytest.fixture(scope="module")
def corpus_preview(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from archive_site.serve import Preview, ServeOptions

    root = generate(tmp_path_factory.mktemp("search") / "newsletter")
    server = Preview(root, ServeOptions(out_dir=root / "_site", port=0, poll_interval=0.1,
                                        jobs=1))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def page(chromium, corpus_preview):  # type: ignore[no-untyped-def]
    page = chromium.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    host = urlsplit(corpus_preview.url).netloc
    page.on("pageerror", lambda exc: problems.append(f"error: {exc}"))
    # the browser's own favicon request is the one 404 allowed (no page asks for it)
    page.on("console", lambda m: problems.append(f"console: {m.text} {m.location}")
            if m.type == "error" and not m.location.get("url", "").endswith("/favicon.ico")
            else None)
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}")
            if r.status >= 400 else None)
    page.on("request", lambda r: problems.append(f"external request: {r.url}")
            if urlsplit(r.url).netloc != host and not r.url.startswith("data:") else None)
    yield page
    page.close()
    assert problems == []


def search(page, preview, query: str = "", **filters: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Slugs of the results, in order, for ``query`` (and filters) typed on the page."""
    page.goto(preview.url + "search/")
    for name, value in filters.items():
        page.select_option(f"#search-{name}", value)
    page.fill("#search-page-q", query)
    page.press("#search-page-q", "Enter")
    page.wait_for_function("document.getElementById('search-status').textContent !== ''")
    page.wait_for_timeout(50)  # the status is written after the list
    hrefs = page.eval_on_selector_all("#search-results .issue-item-title a",
                                      "links => links.map(a => a.getAttribute('href'))")
    return [href.rstrip("/").rsplit("/", 1)[-1] for href in hrefs]


def test_word_forms_find_each_other_and_the_title_ranks_first(corpus_preview, page) -> None:  # type: ignore[no-untyped-def]
    found = search(page, corpus_preview, "конверсия")
    assert found[0] == "konversiya-voronki"  # the title says it
    assert set(found) == {"konversiya-voronki", "otchet-po-etapam", "kak-podnyat"}
    assert set(search(page, corpus_preview, "конверсии")) == set(found)
    expected = {"baza-klientov", "uhod-menedzhera", "kontrol-bazy"}
    assert set(search(page, corpus_preview, "клиентской")) == expected
    assert set(search(page, corpus_preview, "клиентская")) == expected
    assert search(page, corpus_preview, "елка") == ["yolka"]  # ё and е are one letter


def test_prefixes_of_other_words_do_not_match(corpus_preview, page) -> None:  # type: ignore[no-untyped-def]
    assert search(page, corpus_preview, "стать") == ["stat-luchshe"]
    assert search(page, corpus_preview, "стандарт") == ["standart-kachestva"]
    assert search(page, corpus_preview, "абракадабра") == []
    assert page.locator("#search-status").inner_text() == "Ничего не найдено"


def test_results_show_an_excerpt_with_the_matched_words_marked(corpus_preview, page) -> None:  # type: ignore[no-untyped-def]
    search(page, corpus_preview, "клиентской")
    marks = page.eval_on_selector_all("#search-results mark", "ms => ms.map(m => m.textContent)")
    assert marks and all(m.lower().startswith("клиентск") for m in marks), marks
    assert "стандарт" not in page.locator("#search-results").inner_text()


def test_filters_by_newsletter_and_tag(corpus_preview, page) -> None:  # type: ignore[no-untyped-def]
    series = "azbuka-prodazhnogo-menedzhera"  # its title has quotes: filters use slugs
    assert search(page, corpus_preview, "конверсия", series=series) == ["otchet-po-etapam"]
    assert page.locator("#search-results .issue-item-meta").inner_text().startswith("Азбука")
    both = set(search(page, corpus_preview, "конверсия", tag="voronka"))
    assert both == {"konversiya-voronki", "otchet-po-etapam"}  # "воронка" is the same tag
    only_tag = search(page, corpus_preview, "", tag="klientskaya-baza")
    assert set(only_tag) == {"baza-klientov", "uhod-menedzhera"}


def test_tag_page_links_to_a_filtered_search(corpus_preview, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(corpus_preview.url + "tags/")
    page.click("text=Клиентская база")
    page.wait_for_url("**/tags/klientskaya-baza/")
    titles = page.locator("main .issue-item-title").all_inner_texts()
    assert sorted(titles) == ["Уход менеджера", "Чья это база"]
    page.click("text=" + "Искать среди выпусков на эту тему")
    page.wait_for_url("**/search/?tag=klientskaya-baza")
    page.wait_for_function("document.getElementById('search-status').textContent !== ''")
    assert page.locator("#search-results li").count() == 2


def test_search_works_on_a_phone(corpus_preview, page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(PHONE)
    found = search(page, corpus_preview, "клиентскую")
    assert len(found) == 3
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "search-corpus-phone.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    box = page.locator("#search-page-q").bounding_box()
    assert box is not None and box["width"] >= 200


def test_header_search_box_goes_to_the_search_page(corpus_preview, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(corpus_preview.url)
    page.fill("#search-q", "стать")
    page.press("#search-q", "Enter")
    page.wait_for_url("**/search/?q=*")
    page.wait_for_function("document.getElementById('search-status').textContent !== ''")
    assert page.locator("#search-results li").count() == 1


WORDS = ["конверсия", "конверсии", "конверсиями", "клиентской", "клиентская", "клиентскую", "стать", "стали", "статья", "стандарт", "интернет", "продажами", "управление", "менеджеров", "научившись", "прочитав", "красивейший", "длинный", "ёлка", "бегающий", "делали", "сделайте", "вершина", "ответственность", "руководителями", "обязанностей", "стоимости", "поставщиков", "переговоров", "самостоятельно", "зарегистрировавшись", "покупателей", "наиболее", "важнейшие", "ножницы", "деньги"]


def test_the_scripts_stemmer_is_snowball(corpus_preview, page) -> None:  # type: ignore[no-untyped-def]
    snowball = pytest.importorskip("snowballstemmer").stemmer("russian")
    page.goto(corpus_preview.url + "search/")
    page.wait_for_function("window.publisherSearch !== undefined")
    ours = page.evaluate("words => words.map(w => window.publisherSearch.ruStem(w))", WORDS)
    reference = [snowball.stemWord(w.replace("ё", "е")) for w in WORDS]
    assert ours == reference
