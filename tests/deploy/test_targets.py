"""``publisher deploy`` against each real target: a folder, rsync over a real sshd, and an
S3-compatible server (moto's standalone server) — the same author's story on each.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.deploy.links import broken_links
from tests.deploy.remotes import Remote
from tests.deploy.site import PNG, SiteProject, issue
from tests.fixtures_project import write_tree


@pytest.fixture(params=["folder", "rsync", "s3"])
def remote(request) -> Remote:  # type: ignore[no-untyped-def]
    return request.getfixturevalue(f"{request.param}_remote")


def local_files(site: SiteProject) -> dict[str, bytes]:
    return {p.relative_to(site.site).as_posix(): p.read_bytes()
            for p in site.site.rglob("*") if p.is_file() and not p.name.startswith(".")}


def deploy(site: SiteProject, remote: Remote, *args: str) -> str:
    result = site.cli("deploy", *args, env=remote.env)
    assert result.exit_code == 0, result.output
    return result.output


def test_first_deploy_everything_then_one_edit_only_what_changed(remote: Remote, tmp_path: Path):
    site = SiteProject(tmp_path / "newsletter", remote.config)
    built = site.build()

    output = deploy(site, remote, "--dry-run")
    assert f"would upload {len(built)} files, delete 0, leave 0 unchanged" in output
    assert "  upload news/vypusk-3/index.html" in output
    assert remote.read() == {} and remote.manifest() is None  # a dry run changes nothing

    output = deploy(site, remote)
    assert f"{len(built)} uploaded, 0 deleted, 0 unchanged" in output
    assert remote.read() == local_files(site)
    assert set(json.loads(remote.manifest())["files"]) == set(built)
    before = remote.stamps()

    assert "0 uploaded, 0 deleted" in deploy(site, remote)  # nothing changed: nothing sent
    assert remote.stamps() == before

    if remote.name == "s3":
        time.sleep(1.1)  # LastModified has one-second resolution
    site.retitle(3, "Третий выпуск, с новым заголовком")
    rebuilt = site.build()
    changed = {p for p in rebuilt if built.get(p) != rebuilt[p]}
    # the page, and what lists it: neighbours, the series page, the index, feeds, search
    assert {"news/vypusk-3/index.html", "news/index.html", "index.html",
            "feed.xml"} <= changed
    assert not changed & {"news/vypusk-1/index.html", "news/vypusk-5/index.html",
                          "static/archive.css", "assets/images/chart.png", "notes/index.html"}

    output = deploy(site, remote, "--dry-run")
    listed = {line.split(" ", 3)[3] for line in output.splitlines() if line.startswith("  upload ")}
    assert listed == changed

    output = deploy(site, remote)
    assert f"{len(changed)} uploaded, 0 deleted, {len(rebuilt) - len(changed)} unchanged" in output
    after = remote.stamps()
    assert {p for p in after if after[p] != before.get(p)} == changed  # nothing else rewritten
    assert remote.read() == local_files(site)


def test_removed_issue_is_deleted_last_and_a_stopped_deploy_keeps_the_site(remote: Remote,
                                                                          tmp_path: Path):
    site = SiteProject(tmp_path / "newsletter", remote.config)
    site.build()
    deploy(site, remote)
    old = remote.read()
    old_manifest = remote.manifest()

    # the author withdraws issue 4 and publishes issue 6 with a new image
    site.remove(4)
    write_tree(site.root, {"issues/images/new.png": PNG + b"\0",
                           "issues/news-006.md": issue(6, "Шестой выпуск").replace(
                               "номер 6.\n", "номер 6.\n\n![Новая схема](images/new.png)\n")})
    site.build()
    new = local_files(site)
    assert "news/vypusk-4/index.html" not in new and "assets/images/new.png" in new

    # killed after its first upload (the new image): every page is still the old one
    stopped = site.subprocess("deploy", env={**remote.env, "PUBLISHER_CRASH_AT": "deploy-upload:1"})
    assert stopped.returncode == 75, stopped.stderr
    there = remote.read()
    assert there["assets/images/new.png"] == new["assets/images/new.png"]
    assert {p: d for p, d in there.items() if p.endswith(".html")} == \
        {p: d for p, d in old.items() if p.endswith(".html")}
    assert remote.manifest() == old_manifest

    # killed after every new page and feed is in, before deleting: nothing is broken
    stopped = site.subprocess("deploy", env={**remote.env,
                                             "PUBLISHER_CRASH_AT": "deploy-after:lists"})
    assert stopped.returncode == 75, stopped.stderr
    there = remote.read()
    assert there["news/vypusk-4/index.html"] == old["news/vypusk-4/index.html"]  # deleted last
    assert there["index.html"] == new["index.html"] and "news/vypusk-6/index.html" in there
    assert broken_links(there) == []
    assert remote.manifest() == old_manifest  # the next deploy redoes the unconfirmed part

    output = deploy(site, remote)
    gone = set(old) - set(new)
    assert "news/vypusk-4/index.html" in gone
    assert f" {len(gone)} deleted" in output
    assert remote.read() == new
    assert broken_links(remote.read()) == []
    assert "news/vypusk-4/index.html" not in json.loads(remote.manifest())["files"]
    if "root" in remote.extra:  # folders emptied by the deletion go too
        assert not (remote.extra["root"] / "news" / "vypusk-4").exists()
