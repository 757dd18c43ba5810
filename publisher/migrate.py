"""Bring a newsletter folder made by an older publisher up to date, without losing a record.

What changed: delivery logs used to name each recipient by address; they now name them by
keyed tokens (:mod:`publisher.privacy`), so the folder can live in git. An old log is still
read correctly (a send resumes exactly where it stopped), so migrating is never urgent; it
is what takes the addresses out of the files git keeps:

1. every delivery log that names addresses is rewritten with tokens, atomically (a
   temporary file, fsynced, then renamed over the old one), under the ledger's lock so no
   send writes to it meanwhile — the same marks in the same order, so what it says about
   who has which issue is unchanged;
2. ``.gitignore`` gets the lines that keep subscriber lists, the roster, reports and the
   key out of git;
3. files git still tracks that hold addresses (a subscriber list committed long ago) are
   untracked with ``git rm --cached`` (they stay on disk). Git's history still holds them:
   that needs a history rewrite, which this does not do, and says so;
4. the CI workflow ``init`` wrote gets the step that keeps the archive's build cache between
   runs (:func:`publisher.ci_workflow.with_cache_step`); one the author laid out differently
   is left alone, and the step to add is shown.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from publisher import osfiles, privacy
from publisher.ci_workflow import GITHUB_WORKFLOW_PATH, with_cache_step
from publisher.config import Project
from publisher.errors import PublisherError
from publisher.ledger import DELIVERIES, KEY_LINE, Ledger, delivery_key
from publisher.oserrors import os_failure

_LINE = re.compile(r"^([>@+!~]) (\S+)((?:\t.*)?)$")


@dataclass
class Migration:
    logs: list[str] = field(default_factory=list)  # rewritten (paths relative to the folder)
    gitignore: list[str] = field(default_factory=list)  # lines added
    untracked: list[str] = field(default_factory=list)  # git rm --cached
    workflow: str = ""  # "added": the cache step; "manual": the author must add it

    @property
    def changed(self) -> bool:
        return bool(self.logs or self.gitignore or self.untracked or self.workflow == "added")


def legacy_logs(project: Project) -> list[Path]:
    """Delivery logs that still name recipients by address."""
    folder = project.state_dir / DELIVERIES
    if not folder.is_dir():
        return []
    return [path for path in sorted(folder.glob("*.log"))
            if any(_is_address_line(line) for line in path.read_bytes().split(b"\n"))]


def _is_address_line(raw: bytes) -> bool:
    match = _LINE.match(raw.decode("utf-8", "replace").removesuffix("\r"))
    return match is not None and "@" in match.group(2)


def rewrite_log(data: bytes, key: privacy.AddressKey) -> bytes:
    """``data`` with every address replaced by its token and addresses masked in reasons;
    a key line first, so a later run with another key is refused."""
    out = [f"{KEY_LINE}{key.id}"]
    lines = data.split(b"\n")
    for raw in lines[:-1]:  # a torn last line was never durable: the reader ignores it too
        text = raw.decode("utf-8", "replace").removesuffix("\r")
        match = _LINE.match(text)
        if match is not None and "@" in match.group(2):
            mark, address, reason = match.groups()
            text = f"{mark} {delivery_key(address, key)}{privacy.redact_addresses(reason)}"
        out.append(text)
    return ("\n".join(out) + "\n").encode("utf-8")


def migrate(project: Project, *, dry_run: bool = False) -> Migration:
    """Run the steps above (``dry_run``: only say what they would do)."""
    result = Migration()
    ledger = Ledger.of(project)
    key = ledger.address_key() if not dry_run else None
    with ledger.lock():  # no send writes a log while it is rewritten
        for path in legacy_logs(project):
            result.logs.append(project.relative(path))
            if key is not None:
                before = _meaning(ledger, path)
                backup = _replace(path, rewrite_log(path.read_bytes(), key))
                if _meaning(ledger, path) != before:  # never lose a send record
                    os.replace(backup, path)
                    raise PublisherError(f"{project.relative(path)}: the rewritten log would "
                                         "read differently, so the old one was put back "
                                         "(please report this)")
                backup.unlink()
    result.gitignore = privacy.missing_gitignore(project.root) if dry_run \
        else privacy.update_gitignore(project.root)
    result.untracked = [found.path for found in privacy.tracked_files_with_addresses(project)]
    if result.untracked and not dry_run:
        privacy.untrack(project.root, result.untracked)
    result.workflow = _upgrade_workflow(project.root / GITHUB_WORKFLOW_PATH, dry_run=dry_run)
    return result


def _upgrade_workflow(path: Path, *, dry_run: bool) -> str:
    """Step 4: "added", "manual" or "" (no workflow, or it has the step already)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return ""
    except UnicodeDecodeError:
        return "manual"
    except OSError as exc:
        raise os_failure(exc, path, path.parents[2]) from exc
    status, new = with_cache_step(text)
    if status == "present":
        return ""
    if status == "added" and not dry_run:
        _write_whole(path, new.encode("utf-8"))
    return status


def _meaning(ledger: Ledger, path: Path) -> tuple[object, ...]:
    """Who has it, who was refused, who is in doubt or deferred (reasons are masked, so not
    compared)."""
    progress = ledger.progress(path.stem)
    return (progress.sent, set(progress.failed), progress.in_doubt, set(progress.deferred))


def _replace(path: Path, data: bytes) -> Path:
    """Write ``data`` over ``path`` so that either the old or the new log is there, whole;
    returns a copy of the old one (the caller removes it once the new one reads the same)."""
    backup = path.with_name(f".{path.name}.old")
    backup.write_bytes(path.read_bytes())
    _write_whole(path, data)
    return backup


def _write_whole(path: Path, data: bytes) -> None:
    """``data`` over ``path``: a temporary file, synced, renamed over it, so a crash leaves
    either the old file or the new one, never a part."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
        osfiles.datasync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    osfiles.fsync_dir(path.parent)
