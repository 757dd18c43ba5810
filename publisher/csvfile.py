"""CSV readers' one failure mode that is not a bad row: the csv module itself refusing.

A field over the csv module's limit (128 KB: a quote left open swallows the rest of the file)
or a NUL makes ``csv.reader`` raise ``csv.Error`` mid-file; :func:`guarded` turns that into
the reader's own error at ``path:line``, so a subscriber or roster file is never a traceback.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from publisher.errors import PublisherError


def guarded(reader, display: Path | str,  # type: ignore[no-untyped-def]
            error: type[PublisherError]) -> Iterator[list[str]]:
    """The records of ``reader``; a ``csv.Error`` becomes ``error`` at its line."""
    try:
        yield from reader
    except csv.Error as exc:
        raise error.at(display, reader.line_num or None,
                       f"unreadable CSV: {exc} (an unclosed quote?)") from None
