"""``deploy:`` in newsletter.yaml: where ``publisher deploy`` puts the built archive.

Kept beside the deploy code and imported by publisher.config into ``Settings`` (one field),
so the config module only names the section. Credentials are never settings: the config names
the environment variables that hold them, and the CI fills those from its secret store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from publisher.schema import doc

_ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# user@host:path, host:path, or an rsync daemon-free local path is not allowed here
_RSYNC_DEST_RE = re.compile(r"(?:[^@\s:/]+@)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\S*")


def _env_name(value: str) -> str | None:
    if not value or _ENV_NAME_RE.fullmatch(value):
        return None
    return f"must be the name of an environment variable (letters, digits, _), got {value!r}"


def _rsync_destination(value: str) -> str | None:
    if not value or _RSYNC_DEST_RE.fullmatch(value):
        return None
    return f"must be user@host:path (e.g. 'u1234@u1234.ftp.example.ru:www/news/'), got {value!r}"


def _bucket(value: str) -> str | None:
    if not value or re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", value):
        return None
    return f"must be an S3 bucket name (3-63 lowercase letters, digits, '.', '-'), got {value!r}"


def _url_or_empty(value: str) -> str | None:
    parts = urlsplit(value)
    if not value or (parts.scheme in ("http", "https") and parts.netloc):
        return None
    return f"must be an absolute http(s) URL, got {value!r}"


def _prefix(value: str) -> str | None:
    if value.startswith("/") or ".." in value.split("/"):
        return f"must be a relative key prefix such as 'news/' (no leading '/', no '..'), got " \
               f"{value!r}"
    return None


@dataclass(frozen=True)
class FolderTarget:
    """A folder another program serves or uploads (any static host)."""

    path: str = field(default="", metadata=doc(
        "The folder that receives the site (relative to the newsletter folder or absolute)."))


@dataclass(frozen=True)
class RsyncTarget:
    """A folder on an SSH server (shared hosting), through the system's rsync and ssh."""

    destination: str = field(default="", metadata=doc(
        "user@host:path of the site's folder on the server.", _rsync_destination))
    port: int = field(default=22, metadata=doc("SSH port."))
    key_env: str = field(default="DEPLOY_SSH_KEY", metadata=doc(
        "Environment variable holding the private key (its text); unset: ssh's own keys and "
        "agent.", _env_name))
    known_hosts_env: str = field(default="DEPLOY_SSH_KNOWN_HOSTS", metadata=doc(
        "Environment variable holding the server's known_hosts line(s); unset: "
        "~/.ssh/known_hosts. The host key is always checked.", _env_name))


@dataclass(frozen=True)
class S3Target:
    """S3-compatible object storage (Yandex Object Storage, AWS S3, MinIO) through boto3."""

    bucket: str = field(default="", metadata=doc("Bucket name.", _bucket))
    prefix: str = field(default="", metadata=doc(
        "Key prefix of the site inside the bucket, e.g. 'rassylki/'; empty: the bucket's root.",
        _prefix))
    endpoint_url: str = field(default="", metadata=doc(
        "S3 API address; empty: AWS. Yandex: https://storage.yandexcloud.net", _url_or_empty))
    region: str = field(default="", metadata=doc(
        "Region, e.g. 'ru-central1' (Yandex) or 'eu-central-1'; empty: us-east-1."))
    access_key_env: str = field(default="AWS_ACCESS_KEY_ID", metadata=doc(
        "Environment variable holding the access key id.", _env_name))
    secret_key_env: str = field(default="AWS_SECRET_ACCESS_KEY", metadata=doc(
        "Environment variable holding the secret access key.", _env_name))
    acl: str = field(default="", metadata=doc(
        "Canned ACL for every object, e.g. 'public-read'; empty: the bucket's policy decides."))


@dataclass(frozen=True)
class CacheHeaders:
    """Cache-Control per kind of file (object storage only; other hosts: the web server's)."""

    static: str = field(default="public, max-age=31536000, immutable", metadata=doc(
        "static/ (stylesheet, script: their URLs carry a version, so browsers may keep them "
        "a year)."))
    assets: str = field(default="public, max-age=86400", metadata=doc(
        "assets/ (images of issues)."))
    pages: str = field(default="public, max-age=300", metadata=doc(
        "Pages, feeds, the sitemap and the search index: short, so an edit shows soon."))


@dataclass(frozen=True)
class DeploySettings:
    """Where ``publisher deploy`` puts the archive that ``publisher build`` wrote."""

    method: Literal["none", "folder", "rsync", "s3"] = field(default="none", metadata=doc(
        "'folder', 'rsync' (SSH), 's3' (object storage), or 'none' (e.g. GitHub Pages, which "
        "the CI workflow publishes itself)."))
    folder: FolderTarget = field(default_factory=FolderTarget, metadata=doc("Folder target."))
    rsync: RsyncTarget = field(default_factory=RsyncTarget, metadata=doc("rsync over SSH."))
    s3: S3Target = field(default_factory=S3Target, metadata=doc("S3-compatible storage."))
    cache: CacheHeaders = field(default_factory=CacheHeaders, metadata=doc(
        "Cache-Control headers (s3)."))
    invalidate: str = field(default="", metadata=doc(
        "After a deploy that changed or deleted files: a URL to POST the changed paths to "
        "(JSON), or a command; '{paths}' in the command becomes the paths, else they come on "
        "its standard input, one per line. For CDN caches (CloudFront, Yandex CDN)."))
    invalidate_token_env: str = field(default="", metadata=doc(
        "Environment variable with a bearer token sent to the invalidate URL.", _env_name))
