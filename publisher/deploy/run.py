"""``deploy()``: carry out a plan against one target, in the order that keeps the site whole.

assets -> pages (deepest first) -> lists and feeds -> deletions -> manifest -> CDN purge.
Every stage finishes before the next starts, so while a deploy runs a visitor can meet a new
page whose old neighbour is still there, but never a page whose stylesheet, image or linked
issue is missing. A deploy that stops half way (network, credentials, a kill) leaves the old
manifest at the target: the next deploy uploads again whatever may not have arrived and
deletes nothing before that.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import publisher
from publisher.config import Project
from publisher.deploy.manifest import (MANIFEST, Plan, SiteFile, emptied_dirs, manifest_bytes,
                                       parse_manifest, plan, scan)
from publisher.deploy.secrets import Secrets
from publisher.deploy.settings import DeploySettings
from publisher.errors import ConfigError, PublisherError

CRASH_ENV = "PUBLISHER_CRASH_AT"  # the same test hook as sending: die here like a power cut


def crashpoint(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os._exit(75)


class Target(Protocol):
    """Where a site goes. Each method is one stage; a failure raises PublisherError."""

    label: str

    def read_manifest(self) -> bytes | None: ...

    def upload(self, site: Path, files: tuple[SiteFile, ...],
               done: Callable[[int], None]) -> None: ...

    def delete(self, paths: tuple[str, ...], dirs: list[str]) -> None: ...

    def write_manifest(self, data: bytes) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class DeployReport:
    target: str
    plan: Plan
    dry_run: bool
    seconds: float
    invalidated: int = 0

    @property
    def summary(self) -> str:
        p = self.plan
        if self.dry_run:
            return (f"Dry run: would upload {len(p.uploads)} files, delete "
                    f"{len(p.deletions)}, leave {p.unchanged} unchanged at {self.target}")
        purge = f"; CDN asked to refresh {self.invalidated} paths" if self.invalidated else ""
        return (f"Deployed to {self.target}: {len(p.uploads)} uploaded, {len(p.deletions)} "
                f"deleted, {p.unchanged} unchanged in {self.seconds:.2f} s{purge}")


def open_target(project: Project, method: str, secrets: Secrets) -> Target:
    """The target of ``deploy.<method>``, its required keys checked with their config line."""
    settings = project.settings.deploy
    if method == "folder":
        from publisher.deploy.folder import FolderTarget

        _require(project, "deploy.folder.path", settings.folder.path)
        path = Path(settings.folder.path)
        return FolderTarget(path if path.is_absolute() else project.root / path)
    if method == "rsync":
        from publisher.deploy.rsync import RsyncTarget

        _require(project, "deploy.rsync.destination", settings.rsync.destination)
        return RsyncTarget(settings.rsync, secrets)
    if method == "s3":
        from publisher.deploy.s3 import S3Target

        _require(project, "deploy.s3.bucket", settings.s3.bucket)
        return S3Target(settings.s3, settings.cache, secrets)
    raise ConfigError.at(project.relative(project.config_path),
                         project.lines.line("deploy.method"),
                         "deploy.method: nothing to deploy to ('none'); set 'folder', 'rsync' "
                         "or 's3' (GitHub Pages: the CI workflow publishes _site itself)")


def _require(project: Project, key: str, value: str) -> None:
    if not value:
        section = key.rsplit(".", 1)[0]
        raise ConfigError.at(project.relative(project.config_path),
                             project.lines.line(section) or project.lines.line("deploy"),
                             f"{key}: required for deploy.method "
                             f"{section.split('.')[1]!r}")


def check_site(project: Project, site: Path) -> None:
    """Only a complete site that ``publisher build`` wrote is deployed."""
    from archive_site.write import SITE_MARKER, interrupted

    shown = project.relative(site)
    if not (site / SITE_MARKER).is_file():
        raise PublisherError.at(shown, None, "not an archive built by `publisher build` "
                                             "(run it first, or pass --site)")
    if interrupted(site):
        raise PublisherError.at(shown, None, "the last build was interrupted; run "
                                             "`publisher build` again before deploying")


def deploy(project: Project, site: Path, *, method: str | None = None, dry_run: bool = False,
           full: bool = False, echo: Callable[[str], None] = lambda _: None) -> DeployReport:
    """Deploy the built ``site`` to ``deploy.method`` (or ``method``); see the module doc."""
    started = time.perf_counter()
    settings = project.settings.deploy
    method = method or settings.method
    check_site(project, site)
    secrets = Secrets.of(settings)
    target = open_target(project, method, secrets)
    try:
        with secrets.redacting():
            raw = target.read_manifest()
            previous = parse_manifest(raw, f"{target.label}/{MANIFEST}") if raw else None
            work = plan(scan(site), previous, full=full)
            if dry_run:
                for f in work.uploads:
                    echo(f"upload {f.path}")
                for path in work.deletions:
                    echo(f"delete {path}")
                return DeployReport(target.label, work, True, time.perf_counter() - started)
            _carry_out(target, site, work)
            purged = invalidate(project, settings, work, previous or {}, secrets)
    finally:
        target.close()
    return DeployReport(target.label, work, False, time.perf_counter() - started, purged)


def _carry_out(target: Target, site: Path, work: Plan) -> None:
    if not work.changed:
        return  # the manifest at the target already says exactly this
    uploaded = 0

    def done(count: int) -> None:
        nonlocal uploaded
        for _ in range(count):
            uploaded += 1
            crashpoint(f"deploy-upload:{uploaded}")

    for stage, files in work.batches():
        target.upload(site, files, done)
        crashpoint(f"deploy-after:{stage}")
    if work.deletions:
        target.delete(work.deletions, emptied_dirs(work.deletions, work.files))
        crashpoint("deploy-after:deletions")
    target.write_manifest(manifest_bytes(work.files,
                                         generator=f"publisher {publisher.__version__}"))


def changed_urls(project: Project, work: Plan, previous: dict[str, str]) -> list[str]:
    """URL paths whose old copy a CDN may hold: changed and deleted files (not new ones)."""
    base = urlsplit(project.settings.site.base_url).path or "/"
    if not base.endswith("/"):
        base += "/"
    paths = [f.path for f in work.uploads if f.path in previous] + list(work.deletions)
    urls: list[str] = []
    for path in sorted(paths):
        urls.append(base + path)
        if path == "index.html" or path.endswith("/index.html"):
            urls.append(base + path[: -len("index.html")])
    return urls


def invalidate(project: Project, settings: DeploySettings, work: Plan,
               previous: dict[str, str], secrets: Secrets) -> int:
    """Ask the CDN to drop its copies of changed pages (``deploy.invalidate``)."""
    hook = settings.invalidate.strip()
    urls = changed_urls(project, work, previous)
    if not hook or not urls:
        return 0
    from publisher.deploy.invalidate import call_hook

    call_hook(hook, urls, secrets, token_env=settings.invalidate_token_env,
              cwd=project.root)
    return len(urls)
