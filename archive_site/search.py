"""Static full-text search: an inverted index built here, queried in the browser by search.js.

No server and no external script: words are cut to stems by a small suffix-stripping
stemmer (Russian and English endings), and the index is split into shards by the stem's
first two letters, so a query downloads only the shards of its own words. The endings and
the minimum stem length are written into ``search/docs.json``; search.js applies exactly
those, so index and query always agree. Query words match every indexed stem they are a
prefix of ("конв" finds "конвертация"), and all words of a query must match (AND).

Files: ``search/docs.json`` = ``{"v", "endings", "min_stem", "docs": [[title, path, series,
date], ...]}`` (newest first, a document's id is its position) and ``search/<shard>.json`` =
``{stem: [first id, gap, gap, ...]}`` (ids delta-encoded to stay small).
"""

from __future__ import annotations

import json
from array import array
import re
from functools import lru_cache
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

INDEX_VERSION = 1
MIN_STEM = 3  # never cut a word below this many letters
MIN_TERM = 2  # shorter words are not indexed (and shard names need two letters)

_RU_ENDINGS = (
    # reflexive and verb forms
    "ившись", "ывшись", "авшись", "ившись", "ться", "ешься", "ишься", "ется", "ится", "ются",
    "ятся", "утся", "атся", "ались", "ился", "ился", "ась", "ось", "ись", "ся", "сь",
    "ивши", "ывши", "авши", "ешь", "ишь", "ете", "ите", "ает", "яет", "ует", "ют", "ут",
    "ат", "ят", "ет", "ит", "ла", "ли", "ло", "ть", "ти",
    # adjectives and participles
    "ейшими", "ейшего", "ейшему", "ейшая", "ейший", "ейшее", "ейшие", "ующими", "ующего",
    "ующий", "ующая", "ующее", "ующие", "ими", "ыми", "ого", "его", "ому", "ему", "ая", "яя",
    "ое", "ее", "ые", "ие", "ый", "ий", "ой", "ую", "юю", "ых", "их",
    # nouns
    "иями", "ями", "ами", "иях", "ях", "ах", "ией", "ием", "ии", "ия", "ию", "ей", "ом",
    "ем", "ам", "ям", "ов", "ев", "ью", "ье", "ья", "ьи",
    "а", "я", "о", "е", "ы", "и", "у", "ю", "ь", "й",
)
_EN_ENDINGS = ("ations", "ation", "ings", "ing", "ies", "ied", "ers", "ed", "es", "er", "ly",
               "s")

_WORD = re.compile(r"[^\W_]+")


def endings(language: str) -> tuple[str, ...]:
    """Endings the stemmer strips, longest first (Russian and English in every site)."""
    both = set(_RU_ENDINGS) | set(_EN_ENDINGS)
    return tuple(sorted(both, key=lambda e: (-len(e), e)))


_ENDINGS = endings("ru")
_ENDING_SET = frozenset(_ENDINGS)
_LONGEST = max(map(len, _ENDINGS))


def normalise(word: str) -> str:
    return word.lower().replace("ё", "е")


def stem(word: str, ends: tuple[str, ...] = _ENDINGS) -> str:
    """``word`` without its longest known ending, keeping at least MIN_STEM letters."""
    word = normalise(word)
    for ending in ends:
        if len(word) - len(ending) >= MIN_STEM and word.endswith(ending):
            return word[: -len(ending)]
    return word


@lru_cache(maxsize=200_000)
def _fast_stem(word: str) -> str:
    """:func:`stem` with the built-in endings, by suffix lookup (same result, ~20x faster)."""
    word = normalise(word)
    for length in range(min(_LONGEST, len(word) - MIN_STEM), 0, -1):
        if word[-length:] in _ENDING_SET:
            return word[:-length]
    return word


def terms(text: str) -> str:
    """The distinct stems of ``text``, space-separated and sorted (stable for caching)."""
    found = {_fast_stem(word) for word in _WORD.findall(text)}
    return " ".join(sorted(t for t in found if len(t) >= MIN_TERM))


def shard_name(term: str) -> str:
    """File name of the shard holding ``term``: its first two letters as hex code points."""
    return "-".join(f"{ord(c):x}" for c in term[:2])


def docs_file(docs: list[tuple[str, str, str, str]]) -> bytes:
    """``search/docs.json``: the stemmer's rules and the documents, by id."""
    return _json({"v": INDEX_VERSION, "endings": list(_ENDINGS), "min_stem": MIN_STEM,
                  "min_term": MIN_TERM, "docs": docs})


def build_index(docs: list[tuple[str, str, str, str]],
                doc_terms: Iterable[str]) -> dict[str, bytes]:
    """All search files, by path relative to the site root.

    ``docs`` are (title, site-relative path, series title, date) newest first; ``doc_terms``
    the matching space-separated stems (repeats allowed).
    """
    # arrays, not lists of int objects: 1.25 million postings at 5,000 issues
    postings: dict[str, array[int]] = defaultdict(lambda: array("i"))
    for doc_id, line in enumerate(doc_terms):
        for term in set(line.split()):
            postings[term].append(doc_id)
    shards: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for term in sorted(postings):
        shards[shard_name(term)][term] = _deltas(postings[term])
    files = {"search/docs.json": docs_file(docs)}
    for name, terms_ in shards.items():
        files[f"search/{name}.json"] = _json(terms_)
    return files


def update_index(site: Path, old: list[tuple[str, str]], new: list[tuple[str, str]], *,
                 ids: list[int]) -> dict[str, bytes | None] | None:
    """The shard files that change when some documents' stems change, patched in place.

    ``old`` and ``new`` are (path, stems) of the documents ``ids`` before and after; the
    caller has checked that the set and order of documents is the same (an edit, not an added
    or removed issue). A shard left empty maps to None (delete it); None instead of a dict
    means the site does not hold what the cache says, so the caller builds the whole index.
    The result is byte-identical to :func:`build_index` of the new documents.
    """
    changes: dict[str, dict[str, tuple[set[int], set[int]]]] = defaultdict(dict)
    for doc_id, (_, before), (_, after) in zip(ids, old, new):
        if before == after:
            continue
        was, now = set(before.split()), set(after.split())
        for term in was ^ now:
            added, removed = changes[shard_name(term)].setdefault(term, (set(), set()))
            (added if term in now else removed).add(doc_id)
    files: dict[str, bytes | None] = {}
    for name, terms_ in changes.items():
        path = site / "search" / f"{name}.json"
        try:
            postings = json.loads(path.read_bytes()) if path.is_file() else {}
        except ValueError:
            return None  # damaged: rebuild everything
        for term, (added, removed) in terms_.items():
            ids = set(_ids(postings.get(term, [])))
            if not removed <= ids:
                return None  # the site is not what the cache thinks: rebuild everything
            ids = (ids - removed) | added
            if ids:
                postings[term] = _deltas(sorted(ids))
            else:
                postings.pop(term, None)
        files[f"search/{name}.json"] = _json(dict(sorted(postings.items()))) if postings \
            else None
    return files


def _ids(deltas: list[int]) -> list[int]:
    out, total = [], 0
    for gap in deltas:
        total += gap
        out.append(total)
    return out


def _deltas(ids: list[int] | array[int]) -> list[int]:
    return [ids[0]] + [b - a for a, b in zip(ids, ids[1:])]


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def query(site: Path, text: str) -> list[str]:
    """Site-relative paths of the issues matching ``text``, as search.js finds them.

    The Python twin of search.js, for tests and for scripts.
    """
    meta = json.loads((site / "search/docs.json").read_text(encoding="utf-8"))
    ends = tuple(meta["endings"])
    result: set[int] | None = None
    for word in _WORD.findall(text):
        term = stem(word, ends)
        if len(term) < meta["min_term"]:
            continue
        shard = site / "search" / f"{shard_name(term)}.json"
        found: set[int] = set()
        if shard.is_file():
            for indexed, deltas in json.loads(shard.read_text(encoding="utf-8")).items():
                if indexed.startswith(term):
                    total = 0
                    for gap in deltas:
                        total += gap
                        found.add(total)
        result = found if result is None else result & found
    return [meta["docs"][i][1] for i in sorted(result or ())]
