"""Helpers of the hostile-input tests: run the CLI as a user would, snapshot folders."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from click.testing import CliRunner, Result

from publisher.cli import cli


def invoke(root: Path, *args: str, input: str | None = None) -> Result:  # noqa: A002
    return CliRunner().invoke(cli, ["--project", str(root), *args], obj={}, input=input)


def error_lines(result: Result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("Error: ")]


def assert_clean_failure(result: Result, *expected: str) -> None:
    """Exit 1, handled (no traceback), and each ``expected`` text in some Error line."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # handled, no crash
    assert "Traceback" not in result.output
    assert "internal error" not in result.output, result.output
    lines = error_lines(result)
    assert lines, result.output
    for text in expected:
        assert any(text in line for line in lines), (text, result.output)


def snapshot(folder: Path, *, skip: tuple[Path, ...] = ()) -> dict[str, str]:
    """Every file and folder under ``folder`` with a hash of its bytes (folders: '/')."""
    out: dict[str, str] = {}
    skipped = tuple(str(p) for p in skip)
    for base, dirs, files in os.walk(folder):
        if base.startswith(skipped):
            dirs[:] = []
            continue
        for name in dirs:
            path = Path(base, name)
            if not str(path).startswith(skipped):
                out[str(path.relative_to(folder))] = "/"
        for name in files:
            path = Path(base, name)
            if not str(path).startswith(skipped):
                out[str(path.relative_to(folder))] = hashlib.sha1(path.read_bytes()).hexdigest()
    return out
