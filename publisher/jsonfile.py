"""JSON state files (``.publisher/slugs.json``) read like the YAML ones: ``path:line`` errors.

State files are committed, so collaborators, merges and scripts write them: a parse error, a
nesting that overflows the parser's stack or a number Python refuses to convert becomes one
``path:line`` error instead of a traceback. What the values must be is the caller's to check;
:func:`line_of` finds the line of an offending value for its message.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from publisher.errors import PublisherError


def parse_json(text: str, path: Path | str, *,
               error: type[PublisherError] = PublisherError, what: str = "JSON") -> Any:
    """Parse ``text``; raise ``error`` at ``path:line`` when it is not readable JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error.at(path, exc.lineno, f"unreadable {what}: {exc.msg} (column {exc.colno})"
                       ) from None
    except RecursionError:
        raise error.at(path, None, f"unreadable {what}: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise error.at(path, None, f"unreadable {what}: {exc}") from None


def line_of(text: str, value: Any) -> int | None:
    """The first line of ``text`` where ``value`` is written as JSON writes it (or None)."""
    for encoded in {json.dumps(value, ensure_ascii=False), json.dumps(value)}:
        at = text.find(encoded)
        if at >= 0:
            return text.count("\n", 0, at) + 1
    return None
