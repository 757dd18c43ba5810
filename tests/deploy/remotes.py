"""The three deploy targets, each real: a folder, an sshd on 127.0.0.1, an S3 server.

Each fixture yields a ``Remote``: the ``deploy:`` config and environment that reach it, and
ways to look at what is there independently of publisher (the files, and a stamp per file
that changes only when the file is written again: its inode, or S3's LastModified).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Callable

import pytest

from publisher.deploy.manifest import MANIFEST

SSHD = "/usr/sbin/sshd"


@dataclass
class Remote:
    name: str
    config: dict[str, Any]
    env: dict[str, str]
    read: Callable[[], dict[str, bytes]]  # every file at the target but the manifest
    stamps: Callable[[], dict[str, object]]
    manifest: Callable[[], bytes | None]
    extra: dict[str, Any] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}: "
                               f"{process.stderr.read() if process.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


def _walk(root: Path) -> dict[str, Path]:
    out = {}
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.name != MANIFEST:
                out[path.relative_to(root).as_posix()] = path
    return out


def _folder_remote(name: str, root: Path, config: dict, env: dict) -> Remote:
    return Remote(
        name, config, env,
        read=lambda: {p: f.read_bytes() for p, f in _walk(root).items()},
        stamps=lambda: {p: f.stat().st_ino for p, f in _walk(root).items()},
        manifest=lambda: (root / MANIFEST).read_bytes() if (root / MANIFEST).exists() else None,
        extra={"root": root})


@pytest.fixture
def folder_remote(tmp_path: Path) -> Remote:
    root = tmp_path / "public"
    return _folder_remote("folder", root, {"method": "folder", "folder": {"path": str(root)}},
                          {})


@pytest.fixture
def sshd(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A real OpenSSH server on 127.0.0.1 with its own config and a throwaway key pair."""
    if os.name != "posix" or os.geteuid() != 0:
        pytest.skip("the rsync test starts sshd, which needs root (CI runs as root)")
    missing = [p for p in (SSHD, shutil.which("rsync"), shutil.which("ssh-keygen"))
               if not p or not os.path.exists(p)]
    if missing:
        pytest.skip("openssh-server, openssh-client and rsync are not installed "
                    "(scripts/test installs them)")
    home = tmp_path / "sshd"
    home.mkdir()
    for name in ("host", "client"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"publisher-{name}",
                        "-f", str(home / name)], check=True)
    shutil.copy(home / "client.pub", home / "authorized_keys")
    port = free_port()
    (home / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {home / 'host'}\n"
        f"PidFile {home / 'sshd.pid'}\nAuthorizedKeysFile {home / 'authorized_keys'}\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
        "PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\nUseDNS no\n"
        "LogLevel ERROR\n")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation folder
    process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(home / "sshd_config")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(port, process, "sshd")
        host_key = (home / "host.pub").read_text().split()
        yield {"port": port, "key": (home / "client").read_text(),
               "known_hosts": f"[127.0.0.1]:{port} {host_key[0]} {host_key[1]}\n"}
    finally:
        # a deploy killed by a crash test leaves its shared ssh connection open: end the
        # server's side of it (this sshd's own children), which ends the client's too
        for child in _children(process.pid):
            with contextlib.suppress(OSError):
                os.kill(child, signal.SIGTERM)
        stop(process)


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(stat.parent.name))
    return out


@pytest.fixture
def rsync_remote(sshd, tmp_path: Path) -> Remote:  # type: ignore[no-untyped-def]
    root = tmp_path / "hosting" / "www" / "news"  # does not exist yet: the first deploy makes it
    config = {"method": "rsync",
              "rsync": {"destination": f"root@127.0.0.1:{root}", "port": sshd["port"],
                        "key_env": "TEST_DEPLOY_KEY", "known_hosts_env": "TEST_KNOWN_HOSTS"}}
    env = {"TEST_DEPLOY_KEY": sshd["key"], "TEST_KNOWN_HOSTS": sshd["known_hosts"]}
    remote = _folder_remote("rsync", root, config, env)
    remote.extra["sshd"] = sshd
    return remote


@pytest.fixture(scope="session")
def s3_server():  # type: ignore[no-untyped-def]
    """moto's standalone S3-compatible server on 127.0.0.1 (a real HTTP server); each test
    gets a bucket of its own."""
    pytest.importorskip("moto.server", reason="moto[server] is in the test extra")
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                "-p", str(port)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"})
    try:
        wait_for_port(port, process, "moto server")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


S3_ENV = {"TEST_S3_KEY": "AKIATESTPUBLISHER", "TEST_S3_SECRET": "s3cr3t-publisher-test-key"}


def s3_client(endpoint: str):  # type: ignore[no-untyped-def]
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name="ru-central1",
                        aws_access_key_id=S3_ENV["TEST_S3_KEY"],
                        aws_secret_access_key=S3_ENV["TEST_S3_SECRET"])


_buckets = itertools.count(1)


@pytest.fixture
def s3_remote(s3_server: str) -> Remote:
    client = s3_client(s3_server)
    bucket = f"news-archive-{next(_buckets)}"
    client.create_bucket(Bucket=bucket,
                         CreateBucketConfiguration={"LocationConstraint": "ru-central1"})
    prefix = "rassylki/"

    def keys() -> list[str]:
        out = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                                     Prefix=prefix):
            out += [o["Key"] for o in page.get("Contents", [])]
        return [k for k in out if not k.endswith(MANIFEST)]

    def read() -> dict[str, bytes]:
        return {k[len(prefix):]: client.get_object(Bucket=bucket, Key=k)["Body"].read()
                for k in keys()}

    def stamps() -> dict[str, object]:
        out = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                                     Prefix=prefix):
            for o in page.get("Contents", []):
                out[o["Key"][len(prefix):]] = o["LastModified"]
        out.pop(MANIFEST, None)
        return out

    def manifest() -> bytes | None:
        try:
            return client.get_object(Bucket=bucket, Key=prefix + MANIFEST)["Body"].read()
        except client.exceptions.NoSuchKey:
            return None

    config = {"method": "s3",
              "s3": {"bucket": bucket, "prefix": prefix, "endpoint_url": s3_server,
                     "region": "ru-central1", "access_key_env": "TEST_S3_KEY",
                     "secret_key_env": "TEST_S3_SECRET"}}
    return Remote("s3", config, dict(S3_ENV), read, stamps, manifest,
                  extra={"client": client, "bucket": bucket, "prefix": prefix})
