"""The rsync target: a folder on an SSH server (shared hosting), through the system's rsync.

One rsync call per stage, each given exactly the files of its stage (``--files-from``), so
the order of the plan holds on the server: assets, pages, lists, then deletions
(``--delete-missing-args``: a listed path that the built site lacks is deleted there), then
the manifest. ``--delay-updates`` moves a stage's files into place together at its end.
Nothing asks questions: ``BatchMode`` makes ssh fail instead of prompting, and the host key
is always checked, against ``deploy.rsync.known_hosts_env`` when it names a set variable.

Needs rsync 3.2.3 or newer on this machine (``--mkpath``); macOS ships 2.6.9, so install
Homebrew's. The server needs an rsync too (every shared host with SSH has one).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from publisher.deploy.manifest import MANIFEST, SiteFile
from publisher.deploy.secrets import Secrets
from publisher.deploy.settings import RsyncTarget as RsyncSettings
from publisher.errors import PublisherError

MINIMUM = (3, 2, 3)
_VANISHED = 24  # "some files vanished": what --delete-missing-args reports for deleted paths
_SSH_HINT = ("ssh could not log in or connect: check deploy.rsync.destination and port, the "
             "key in the variable deploy.rsync.key_env names, and the host key "
             "(known_hosts_env)")


def _quote(arg: str) -> str:
    """Quote one word of rsync's -e command line (rsync splits it like a simple shell)."""
    if re.fullmatch(r"[A-Za-z0-9_./=:@%+-]+", arg):
        return arg
    return "'" + arg.replace("'", "'\\''") + "'"


class RsyncTarget:
    def __init__(self, settings: RsyncSettings, secrets: Secrets) -> None:
        self.settings = settings
        self.secrets = secrets
        destination = settings.destination
        self.destination = destination if destination.endswith(("/", ":")) else destination + "/"
        self.label = destination
        self.rsync = shutil.which("rsync")
        if self.rsync is None:
            raise PublisherError("deploy.method 'rsync' needs the rsync program, which is not "
                                 "installed (Debian: apt install rsync; macOS: brew install "
                                 "rsync)")
        self._check_version()
        self._tmp = Path(tempfile.mkdtemp(prefix="publisher-deploy-"))
        self._control: list[str] = []
        self.ssh = self._ssh_command()

    def _check_version(self) -> None:
        result = subprocess.run([self.rsync, "--version"], capture_output=True, text=True,
                                encoding="utf-8", errors="replace",
                                check=False)
        match = re.search(r"version\s+(\d+)\.(\d+)\.(\d+)", result.stdout)
        found = tuple(int(x) for x in match.groups()) if match else (0, 0, 0)
        if found < MINIMUM:
            raise PublisherError(f"deploy.method 'rsync' needs rsync {'.'.join(map(str, MINIMUM))}"
                                 f" or newer; {self.rsync} is "
                                 f"{'.'.join(map(str, found)) if match else 'unknown'} "
                                 "(macOS: brew install rsync)")

    def _secret_file(self, name: str, text: str) -> Path:
        path = self._tmp / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text.strip() + "\n")
        return path

    def _ssh_command(self) -> str:
        args = ["ssh", "-p", str(self.settings.port), "-o", "BatchMode=yes",
                "-o", "ConnectTimeout=30", "-o", "StrictHostKeyChecking=yes"]
        if os.name == "posix":  # one SSH login for all the stages (Windows' ssh cannot)
            args += ["-o", "ControlMaster=auto", "-o", f"ControlPath={self._tmp / 'control'}",
                     "-o", "ControlPersist=120"]
            self._control = list(args)
        key = self.secrets.get(self.settings.key_env)
        if key:
            args += ["-i", str(self._secret_file("key", key)), "-o", "IdentitiesOnly=yes"]
        known = os.environ.get(self.settings.known_hosts_env, "") \
            if self.settings.known_hosts_env else ""
        if known:
            args += ["-o", f"UserKnownHostsFile={self._secret_file('known_hosts', known)}"]
        return " ".join(_quote(a) for a in args)

    def _run(self, args: list[str], what: str,
             ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
        command = [self.rsync, "-e", self.ssh, *args]
        try:
            result = subprocess.run(command, capture_output=True, text=True,
                                    encoding="utf-8", errors="replace", check=False,
                                    stdin=subprocess.DEVNULL, timeout=3600)
        except subprocess.TimeoutExpired:
            raise PublisherError(f"{self.label}: {what}: rsync took over an hour; "
                                 "stopped") from None
        if result.returncode not in ok:
            self._fail(result, what)
        return result

    def _fail(self, result: subprocess.CompletedProcess, what: str) -> None:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        # ssh's own words ("Permission denied (publickey)") say more than rsync's summary
        ssh = [line for line in lines if not line.startswith("rsync")]
        detail = self.secrets.redact("; ".join((ssh or lines)[-2:]) or "no message")
        hint = _SSH_HINT if ssh or result.returncode == 255 else None
        raise PublisherError(f"{self.label}: {what}: rsync exited with {result.returncode}: "
                             f"{detail}", hint=hint)

    def _list(self, name: str, paths: list[str]) -> str:
        path = self._tmp / name
        path.write_bytes(b"".join(p.encode("utf-8") + b"\0" for p in paths))
        return str(path)

    def read_manifest(self) -> bytes | None:
        into = self._tmp / "remote"
        into.mkdir(exist_ok=True)
        result = self._run([self.destination + MANIFEST, str(into) + "/"],
                           "reading the deploy manifest", ok=(0, 23))
        if result.returncode == 23:
            if "No such file or directory" in result.stderr:
                return None  # a first deploy (or the folder does not exist yet)
            self._fail(result, "reading the deploy manifest")
        return (into / MANIFEST).read_bytes()

    def upload(self, site: Path, files: tuple[SiteFile, ...],
               done: Callable[[int], None]) -> None:
        listing = self._list("upload", [f.path for f in files])
        self._run([f"--files-from={listing}", "--from0", "--times", "--perms",
                   "--chmod=D0755,F0644", "--ignore-times", "--delay-updates", "--mkpath",
                   str(site) + "/", self.destination], f"uploading {len(files)} files")
        done(len(files))

    def delete(self, paths: tuple[str, ...], dirs: list[str]) -> None:
        empty = self._tmp / "empty"
        empty.mkdir(exist_ok=True)  # every listed path is "missing" here, so it is deleted
        # folders go in a second pass, once their files are gone; a folder that still holds
        # somebody else's file is left (rsync then reports 23, which is not a failure here)
        passes = (("delete", list(paths), [], (0, _VANISHED)),
                  ("rmdir", dirs, ["--dirs"], (0, 23, _VANISHED)))
        for name, batch, extra, ok in passes:
            if not batch:
                continue
            listing = self._list(name, batch)
            self._run([f"--files-from={listing}", "--from0", "--delete-missing-args",
                       "--no-implied-dirs", *extra, str(empty) + "/", self.destination],
                      f"deleting {len(batch)} {'files' if name == 'delete' else 'folders'}",
                      ok=ok)

    def write_manifest(self, data: bytes) -> None:
        folder = self._tmp / "manifest"
        folder.mkdir(exist_ok=True)
        (folder / MANIFEST).write_bytes(data)
        self._run(["--times", "--perms", "--chmod=F0644", "--mkpath",
                   str(folder / MANIFEST), self.destination], "writing the deploy manifest")

    def close(self) -> None:
        if self._control:  # end the shared connection's background process
            host = self.settings.destination.rsplit(":", 1)[0]
            subprocess.run([*self._control, "-O", "exit", host], capture_output=True,
                           stdin=subprocess.DEVNULL, timeout=30, check=False)
        shutil.rmtree(self._tmp, ignore_errors=True)
