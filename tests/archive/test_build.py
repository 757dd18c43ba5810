"""The archive site built from the sample and from a generated archive of 300 issues."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from archive_site.build import build
from publisher.config import load_project
from tests.archive.sitecheck import check_site, pagefind_fragments, parse
from tests.fixtures_archive import PRIVATE_STRINGS

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
SAMPLE_PAGE = "upravlyay-ka/kak-ne-stat-zhertvoy-vorov-2/"


@pytest.fixture(scope="module")
def generated_site(generated_archive, tmp_path_factory) -> tuple[Path, Path, dict]:
    source, kinds = generated_archive
    root = tmp_path_factory.mktemp("site") / "newsletter"
    shutil.copytree(source, root)
    report = build(load_project(root), root / "_site", jobs=2)
    assert report.issues == len(kinds["published"])
    return root, root / "_site", kinds


def test_sample_site_pages(sample_site_project: Path) -> None:
    project = load_project(sample_site_project)
    report = build(project, sample_site_project / "_site")
    site = sample_site_project / "_site"
    assert report.issues == 1 and report.bodies_rendered == 1
    for name in ("index.html", "404.html", "feed.xml", "sitemap.xml", "robots.txt",
                 "search/index.html", "pagefind/pagefind.js", "pagefind/pagefind-entry.json",
                 "tags/index.html", "tags/klientskaya-baza/index.html", "static/archive.css",
                 "static/search.js", SAMPLE_PAGE + "index.html", "upravlyay-ka/index.html",
                 "upravlyay-ka/feed.xml"):
        assert (site / name).is_file(), name
    page = (site / SAMPLE_PAGE / "index.html").read_text(encoding="utf-8")
    # the email's body: the table with lists in its cells and labels for stacked layout
    assert '<table class="stackable">' in page
    assert '<span class="cell-label">Конвертация</span>' in page
    assert "<li>Объем продаж (в\u00a0деньгах)</li>" in page
    assert '<html lang="ru">' in page
    assert "26\u00a0ноября 2026" in page
    assert f'<link rel="canonical" href="https://www.asconsult.ru/rassylki/{SAMPLE_PAGE}">' in page
    for meta in ('property="og:title"', 'name="twitter:card"', 'name="description"',
                 'property="og:url"'):
        assert meta in page
    # navigation, library link and block, footer contacts, subscribe link
    assert 'href="https://www.asconsult.ru/konsalting/"' in page
    assert "Деловая библиотека A.S.Consult" in page and "Как пройти в библиотеку?" in page
    assert 'href="mailto:as-consult@yandex.ru"' in page
    assert 'class="subscribe-button" href="https://www.asconsult.ru/rassylki/upravlyay-ka/"' in page
    # landmarks and skip link
    for landmark in ('<a class="skip-link" href="#content">', "<header", "<nav",
                     '<main id="content"', "<footer"):
        assert landmark in page
    assert check_site(site, project.settings.site.base_url) == []


def test_search_index_holds_the_article_and_not_the_chrome(sample_site_project: Path) -> None:
    build(load_project(sample_site_project), sample_site_project / "_site")
    [doc] = pagefind_fragments(sample_site_project / "_site")
    assert doc["url"] == "/" + SAMPLE_PAGE
    text = doc["content"]
    assert "Конвертация" in text and "Путь по которому пошли многие компании" in text
    assert "клиентская база" in text  # the tags are searchable words too
    assert doc["filters"] == {"series": ["upravlyay-ka"],
                              "tag": ["prodazhi", "upravlenie-prodazhami", "klientskaya-baza"]}
    assert doc["meta"]["date"] == "26\u00a0ноября 2026"
    assert doc["meta"]["title"].startswith("Требуется «продажный» менеджер")
    # navigation, library block, subscribe button, footer and the series link stay out
    for chrome in ("Консалтинг", "Как пройти в библиотеку", "Подписаться", "as-consult@yandex",
                   "Управляй-ка: e-тренинг", "Выпуск №"):
        assert chrome not in text, chrome


def test_index_groups_paginates_and_orders(generated_site) -> None:
    root, site, kinds = generated_site
    published = len(kinds["published"])
    pages = sorted(site.glob("page/*/index.html"))
    assert len(pages) == -(-published // 50) - 1
    first = (site / "index.html").read_text(encoding="utf-8")
    dates = [value for tag, attrs in parse(site / "index.html").tags if tag == "time"
             for value in [attrs["datetime"]]]
    assert dates == sorted(dates, reverse=True) and len(dates) == 50
    assert '<h2 id="year-' in first and 'class="group-heading"' in first
    assert 'href="page/2/"' in first
    second = (site / "page/2/index.html").read_text(encoding="utf-8")
    assert 'href="../../page/3/"' in second and 'href="../../"' in second


def test_course_lists_lessons_in_order(generated_site) -> None:
    _, site, _ = generated_site
    page = (site / "kurs-prodazh/index.html").read_text(encoding="utf-8")
    assert '<ol class="issue-list lessons">' in page
    labels = [int(part.split(" ")[0]) for part in page.split("Урок\u00a0")[1:]]
    assert labels == sorted(labels) and len(labels) > 10
    assert 'class="subscribe-button"' in page


def test_links_assets_and_html(generated_site) -> None:
    root, site, _ = generated_site
    assert check_site(site, load_project(root).settings.site.base_url) == []


def test_prev_next_within_series(generated_site) -> None:
    _, site, _ = generated_site
    pages = sorted((site / "upravlyay-ka").glob("*/index.html"))
    middle = pages[len(pages) // 2].read_text(encoding="utf-8")
    assert 'class="issue-prev" rel="prev" href="../../upravlyay-ka/' in middle
    assert 'class="issue-next" rel="next" href="../../upravlyay-ka/' in middle


def test_feeds_parse_and_point_to_pages(generated_site) -> None:
    root, site, _ = generated_site
    base = load_project(root).settings.site.base_url
    feeds = [site / "feed.xml"] + sorted(site.glob("*/feed.xml"))
    assert len(feeds) == 5
    for path in feeds:
        feed = ET.parse(path).getroot()
        entries = feed.findall(f"{ATOM}entry")
        assert entries, path
        for entry in entries:
            url = entry.find(f"{ATOM}link").get("href")
            assert url.startswith(base)
            assert (site / url[len(base):] / "index.html").is_file(), url
            content = entry.find(f"{ATOM}content")
            assert content.get("type") == "html" and "<p>" in content.text


def test_sitemap_lists_pages(generated_site) -> None:
    root, site, kinds = generated_site
    base = load_project(root).settings.site.base_url
    urls = [loc.text for loc in ET.parse(site / "sitemap.xml").getroot().iter(f"{SITEMAP}loc")]
    assert len(urls) == len(set(urls))
    for url in urls:
        assert (site / url[len(base):] / "index.html").is_file(), url
    issue_urls = [u for u in urls if u.count("/") == base.count("/") + 2 and "/page/" not in u]
    assert len(issue_urls) == len(kinds["published"])
    assert (site / "robots.txt").read_text() .endswith(f"Sitemap: {base}sitemap.xml\n")


def test_drafts_and_unsent_absent_nothing_private(generated_site) -> None:
    root, site, kinds = generated_site
    pages = {p.parent for p in site.glob("*/*/index.html")
             if p.parent.parent.name not in ("page", "tags")}
    assert len(pages) == len(kinds["published"])
    everything = b"".join(p.read_bytes() for p in site.rglob("*") if p.is_file())
    for secret in PRIVATE_STRINGS:
        assert secret.encode("utf-8") not in everything, secret
    assert "Секретныйчерновик".lower().encode() not in everything.lower()
    index = "".join(doc["content"] for doc in pagefind_fragments(site))  # gzip on disk
    for secret in PRIVATE_STRINGS:
        assert secret not in index, secret


def test_search_in_generated_archive(generated_site) -> None:
    root, site, kinds = generated_site
    docs = pagefind_fragments(site)
    assert len(docs) == len(kinds["published"])  # issue pages only: no index, tag or series page
    found = [doc for doc in docs if "Конвертация" in doc["content"]]
    assert len(found) == len(kinds["table"]) > 10


def test_no_external_requests_in_templates(generated_site) -> None:
    _, site, _ = generated_site
    css = (site / "static/archive.css").read_text(encoding="utf-8")
    js = (site / "static/search.js").read_text(encoding="utf-8")
    assert "http" not in css and "@import" not in css
    assert "http" not in js
    for name in ("pagefind.js", "pagefind-worker.js"):
        code = (site / "pagefind" / name).read_text(encoding="utf-8")
        # the one URL in Pagefind's code is a base for parsing relative ones, never fetched
        assert set(re.findall(r"https?://[\w.-]+", code)) <= {"https://example.com"}, name


def test_images_are_published_under_assets(sample_site_project: Path) -> None:
    issue = sample_site_project / "issues/upravlyay-ka-001-kak-ne-stat-zhertvoy-vorov-2.md"
    text = issue.read_text(encoding="utf-8")
    issue.write_text(text.replace("Итак...", "Итак...\n\n![Схема этапов](img/etapy.png)"),
                     encoding="utf-8")
    (sample_site_project / "issues/img").mkdir()
    (sample_site_project / "issues/img/etapy.png").write_bytes(b"\x89PNG\r\n\x1a\n-image-")
    (sample_site_project / "issues/img/unused.png").write_bytes(b"not referenced")
    project = load_project(sample_site_project)
    build(project, sample_site_project / "_site")
    site = sample_site_project / "_site"
    page = (site / SAMPLE_PAGE / "index.html").read_text(encoding="utf-8")
    assert 'src="../../assets/img/etapy.png"' in page
    assert (site / "assets/img/etapy.png").read_bytes() == b"\x89PNG\r\n\x1a\n-image-"
    assert not (site / "assets/img/unused.png").exists()
    feed = (site / "feed.xml").read_text(encoding="utf-8")
    assert "https://www.asconsult.ru/rassylki/assets/img/etapy.png" in feed  # absolute
    assert check_site(site, project.settings.site.base_url) == []


def test_archive_without_published_issues(project) -> None:
    root = project()  # one issue, status ready, never sent
    report = build(load_project(root), root / "_site")
    site = root / "_site"
    assert report.issues == 0
    assert "Все выпуски" in (site / "index.html").read_text(encoding="utf-8")
    assert ET.parse(site / "feed.xml").getroot().findall(f"{ATOM}entry") == []
    assert not (site / "pagefind").exists()  # nothing to index; the search page knows
    assert "data-empty" in (site / "search/index.html").read_text(encoding="utf-8")
    assert check_site(site, load_project(root).settings.site.base_url) == []


def test_issue_body_is_the_email_body(sample_site_project: Path) -> None:
    """The archive renders bodies itself (without the email's plain text); same HTML."""
    from archive_site.bodies import body_html
    from publisher.load import load_issues
    from publisher.render import render_body

    project = load_project(sample_site_project)
    for issue in load_issues(project):
        assert body_html(issue, project)[0] == render_body(issue, project).html


def test_issue_page_shows_the_title_once_as_its_h1(sample_site_project: Path) -> None:
    """The sample's body repeats the title as a heading (after the greeting, as the email
    shows it): the page does not add its own copy; that heading is the page's one h1."""
    build(load_project(sample_site_project), sample_site_project / "_site")
    page = (sample_site_project / "_site" / SAMPLE_PAGE / "index.html").read_text("utf-8")
    assert page.count("<h1") == 1
    assert '<h1 id="issue-title" class="issue-title">Требуется «продажный»' in page
    assert page.index("Итак…") < page.index("<h1")  # where the author put it
    assert 'aria-labelledby="issue-title"' in page
    body = page[page.index("<body>"):].replace("\u00a0", " ")
    assert body.count("КАК НЕ СТАТЬ ЖЕРТВОЙ ВОРОВ") == 1


def test_issue_page_without_the_title_in_its_body_gets_an_h1(sample_site_project: Path) -> None:
    issue = sample_site_project / "issues/upravlyay-ka-001-kak-ne-stat-zhertvoy-vorov-2.md"
    text = issue.read_text(encoding="utf-8")
    issue.write_text(text.replace("\n## Требуется", "\n### Требуется", 1), encoding="utf-8")
    build(load_project(sample_site_project), sample_site_project / "_site")
    page = (sample_site_project / "_site" / SAMPLE_PAGE / "index.html").read_text("utf-8")
    assert page.count("<h1") == 1
    header = page[page.index('<header class="issue-header">'):page.index('<div class="prose">')]
    assert '<h1 id="issue-title" class="issue-title">Требуется' in header


def test_issue_number_has_one_non_breaking_space(sample_site_project: Path) -> None:
    build(load_project(sample_site_project), sample_site_project / "_site")
    site = sample_site_project / "_site"
    for path in (SAMPLE_PAGE + "index.html", "index.html", "upravlyay-ka/index.html"):
        page = (site / path).read_text(encoding="utf-8")
        assert "Выпуск №\u00a01 ·" in page, path
        assert "№\u00a0\u00a0" not in page and "№ " not in page and "№1" not in page, path


def test_navigation_sits_in_the_content_frame_with_clean_sub_items(
        sample_site_project: Path) -> None:
    build(load_project(sample_site_project), sample_site_project / "_site")
    page = (sample_site_project / "_site/index.html").read_text(encoding="utf-8")
    nav = page[page.index('<nav class="site-nav"'):page.index("</nav>")]
    assert '<div class="wrap">\n      <ul class="nav-list">' in nav
    # the sub-item is a nested list right after its parent (CSS puts a dot between them)
    assert ('Тренинги</a><ul class="nav-sub"><li><a href="https://www.asconsult.ru/akademiya/">'
            'Академия бизнес-тренеров</a></li></ul></li>') in nav


def _sigint_handler(_: object) -> bool:
    import signal

    return signal.getsignal(signal.SIGINT) is signal.SIG_IGN


def test_pool_workers_leave_ctrl_c_to_the_parent(sample_site_project: Path) -> None:
    """Ctrl-C reaches every process of the group; only the parent acts on it, so a cold build
    interrupted by a person prints one message, not a traceback per worker."""
    import signal

    from archive_site.workers import Workers, min_parallel, pool_context

    with Workers(load_project(sample_site_project), jobs=2) as workers:
        # enough jobs to start a pool of this platform's kind (spawned ones need more)
        in_workers = set(workers.map(_sigint_handler, range(min_parallel(pool_context()))))
    assert in_workers == {True}
    assert signal.getsignal(signal.SIGINT) is not signal.SIG_IGN  # the parent still reacts
