"""gdcore benchmark: four workloads side by side in one process, times and ratios, targets.

    python -m bench.run            # full sizes (about a minute or two on 2 shared cores)
    python -m bench.run --quick    # small sizes, a smoke check (verdicts only indicative)
    python -m bench.run --only A,C # a subset; --repeats N; --full-numpy; --json out.json

It never fails on time: it prints times, ratios, targets and PASS/MISS. It exits non-zero only
if a correctness check fails, because a ratio between two different computations means nothing.

A  full batch, n = 1e6, 1000 steps, full-data loss every step: gdcore vs a plain numpy loop
B  SGD batch 1, n = 1e5, 10 epochs: gdcore vs scikit-learn SGDRegressor (lr_ours = eta0 / 2)
C  mini-batch 32, n = 1e6, 5 epochs, Adam + cosine per update + clip by norm: gdcore vs numpy
D  compile: import gdcore + first small run in a fresh process with an empty numba cache
   (NUMBA_CACHE_DIR = new temp dir), then again with that cache warm
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/run.py` puts bench/ first, not the repo root
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

TRUE_W, TRUE_B, NOISE = 3.0, -1.5, 1.0
TARGETS = {"A": 500.0, "B": 0.75, "C": 0.05, "D": 5.0}


@dataclass(frozen=True)
class Sizes:
    a_n: int = 1_000_000
    a_steps: int = 1000
    a_numpy_steps: int = 100  # the numpy loop is timed on this many steps and scaled linearly
    a_lr: float = 0.01
    b_n: int = 100_000
    b_epochs: int = 10
    b_lr: float = 0.0005  # ours; scikit-learn gets eta0 = 2 * lr (its loss is 0.5 err^2)
    c_n: int = 1_000_000
    c_epochs: int = 5
    c_numpy_epochs: int = 1  # the numpy loop is timed on this many epochs and scaled linearly
    c_batch: int = 32
    c_lr: float = 0.05
    c_max_norm: float = 1.0
    repeats: int = 3


FULL = Sizes()
QUICK = Sizes(a_n=100_000, a_numpy_steps=50, b_n=10_000, c_n=100_000, repeats=2)


@dataclass
class Result:
    key: str
    title: str
    ours_s: float  # gdcore, best of the repeats
    ref_s: float  # the comparison, best of the repeats (scaled when notes say so)
    ref_label: str
    ratio: float  # A: ref / ours (speed-up); B, C: ours / ref; D: cold seconds
    target: float
    passed: bool
    checks: dict[str, bool] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    ours_median_s: float = float("nan")
    ref_median_s: float = float("nan")

    @property
    def valid(self) -> bool:
        return all(self.checks.values())

    def row(self) -> str:
        verdict = ("PASS" if self.passed else "MISS") if self.valid else "INVALID"
        if self.key == "D":
            return (f"{self.key}  cold {self.ours_s:8.2f} s  warm {self.ref_s:7.2f} s  "
                    f"{'':>14}  target cold <= {self.target:g} s  {verdict}")
        if self.key == "A":
            ratio, target = f"{self.ratio:7.0f}x", f"target >= {self.target:g}x"
        else:
            ratio, target = f"{self.ratio:7.3f}x", f"target <= {self.target:g}x"
        return (f"{self.key}  gdcore {self.ours_s:8.4f} s  {self.ref_label} {self.ref_s:8.3f} s  "
                f"ratio {ratio}  {target:<15}  {verdict}")


# --- helpers ------------------------------------------------------------------------------------
def say(*parts: Any) -> None:
    print(*parts, flush=True)


def machine_lines() -> list[str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor() or "unknown"
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count()
    import numba
    import pandas
    import sklearn

    try:
        load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:  # pragma: no cover
        load = "?"
    lines = [
        f"CPU      {model}; {os.cpu_count()} logical cores, {usable} usable; load average {load}",
        f"python   {platform.python_version()} ({platform.python_implementation()}, "
        f"{platform.machine()}), numpy {np.__version__}, numba {numba.__version__}, "
        f"scikit-learn {sklearn.__version__}, pandas {pandas.__version__}",
    ]
    if os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0"):
        lines.append("WARNING  NUMBA_DISABLE_JIT is set: gdcore runs as pure Python here")
    return lines


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """x: (n, 1) float64 ~ N(2, 3^2); y = 3 x - 1.5 + N(0, 1)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(2.0, 3.0, size=(n, 1))
    y = TRUE_W * x[:, 0] + TRUE_B + NOISE * rng.normal(size=n)
    return x, y


def least_squares(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    xm, ym = float(x[:, 0].mean()), float(y.mean())
    xc = x[:, 0] - xm
    w = float(xc @ (y - ym) / (xc @ xc))
    return w, ym - w * xm


def close(a: float, b: float, rel: float = 1e-9) -> bool:
    return abs(a - b) <= rel * max(abs(a), abs(b)) + 1e-300


def time_interleaved(fns: dict[str, Callable[[], Any]], repeats: int
                     ) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Run each function ``repeats`` times, alternating between them so that both see the same
    (noisy, shared) machine; returns the times and each function's last result."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    last: dict[str, Any] = {}
    for _ in range(repeats):
        for name, fn in fns.items():
            gc.collect()
            t0 = time.perf_counter()
            last[name] = fn()
            times[name].append(time.perf_counter() - t0)
    return times, last


def warm_up_gdcore() -> float:
    """Compile (or load from numba's cache) the engine once, outside every timing."""
    from gdcore import LinearRegression, run

    x, y = make_data(64)
    t0 = time.perf_counter()
    run(LinearRegression(x, y), {"name": "warm-up", "batch_size": 8, "epochs": 1})
    return time.perf_counter() - t0


# --- A: full batch --------------------------------------------------------------------------------
def numpy_full_batch(x: np.ndarray, y: np.ndarray, lr: float, steps: int
                     ) -> tuple[float, float, np.ndarray]:
    """Plain numpy gradient descent on the MSE, recomputing predictions from the rows every step.
    Returns the final (w, b) and losses[k] = the full-data loss after k updates."""
    x1 = x[:, 0]
    w, b = 0.0, 0.0
    losses = np.empty(steps + 1)
    for k in range(steps):
        pred = w * x1 + b
        err = pred - y
        losses[k] = np.mean(err * err)
        gw = 2.0 * np.mean(err * x1)
        gb = 2.0 * np.mean(err)
        w -= lr * gw
        b -= lr * gb
    err = w * x1 + b - y
    losses[steps] = np.mean(err * err)
    return w, b, losses


def gdcore_full_batch(x: np.ndarray, y: np.ndarray, lr: float, steps: int,
                      max_points: int = 2000):
    """gdcore, full batch, constant-lr SGD; a fresh problem each call (so its one pass over the
    data to build the moments is paid every time)."""
    from gdcore import LinearRegression, run

    return run(LinearRegression(x, y), {
        "name": "A", "batch_size": "full", "shuffle": False, "epochs": steps, "seed": 0,
        "optimizer": {"name": "sgd", "lr": lr}, "max_points": max_points,
    })


def workload_a(sz: Sizes, full_numpy: bool = False) -> Result:
    x, y = make_data(sz.a_n, seed=1)
    np_steps = sz.a_steps if full_numpy else min(sz.a_numpy_steps, sz.a_steps)
    times, last = time_interleaved({
        "gdcore": lambda: gdcore_full_batch(x, y, sz.a_lr, sz.a_steps),
        "numpy": lambda: numpy_full_batch(x, y, sz.a_lr, np_steps),
    }, sz.repeats)
    res = last["gdcore"]
    hist = res.history
    w_np, b_np, loss_np = last["numpy"]
    scale = sz.a_steps / np_steps
    ours, ref = min(times["gdcore"]), min(times["numpy"]) * scale
    row = hist[hist["step"] == np_steps].iloc[0]
    w_ls, b_ls = least_squares(x, y)
    hist_loss = hist["loss"].to_numpy()[: np_steps + 1]
    checks = {
        f"history has {sz.a_steps + 1} rows (every step)": len(hist) == sz.a_steps + 1,
        f"numpy and gdcore (w, b) agree to 1e-9 rel after {np_steps} steps":
            close(w_np, float(row["w"])) and close(b_np, float(row["b"])),
        f"numpy and gdcore losses agree to 1e-9 rel at steps 0..{np_steps}":
            len(hist_loss) == np_steps + 1
            and bool(np.all(np.abs(hist_loss - loss_np) <= 1e-9 * np.abs(loss_np))),
        "gdcore final (w, b) within 1e-4 of least squares":
            abs(res.params["w"] - w_ls) < 1e-4 and abs(res.params["b"] - b_ls) < 1e-4,
    }
    notes = [
        f"n = {sz.a_n:,}, {sz.a_steps} steps, lr {sz.a_lr}; best of {sz.repeats} "
        f"(median gdcore {statistics.median(times['gdcore']):.4f} s, "
        f"numpy {statistics.median(times['numpy']) * scale:.3f} s)",
        "gdcore time = fresh LinearRegression (one data pass for the moments) + run() "
        f"(kernel alone {res.wall_time:.4f} s in the last repeat)",
        f"numpy loop timed on {np_steps} steps and scaled x{scale:g} to {sz.a_steps}"
        if scale != 1 else f"numpy loop timed on all {sz.a_steps} steps",
        f"after {np_steps} steps: numpy w={w_np:.12g} b={b_np:.12g}; "
        f"gdcore w={float(row['w']):.12g} b={float(row['b']):.12g}",
        f"gdcore final w={res.params['w']:.10g} b={res.params['b']:.10g}; "
        f"least squares w={w_ls:.10g} b={b_ls:.10g}",
    ]
    ratio = ref / ours
    return Result("A", "full batch, loss every step", ours, ref, "numpy", ratio, TARGETS["A"],
                  ratio >= TARGETS["A"], checks, notes,
                  statistics.median(times["gdcore"]), statistics.median(times["numpy"]) * scale)


# --- B: SGD batch 1 vs scikit-learn -------------------------------------------------------------
def gdcore_sgd1(x: np.ndarray, y: np.ndarray, lr: float, epochs: int, seed: int = 0):
    from gdcore import LinearRegression, run

    return run(LinearRegression(x, y), {
        "name": "B", "batch_size": 1, "shuffle": True, "epochs": epochs, "seed": seed,
        "optimizer": {"name": "sgd", "lr": lr},
    })


def sklearn_sgd1(x: np.ndarray, y: np.ndarray, eta0: float, epochs: int, seed: int = 0):
    from sklearn.linear_model import SGDRegressor

    model = SGDRegressor(
        loss="squared_error", penalty=None, learning_rate="constant", eta0=eta0,
        max_iter=epochs, tol=None, n_iter_no_change=epochs + 1, shuffle=True, average=False,
        fit_intercept=True, early_stopping=False, random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x, y)
    return model


def workload_b(sz: Sizes) -> Result:
    x, y = make_data(sz.b_n, seed=2)
    eta0 = 2.0 * sz.b_lr
    sklearn_sgd1(x[:100], y[:100], eta0, 1)  # import and first-call costs, untimed
    times, last = time_interleaved({
        "gdcore": lambda: gdcore_sgd1(x, y, sz.b_lr, sz.b_epochs),
        "sklearn": lambda: sklearn_sgd1(x, y, eta0, sz.b_epochs),
    }, sz.repeats)
    res, model = last["gdcore"], last["sklearn"]
    w_ls, b_ls = least_squares(x, y)
    w_g, b_g = res.params["w"], res.params["b"]
    w_s, b_s = float(model.coef_[0]), float(model.intercept_[0])

    def mse(w: float, b: float) -> float:
        return float(np.mean((w * x[:, 0] + b - y) ** 2))

    l_ls = mse(w_ls, b_ls)
    ours, ref = min(times["gdcore"]), min(times["sklearn"])
    checks = {
        f"sklearn ran all {sz.b_epochs} epochs": int(model.n_iter_) == sz.b_epochs,
        f"gdcore made {sz.b_epochs * sz.b_n:,} updates": res.steps == sz.b_epochs * sz.b_n,
        "both (w, b) within 0.1 of least squares":
            max(abs(w_g - w_ls), abs(b_g - b_ls), abs(w_s - w_ls), abs(b_s - b_ls)) < 0.1,
    }
    notes = [
        f"n = {sz.b_n:,}, {sz.b_epochs} epochs, lr {sz.b_lr} (sklearn eta0 {eta0}); best of "
        f"{sz.repeats} (median gdcore {statistics.median(times['gdcore']):.4f} s, "
        f"sklearn {statistics.median(times['sklearn']):.4f} s)",
        "gdcore also computes the full-data loss after every update and keeps a history; "
        "shuffles differ, so the answers differ",
        f"gdcore  w={w_g:.6f} b={b_g:.6f} (excess MSE {100 * (mse(w_g, b_g) / l_ls - 1):.3f}%)",
        f"sklearn w={w_s:.6f} b={b_s:.6f} (excess MSE {100 * (mse(w_s, b_s) / l_ls - 1):.3f}%)",
        f"least squares w={w_ls:.6f} b={b_ls:.6f}",
    ]
    ratio = ours / ref
    return Result("B", "SGD batch 1 vs scikit-learn", ours, ref, "sklearn", ratio, TARGETS["B"],
                  ratio <= TARGETS["B"], checks, notes,
                  statistics.median(times["gdcore"]), statistics.median(times["sklearn"]))


# --- C: mini-batch Adam + cosine + clipping -------------------------------------------------------
def _lerp(a: np.ndarray, b: np.ndarray, w: float) -> np.ndarray:
    """torch.lerp, as gdcore.optimizers.lerp evaluates it."""
    return a + w * (b - a) if w < 0.5 else b - (b - a) * (1.0 - w)


def numpy_minibatch_adam(x: np.ndarray, y: np.ndarray, *, batch: int, epochs: int, lr: float,
                         t_max: int, max_norm: float, seed: int = 0,
                         betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8
                         ) -> np.ndarray:
    """Plain numpy mini-batch loop, the same rules as gdcore (PyTorch semantics): per batch
    index rows, MSE gradient, clip by global norm, Adam, cosine lr stepped per update. The rows
    are shuffled each epoch by gdcore's own seeded Fisher-Yates (``gdcore.kernel.shuffle_rows``),
    so both loops visit the same batches.
    Returns the final parameters (w..., b)."""
    n, d = x.shape
    X = np.empty((n, d + 1))
    X[:, :d] = x
    X[:, d] = 1.0
    b1, b2 = betas
    p, m, v = np.zeros(d + 1), np.zeros(d + 1), np.zeros(d + 1)
    from gdcore.kernel import shuffle_rows

    state = np.uint64(seed)
    idx = np.arange(n, dtype=np.int32)
    t = 0
    for _ in range(epochs):
        state = np.uint64(shuffle_rows(idx, state))  # numba returns a uint64 as a Python int
        for start in range(0, n, batch):
            rows = idx[start:start + batch]
            xb, yb = X[rows], y[rows]
            err = xb @ p - yb
            g = (2.0 / rows.shape[0]) * (xb.T @ err)
            total = math.sqrt(float(g @ g))
            coef = max_norm / (total + 1e-6)
            if coef < 1.0:
                g = g * coef
            lr_t = 0.0 + (lr - 0.0) * (1.0 + math.cos(math.pi * t / t_max)) / 2.0  # lr(e = t)
            t += 1
            m = _lerp(m, g, 1.0 - b1)
            v = b2 * v + (1.0 - b2) * g * g
            bc1 = 1.0 - b1 ** float(t)
            bc2_sqrt = math.sqrt(1.0 - b2 ** float(t))
            p = p - (lr_t / bc1) * (m / (np.sqrt(v) / bc2_sqrt + eps))
    return p


def gdcore_minibatch_adam(x: np.ndarray, y: np.ndarray, *, batch: int, epochs: int, lr: float,
                          t_max: int, max_norm: float, seed: int = 0):
    from gdcore import LinearRegression, run

    return run(LinearRegression(x, y), {
        "name": "C", "batch_size": batch, "shuffle": True, "epochs": epochs, "seed": seed,
        "optimizer": {"name": "adam", "lr": lr},
        "schedule": {"name": "cosine", "per": "update", "T_max": t_max},
        "clip": {"name": "norm", "max_norm": max_norm},
    })


def workload_c(sz: Sizes, full_numpy: bool = False) -> Result:
    x, y = make_data(sz.c_n, seed=3)
    per_epoch = -(-sz.c_n // sz.c_batch)
    t_max = sz.c_epochs * per_epoch
    np_epochs = sz.c_epochs if full_numpy else min(sz.c_numpy_epochs, sz.c_epochs)
    kw = {"batch": sz.c_batch, "lr": sz.c_lr, "t_max": t_max, "max_norm": sz.c_max_norm}
    times, last = time_interleaved({
        "gdcore": lambda: gdcore_minibatch_adam(x, y, epochs=sz.c_epochs, **kw),
        "numpy": lambda: numpy_minibatch_adam(x, y, epochs=np_epochs, **kw),
    }, sz.repeats)
    res, p_np = last["gdcore"], last["numpy"]
    same = res if np_epochs == sz.c_epochs else gdcore_minibatch_adam(x, y, epochs=np_epochs, **kw)
    scale = sz.c_epochs / np_epochs
    ours, ref = min(times["gdcore"]), min(times["numpy"]) * scale
    w_ls, b_ls = least_squares(x, y)
    checks = {
        f"numpy and gdcore (w, b) agree to 1e-9 rel after {np_epochs} epoch(s)":
            close(float(p_np[0]), same.params["w"]) and close(float(p_np[1]), same.params["b"]),
        f"gdcore made {sz.c_epochs * per_epoch:,} updates": res.steps == sz.c_epochs * per_epoch,
        "gdcore final (w, b) within 0.05 of least squares":
            abs(res.params["w"] - w_ls) < 0.05 and abs(res.params["b"] - b_ls) < 0.05,
    }
    notes = [
        f"n = {sz.c_n:,}, batch {sz.c_batch}, {sz.c_epochs} epochs = {t_max:,} updates, Adam lr "
        f"{sz.c_lr}, cosine per update (T_max {t_max:,}), clip norm {sz.c_max_norm}; best of "
        f"{sz.repeats} (median gdcore {statistics.median(times['gdcore']):.4f} s, "
        f"numpy {statistics.median(times['numpy']) * scale:.3f} s)",
        f"numpy loop timed on {np_epochs} epoch(s) and scaled x{scale:g}" if scale != 1
        else f"numpy loop timed on all {sz.c_epochs} epochs",
        f"after {np_epochs} epoch(s): numpy w={p_np[0]:.12g} b={p_np[1]:.12g}; "
        f"gdcore w={same.params['w']:.12g} b={same.params['b']:.12g}",
        f"gdcore final w={res.params['w']:.6f} b={res.params['b']:.6f}; least squares "
        f"w={w_ls:.6f} b={b_ls:.6f}",
    ]
    ratio = ours / ref
    return Result("C", "mini-batch Adam+cosine+clip", ours, ref, "numpy", ratio, TARGETS["C"],
                  ratio <= TARGETS["C"], checks, notes,
                  statistics.median(times["gdcore"]), statistics.median(times["numpy"]) * scale)


# --- D: compile time ---------------------------------------------------------------------------
_D_CODE = r"""
import json, time
t0, c0 = time.perf_counter(), time.process_time()
import numba
rows = []
try:  # per-function compile times (numba's event API); optional
    from numba.core import event

    class _Rec(event.Listener):
        def __init__(self):
            self.stack = []

        def on_start(self, ev):
            d = ev.data.get("dispatcher")
            f = getattr(d, "py_func", None)
            name = f"{f.__module__}.{f.__qualname__}" if f is not None else str(d)
            self.stack.append([name, time.perf_counter(), 0.0])

        def on_end(self, ev):
            name, start, child = self.stack.pop()
            dt = time.perf_counter() - start
            if self.stack:
                self.stack[-1][2] += dt
            rows.append((name, dt, dt - child, len(self.stack)))

    event.register("numba:compile", _Rec())
except Exception:
    pass
import gdcore
t1, c1 = time.perf_counter(), time.process_time()
import numpy as np
from gdcore import LinearRegression, run
rng = np.random.default_rng(0)
x = rng.normal(2.0, 3.0, size=(200, 1))
y = 3.0 * x[:, 0] - 1.5 + rng.normal(size=200)
cfg = {"name": "first", "batch_size": 16, "shuffle": True, "epochs": 5,
       "optimizer": {"name": "adam", "lr": 0.05},
       "schedule": {"name": "cosine", "per": "update", "T_max": 65},
       "clip": {"name": "norm", "max_norm": 1.0}}
t2, c2 = time.perf_counter(), time.process_time()
r = run(LinearRegression(x, y), cfg)
t3, c3 = time.perf_counter(), time.process_time()
print(json.dumps({"import_s": t1 - t0, "first_run_s": t3 - t2, "status": r.status,
                  "import_cpu_s": c1 - c0, "first_run_cpu_s": c3 - c2,
                  "cache_dir": numba.config.CACHE_DIR, "compiles": rows}))
"""


def _cache_files(folder: Path) -> dict[str, float]:
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.stat().st_mtime
            for p in folder.rglob("*") if p.suffix in (".nbi", ".nbc")}


def _fresh_process(cache_dir: Path) -> dict[str, Any]:
    env = dict(os.environ)
    env["NUMBA_CACHE_DIR"] = str(cache_dir)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _D_CODE], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"compile-time subprocess failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_s"] = wall
    return out


def workload_d() -> Result:
    in_tree = ROOT / "gdcore" / "__pycache__"
    before = _cache_files(in_tree)
    with tempfile.TemporaryDirectory(prefix="gdcore-numba-cache-") as tmp:
        cache = Path(tmp)
        cold = _fresh_process(cache)
        written = _cache_files(cache)
        warm = _fresh_process(cache)
    after = _cache_files(in_tree)
    untouched = all(after.get(k) == v for k, v in before.items()) and set(after) <= set(before)
    cold_total = cold["import_s"] + cold["first_run_s"]
    warm_total = warm["import_s"] + warm["first_run_s"]
    checks = {
        "NUMBA_CACHE_DIR honoured (cache written to the temp dir, gdcore/__pycache__ untouched)":
            len(written) > 0 and untouched and cold["cache_dir"] == str(cache),
        "both first runs completed": cold["status"] == warm["status"] == "completed",
    }
    notes = [
        "times are import gdcore (incl. numba) + the first small run (n = 200, batch 16, Adam, "
        "cosine, clip), measured inside a fresh interpreter",
        f"cold: import {cold['import_s']:.2f} s + first run {cold['first_run_s']:.2f} s "
        f"(CPU {cold['import_cpu_s']:.2f} + {cold['first_run_cpu_s']:.2f} s; whole process "
        f"{cold['process_s']:.2f} s); {len(written)} cache files written",
        f"warm: import {warm['import_s']:.2f} s + first run {warm['first_run_s']:.2f} s "
        f"(CPU {warm['import_cpu_s']:.2f} + {warm['first_run_cpu_s']:.2f} s; whole process "
        f"{warm['process_s']:.2f} s)",
        "wall times include waiting for the shared cores (see the load average); CPU times "
        "do not",
    ]
    rows = cold.get("compiles") or []
    if rows:
        excl: dict[str, float] = {}
        for name, _incl, self_s, _depth in rows:
            excl[name] = excl.get(name, 0.0) + self_s
        top = sorted(excl.items(), key=lambda kv: -kv[1])[:6]
        tops = [r for r in rows if r[3] == 0]
        notes.append("cold compile, top-level: " + ", ".join(
            f"{n.rsplit('.', 1)[-1]} {t:.2f} s" for n, t, _s, _d in tops))
        notes.append("cold compile, own time (excluding callees): " + ", ".join(
            f"{n.replace('gdcore.', '')} {t:.2f} s" for n, t in top))
        ours_s = sum(t for n, t in excl.items() if n.startswith("gdcore."))
        lib_s = sum(t for n, t in excl.items() if not n.startswith("gdcore."))
        notes.append(f"cold compile, own time summed: gdcore functions {ours_s:.2f} s, numba "
                     f"library implementations (shuffle, arange, error-message formatting, ...) "
                     f"{lib_s:.2f} s")
    return Result("D", "compile time (cold / warm cache)", cold_total, warm_total, "warm",
                  cold_total, TARGETS["D"], cold_total <= TARGETS["D"], checks, notes)


# --- main -----------------------------------------------------------------------------------------
WORKLOADS = ("A", "B", "C", "D")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes: a smoke check")
    ap.add_argument("--only", default=",".join(WORKLOADS), help="workloads to run, e.g. A,C")
    ap.add_argument("--repeats", type=int, default=None, help="timed repeats (best is reported)")
    ap.add_argument("--full-numpy", action="store_true",
                    help="time the numpy loops on the whole run instead of scaling a part")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = ap.parse_args(argv)
    sz = QUICK if args.quick else FULL
    if args.repeats is not None:
        sz = Sizes(**{**asdict(sz), "repeats": max(1, args.repeats)})
    chosen = [k.strip().upper() for k in args.only.split(",") if k.strip()]
    bad = [k for k in chosen if k not in WORKLOADS]
    if bad:
        ap.error(f"--only: unknown workload(s) {bad}; choose from {', '.join(WORKLOADS)}")

    t_start = time.perf_counter()
    say("gdcore benchmark" + (" (QUICK sizes: verdicts are only indicative)" if args.quick else ""))
    for line in machine_lines():
        say(line)
    say(f"timing   best of {sz.repeats} repeats, gdcore and its comparison interleaved; "
        "ratios from the best times")
    results: list[Result] = []
    if any(k in chosen for k in "ABC"):
        say(f"warm-up  gdcore compile or cache load {warm_up_gdcore():.2f} s (not timed)")
    runners = {"A": lambda: workload_a(sz, args.full_numpy), "B": lambda: workload_b(sz),
               "C": lambda: workload_c(sz, args.full_numpy), "D": workload_d}
    for key in chosen:
        say(f"\n-- {key} ...")
        r = runners[key]()
        results.append(r)
        say(r.row())
        for note in r.notes:
            say(f"     {note}")
        for name, ok in r.checks.items():
            say(f"     check {'ok  ' if ok else 'FAIL'} {name}")

    say("\n== summary " + "=" * 88)
    for r in results:
        say(r.row())
    total = time.perf_counter() - t_start
    say(f"\nratios: A = numpy / gdcore (speed-up); B = gdcore / sklearn; C = gdcore / numpy "
        f"(lower is better); D = seconds. Total benchmark time {total:.0f} s.")
    missed = [r.key for r in results if r.valid and not r.passed]
    invalid = [r.key for r in results if not r.valid]
    if missed:
        say("missed targets: " + ", ".join(missed))
    if invalid:
        say("INVALID comparisons (a correctness check failed): " + ", ".join(invalid))
    if args.json is not None:
        args.json.write_text(json.dumps([asdict(r) | {"valid": r.valid} for r in results],
                                        indent=2))
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main())
