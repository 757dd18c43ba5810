"""The article of the seed (the issue as it was really sent), parsed into comparable parts.

The seed is the text of the original email as a mail program shows it: masthead, article,
signature, menu, the list of newsletters, the library block. The article is the part between
the lone ``-`` line under the masthead and the signature line (the footer's publisher).
Text is compared after :func:`normalise`, which undoes what typography legitimately changes
(quotes, dashes, ellipses, non-breaking spaces, the space in "т. к.") and nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_ROW_START = re.compile(r"^\d+ \S")
_NUMBERED = re.compile(r"^(\d+)\.\s+(.*)$")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def normalise(text: str) -> str:
    """Whitespace collapsed; nbsp, quotes, dashes and ellipses in one plain form."""
    text = text.replace("\u00a0", " ").replace("…", "...").replace("\u2060", "")
    text = re.sub(r"(?<!\w)т\. ([екдпн])\.", r"т.\1.", text)  # "т.к." is typeset "т. к."
    text = re.sub(r"[«»“”„\"]", '"', text)
    text = re.sub(r"\s*[—–]\s*|\s+-\s+", " - ", text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class SeedArticle:
    paragraphs: tuple[str, ...]  # every line of running text (headline included)
    table_lines: tuple[str, ...]  # header line, row lines, cell bullet lines ("• ...")
    numbered: tuple[str, ...]  # the numbered list's items, numbers removed, in order
    library: tuple[str, ...]  # the library block's lines (after "Внимание!")

    def sentences(self) -> list[str]:
        out = []
        for line in self.paragraphs:
            out.extend(s for s in _SENTENCE_END.split(normalise(line)) if s)
        return out

    def table_words(self) -> list[str]:
        """The table as a stream of words, bullets dropped (cell borders are lost in the seed)."""
        text = " ".join(line.lstrip("•").strip() for line in self.table_lines)
        return normalise(text).split()


def parse_seed(path: Path, publisher: str) -> SeedArticle:
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    start = lines.index("-") + 1
    end = lines.index(publisher)
    paragraphs: list[str] = []
    table: list[str] = []
    numbered: list[str] = []
    in_table = False
    for line in lines[start:end]:
        if not line:
            in_table = False
            continue
        match = _NUMBERED.match(line)
        if match:
            numbered.append(match.group(2))
        elif in_table or (not table and line.startswith("Этап ")):
            in_table = True
            table.append(line)
        else:
            paragraphs.append(line)
    heading = lines.index("Внимание!")
    library = [line for line in lines[heading + 1:] if line]
    library = library[: library.index("Как пройти в библиотеку?") + 1]
    if not table or not numbered or not paragraphs:
        raise ValueError(f"{path}: the seed's article was not found where expected")
    return SeedArticle(tuple(paragraphs), tuple(table), tuple(numbered), tuple(library))
