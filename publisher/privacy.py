"""Subscribers' addresses stay out of git: keyed address tokens, and what git must not track.

A newsletter folder is pushed to a Git host (that is where the CI workflow runs). What a
second machine needs to stay safe — the ledger: issue keys, list ids, ESP references,
counts — belongs in git; subscribers' addresses do not (152-FZ wants Russian citizens' data
kept in Russia, GDPR wants it kept to what is needed). So:

* records that must name a recipient (per-recipient delivery logs) name them by a **keyed
  token**: ``h:`` + HMAC-SHA256(key, address)[:32 hex]. Without the key a token cannot be
  turned back into an address by trying likely ones, as a plain hash could. The key comes
  from ``PUBLISHER_ADDRESS_KEY`` (set it in CI's secret store) or from
  ``.publisher/address.key``, made on first use and ignored by git;
* the files that hold addresses — subscriber lists, the course roster — are ignored by git
  (:data:`GITIGNORE`), and ``check`` warns about any tracked file that holds addresses.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from publisher.config import Project
from publisher.errors import Location, Problem, PublisherError

KEY_ENV = "PUBLISHER_ADDRESS_KEY"
KEY_FILE = "address.key"
TOKEN_PREFIX = "h:"
#: what `init` writes to .gitignore (and `migrate` adds) so addresses never reach git
GITIGNORE = """\
# subscribers' personal data: keep it on this machine (or in CI's secret store), not in git
/subscribers/
/.publisher/courses.sqlite
/.publisher/courses.sqlite-*
/.publisher/address.key
/.publisher/reports/
"""
ADDRESS_RE = re.compile(rb"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
#: where subscribers' data lives: publisher's records, lists and mail, data files. Code and
#: documents are not searched (an address in an issue or a README was written to be read).
_DATA_DIRS = (".publisher/", "outbox/", "subscribers/")
_DATA_SUFFIXES = (".csv", ".tsv", ".xls", ".xlsx", ".ods", ".eml", ".mbox", ".vcf", ".json",
                  ".jsonl", ".log", ".sqlite", ".sqlite3", ".db")
_SCAN_LIMIT = 64 * 1024 * 1024


class AddressKey:
    """The key of a folder's address tokens (see the module doc)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def of(cls, state_dir: Path) -> AddressKey:
        value = os.environ.get(KEY_ENV, "")
        if value:
            if len(value) < 16:
                raise PublisherError(f"{KEY_ENV} must be at least 16 characters long (a "
                                     "random string kept in your secret store)")
            return cls(value.encode("utf-8"))
        path = state_dir / KEY_FILE
        with contextlib.suppress(FileNotFoundError):
            return cls(path.read_bytes().strip())
        state_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it just now
            return cls(path.read_bytes().strip())
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return cls(path.read_bytes().strip())

    def token(self, address: str) -> str:
        """The token of ``address`` (case and surrounding spaces do not matter)."""
        digest = hmac.new(self._key, address.strip().lower().encode("utf-8"), hashlib.sha256)
        return TOKEN_PREFIX + digest.hexdigest()[:32]

    @property
    def id(self) -> str:
        """Names the key in a log (so a log made with another key is noticed), reveals nothing."""
        return hmac.new(self._key, b"publisher address key id", hashlib.sha256).hexdigest()[:12]


def is_token(value: str) -> bool:
    return value.startswith(TOKEN_PREFIX) and "@" not in value


def redact_addresses(text: str) -> str:
    """``text`` with every email address replaced by ``<address>`` (server messages)."""
    return ADDRESS_RE.sub(b"<address>", text.encode("utf-8")).decode("utf-8")


# ---- what git tracks

@dataclass(frozen=True)
class TrackedAddresses:
    path: str  # relative to the newsletter folder, '/'-separated
    count: int  # distinct addresses


def _git_root_files(root: Path) -> list[str] | None:
    """Files git tracks under ``root`` (relative, '/'), or None when not in a git work tree."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        result = subprocess.run([git, "ls-files", "-z", "--", "."], cwd=root,
                                capture_output=True, timeout=60, check=False,
                                stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    return [p for p in result.stdout.decode("utf-8", "replace").split("\0") if p]


def public_addresses(project: Project) -> set[bytes]:
    """The folder's own addresses (sender, reply-to, contacts): public, not subscribers'."""
    settings = project.settings
    found = {settings.sender.email, settings.sender.reply_to}
    links = [*settings.footer.contacts, *settings.navigation]
    while links:
        link = links.pop()
        links.extend(link.children)
        if link.url.startswith("mailto:"):
            found.add(link.url[len("mailto:"):].split("?", 1)[0])
    return {a.lower().encode("utf-8") for a in found if a}


def tracked_files_with_addresses(project: Project) -> list[TrackedAddresses]:
    """Data files git tracks in the folder that hold addresses other than its own public ones."""
    files = _git_root_files(project.root)
    if files is None:
        return []
    public = public_addresses(project)
    esp = project.settings.esp
    lists = {t.replace("{series}", s.slug) for t in (esp.smtp.subscribers, esp.outbox.subscribers)
             if t for s in project.settings.series}
    out = []
    for name in files:
        if not (name.startswith(_DATA_DIRS) or name.lower().endswith(_DATA_SUFFIXES)
                or name in lists):
            continue
        path = project.root / name
        try:
            if not path.is_file() or path.stat().st_size > _SCAN_LIMIT:
                continue
            data = path.read_bytes()
        except OSError:
            continue
        found = {m.group(0).lower() for m in ADDRESS_RE.finditer(data)} - public
        if found:
            out.append(TrackedAddresses(name, len(found)))
    return out


def tracked_address_warnings(project: Project) -> list[Problem]:
    """``check``'s warnings: one per tracked file holding subscribers' addresses."""
    return [Problem(Location(found.path), f"git tracks this file and it holds {found.count} "
                                          "email address"
                                          f"{'es' if found.count > 1 else ''}: subscribers' "
                                          "personal data should not be on a Git host; run "
                                          "`publisher migrate` (or git rm --cached "
                                          f"{found.path})")
            for found in tracked_files_with_addresses(project)]


def _gitignore(root: Path) -> tuple[str, list[str]]:
    """``root/.gitignore``'s text, and the lines of :data:`GITIGNORE` it lacks."""
    try:
        text = (root / ".gitignore").read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    have = {line.strip() for line in text.splitlines()}
    return text, [line for line in GITIGNORE.splitlines()
                  if line.strip() and not line.startswith("#") and line.strip() not in have]


def missing_gitignore(root: Path) -> list[str]:
    """The lines of :data:`GITIGNORE` that ``root/.gitignore`` lacks (nothing is written)."""
    return _gitignore(root)[1]


def update_gitignore(root: Path) -> list[str]:
    """Add the lines of :data:`GITIGNORE` that ``root/.gitignore`` lacks; return them."""
    path = root / ".gitignore"
    text, missing = _gitignore(root)
    if missing:
        lead = "" if not text or text.endswith("\n") else "\n"
        path.write_text(text + lead + GITIGNORE.splitlines()[0] + "\n" +
                        "".join(f"{line}\n" for line in missing), encoding="utf-8")
    return missing


def untrack(root: Path, paths: list[str]) -> None:
    """Stop git tracking ``paths`` (the files stay on disk)."""
    git = shutil.which("git")
    if not paths or git is None:
        return
    result = subprocess.run([git, "rm", "--cached", "--quiet", "--", *paths], cwd=root,
                            capture_output=True, text=True,
                            encoding="utf-8", errors="replace", check=False,
                            stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise PublisherError(f"git rm --cached failed: {result.stderr.strip()}")
