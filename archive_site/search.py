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
folder (a changed page is hard-linked or copied in, a removed one deleted); ``pagefind --site
mirror --output-path mirror.bundle`` indexes it, and build.py stages the bundle under
``pagefind/`` like any other output (unchanged files are not rewritten, stale ones are removed
at the swap). When no issue page changed, the last index is kept as it is and Pagefind does not
run; the bundle folder beside the mirror lets a run reuse every unchanged fragment
(:func:`build_index`).

search.js fixes two things Pagefind does that are wrong for Russian (see its header):
prefix matching (``стать`` must not find ``стандарт``) and diacritic folding before
stemming (``й`` -> ``и`` breaks adjective endings, so ``клиентской`` missed ``клиентская``).
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import importlib.metadata
import json
import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from archive_site.write import make_parent, path_problem
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
    (``.pages.json``) says which copies are current, so an unchanged page is not copied. A
    page is hard-linked where the file system allows it (the build replaces its files, never
    rewrites one in place, so the link keeps the bytes it was made with), else copied.
    """
    folder.mkdir(parents=True, exist_ok=True)
    manifest_path = folder / ".pages.json"
    try:
        loaded = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        loaded = {}
    # a damaged or hand-made manifest must not make the sync delete (or skip copying)
    # anything but plain paths inside the mirror
    manifest: dict[str, str] = {
        path: digest for path, digest in (loaded.items() if isinstance(loaded, dict) else ())
        if isinstance(path, str) and isinstance(digest, str) and path_problem(path) is None}
    wanted: dict[str, str] = {}
    changed = False
    root = os.fspath(folder)
    made: set[str] = set()
    for path, digest, source in pages:
        wanted[path] = digest
        target = f"{root}/{path}"
        if manifest.get(path) != digest or not os.path.isfile(target):
            make_parent(target, made)
            _place(source, target)
            changed = True
    for path in set(manifest) - set(wanted):
        (folder / path).unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # empty folders up to the root (it keeps the manifest)
            os.removedirs((folder / path).parent)
        changed = True
    if changed or manifest != wanted:
        _write_json(manifest_path, wanted)
    return changed


def _write_json(path: Path, data: object) -> None:
    """``path`` replaced whole by ``data`` as JSON (a reader sees the old file or the new)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def _place(source: Path, target: str) -> None:
    """``target`` becomes a hard link to ``source``, or a copy where links are refused
    (another device, FAT, a share)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(target)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def build_index(mirror: Path, language: str, key: str) -> dict[str, bytes]:
    """The Pagefind bundle of the mirrored pages, by site path (``pagefind/...``).

    Pagefind writes into a folder kept beside the mirror. It names index chunks and page
    fragments by a hash of their content and does not compress or write one whose file is
    already there, so a run over a site with a few changed pages costs about 1.0 s instead
    of 1.6-2.0 s (1,000 issues). The price is that it never deletes the files the new index
    no longer uses: :func:`_live` reads which ones the index names, and the rest are removed.
    When ``key`` (the pages' hashes) is the one the folder was last built from, the bundle is
    read back without running Pagefind at all (a build after the output folder was removed).
    """
    bundle = mirror.with_name(mirror.name + ".bundle")
    running = bundle / ".running"  # a run that did not finish may have left a half file
    record = bundle / ".bundle.json"
    if running.exists():
        clear(bundle)
    kept = _recorded(bundle, record, key)
    if kept is not None:
        return kept
    for attempt in ("reuse", "fresh"):
        if attempt == "fresh":
            clear(bundle)
        bundle.mkdir(parents=True, exist_ok=True)
        running.write_text("", encoding="utf-8")
        _run_pagefind(mirror, bundle, language)
        present = _bundle_files(bundle)
        live = _live(bundle, present)
        if live is not None:
            break
    else:
        raise PublisherError("search: cannot tell which files of Pagefind's bundle its "
                             f"index uses (Pagefind {version()}); remove {bundle}")
    files: dict[str, bytes] = {}
    for relative in present:
        path = bundle / relative
        if relative not in live:
            path.unlink()  # a chunk or fragment of an earlier index
        elif not path.name.startswith(_SKIP):
            files["pagefind/" + relative] = path.read_bytes()
    if "pagefind/pagefind.js" not in files:
        raise PublisherError("search: Pagefind wrote no index (pagefind/pagefind.js missing)")
    _write_json(record, {"key": key, "files": sorted(files)})
    running.unlink()
    return files


def _bundle_files(bundle: Path) -> list[str]:
    """The bundle's plain files, relative and sorted: not our own records (``.``-names), and
    never a link (Pagefind writes plain files; a link is nobody's to publish)."""
    return sorted(relative for path in bundle.rglob("*")
                  if not path.is_symlink() and path.is_file()
                  and not (relative := path.relative_to(bundle).as_posix()).startswith("."))


def _run_pagefind(site: Path, out: Path, language: str) -> None:
    command = [str(executable()), "--site", str(site), "--output-path", str(out),
               "--force-language", language.split("-")[0], "--silent"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, encoding="utf-8",
                                errors="replace", timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PublisherError(f"search: cannot run Pagefind ({exc})") from exc
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip().splitlines()
        raise PublisherError("search: Pagefind failed: " +
                             (message[-1] if message else f"exit {result.returncode}"))


def _recorded(bundle: Path, record: Path, key: str) -> dict[str, bytes] | None:
    """The bundle last built from ``key``, read back; None if it was not, or is not whole."""
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
        if data.get("key") != key:
            return None
        files = data["files"]
        # only plain paths of the bundle's own files: never one leading elsewhere
        if not all(isinstance(path, str) and path.startswith("pagefind/") and
                   path_problem(path) is None and
                   not (bundle / path.removeprefix("pagefind/")).is_symlink()
                   for path in files):
            return None
        return {path: (bundle / path.removeprefix("pagefind/")).read_bytes() for path in files}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _cbor_text(text: str) -> bytes:
    """``text`` as a CBOR text string (how Pagefind's metadata names chunks and pages)."""
    data = text.encode("utf-8")
    size = len(data)
    head = bytes([0x60 + size]) if size < 24 else bytes([0x78, size]) if size < 256 else \
        bytes([0x79]) + size.to_bytes(2, "big")
    return head + data


def _live(bundle: Path, present: list[str]) -> set[str] | None:
    """Which of ``present`` (the bundle's files) its current index uses; None when that
    cannot be told.

    ``pagefind-entry.json`` names each language's metadata file; the (gzipped CBOR)
    metadata names every index chunk, filter chunk and page fragment by its hash. Checked:
    the fragments found must be exactly the pages the entry counts, else None (the caller
    then builds into an empty folder, where every file is live).
    """
    try:
        entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
        languages = entry["languages"].values()
        metas = {f"pagefind.{lang['hash']}.pf_meta": int(lang["page_count"])
                 for lang in languages}
        data = b"".join(gzip.decompress((bundle / name).read_bytes()) for name in metas)
    except (OSError, ValueError, TypeError, KeyError, AttributeError, EOFError,
            gzip.BadGzipFile):
        return None
    live: set[str] = {"pagefind-entry.json", *metas}
    fragments = 0
    for relative in present:
        if "/" not in relative:  # the scripts and the wasm; old metadata files are stale
            if not relative.endswith(".pf_meta"):
                live.add(relative)
        elif _cbor_text(relative.rsplit("/", 1)[1].rsplit(".", 1)[0]) in data:
            live.add(relative)
            fragments += relative.startswith("fragment/")
    return live if fragments == sum(metas.values()) else None
