"""Exceptions raised by publisher, and where a problem was found.

Every error a user can cause is a :class:`PublisherError`; the CLI turns it into one
``Error: path:line: message`` line and exit code 1, never a traceback::

    PublisherError
     +-- ConfigError      newsletter.yaml is missing, malformed or invalid   (config.py)
     +-- IssueError       an issue file's front matter or Markdown is wrong   (load.py, render/)
     +-- TemplateError    a Jinja template does not parse or render          (render/templates.py)
     +-- SendError        an ESP or SMTP server refused or failed a send      (backends/)
     +-- LedgerError      the send ledger is unreadable or contradicts itself (ledger.py)

This module must not import click: the library is usable without the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Location:
    """A place in a file, printed as ``path:line`` (line is 1-based; None when unknown)."""

    path: Path | str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else f"{self.path}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input; several are collected before failing."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class ProblemReport(Protocol):
    """Anything that collects problems (``check``'s report): rules add to it, never raise."""

    errors: list[Problem]
    warnings: list[Problem]


#: exit codes a script can trust (README, "Exit codes")
EXIT_OK = 0  # done
EXIT_ERROR = 1  # an error; nothing was sent
EXIT_PARTIAL = 3  # sent, but some recipients were refused or deferred
EXIT_UNKNOWN = 4  # the outcome of a send is not known yet: run again later


class PublisherError(Exception):
    """Base of everything the CLI reports as a clean one-line error.

    Holds one or more :class:`Problem` so validation can report every problem at once.
    ``exit_code`` is what the CLI exits with.
    """

    exit_code = EXIT_ERROR

    def __init__(self, message: str | None = None, *, problems: list[Problem] | None = None,
                 hint: str | None = None) -> None:
        self.problems: list[Problem] = list(problems or [])
        self.hint = hint
        if message is None:
            message = "\n".join(str(p) for p in self.problems)
        super().__init__(message)

    @classmethod
    def at(cls, path: Path | str, line: int | None, message: str, **kwargs) -> PublisherError:
        """Build an error for a single problem at ``path:line``."""
        return cls(problems=[Problem(Location(path, line), message)], **kwargs)

    def lines(self) -> list[str]:
        """The lines to show a person: one per problem, plus the hint if any."""
        out = [str(p) for p in self.problems] or [str(self)]
        if self.hint:
            out.append(self.hint)
        return out


class ConfigError(PublisherError):
    """Raised by config.py when newsletter.yaml is missing, malformed, or fails validation."""


class IssueError(PublisherError):
    """Raised by load.py and render/ for a bad issue file (front matter, Markdown, images)."""


class TemplateError(PublisherError):
    """Raised by render/templates.py when a Jinja template fails to parse or render
    (StrictUndefined)."""


class SendError(PublisherError):
    """Raised by a backend when a send fails.

    ``retryable`` says whether the call provably did not execute, so repeating it is safe;
    ``ambiguous`` says the call may have executed (timeout, reset, 5xx): never resend blindly.
    """

    def __init__(self, message: str, *, backend: str = "", retryable: bool = False,
                 ambiguous: bool = False, provider_code: str | None = None,
                 hint: str | None = None) -> None:
        self.backend = backend
        self.retryable = retryable
        self.ambiguous = ambiguous
        self.provider_code = provider_code
        if ambiguous:
            self.exit_code = EXIT_UNKNOWN
        prefix = f"{backend}: " if backend else ""
        super().__init__(prefix + message, hint=hint)


class LedgerError(PublisherError):
    """Raised by ledger.py when the ledger is corrupt, hand-edited wrongly, or refuses a send."""


class OutcomeUnknown(LedgerError):
    """A send may or may not have gone out and is not settled yet: run again later."""

    exit_code = EXIT_UNKNOWN
