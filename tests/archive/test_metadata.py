"""What machines read from the archive: JSON-LD, og:image, sitemap lastmod, feeds; and tags.

Feeds are parsed by feedparser, whose ``bozo`` flag is raised by any XML or feed-format
fault; they must carry each issue's full body. Tags are checked as ``publisher check``
reports them.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from archive_site import tags
from archive_site.build import build
from publisher.check import check_project
from publisher.config import load_project
from tests.archive.search_corpus import generate

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
BASE = "https://www.asconsult.ru/rassylki/"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = generate(tmp_path_factory.mktemp("meta") / "newsletter", count=14)
    first = root / "issues" / "upravlyay-ka-001-konversiya-voronki.md"
    first.write_text(first.read_text(encoding="utf-8") +
                     "\n![Воронка](https://cdn.example.org/funnel.png)\n\n"
                     "Сравнение: 5 < 7 & «кавычки» </script>\n", encoding="utf-8")
    build(load_project(root), root / "_site")
    return root / "_site"


def ld(page: Path) -> dict:
    html = page.read_text(encoding="utf-8")
    [block] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(block)


def test_issue_json_ld_is_a_blog_posting(site: Path) -> None:
    data = ld(site / "upravlyay-ka/konversiya-voronki/index.html")
    assert data["@type"] == "BlogPosting" and data["@context"] == "https://schema.org"
    assert data["headline"] == "Конверсия воронки продаж"
    assert data["datePublished"] == "2025-01-06T00:00:00+03:00" == data["dateModified"]
    assert data["author"] == {"@type": "Person", "name": "A.S.Consult: Александр Соломатин"}
    assert data["publisher"]["@type"] == "Organization" and data["publisher"]["name"]
    assert data["url"] == BASE + "upravlyay-ka/konversiya-voronki/"
    assert data["image"] == "https://cdn.example.org/funnel.png"
    assert data["keywords"] == "Воронка"
    assert data["isPartOf"]["url"] == BASE + "upravlyay-ka/"


def test_og_image_is_the_first_image_else_the_configured_one(site: Path, tmp_path: Path) -> None:
    page = (site / "upravlyay-ka/konversiya-voronki/index.html").read_text(encoding="utf-8")
    assert '<meta property="og:image" content="https://cdn.example.org/funnel.png">' in page
    other = (site / "upravlyay-ka/kak-podnyat/index.html").read_text(encoding="utf-8")
    assert 'property="og:image"' not in other  # no image, no default configured
    root = generate(tmp_path / "n", count=3)
    config = root / "newsletter.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "  language: ru\n", "  language: ru\n  image: static/share.png\n", 1), encoding="utf-8")
    build(load_project(root), root / "_site")
    page = (root / "_site/upravlyay-ka/kak-podnyat/index.html").read_text(encoding="utf-8")
    assert f'<meta property="og:image" content="{BASE}static/share.png">' in page
    assert ld(root / "_site/upravlyay-ka/kak-podnyat/index.html")["image"] == \
        BASE + "static/share.png"


def test_sitemap_has_lastmod(site: Path) -> None:
    urls = {u.findtext(f"{SITEMAP}loc"): u.findtext(f"{SITEMAP}lastmod")
            for u in ET.parse(site / "sitemap.xml").getroot()}
    assert urls[BASE + "upravlyay-ka/konversiya-voronki/"] == "2025-01-06"
    assert urls[BASE] == max(v for v in urls.values())  # the index: its newest issue
    assert BASE + "tags/voronka/" in urls
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", v) for v in urls.values())


def test_feeds_validate_and_carry_full_content(site: Path) -> None:
    feedparser = pytest.importorskip("feedparser")
    for path in ("feed.xml", "upravlyay-ka/feed.xml"):
        parsed = feedparser.parse((site / path).read_bytes())
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        assert parsed.version == "atom10"
        assert parsed.entries
    feed = feedparser.parse((site / "upravlyay-ka/feed.xml").read_bytes())
    [entry] = [e for e in feed.entries if e.link.endswith("/konversiya-voronki/")]
    content = entry.content[0].value
    assert "Сегодня о\u00a0том, как считать воронку." in content
    assert "Сравнение: 5 &lt; 7 &amp; «кавычки»" in content  # the whole body, escaped
    assert entry.published_parsed[:3] == (2025, 1, 5)  # midnight in Moscow, UTC date
    assert [t.term for t in entry.tags] == ["upravlyay-ka"]


def test_tag_pages_and_links(site: Path) -> None:
    index = (site / "tags/index.html").read_text(encoding="utf-8")
    assert 'href="klientskaya-baza/">Клиентская база</a>' in index  # one tag, two spellings
    assert 'href="elki/">Ёлки</a>' in index
    tag = (site / "tags/klientskaya-baza/index.html").read_text(encoding="utf-8")
    assert tag.count('class="issue-item"') == 2
    issue = (site / "akademiya-biznes-trenerov/baza-klientov/index.html").read_text(
        encoding="utf-8")
    assert 'rel="tag" data-pagefind-filter="tag:klientskaya-baza" ' \
           'href="../../tags/klientskaya-baza/">Клиентская база</a>' in issue


def test_tag_normalisation() -> None:
    assert tags.key("  Клиентская\u00a0 База ") == "клиентская база"
    assert tags.key("Ёлки") == tags.key("елки") == "елки"
    assert tags.key("Cafe\u0301") == tags.key("Café")  # NFC
    assert tags.slug("Клиентская база") == "klientskaya-baza"
    assert tags.slug("!!!") == ""


def test_check_reports_bad_tags_at_their_line(tmp_path: Path) -> None:
    root = generate(tmp_path / "n", count=3)
    issue = next((root / "issues").glob("upravlyay-ka-001-*.md"))
    text = issue.read_text(encoding="utf-8")
    bad = 'tags: ["Продажи", "продажи", "", "!!!", "' + "д" * 61 + '"]'
    text = re.sub(r"^tags: .*$", bad, text, count=1, flags=re.M)
    issue.write_text(text, encoding="utf-8")
    other = next((root / "issues").glob("azbuka-*.md"))
    other.write_text(re.sub(r"^tags: .*$", 'tags: ["C++", "c"]', other.read_text(
        encoding="utf-8"), count=1, flags=re.M), encoding="utf-8")
    line = text.splitlines().index(bad) + 1
    report = check_project(load_project(root), render=False)
    messages = [str(p) for p in report.errors]
    rel = f"issues/{issue.name}:{line}"
    assert f"{rel}: tag 'продажи' is listed twice (tags ignore case and ё/е)" in messages
    assert f"{rel}: empty tag in 'tags'" in messages
    assert f"{rel}: tag '!!!' has no letters or digits to make its page address from" in messages
    assert any(m.startswith(f"{rel}: tag 'ддд") and "at most 60" in m for m in messages)
    assert any("tags 'c' and 'c++'" in m and "tags/c/" in m for m in messages), messages
