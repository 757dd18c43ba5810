"""The README's two commands on every platform: ``python -m publisher.dev quickstart|test``.

``scripts/quickstart`` and ``scripts/test`` (bash) call this module, so Linux, macOS and
Windows (PowerShell: ``py -m publisher.dev test``) run the same steps. Standard library only:
it runs with the system's Python before ``.venv`` exists, creates it, and then runs
everything with the ``.venv`` interpreter.

* ``setup``       create ``.venv`` and install publisher with its test extra (idempotent:
  reinstalls only when pyproject.toml is newer than the last install);
* ``quickstart``  set up, then the main job on the sample newsletter: check, render the
  sample issue, publish it through the local outbox (safe to repeat), build the archive;
* ``test [ARGS]`` set up, then pytest. Without ARGS: the whole suite, then the end-to-end
  tests again with macOS/Windows simulated (tests/platform_sim: no ``sched_getaffinity``,
  only the ``spawn`` start method, no ``fcntl``; and a warning made an error for any file
  our code opens in text mode without naming its encoding). ``test --simulated [ARGS]``
  runs only the simulated pass (ARGS default: the end-to-end tests).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
STAMP = VENV / ".publisher-installed"
SAMPLE_ISSUE = "kak-ne-stat-zhertvoy-vorov-2"
SIM_PATH = ROOT / "tests" / "platform_sim"
#: the end-to-end tests run a second time under the platform simulation: the CLI, build,
#: serve, send (ledger lock), course (run lock, roster CSV) and the console-encoding tests
SIMULATED_TESTS = (
    "tests/test_smoke.py",
    "tests/cli",
    "tests/archive/test_cli.py",
    "tests/archive/test_build.py",
    "tests/archive/test_serve.py",
    "tests/sending/test_send_cli.py",
    "tests/sending/test_ledger.py",
    "tests/course/test_roster.py",
    "tests/course/test_smtp_course.py",
    "tests/course/test_reliability.py::test_two_runs_at_once_one_sends_the_other_is_locked",
    "tests/course/test_reliability.py::test_locked_run_says_so_and_dry_run_still_works",
    "tests/platform_sim/test_simulation.py::test_the_simulated_pass_is_simulated",
    "tests/platform_sim/test_simulation.py::test_ledger_lock_is_released_when_the_holder_dies",
    "tests/test_subscriber_csv.py",
    "tests/platform_sim/test_console.py",
)


def venv_python() -> Path:
    """The interpreter inside ``.venv`` (``Scripts\\python.exe`` on Windows)."""
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def venv_command(name: str) -> Path:
    """A console script installed into ``.venv`` (``publisher``), as the user would type it."""
    if os.name == "nt":
        return VENV.relative_to(ROOT) / "Scripts" / f"{name}.exe"
    return VENV.relative_to(ROOT) / "bin" / name


def setup() -> Path:
    """Create ``.venv`` and install ``publisher[test]`` into it; return its Python."""
    python = venv_python()
    if not python.exists():
        _run([sys.executable, "-m", "venv", str(VENV)])
    pyproject = ROOT / "pyproject.toml"
    if not STAMP.exists() or pyproject.stat().st_mtime > STAMP.stat().st_mtime:
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        _run([*pip, "--upgrade", "pip"])
        _run([*pip, "-e", ".[test]"])
        STAMP.touch()
    return python


def quickstart() -> int:
    python = setup()
    publisher = [str(python), "-m", "publisher"]
    render = Path("_render")
    _run([*publisher, "check"])
    _run([*publisher, "render", SAMPLE_ISSUE, "--out", str(render)])
    _run([*publisher, "publish", SAMPLE_ISSUE, "--yes"])
    _run([*publisher, "build", "--out", "_site"])
    html = render / f"{SAMPLE_ISSUE}.html"
    rows = [
        (str(html), "the email as sent (open in a browser), .txt and .eml beside it"),
        (f"outbox{os.sep}", 'the message the local outbox "sent" (open the .eml in a mail '
                            "program)"),
        (f"_site{os.sep}", "the web archive (its links start at /rassylki/, as on the real "
                           "site):"),
        ("", f"preview it with {venv_command('publisher')} serve, then open"),
        ("", "http://127.0.0.1:8000/rassylki/"),
    ]
    width = max(len(name) for name, _ in rows) + 2
    print("\nDone. Look at:")
    for name, what in rows:
        print(f"  {name:<{width}}{what}")
    return 0


def simulated_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a process that simulates macOS/Windows (tests/platform_sim)."""
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(SIM_PATH), env.get("PYTHONPATH", "")) if p)
    env["PYTHONWARNDEFAULTENCODING"] = "1"  # pyproject makes ours an error in the tests
    return env


def test(args: Sequence[str]) -> int:
    python = setup()
    pytest = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    args = list(args)
    if args[:1] == ["--simulated"]:
        return _simulated(pytest, args[1:] or list(SIMULATED_TESTS))
    code = subprocess.call([*pytest, *args], cwd=ROOT)
    if code or args:
        return code
    return _simulated(pytest, list(SIMULATED_TESTS))


def _simulated(pytest: list[str], args: list[str]) -> int:
    print("\nThe end-to-end tests again, with macOS/Windows simulated (tests/platform_sim):",
          flush=True)
    return subprocess.call([*pytest, *args], cwd=ROOT, env=simulated_env())


def _run(command: Sequence[str]) -> None:
    result = subprocess.run(list(command), cwd=ROOT, check=False)
    if result.returncode:
        raise SystemExit(result.returncode)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"setup": lambda: (setup(), 0)[1], "quickstart": quickstart,
                "test": lambda: test(argv[1:])}
    if not argv or argv[0] not in commands:
        print(__doc__.strip())
        print("\nusage: python -m publisher.dev setup | quickstart | test [--simulated] "
              "[PYTEST ARGS]", file=sys.stderr)
        return 2
    return commands[argv[0]]()


if __name__ == "__main__":
    sys.exit(main())
