"""Delivery backends by name: ``get_backend("smtp", host=..., ...)``.

Like Django's email backends: small classes that receive finished messages and never render.
:func:`backend_for` builds one from ``newsletter.yaml`` (``esp.*``) and the environment.
"""

from __future__ import annotations

import importlib
from typing import Any

from publisher.backends.base import BaseBackend
from publisher.config import Project
from publisher.errors import ConfigError

#: name -> "module:Class"; imported on demand so `outbox` never pays for requests/smtplib
REGISTRY: dict[str, str] = {
    "outbox": "publisher.backends.outbox:OutboxBackend",
    "smtp": "publisher.backends.smtp:SmtpBackend",
    "sendsay": "publisher.backends.sendsay:SendsayBackend",
    "locmem": "publisher.backends.locmem:LocmemBackend",
    "console": "publisher.backends.console:ConsoleBackend",
}


def backend_class(name: str) -> type[BaseBackend]:
    """The class registered as ``name``; an unknown name is an error listing the known ones."""
    try:
        target = REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown backend {name!r} (allowed: {', '.join(REGISTRY)})") from None
    module, _, cls = target.partition(":")
    return getattr(importlib.import_module(module), cls)


def get_backend(name: str, **options: Any) -> BaseBackend:
    """An instance of backend ``name``; unknown options are errors listing the allowed ones."""
    return backend_class(name)(**options)


def backend_for(project: Project, name: str | None = None, **overrides: Any) -> BaseBackend:
    """The backend ``name`` (default: ``esp.backend``) configured from newsletter.yaml + env."""
    name = name or project.settings.esp.backend
    cls = backend_class(name)
    options = cls.options_from(project) if hasattr(cls, "options_from") else {}
    return cls(**{**options, **overrides})
