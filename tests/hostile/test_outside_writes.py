"""Nothing is ever written or deleted outside the output folder, whatever the state files say.

``.publisher/slugs.json`` is committed, so collaborators and merges write it; before the
fix an old slug ``../../../www`` made ``build`` overwrite ``<outside>/www/index.html`` and the
next build delete it and prune the folders above it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive_site.write import OutsideError, Staging, inside, path_problem
from tests.fixtures_project import DEFAULT_ISSUE, issue_text
from tests.hostile.helpers import assert_clean_failure, invoke, snapshot

PUBLISHED = issue_text(status="published")


@pytest.mark.parametrize("slug", ["../../../www", "../x", "/etc", "a/../../b", ".", "",
                                  "x" * 300, "UPPER", "a\\..\\b", "a\u0000b", 7])
def test_hostile_slug_map_writes_and_removes_nothing_outside(project, slug) -> None:  # type: ignore[no-untyped-def]
    root = project({DEFAULT_ISSUE: PUBLISHED})
    parent = root.parent
    outside = parent / "www"
    outside.mkdir()
    (outside / "index.html").write_text("someone's page", encoding="utf-8")
    out = root / "_site"
    first = invoke(root, "build", "--out", str(out))
    assert first.exit_code == 0, first.output
    slug_map = root / ".publisher" / "slugs.json"
    slug_map.write_text(json.dumps({"news/1": [slug, "privet-mir"]}), encoding="utf-8")
    before = snapshot(parent, skip=(out, root / ".publisher"))
    site_before = snapshot(out)

    for _ in range(2):  # the second build would have removed what the first wrote
        result = invoke(root, "build", "--out", str(out))
        assert_clean_failure(result, ".publisher/slugs.json:1: news/1: slug ")
    assert snapshot(parent, skip=(out, root / ".publisher")) == before
    assert snapshot(out) == site_before  # the site stays as the last good build left it
    assert (outside / "index.html").read_text(encoding="utf-8") == "someone's page"


@pytest.mark.parametrize("text, message", [
    ("[", "unreadable slug map"),
    ("[" * 100_000 + "]" * 100_000, "unreadable slug map"),
    ('{"news/1": [' + "9" * 5000 + "]}", "unreadable slug map"),
    ("[]", "slug map must be a JSON object"),
    ('{"news/1": "privet-mir"}', "news/1: must be a list of slugs"),
    ('{"../1": ["a"]}', "slug map key '../1' must be 'series/number'"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_unreadable_slug_map_is_one_line(project, text, message) -> None:  # type: ignore[no-untyped-def]
    root = project({DEFAULT_ISSUE: PUBLISHED})
    state = root / ".publisher"
    state.mkdir()
    if isinstance(text, bytes):
        (state / "slugs.json").write_bytes(text)
    else:
        (state / "slugs.json").write_text(text, encoding="utf-8")
    assert_clean_failure(invoke(root, "build", "--out", str(root / "_site")), message)
    assert not (root / "_site").exists()


def test_slug_map_line_points_at_the_bad_entry(project) -> None:  # type: ignore[no-untyped-def]
    root = project({DEFAULT_ISSUE: PUBLISHED})
    (root / ".publisher").mkdir()
    (root / ".publisher" / "slugs.json").write_text(
        '{\n "news/1": [\n  "privet-mir",\n  "../up"\n ]\n}\n', encoding="utf-8")
    result = invoke(root, "build", "--out", str(root / "_site"))
    assert_clean_failure(result, ".publisher/slugs.json:4: news/1: slug must be lowercase")


@pytest.mark.parametrize("relative", ["../a", "/abs", "a/../../b", "C:/x", "a\\b", "a//b",
                                      "x" * 256, "a/./b", "a\0b"])
def test_path_problem_refuses_what_is_not_plain_names(relative: str) -> None:
    assert path_problem(relative) is not None


@pytest.mark.parametrize("relative", ["index.html", "news/privet-mir/index.html",
                                      "assets/картинка 1.png", "x" * 255])
def test_path_problem_accepts_plain_names(relative: str) -> None:
    assert path_problem(relative) is None


def test_a_link_out_of_the_site_is_refused(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (site / "assets").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(OutsideError):
        inside(site, "assets/x.png")
    assert inside(site, "page/index.html") == site / "page" / "index.html"


def test_commit_never_removes_or_prunes_outside(tmp_path: Path) -> None:
    """A stale cache record naming a file outside: the commit leaves it and its folders."""
    from archive_site.cache import OutputRecord

    out = tmp_path / "site"
    victim = tmp_path / "keep" / "deep"
    victim.mkdir(parents=True)
    (victim / "file.html").write_text("x", encoding="utf-8")
    first = Staging(out, {}, full=True)
    first.put("index.html", "k", b"home")
    first.commit()
    first.finish()
    previous = {"index.html": OutputRecord("k", "h", 4),
                "../keep/deep/file.html": OutputRecord("k", "h", 1)}
    second = Staging(out, previous, full=False)
    second.put("index.html", "k2", b"home 2")
    second.commit()
    second.finish()
    assert (victim / "file.html").read_text(encoding="utf-8") == "x"
    assert (out / "index.html").read_bytes() == b"home 2"
