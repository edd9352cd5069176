"""The compiled build never outlives its server, leaves nothing behind, and never compiles in a
process that serves pages. Each case is a sequence of real processes:

* a server killed with SIGKILL (or exiting) while its build child runs: the child goes too;
* the portable watchdog (for systems without prctl) ends a child whose parent is gone;
* ``.building-<pid>`` folders of dead builders are swept at the next start and by ``clear``,
  those of live ones are kept;
* a second checkout at another path loads the first one's build without compiling anything;
* a build that would not load without compiling is rebuilt in a child, never in the server.

The compile counter used here wraps numba's compiler entry point (``compile_extra``), which
every function numba compiles goes through, and a load from numba's cache does not.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow
DEADLINE = 60.0  # seconds allowed for a state to be reached (it is polled, never slept for)

# A server stand-in: starts the accelerator, then waits for its stdin to close.
SERVER = "import sys; from gdcore.engine import accel; accel.start(); sys.stdin.read()"

# A process that starts the accelerator counting every function numba compiles in it (numba's
# dispatchers compile through numba.core.compiler.compile_extra; loading from its cache does not).
LOAD = """
import json
from numba.core import compiler

compiled = []
compile_extra = compiler.compile_extra

def counting(typingctx, targetctx, func, *args, **kwargs):
    compiled.append(func.__qualname__)
    return compile_extra(typingctx, targetctx, func, *args, **kwargs)

compiler.compile_extra = counting
from gdcore.engine import accel
accel.wait(600)
print(json.dumps({"status": accel.status()[0], "detail": accel.status()[1],
                  "compiled": len(compiled), "names": compiled[:5]}))
"""


def _env(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "GDCORE_ENGINE"}
    env["GDCORE_CACHE_DIR"] = str(cache)
    return env


def _run(code: str, cache: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=_env(cache),
                          capture_output=True, text=True, timeout=900)


def _builds(cache: Path) -> list[Path]:
    return sorted(p for p in cache.glob("loop-*") if p.is_dir() and ".building-" not in p.name)


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name, or None if there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        fields = _stat(int(entry.name)) if entry.name.isdigit() else None
        if fields and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _running(pid: int, started: str) -> bool:
    """Whether that process (the same one: same start time) still runs (a zombie does not)."""
    fields = _stat(pid)
    return fields is not None and fields[19] == started and fields[0] not in ("Z", "X")


def _poll(condition, what: str):
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"not within {DEADLINE:.0f} s: {what}")


def _build_child(server: subprocess.Popen, cache: Path) -> tuple[int, str, Path]:
    """The server's build child once it is running (its temporary folder exists)."""
    def found():
        folders = list(cache.glob(f"loop-*.building-{server.pid}"))
        kids = _children(server.pid)
        return (kids[0], folders[0]) if folders and kids else None

    pid, folder = _poll(found, "the server started a build child")
    return pid, _stat(pid)[19], folder


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
@pytest.mark.parametrize("how", ["killed", "exits"])
def test_the_build_child_dies_with_its_server(tmp_path, how):
    cache = tmp_path / "cache"
    server = subprocess.Popen([sys.executable, "-c", SERVER], cwd=ROOT, env=_env(cache),
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    child = None
    try:
        child, started, folder = _build_child(server, cache)
        if how == "killed":
            server.send_signal(signal.SIGKILL)
        else:
            server.stdin.close()  # the script ends: the interpreter exits normally
        server.wait(timeout=DEADLINE)
        _poll(lambda: not _running(child, started),
              f"the build child {child} ended after its server was {how}")
        assert not (folder / "READY.json").exists(), "the orphaned child finished its build"
    finally:
        server.kill()
        server.wait()
        if child is not None and _running(child, started):
            os.kill(child, signal.SIGKILL)


# A parent that starts a child guarded by the portable watchdog only, and reports on it.
WATCHED = """
import os, subprocess, sys
code = ("import sys, time; from gdcore.engine.accel import die_with_parent; "
        "die_with_parent(int(sys.argv[1]), use_prctl=False); print('watching', flush=True); "
        "time.sleep(600)")
child = subprocess.Popen([sys.executable, "-c", code, str(os.getpid())], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
print(child.pid, child.stdout.readline().strip() or "child-failed", flush=True)
sys.stdin.read()
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
def test_the_watchdog_ends_a_child_whose_parent_is_gone(tmp_path):
    parent = subprocess.Popen([sys.executable, "-c", WATCHED], cwd=ROOT, env=_env(tmp_path),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    child = None
    try:
        ready, _, _ = select.select([parent.stdout], [], [], DEADLINE)
        assert ready, "the parent reported nothing"
        pid, state = parent.stdout.readline().split()
        child = int(pid)
        started = (_stat(child) or [""] * 20)[19]
        assert state == "watching", "the guarded child did not start"
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=DEADLINE)
        _poll(lambda: not _running(child, started), "the watched child ended")
    finally:
        parent.kill()
        parent.wait()
        if child is not None and _running(child, started):
            os.kill(child, signal.SIGKILL)


def _a_dead_pid() -> int:
    """The pid of a process that has ended and been reaped."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_leftover_build_folders_of_dead_builders_are_swept(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    res = _run("from gdcore.engine import accel; print(accel.cache_dir(accel.cache_root(), "
               "accel.key_parts()).name)", cache)
    target = res.stdout.strip()
    dead, live = _a_dead_pid(), os.getpid()
    gone = [cache / f"loop-0123456789abcdef0123.building-{dead}", cache / f"{target}.building-{dead}"]
    kept = [cache / f"{target}.building-{live}", cache / f"loop-0123456789abcdef0123.building-{live}"]
    for folder in gone + kept:
        (folder / "sub").mkdir(parents=True)
    res = _run(LOAD, cache)  # a start: sweeps, builds, loads
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout.strip().splitlines()[-1])["status"] == "ready"
    assert [p.exists() for p in gone + kept] == [False, False, True, True]
    # and `clear` removes a dead builder's folder and every build, but not a live builder's folder
    again = cache / f"loop-0123456789abcdef0123.building-{_a_dead_pid()}"
    again.mkdir()
    res = subprocess.run([sys.executable, "-m", "gdcore.engine.accel", "clear"], cwd=ROOT,
                         env=_env(cache), capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert not again.exists() and not _builds(cache)
    assert all(p.exists() for p in kept)


@pytest.fixture(scope="module")
def two_checkouts(tmp_path_factory):
    """Two copies of the gdcore package at different paths (fresh file times, as two git
    checkouts), and a cache built by a process started in the first."""
    base = tmp_path_factory.mktemp("checkouts")
    trees = [base / "first", base / "second" / "nested"]
    for tree in trees:
        shutil.copytree(ROOT / "gdcore", tree / "gdcore", copy_function=shutil.copy,
                        ignore=shutil.ignore_patterns("__pycache__"))
    cache = base / "cache"
    res = _run(LOAD, cache, cwd=trees[0])
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["status"] == "ready" and out["compiled"] == 0, out  # built in the child only
    assert len(_builds(cache)) == 1
    return trees, cache


def _load_in(tree: Path, cache: Path) -> dict:
    res = _run(LOAD, cache, cwd=tree)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["status"] == "ready", out
    out["stderr"] = res.stderr
    return out


def test_a_second_checkout_loads_the_build_without_compiling(two_checkouts):
    (first, second), cache = two_checkouts
    out = _load_in(second, cache)
    assert out["compiled"] == 0, f"the serving process compiled {out['compiled']} functions"
    assert len(_builds(cache)) == 1  # the same build, loaded as it is
    assert _load_in(first, cache)["compiled"] == 0  # and the first checkout still loads it


def test_a_build_that_would_compile_on_load_is_rebuilt_in_a_child(two_checkouts, tmp_path):
    (_, second), shared = two_checkouts
    cache = tmp_path / "cache"
    shutil.copytree(shared, cache)
    indexes = list(cache.rglob("numba_loop.run_linear-*.nbi"))
    assert indexes, "no index of the compiled loop in the build"
    for index in indexes:  # the build is marked ready, but its loop is not in numba's cache
        index.unlink()
    out = _load_in(second, cache)
    assert out["compiled"] == 0, f"the serving process compiled {out['compiled']} functions"
    assert list(cache.rglob("numba_loop.run_linear-*.nbi")), "nothing was rebuilt"
    assert out["stderr"].count("rebuilding") == 1, out["stderr"]  # one line says why
