"""``deploy.invalidate``: tell a CDN which pages changed, once the new files are in place.

A URL gets one POST of ``{"paths": [...]}`` (JSON), with ``Authorization: Bearer <token>``
when ``deploy.invalidate_token_env`` names a variable. Anything else is a command, split like
a shell line but run without a shell: an argument ``{paths}`` becomes the paths (for
``aws cloudfront create-invalidation --paths {paths}``), otherwise they arrive on its standard
input, one per line. A failure here is reported, but the site is already deployed.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from publisher.deploy.secrets import Secrets
from publisher.errors import PublisherError

_NOTE = "the site itself is deployed; refresh the CDN by hand or deploy again"


def call_hook(hook: str, urls: list[str], secrets: Secrets, *, token_env: str,
              cwd: Path) -> None:
    parts = urlsplit(hook)
    if parts.scheme in ("http", "https") and parts.netloc and " " not in hook:
        _post(hook, urls, secrets, token_env)
    else:
        _command(hook, urls, secrets, cwd)


def _post(url: str, urls: list[str], secrets: Secrets, token_env: str) -> None:
    import requests

    headers = {}
    token = secrets.get(token_env)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    where = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"  # a query may hold a token
    try:
        answer = requests.post(url, json={"paths": urls}, headers=headers, timeout=60)
    except requests.RequestException as exc:
        raise PublisherError(f"deploy.invalidate: {where} cannot be reached "
                             f"({secrets.redact(type(exc).__name__)})", hint=_NOTE) from None
    if answer.status_code >= 300:
        raise PublisherError(f"deploy.invalidate: {where} answered {answer.status_code}",
                             hint=_NOTE)


def _command(hook: str, urls: list[str], secrets: Secrets, cwd: Path) -> None:
    try:
        args = shlex.split(hook, posix=sys.platform != "win32")
    except ValueError as exc:
        raise PublisherError(f"deploy.invalidate: cannot read the command ({exc})") from None
    stdin = None
    if "{paths}" in args:
        index = args.index("{paths}")
        args[index:index + 1] = urls
    else:
        stdin = "".join(f"{u}\n" for u in urls)
    try:
        result = subprocess.run(args, input=stdin, capture_output=True, text=True,
                                encoding="utf-8", errors="replace", cwd=cwd,
                                timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PublisherError(f"deploy.invalidate: {args[0]}: "
                             f"{secrets.redact(str(getattr(exc, 'strerror', None) or exc))}",
                             hint=_NOTE) from None
    if result.returncode != 0:
        last = (result.stderr or result.stdout).strip().splitlines()[-1:] or [""]
        raise PublisherError(f"deploy.invalidate: {args[0]} exited with {result.returncode}: "
                             f"{secrets.redact(last[0])}", hint=_NOTE)
