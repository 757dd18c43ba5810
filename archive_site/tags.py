"""Tags: the front-matter ``tags`` normalised, validated, and grouped for the tag pages.

Authors write the same tag in different ways (``Продажи``, ``продажи``, ``клиентская
база`` with two spaces, ``ёлки``/``елки``); one tag is one page, so tags are compared by
a key (Unicode NFC, trimmed, inner whitespace collapsed, case-folded, ``ё`` as ``е``) and
shown under the spelling most issues use. A tag's URL is the transliterated key
(``tags/klientskaya-baza/``). ``publisher check`` reports what cannot be a tag.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from archive_site.cache import SameObjects
from publisher.errors import Location, Problem
from publisher.models import Issue
from publisher.slug import transliterate

MAX_LENGTH = 60  # characters: a tag is a word or a short phrase, not a sentence


@functools.lru_cache(maxsize=16384)  # pure; serve's rebuilds ask for every tag of every issue
def key(tag: str) -> str:
    """The form two spellings of one tag share."""
    text = unicodedata.normalize("NFC", tag)
    return re.sub(r"\s+", " ", text).strip().casefold().replace("ё", "е")


@functools.lru_cache(maxsize=16384)  # pure; serve's rebuilds ask for every tag of every issue
def display(tag: str) -> str:
    """A spelling as shown: trimmed, inner whitespace collapsed, case kept."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", tag)).strip()


@functools.lru_cache(maxsize=16384)  # pure; serve's rebuilds ask for every tag of every issue
def slug(tag: str) -> str:
    """The tag's folder name; '' if it has no letter or digit to make one from."""
    return re.sub(r"[^a-z0-9]+", "-", transliterate(key(tag))).strip("-")


@dataclass
class Tag:
    """One tag of the archive: its page and the issues (site paths) carrying it."""

    slug: str
    key: str
    spellings: Counter[str] = field(default_factory=Counter)
    paths: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        # the most used spelling; among equals, the one sorting first (stable output)
        return min(self.spellings.items(), key=lambda item: (-item[1], item[0]))[0]


def issue_tags(issue: Issue) -> list[tuple[str, str]]:
    """(key, slug) of the issue's valid tags, each once, in the author's order."""
    seen: dict[str, str] = {}
    for tag in issue.tags:
        k, s = key(tag), slug(tag)
        if k and s and len(k) <= MAX_LENGTH and k not in seen:
            seen[k] = s
    return list(seen.items())


#: each issue's spellings and (key, slug) pairs, kept for serve's next rebuild
_READ: SameObjects[tuple[dict[str, str], list[tuple[str, str]]]] = SameObjects()


def group(issues: Iterable[tuple[Issue, str]]) -> dict[str, Tag]:
    """Tags by slug, from (issue, site path) pairs in list order (newest first).

    ``publisher serve`` groups again after every save; an issue whose object is the last
    call's (its file did not change) reuses its tags as read then (cache.SameObjects).
    """
    tags: dict[str, Tag] = {}
    _READ.start()
    for issue, path in issues:
        spellings, pairs = _READ.get(issue, lambda issue=issue: (
            {key(t): display(t) for t in reversed(issue.tags)}, issue_tags(issue)))
        for k, s in pairs:
            tag = tags.setdefault(s, Tag(slug=s, key=k))
            if tag.key != k:
                continue  # a slug collision: `check` reports it; the first tag keeps it
            tag.spellings[spellings[k]] += 1
            tag.paths.append(path)
    return dict(sorted(tags.items(), key=lambda item: item[1].key))


def check(issues: list[Issue], relative) -> list[Problem]:  # type: ignore[no-untyped-def]
    """What cannot be a tag: empty, too long, no letters, repeated, or one URL for two tags.

    ``relative`` turns an issue's path into the one messages show.
    """
    problems: list[Problem] = []
    owners: dict[str, tuple[str, Issue]] = {}
    for issue in issues:
        where = Location(relative(issue.path), issue.line_of("tags"))
        seen: set[str] = set()
        for tag in issue.tags:
            k = key(tag)
            if not k:
                problems.append(Problem(where, "empty tag in 'tags'"))
                continue
            if len(k) > MAX_LENGTH:
                problems.append(Problem(where, f"tag {display(tag)!r} is {len(k)} characters "
                                               f"long; at most {MAX_LENGTH}"))
                continue
            s = slug(tag)
            if not s:
                problems.append(Problem(where, f"tag {display(tag)!r} has no letters or digits "
                                               "to make its page address from"))
                continue
            if k in seen:
                problems.append(Problem(where, f"tag {display(tag)!r} is listed twice (tags "
                                               "ignore case and ё/е)"))
                continue
            seen.add(k)
            owner = owners.setdefault(s, (k, issue))
            if owner[0] != k:
                other = relative(owner[1].path)
                problems.append(Problem(where, f"tags {display(tag)!r} and {owner[0]!r} (in "
                                               f"{other}) would share the page tags/{s}/; "
                                               "rename one"))
    return problems
