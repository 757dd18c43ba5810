"""``publisher serve`` watching files: OS events (watchfiles), the polling fallback, bursts,
editor temp files, deletions and renames, and a clean stop.

Speed is measured in bench/bench_serve.py; these only check what happens, waiting at most
a generous deadline for it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from archive_site.serve import Preview, ServeOptions
from archive_site.serve_watch import (EventWatcher, Watcher, file_system_type,
                                      force_polling_requested, open_watcher)
from tests.archive.test_serve import SLUG, get, serve_child
from tests.fixtures_serve import SAMPLE_ISSUE, copy_sample

PAGE = Path("upravlyay-ka") / SLUG / "index.html"


def eventually(check: Callable[[], bool], deadline: float = 20.0) -> bool:
    """Whether ``check`` becomes true before ``deadline`` seconds pass (not a speed test)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.02)
    return check()


def page_says(out_dir: Path, text: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return text in (out_dir / PAGE).read_text(encoding="utf-8")
        except OSError:
            return False
    return check


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n{text}\n", encoding="utf-8")


def serve_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("serve-")]


def start(root: Path, **options: object) -> Preview:
    server = Preview(root, ServeOptions(out_dir=root / "_site", port=0, jobs=1,
                                        poll_interval=0.05, **options))  # type: ignore[arg-type]
    server.start()
    return server


@pytest.mark.parametrize("poll", [False, True], ids=["events", "polling"])
def test_an_edit_is_built_and_served(tmp_path: Path, poll: bool) -> None:
    root = copy_sample(tmp_path / "newsletter")
    server = start(root, poll=poll)
    try:
        assert isinstance(server._watcher, Watcher if poll else EventWatcher)
        assert (server.watch_notice is not None) == poll
        if poll:
            assert "--poll" in server.watch_notice  # type: ignore[operator]
        append(root / "issues" / SAMPLE_ISSUE, "Правка через наблюдателя.")
        assert eventually(page_says(server.options.out_dir, "Правка через наблюдателя"))
        assert "Правка через наблюдателя" in get(server.url + f"upravlyay-ka/{SLUG}/")[1]
        assert server.rebuilds >= 1 and server.state.outcome.ok  # type: ignore[union-attr]
    finally:
        server.stop()
    assert serve_threads() == []  # HTTP, watch loop and both event threads are gone


def test_force_polling_env_and_network_drives_fall_back(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "issues").mkdir()
    monkeypatch.setenv("WATCHFILES_FORCE_POLLING", "1")
    watcher, notice = open_watcher(tmp_path, ("issues",), ("newsletter.yaml",))
    assert isinstance(watcher, Watcher) and "WATCHFILES_FORCE_POLLING" in notice  # type: ignore[operator]
    assert not force_polling_requested({"WATCHFILES_FORCE_POLLING": "false"})
    assert force_polling_requested({"WATCHFILES_FORCE_POLLING": "yes"})
    monkeypatch.delenv("WATCHFILES_FORCE_POLLING")

    root = tmp_path.resolve()
    mounts = (f"/dev/sda1 / ext4 rw 0 0\nserver:/export {root.parent} nfs4 rw 0 0\n"
              "tmpfs /run tmpfs rw 0 0\n")
    assert file_system_type(root, mounts) == "nfs4"
    assert file_system_type(Path("/run/x"), mounts) == "tmpfs"
    watcher, notice = open_watcher(tmp_path, ("issues",), ("newsletter.yaml",), mounts=mounts)
    assert isinstance(watcher, Watcher)
    assert notice is not None and notice.startswith("Watching by polling") and "nfs4" in notice
    assert "\n" not in notice

    watcher, notice = open_watcher(tmp_path, ("issues",), ("newsletter.yaml",),
                                   mounts="/dev/sda1 / ext4 rw 0 0\n")
    try:
        assert isinstance(watcher, EventWatcher) and notice is None
    finally:
        watcher.close()


def test_watchfiles_that_cannot_start_falls_back_to_polling(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """An inotify limit surfaces as an OSError from watchfiles' first step."""
    import watchfiles

    def refuse(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        raise OSError(28, "OS file watch limit reached")
        yield  # a generator, as watchfiles.watch is

    monkeypatch.setattr(watchfiles, "watch", refuse)
    (tmp_path / "issues").mkdir()
    watcher, notice = open_watcher(tmp_path, ("issues",), ("newsletter.yaml",))
    assert isinstance(watcher, Watcher)
    assert notice is not None and "watch limit reached" in notice
    assert "max_user_watches" in notice


def collect_for(watcher: EventWatcher, seconds: float) -> list[list[Path]]:
    """Every batch ``watcher`` reports within ``seconds``."""
    stop = threading.Event()
    timer = threading.Timer(seconds, stop.set)
    timer.start()
    batches = []
    try:
        while not stop.is_set():
            batch = watcher.wait(stop, 0.05)
            if batch:
                batches.append(batch)
    finally:
        timer.cancel()
    return batches


def test_a_burst_of_writes_is_one_batch_and_temp_files_are_ignored(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    for name in ("issues", "templates", "_site"):
        (root / name).mkdir()
    watcher = EventWatcher(root, ("issues", "templates"), ("newsletter.yaml",),
                           skip=(root / "_site",))
    try:
        for name in (".draft.md.swp", "draft.md~", ".#draft.md", "4913", "x.tmp",
                     "draft.md.kate-swp", "draft.md___jb_tmp___"):
            (root / "issues" / name).write_text("temp", encoding="utf-8")
        (root / "issues" / ".git").mkdir()
        (root / "issues" / ".git" / "index").write_text("git", encoding="utf-8")
        (root / "_site" / "index.html").write_text("built", encoding="utf-8")
        (root / "other.txt").write_text("not watched", encoding="utf-8")
        assert collect_for(watcher, 0.6) == []

        for number in range(200):  # a git checkout
            (root / "issues" / f"issue-{number:03}.md").write_text(f"{number}", encoding="utf-8")
        batches = collect_for(watcher, 2.0)
        # batched, not one per file (a loaded machine may split the burst a few more times)
        assert 1 <= len(batches) <= 20, [len(b) for b in batches]
        assert {p.name for b in batches for p in b} == {f"issue-{n:03}.md" for n in range(200)}
    finally:
        watcher.close()
    assert serve_threads() == []


def test_config_replaced_by_rename_and_folders_recreated_are_seen(tmp_path: Path) -> None:
    """Editors save by writing a temp file and renaming it over the old one, which kills a
    watch on the file itself; and `git checkout` may remove and recreate issues/."""
    root = tmp_path.resolve()
    (root / "issues").mkdir()
    (root / "newsletter.yaml").write_text("a: 1\n", encoding="utf-8")
    watcher = EventWatcher(root, ("issues", "templates"), ("newsletter.yaml",))
    try:
        for value in (2, 3):
            (root / "newsletter.yaml.tmp").write_text(f"a: {value}\n", encoding="utf-8")
            os.replace(root / "newsletter.yaml.tmp", root / "newsletter.yaml")
            batches = collect_for(watcher, 0.5)
            assert root / "newsletter.yaml" in {p for b in batches for p in b}, value

        (root / "templates").mkdir()  # appears after serve started
        collect_for(watcher, 0.5)
        (root / "templates" / "base.html").write_text("x", encoding="utf-8")
        assert eventually(lambda: root / "templates" / "base.html" in
                          {p for b in collect_for(watcher, 0.3) for p in b}, 10)

        (root / "issues").rename(root / "old-issues")
        (root / "issues").mkdir()
        collect_for(watcher, 0.5)
        (root / "issues" / "new.md").write_text("x", encoding="utf-8")
        assert eventually(lambda: root / "issues" / "new.md" in
                          {p for b in collect_for(watcher, 0.3) for p in b}, 10)
    finally:
        watcher.close()


def test_rename_and_delete_of_an_issue(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "newsletter")
    server = start(root)
    out = server.options.out_dir
    try:
        issue = root / "issues" / SAMPLE_ISSUE
        renamed = issue.with_name("renamed-" + SAMPLE_ISSUE)
        append(issue, "После переименования.")
        issue.rename(renamed)
        assert eventually(page_says(out, "После переименования"))
        renamed.unlink()
        assert eventually(lambda: not (out / PAGE).exists())
        assert get(server.url + f"upravlyay-ka/{SLUG}/")[0] == 404
        assert server.state.outcome is not None and server.state.outcome.ok
    finally:
        server.stop()
    assert serve_threads() == []


def test_a_burst_of_saves_builds_once_or_a_few_times(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "newsletter")
    server = start(root)
    try:
        issue = root / "issues" / SAMPLE_ISSUE
        original = issue.read_text(encoding="utf-8")
        for number in range(200):
            issue.write_text(original + f"\nСохранение {number}.\n", encoding="utf-8")
        assert eventually(page_says(server.options.out_dir, "Сохранение 199."))
        time.sleep(0.5)  # let any straggling build finish before counting
        # batched: a handful of builds, not one per save (a loaded machine spreads the 200
        # writes over more batching windows, so the bound is not tight)
        assert 1 <= server.rebuilds <= 20, server.rebuilds
    finally:
        server.stop()


@pytest.mark.parametrize("flag", [[], ["--poll"]], ids=["events", "polling"])
def test_serve_subprocess_picks_up_an_edit_and_stops(tmp_path: Path, flag: list[str]) -> None:
    root = copy_sample(tmp_path / "newsletter")
    with serve_child(root, *flag) as (child, lines, url):
        notices = [line for line in lines if line.startswith("Watching by polling")]
        assert len(notices) == len(flag)  # one line, only when polling
        assert all("--poll" in line for line in notices)
        append(root / "issues" / SAMPLE_ISSUE, "Правка подпроцесса.")
        assert eventually(lambda: "Правка подпроцесса" in get(url + f"upravlyay-ka/{SLUG}/")[1])
        child.terminate()
        rest = child.stdout.read()  # type: ignore[union-attr]
        assert child.wait(timeout=15) == 0
    assert "changed:" in rest and rest.strip().endswith("Stopped.")
    assert "Traceback" not in rest


def test_the_page_comes_first_and_the_search_index_follows(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "newsletter")
    server = start(root)
    entry = server.options.out_dir / "pagefind" / "pagefind-entry.json"
    try:
        before = entry.read_bytes()
        token = server.state.token
        append(root / "issues" / SAMPLE_ISSUE, "Слово поисковику.")
        assert eventually(page_says(server.options.out_dir, "Слово поисковику"))
        assert eventually(lambda: server.search_builds >= 1)
        assert eventually(lambda: entry.read_bytes() != before)  # Pagefind ran again
        # one save is one page rebuild (a loaded machine may see its two writes apart)
        assert server.rebuilds in (1, 2) and server.search_builds <= server.rebuilds
        # the first build and each page rebuild made pages reload; the index alone did not
        assert server.state.generation == 1 + server.rebuilds and server.state.token != token
        assert server.state.outcome is not None and server.state.outcome.ok
    finally:
        server.stop()
