"""Deploy credentials: read from the environment variables the config names, never shown.

Every value read here is remembered, so any message about a failure (an rsync or S3 error
text, a hook's output) passes through :meth:`Secrets.redact` before a person sees it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from publisher.deploy.settings import DeploySettings
from publisher.errors import Location, Problem, PublisherError


class Secrets:
    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = tuple(n for n in names if n)

    @classmethod
    def of(cls, settings: DeploySettings) -> Secrets:
        return cls((settings.rsync.key_env, settings.s3.access_key_env,
                    settings.s3.secret_key_env, settings.invalidate_token_env))

    def get(self, name: str) -> str:
        """The value of ``name`` ('' when unset); ``name`` joins the redacted ones."""
        if name and name not in self.names:
            self.names += (name,)
        return os.environ.get(name, "") if name else ""

    def redact(self, text: str) -> str:
        for name in self.names:
            value = os.environ.get(name, "")
            for piece in (value, *value.splitlines()):  # a key's lines, one by one too
                if len(piece.strip()) >= 6:
                    text = text.replace(piece.strip(), "***")
        return text

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
