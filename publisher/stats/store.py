"""The statistics history: ``.publisher/stats.sqlite``.

``links`` and ``link_history`` do the same for clicks per link (Sendsay sends only).

``sends`` holds the latest numbers of each real send (one row per ledger send and, for
Sendsay, per ESP issue id); ``history`` gets a row only when a send's numbers differ from its
last history row, so syncing twice in a row changes nothing (idempotent) while a later sync
that sees more opens adds a point to the trend.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import astuple, dataclass, fields
from pathlib import Path

from publisher.config import Project
from publisher.errors import PublisherError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sends (
    send TEXT PRIMARY KEY, issue TEXT NOT NULL, series TEXT NOT NULL, title TEXT NOT NULL,
    backend TEXT NOT NULL, sent_at TEXT NOT NULL, recipients INTEGER, delivered INTEGER,
    bounced INTEGER, deferred INTEGER, opens INTEGER, clicks INTEGER, unsubscribes INTEGER,
    synced_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS history (
    send TEXT NOT NULL, synced_at TEXT NOT NULL, recipients INTEGER, delivered INTEGER,
    bounced INTEGER, deferred INTEGER, opens INTEGER, clicks INTEGER, unsubscribes INTEGER,
    PRIMARY KEY (send, synced_at));
CREATE TABLE IF NOT EXISTS links (
    send TEXT NOT NULL, url TEXT NOT NULL, clicks INTEGER NOT NULL, synced_at TEXT NOT NULL,
    PRIMARY KEY (send, url));
CREATE TABLE IF NOT EXISTS link_history (
    send TEXT NOT NULL, url TEXT NOT NULL, synced_at TEXT NOT NULL, clicks INTEGER NOT NULL,
    PRIMARY KEY (send, url, synced_at));
"""
NUMBERS = ("recipients", "delivered", "bounced", "deferred", "opens", "clicks", "unsubscribes")


@dataclass(frozen=True)
class SendStats:
    """One real send and what is known of it (None: the backend cannot know)."""

    send: str  # stable id: "sendsay:<esp issue id>" or "ledger:<ledger id>"
    issue: str  # series/slug
    series: str
    title: str
    backend: str
    sent_at: str  # ISO timestamp
    recipients: int | None
    delivered: int | None
    bounced: int | None
    deferred: int | None
    opens: int | None  # unique
    clicks: int | None  # unique
    unsubscribes: int | None
    synced_at: str = ""

    def numbers(self) -> tuple[int | None, ...]:
        return tuple(getattr(self, name) for name in NUMBERS)

    def rate(self, name: str) -> float | None:
        """``opens`` or ``clicks`` as a percentage of delivered (None when unknown)."""
        value = getattr(self, name)
        if value is None or not self.delivered:
            return None
        return 100 * value / self.delivered


@contextlib.contextmanager
def readable_store(path: Path, project: Project) -> Iterator[None]:
    """SQLite's errors about ``path`` as one line each: the OS's (locked, read-only, full)
    with their fix, and a damaged file named as such. The file holds the history the ESP
    may no longer have, so it is never replaced behind the author's back."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        from publisher.oserrors import sqlite_failure

        raise sqlite_failure(exc, path, project.root) from None
    except sqlite3.DatabaseError as exc:
        raise PublisherError.at(project.relative(path), None, f"cannot read the statistics "
                                f"store ({exc}): the file is damaged. Restore it from a backup, "
                                "or move it aside and run `publisher stats` again to start a "
                                "new history from what the ESP still keeps") from None


class StatsStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> StatsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def put(self, stats: SendStats) -> bool:
        """Store the latest numbers; True if they differ from the last ones recorded."""
        last = self.db.execute(
            f"SELECT {', '.join(NUMBERS)} FROM history WHERE send = ? "
            "ORDER BY synced_at DESC LIMIT 1", (stats.send,)).fetchone()
        changed = last is None or tuple(last) != stats.numbers()
        marks = ", ".join("?" * len(fields(SendStats)))
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute(f"INSERT OR REPLACE INTO sends VALUES ({marks})", astuple(stats))
            if changed:
                marks = ", ".join("?" * (2 + len(NUMBERS)))
                self.db.execute(f"INSERT OR REPLACE INTO history VALUES ({marks})",
                                (stats.send, stats.synced_at, *stats.numbers()))
        return changed

    def sends(self, *, series: str | None = None, since: str | None = None) -> list[SendStats]:
        query, args = "SELECT * FROM sends WHERE 1", []
        if series:
            query += " AND series = ?"
            args.append(series)
        if since:
            query += " AND substr(sent_at, 1, 10) >= ?"
            args.append(since)
        rows = self.db.execute(query + " ORDER BY sent_at, send", args).fetchall()
        return [SendStats(*row) for row in rows]

    def put_links(self, send: str, clicks: dict[str, int], stamp: str) -> bool:
        """Store the latest clicks per link of ``send``; True if any differs from its last
        history point (a link seen for the first time counts as a change)."""
        last = dict(self.db.execute(
            "SELECT url, clicks FROM links WHERE send = ?", (send,)).fetchall())
        changed = [(url, n) for url, n in sorted(clicks.items()) if last.get(url) != n]
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM links WHERE send = ?", (send,))
            self.db.executemany("INSERT INTO links VALUES (?, ?, ?, ?)",
                                [(send, url, n, stamp) for url, n in sorted(clicks.items())])
            self.db.executemany("INSERT OR REPLACE INTO link_history VALUES (?, ?, ?, ?)",
                                [(send, url, stamp, n) for url, n in changed])
        return bool(changed)

    def links(self, sends: list[str]) -> list[tuple[str, str, int]]:
        """``(send, url, clicks)`` of the given sends, most clicked first."""
        rows: list[tuple[str, str, int]] = []
        for start in range(0, len(sends), 500):
            chunk = sends[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            rows += self.db.execute(f"SELECT send, url, clicks FROM links WHERE send IN "
                                    f"({marks})", chunk).fetchall()
        return sorted(rows, key=lambda row: (-row[2], row[1], row[0]))

    def history_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM history").fetchone()[0])
