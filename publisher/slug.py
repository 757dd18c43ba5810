"""Readable Latin slugs from titles, Cyrillic included (``Управляй-ка`` -> ``upravlyay-ka``).

A small table in the spirit of the common Russian passport/Yandex transliteration: it gives
slugs a Russian reader recognises, which a generic unidecode does less well (й -> y, х -> kh).
"""

from __future__ import annotations

import re
import unicodedata

_TABLE = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
    # Ukrainian and Belarusian letters that appear in Russian-language newsletters' names
    "і": "i", "ї": "yi", "є": "ye", "ґ": "g", "ў": "u",
}


def transliterate(text: str) -> str:
    """Latin rendering of ``text``: Cyrillic by the table, other accents stripped."""
    out = []
    for char in text.lower():
        out.append(_TABLE.get(char, char))
    decomposed = unicodedata.normalize("NFKD", "".join(out))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def slugify(text: str, max_length: int = 80) -> str:
    """URL slug: lowercase Latin letters, digits and single dashes, cut at a word boundary."""
    slug = re.sub(r"[^a-z0-9]+", "-", transliterate(text)).strip("-")
    if len(slug) > max_length:
        cut = slug.rfind("-", 0, max_length + 1)
        slug = slug[: cut if cut > 0 else max_length].strip("-")
    return slug or "issue"
