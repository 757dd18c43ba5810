"""The one reader of subscriber CSV files: SMTP and outbox lists, and ``course import``.

Spreadsheets and CRMs export CSV however they like, so the reader is forgiving about the
form and strict about the content:

* encoding: UTF-8 with or without a BOM, UTF-16 with a BOM (Excel's "Unicode text"), else
  Windows-1251 (what Russian Excel writes for "CSV"), whatever the machine's locale;
* delimiter: comma, semicolon (Excel where the decimal mark is a comma) or tab, found from
  the header (the split that names known columns), else from the lines' shape;
* header: optional (without one the columns are ``email`` and ``name``); names are matched
  case- and punctuation-insensitively, with aliases: ``E-mail``, ``Почта``, ``Адрес``,
  ``Эл. почта`` are ``email``; ``Имя``, ``ФИО`` are ``name``; …
* content: every bad line is a :class:`Problem` at ``file:line`` (multi-line quoted cells
  count from the line the record starts on); a repeated address is recorded as a duplicate
  of the line that had it first. What a bad line means is the caller's choice: a send refuses
  the list (:mod:`publisher.subscribers`), an import skips the line
  (:mod:`publisher.course.roster_csv`).
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from publisher.config import EMAIL_RE
from publisher.errors import ConfigError, Location, Problem

DELIMITERS = (",", ";", "\t")
#: normalized header name (lower case, no spaces, dots, hyphens, underscores) -> column
ALIASES = {
    **dict.fromkeys(("email", "mail", "emailaddress", "почта", "элпочта", "электроннаяпочта",
                     "адрес", "адреспочты", "адресэлектроннойпочты", "емейл", "имейл"),
                    "email"),
    **dict.fromkeys(("name", "fullname", "имя", "фио", "имяифамилия", "полноеимя"), "name"),
    **dict.fromkeys(("timezone", "tz", "часовойпояс", "пояс"), "timezone"),
    **dict.fromkeys(("enrolledat", "enrolled", "date", "дата", "датаподписки"), "enrolled_at"),
    **dict.fromkeys(("course", "курс"), "course"),
}
_PUNCTUATION = re.compile(r"[\s._\-]+")


class SubscriberFileError(ConfigError):
    """The file cannot be read as a subscriber list at all (no email column, bad bytes)."""


@dataclass(frozen=True)
class Row:
    """One data line: its number and its cells by column (``email`` always present)."""

    line: int
    values: dict[str, str]

    @property
    def email(self) -> str:
        return self.values["email"]


@dataclass(frozen=True)
class SubscriberFile:
    """What was read: the good rows, a problem per bad line, and the repeated addresses."""

    path: Path
    encoding: str
    delimiter: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]  # valid addresses, each address once (its first line)
    problems: tuple[Problem, ...]
    duplicates: tuple[tuple[Row, int], ...]  # (the repeat, the line that had it first)
    count: int  # data lines read (not counting the header and blank lines)

    @property
    def delimiter_name(self) -> str:
        """``','``, ``';'`` or ``tab``, for messages."""
        return _delimiter_label(self.delimiter)


def column_name(cell: str) -> str:
    """The column a header cell names: an alias's column, else the cell in lower case."""
    cell = cell.strip().strip("\ufeff").lower().replace("ё", "е")
    return ALIASES.get(_PUNCTUATION.sub("", cell), cell)


def decode(data: bytes, display: Path | str) -> tuple[str, str]:
    """(text, encoding) of a CSV file's bytes; SubscriberFileError at the first bad line."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise SubscriberFileError.at(display, data[:exc.start].count(b"\n") + 1,
                                             f"not valid {encoding} text despite its byte "
                                             "order mark") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1251"), "cp1251"
    except UnicodeDecodeError as exc:
        raise SubscriberFileError.at(display, data[:exc.start].count(b"\n") + 1,
                                     "not UTF-8 or Windows-1251 text; save the file as "
                                     "\"CSV UTF-8\"") from None


def read_subscriber_file(path: Path, display: Path | str, *,
                         columns: Sequence[str] | None = None) -> SubscriberFile:
    """Read ``path`` (named ``display`` in messages).

    ``columns``: the only column names the caller understands (an unknown one in the header
    is an error naming the closest); None keeps any extra column as it is named.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SubscriberFileError.at(display, None, "subscriber list not found") from None
    except OSError as exc:
        raise SubscriberFileError.at(display, None, f"cannot read: {exc.strerror}") from None
    text, encoding = decode(data, display)
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise SubscriberFileError.at(display, line, "a NUL byte: this is not a text CSV file "
                                     "(save it from the spreadsheet as CSV)")
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    names: list[str] | None = None
    rows: list[Row] = []
    problems: list[Problem] = []
    duplicates: list[tuple[Row, int]] = []
    first_line: dict[str, int] = {}
    count = 0
    line = 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if names is None:
                names = _header(record, display, start, columns)
                if names is not None:
                    continue
                names = ["email", "name"]
            count += 1
            where = Location(display, start)
            if len(record) > len(names) and any(c.strip() for c in record[len(names):]):
                problems.append(Problem(where, f"{len(record)} fields, but the header names "
                                               f"{len(names)}; check the delimiter "
                                               f"{_delimiter_label(delimiter)} and quotes"))
                continue
            values = {name: (record[i].strip().replace("\r\n", "\n") if i < len(record)
                             else "") for i, name in enumerate(names) if name}
            email = values.get("email", "")
            if not EMAIL_RE.match(email):
                problems.append(Problem(where, f"not an email address: {email!r}"))
                continue
            row = Row(start, values)
            seen = first_line.get(email.lower())
            if seen is not None:
                duplicates.append((row, seen))
                continue
            first_line[email.lower()] = start
            rows.append(row)
    except csv.Error as exc:
        raise SubscriberFileError.at(display, reader.line_num or None,
                                     f"unreadable CSV ({exc})") from None
    return SubscriberFile(path=path, encoding=encoding, delimiter=delimiter,
                          columns=tuple(names or ("email", "name")), rows=tuple(rows),
                          problems=tuple(problems), duplicates=tuple(duplicates), count=count)


def _header(record: list[str], display: Path | str, line: int,
            allowed: Sequence[str] | None) -> list[str] | None:
    """Column names of a header line, or None if the line is already data."""
    if EMAIL_RE.match(record[0].strip().strip("\ufeff")):
        return None
    names = [column_name(cell) for cell in record]
    expected = f"columns: {', '.join(allowed)}" if allowed else "e.g. email, name"
    if allowed is not None:
        unknown = [name for name in names if name and name not in allowed]
        if unknown:
            raise SubscriberFileError.at(display, line, f"unknown column '{unknown[0]}'"
                                         f"{did_you_mean(unknown[0], allowed)} ({expected})")
    if "email" not in names:
        found = ", ".join(cell.strip() for cell in record if cell.strip())
        raise SubscriberFileError.at(display, line, f"no email column in the header (found: "
                                     f"{found}); name it email, e-mail, почта or адрес "
                                     f"({expected})")
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        raise SubscriberFileError.at(display, line, f"the header names column "
                                     f"'{repeated[0]}' twice")
    return names


def _delimiter(text: str) -> str:
    """The delimiter of ``text``: the one that splits the first line into a header naming an
    email column (most known columns wins), else what csv.Sniffer finds, else a comma."""
    lines = [line for line in text.splitlines() if line.strip()][:20]
    if not lines:
        return ","
    best, best_known = "", 0
    for candidate in DELIMITERS:
        cells = next(csv.reader([lines[0]], delimiter=candidate), [])
        names = [column_name(cell) for cell in cells]
        known = sum(name in ALIASES.values() for name in names)
        if "email" in names and known > best_known:
            best, best_known = candidate, known
    if best:
        return best
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) for d in DELIMITERS}
        return max(DELIMITERS, key=lambda d: counts[d]) if any(counts.values()) else ","


def _delimiter_label(delimiter: str) -> str:
    return {"\t": "tab"}.get(delimiter, repr(delimiter))


def did_you_mean(word: str, options: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``options``, or nothing."""
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
