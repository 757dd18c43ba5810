"""Vendors the caniemail facts for the CSS and HTML our email templates rely on.

Run:  .venv/bin/python scripts/caniemail_facts.py [--data PATH/caniemail.json]

Without ``--data`` it installs the npm package ``caniemail`` (the version pinned below) into
a temporary folder with ``npm`` and reads its ``data/caniemail.json``. It writes
``tests/data/caniemail.json``: for each feature, the latest tested support in the clients our
readers use (``y`` yes, ``a`` partial, ``n`` no, ``u`` unknown; ``#N`` points at a note),
with the package's version and update date. README's "What degrades where" is written from
it, and tests/render/test_caniemail.py checks that every CSS property our templates use is
covered, so the list cannot silently go stale.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "caniemail.json"
PACKAGE = "caniemail@2.0.2"
CLIENTS = [("apple-mail", "macos"), ("apple-mail", "ios"), ("gmail", "desktop-webmail"),
           ("gmail", "ios"), ("gmail", "android"), ("outlook", "windows"),
           ("outlook", "macos"), ("outlook", "outlook-com"), ("yahoo", "desktop-webmail"),
           ("mail-ru", "desktop-webmail"), ("samsung-email", "android"),
           ("thunderbird", "macos")]
# what the templates rely on; CSS properties found in templates/email/*.css must map here
FEATURES = [
    "css-width", "css-max-width", "css-height", "css-table-layout", "css-overflow-wrap",
    "css-word-break", "css-word-wrap", "css-white-space", "css-display", "css-display-none",
    "css-at-media", "css-at-media-prefers-color-scheme", "css-selector-attribute",
    "css-important", "css-background-color", "css-border", "css-padding", "css-margin",
    "css-text-align", "css-vertical-align", "css-font-size",
    "css-line-height", "css-font-weight", "css-text-decoration", "css-text-transform",
    "css-letter-spacing", "css-opacity", "css-max-height", "css-overflow", "css-font",
    "css-border-collapse",
    "html-style", "html-wbr", "html-width", "html-pre", "html-code", "html-abbr",
    "html-blockquote", "html-hr", "html-meta-color-scheme",
]


def _version_key(version: str) -> tuple[int, ...]:
    """'10.3' after '5.1', '2024-01' after '2019-08': numbers, not strings."""
    return tuple(int(part) for part in re.findall(r"\d+", version))


def _latest(stats: dict, family: str, platform: str) -> str:
    versions = stats.get(family, {}).get(platform)
    if not versions:
        return "u"
    return versions[max(versions, key=_version_key)]


def facts(data: dict) -> dict:
    by_slug = {feature["slug"]: feature for feature in data["data"]}
    features = {}
    for slug in FEATURES:
        feature = by_slug.get(slug)
        if feature is None:
            continue  # not tracked by caniemail (the test lists such properties)
        features[slug] = {
            "title": feature["title"],
            "url": feature["url"],
            "support": {f"{family}/{platform}": _latest(feature["stats"], family, platform)
                        for family, platform in CLIENTS},
            "notes": feature.get("notes_by_num") or {},
        }
    return {"source": f"npm package {PACKAGE} (data/caniemail.json, from caniemail.com)",
            "last_update_date": data.get("last_update_date"), "features": features}


def load(path: Path | None) -> dict:
    if path is not None:
        return json.loads(path.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="caniemail-") as folder:
        subprocess.run(["npm", "install", "--no-save", "--no-audit", "--no-fund", "--prefix",
                        folder, PACKAGE], check=True, capture_output=True)
        data = Path(folder) / "node_modules" / "caniemail" / "data" / "caniemail.json"
        return json.loads(data.read_text(encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, help="a caniemail.json already on disk")
    args = parser.parse_args()
    OUT.write_text(json.dumps(facts(load(args.data)), ensure_ascii=False, indent=1) + "\n",
                   encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
