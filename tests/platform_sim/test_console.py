"""The CLI's output on a Windows console: cp1251 (Russian Windows' ANSI code page, what a
redirected or piped console gets) and cp866 (the OEM code page of cmd.exe), set here with
PYTHONIOENCODING exactly as Windows sets the streams' encoding.

Every command prints the same text as on a UTF-8 terminal, except the characters the code
page lacks («», —, → in cp866), which become ``?``, and no command stops with a
UnicodeEncodeError half-way. One Python process runs the whole session per encoding (the
commands a user types in the README's order), so the three sessions stay quick.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ISSUE = "kak-ne-stat-zhertvoy-vorov-2"
SESSION = """
import sys
from publisher.cli import cli
from publisher.cli import tolerate_console_encoding
tolerate_console_encoding()  # what cli.main() does first, for this script's own lines too
for args in COMMANDS:
    for stream in (sys.stdout, sys.stderr):
        stream.write("=== " + " ".join(args) + "\\n")
        stream.flush()
    try:
        cli.main(args, prog_name="publisher")
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    sys.stdout.flush()
    sys.stderr.flush()
    sys.stdout.write(f"=== exit {code}\\n")
"""
COMMANDS = [
    ["--help"],
    ["init", "--help"],
    ["check"],
    ["render", ISSUE, "--out", "_render"],
    ["send", ISSUE, "--test", "anna@example.org", "--dry-run"],
    ["publish", ISSUE, "--yes"],
    ["status"],
    ["build", "--out", "_site"],
    ["render", "«нет такого»", "--out", "_render"],
    ["new", "Второй выпуск — «с кавычками» → и стрелкой", "--series", "upravlyay-ka",
     "--date", "2026-12-01"],
    ["check"],
]


def _folder(base: Path) -> Path:
    root = base / "рассылка"
    root.mkdir(parents=True)
    shutil.copy(ROOT / "newsletter.yaml", root)
    shutil.copytree(ROOT / "issues", root / "issues")
    return root


def _session(base: Path, encoding: str) -> tuple[str, str]:
    root = _folder(base)
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    result = subprocess.run([sys.executable, "-c", f"COMMANDS = {COMMANDS!r}\n{SESSION}"],
                            cwd=root, env=env, capture_output=True, check=False, timeout=300)
    out, err = result.stdout.decode(encoding), result.stderr.decode(encoding)
    assert result.returncode == 0, err
    return out, err


def _normal(text: str) -> str:
    """Without what differs between two runs: times, dates, counts of bytes, random ids."""
    text = re.sub(r"[0-9a-f]{12,}", "ID", text)
    return re.sub(r"\d+(?:\.\d+)?", "N", text)


@pytest.fixture(scope="module")
def utf8(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    return _session(tmp_path_factory.mktemp("utf8"), "utf-8")


@pytest.mark.parametrize("encoding", ["cp1251", "cp866"])
def test_cli_output_survives_a_windows_console(utf8, encoding: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out, err = _session(tmp_path, encoding)
    assert "UnicodeEncodeError" not in out + err and "Traceback" not in out + err
    # the session did real work, in Russian, and its commands failed only where expected
    assert out.count("=== exit 0") == len(COMMANDS) - 1, out + err
    assert "Требуется" in out and "Built" in out
    assert "Error: «нет такого»" in utf8[1]
    for mine, reference in ((out, utf8[0]), (err, utf8[1])):
        expected = reference.encode(encoding, errors="replace").decode(encoding)
        assert _normal(mine).splitlines() == _normal(expected).splitlines()


def test_the_code_pages_really_lack_characters_the_cli_prints(utf8) -> None:  # type: ignore[no-untyped-def]
    """Otherwise the test above would prove nothing: cp866 has no «» and no —."""
    text = utf8[0] + utf8[1]
    assert "«" in text and "—" in text
    with pytest.raises(UnicodeEncodeError):
        text.encode("cp866")
