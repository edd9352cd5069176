"""Repeats over seeds (issue 18), measured in one run:

* R1: 20 repeats of the "batch vs stochastic vs mini-batch" preset on the interpreter, in a
  fresh process (``import gdcore`` included, no compiled code anywhere), target <= 1.0 s;
* R2: 50 repeats of a batch-1 Adam run on 10,000 rows (1 epoch) on the compiled loop along
  one seed axis (``gdcore.engine.runner.run_repeats``: one kernel call per core, one history
  frame), against 50 separate compiled ``gdcore.run`` calls with the repeats' seeds, the
  results checked equal (target: <= 0.5x);
* R3: a click on the charts' view controls (the log toggle) with 20 repeats, script time in
  AppTest (median of 7), target <= 150 ms.

    python -m bench.repeats
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FRESH = r"""
import time
t0 = time.perf_counter()
import gdcore
from lab import presets
exp = presets.build("batch")
exp["repeats"] = {"n": 20}
res = gdcore.run_experiment(exp, engine="python")
took = time.perf_counter() - t0
import sys, json
assert len(res.repeats) == 3 and all(len(r) == 20 for r in res.repeats)
print(json.dumps({"seconds": took, "numba": "numba" in sys.modules}))
"""

CLICKS = r"""
import json, statistics, sys, time, warnings
warnings.filterwarnings("ignore")
import logging; logging.disable(logging.WARNING)
from streamlit.testing.v1 import AppTest
from lab import presets; from gdcore.spec import share
exp = {**presets.build("batch"), "repeats": {"n": 20}}
at = AppTest.from_file("dashboard.py", default_timeout=300)
at.query_params["s"] = share.encode(exp)
at.run(); at.run()
times = []
for i in range(7):
    tog = at.toggle(key="log"); tog.set_value(not tog.value)
    t0 = time.perf_counter(); at.run(); times.append((time.perf_counter() - t0) * 1000)
    assert not at.exception, [e.value for e in at.exception]
print(json.dumps({"ms": statistics.median(times)}))
"""


def _child(code: str, env: dict[str, str]) -> dict:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=900)
    if out.returncode:
        raise SystemExit(f"child failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def compiled_repeats() -> tuple[float, float]:
    """(one experiment of 50 repeats, 50 separate runs) on the compiled loop, best of 3."""
    import numpy as np

    import gdcore
    from gdcore.engine import accel, repeats, runner
    from gdcore.engine.accel import bridge

    assert accel.wait(timeout=900) is not None, accel.status()
    r = np.random.default_rng(0)
    x = r.normal(size=10_000)
    problem = gdcore.LinearRegression(x[:, None], 2 * x + 1 + r.normal(size=10_000))
    cfg = gdcore.parse_run({"name": "adam", "batch_size": 1, "epochs": 1, "seed": 0,
                            "optimizer": {"name": "adam", "lr": 0.01}})
    spec = gdcore.RepeatConfig(n=50)
    reps = repeats.repeat_configs(cfg, spec, problem)
    together, apart = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        a = runner.run_repeats(problem, repeats.repeat_configs(cfg, spec, problem),
                               engine="compiled")
        together.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        b = [gdcore.run(problem, rep, engine="compiled") for rep in reps]
        apart.append(time.perf_counter() - t0)
        assert len(a) == len(b) and all(x.history.equals(y.history) and x.params == y.params
                                        for x, y in zip(a, b))
    return min(together), min(apart), bridge.REPEAT_THREADS


def main() -> int:
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "GDCORE_CACHE_DIR": cache}
        env.pop("GDCORE_ENGINE", None)
        r1 = _child(FRESH, env)
        r3 = _child(CLICKS, {**os.environ, "GDCORE_ENGINE": "python"})
    together, apart, threads = compiled_repeats()
    rows = [
        ("R1", "20 repeats of preset 'batch', interpreter, fresh process (import included)",
         f"{r1['seconds']:.2f} s", "<= 1.0 s", "met" if r1["seconds"] <= 1.0 else "MISSED"),
        ("R2", "50 repeats of batch-1 Adam on 10,000 rows, compiled: repeats / 50 separate runs",
         f"{together:.3f} / {apart:.3f} s = {together / apart:.2f}x", "<= 0.5x",
         "met" if together <= 0.5 * apart else "MISSED"),
        ("R3", "log-toggle click with 20 repeats, AppTest script time (median of 7)",
         f"{r3['ms']:.0f} ms", "<= 150 ms", "met" if r3["ms"] <= 150 else "MISSED"),
    ]
    for row in rows:
        print("  ".join(row))
    print(f"R2 split its seed axis over {threads} thread(s) (the cores this process may use)")
    print(f"R1 imported numba: {r1['numba']} (must be False); load average at end: "
          f"{os.getloadavg()[0]:.2f}")
    return 1 if r1["numba"] else 0


if __name__ == "__main__":
    sys.exit(main())
