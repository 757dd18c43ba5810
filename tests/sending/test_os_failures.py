"""Every OS failure is one line ``path: what happened; what to do``, exit 1, nothing sent,
nothing torn: a read-only folder, a full disk, a file where a folder should be.

Read-only and full file systems are real: a small tmpfs mounted by the test (root only; as
another user the tests are skipped with the reason). A file in the way needs no privileges.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.course.helpers import COURSE, make_course
from tests.fixtures_project import config_data, write_tree
from tests.sending.util import esp_for, files, invoke, ledger_lines


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 512 KiB tmpfs at ``tmp_path/fs`` (unmounted afterwards)."""
    if os.name != "posix" or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; run the suite as root (CI does) to cover it")
    mount = tmp_path / "fs"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def remount(mount: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(mount)], check=True)


def fill(mount: Path) -> Path:
    """Fill the file system to the last byte; the filler file is returned (delete to free)."""
    filler = mount / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler


def newsletter(root: Path) -> Path:
    write_tree(root, {"newsletter.yaml": config_data(esp=esp_for("outbox")), **files()})
    return root


def one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, output
    assert "Traceback" not in output
    return lines[0]


def test_read_only_folder_is_one_line_and_nothing_is_sent(tmpfs: Path) -> None:
    root = newsletter(tmpfs / "nl")
    remount(tmpfs, "ro")
    result = invoke(root, "send", "hello", "--yes")
    assert result.exit_code == 1
    line = one_error_line(result.output)
    assert line == ("Error: .publisher: the file system is read-only; run where the "
                    "newsletter folder is writable, or remount it read-write")
    assert not (root / "outbox").exists() and not (root / ".publisher").exists()


def test_read_only_ledger_folder_only(tmpfs: Path, tmp_path: Path) -> None:
    """The folder is writable, .publisher/ is not (a read-only bind of the state)."""
    root = newsletter(tmp_path / "nl")
    (tmpfs / "state").mkdir()
    remount(tmpfs, "ro")
    (root / ".publisher").symlink_to(tmpfs / "state")
    result = invoke(root, "send", "hello", "--yes")
    assert result.exit_code == 1
    assert "the file system is read-only" in one_error_line(result.output)
    assert not (root / "outbox").exists()


def test_full_disk_is_one_line_nothing_sent_and_the_ledger_is_not_torn(tmpfs: Path) -> None:
    root = newsletter(tmpfs / "nl")
    proof = invoke(root, "send", "hello", "--test", "me@example.org")
    assert proof.exit_code == 0, proof.output
    before = (root / ".publisher" / "ledger.jsonl").read_bytes()
    filler = fill(tmpfs)
    result = invoke(root, "send", "hello", "--yes")
    assert result.exit_code == 1
    line = one_error_line(result.output)
    assert line.startswith("Error: .publisher/") and "no space left on the disk; free some " \
        "space, then run the same command again" in line
    ledger = (root / ".publisher" / "ledger.jsonl").read_bytes()
    assert ledger.startswith(before) and ledger.endswith(b"\n")  # appended whole lines only
    assert not (root / "outbox" / "news" / "hello" / "anna@example.org.eml").exists()
    filler.unlink()
    again = invoke(root, "send", "hello", "--yes")
    assert again.exit_code == 0, again.output
    states = [line.get("state", line["event"]) for line in ledger_lines(root)]
    assert states[:2] == ["intent", "sent"] and states[-1] == "sent", states
    assert len(list((root / "outbox" / "news" / "hello").glob("[!t]*.eml"))) == 3  # + proof


def test_course_run_on_a_read_only_roster_is_one_line(tmpfs: Path) -> None:
    root = make_course(tmpfs / "nl")
    assert invoke(root, "course", "enroll", COURSE, "anna@example.org").exit_code == 0
    remount(tmpfs, "ro")
    result = invoke(root, "course", "run", "--now", "2026-11-23 10:00")
    assert result.exit_code == 1
    line = one_error_line(result.output)
    assert line.startswith("Error: .publisher/courses.") and "read-only" in line, line
    assert not (root / "outbox").exists()


def test_course_run_on_a_full_disk_is_one_line_and_sends_nothing_twice(tmpfs: Path) -> None:
    root = make_course(tmpfs / "nl")
    enrolled = invoke(root, "course", "enroll", COURSE, "anna@example.org", "--at", "2026-11-23")
    assert enrolled.exit_code == 0, enrolled.output
    filler = fill(tmpfs)
    result = invoke(root, "course", "run", "--now", "2026-11-23 10:00")
    assert result.exit_code == 1
    assert "no space left on the disk" in one_error_line(result.output)
    filler.unlink()
    after = invoke(root, "course", "run", "--now", "2026-11-23 10:05")
    assert after.exit_code == 0, after.output
    assert len(list((root / "outbox").rglob("*.eml"))) == 1


@pytest.mark.parametrize("where", [".publisher", "outbox"])
def test_a_file_where_a_folder_should_be(tmp_path: Path, where: str) -> None:
    root = newsletter(tmp_path / "nl")
    (root / where).write_text("not a folder\n")
    result = invoke(root, "send", "hello", "--yes")
    assert result.exit_code == 1
    line = one_error_line(result.output)
    assert "a file is where a folder should be; move that file away" in line, line
    assert line.startswith(f"Error: {where}"), line
    assert (root / where).read_text() == "not a folder\n"
    if where == "outbox":
        assert ledger_lines(root) == []  # checked before anything was recorded
