"""The CSS our email templates rely on, against caniemail's support data.

tests/data/caniemail.json holds the facts (written by scripts/caniemail_facts.py from the npm
package ``caniemail``). Every property in templates/email/*.css must be covered by a feature
there (or be one caniemail does not track, listed here with the reason), and every feature
that some main client does not support must be named in README's "What degrades where", so
adding a property to the templates without checking where it fails makes a test fail.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import lxml.html

ROOT = Path(__file__).resolve().parents[2]
FACTS = json.loads((ROOT / "tests" / "data" / "caniemail.json").read_text(encoding="utf-8"))
CSS_FILES = sorted((ROOT / "templates" / "email").glob("*.css"))
ALIASES = {  # property -> the caniemail feature that covers it
    "font-family": "css-font", "border-top": "css-border", "border-left": "css-border",
    "border-bottom": "css-border", "border-color": "css-border", "background": "css-background-color",
    "padding-left": "css-padding", "padding-right": "css-padding",
}
UNTRACKED = {  # properties caniemail has no feature for, and why we use them anyway
    "color": "universally supported (every client shows coloured text)",
    "-webkit-text-size-adjust": "Apple-only hint; ignored elsewhere",
    "mso-table-lspace": "Outlook for Windows only", "mso-table-rspace": "Outlook for Windows only",
    "mso-hide": "Outlook for Windows only",
}
MAIN_CLIENTS = ("apple-mail/ios", "gmail/desktop-webmail", "gmail/android", "outlook/windows",
                "outlook/outlook-com", "yahoo/desktop-webmail", "mail-ru/desktop-webmail")


def _properties() -> set[str]:
    names = set()
    for path in CSS_FILES:
        css = re.sub(r"\{#.*?#\}|/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
        names |= set(re.findall(r"(?<![\w-])(-?[a-z][a-z-]*)\s*:\s*[^;{}]+;", css))
    return names


def _readme_name(slug: str) -> str:
    """How README names a feature: `max-width`, `<wbr>`, attribute selectors."""
    special = {"css-at-media-prefers-color-scheme": "`@media (prefers-color-scheme: dark)`",
               "css-at-media": "`@media`",
               "css-selector-attribute": "attribute selectors",
               "html-meta-color-scheme": '`meta name="color-scheme"`'}
    if slug in special:
        return special[slug]
    kind, _, name = slug.partition("-")
    return f"`<{name}>`" if kind == "html" else f"`{name}"  # `height` or `height: auto`


def test_the_facts_name_their_source() -> None:
    assert FACTS["source"].startswith("npm package caniemail@")
    assert FACTS["last_update_date"]
    assert "css-max-width" in FACTS["features"]


def test_every_property_we_use_is_checked_against_caniemail() -> None:
    unknown = sorted(name for name in _properties() - set(UNTRACKED)
                     if ALIASES.get(name, f"css-{name}") not in FACTS["features"])
    assert not unknown, (f"not in tests/data/caniemail.json: {unknown}; add them to "
                         "scripts/caniemail_facts.py FEATURES and rerun it")


def test_readme_says_what_degrades_where() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### What degrades where"):]
    section = " ".join(re.split(r"\n#{2,3} ", section[4:], maxsplit=1)[0].split())
    missing = []
    for slug, feature in FACTS["features"].items():
        unsupported = [c for c in MAIN_CLIENTS if feature["support"][c].startswith("n")]
        if unsupported and _readme_name(slug) not in section:
            missing.append(f"{_readme_name(slug)} (not in {', '.join(unsupported)})")
    assert not missing, f"README's 'What degrades where' does not mention: {missing}"


def test_style_blocks_stay_under_gmails_16_kb(sample) -> None:  # type: ignore[no-untyped-def]
    # caniemail html-style note: Gmail drops a <style> element larger than 16 KB
    doc = lxml.html.fromstring(sample.email.html.encode("utf-8"))
    for style in doc.xpath("//style"):
        assert len((style.text or "").encode("utf-8")) < 16 * 1024
