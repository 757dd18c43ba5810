"""Bytes of a saved page -> text, in the charset it was written in.

Order of evidence: a byte-order mark; valid UTF-8 that is not plain ASCII (cp1251 or koi8-r
text is practically never valid UTF-8, while pages re-saved as UTF-8 often keep their old
``<meta charset=windows-1251>``); the charset the page declares (``<meta charset>`` or
``<meta http-equiv="Content-Type">``) when its bytes decode in it; else detection by
charset-normalizer among the encodings Russian letters were written in, checked by the share
of lowercase letters (koi8-r read as cp1251 turns lowercase text into capitals and back).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
#: what old Russian letters were written in, most likely first
CANDIDATES = ("cp1251", "koi8_r", "utf_8", "cp866", "iso8859_5", "mac_cyrillic")
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_LOWER = re.compile(r"[а-яё]")


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # the codec's Python name, e.g. "cp1251"
    how: str  # "bom" | "utf-8" | "declared" | "detected"


def declared_charset(data: bytes) -> str | None:
    """The charset named by a ``<meta>`` tag in the first 8 KB, as a Python codec name."""
    match = _META_CHARSET.search(data[:8192])
    if not match:
        return None
    try:
        return codecs.lookup(match.group(1).decode("ascii")).name
    except LookupError:
        return None


def decode_html(data: bytes) -> Decoded:
    """Decode a page; never raises (undecodable bytes become U+FFFD as a last resort)."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return Decoded(data.decode(encoding, errors="replace").lstrip("\ufeff"),
                           "utf-8" if encoding == "utf-8" else encoding, "bom")
    if not data.isascii():
        try:
            return Decoded(data.decode("utf-8"), "utf-8", "utf-8")
        except UnicodeDecodeError:
            pass
    declared = declared_charset(data)
    if declared and declared not in ("utf-8", "utf-16"):  # UTF-8 was tried above
        try:
            return Decoded(data.decode(declared), declared, "declared")
        except UnicodeDecodeError:
            pass
    if data.isascii():
        return Decoded(data.decode("ascii"), "ascii", "declared" if declared else "detected")
    return Decoded(*_detect(data), "detected")


def _detect(data: bytes) -> tuple[str, str]:
    """The most plausible Cyrillic reading: charset-normalizer's guess, checked by case."""
    from charset_normalizer import from_bytes

    guesses = []
    best = from_bytes(data, cp_isolation=list(CANDIDATES)).best()
    if best is not None:
        guesses.append(codecs.lookup(best.encoding).name)
    guesses += [codecs.lookup(c).name for c in CANDIDATES if codecs.lookup(c).name not in guesses]
    scored = []
    for rank, encoding in enumerate(guesses):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        scored.append((_plausibility(text), -rank, encoding, text))
    if not scored:
        return data.decode("cp1251", errors="replace"), "cp1251"
    # charset-normalizer's choice wins unless another reading is clearly more Russian
    first = scored[0]
    top = max(scored)
    chosen = first if top[0] - first[0] < 0.15 else top
    return chosen[3], chosen[2]


def _plausibility(text: str) -> float:
    """Share of Cyrillic letters that are lowercase (running Russian text: ~0.9)."""
    letters = _CYRILLIC.findall(text)
    if not letters:
        return 0.0
    return len(_LOWER.findall(text)) / len(letters)
