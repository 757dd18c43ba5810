"""The plan on its own: what goes, in which order, and what a manifest must look like."""

from __future__ import annotations

import pytest

from publisher.deploy.manifest import (SiteFile, content_type, emptied_dirs, manifest_bytes,
                                       parse_manifest, plan)
from publisher.errors import PublisherError


def files(*paths: str, digest: str = "a") -> dict[str, SiteFile]:
    return {p: SiteFile(p, digest, 1) for p in paths}


SITE = ("index.html", "page/2/index.html", "news/index.html", "news/x/index.html",
        "news/feed.xml", "feed.xml", "sitemap.xml", "robots.txt", "static/archive.css",
        "assets/images/a.png", "search/docs.json", "404.html")


def test_first_deploy_uploads_everything_in_an_order_that_never_links_to_a_missing_file():
    work = plan(files(*SITE), None)
    order = [f.path for f in work.uploads]
    assert sorted(order) == sorted(SITE) and work.deletions == ()
    stage = {path: name for name, batch in work.batches() for path in (f.path for f in batch)}
    assert [name for name, _ in work.batches()] == ["assets", "pages", "lists"]
    assert {p for p, s in stage.items() if s == "assets"} == {
        "static/archive.css", "assets/images/a.png", "search/docs.json"}
    assert {p for p, s in stage.items() if s == "lists"} == {
        "feed.xml", "news/feed.xml", "sitemap.xml", "robots.txt"}
    # deeper pages first: an issue before its series page, the series page before the index
    assert order.index("news/x/index.html") < order.index("news/index.html") < \
        order.index("index.html")


def test_only_changed_files_go_and_deletions_come_deepest_first():
    old = {p: "a" for p in SITE} | {"news/old/index.html": "a", "news/old/img/x.png": "a"}
    new = files(*SITE) | {"news/index.html": SiteFile("news/index.html", "b", 1)}
    work = plan(new, old)
    assert [f.path for f in work.uploads] == ["news/index.html"]
    assert work.deletions == ("news/old/img/x.png", "news/old/index.html")
    assert work.unchanged == len(SITE) - 1
    assert emptied_dirs(work.deletions, new) == ["news/old/img", "news/old"]
    full = plan(new, old, full=True)
    assert len(full.uploads) == len(SITE) and full.deletions == work.deletions


def test_a_folder_that_still_holds_a_file_is_not_emptied():
    assert emptied_dirs(("a/b/c.html",), files("a/d.html")) == ["a/b"]


@pytest.mark.parametrize(("path", "expected"), [
    ("index.html", "text/html; charset=utf-8"),
    ("feed.xml", "application/atom+xml; charset=utf-8"),
    ("news/feed.xml", "application/atom+xml; charset=utf-8"),
    ("sitemap.xml", "application/xml; charset=utf-8"),
    ("static/archive.css", "text/css; charset=utf-8"),
    ("static/search.js", "text/javascript; charset=utf-8"),
    ("search/432-43e.json", "application/json; charset=utf-8"),
    ("robots.txt", "text/plain; charset=utf-8"),
    ("assets/images/Схема.PNG", "image/png"),
    ("assets/images/photo.jpeg", "image/jpeg"),
    ("assets/images/logo.svg", "image/svg+xml"),
    ("assets/files/price.pdf", "application/pdf"),
    ("assets/files/data.unknownext", "application/octet-stream"),
])
def test_content_types(path: str, expected: str):
    assert content_type(path) == expected


def test_cache_kinds():
    assert SiteFile("static/archive.css", "", 0).kind == "static"
    assert SiteFile("assets/images/a.png", "", 0).kind == "assets"
    assert SiteFile("static.html", "", 0).kind == "pages"
    assert SiteFile("assets", "", 0).kind == "pages"
    assert SiteFile("news/static/index.html", "", 0).kind == "pages"


def test_manifest_round_trip_and_a_foreign_file_is_refused():
    data = manifest_bytes(files("a.html", "b/c.css"), generator="publisher test")
    assert parse_manifest(data, "m") == {"a.html": "a", "b/c.css": "a"}
    for bad in (b"{}", b"not json", b'{"version": 99, "files": {}}', b'{"version": 1, "files": []}',
                b"\xff\xfe"):
        with pytest.raises(PublisherError, match="m: not a publisher deploy manifest"):
            parse_manifest(bad, "m")
