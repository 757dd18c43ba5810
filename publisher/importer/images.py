"""Images of an imported issue: kept as absolute URLs, or saved under ``issues/images/``.

Old letters link images on the author's site (often long gone) or, in saved pages, in a
``page_files/`` folder beside the page. Local files beside a saved page are always copied
(the page's relative path would mean nothing in ``issues/``); remote ones only with
``--download-images``, which saves each to ``issues/images/<issue file name>/`` and rewrites
the Markdown to the relative path, so the archive serves its own copy. A download that
fails keeps the absolute URL and says why.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

MAX_BYTES = 10 * 1024 * 1024
TIMEOUT = 20
_IMAGE = re.compile(r"(!\[[^\]]*\]\()(<[^>]+>|[^)\s]+)")
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif",
          "image/webp": ".webp", "image/svg+xml": ".svg", "image/bmp": ".bmp"}


@dataclass
class ImagePlan:
    """What to save: (target path, source URL or local file) pairs, and what went wrong."""

    markdown: str
    files: list[tuple[Path, str | Path]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def localise(markdown: str, *, folder: Path, issues_dir: Path, source_dir: Path | None,
             download: bool, fetch: bool = True) -> ImagePlan:
    """Rewrite image references that are to be saved; download them when ``fetch``.

    ``folder`` is ``issues/images/<issue>/``. With ``fetch`` False (a dry run) nothing is
    read from the network and nothing is written; the plan says what would be.
    """
    plan = ImagePlan(markdown)
    names: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        raw = match.group(2)
        url = raw[1:-1] if raw.startswith("<") else raw
        if url in names:
            return match.group(1) + names[url]
        parts = urlsplit(url)
        target: str | None = None
        if parts.scheme in ("http", "https"):
            if download:
                target = _save_remote(url, folder, plan, fetch)
        elif not parts.scheme and source_dir is not None and not url.startswith(("#", "/")):
            local = (source_dir / unquote(parts.path)).resolve()
            if local.is_file():
                target = _save_local(local, folder, plan, fetch)
            else:
                plan.notes.append(f"image {url} is not beside the page; the link is kept")
        if target is None:
            names[url] = raw
            return match.group(0)
        rel = Path(target).relative_to(issues_dir).as_posix()
        names[url] = rel
        return match.group(1) + rel

    plan.markdown = _IMAGE.sub(replace, markdown)
    return plan


def _name(folder: Path, url: str, suffix: str = "") -> Path:
    base = Path(unquote(urlsplit(url).path)).name or "image"
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = _SAFE.sub("-", stem).strip("-.")[:60] or "image"
    ext = ("." + _SAFE.sub("", ext).lower()[:5]) if ext else suffix
    digest = hashlib.sha1(url.encode()).hexdigest()[:6]
    return folder / f"{stem}-{digest}{ext}"


def _save_local(local: Path, folder: Path, plan: ImagePlan, fetch: bool) -> str:
    target = _name(folder, local.as_uri())
    if fetch:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(local, target)
    plan.files.append((target, local))
    return str(target)


def _save_remote(url: str, folder: Path, plan: ImagePlan, fetch: bool) -> str | None:
    target = _name(folder, url)
    if not fetch:
        plan.files.append((target, url))
        return str(target)
    import requests

    try:
        with requests.get(url, timeout=TIMEOUT, stream=True) as response:
            if response.status_code != 200:
                plan.notes.append(f"image {url}: HTTP {response.status_code}; the URL is kept")
                return None
            kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if kind and not kind.startswith("image/"):
                plan.notes.append(f"image {url} is {kind}, not an image; the URL is kept")
                return None
            data = b""
            for chunk in response.iter_content(65536):
                data += chunk
                if len(data) > MAX_BYTES:
                    plan.notes.append(f"image {url} is over {MAX_BYTES // 2**20} MB; "
                                      "the URL is kept")
                    return None
    except requests.RequestException as exc:
        plan.notes.append(f"image {url}: {type(exc).__name__}; the URL is kept")
        return None
    if not target.suffix and kind in _TYPES:
        target = target.with_suffix(_TYPES[kind])
    folder.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    plan.files.append((target, url))
    return str(target)
