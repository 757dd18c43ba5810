"""Incremental builds: only dependants re-render, clean == incremental, failures change nothing."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

import pytest

from archive_site.build import build
from publisher.config import load_project
from publisher.errors import IssueError, PublisherError, TemplateError
from publisher.render.templates import PACKAGE_TEMPLATES
from tests.archive.sitecheck import pagefind_fragments
from tests.fixtures_archive import generate_archive, issue_file


def snapshot(site: Path) -> dict[str, tuple[int, str]]:
    """Every file of a site: (inode, content hash); a rewritten file gets a new inode."""
    return {p.relative_to(site).as_posix(): (p.stat().st_ino,
                                              hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(site.rglob("*")) if p.is_file()}


def rewritten(before: dict, after: dict) -> set[str]:
    return {path for path in after if before.get(path, (None,))[0] != after[path][0]}


@pytest.fixture(scope="module")
def prebuilt(generated_archive, tmp_path_factory) -> Path:
    """The generated archive, built once (site and cache inside the folder)."""
    source, _ = generated_archive
    root = tmp_path_factory.mktemp("prebuilt") / "newsletter"
    shutil.copytree(source, root)
    build(load_project(root), root / "_site", jobs=2)
    return root


@pytest.fixture
def built(prebuilt: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the built folder; the cache names the site relative to it, so the copy
    builds incrementally."""
    root = tmp_path / "newsletter"
    shutil.copytree(prebuilt, root)
    return root, root / "_site"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_body_edit_rerenders_only_that_issue(built) -> None:
    root, site = built
    before = snapshot(site)
    # an old issue: not among the feeds' newest entries, its title unchanged
    edit(root / "issues/upravlyay-ka-0002.md", "Рад привествовать", "Рад приветствовать")
    report = build(load_project(root), site)
    assert report.bodies_rendered == 1
    changed = rewritten(before, snapshot(site))
    page = "upravlyay-ka/vypusk-2-kak-ne-stat-zhertvoy-vorov-chast-2/index.html"
    assert page in changed
    assert {p for p in changed if p.endswith(".html")} == {page}
    assert all(p == page or p.startswith("pagefind/") for p in changed), changed
    # the edited page's own fragment is the only document of the index written again
    assert len([p for p in changed if p.startswith("pagefind/fragment/")]) == 1, changed
    assert "Рад приветствовать" in (site / page).read_text(encoding="utf-8")


def test_title_edit_touches_neighbours_lists_and_feeds(built) -> None:
    root, site = built
    before = snapshot(site)
    edit(root / "issues/upravlyay-ka-0070.md", "часть 70", "часть семьдесят")
    report = build(load_project(root), site)
    assert report.bodies_rendered == 0  # only front matter changed: the body is cached
    changed = rewritten(before, snapshot(site))
    pages = {p for p in changed if p.endswith(".html")}
    assert "upravlyay-ka/index.html" in pages and "index.html" in pages
    # the slug stays (first slug kept), neighbours show the new title
    assert "upravlyay-ka/vypusk-70-kak-ne-stat-zhertvoy-vorov-chast-70/index.html" in pages
    neighbours = pages - {"index.html", "upravlyay-ka/index.html",
                          "upravlyay-ka/vypusk-70-kak-ne-stat-zhertvoy-vorov-chast-70/index.html"}
    assert len(neighbours) == 2 and all(p.startswith("upravlyay-ka/") for p in neighbours)
    assert "upravlyay-ka/feed.xml" in changed and "feed.xml" in changed
    assert len(pages) <= 6, pages
    assert "sitemap.xml" not in changed


def assert_same_as_clean_build(root: Path, site: Path, out: Path) -> None:
    clean = build(load_project(root), out, incremental=False, cache_dir=out.parent / "cache")
    assert clean.full and clean.bodies_rendered == clean.issues
    a, b = (stable(snapshot(site)), stable(snapshot(out)))
    assert sorted(a) == sorted(b)
    assert [p for p in a if a[p][1] != b[p][1]] == []
    # the index holds the same documents
    assert pagefind_fragments(site) == pagefind_fragments(out)


def stable(files: dict[str, tuple[int, str]]) -> dict[str, tuple[int, str]]:
    """Without the Pagefind files whose bytes differ from run to run over the same pages
    (its filter maps are written in hash order; pf_meta and the entry name them)."""
    return {path: value for path, value in files.items()
            if not path.startswith("pagefind/filter/") and not path.endswith(".pf_meta")
            and path != "pagefind/pagefind-entry.json"}


def test_rebuilt_search_index_equals_a_clean_one(built, tmp_path: Path) -> None:
    root, site = built
    edit(root / "issues/upravlyay-ka-0002.md", "Рад привествовать", "Рад приветствовать")
    edit(root / "issues/upravlyay-ka-0003.md", "Итак", "Итак, коллеги, бухгалтерия")
    edit(root / "issues/upravlyay-ka-0006.md", "Итак", "")
    assert build(load_project(root), site).bodies_rendered == 3
    assert_same_as_clean_build(root, site, tmp_path / "clean" / "site")


def test_clean_and_incremental_builds_are_identical(built, tmp_path: Path) -> None:
    root, site = built
    edit(root / "issues/upravlyay-ka-0002.md", "Рад привествовать", "Рад приветствовать")
    edit(root / "issues/azbuka-prodazhnogo-menedzhera-0010.md", "часть 10", "часть десять")
    os.utime(root / "issues/upravlyay-ka-0003.md")  # touched, not changed
    (root / "issues/upravlyay-ka-0005.md").unlink()
    (root / "issues/upravlyay-ka-0500.md").write_text(
        issue_file(500, "upravlyay-ka", table=True), encoding="utf-8")
    edit(root / "newsletter.yaml", "Консалтинг", "Консалтинг и аудит")
    incremental = build(load_project(root), site)
    assert incremental.bodies_rendered == 2 and not incremental.full
    assert_same_as_clean_build(root, site, tmp_path / "clean" / "site")
    assert not (site / "upravlyay-ka/vypusk-5-kak-ne-stat-zhertvoy-vorov-chast-5").exists()


def test_warm_cache_renders_nothing(built, tmp_path: Path) -> None:
    root, _ = built
    report = build(load_project(root), tmp_path / "again", incremental=False)
    assert report.bodies_rendered == 0 and report.full


def test_nothing_changed_writes_nothing(built) -> None:
    root, site = built
    before = snapshot(site)
    report = build(load_project(root), site)
    assert report.pages_written == 0 and report.bodies_rendered == 0
    assert snapshot(site) == before


def test_template_change_rebuilds_its_pages(built) -> None:
    root, site = built
    before = snapshot(site)
    custom = root / "templates/archive/issue.html"
    custom.parent.mkdir(parents=True)
    text = (PACKAGE_TEMPLATES / "archive/issue.html").read_text(encoding="utf-8")
    custom.write_text(text.replace('<div class="prose">', '<div class="prose custom">'),
                      encoding="utf-8")
    build(load_project(root), site)
    changed = rewritten(before, snapshot(site))
    issue_pages = [p for p in before if p.count("/") == 2 and p.endswith("/index.html")
                   and not p.startswith("page/")]
    assert set(issue_pages) <= changed
    assert all('class="prose custom"' in (site / p).read_text(encoding="utf-8")
               for p in issue_pages)
    assert "index.html" not in changed  # rendered again, same bytes: not rewritten


def test_config_change_rebuilds_every_page(built) -> None:
    root, site = built
    before = snapshot(site)
    edit(root / "newsletter.yaml", "title: Рассылки A.S.Consult", "title: Архив A.S.Consult")
    build(load_project(root), site)
    changed = rewritten(before, snapshot(site))
    html = [p for p in before if p.endswith(".html")]
    assert set(html) <= changed
    assert "Архив A.S.Consult" in (site / "index.html").read_text(encoding="utf-8")


def test_failed_build_leaves_site_untouched(built) -> None:
    root, site = built
    before = snapshot(site)
    edit(root / "issues/upravlyay-ka-0002.md", "Рад привествовать", "Рад приветствовать")
    edit(root / "issues/upravlyay-ka-0003.md", "date: 2020-", "date: 15/01/")
    with pytest.raises(IssueError) as failure:
        build(load_project(root), site)
    assert failure.value.lines()[0].startswith("issues/upravlyay-ka-0003.md:3: ")
    assert snapshot(site) == before
    assert [p.name for p in site.parent.iterdir() if p.name.startswith("._site")] == []


def test_template_error_reports_file_line_and_keeps_site(built) -> None:
    root, site = built
    before = snapshot(site)
    custom = root / "templates/archive/series.html"
    custom.parent.mkdir(parents=True)
    custom.write_text('{% extends "archive/base.html" %}\n{% block main %}\n'
                      "{{ series.titel }}\n{% endblock %}\n", encoding="utf-8")
    with pytest.raises(TemplateError) as failure:
        build(load_project(root), site)
    assert failure.value.lines()[0].startswith("templates/archive/series.html:3: ")
    assert snapshot(site) == before


def test_slug_change_writes_redirect(built) -> None:
    root, site = built
    old = "upravlyay-ka/vypusk-2-kak-ne-stat-zhertvoy-vorov-chast-2/"
    edit(root / "issues/upravlyay-ka-0002.md", "series: upravlyay-ka",
         "series: upravlyay-ka\nslug: novyy-adres")
    build(load_project(root), site)
    assert (site / "upravlyay-ka/novyy-adres/index.html").is_file()
    redirect = (site / old / "index.html").read_text(encoding="utf-8")
    assert 'http-equiv="refresh" content="0; url=../../upravlyay-ka/novyy-adres/"' in redirect
    assert '<link rel="canonical" href="https://www.asconsult.ru/rassylki/upravlyay-ka/novyy-adres/">' in redirect
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert old not in sitemap and "novyy-adres" in sitemap


def test_reserved_series_slug_is_a_config_error(project) -> None:
    root = project(series=[{"slug": "assets", "title": "Assets"}])
    with pytest.raises(PublisherError) as failure:
        build(load_project(root), root / "_site")
    assert failure.value.lines()[0].startswith("newsletter.yaml:")


def test_refuses_to_replace_a_foreign_folder(sample_site_project: Path) -> None:
    foreign = sample_site_project / "docs"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(PublisherError, match="not built by publisher"):
        build(load_project(sample_site_project), foreign)
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_sent_issue_appears_after_ledger_records_it(sample_site_project: Path) -> None:
    from publisher.ledger import Ledger
    from publisher.models import Audience

    issue = sample_site_project / "issues/upravlyay-ka-001-kak-ne-stat-zhertvoy-vorov-2.md"
    edit(issue, "status: published", "status: ready")
    project = load_project(sample_site_project)
    assert build(project, sample_site_project / "_site").issues == 0
    ledger = Ledger.of(project)
    entry = ledger.intent(issue="upravlyay-ka/kak-ne-stat-zhertvoy-vorov-2", content_hash="x",
                          audience=Audience(kind="list", list_id="pl02"), backend="outbox",
                          test=False)
    ledger.outcome(entry, "sent", ref="1", accepted=1)
    report = build(project, sample_site_project / "_site")
    assert report.issues == 1
    assert (sample_site_project / "_site/upravlyay-ka/kak-ne-stat-zhertvoy-vorov-2/index.html"
            ).is_file()


def test_many_issues_use_worker_processes(tmp_path: Path) -> None:
    root = tmp_path / "big"
    generate_archive(root, 120)
    serial = build(load_project(root), tmp_path / "one", jobs=1, cache_dir=tmp_path / "c1")
    parallel = build(load_project(root), tmp_path / "two", jobs=2, cache_dir=tmp_path / "c2")
    assert serial.bodies_rendered == parallel.bodies_rendered > 48
    one, two = stable(snapshot(tmp_path / "one")), stable(snapshot(tmp_path / "two"))
    assert one.keys() == two.keys()
    assert all(one[p][1] == two[p][1] for p in one)


def test_edit_hidden_by_same_mtime_and_size_is_seen(sample_site_project: Path) -> None:
    """An edit in the same clock tick as the last read ("racy" file) is still noticed."""
    issue = sample_site_project / "issues/upravlyay-ka-001-kak-ne-stat-zhertvoy-vorov-2.md"
    issue.write_text(issue.read_text(encoding="utf-8"), encoding="utf-8")  # mtime: now
    before = issue.stat()
    build(load_project(sample_site_project), sample_site_project / "_site")
    edit(issue, "Буду рад", "Буду вам")  # same length in bytes
    os.utime(issue, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert issue.stat().st_size == before.st_size
    report = build(load_project(sample_site_project), sample_site_project / "_site")
    assert report.bodies_rendered == 1
    page = sample_site_project / "_site/upravlyay-ka/kak-ne-stat-zhertvoy-vorov-2/index.html"
    assert "Буду вам" in page.read_text(encoding="utf-8")


def test_an_output_folder_outside_the_newsletter_is_never_the_search_mirror(tmp_path: Path) -> None:
    """`--out` outside the folder is named in the cache by its absolute path; joined as is, the
    Pagefind mirror was the output folder itself: its manifest landed on the site, and after
    "remove the output, build, edit, build" the copy failed (the source was its own target)."""
    root = tmp_path / "newsletter"
    kinds = generate_archive(root, 8)
    out = tmp_path / "public"
    project = load_project(root)
    build(project, out)
    shutil.rmtree(out)
    build(project, out)
    target = root / "issues" / kinds["published"][0]
    target.write_text(target.read_text(encoding="utf-8") + "\nПравка после сборки.\n",
                      encoding="utf-8")
    report = build(project, out)
    assert report.bodies_rendered == 1
    assert not (out / ".pages.json").exists()
    assert any((root / ".publisher" / "cache" / "search").rglob(".pages.json"))
    assert "Правка после сборки" in "".join(
        p.read_text(encoding="utf-8") for p in out.rglob("index.html"))


def test_serve_keeps_the_files_table_in_memory_and_sees_another_build(built) -> None:
    """One process building again (serve) reuses the files table it read or wrote last, as
    long as its generation token is the cache's; a build in another process changes the
    token, and the next read comes from the cache again."""
    import subprocess
    import sys

    from archive_site import cache as cache_module
    from archive_site.cache import Cache, default_cache_dir

    root, site = built
    project = load_project(root)
    build(project, site)
    cache_dir = default_cache_dir(project)
    with Cache(cache_dir) as cache:
        first = cache.files(root)
        memo = cache_module._FILES_MEMO[str(cache.path)]
        assert cache.files(root) == first and memo[2] == first  # handed out from memory
        first["issues/upravlyay-ka-0002.md"] = None  # a caller's change stays its own
        assert cache.files(root)["issues/upravlyay-ka-0002.md"] is not None
    edit(root / "issues/upravlyay-ka-0002.md", "Рад привествовать", "Рад приветствовать")
    build(load_project(root), site)
    with Cache(cache_dir) as cache:
        generation = cache._files_generation()
        mine = cache.files(root)
    assert cache_module._FILES_MEMO[str(cache.path)][0] == generation  # updated, not dropped
    # another process's build: a new file it parsed is in the cache, and then in our reads
    (root / "issues/upravlyay-ka-0601.md").write_text(
        issue_file(601, "upravlyay-ka"), encoding="utf-8")
    subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; "
                    "from archive_site.build import build; "
                    "from publisher.config import load_project; "
                    "build(load_project(Path(sys.argv[1])), Path(sys.argv[2]))",
                    str(root), str(site)], check=True, timeout=300)
    with Cache(cache_dir) as cache:
        assert cache._files_generation() != generation
        theirs = cache.files(root)
    assert set(theirs) - set(mine) == {"issues/upravlyay-ka-0601.md"}
    report = build(load_project(root), site)
    assert report.bodies_rendered == 0 and report.pages_written == 0


def test_serve_rebuilds_reuse_cards_only_while_what_they_show_is_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In one process (serve), unchanged issues keep their cards; a tag renamed by the
    spelling most issues use, or a changed title, still reaches every page that shows it."""
    root = tmp_path / "newsletter"
    names = generate_archive(root, 6)["published"][:3]

    def tag(name: str, tags: str) -> None:
        path = root / "issues" / name
        text = re.sub(r"\ntags: .*", "", path.read_text(encoding="utf-8"))
        path.write_text(text.replace("\nstatus:", f"\ntags: {tags}\nstatus:", 1),
                        encoding="utf-8")

    def showing_the_tag() -> list[str]:
        """The tag's name on every link to its page and in the search filter."""
        return [name for p in site.rglob("index.html") for name in re.findall(
            r'(?:tags/prodazhi/"|value="prodazhi")>\s*([^<\s][^<]*?)\s*<',
            p.read_text(encoding="utf-8"))]

    tag(names[0], "[Продажи]")
    tag(names[1], "[Продажи]")
    tag(names[2], "[продажи]")
    site = root / "_site"
    build(load_project(root), site)
    build(load_project(root), site)  # as serve does: the files table is now in memory
    before = showing_the_tag()
    assert len(before) >= 4 and set(before) == {"Продажи"}  # three issues and the filter
    tag(names[0], "[продажи]")  # now two of three spell it in lower case
    build(load_project(root), site)
    after = showing_the_tag()
    assert len(after) == len(before) and set(after) == {"продажи"}
    from archive_site.pages import Site

    made: list[str] = []
    real_card = Site.card
    monkeypatch.setattr(Site, "card", lambda self, entry: made.append(entry.rel) or
                        real_card(self, entry))
    edit(root / "issues" / names[1], "title: '", "title: 'Новое имя ")
    build(load_project(root), site)
    assert made == [f"issues/{names[1]}"]  # the other cards came from the last build
    assert sum("Новое имя" in p.read_text(encoding="utf-8")
               for p in site.rglob("index.html")) >= 3  # its page, its neighbours, the lists
