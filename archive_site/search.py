"""Full-text search: a Pagefind index of the issues, built into the staging folder.

Pagefind (https://pagefind.app) indexes HTML with the page language's Snowball stemmer,
ranks by term frequency and weight (a title counts more than body text), shows excerpts
with the matched words marked, and filters by facets; the browser loads only the index
chunks a query needs, from the site's own ``pagefind/`` folder. Its binary comes in the
``pagefind[bin]`` wheel, so nothing is fetched at build time or in the browser.

What Pagefind indexes is the issue pages themselves, and in them only the article
(``data-pagefind-body``: title, body, tags; series and tags as filters, number and date as
metadata; the chrome and the previous/next links carry ``data-pagefind-ignore``). A build
stages only the pages that changed, so a mirror of every issue page is kept under the cache
folder (a changed page is copied in, a removed one deleted); ``pagefind --site mirror
--output-path tmp`` indexes it, and build.py stages the bundle under ``pagefind/`` like any
other output (unchanged files are not rewritten, stale ones are removed at the swap). When no
issue page changed, the last index is kept as it is and Pagefind does not run.

search.js fixes two things Pagefind does that are wrong for Russian (see its header):
prefix matching (``стать`` must not find ``стандарт``) and diacritic folding before
stemming (``й`` -> ``и`` breaks adjective endings, so ``клиентской`` missed ``клиентская``).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from publisher.errors import PublisherError

INDEX_VERSION = "pagefind-1"  # bump when what is indexed changes in a way pages do not show
#: files of Pagefind's bundle the archive serves (its UI scripts are not used)
_SKIP = ("pagefind-ui.", "pagefind-modular-ui.", "pagefind-component-ui.",
         "pagefind-highlight.")


def executable() -> Path:
    """The Pagefind binary: $PAGEFIND_BINARY_PATH, else the one in the pagefind[bin] wheel."""
    try:
        from pagefind.service import get_executable
    except ImportError:  # pragma: no cover - the dependency is declared
        found = None
    else:
        found = get_executable()
    if found is None:
        raise PublisherError("search: the Pagefind binary is missing; install it with "
                             "`pip install 'pagefind[bin]'` (or set PAGEFIND_BINARY_PATH)")
    return Path(found)


@functools.lru_cache(maxsize=1)
def version() -> str:
    """Pagefind's version (part of the index key: a new Pagefind rebuilds the index)."""
    for package in ("pagefind_bin_extended", "pagefind_bin"):
        try:
            return f"{package} {importlib.metadata.version(package)}"
        except importlib.metadata.PackageNotFoundError:
            continue
    path = executable()
    return f"{path} {path.stat().st_mtime_ns}"


def clear(mirror: Path) -> None:
    """Forget the mirror (a full build copies every page again)."""
    shutil.rmtree(mirror, ignore_errors=True)


def sync_mirror(folder: Path, pages: Iterable[tuple[str, str, Path]]) -> bool:
    """Make ``folder`` hold exactly these pages; True if anything changed.

    ``pages`` are (site path, content hash, where the current file is); a manifest of hashes
    (``.pages.json``) says which copies are current, so an unchanged page is not copied.
    """
    folder.mkdir(parents=True, exist_ok=True)
    manifest_path = folder / ".pages.json"
    try:
        manifest: dict[str, str] = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    wanted: dict[str, str] = {}
    changed = False
    for path, digest, source in pages:
        wanted[path] = digest
        target = folder / path
        if manifest.get(path) != digest or not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            changed = True
    for path in set(manifest) - set(wanted):
        (folder / path).unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # empty folders up to the root (it keeps the manifest)
            os.removedirs((folder / path).parent)
        changed = True
    if changed or manifest != wanted:
        tmp = manifest_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(wanted, sort_keys=True), encoding="utf-8")
        os.replace(tmp, manifest_path)
    return changed


def build_index(mirror: Path, language: str) -> dict[str, bytes]:
    """Run Pagefind over the mirrored pages; returns the bundle's files by site path."""
    with tempfile.TemporaryDirectory(prefix="publisher-pagefind-") as tmp:
        out = Path(tmp) / "pagefind"
        command = [str(executable()), "--site", str(mirror), "--output-path", str(out),
                   "--force-language", language.split("-")[0], "--silent"]
        try:
            result = subprocess.run(command, capture_output=True, text=True,
                                    encoding="utf-8", errors="replace", timeout=600,
                                    check=False)
        except OSError as exc:
            raise PublisherError(f"search: cannot run Pagefind ({exc})") from exc
        if result.returncode != 0:
            message = (result.stderr or result.stdout).strip().splitlines()
            raise PublisherError("search: Pagefind failed: " +
                                 (message[-1] if message else f"exit {result.returncode}"))
        files: dict[str, bytes] = {}
        for path in sorted(out.rglob("*")):
            if path.is_file() and not path.name.startswith(_SKIP):
                files["pagefind/" + path.relative_to(out).as_posix()] = path.read_bytes()
    if "pagefind/pagefind.js" not in files:
        raise PublisherError("search: Pagefind wrote no index (pagefind/pagefind.js missing)")
    return files
