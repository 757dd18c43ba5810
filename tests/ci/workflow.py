"""Run a GitHub Actions workflow's steps the way the runner does, on this machine.

Only what publisher's own workflow uses: ``run:`` steps under ``bash -eo pipefail``, each
with its ``env:`` (``${{ secrets.X }}`` and ``${{ vars.X }}`` filled from the dicts given),
``if:`` conditions from a fixed table (an unknown one fails the test, so a new condition
gets a decision here), and ``uses:`` steps skipped (checkout is the clone the test made,
setup-python is this virtualenv). The install step is skipped too: publisher is on PATH.
``actions/cache`` is played as the runner does, with a folder as the cache store: the step
restores the saved ``path`` (if any), and the job's end saves it again when every step
passed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

VENV_BIN = Path(sys.executable).parent
_EXPR = re.compile(r"\$\{\{\s*(secrets|vars)\.([A-Za-z0-9_]+)\s*\}\}")
CONDITIONS = {  # what each `if:` is on a plain push, without GitHub Pages
    "${{ !cancelled() }}": True,
    "${{ vars.PUBLISHER_PAGES != 'true' }}": True,
    "${{ vars.PUBLISHER_PAGES == 'true' }}": False,
}


@dataclass
class StepRun:
    name: str
    returncode: int
    output: str


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def run_steps(path: Path, job: str, cwd: Path, *, secrets: dict[str, str] | None = None,
              variables: dict[str, str] | None = None,
              env: dict[str, str] | None = None,
              cache_store: Path | None = None) -> list[StepRun]:
    """Run ``job``'s steps in order in ``cwd``; stop at the first failure, as the runner."""
    secrets, variables = secrets or {}, variables or {}
    values = {"secrets": secrets, "vars": variables}
    runs: list[StepRun] = []
    failed = False
    cached: list[str] = []  # the paths actions/cache saves at the job's end
    for step in load(path)["jobs"][job]["steps"]:
        if str(step.get("uses", "")).startswith("actions/cache@") and cache_store is not None:
            for relative in str(step["with"]["path"]).split():
                cached.append(relative)
                if (cache_store / relative).is_dir():
                    shutil.copytree(cache_store / relative, cwd / relative, symlinks=True)
            continue
        condition = step.get("if")
        if condition is not None:
            assert condition in CONDITIONS, f"decide what `if: {condition}` is in tests/ci"
            if not CONDITIONS[condition]:
                continue
        elif failed:
            continue
        if "uses" in step or step.get("id") == "install":
            continue
        step_env = {k: _EXPR.sub(lambda m: values[m.group(1)].get(m.group(2), ""), str(v))
                    for k, v in (step.get("env") or {}).items()}
        full_env = {**os.environ, **(env or {}), **step_env,
                    "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}", "CI": "true",
                    "GITHUB_ACTIONS": "true"}
        result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                                 step["run"]], cwd=cwd, env=full_env, capture_output=True,
                                text=True, timeout=600, stdin=subprocess.DEVNULL)
        runs.append(StepRun(step.get("name", step["run"][:40]), result.returncode,
                            result.stdout + result.stderr))
        failed = failed or result.returncode != 0
    if not failed and cache_store is not None:  # the post-job save, on success only
        for relative in cached:
            shutil.rmtree(cache_store / relative, ignore_errors=True)
            if (cwd / relative).is_dir():
                shutil.copytree(cwd / relative, cache_store / relative, symlinks=True)
    return runs


def publisher_commands(script: str) -> list[str]:
    """The publisher subcommands a script runs, in order ('check', 'publish-ready', ...)."""
    return re.findall(r"(?m)^\s*(?:- )?publisher ([a-z-]+)", script)
