"""What a deploy must do: the built folder against the manifest of the last deploy.

The manifest (``.publisher-deploy.json`` at the target) maps every file the last deploy put
there to the SHA-256 of its bytes. Kept at the target, not only on the machine that
deployed, so a laptop and a CI runner see the same truth; written last, so a deploy that
stopped half way leaves the previous manifest and the next deploy redoes what may be missing.

The order of a plan is what keeps the site working while it is uploaded: files that pages
use (stylesheet, script, images, search index) first; then pages, deepest first (an issue
before the series page and index that link to it); then the feeds and the sitemap that
announce new pages; deletions only after everything new is in place.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
from dataclasses import dataclass
from pathlib import Path

from publisher.errors import PublisherError

MANIFEST = ".publisher-deploy.json"
MANIFEST_VERSION = 1
#: the last-level files that tell visitors and robots about new pages: uploaded last
_ANNOUNCING = ("feed.xml", "sitemap.xml", "robots.txt")
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".pdf": "application/pdf",
    ".woff2": "font/woff2",
}


@dataclass(frozen=True)
class SiteFile:
    """One file of the built site: its path in URL form ('a/b/index.html') and its hash."""

    path: str
    sha256: str
    size: int

    @property
    def kind(self) -> str:
        """'static', 'assets' or 'pages': decides Cache-Control on object storage."""
        top = self.path.split("/", 1)[0]
        return top if top in ("static", "assets") and "/" in self.path else "pages"

    @property
    def content_type(self) -> str:
        return content_type(self.path)


def content_type(path: str) -> str:
    """The Content-Type a browser needs; a fixed table first (system tables differ)."""
    name = path.rsplit("/", 1)[-1]
    suffix = os.path.splitext(name)[1].lower()
    if name == "feed.xml":
        return "application/atom+xml; charset=utf-8"
    if suffix in _TYPES:
        return _TYPES[suffix]
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream"


def scan(site: Path) -> dict[str, SiteFile]:
    """Every file of a built site (its own dotfiles at the root left out), by path."""
    files: dict[str, SiteFile] = {}
    root = os.fspath(site)
    for directory, dirs, names in os.walk(root):
        dirs.sort()
        relative_dir = os.path.relpath(directory, root).replace(os.sep, "/")
        prefix = "" if relative_dir == "." else relative_dir + "/"
        if not prefix:  # publisher's own markers and an old manifest are not the site
            dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in sorted(names):
            if not prefix and name.startswith("."):
                continue
            full = os.path.join(directory, name)
            digest = hashlib.sha256()
            size = 0
            with open(full, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
                    size += len(chunk)
            files[prefix + name] = SiteFile(prefix + name, digest.hexdigest(), size)
    return files


def manifest_bytes(files: dict[str, SiteFile], *, generator: str) -> bytes:
    record = {"version": MANIFEST_VERSION, "generator": generator,
              "files": {path: f.sha256 for path, f in sorted(files.items())}}
    return (json.dumps(record, indent=0, sort_keys=True) + "\n").encode("utf-8")


def parse_manifest(data: bytes, where: str) -> dict[str, str]:
    """The ``path -> sha256`` of a manifest; PublisherError naming ``where`` if it is not one."""
    try:
        record = json.loads(data.decode("utf-8"))
        files = record["files"]
        if record.get("version") != MANIFEST_VERSION or not isinstance(files, dict) or \
                not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
            raise ValueError
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise PublisherError.at(where, None, "not a publisher deploy manifest", hint=(
            "delete it at the target (or deploy with --full) to upload everything again"
        )) from None
    return files


def _depth_first(path: str) -> tuple[int, int, str]:
    name = path.rsplit("/", 1)[-1]
    if name in _ANNOUNCING:
        return (2, 0, path)
    if name.endswith(".html"):
        return (1, -path.count("/"), path)
    return (0, 0, path)


@dataclass(frozen=True)
class Plan:
    """The files to upload, in upload order, and the paths to delete afterwards."""

    uploads: tuple[SiteFile, ...]
    deletions: tuple[str, ...]
    unchanged: int
    files: dict[str, SiteFile]

    @property
    def changed(self) -> bool:
        return bool(self.uploads or self.deletions)

    def batches(self) -> list[tuple[str, tuple[SiteFile, ...]]]:
        """Uploads in their three stages: ('assets', ...), ('pages', ...), ('lists', ...)."""
        stages: dict[int, list[SiteFile]] = {0: [], 1: [], 2: []}
        for f in self.uploads:
            stages[_depth_first(f.path)[0]].append(f)
        names = {0: "assets", 1: "pages", 2: "lists"}
        return [(names[k], tuple(v)) for k, v in stages.items() if v]


def plan(files: dict[str, SiteFile], previous: dict[str, str] | None, *,
         full: bool = False) -> Plan:
    """What to upload and delete to turn the target from ``previous`` into ``files``.

    ``previous`` None (no manifest: a first deploy) uploads everything and deletes nothing:
    files publisher did not put there are never touched. ``full`` uploads everything too but
    still deletes what the previous manifest lists and the site no longer has.
    """
    old = previous or {}
    uploads = [f for path, f in files.items() if full or old.get(path) != f.sha256]
    uploads.sort(key=lambda f: _depth_first(f.path))
    deletions = sorted((p for p in old if p not in files), key=lambda p: (-p.count("/"), p))
    return Plan(uploads=tuple(uploads), deletions=tuple(deletions),
                unchanged=len(files) - len(uploads), files=files)


def emptied_dirs(deletions: tuple[str, ...], kept: dict[str, SiteFile]) -> list[str]:
    """Folders that hold none of the kept files once ``deletions`` are gone, deepest first."""
    live = {p.rsplit("/", 1)[0] for p in kept if "/" in p}
    live_all = set()
    for d in live:
        parts = d.split("/")
        live_all.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    gone = set()
    for path in deletions:
        parts = path.split("/")[:-1]
        gone.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    return sorted(gone - live_all, key=lambda d: (-d.count("/"), d))
