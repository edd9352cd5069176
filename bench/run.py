"""gdcore benchmark: workloads side by side, times and ratios, targets (see bench/README.md).

    python -m bench.run              # full sizes (about 1.5 minutes on 2 shared cores)
    python -m bench.run --quick      # small sizes, a smoke check (verdicts only indicative)
    python -m bench.run --only A,C   # a subset; --repeats N; --full-numpy; --json out.json

It never fails on time: it prints times, ratios, targets and met / MISSED. It exits non-zero
only if a correctness check fails, because a ratio between two different computations means
nothing.

A  full batch, n = 1e6, 1000 steps, full-data loss every step: compiled gdcore vs a numpy loop
B  SGD batch 1, n = 1e5, 10 epochs: compiled gdcore vs scikit-learn SGDRegressor (lr = eta0/2)
C  mini-batch 32, n = 1e6, 5 epochs, Adam + cosine per update + clip: compiled gdcore vs numpy
   (A, B, C also time the interpreter loop, engine="python", on the same run)
E  fresh process, no compiled code anywhere: import gdcore + the dashboard's default comparison;
   every preset; each page's default engine work; each page script via AppTest (reference)
F  60-run learning-rate sweep (n = 1000, batch 32, 20 epochs, sgd): interpreter vs compiled
G  the compiled accelerator: cold build (empty cache) and warm load, each in a fresh process
H  clicks: AppTest interactions on this tree and on the baseline commit (bench.clicks)
L  logistic regression, full batch, n = 20,000 x 4 (and 200,000 x 4): gdcore vs a numpy loop
   with and without the full-data loss at every step (no moment shortcut: a pass per loss)
M  logistic regression, mini-batch 32 SGD, n = 20,000 x 4, 5 epochs: gdcore vs numpy loops and
   scikit-learn SGDClassifier(loss="log_loss"); batch 1, where gdcore = scikit-learn step for step
T  the work budget's time estimate (gdcore.limits.run_seconds) beside measured interpreter runs
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import gc
import json
import math
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/run.py` puts bench/ first, not the repo root
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench import fresh as fresh_cases  # noqa: E402 - stdlib only at import time

TRUE_W, TRUE_B, NOISE = 3.0, -1.5, 1.0
# L, M: labels drawn from P(y = 1) = σ(x·w + b) with these weights, on correlated features of
# different spreads (so plain GD has a condition number to fight): the classes overlap, the
# cross-entropy has a finite minimum (IRLS finds it)
LOGIT_W, LOGIT_B = (1.0, -0.5, 2.0, 0.0), 0.3
LOGIT_SPREAD = (1.0, 2.0, 0.5, 1.5)
LOGIT_MIX = 0.5  # x2 += LOGIT_MIX * x1: two correlated features
TARGETS = {"A": 500.0, "B": 0.75, "C": 0.05, "E": 1.0}
PY_SCALE_ABOVE_S = 60.0  # C: time the interpreter on 1 epoch and scale when it would take longer
PAGES = ("dashboard.py", "pages/1_Loss_landscape.py", "pages/2_Learning_rate_sweep.py",
         "pages/3_Lessons.py")


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
    f_n: int = 1000
    f_lrs: int = 60
    f_batch: int = 32
    f_epochs: int = 20
    repeats: int = 3
    py_repeats: int = 1  # the interpreter on B, C (seconds each); A's interpreter uses `repeats`
    pages: bool = True  # E: also time each page script via AppTest
    click_repeats: int = 5  # H: interactions of each kind (median)
    l_n: int = 20_000  # L: logistic regression, full batch (rows x LOGIT_W's 4 features)
    l_steps: int = 200
    l_lr: float = 0.5
    l_big_n: int = 200_000  # L2: the same on ten times the rows, fewer steps
    l_big_steps: int = 50
    m_n: int = 20_000  # M: logistic regression, mini-batch SGD
    m_batch: int = 32
    m_epochs: int = 5
    m_lr: float = 0.1  # scikit-learn gets eta0 = lr (the same step on a row's gradient)
    m1_n: int = 5_000  # M1: batch 1, no shuffling, 1 epoch (gdcore = scikit-learn step for step)
    m1_small_n: int = 500  # ... and on a tenth of the rows: the cost per update grows with n
    m1_lr: float = 0.05
    t_scale: float = 1.0  # T: epochs of its runs, as a share of the full sizes'


FULL = Sizes()
QUICK = Sizes(a_n=100_000, a_numpy_steps=50, b_n=10_000, c_n=100_000, f_lrs=12, f_epochs=5,
              repeats=2, pages=False, click_repeats=1, l_n=5_000, l_big_n=50_000, m_n=5_000,
              m_epochs=2, m1_n=1_000, m1_small_n=100, t_scale=0.1)


@dataclass
class Row:
    """One line of the table."""

    key: str
    title: str
    ours_s: float  # gdcore (best of the repeats, or the one measurement)
    ref_s: float | None  # what it is compared with (scaled when the notes say so)
    ref_label: str
    ratio: float | None
    ratio_kind: str  # "speed-up" (ref / ours), "share" (ours / ref), "" none
    target: str  # e.g. ">= 500x", "<= 0.75x", "<= 1 s"; "" = reported only
    met: bool | None  # None: no target


@dataclass
class Result:
    key: str
    title: str
    rows: list[Row]
    checks: dict[str, bool] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return all(self.checks.values())

    @property
    def passed(self) -> bool:
        return all(r.met is not False for r in self.rows)


def verdict(row: Row, valid: bool) -> str:
    if not valid:
        return "INVALID"
    return "-" if row.met is None else ("met" if row.met else "MISSED")


def table_lines(results: list[Result]) -> list[str]:
    head = (f"{'':<4}{'workload':<47}{'gdcore':>11}  {'compared with':<26}{'ratio':>10}  "
            f"{'target':<10}{'verdict':<8}")
    out = [head, "-" * len(head)]
    for res in results:
        for r in res.rows:
            ref = "" if r.ref_s is None else f"{r.ref_label} {_secs(r.ref_s)}"
            if r.ratio is None:
                ratio = ""
            elif r.ratio_kind == "speed-up":
                ratio = f"{r.ratio:,.0f}x" if r.ratio >= 100 else f"{r.ratio:.2f}x"
            else:
                ratio = f"{r.ratio:.3f}x"
            out.append(f"{r.key:<4}{r.title[:46]:<47}{_secs(r.ours_s):>11}  {ref[:25]:<26}"
                       f"{ratio:>10}  {r.target or '(report)':<10}{verdict(r, res.valid):<8}")
    return out


def _n(n: int) -> str:
    """1000000 -> "1e6"; other sizes with thousands separators."""
    k = round(math.log10(n)) if n > 0 else 0
    return f"1e{k}" if n == 10**k and k >= 3 else f"{n:,}"


def _secs(s: float) -> str:
    return f"{s:.4f} s" if s < 1 else f"{s:.3f} s" if s < 100 else f"{s:.1f} s"


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
        lines.append("WARNING  NUMBA_DISABLE_JIT is set: the compiled path runs as pure Python")
    return lines


def load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:  # pragma: no cover
        return "?"


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


def identical(r1, r2) -> bool:
    """Two gdcore RunResults with bit-identical numbers (history, parameters, losses, status)."""
    cols = [c for c in r1.history.columns if c != "run"]
    return (r1.status == r2.status and r1.steps == r2.steps and r1.params == r2.params
            and r1.final_loss == r2.final_loss and r1.best_loss == r2.best_loss
            and r1.history[cols].equals(r2.history[cols]))


def time_interleaved(fns: dict[str, Callable[[], Any]], repeats: int,
                     counts: dict[str, int] | None = None
                     ) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Run each function ``repeats`` times (``counts[name]`` times if given, in the first rounds),
    alternating between them so that all see the same (noisy, shared) machine; returns the times
    and each function's last result."""
    counts = counts or {}
    times: dict[str, list[float]] = {k: [] for k in fns}
    last: dict[str, Any] = {}
    rounds = max([repeats, *counts.values()])
    for i in range(rounds):
        for name, fn in fns.items():
            if i >= counts.get(name, repeats):
                continue
            gc.collect()
            t0 = time.perf_counter()
            last[name] = fn()
            times[name].append(time.perf_counter() - t0)
    return times, last


def med(xs: list[float], scale: float = 1.0) -> float:
    return statistics.median(xs) * scale


def warm_up_gdcore(timeout: float | None = 900.0) -> tuple[float, str, str]:
    """Get the compiled accelerator ready (build or load from the per-user cache), untimed by the
    workloads, then one tiny compiled run. Returns (seconds, state, detail)."""
    from gdcore import LinearRegression, run
    from gdcore.engine import accel

    t0 = time.perf_counter()
    accel.wait(timeout)
    x, y = make_data(64)
    run(LinearRegression(x, y), {"name": "warm-up", "batch_size": 8, "epochs": 1},
        engine="compiled")
    state, detail = accel.status()
    return time.perf_counter() - t0, state, detail


def compiled_ready() -> bool:
    from gdcore.engine import accel

    return accel.status()[0] == "ready"


@contextlib.contextmanager
def engine_env(value: str) -> Iterator[None]:
    """GDCORE_ENGINE=value for code that takes no engine argument (lab.sweep.sweep)."""
    old = os.environ.get("GDCORE_ENGINE")
    os.environ["GDCORE_ENGINE"] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("GDCORE_ENGINE", None)
        else:
            os.environ["GDCORE_ENGINE"] = old


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
                      max_points: int = 2000, engine: str = "compiled"):
    """gdcore, full batch, constant-lr SGD; a fresh problem each call (so its one pass over the
    data to build the moments is paid every time)."""
    from gdcore import LinearRegression, run

    return run(LinearRegression(x, y), {
        "name": "A", "batch_size": "full", "shuffle": False, "epochs": steps, "seed": 0,
        "optimizer": {"name": "sgd", "lr": lr}, "max_points": max_points,
    }, engine=engine)


def workload_a(sz: Sizes, full_numpy: bool = False) -> Result:
    x, y = make_data(sz.a_n, seed=1)
    np_steps = sz.a_steps if full_numpy else min(sz.a_numpy_steps, sz.a_steps)
    times, last = time_interleaved({
        "gdcore": lambda: gdcore_full_batch(x, y, sz.a_lr, sz.a_steps),
        "numpy": lambda: numpy_full_batch(x, y, sz.a_lr, np_steps),
        "python": lambda: gdcore_full_batch(x, y, sz.a_lr, sz.a_steps, engine="python"),
    }, sz.repeats)
    res, res_py = last["gdcore"], last["python"]
    hist = res.history
    w_np, b_np, loss_np = last["numpy"]
    scale = sz.a_steps / np_steps
    ours, ref, py = min(times["gdcore"]), min(times["numpy"]) * scale, min(times["python"])
    row = hist[hist["step"] == np_steps].iloc[0]
    w_ls, b_ls = least_squares(x, y)
    hist_loss = hist["loss"].to_numpy()[: np_steps + 1]
    checks = {
        "the compiled accelerator ran (ready, no fallback)": compiled_ready(),
        f"history has {sz.a_steps + 1} rows (every step)": len(hist) == sz.a_steps + 1,
        f"numpy and gdcore (w, b) agree to 1e-9 rel after {np_steps} steps":
            close(w_np, float(row["w"])) and close(b_np, float(row["b"])),
        f"numpy and gdcore losses agree to 1e-9 rel at steps 0..{np_steps}":
            len(hist_loss) == np_steps + 1
            and bool(np.all(np.abs(hist_loss - loss_np) <= 1e-9 * np.abs(loss_np))),
        "interpreter and compiled runs identical (history, parameters, losses)":
            identical(res, res_py),
        "gdcore final (w, b) within 1e-4 of least squares":
            abs(res.params["w"] - w_ls) < 1e-4 and abs(res.params["b"] - b_ls) < 1e-4,
    }
    notes = [
        f"n = {sz.a_n:,}, {sz.a_steps} steps, lr {sz.a_lr}; best of {sz.repeats} (medians: "
        f"compiled {med(times['gdcore']):.4f} s, interpreter {med(times['python']):.4f} s, "
        f"numpy {med(times['numpy'], scale):.3f} s)",
        "gdcore time = fresh LinearRegression (one data pass for the moments) + run() "
        f"(loop alone in the last repeat: compiled {res.wall_time:.4f} s, interpreter "
        f"{res_py.wall_time:.4f} s)",
        f"numpy loop timed on {np_steps} steps and scaled x{scale:g} to {sz.a_steps}"
        if scale != 1 else f"numpy loop timed on all {sz.a_steps} steps",
        f"after {np_steps} steps: numpy w={w_np:.12g} b={b_np:.12g}; "
        f"gdcore w={float(row['w']):.12g} b={float(row['b']):.12g}",
        f"gdcore final w={res.params['w']:.10g} b={res.params['b']:.10g}; "
        f"least squares w={w_ls:.10g} b={b_ls:.10g}",
    ]
    rows = [
        Row("A", f"full batch n={_n(sz.a_n)} x{sz.a_steps} steps, compiled", ours, ref, "numpy", ref / ours,
            "speed-up", f">= {TARGETS['A']:g}x", ref / ours >= TARGETS["A"]),
        Row("A'", "  same, interpreter (engine=python)", py, ours, "compiled", py / ours,
            "share", "", None),
    ]
    return Result("A", "full batch, loss every step", rows, checks, notes)


# --- B: SGD batch 1 vs scikit-learn -------------------------------------------------------------
def gdcore_sgd1(x: np.ndarray, y: np.ndarray, lr: float, epochs: int, seed: int = 0,
                engine: str = "compiled"):
    from gdcore import LinearRegression, run

    return run(LinearRegression(x, y), {
        "name": "B", "batch_size": 1, "shuffle": True, "epochs": epochs, "seed": seed,
        "optimizer": {"name": "sgd", "lr": lr},
    }, engine=engine)


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
        "python": lambda: gdcore_sgd1(x, y, sz.b_lr, sz.b_epochs, engine="python"),
    }, sz.repeats, {"python": sz.py_repeats})
    res, model, res_py = last["gdcore"], last["sklearn"], last["python"]
    w_ls, b_ls = least_squares(x, y)
    w_g, b_g = res.params["w"], res.params["b"]
    w_s, b_s = float(model.coef_[0]), float(model.intercept_[0])

    def mse(w: float, b: float) -> float:
        return float(np.mean((w * x[:, 0] + b - y) ** 2))

    l_ls = mse(w_ls, b_ls)
    ours, ref, py = min(times["gdcore"]), min(times["sklearn"]), min(times["python"])
    checks = {
        "the compiled accelerator ran (ready, no fallback)": compiled_ready(),
        f"sklearn ran all {sz.b_epochs} epochs": int(model.n_iter_) == sz.b_epochs,
        f"gdcore made {sz.b_epochs * sz.b_n:,} updates": res.steps == sz.b_epochs * sz.b_n,
        "interpreter and compiled runs identical (history, parameters, losses)":
            identical(res, res_py),
        "both (w, b) within 0.1 of least squares":
            max(abs(w_g - w_ls), abs(b_g - b_ls), abs(w_s - w_ls), abs(b_s - b_ls)) < 0.1,
    }
    notes = [
        f"n = {sz.b_n:,}, {sz.b_epochs} epochs, lr {sz.b_lr} (sklearn eta0 {eta0}); compiled "
        f"and sklearn best of {sz.repeats}, interpreter {len(times['python'])} run(s) (medians: "
        f"compiled {med(times['gdcore']):.4f} s, sklearn {med(times['sklearn']):.4f} s)",
        "gdcore also computes the full-data loss after every update and keeps a history; "
        "shuffles differ, so the answers differ",
        f"loop alone in the last repeat: compiled {res.wall_time:.4f} s, interpreter "
        f"{res_py.wall_time:.3f} s",
        f"gdcore  w={w_g:.6f} b={b_g:.6f} (excess MSE {100 * (mse(w_g, b_g) / l_ls - 1):.3f}%)",
        f"sklearn w={w_s:.6f} b={b_s:.6f} (excess MSE {100 * (mse(w_s, b_s) / l_ls - 1):.3f}%)",
        f"least squares w={w_ls:.6f} b={b_ls:.6f}",
    ]
    rows = [
        Row("B", f"SGD batch 1, n={_n(sz.b_n)} x{sz.b_epochs} epochs, compiled", ours, ref,
            "sklearn", ours / ref, "share", f"<= {TARGETS['B']:g}x", ours / ref <= TARGETS["B"]),
        Row("B'", "  same, interpreter (engine=python)", py, ours, "compiled", py / ours,
            "share", "", None),
    ]
    return Result("B", "SGD batch 1 vs scikit-learn", rows, checks, notes)


# --- C: mini-batch Adam + cosine + clipping -------------------------------------------------------
def _lerp(a: np.ndarray, b: np.ndarray, w: float) -> np.ndarray:
    """torch.lerp, as gdcore.rules.optimizers.lerp evaluates it."""
    return a + w * (b - a) if w < 0.5 else b - (b - a) * (1.0 - w)


def numpy_minibatch_adam(x: np.ndarray, y: np.ndarray, *, batch: int, epochs: int, lr: float,
                         t_max: int, max_norm: float, seed: int = 0,
                         betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                         shuffle_clock: list[float] | None = None) -> np.ndarray:
    """Plain numpy mini-batch loop, the same rules as gdcore (PyTorch semantics): per batch
    index rows, MSE gradient, clip by global norm, Adam, cosine lr stepped per update.

    The rows are visited in gdcore's own order: ``order = list(range(n))`` shuffled in place,
    cumulatively, once per epoch by ``gdcore.engine.rng.shuffle(order, state)`` from ``state = seed``,
    so both loops visit the same batches. That shuffle is pure Python (the price of matching
    gdcore's permutation, not what a numpy program would pay), so the seconds spent in it are
    appended to ``shuffle_clock`` for the benchmark to leave out of the numpy time.
    Returns the final parameters (w..., b)."""
    from gdcore.engine.rng import shuffle

    n, d = x.shape
    X = np.empty((n, d + 1))
    X[:, :d] = x
    X[:, d] = 1.0
    b1, b2 = betas
    p, m, v = np.zeros(d + 1), np.zeros(d + 1), np.zeros(d + 1)
    order = list(range(n))
    state = seed
    t = 0
    for _ in range(epochs):
        t_shuffle = time.perf_counter()
        state = shuffle(order, state)
        if shuffle_clock is not None:
            shuffle_clock.append(time.perf_counter() - t_shuffle)
        idx = np.array(order, dtype=np.int64)  # kept in the time: about a numpy permutation
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


def minibatch_adam_config(*, batch: int, epochs: int, lr: float, t_max: int, max_norm: float,
                          seed: int = 0) -> dict:
    return {"name": "C", "batch_size": batch, "shuffle": True, "epochs": epochs, "seed": seed,
            "optimizer": {"name": "adam", "lr": lr},
            "schedule": {"name": "cosine", "per": "update", "T_max": t_max},
            "clip": {"name": "norm", "max_norm": max_norm}}


def gdcore_minibatch_adam(x: np.ndarray, y: np.ndarray, *, batch: int, epochs: int, lr: float,
                          t_max: int, max_norm: float, seed: int = 0, engine: str = "compiled"):
    from gdcore import LinearRegression, run

    cfg = minibatch_adam_config(batch=batch, epochs=epochs, lr=lr, t_max=t_max,
                                max_norm=max_norm, seed=seed)
    return run(LinearRegression(x, y), cfg, engine=engine)


def interpreter_estimate(x: np.ndarray, y: np.ndarray, cfg: dict) -> float:
    """gdcore's own estimate of the interpreter's seconds for a run (gdcore.engine.dispatch)."""
    from gdcore import LinearRegression, parse_run
    from gdcore.engine import dispatch as engines
    from gdcore.engine.plan import make_plan

    problem = LinearRegression(x, y)
    return engines.python_seconds(problem, make_plan(problem, parse_run(cfg)))


def workload_c(sz: Sizes, full_numpy: bool = False) -> Result:
    x, y = make_data(sz.c_n, seed=3)
    per_epoch = -(-sz.c_n // sz.c_batch)
    t_max = sz.c_epochs * per_epoch
    np_epochs = sz.c_epochs if full_numpy else min(sz.c_numpy_epochs, sz.c_epochs)
    kw = {"batch": sz.c_batch, "lr": sz.c_lr, "t_max": t_max, "max_norm": sz.c_max_norm}
    estimate = interpreter_estimate(x, y, minibatch_adam_config(epochs=sz.c_epochs, **kw))
    py_epochs = sz.c_epochs if estimate <= PY_SCALE_ABOVE_S else 1
    clock: list[float] = []

    def numpy_run() -> np.ndarray:
        clock.clear()
        return numpy_minibatch_adam(x, y, epochs=np_epochs, shuffle_clock=clock, **kw)

    shuffle_s: list[float] = []
    times, last = time_interleaved({
        "gdcore": lambda: gdcore_minibatch_adam(x, y, epochs=sz.c_epochs, **kw),
        "numpy": lambda: (numpy_run(), shuffle_s.append(sum(clock)))[0],
        "python": lambda: gdcore_minibatch_adam(x, y, epochs=py_epochs, engine="python", **kw),
    }, sz.repeats, {"python": sz.py_repeats})
    res, p_np, res_py = last["gdcore"], last["numpy"], last["python"]
    same = res if np_epochs == sz.c_epochs else gdcore_minibatch_adam(x, y, epochs=np_epochs, **kw)
    same_py = res if py_epochs == sz.c_epochs else gdcore_minibatch_adam(x, y, epochs=py_epochs,
                                                                         **kw)
    scale = sz.c_epochs / np_epochs
    py_scale = sz.c_epochs / py_epochs
    net = [t - s for t, s in zip(times["numpy"], shuffle_s, strict=True)]
    ours, ref = min(times["gdcore"]), min(net) * scale
    py = min(times["python"]) * py_scale
    w_ls, b_ls = least_squares(x, y)
    t_perm = time.perf_counter()
    np.random.default_rng(0).permutation(sz.c_n)
    perm_s = time.perf_counter() - t_perm
    checks = {
        "the compiled accelerator ran (ready, no fallback)": compiled_ready(),
        f"numpy and gdcore (w, b) agree to 1e-9 rel after {np_epochs} epoch(s)":
            close(float(p_np[0]), same.params["w"]) and close(float(p_np[1]), same.params["b"]),
        f"gdcore made {sz.c_epochs * per_epoch:,} updates": res.steps == sz.c_epochs * per_epoch,
        f"interpreter and compiled runs identical over {py_epochs} epoch(s) (history, "
        "parameters, losses)": identical(same_py, res_py),
        "gdcore final (w, b) within 0.05 of least squares":
            abs(res.params["w"] - w_ls) < 0.05 and abs(res.params["b"] - b_ls) < 0.05,
    }
    notes = [
        f"n = {sz.c_n:,}, batch {sz.c_batch}, {sz.c_epochs} epochs = {t_max:,} updates, Adam lr "
        f"{sz.c_lr}, cosine per update (T_max {t_max:,}), clip norm {sz.c_max_norm}; compiled "
        f"and numpy best of {sz.repeats}, interpreter {len(times['python'])} run(s) (medians: "
        f"compiled {med(times['gdcore']):.4f} s, numpy {med(net, scale):.3f} s)",
        f"numpy loop timed on {np_epochs} epoch(s) and scaled x{scale:g}" if scale != 1
        else f"numpy loop timed on all {sz.c_epochs} epochs",
        f"numpy time excludes the pure-Python gdcore.engine.rng.shuffle it calls to follow gdcore's "
        f"row order ({statistics.median(shuffle_s) / np_epochs:.3f} s per epoch, left out); "
        f"it keeps the list->array of the order (a numpy permutation of {sz.c_n:,} rows takes "
        f"{perm_s:.3f} s, for scale)",
        (f"interpreter timed on all {sz.c_epochs} epochs (gdcore's estimate {estimate:.1f} s)"
         if py_scale == 1 else
         f"interpreter timed on 1 epoch and scaled x{py_scale:g}: gdcore's own estimate for "
         f"{sz.c_epochs} epochs is {estimate:.0f} s > {PY_SCALE_ABOVE_S:g} s"),
        f"loop alone in the last repeat: compiled {res.wall_time:.4f} s, interpreter "
        f"{res_py.wall_time:.3f} s",
        f"after {np_epochs} epoch(s): numpy w={p_np[0]:.12g} b={p_np[1]:.12g}; "
        f"gdcore w={same.params['w']:.12g} b={same.params['b']:.12g}",
        f"gdcore final w={res.params['w']:.6f} b={res.params['b']:.6f}; least squares "
        f"w={w_ls:.6f} b={b_ls:.6f}",
    ]
    py_title = ("  same, interpreter (engine=python)" if py_scale == 1 else
                f"  same, interpreter (1 epoch x{py_scale:g})")
    rows = [
        Row("C", f"batch {sz.c_batch} Adam+cos+clip n={_n(sz.c_n)} x{sz.c_epochs}, compiled",
            ours, ref, "numpy", ours / ref, "share", f"<= {TARGETS['C']:g}x", ours / ref <= TARGETS["C"]),
        Row("C'", py_title, py, ours, "compiled", py / ours, "share", "", None),
    ]
    return Result("C", "mini-batch Adam+cosine+clip", rows, checks, notes)


# --- L, M: logistic regression --------------------------------------------------------------------
# Logistic runs on the interpreter loop (gdcore.engine.loop; the compiled loop runs linear regression
# only, gdcore.engine.accel.bridge.supports), so every gdcore time here is engine="python". The
# cross-entropy has no moment shortcut: every full-data loss the history records is a pass over
# all rows.
@contextlib.contextmanager
def one_blas_thread() -> Iterator[str]:
    """One BLAS thread for gdcore, numpy and scikit-learn alike, for L and M (threadpoolctl, which
    scikit-learn depends on). Their products are matrix-vector (X w and Xᵀ r on n x 4): a second
    OpenBLAS thread gains nothing there on two shared cores, and it spins, so with it the times
    swing with the machine's load. Yields a note naming the BLAS thread counts before."""
    from threadpoolctl import threadpool_info, threadpool_limits

    before = ", ".join(f"{i['internal_api']} {i['num_threads']}" for i in threadpool_info()
                       if i["user_api"] == "blas") or "none found"
    with threadpool_limits(limits=1, user_api="blas"):
        yield f"one BLAS thread for every timed run here (threadpoolctl; before: {before})"


def make_logistic_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """x: (n, 4) Gaussian features with spreads LOGIT_SPREAD, the second correlated with the first;
    labels 0/1 drawn from P(y = 1) = σ(x·LOGIT_W + LOGIT_B), so the classes overlap."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, len(LOGIT_W))) * np.asarray(LOGIT_SPREAD)
    x[:, 1] += LOGIT_MIX * x[:, 0]
    z = x @ np.asarray(LOGIT_W) + LOGIT_B
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-z))).astype(np.float64)
    return x, y


def log_loss(x: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> float:
    """Mean cross-entropy of 0/1 labels under P(y = 1) = σ(x·w + b), written apart from gdcore
    (numpy's logaddexp: log(1 + e^z) - y z): the one yardstick for every method's answer."""
    z = x @ np.asarray(w, dtype=np.float64) + float(b)
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def bce_mean(z: np.ndarray, y: np.ndarray) -> float:
    """The numpy loops' loss: mean(max(z, 0) - y z + log1p(e^-|z|)), PyTorch's stable form of
    BCEWithLogitsLoss. (numpy's logaddexp, used by :func:`log_loss`, is a scalar loop several
    times slower: fine for scoring answers, not what a loop timed against gdcore should pay.)"""
    return float(np.mean(np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z)))))


def log_loss_gradient(x: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """Its gradient (w..., b) = (Xᵀ r / n, mean r), r = σ(z) - y with σ from scipy.special."""
    from scipy.special import expit

    r = expit(x @ np.asarray(w, dtype=np.float64) + float(b)) - y
    return np.append(x.T @ r / x.shape[0], r.mean())


def same_params(a: np.ndarray, b: np.ndarray, tol: float = 1e-9) -> bool:
    """Parameter vectors equal to ``tol`` relative to the larger one (at least 1)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and float(np.max(np.abs(a - b))) <= tol * max(
        1.0, float(np.max(np.abs(a))), float(np.max(np.abs(b))))


def losses_match(hist, losses: np.ndarray, rel: float = 1e-9) -> bool:
    """gdcore's history ``loss`` column (the steps it kept) = ``losses[step]`` to ``rel``."""
    steps = hist["step"].to_numpy()
    if len(steps) == 0 or steps[-1] >= len(losses):
        return False
    ours, ref = hist["loss"].to_numpy(), losses[steps]
    return bool(np.all(np.abs(ours - ref) <= rel * np.abs(ref)))


def numpy_logistic_full_batch(x: np.ndarray, y: np.ndarray, lr: float, steps: int,
                              record_loss: bool = True
                              ) -> tuple[np.ndarray, float, np.ndarray | None]:
    """What a practitioner writes: full-batch gradient descent on the mean cross-entropy, one pass
    over the rows per step (z, the sigmoid, the gradient) and, with ``record_loss``, the loss at
    the current point from the same z (gdcore's history records it at every step), written as
    PyTorch's BCEWithLogitsLoss writes it (:func:`bce_mean`).
    Returns (w, b, losses), losses[k] = the full-data loss after k steps (None without)."""
    n, d = x.shape
    w, b = np.zeros(d), 0.0
    losses = np.empty(steps + 1) if record_loss else None
    for k in range(steps):
        z = x @ w + b
        if record_loss:
            losses[k] = bce_mean(z, y)
        r = 1.0 / (1.0 + np.exp(-z)) - y
        w = w - lr * (x.T @ r / n)
        b = b - lr * (r.sum() / n)
    if record_loss:
        losses[steps] = bce_mean(x @ w + b, y)
    return w, float(b), losses


def numpy_logistic_minibatch(x: np.ndarray, y: np.ndarray, *, lr: float, batch: int, epochs: int,
                             seed: int = 0, record_loss: bool = True,
                             shuffle_clock: list[float] | None = None
                             ) -> tuple[np.ndarray, float, np.ndarray | None]:
    """Plain numpy mini-batch SGD on the mean cross-entropy: each epoch the rows gathered once in
    a new order, then per batch z, the sigmoid, the batch gradient and the update; with
    ``record_loss``, after every update the full-data loss at the new point (a pass over all
    rows: what gdcore's history records). The order is gdcore's own (as in C: ``order`` shuffled
    in place, cumulatively, by ``gdcore.engine.rng.shuffle`` from ``state = seed``); that shuffle is pure
    Python, so its seconds go to ``shuffle_clock`` for the benchmark to leave out.
    Returns (w, b, losses), losses[k] = the full-data loss after k updates (None without)."""
    from gdcore.engine.rng import shuffle

    n, d = x.shape
    w, b = np.zeros(d), 0.0
    losses = [bce_mean(x @ w + b, y)] if record_loss else None
    order, state = list(range(n)), seed
    for _ in range(epochs):
        t_shuffle = time.perf_counter()
        state = shuffle(order, state)
        if shuffle_clock is not None:
            shuffle_clock.append(time.perf_counter() - t_shuffle)
        idx = np.array(order, dtype=np.int64)
        xs, ys = x[idx], y[idx]
        for start in range(0, n, batch):
            xb, yb = xs[start:start + batch], ys[start:start + batch]
            r = 1.0 / (1.0 + np.exp(-(xb @ w + b))) - yb
            m = yb.shape[0]
            w = w - lr * (xb.T @ r / m)
            b = b - lr * (r.sum() / m)
            if record_loss:
                losses.append(bce_mean(x @ w + b, y))
    return w, float(b), None if losses is None else np.asarray(losses, dtype=np.float64)


def gdcore_logistic(x: np.ndarray, y: np.ndarray, *, batch: int | str, epochs: int, lr: float,
                    shuffle: bool = False, seed: int = 0, engine: str = "python",
                    split: list[tuple[float, float, float]] | None = None):
    """gdcore, constant-lr SGD on logistic regression; a fresh problem each call, so what the
    problem caches (its IRLS optimum, the steps-to-converge target run() asks for) is paid every
    time. The optimum is asked for first, so ``split`` can get (its seconds, the loop's, the
    call's)."""
    from gdcore import run
    from gdcore.models.logistic import LogisticRegression

    t0 = time.perf_counter()
    problem = LogisticRegression(x, y)
    _ = problem.optimum  # what run() computes first (its plan needs the best possible loss)
    t_irls = time.perf_counter()
    res = run(problem, {
        "name": "L", "batch_size": batch, "shuffle": shuffle, "epochs": epochs, "seed": seed,
        "optimizer": {"name": "sgd", "lr": lr},
    }, engine=engine)
    if split is not None:
        split.append((t_irls - t0, res.wall_time, time.perf_counter() - t0))
    return res


def split_line(split: list[tuple[float, float, float]], times: list[float], rows: int) -> str:
    """Where gdcore's fastest call spent its time."""
    irls, loop, total = split[int(np.argmin(times))]
    return (f"gdcore's time (fresh LogisticRegression + run()), its fastest call: IRLS optimum "
            f"{irls:.4f} s (run() needs it: the steps-to-converge target), loop {loop:.4f} s, "
            f"the rest {total - irls - loop:.4f} s (plan; history of {rows} rows with its "
            "accuracy column)")


def params_of(res) -> np.ndarray:
    """A gdcore result's parameters as one vector (w1..wd, b)."""
    return np.array(list(res.params.values()), dtype=np.float64)


def sklearn_logistic(x: np.ndarray, y: np.ndarray, *, eta0: float, epochs: int,
                     shuffle: bool = True, seed: int = 0):
    """scikit-learn's plain SGD on the log-loss: one update per row (no batches, nothing
    averaged), w <- w - eta0 (σ(z) - y) x, the same step gdcore takes on a row's gradient."""
    from sklearn.linear_model import SGDClassifier

    model = SGDClassifier(
        loss="log_loss", penalty=None, learning_rate="constant", eta0=eta0, max_iter=epochs,
        tol=None, n_iter_no_change=epochs + 1, shuffle=shuffle, average=False,
        fit_intercept=True, early_stopping=False, random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x, y)
    return model


def sklearn_params(model) -> np.ndarray:
    return np.append(model.coef_[0], model.intercept_[0]).astype(np.float64)


def logistic_optimum(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray | None, float]:
    """gdcore's IRLS optimum (p*, its loss): the reference every answer is measured against."""
    from gdcore.models.logistic import LogisticRegression

    p_star, loss_star = LogisticRegression(x, y).optimum
    return p_star, float(loss_star)


def optimum_checks(x: np.ndarray, y: np.ndarray, p_star: np.ndarray | None, loss_star: float,
                   finals: dict[str, float]) -> dict[str, bool]:
    """The reference is the minimum: finite (the classes overlap), its gradient ~0 and its loss
    the independent log-loss; no method's final loss below it."""
    if p_star is None:
        return {"the classes overlap: IRLS found a finite optimum": False}
    grad = log_loss_gradient(x, y, p_star[:-1], p_star[-1])
    return {
        "the classes overlap: IRLS found a finite optimum": True,
        "IRLS optimum: gradient norm <= 1e-8 and loss = the independent log-loss (1e-12 rel)":
            float(np.linalg.norm(grad)) <= 1e-8
            and close(loss_star, log_loss(x, y, p_star[:-1], p_star[-1]), 1e-12),
        "no final loss below the IRLS optimum's (" + ", ".join(finals) + ")":
            all(v >= loss_star - 1e-12 for v in finals.values()),
    }


def loss_line(finals: dict[str, float], loss_star: float) -> str:
    """Each method's final log-loss (by :func:`log_loss`) and its excess over the optimum's."""
    return ("final log-loss (one independent function): " + "; ".join(
        f"{k} {v:.10f} (+{v - loss_star:.2e})" for k, v in finals.items())
        + f"; IRLS optimum {loss_star:.10f}")


def _logistic_full_batch_rows(n: int, steps: int, lr: float, repeats: int, key: str, seed: int
                              ) -> tuple[list[Row], dict[str, bool], list[str]]:
    x, y = make_logistic_data(n, seed=seed)
    split: list[tuple[float, float, float]] = []
    times, last = time_interleaved({
        "gdcore": lambda: gdcore_logistic(x, y, batch="full", epochs=steps, lr=lr, split=split),
        "numpy": lambda: numpy_logistic_full_batch(x, y, lr, steps),
        "numpy-": lambda: numpy_logistic_full_batch(x, y, lr, steps, record_loss=False),
    }, repeats)
    res, (w_np, b_np, loss_np), (w_n0, b_n0, _) = last["gdcore"], last["numpy"], last["numpy-"]
    p_g = params_of(res)
    p_star, loss_star = logistic_optimum(x, y)
    ours, ref, ref0 = min(times["gdcore"]), min(times["numpy"]), min(times["numpy-"])
    finals = {"gdcore": log_loss(x, y, p_g[:-1], p_g[-1]), "numpy": log_loss(x, y, w_np, b_np)}
    checks = {
        f"{key}: history has {steps + 1} rows (every step)": len(res.history) == steps + 1,
        f"{key}: numpy loops (with and without the per-step loss) and gdcore parameters agree "
        "to 1e-9": same_params(p_g, np.append(w_np, b_np))
        and same_params(p_g, np.append(w_n0, b_n0)),
        f"{key}: numpy's loss at every step = gdcore's history loss column (1e-9 rel)":
            losses_match(res.history, loss_np),
        f"{key}: gdcore's final loss = the independent log-loss of its parameters (1e-12 rel)":
            close(res.final_loss, finals["gdcore"], 1e-12),
    }
    checks.update({f"{key}: {k}": v for k, v in optimum_checks(x, y, p_star, loss_star,
                                                                 finals).items()})
    ms = 1e3 / steps
    loop_s = split[int(np.argmin(times["gdcore"]))][1]
    notes = [
        f"{key}: n = {n:,} x {x.shape[1]} features, {steps} steps of SGD lr {lr}, full-data loss "
        f"at every step; best of {repeats} (medians: gdcore {med(times['gdcore']):.4f} s, numpy "
        f"with loss {med(times['numpy']):.4f} s, without {med(times['numpy-']):.4f} s)",
        f"{key}: per step: gdcore {ours * ms:.3f} ms (loop alone {loop_s * ms:.3f} ms: "
        f"the batch gradient at p, then loss and gradient at the new point: two passes); numpy "
        f"{ref * ms:.3f} ms with the loss (one pass: z serves both), {ref0 * ms:.3f} ms without"
        f" (recording it costs {(ref - ref0) * ms:.3f} ms a step)",
        f"{key}: {split_line(split, times['gdcore'], len(res.history))}",
        f"{key}: {loss_line(finals, loss_star)}",
    ]
    title = f"logistic full batch n={_n(n)}x{x.shape[1]}, {steps} steps"
    rows = [
        Row(key, title, ours, ref, "numpy+loss", ours / ref, "share", "", None),
        Row(f"{key}-", "  same vs numpy, no per-step loss", ours, ref0, "numpy", ours / ref0,
            "share", "", None),
    ]
    return rows, checks, notes


def workload_l(sz: Sizes) -> Result:
    with one_blas_thread() as blas:
        rows, checks, notes = _logistic_full_batch_rows(sz.l_n, sz.l_steps, sz.l_lr, sz.repeats,
                                                        "L", seed=11)
        big = _logistic_full_batch_rows(sz.l_big_n, sz.l_big_steps, sz.l_lr, sz.repeats, "L2",
                                        seed=12)
    notes[:0] = ["gdcore on its interpreter loop (logistic regression does not run on the "
                 "compiled one); ratio = gdcore / numpy", blas]
    return Result("L", "logistic regression, full batch", rows + big[0], checks | big[1],
                  notes + big[2])


def workload_m(sz: Sizes) -> Result:
    with one_blas_thread() as blas:
        result = _workload_m(sz)
    result.notes.insert(1, blas)
    return result


def _workload_m(sz: Sizes) -> Result:
    x, y = make_logistic_data(sz.m_n, seed=13)
    kw = {"lr": sz.m_lr, "batch": sz.m_batch, "epochs": sz.m_epochs, "seed": 0}
    sklearn_logistic(x[:100], y[:100], eta0=sz.m_lr, epochs=1)  # import, first call: untimed
    clock: list[float] = []
    shuffle_s: dict[str, list[float]] = {"numpy": [], "numpy-": []}

    def numpy_run(key: str, record: bool):
        clock.clear()
        out = numpy_logistic_minibatch(x, y, record_loss=record, shuffle_clock=clock, **kw)
        shuffle_s[key].append(sum(clock))
        return out

    split: list[tuple[float, float, float]] = []
    times, last = time_interleaved({
        "gdcore": lambda: gdcore_logistic(x, y, shuffle=True, split=split, **kw),
        "numpy": lambda: numpy_run("numpy", True),
        "numpy-": lambda: numpy_run("numpy-", False),
        "sklearn": lambda: sklearn_logistic(x, y, eta0=sz.m_lr, epochs=sz.m_epochs),
    }, sz.repeats)
    res, model = last["gdcore"], last["sklearn"]
    (w_np, b_np, loss_np), (w_n0, b_n0, _) = last["numpy"], last["numpy-"]
    net = {k: [t - s for t, s in zip(times[k], shuffle_s[k], strict=True)] for k in shuffle_s}
    ours, sk = min(times["gdcore"]), min(times["sklearn"])
    ref, ref0 = min(net["numpy"]), min(net["numpy-"])
    p_g, p_s = params_of(res), sklearn_params(model)
    p_star, loss_star = logistic_optimum(x, y)
    # untimed: scikit-learn with eta0 = lr / batch moves as far per epoch as the mini-batch run
    # (32 row steps of lr/32 ~ one batch step of lr), with less noise than eta0 = lr
    p_s_b = sklearn_params(sklearn_logistic(x, y, eta0=sz.m_lr / sz.m_batch, epochs=sz.m_epochs))
    finals = {"gdcore": log_loss(x, y, p_g[:-1], p_g[-1]), "numpy": log_loss(x, y, w_np, b_np),
              "sklearn": log_loss(x, y, p_s[:-1], p_s[-1]),
              "sklearn eta0=lr/batch": log_loss(x, y, p_s_b[:-1], p_s_b[-1])}
    updates = sz.m_epochs * -(-sz.m_n // sz.m_batch)
    loop_s = split[int(np.argmin(times["gdcore"]))][1]

    # M1: batch 1 without shuffling, where scikit-learn and gdcore take the very same steps
    x1, y1 = make_logistic_data(sz.m1_n, seed=14)
    xs, ys = x1[:sz.m1_small_n], y1[:sz.m1_small_n]
    kw1 = {"batch": 1, "epochs": 1, "lr": sz.m1_lr}
    split1: list[tuple[float, float, float]] = []
    split1s: list[tuple[float, float, float]] = []
    t1, last1 = time_interleaved({
        "gdcore": lambda: gdcore_logistic(x1, y1, split=split1, **kw1),
        "sklearn": lambda: sklearn_logistic(x1, y1, eta0=sz.m1_lr, epochs=1, shuffle=False),
        "gdcore-small": lambda: gdcore_logistic(xs, ys, split=split1s, **kw1),
    }, sz.repeats)
    r1, m1, r1s = last1["gdcore"], last1["sklearn"], last1["gdcore-small"]
    ours1, sk1 = min(t1["gdcore"]), min(t1["sklearn"])
    us_big = min(loop for _, loop, _ in split1) / sz.m1_n * 1e6  # the loop's time per update
    us_small = min(loop for _, loop, _ in split1s) / sz.m1_small_n * 1e6

    checks = {
        f"gdcore made {updates:,} updates": res.steps == updates,
        "numpy loops (with and without the per-step loss) and gdcore parameters agree to 1e-9 "
        "(same row order)": same_params(p_g, np.append(w_np, b_np))
        and same_params(p_g, np.append(w_n0, b_n0)),
        f"numpy's full-data loss after each update = gdcore's history loss column at its "
        f"{len(res.history)} kept steps (1e-9 rel)": losses_match(res.history, loss_np),
        "gdcore's final loss = the independent log-loss of its parameters (1e-12 rel)":
            close(res.final_loss, finals["gdcore"], 1e-12),
        f"sklearn ran all {sz.m_epochs} epochs ({sz.m_epochs * sz.m_n:,} row updates)":
            int(model.n_iter_) == sz.m_epochs and int(model.t_) == sz.m_epochs * sz.m_n + 1,
        f"M1: batch 1, no shuffling: sklearn and gdcore parameters agree to 1e-9 after "
        f"{sz.m1_n:,} updates (the same step on each row)":
            r1.steps == sz.m1_n and r1s.steps == sz.m1_small_n and int(m1.t_) == sz.m1_n + 1
            and same_params(params_of(r1), sklearn_params(m1)),
    }
    checks.update(optimum_checks(x, y, p_star, loss_star, finals))
    per_epoch = {k: v / sz.m_epochs for k, v in
                 {"gdcore": ours, "numpy with loss": ref, "numpy without": ref0,
                  "sklearn": sk}.items()}
    notes = [
        "gdcore on its interpreter loop (logistic regression does not run on the compiled one); "
        "ratio = gdcore / comparison",
        f"n = {sz.m_n:,} x {x.shape[1]} features, batch {sz.m_batch}, {sz.m_epochs} epochs = "
        f"{updates:,} updates, SGD lr {sz.m_lr}, shuffled each epoch; best of {sz.repeats} "
        f"(medians: gdcore {med(times['gdcore']):.3f} s, numpy with loss "
        f"{med(net['numpy']):.3f} s, without {med(net['numpy-']):.4f} s, sklearn "
        f"{med(times['sklearn']):.4f} s)",
        "per epoch: " + ", ".join(f"{k} {v:.4f} s" for k, v in per_epoch.items()),
        f"per update: gdcore {ours / updates * 1e6:.0f} us (loop alone "
        f"{loop_s / updates * 1e6:.0f} us), numpy {ref / updates * 1e6:.0f} us with the "
        f"full-data loss, {ref0 / updates * 1e6:.1f} us without: recording the loss is "
        f"{100 * (ref - ref0) / ref:.0f}% of numpy's time",
        split_line(split, times["gdcore"], len(res.history)) + "; the loop includes its "
        "shuffles and gathers",
        "numpy time excludes the pure-Python gdcore.engine.rng.shuffle it calls to follow gdcore's row "
        f"order ({statistics.median(shuffle_s['numpy']) / sz.m_epochs:.4f} s per epoch, left "
        "out); gdcore's time includes its own",
        f"sklearn SGDClassifier(loss='log_loss', penalty=None, learning_rate='constant', "
        f"eta0={sz.m_lr}, max_iter={sz.m_epochs}, tol=None, shuffle=True): one update per row "
        f"({sz.m_epochs * sz.m_n:,} in all, {sz.m_batch}x gdcore's), each the step gdcore takes "
        "on that row alone (σ(z) - y)·(x, 1) (its per-row loss is the same cross-entropy, no "
        "1/2); nothing averaged; it records no full-data loss; its own row order; also fitted "
        f"(untimed) with eta0 = lr/{sz.m_batch}, which moves as far per epoch as gdcore's "
        "batches",
        loss_line(finals, loss_star),
        f"M1: batch 1, {sz.m1_n:,} rows, 1 epoch, lr {sz.m1_lr}, no shuffling (sklearn "
        f"shuffle=False): gdcore {ours1:.4f} s, sklearn {sk1:.5f} s; gdcore's loop per update "
        f"{us_big:.0f} us on {sz.m1_n:,} rows vs {us_small:.0f} us on {sz.m1_small_n:,} "
        f"(x{us_big / us_small:.1f} for x{sz.m1_n / sz.m1_small_n:g} rows: after every update "
        "the full-data loss, a pass over all n rows, on top of a fixed cost)",
    ]
    rows = [
        Row("M", f"logistic batch {sz.m_batch} n={_n(sz.m_n)}x{x.shape[1]}, {sz.m_epochs} "
            "epochs", ours, ref, "numpy+loss", ours / ref, "share", "", None),
        Row("M-", "  same vs numpy, no per-step loss", ours, ref0, "numpy", ours / ref0,
            "share", "", None),
        Row("Ms", "  same vs sklearn SGDClassifier (per row)", ours, sk, "sklearn", ours / sk,
            "share", "", None),
        Row("M1", f"logistic batch 1 n={_n(sz.m1_n)}x{x1.shape[1]}, 1 epoch", ours1, sk1,
            "sklearn", ours1 / sk1, "share", "", None),
    ]
    return Result("M", "logistic regression, mini-batch and batch 1", rows, checks, notes)


# --- fresh processes (E, F, G) ------------------------------------------------------------------
def fresh(case: str, *, cache_dir: Path | None = None, engine: str | None = None,
          timeout: float = 900.0) -> dict[str, Any]:
    """Run ``python -m bench.fresh CASE`` in a new interpreter: GDCORE_CACHE_DIR = ``cache_dir``
    (default: a new empty temporary directory, removed afterwards), GDCORE_ENGINE = ``engine``
    (default: unset). The child gets a process group of its own, which is ended when it exits:
    an accelerator build it started in the background (the page scripts start one) must not run
    on into the next measurement."""
    own = cache_dir is None
    cache = Path(tempfile.mkdtemp(prefix="gdcore-bench-cache-")) if own else cache_dir
    env = dict(os.environ)
    env.pop("GDCORE_ENGINE", None)
    if engine is not None:
        env["GDCORE_ENGINE"] = engine
    env["GDCORE_CACHE_DIR"] = str(cache)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bench.fresh", case], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # only this child's own group
        proc.wait()
    wall = time.perf_counter() - t0
    try:
        if proc.returncode != 0:
            raise RuntimeError(f"fresh process {case!r} failed (exit {proc.returncode}):\n"
                               f"{err[-3000:]}")
        result = json.loads(out.strip().splitlines()[-1])
        result["process_s"] = wall
        result["cache_entries"] = sorted(p.name for p in cache.iterdir()) if cache.exists() else []
        return result
    finally:
        if own:
            shutil.rmtree(cache, ignore_errors=True)


def _literal(path: Path, name: str) -> Any:
    """The literal value assigned to ``name`` at the top level of a page script."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name
                                                for t in node.targets):
            return ast.literal_eval(node.value)
    raise KeyError(name)


def page_defaults_match() -> dict[str, bool]:
    """bench.fresh mirrors the pages' defaults: check them against the page scripts."""
    out = {}
    try:
        funcs = _literal(ROOT / "pages/1_Loss_landscape.py", "FUNCS")
        starts, lr, steps = _literal(ROOT / "pages/1_Loss_landscape.py", "DEFAULTS")[funcs[0]]
        d = fresh_cases.LANDSCAPE_DEFAULT
        out["landscape default (function, starts, lr, steps) as in the page"] = (
            (funcs[0], starts, lr, steps) == (d["fn"], d["starts"], d["lr"], d["steps"]))
    except (OSError, KeyError, ValueError, SyntaxError, TypeError, IndexError):
        out["landscape default (function, starts, lr, steps) as in the page"] = False
    try:
        page = _literal(ROOT / "pages/2_Learning_rate_sweep.py", "DEFAULT")
        d = fresh_cases.SWEEP_DEFAULT
        out["sweep DEFAULT (problem, lrs, epochs, optimizers) as in the page"] = (
            page["problem"] == d["problem"] and page["lo"] == d["lo"] and page["hi"] == d["hi"]
            and page["n"] == d["n"] and page["epochs"] == d["epochs"]
            and tuple(page["optimizers"]) == d["optimizers"])
    except (OSError, KeyError, ValueError, SyntaxError, TypeError):
        out["sweep DEFAULT (problem, lrs, epochs, optimizers) as in the page"] = False
    return out


E_CASES = (
    ("dashboard", "import + dashboard default (preset lr)"),
    ("landscape", "import + landscape page default (engine)"),
    ("sweep", "import + sweep page default, 25 lrs (engine)"),
    ("lessons", "import + lessons page default (lesson 1)"),
    ("lessons-all", "import + all 7 lessons' defaults (engine)"),
)


def workload_e(sz: Sizes) -> Result:
    from lab import presets

    cases = [E_CASES[0], *((f"preset:{k}", f"import + preset {k!r}") for k in presets.PRESETS),
             *E_CASES[1:]]
    rows, notes, checks = [], [], {}
    fresh_all, numba_free, nothing_built = True, True, True
    for case, title in cases:
        r = fresh(case)
        ok = r["total_s"] <= TARGETS["E"]
        rows.append(Row("E", title, r["total_s"], r["import_s"], "import", None, "",
                        f"<= {TARGETS['E']:g} s", ok))
        numba_free &= not r["numba_imported"] and not r["llvmlite_imported"]
        nothing_built &= not r["cache_entries"] and r["accel_state"] == "off"
        fresh_all &= r["engine_env"] is None
        notes.append(f"{case:<18} total {r['total_s']:.3f} s = import gdcore {r['import_s']:.3f}"
                     f" s + work {r['work_s']:.3f} s; whole process {r['process_s']:.2f} s; "
                     f"numba imported: {'yes' if r['numba_imported'] else 'no'}; "
                     f"{json.dumps(r['result'])[:110]}")
    checks["fresh processes had GDCORE_ENGINE unset and an empty new cache dir"] = fresh_all
    checks["numba (and llvmlite) never imported in any fresh engine process"] = numba_free
    checks["nothing compiled: the cache dirs stayed empty, accelerator never started"] = (
        nothing_built)
    checks.update(page_defaults_match())
    if sz.pages:
        with tempfile.TemporaryDirectory(prefix="gdcore-bench-warm-") as tmp:
            warm_dir = Path(tmp)
            built = fresh("accel", cache_dir=warm_dir)  # a ready cache for the 'warm' figures
            for page in PAGES:
                r = fresh(f"apptest:{page}")
                off = fresh(f"apptest:{page}", engine="python")
                warm = fresh(f"apptest:{page}", cache_dir=warm_dir)
                checks[f"AppTest {page} ran without an exception"] = not any(
                    x["result"]["exceptions"] for x in (r, off, warm))
                rows.append(Row("E*", f"AppTest {page.replace('pages/', '')} (whole)",
                                r["result"]["script_s"], off["result"]["script_s"], "accel off",
                                None, "", "", None))
                reused = (built["result"]["ready"]
                          and warm["cache_entries"] == built["cache_entries"])
                warm_text = (f"{warm['result']['script_s']:.3f} s (numba imported in the page "
                             f"process: {'yes' if warm['numba_imported'] else 'no'})" if reused
                             else "not measured (the engine sources changed during the run, "
                             "so the page built anew)")
                notes.append(
                    f"AppTest {page}: empty cache {r['result']['script_s']:.3f} s (CPU "
                    f"{r['result']['script_cpu_s']:.3f} s; process {r['process_s']:.2f} s; "
                    f"build started in the background, numba imported in the page process: "
                    f"{'yes' if r['numba_imported'] else 'no'}); GDCORE_ENGINE=python "
                    f"{off['result']['script_s']:.3f} s (CPU {off['result']['script_cpu_s']:.3f}"
                    f" s); accelerator "
                    f"already built (loads in the background) {warm_text}; "
                    f"{r['result']['charts']} chart(s)")
    else:
        notes.append("AppTest page scripts skipped (--quick)")
    notes.insert(0, "each row: a new interpreter, GDCORE_ENGINE unset, GDCORE_CACHE_DIR = a new "
                 "empty temp dir; wall seconds measured inside it from before `import gdcore` "
                 "to after the result ('compared with' = the import part of that time)")
    if sz.pages:
        notes.insert(1, "E* rows (no target): streamlit AppTest of each whole page script, in "
                     "a fresh process with an empty cache dir (charts and widgets included); "
                     "'compared with' = the same with GDCORE_ENGINE=python; the notes add a "
                     "third figure, a cache dir where the accelerator is already built")
    return Result("E", "fresh process, no compiled code anywhere", rows, checks, notes)


def lr_sweep(sz: Sizes):
    import gdcore
    from lab import sweep as S

    ds = gdcore.load_dataset({"source": "generate", "n": sz.f_n, "seed": 0})
    problem = gdcore.LinearRegression.from_dataset(ds)
    lrs = S.log_lrs(1e-4, 1.0, sz.f_lrs)
    return S.sweep(problem, {"epochs": sz.f_epochs, "batch_size": sz.f_batch, "seed": 0}, lrs,
                   optimizers=("sgd",))


def workload_f(sz: Sizes) -> Result:
    def sweep_with(engine: str):
        with engine_env(engine):
            return lr_sweep(sz)

    times, last = time_interleaved({"python": lambda: sweep_with("python"),
                                    "compiled": lambda: sweep_with("compiled")}, sz.repeats)
    df_py, df_c = last["python"], last["compiled"]
    py, comp = min(times["python"]), min(times["compiled"])
    spec = f"{sz.f_n},{sz.f_batch},{sz.f_epochs},{sz.f_lrs}"
    cold = fresh(f"lr-sweep:{spec}", engine="python")
    labels = df_py["label"].value_counts().to_dict()
    checks = {
        "the compiled accelerator ran (ready, no fallback)": compiled_ready(),
        f"{sz.f_lrs} runs": len(df_py) == len(df_c) == sz.f_lrs,
        "interpreter and compiled sweeps identical (labels, losses, parameters)":
            df_py.equals(df_c),
        "fresh-process interpreter sweep gives the same labels and losses":
            cold["result"]["labels"] == labels
            and cold["result"]["final_loss_sum"] == float(df_py["final_loss"].sum()),
        "fresh process: numba never imported": not cold["numba_imported"],
    }
    updates = sz.f_epochs * -(-sz.f_n // sz.f_batch)
    notes = [
        f"linear regression on generated data n = {sz.f_n:,} (seed 0), {sz.f_lrs} log-spaced "
        f"lrs 1e-4..1, batch {sz.f_batch}, {sz.f_epochs} epochs ({updates} updates a run), sgd, "
        f"via lab.sweep.sweep; labels {labels}",
        f"in this (warm) process, engine forced with GDCORE_ENGINE; best of {sz.repeats} "
        f"(medians: interpreter {med(times['python']):.3f} s, compiled "
        f"{med(times['compiled']):.3f} s)",
        f"fresh process, GDCORE_ENGINE=python: sweep {cold['result']['sweep_s']:.3f} s "
        f"(+ import gdcore {cold['import_s']:.3f} s; whole process {cold['process_s']:.2f} s)",
    ]
    rows = [
        Row("F", f"lr sweep {sz.f_lrs} runs, interpreter (warm proc)", py, comp, "compiled",
            py / comp, "share", "", None),
        Row("F'", "  same, interpreter, fresh process", cold["result"]["sweep_s"], comp,
            "compiled", cold["result"]["sweep_s"] / comp, "share", "", None),
    ]
    return Result("F", "learning-rate sweep", rows, checks, notes)


def _loaded_dir(r: dict[str, Any]) -> str | None:
    """The compiled-code directory a fresh process reported loading ("ready in ... (DIR)")."""
    m = re.search(r"\((/[^()]*)\)\s*$", r["result"]["detail"])
    return Path(m.group(1)).name if m else None


def workload_g(sz: Sizes) -> Result:
    with tempfile.TemporaryDirectory(prefix="gdcore-bench-accel-") as tmp:
        cache = Path(tmp)
        cold = fresh("accel", cache_dir=cache)
        warm = fresh("accel", cache_dir=cache)
    built, loaded = _loaded_dir(cold), _loaded_dir(warm)
    checks = {"cold build finished and verified (ready)": cold["result"]["ready"],
              "warm load ready": warm["result"]["ready"],
              "warm load used the cold build (engine sources unchanged in between)":
                  built is not None and built == loaded}
    notes = [
        "accel.wait() in a fresh process: cold = empty GDCORE_CACHE_DIR (child build at low priority "
        "+ load + verification), warm = a second fresh process on the same dir",
        f"cold: {cold['result']['wait_s']:.2f} s (whole process {cold['process_s']:.2f} s) "
        f"{cold['result']['detail']}",
        f"warm: {warm['result']['wait_s']:.2f} s (whole process {warm['process_s']:.2f} s) "
        f"{warm['result']['detail']}",
    ]
    c, w = cold["result"]["wait_s"], warm["result"]["wait_s"]
    rows = [Row("G", "accelerator cold build (fresh process)", c, w, "warm load", c / w,
                "share", "", None)]
    return Result("G", "compiled accelerator build / load", rows, checks, notes)


# --- main -----------------------------------------------------------------------------------------
def workload_h(sz: Sizes) -> Result:
    """What a click costs: AppTest drives the pages on this tree and on the baseline commit."""
    from bench import clicks

    res = clicks.measure(repeats=sz.click_repeats, baseline=clicks.BASELINE)
    rows = []
    base = res["baseline"] or {}
    for key, ms in res["now"].items():
        target = clicks.TARGETS_MS.get(key)
        before = base.get(key)
        rows.append(Row("H", f"  {key}", ms / 1000, None if before is None else before / 1000,
                        f"before ({clicks.BASELINE})", None if before is None else ms / before,
                        "share", f"<= {target} ms" if target else "",
                        None if target is None else ms <= target))
    notes = clicks.lines(res)[-1:] + [
        f"median of {sz.click_repeats} interactions of each kind, AppTest script time (whole "
        "reruns: in the browser a view change reruns only the charts' fragment)"]
    return Result("H", "clicks", rows, checks={"baseline measured": res["baseline"] is not None},
                  notes=notes)


# --- T: the work budget's time estimate against measured runs ---------------------------------
T_CASES = (  # (title, data, run config at full size): every kind of update the budget prices
    ("numeric gradient, batch 4 (the issue's setup)", "cars",
     {"gradient": "numeric", "batch_size": 4, "epochs": 300}),
    ("SGD batch 1, 100,000 rows, shuffled", "generated 100000",
     {"batch_size": 1, "epochs": 3}),
    ("Adam batch 32, clipped, 3 features", "cars",
     {"batch_size": 32, "epochs": 3000, "optimizer": {"name": "adam", "lr": 0.01},
      "clip": {"name": "norm", "max_norm": 1.0}}),
    ("sequential update, batch 8, 3 features", "cars",
     {"batch_size": 8, "epochs": 500, "update": "sequential"}),
    ("full batch, 3 features", "cars", {"epochs": 30000}),
    ("line search, every step its 40 trials", "cars",
     {"epochs": 2000, "optimizer": {"name": "sgd", "lr": 0.001},
      "method": {"name": "line_search", "c": 0.999999, "shrink": 0.999}}),
    ("line search as it runs (few trials)", "cars",
     {"epochs": 20000, "optimizer": {"name": "sgd", "lr": 1.0}, "method": "line_search"}),
    ("logistic, full batch (569 rows)", "breast_cancer", {"epochs": 5000}),
    ("logistic, batch 1 (a pass per update)", "breast_cancer", {"batch_size": 1, "epochs": 20}),
    ("logistic, numeric, batch 32", "breast_cancer",
     {"batch_size": 32, "epochs": 100, "gradient": "numeric"}),
    ("logistic, Newton, 1 trial a step", "breast_cancer",
     {"epochs": 2000, "method": {"name": "newton", "max_trials": 1}}),
    ("Rosenbrock, numeric gradient", "rosenbrock",
     {"epochs": 100000, "gradient": "numeric", "optimizer": {"name": "sgd", "lr": 0.0005}}),
)


def _t_problem(data: str):
    import gdcore

    if data == "rosenbrock":
        return gdcore.make_problem("rosenbrock")
    if data.startswith("generated"):
        return gdcore.make_problem("linear", gdcore.load_dataset(
            {"source": "generate", "n": int(data.split()[1]), "seed": 0}))
    problem = "logistic" if data == "breast_cancer" else "linear"
    return gdcore.make_problem(problem, gdcore.load_dataset(
        {"source": "sample", "name": data, "standardize": True}, problem=problem))


def workload_t(sz: Sizes) -> Result:
    """Each case on the interpreter loop: its CPU time (time.process_time: what the budget's
    constants were measured in; wall time on a busy machine is longer) against the budget's
    estimate, which should be at or above it (it counts every update a run may make, and every
    trial a line search may make)."""
    from gdcore import limits
    from gdcore.engine import runner
    from gdcore.spec.config import parse_run

    rows, checks, notes = [], {}, []
    with one_blas_thread():
        for title, data, cfg in T_CASES:
            problem = _t_problem(data)
            cfg = {"optimizer": {"name": "sgd", "lr": 0.01}, **cfg,
                   "epochs": max(1, round(cfg["epochs"] * sz.t_scale))}
            shape = runner.run_shape(parse_run(cfg), problem)
            estimate = limits.run_seconds(shape)
            cpu, wall = [], []
            for _ in range(sz.repeats):
                gc.collect()
                t0, c0 = time.perf_counter(), time.process_time()
                res = runner.run(problem, cfg, engine="python")
                cpu.append(time.process_time() - c0)
                wall.append(time.perf_counter() - t0)
            ratio = min(cpu) / estimate
            rows.append(Row("T", f"  {title}", min(cpu), estimate, "estimate", ratio, "share",
                            "<= 1x", ratio <= 1.0))
            checks[f"{title}: ran every update ({shape.updates:,})"] = (
                res.steps == shape.updates or res.status == "converged")
            notes.append(f"{title}: {shape.updates:,} updates, estimate "
                         f"{estimate / shape.updates * 1e6:.1f} µs each; measured CPU "
                         f"{min(cpu) / shape.updates * 1e6:.1f} µs (best of {sz.repeats}), "
                         f"wall {min(wall) / shape.updates * 1e6:.1f} µs; {res.status}")
    notes.append(f"the budget refuses an experiment whose estimate passes "
                 f"{limits.MAX_SECONDS:g} s (gdcore.limits.MAX_SECONDS)")
    return Result("T", "work budget: estimated vs measured interpreter time", rows, checks,
                  notes)


WORKLOADS = ("A", "B", "C", "E", "F", "G", "H", "L", "M", "T")


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
    if os.environ.pop("GDCORE_ENGINE", None) is not None:
        say("note     GDCORE_ENGINE was set; ignored here (each row names its engine)")
    say(f"timing   best of {sz.repeats} repeats (interpreter on B, C: {sz.py_repeats}), "
        "gdcore and its comparisons interleaved; ratios from the best times")
    results: list[Result] = []
    if any(k in chosen for k in "ABCF"):
        from gdcore.engine import accel

        secs, state, detail = warm_up_gdcore()
        say(f"warm-up  accel.wait() + a tiny compiled run {secs:.2f} s (not timed): {state}; "
            f"{detail}; cache root {accel.cache_root()}")
    runners = {"A": lambda: workload_a(sz, args.full_numpy), "B": lambda: workload_b(sz),
               "C": lambda: workload_c(sz, args.full_numpy), "E": lambda: workload_e(sz),
               "F": lambda: workload_f(sz), "G": lambda: workload_g(sz),
               "H": lambda: workload_h(sz), "L": lambda: workload_l(sz),
               "M": lambda: workload_m(sz), "T": lambda: workload_t(sz)}
    for key in chosen:
        say(f"\n-- {key} ... (load average {load_average()})")
        r = runners[key]()
        results.append(r)
        for line in table_lines([r])[2:]:
            say(line)
        for note in r.notes:
            say(f"     {note}")
        for name, ok in r.checks.items():
            say(f"     check {'ok  ' if ok else 'FAIL'} {name}")

    say("\n== summary " + "=" * 106)
    for line in table_lines(results):
        say(line)
    total = time.perf_counter() - t_start
    say("\nratio: A = numpy / gdcore (speed-up, higher is better); B, C = gdcore / comparison "
        "(lower is better);\n       A', B', C', F, F' = interpreter / compiled; G = cold build / "
        "warm load. E rows: 'compared with' = the\n       import gdcore part of the time; E* = "
        "whole page scripts, 'compared with' = the same with GDCORE_ENGINE=python.\n"
        "       L, M = gdcore / comparison (logistic regression, gdcore's interpreter loop; "
        "L-, M- against numpy\n       without the per-step full-data loss, Ms against "
        "scikit-learn SGDClassifier).\n"
        f"Load average at the end {load_average()}. Total benchmark time {total:.0f} s.")
    missed = [f"{row.key} {row.title.strip()}" for r in results if r.valid for row in r.rows
              if row.met is False]
    invalid = [r.key for r in results if not r.valid]
    if missed:
        say("MISSED targets: " + "; ".join(missed))
    if invalid:
        say("INVALID comparisons (a correctness check failed): " + ", ".join(invalid))
    if args.json is not None:
        args.json.write_text(json.dumps(
            [asdict(r) | {"valid": r.valid} for r in results], indent=2, default=str))
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main())
