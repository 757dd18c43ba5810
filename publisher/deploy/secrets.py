"""Deploy credentials: read from the environment variables the config names, never shown.

Every name read here joins publisher.secrets' scrubber (:func:`publisher.secrets.register`),
so any message about a failure (an rsync or S3 error text, a hook's output), a log record
or the CLI's last-resort error line loses the value, in its raw, JSON-escaped and URL-encoded
forms and, for a multi-line SSH key, line by line.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from publisher.deploy.settings import DeploySettings
from publisher.errors import Location, Problem, PublisherError
from publisher.secrets import register, scrub


class Secrets:
    def __init__(self, names: tuple[str, ...]) -> None:
        for name in names:
            register(name)

    @classmethod
    def of(cls, settings: DeploySettings) -> Secrets:
        return cls((settings.rsync.key_env, settings.s3.access_key_env,
                    settings.s3.secret_key_env, settings.invalidate_token_env))

    def get(self, name: str) -> str:
        """The value of ``name`` ('' when unset); ``name`` joins the redacted ones."""
        register(name)
        return os.environ.get(name, "") if name else ""

    def redact(self, text: str) -> str:
        return scrub(text)

    @contextlib.contextmanager
    def redacting(self) -> Iterator[None]:
        """Errors leaving this block carry no secret, whoever wrote their text."""
        try:
            yield
        except PublisherError as exc:
            problems = [Problem(Location(p.location.path, p.location.line),
                                self.redact(p.message)) for p in exc.problems]
            hint = self.redact(exc.hint) if exc.hint else None
            if problems:
                raise PublisherError(problems=problems, hint=hint) from None
            raise PublisherError(self.redact(str(exc)), hint=hint) from None
