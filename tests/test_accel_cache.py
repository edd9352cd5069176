"""Compiled code can never be stale or corrupt, and never blocks anything: each failure the old
engine had is reproduced here as a sequence of real processes on an empty cache, and must pass.

* the CLI, then the engine started twice (the old "'descr' is NULL" crash);
* three processes starting at once on an empty cache (CLI, the app's start-up, warm_up);
* a build killed with SIGKILL half way, then a start;
* a read-only copy of the source tree;
* an engine source edited in a copy: the next run uses the new code, never the cached old one.

Each process here compiles or loads for real (several seconds each): these are the slow tests.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow

# A process that starts the accelerator, waits for it and runs one comparison on it.
START = """
import json, sys, gdcore
from gdcore.engine import accel
kernel = accel.wait(600)
res = gdcore.run_experiment({"data": {"source": "generate", "n": 60, "seed": 1}, "runs": [
    {"name": "s", "batch_size": 4, "epochs": 3, "optimizer": {"name": "sgd", "lr": 0.01}},
    {"name": "a", "batch_size": 4, "epochs": 3, "optimizer": {"name": "adam", "lr": 0.05}}]},
    engine="compiled")
print(json.dumps({"status": accel.status()[0], "detail": accel.status()[1],
                  "w": [r.params["w"] for r in res.runs]}))
"""


def _env(cache: Path, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "GDCORE_ENGINE"}
    env["GDCORE_CACHE_DIR"] = str(cache)
    env.update(extra)
    return env


def _python(code: str, cache: Path, cwd: Path = ROOT, timeout: float = 600, **popen):
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=_env(cache),
                          capture_output=True, text=True, timeout=timeout, **popen)


def _start(cache: Path, cwd: Path = ROOT) -> dict:
    res = _python(START, cache, cwd)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["status"] == "ready", out
    return out


def _cli(cache: Path, *args, cwd: Path = ROOT):
    return subprocess.run([sys.executable, "-m", "gdcore", *args], cwd=cwd, env=_env(cache),
                          capture_output=True, text=True, timeout=600)


def _config(tmp: Path, name: str, optimizers: list[str]) -> Path:
    path = tmp / f"{name}.json"
    path.write_text(json.dumps({"data": {"source": "generate", "n": 50}, "runs": [
        {"name": o, "batch_size": 5, "epochs": 2, "optimizer": {"name": o, "lr": 0.01}}
        for o in optimizers]}))
    return path


def _builds(cache: Path) -> list[Path]:
    return sorted(p for p in cache.glob("loop-*") if p.is_dir())


def test_cli_then_starting_twice_works(tmp_path):
    """The README's example, then the old crash sequence: one variant, then two, twice."""
    cache = tmp_path / "cache"
    one, two = _config(tmp_path, "one", ["sgd"]), _config(tmp_path, "two", ["sgd", "adam"])
    res = _cli(cache, "run", "examples/experiment.json", "--out", str(tmp_path / "h.csv"))
    assert res.returncode == 0, res.stderr
    for cfg in (one, two, two):
        res = _cli(cache, "run", str(cfg), "--engine", "compiled")
        assert res.returncode == 0, res.stderr
        assert "accelerator off" not in res.stderr, res.stderr
    first, second = _start(cache), _start(cache)
    assert first["w"] == second["w"]
    assert len(_builds(cache)) == 1  # one build, reused by every later process


def test_three_processes_starting_at_once_on_an_empty_cache(tmp_path):
    cache = tmp_path / "cache"
    cfg = _config(tmp_path, "two", ["sgd", "adam"])
    procs = [
        subprocess.Popen([sys.executable, "-m", "gdcore", "run", str(cfg), "--engine",
                          "compiled"], cwd=ROOT, env=_env(cache), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True),
        subprocess.Popen([sys.executable, "-c", START], cwd=ROOT, env=_env(cache),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
        subprocess.Popen([sys.executable, "-c", "import gdcore; gdcore.warm_up(); "
                          "from gdcore.engine import accel; assert accel.kernel() is not None, "
                          "accel.status()"], cwd=ROOT, env=_env(cache), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True),
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, err
        assert "accelerator off" not in err, err
    assert len(_builds(cache)) == 1
    assert not list(cache.glob("*.building-*"))


def test_a_build_killed_half_way_leaves_nothing_that_breaks_the_next_start(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    from gdcore.engine import accel

    # the builder's own command, killed once it has written compiled files
    target = cache / "loop-killed.building-1"
    proc = subprocess.Popen([sys.executable, "-m", "gdcore.engine.accel", "build", str(target)],
                            cwd=ROOT, env=_env(cache), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not list(target.rglob("*.nbc")):
        time.sleep(0.05)
    assert list(target.rglob("*.nbc")), "the build wrote no compiled file before the deadline"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (target / accel.READY).exists()
    # also a half-written directory under the real name of this machine's build, without READY
    out = _python("from gdcore.engine import accel; print(accel.cache_dir(accel.cache_root(), "
                  "accel.key_parts()))", cache)
    real = Path(out.stdout.strip())
    shutil.copytree(target, real)
    _start(cache)  # rebuilds (no READY marker), verifies, runs
    assert (real / accel.READY).is_file()


def test_a_read_only_source_tree_works(tmp_path):
    tree = tmp_path / "ro"
    shutil.copytree(ROOT / "gdcore", tree / "gdcore",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for path in [tree, *tree.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        cache = tmp_path / "cache"
        out = _start(cache, cwd=tree)
        assert str(cache) in out["detail"]
        assert not list(tree.rglob("*.nbi"))  # nothing was written into the tree
    finally:
        for path in [tree, *tree.rglob("*")]:
            path.chmod(path.stat().st_mode | stat.S_IWUSR)


def test_an_edited_engine_source_takes_effect_on_the_next_run(tmp_path):
    """Change SGD's rule in a copy of the source: the compiled loop must follow it."""
    tree = tmp_path / "copy"
    shutil.copytree(ROOT / "gdcore", tree / "gdcore",
                    ignore=shutil.ignore_patterns("__pycache__"))
    cache = tmp_path / "cache"
    before = _start(cache, cwd=tree)
    rules = tree / "gdcore" / "rules" / "optimizers.py"
    text = rules.read_text()
    assert "return p - lr * g, (buf, 0.0, 0.0)" in text
    rules.write_text(text.replace("return p - lr * g, (buf, 0.0, 0.0)",
                                  "return p - 2.0 * lr * g, (buf, 0.0, 0.0)"))
    after = _start(cache, cwd=tree)
    assert after["w"][0] != before["w"][0]  # the SGD run changed ...
    assert after["w"][1] == before["w"][1]  # ... and the Adam run did not
    assert len(_builds(cache)) == 2  # a new build for the new sources
    # and the compiled result is the edited interpreter's, bit for bit
    res = _python(START.replace('engine="compiled"', 'engine="python"'), cache, cwd=tree)
    assert json.loads(res.stdout.strip().splitlines()[-1])["w"] == after["w"]


def test_no_writable_cache_means_the_interpreter_carries_on(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    res = _python("import gdcore; from gdcore.engine import accel; accel.wait(60); "
                  "print(accel.status()[0]); "
                  "r = gdcore.run_experiment({'runs': [{'epochs': 3}]}, engine='compiled'); "
                  "print(r.runs[0].status)", blocker / "cache")
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["failed", "completed"]
    assert res.stderr.count("accelerator off") == 1 and "GDCORE_CACHE_DIR" in res.stderr


def test_the_key_covers_what_the_kernel_compiles_not_the_lessons(tmp_path, monkeypatch):
    # issue 17: the key hashed every file in gdcore, so rewording a lesson or a preset forced
    # the 9 s rebuild of the compiled loop on the next start (a deploy on Community Cloud)
    import shutil

    from gdcore.engine import accel

    copy = tmp_path / "gdcore"
    shutil.copytree(accel.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(accel, "PACKAGE", copy)
    monkeypatch.setattr(accel, "TOP", copy / "__init__.py")
    names = {p.relative_to(copy).as_posix() for p in accel.kernel_sources()}
    assert {"engine/accel/numba_loop.py", "rules/optimizers.py", "rules/schedules.py",
            "rules/clipping.py", "engine/plan.py", "models/objectives.py", "engine/rng.py"} <= names
    assert not {n for n in names if n.startswith("data/")}  # the readers and generators
    assert not names & {"spec/share.py", "store.py", "__main__.py", "__init__.py"}
    before = accel.source_digest()
    for name in ("data/columns.py", "data/csvio.py", "spec/share.py", "__main__.py"):
        (copy / name).write_text((copy / name).read_text() + "\n# reworded\n")
    assert accel.source_digest() == before
    for name in ("rules/optimizers.py", "engine/rng.py", "engine/accel/numba_loop.py"):
        path = copy / name
        text = path.read_text()
        path.write_text(text + "\n# edited\n")
        assert accel.source_digest() != before, name
        path.write_text(text)
    assert accel.source_digest() == before
