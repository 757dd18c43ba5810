"""A Windows checkout: git's ``core.autocrlf=true`` turns every text file into CRLF.

The sample newsletter (its config, issue, templates, subscriber list) and the records a send
leaves (ledger, slug map) are converted to CRLF after a first publish; the checkout must read
the same: ``check`` passes, the archive is byte for byte the LF one, and the ledger still
knows the issue went out (a second ``publish`` sends nothing).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from publisher.scaffold import init_project
from tests.fixtures_archive import SAMPLE_CONFIG

ROOT = Path(__file__).resolve().parents[2]
TEXT = {".md", ".yaml", ".yml", ".html", ".txt", ".css", ".csv", ".json", ".jsonl", ".j2"}


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "publisher", "--project", str(root), *args],
                          cwd=root, env=env, capture_output=True, encoding="utf-8", check=False)


def to_crlf(root: Path) -> int:
    """Convert every text file the way git does on checkout; return how many changed."""
    changed = 0
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in TEXT and "_site" not in path.parts:
            data = path.read_bytes()
            crlf = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            if crlf != data:
                path.write_bytes(crlf)
                changed += 1
    return changed


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_crlf_checkout_reads_the_same_newsletter(tmp_path: Path) -> None:
    lf = tmp_path / "lf" / "newsletter"
    lf.mkdir(parents=True)
    shutil.copy(SAMPLE_CONFIG, lf / "newsletter.yaml")
    shutil.copytree(ROOT / "issues", lf / "issues")
    shutil.copytree(ROOT / "templates", lf / "templates")
    (lf / "subscribers").mkdir()
    (lf / "subscribers" / "list.csv").write_text("email,name\nanna@example.org,Анна\n",
                                                 encoding="utf-8")
    issue = sorted((lf / "issues").glob("*.md"))[0]
    published = cli(lf, "publish", issue.stem, "--yes")
    assert published.returncode == 0, published.stderr
    assert (lf / ".publisher" / "ledger.jsonl").exists()

    crlf = tmp_path / "crlf" / "newsletter"
    shutil.copytree(lf, crlf)
    assert to_crlf(crlf) >= 4
    assert b"\r\n" in (crlf / ".publisher" / "ledger.jsonl").read_bytes()
    assert b"\r\n" in (crlf / "issues" / issue.name).read_bytes()

    checked = cli(crlf, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    again = cli(crlf, "publish", issue.stem, "--yes")
    assert again.returncode == 0, again.stderr
    assert "already" in (again.stdout + again.stderr).lower()
    assert cli(crlf, "status").returncode == 0

    for folder in (lf, crlf):
        built = cli(folder, "build", "--out", str(folder / "_site"))
        assert built.returncode == 0, built.stderr
    expected, got = tree(lf / "_site"), tree(crlf / "_site")
    # Pagefind names index fragments by a hash that differs between identical builds too
    expected, got = ({p: b for p, b in t.items() if not p.startswith("pagefind/")}
                     for t in (expected, got))
    assert sorted(got) == sorted(expected)
    assert [p for p in expected if got[p] != expected[p]] == []
    assert not any(b"\r" in data for path, data in got.items() if path.endswith(".html"))


def test_init_keeps_records_lf_in_a_windows_checkout(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    init_project(root, title="Тест")
    attributes = (root / ".gitattributes").read_text(encoding="utf-8")
    git = shutil.which("git")
    if git is None:  # the rule itself is still checked below
        assert "* text=auto eol=lf" in attributes.splitlines()
        return
    run = {"cwd": root, "capture_output": True, "encoding": "utf-8", "check": True}
    subprocess.run([git, "init", "-q"], **run)
    subprocess.run([git, "config", "core.autocrlf", "true"], **run)
    for path in (".publisher/ledger.jsonl", ".publisher/slugs.json", "issues/x.md",
                 "newsletter.yaml"):
        answer = subprocess.run([git, "check-attr", "eol", "--", path], **run).stdout
        assert answer.strip().endswith("eol: lf"), answer
