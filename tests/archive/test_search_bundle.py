"""The Pagefind bundle kept in the cache: reused, trimmed to what the index uses, and safe
after a run that did not finish.

Pagefind skips writing a hashed chunk or fragment whose file exists, so the build lets it
write into a folder it keeps (archive_site/search.py): these tests run the real binary
(through a wrapper that counts its runs) and check what reaches the site.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

import pytest

from archive_site import search
from archive_site.build import build
from publisher.config import load_project
from publisher.errors import PublisherError
from tests.archive.sitecheck import pagefind_fragments
from tests.fixtures_archive import generate_archive

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the wrapper is a shell script")


@pytest.fixture
def counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PAGEFIND_BINARY_PATH: a wrapper of the real binary that appends a line per run."""
    real = search.executable()
    log = tmp_path / "pagefind-runs.log"
    wrapper = tmp_path / "pagefind-wrapper"
    wrapper.write_text(f'#!/bin/sh\necho run >> "{log}"\nexec "{real}" "$@"\n', encoding="utf-8")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(wrapper))
    log.write_text("", encoding="utf-8")
    return log


def runs(log: Path) -> int:
    return len(log.read_text(encoding="utf-8").splitlines())


def bundle_dir(root: Path) -> Path:
    [found] = (root / ".publisher" / "cache" / "search").glob("*.bundle")
    return found


def site_files(site: Path) -> set[str]:
    return {p.relative_to(site).as_posix() for p in (site / "pagefind").rglob("*") if p.is_file()}


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n{text}\n", encoding="utf-8")


def newsletter(tmp_path: Path, count: int = 10) -> tuple[Path, list[Path]]:
    root = tmp_path / "newsletter"
    kinds = generate_archive(root, count)
    return root, [root / "issues" / name for name in kinds["published"]]


def test_a_build_after_the_output_was_removed_reuses_the_bundle(tmp_path, counted) -> None:
    root, _ = newsletter(tmp_path)
    site = root / "_site"
    build(load_project(root), site)
    assert runs(counted) == 1
    before = {p: (site / p).read_bytes() for p in site_files(site)}
    shutil.rmtree(site)
    report = build(load_project(root), site)
    assert report.full
    assert runs(counted) == 1  # the pages are the same: the kept bundle is the index
    assert {p: (site / p).read_bytes() for p in site_files(site)} == before


def test_the_kept_bundle_holds_only_what_the_index_uses(tmp_path, counted) -> None:
    root, issues = newsletter(tmp_path)
    site = root / "_site"
    build(load_project(root), site)
    for round_ in range(3):
        append(issues[round_], f"Уточнение номер {round_}: бухгалтерия.")
        build(load_project(root), site)
    issues[4].unlink()
    build(load_project(root), site)
    assert runs(counted) == 5
    kept = {p.relative_to(bundle_dir(root)).as_posix()
            for p in bundle_dir(root).rglob("*") if p.is_file() and not p.name.startswith(".")}
    published = {p.removeprefix("pagefind/") for p in site_files(site)}
    # the bundle is what the site serves plus Pagefind's own UI scripts, nothing stale
    assert published <= kept
    assert all(name.startswith(search._SKIP) for name in kept - published), kept - published
    fragments = [p for p in kept if p.startswith("fragment/")]
    assert len(fragments) == len(pagefind_fragments(site)) == 9
    assert len([p for p in kept if p.endswith(".pf_meta")]) == 1
    # and the site has what a run into an empty folder makes of the same pages
    fresh = tmp_path / "fresh"
    shutil.copytree(site, fresh)
    shutil.rmtree(fresh / "pagefind")
    shutil.rmtree(bundle_dir(root))
    build(load_project(root), fresh)
    assert {p for p in site_files(fresh) if not p.startswith("pagefind/filter/")
            and not p.endswith(".pf_meta") and p != "pagefind/pagefind-entry.json"} == \
        {p for p in site_files(site) if not p.startswith("pagefind/filter/")
         and not p.endswith(".pf_meta") and p != "pagefind/pagefind-entry.json"}


def test_a_run_that_did_not_finish_is_not_trusted(tmp_path, counted) -> None:
    """Killed while Pagefind wrote: a fragment may be cut short under its final name, and
    Pagefind would keep it (the name exists). The marker makes the next build start empty."""
    root, issues = newsletter(tmp_path)
    site = root / "_site"
    build(load_project(root), site)
    bundle = bundle_dir(root)
    fragment = sorted((bundle / "fragment").iterdir())[0]
    fragment.write_bytes(fragment.read_bytes()[:10])  # half written
    (bundle / ".running").write_text("", encoding="utf-8")
    append(issues[0], "Правка после сбоя.")
    build(load_project(root), site)
    documents = pagefind_fragments(site)  # every fragment decodes
    assert len(documents) == 10
    assert any("Правка после сбоя" in d["content"] for d in documents)
    assert not (bundle / ".running").exists()


def test_a_record_of_a_vanished_bundle_runs_pagefind_again(tmp_path, counted) -> None:
    root, _ = newsletter(tmp_path)
    site = root / "_site"
    build(load_project(root), site)
    shutil.rmtree(bundle_dir(root) / "fragment")
    shutil.rmtree(site)
    build(load_project(root), site)
    assert runs(counted) == 2
    assert len(pagefind_fragments(site)) == 10


def test_an_index_format_it_cannot_read_falls_back_to_an_empty_folder(
        tmp_path, counted, monkeypatch) -> None:
    """If a new Pagefind named its files differently, the bundle is built into an empty
    folder (where every file is live); if even that cannot be read, a one-line error."""
    root, issues = newsletter(tmp_path)
    site = root / "_site"
    build(load_project(root), site)
    real = search._live
    calls: list[Path] = []

    def first_unreadable(bundle: Path, present: list[str]):  # type: ignore[no-untyped-def]
        calls.append(bundle)
        return None if len(calls) == 1 else real(bundle, present)

    monkeypatch.setattr(search, "_live", first_unreadable)
    append(issues[1], "Правка номер два.")
    build(load_project(root), site)
    assert len(calls) == 2 and runs(counted) == 3
    assert len(pagefind_fragments(site)) == 10
    monkeypatch.setattr(search, "_live", lambda bundle, present: None)
    append(issues[2], "Правка номер три.")
    with pytest.raises(PublisherError) as caught:
        build(load_project(root), site)
    assert "\n" not in str(caught.value) and "Pagefind" in str(caught.value)
    assert "Правка номер три" not in "".join(
        p.read_text(encoding="utf-8") for p in site.rglob("index.html"))  # site unchanged


def test_clean_clears_the_kept_bundle(tmp_path, counted) -> None:
    root, _ = newsletter(tmp_path)
    site = root / "_site"
    build(load_project(root), site)
    marker = bundle_dir(root) / "fragment" / "stray.pf_fragment"
    marker.write_bytes(b"x")
    build(load_project(root), site, incremental=False)
    assert runs(counted) == 2 and not marker.exists()
    assert os.listdir(bundle_dir(root) / "fragment")


def test_a_hostile_mirror_manifest_deletes_nothing_outside(tmp_path, counted) -> None:
    """The mirror's manifest lists what the last sync copied; a damaged or planted one
    naming paths outside the mirror must not make the next sync delete them."""
    import json

    root, issues = newsletter(tmp_path)
    site = root / "_site"
    build(load_project(root), site)
    [mirror] = [p for p in (root / ".publisher" / "cache" / "search").iterdir()
                if p.is_dir() and not p.name.endswith(".bundle")]
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    manifest = mirror / ".pages.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    depth = len(mirror.relative_to(tmp_path).parts)
    data["../" * depth + "victim.txt"] = "x"
    data[str(victim)] = "x"
    manifest.write_text(json.dumps(data), encoding="utf-8")
    append(issues[0], "Правка после подмены.")
    build(load_project(root), site)
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert any("Правка после подмены" in d["content"] for d in pagefind_fragments(site))


def test_a_hostile_bundle_record_or_link_publishes_nothing_of_elsewhere(tmp_path, counted) -> None:
    import json

    root, _ = newsletter(tmp_path)
    site = root / "_site"
    build(load_project(root), site)
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CONTENT", encoding="utf-8")
    bundle = bundle_dir(root)
    (bundle / "leak.js").symlink_to(secret)
    record = bundle / ".bundle.json"
    data = json.loads(record.read_text(encoding="utf-8"))
    data["files"].append("pagefind/" + "../" * 8 + str(secret).lstrip("/"))
    record.write_text(json.dumps(data), encoding="utf-8")
    shutil.rmtree(site)
    build(load_project(root), site)  # the record is refused: Pagefind runs again
    assert runs(counted) == 2
    published = "".join(p.read_text(encoding="utf-8", errors="replace")
                        for p in site.rglob("*") if p.is_file())
    assert "SECRET-CONTENT" not in published
    assert len(pagefind_fragments(site)) == 10
