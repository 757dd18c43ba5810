"""The platform simulation itself, and the build it must not change by a single byte.

These run in the ordinary pass (they start their own simulated processes), so a machine
that runs only ``pytest`` still proves the portable paths.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from publisher.dev import SIM_PATH, simulated_env
from tests.fixtures_archive import generate_archive

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, multiprocessing, os
out = {"affinity": hasattr(os, "sched_getaffinity"), "fork": hasattr(os, "fork"),
       "method": multiprocessing.get_start_method(),
       "methods": multiprocessing.get_all_start_methods()}
try:
    multiprocessing.get_context("fork")
    out["fork_context"] = True
except ValueError:
    out["fork_context"] = False
try:
    import fcntl  # noqa: F401
    out["fcntl"] = True
except ImportError:
    out["fcntl"] = False
from archive_site.workers import Workers, cpu_count
from publisher.config import load_project
out["jobs"] = Workers(load_project("."), None).jobs
out["cpu_count"] = os.cpu_count()
import publisher.ledger  # imports without fcntl
print(json.dumps(out))
"""


def plain_env() -> dict[str, str]:
    """This environment without the simulation (the test run itself may be simulated)."""
    env = dict(os.environ)
    parts = [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
             if p and Path(p).resolve() != SIM_PATH.resolve()]
    env["PYTHONPATH"] = os.pathsep.join(parts)
    env.pop("PUBLISHER_PLATFORM_SIM", None)
    env.pop("PYTHONWARNDEFAULTENCODING", None)
    return env


def _probe(env: dict[str, str]) -> dict:
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env,
                            capture_output=True, encoding="utf-8", check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_simulation_removes_what_windows_lacks() -> None:
    simulated = _probe(simulated_env(plain_env()))
    assert simulated == {**simulated, "affinity": False, "fork": False, "method": "spawn",
                         "methods": ["spawn"], "fork_context": False, "fcntl": False}
    # without the affinity mask, the pool is as wide as the machine
    assert simulated["jobs"] == simulated["cpu_count"]
    plain = _probe(plain_env())
    assert plain["fcntl"] and plain["fork_context"] and plain["affinity"]


def _tree(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*")) if path.is_file()}


#: ``publisher build`` with the parallel paths' thresholds lowered, so a small archive takes
#: them all (they decide where a page is made, never what it holds)
BUILD = """
import sys
from archive_site import render_pages, workers
from publisher.cli import cli
render_pages.MIN_PARALLEL = workers.MIN_PARALLEL = workers.MIN_PARALLEL_SPAWN = 8
cli(sys.argv[1:])
"""


def _build(folder: Path, env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, "-c", BUILD, "--project", str(folder),
                             "build", "--out", str(folder / "_site"), *args],
                            cwd=folder, env=env, capture_output=True, encoding="utf-8",
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def big_archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Issues of every kind (drafts, unsent, a course, tables), and one issue that is on the
    site only because the ledger records it as sent."""
    from publisher.config import load_project
    from publisher.ledger import Ledger
    from publisher.load import load_issue
    from publisher.models import Audience

    root = tmp_path_factory.mktemp("portable") / "newsletter"
    kinds = generate_archive(root, 60)
    project = load_project(root)
    ready = load_issue(root / "issues" / kinds["ready"][0], project)
    ledger = Ledger.of(project)
    entry = ledger.intent(issue=ready.key, content_hash="0" * 16,
                          audience=Audience(kind="list", list_id="pl01"), backend="outbox",
                          test=False)
    ledger.outcome(entry, "sent", ref="outbox", accepted=1)
    return root, ready.key


def test_build_under_simulation_is_byte_for_byte_the_same(big_archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source, sent_key = big_archive
    plain, simulated = tmp_path / "plain" / "newsletter", tmp_path / "sim" / "newsletter"
    for copy in (plain, simulated):
        shutil.copytree(source, copy)
    # Linux as it is, both cores; the simulated one with the default pool (no -j): the
    # README's first build, which stopped at os.sched_getaffinity before
    _build(plain, plain_env(), "-j", "2")
    summary = _build(simulated, simulated_env(plain_env()))
    assert "rendered" in summary and " 0 issues" not in summary
    expected, got = _tree(plain / "_site"), _tree(simulated / "_site")
    # Pagefind's index names its fragments by a hash that differs between two identical
    # Linux builds too (not reproducible, not a platform difference): same shape, not bytes
    index = [{p for p in tree if p.startswith("pagefind/")} for tree in (expected, got)]
    assert len(index[0]) == len(index[1])
    expected, got = ({p: b for p, b in tree.items() if not p.startswith("pagefind/")}
                     for tree in (expected, got))
    assert len(expected) > 60
    assert sorted(got) == sorted(expected)
    different = [path for path in expected if got[path] != expected[path]]
    assert different == []
    # the ledger was read under the simulation (no fcntl): the sent issue is on the site
    assert f"{sent_key}/index.html" in got


def test_a_ledger_that_cannot_be_imported_fails_the_build_loudly(tmp_path: Path) -> None:
    """The archive used to swallow this ImportError and leave every sent issue out."""
    root = tmp_path / "newsletter"
    generate_archive(root, 3)
    code = ("import sys; sys.modules['publisher.ledger'] = None\n"
            "from publisher.cli import cli\n"
            f"cli(['--project', {str(root)!r}, 'build', '--out', {str(root / '_site')!r}])")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=plain_env(),
                            capture_output=True, encoding="utf-8", check=False)
    assert result.returncode != 0
    assert "publisher.ledger" in result.stderr
    assert not (root / "_site" / "index.html").exists()


def test_default_jobs_follow_the_cpus_this_process_may_use(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from archive_site import workers

    monkeypatch.delattr(os, "process_cpu_count", raising=False)
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 7)
    assert workers.cpu_count() == 7
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert workers.cpu_count() == 1
    monkeypatch.setattr(os, "process_cpu_count", lambda: 3, raising=False)
    assert workers.cpu_count() == 3


def test_ledger_lock_is_released_when_the_holder_dies(tmp_path: Path) -> None:
    """The lock the ledger and the course runs share: one holder; a killed holder leaves
    nothing behind; a lock file from the fcntl days (empty or not) is no obstacle."""
    from publisher.oslock import FolderLock

    path = tmp_path / ".publisher" / "ledger.lock"
    code = ("import time\nfrom publisher.oslock import FolderLock\n"
            f"lock = FolderLock({str(path)!r}); assert lock.acquire(); print('held', flush=True)"
            "\ntime.sleep(60)")
    with subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=os.environ.copy(),
                          stdout=subprocess.PIPE, encoding="utf-8") as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline() == "held\n"
            assert FolderLock(path).acquire() is False
        finally:
            holder.kill()
            holder.wait()
    with FolderLock(path) as lock:
        assert lock.acquire() and lock.held
        assert FolderLock(path).acquire() is False  # a second connection, same process
    assert FolderLock(path).acquire() is True
    old = tmp_path / "old.lock"
    old.write_bytes(b"written by something else\n")
    with FolderLock(old) as lock:
        assert lock.acquire()


def test_the_simulated_pass_is_simulated() -> None:
    """In the pass scripts/test runs under tests/platform_sim, this very process is."""
    assert (SIM_PATH / "sitecustomize.py").is_file()
    if not os.environ.get("PUBLISHER_PLATFORM_SIM"):
        pytest.skip("the ordinary pass")
    assert not hasattr(os, "sched_getaffinity")
    with pytest.raises(ImportError):
        import fcntl  # noqa: F401


def test_process_alive_asks_without_signalling() -> None:
    from publisher.oslock import process_alive

    assert process_alive(os.getpid())
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, encoding="utf-8", check=True)
    assert process_alive(int(child.stdout)) is False  # it has exited (and been reaped)


def test_windows_files_in_the_simulation_are_what_the_ledger_must_survive(tmp_path: Path) -> None:
    """The simulation's Windows C runtime: text-mode os.open, no directory fsync; the
    ledger's helpers (publisher/osfiles.py) write the same bytes there as on Linux."""
    code = f"""
import os
from pathlib import Path
from publisher import osfiles
folder = Path({str(tmp_path)!r})
text = os.open(folder / "text.log", os.O_WRONLY | os.O_CREAT)
os.write(text, b"a\\n"); os.close(text)
log = os.open(folder / "append.log", osfiles.APPEND, 0o644)
os.write(log, b"a\\n"); osfiles.datasync(log); os.close(log)
osfiles.fsync_dir(folder)
print(hasattr(os, "fdatasync"))
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT,
                            env=simulated_env(plain_env()), capture_output=True,
                            encoding="utf-8", check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "False\n"
    assert (tmp_path / "text.log").read_bytes() == b"a\r\n"  # what Windows would write
    assert (tmp_path / "append.log").read_bytes() == b"a\n"


def test_a_spawned_pool_starts_only_for_work_that_pays_for_it(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A spawned worker imports publisher again (~0.9 s): 100 jobs run inline there, while
    a forked pool starts for them (thresholds from bench/bench_portable.py)."""
    import multiprocessing

    from archive_site import workers
    from publisher.config import load_project

    generate_archive(tmp_path / "nl", 2)
    project = load_project(tmp_path / "nl")
    spawn = multiprocessing.get_context("spawn")
    assert workers.min_parallel(spawn) == workers.MIN_PARALLEL_SPAWN > 100
    monkeypatch.setattr(workers, "pool_context", lambda: spawn)
    with workers.Workers(project, 2) as pool:
        assert sorted(pool.map(abs, range(-100, 0))) == list(range(1, 101))
        assert pool._pool is None
    if "fork" in multiprocessing.get_all_start_methods():
        fork = multiprocessing.get_context("fork")
        assert workers.min_parallel(fork) == workers.MIN_PARALLEL <= 100
        monkeypatch.setattr(workers, "pool_context", lambda: fork)
        with workers.Workers(project, 2) as pool:
            assert sorted(pool.map(abs, range(-100, 0))) == list(range(1, 101))
            assert pool._pool is not None
