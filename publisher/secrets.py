"""Secrets come from the environment and never reach the terminal or a log.

The ESP may echo our request in its error text (a Sendsay error quoting the login request
holds the password), so masking the keys of our own requests is not enough: :func:`scrub`
removes the *values* of the secret environment variables from any text, and the CLI passes
everything it prints about an error through it, and installs :class:`ScrubFilter` on its log
handlers. Values shorter than :data:`MIN_LENGTH` are left alone (scrubbing every "a" would
garble the message and hide nothing).
"""

from __future__ import annotations

import json
import logging
import os
from urllib.parse import quote, quote_plus

#: the environment variables publisher reads credentials from (the backends' settings)
SECRET_ENV = ("SENDSAY_APIKEY", "SENDSAY_PASSWORD", "SMTP_PASSWORD")
MIN_LENGTH = 4
#: a multi-line secret (an SSH private key) is also masked line by line, lines this long
MIN_LINE_LENGTH = 6
MASK = "***"
#: names the config chooses (deploy credentials: ``deploy.rsync.key_env``...), added by
#: :func:`register` when they are read, so one scrubber covers every secret of the process
_REGISTERED: set[str] = set()


def register(name: str) -> None:
    """Treat the environment variable ``name`` as a secret from now on (see :func:`scrub`)."""
    if name:
        _REGISTERED.add(name)


def secret_values(environ: os._Environ[str] | dict[str, str] | None = None) -> list[str]:
    """The secret values set now, and the forms a request or an answer may quote them in
    (JSON-escaped, URL-encoded), longest first so a longer form is masked whole."""
    environ = os.environ if environ is None else environ
    values: set[str] = set()
    for name in (*SECRET_ENV, *sorted(_REGISTERED)):
        value = environ.get(name) or ""
        lines = [line.strip() for line in value.splitlines()] if "\n" in value else []
        for piece in (value, *(line for line in lines if len(line) >= MIN_LINE_LENGTH)):
            if len(piece) >= MIN_LENGTH:
                values.update((piece, json.dumps(piece)[1:-1], quote(piece, safe=""),
                               quote_plus(piece)))
    return sorted(values, key=len, reverse=True)


def scrub(text: str, environ: os._Environ[str] | dict[str, str] | None = None) -> str:
    """``text`` with every secret value (see :func:`secret_values`) replaced by ``***``."""
    for value in secret_values(environ):
        if value in text:
            text = text.replace(value, MASK)
    return text


class ScrubFilter(logging.Filter):
    """A log filter that scrubs the formatted message (and a traceback's text) of a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


def scrub_logging(logger: logging.Logger | None = None) -> None:
    """Install :class:`ScrubFilter` on every handler of ``logger`` (default: the root)."""
    logger = logger or logging.getLogger()
    for handler in logger.handlers:
        if not any(isinstance(f, ScrubFilter) for f in handler.filters):
            handler.addFilter(ScrubFilter())
