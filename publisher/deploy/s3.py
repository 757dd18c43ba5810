"""The S3 target: object storage (Yandex Object Storage, AWS S3, MinIO) through boto3.

Each object gets its Content-Type and a Cache-Control by kind (``deploy.cache``): a year for
``static/`` (its URLs carry the file's version, ``?v=…``), a day for images under
``assets/``, minutes for pages, feeds and the search index. A PUT replaces an object whole,
so a visitor gets the old or the new page; a stage's objects are sent by a few threads at
once, and the next stage starts only when all of them are in.

Checksums: boto3 1.36+ adds CRC32 trailers to every upload by default, which several
S3-compatible services refuse; publisher asks for them only where the API requires one.
boto3 is an optional dependency: ``pip install 'publisher[s3]'``.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from publisher.deploy.manifest import MANIFEST, SiteFile
from publisher.deploy.secrets import Secrets
from publisher.deploy.settings import CacheHeaders, S3Target as S3Settings
from publisher.errors import PublisherError

THREADS = 8


class S3Target:
    def __init__(self, settings: S3Settings, cache: CacheHeaders, secrets: Secrets) -> None:
        try:
            import boto3
            from botocore.config import Config
        except ImportError:
            raise PublisherError("deploy.method 's3' needs boto3: pip install "
                                 "'publisher[s3]' (or pip install boto3)") from None
        self.settings = settings
        self.cache = cache
        self.secrets = secrets
        self.bucket = settings.bucket
        self.prefix = settings.prefix if not settings.prefix or settings.prefix.endswith("/") \
            else settings.prefix + "/"
        self.label = f"s3://{self.bucket}/{self.prefix}"
        access = secrets.get(settings.access_key_env)
        secret = secrets.get(settings.secret_key_env)
        if not access or not secret:
            missing = [n for n, v in ((settings.access_key_env, access),
                                      (settings.secret_key_env, secret)) if not v]
            raise PublisherError(f"deploy.method 's3': set the environment variable"
                                 f"{'s' if len(missing) > 1 else ''} {' and '.join(missing)} "
                                 "(deploy.s3.access_key_env, secret_key_env)")
        options: dict[str, Any] = {"retries": {"max_attempts": 5, "mode": "standard"},
                                   "max_pool_connections": THREADS * 2,
                                   "connect_timeout": 30, "read_timeout": 120}
        try:
            config = Config(**options, request_checksum_calculation="when_required",
                            response_checksum_validation="when_required")
        except TypeError:  # botocore before 1.36 has neither option (nor the problem)
            config = Config(**options)
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=settings.endpoint_url or None,
            region_name=settings.region or None, aws_access_key_id=access,
            aws_secret_access_key=secret, config=config)

    def _error(self, exc: Exception, what: str) -> PublisherError:
        from botocore.exceptions import ClientError

        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            detail = f"{error.get('Code', '?')}: {error.get('Message', '')}".rstrip(": ")
        else:
            detail = f"{type(exc).__name__}: {exc}"
        return PublisherError(self.secrets.redact(f"{self.label}: {what}: {detail}"))

    def read_manifest(self) -> bytes | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.prefix + MANIFEST)
            return answer["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise self._error(exc, "reading the deploy manifest") from None
        except BotoCoreError as exc:
            raise self._error(exc, "reading the deploy manifest") from None

    def _cache_control(self, f: SiteFile) -> str:
        return {"static": self.cache.static, "assets": self.cache.assets}.get(
            f.kind, self.cache.pages)

    def _put(self, site: Path, f: SiteFile) -> None:
        extra: dict[str, str] = {}
        if self.settings.acl:
            extra["ACL"] = self.settings.acl
        control = self._cache_control(f)
        if control:
            extra["CacheControl"] = control
        body = site.joinpath(*f.path.split("/")).read_bytes()
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + f.path, Body=body,
                               ContentType=f.content_type, **extra)

    def upload(self, site: Path, files: tuple[SiteFile, ...],
               done: Callable[[int], None]) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            futures = {pool.submit(self._put, site, f): f for f in files}
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for future in finished:
                    exc = future.exception()
                    if exc is not None:
                        for other in pending:
                            other.cancel()
                        if isinstance(exc, (ClientError, BotoCoreError, OSError)):
                            raise self._error(exc, f"uploading {futures[future].path}") \
                                from None
                        raise exc
                    done(1)

    def delete(self, paths: tuple[str, ...], dirs: list[str]) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        keys = [self.prefix + p for p in paths]
        for start in range(0, len(keys), 1000):  # the API's limit per request
            chunk = keys[start:start + 1000]
            try:
                answer = self.client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True})
            except (ClientError, BotoCoreError) as exc:
                raise self._error(exc, f"deleting {len(chunk)} objects") from None
            errors = answer.get("Errors") or []
            if errors:
                first = errors[0]
                raise PublisherError(self.secrets.redact(
                    f"{self.label}: deleting {first.get('Key')}: {first.get('Code')}: "
                    f"{first.get('Message', '')} ({len(errors)} objects not deleted)"))

    def write_manifest(self, data: bytes) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        extra = {"ACL": self.settings.acl} if self.settings.acl else {}
        try:
            self.client.put_object(Bucket=self.bucket, Key=self.prefix + MANIFEST, Body=data,
                                   ContentType="application/json", CacheControl="no-cache",
                                   **extra)
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, "writing the deploy manifest") from None

    def close(self) -> None:
        self.client.close()
