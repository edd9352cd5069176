"""Loss landscapes of the test functions: paths of several runs, basins of attraction, grids for
contour plots, and a numeric-vs-analytic gradient check. Everything returns tidy DataFrames.

    paths(FUNCTIONS["double_well"], [-3, 0.5, 3], ["sgd", "adam"], {"epochs": 60})
    basins(FUNCTIONS["double_well"], np.linspace(-3, 3, 61), {"optimizer": {"lr": 0.01}})
    gradient_check(FUNCTIONS["rosenbrock"], (-1.5, 2.0), h=1e-5)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .config import parse_run
from .errors import ConfigError
from .problems import TestFunction
from .runner import run
from .sweep import MAX_POINTS, classify, describe

MAX_STARTS = 12
MAX_BASIN_STARTS = 401


def parse_points(text: str, dim: int) -> list[tuple[float, ...]]:
    """Starting points from text: 1-D ``"-3, 0.5, 3"``; 2-D ``"-1.5 2; 0 0"`` (points split by
    ``;`` or new lines, coordinates by spaces or commas). Raises ConfigError with the reason."""
    text = (text or "").strip()
    if not text:
        raise ConfigError("starting points: give at least one")
    if dim == 1:
        chunks = [c for c in re.split(r"[,;\s]+", text) if c]
    else:
        chunks = [c.strip() for c in re.split(r"[;\n]+", text) if c.strip()]
    points = []
    for chunk in chunks:
        parts = [c for c in re.split(r"[,\s]+", chunk) if c]
        if len(parts) != dim:
            raise ConfigError(f"starting point {chunk!r}: expected {dim} number(s)")
        try:
            vals = tuple(float(v) for v in parts)
        except ValueError:
            raise ConfigError(f"starting point {chunk!r}: not a number") from None
        if not all(np.isfinite(vals)) or any(abs(v) > 1e6 for v in vals):
            raise ConfigError(f"starting point {chunk!r}: use finite numbers within ±1e6")
        points.append(vals)
    if len(points) > MAX_STARTS:
        raise ConfigError(f"starting points: at most {MAX_STARTS}, got {len(points)}")
    return points


def paths(fn: TestFunction, starts: Sequence[Sequence[float] | float],
          optimizers: Iterable[str], run_cfg: Mapping[str, Any]) -> pd.DataFrame:
    """One run per start × optimizer. Tidy: run, optimizer, start, status (the engine's:
    "completed" only says the step budget ran out), label (:func:`gdcore.sweep.classify`:
    converged / oscillating / diverged), behaviour (:func:`gdcore.sweep.describe`, e.g.
    "diverging (the oscillation grows every step)"), step, params, loss, grad_norm. Every step
    is recorded (``max_points`` is raised to the number of steps + 2): the labels need them."""
    frames = []
    for start in starts:
        p0 = [float(v) for v in np.atleast_1d(start)]
        label = ", ".join(f"{v:g}" for v in p0)
        for opt in optimizers:
            cfg = dict(run_cfg)
            cfg["optimizer"] = {**dict(cfg.get("optimizer") or {}), "name": opt}
            cfg["init"] = p0
            cfg["name"] = f"{opt} from ({label})"
            cfg["max_points"] = min(max(int(cfg.get("max_points") or 0), _n_steps(cfg) + 2),
                                    MAX_POINTS)
            res = run(fn, cfg)
            h = res.history[["run", "step", *fn.param_names, "loss", "grad_norm"]].copy()
            h.insert(1, "optimizer", opt)
            h.insert(2, "start", label)
            h.insert(3, "status", res.status)
            h.insert(4, "label", classify(res, fn.min_value))
            h.insert(5, "behaviour", describe(res, fn.min_value))
            frames.append(h)
    return pd.concat(frames, ignore_index=True)


def _n_steps(run_cfg: Mapping[str, Any]) -> int:
    """Updates a run on a test function makes (one per epoch), as its config asks."""
    return int(parse_run(dict(run_cfg)).epochs)


def at_step(path_df: pd.DataFrame, step: int) -> pd.DataFrame:
    """Each run's path up to ``step`` (runs that stopped earlier keep their whole path)."""
    return path_df[path_df["step"] <= step]


def current_points(path_df: pd.DataFrame, step: int) -> pd.DataFrame:
    """The last recorded point of each run at or before ``step``."""
    upto = at_step(path_df, step)
    return upto.groupby("run", sort=False).tail(1).reset_index(drop=True)


def minima_frame(fn: TestFunction) -> pd.DataFrame:
    """The known minima: params, value, kind ("global" or "local")."""
    rows = [{**dict(zip(fn.param_names, m.params, strict=True)), "loss": m.value,
             "kind": "global" if m.is_global else "local"} for m in fn.minima]
    return pd.DataFrame(rows)


def which_minimum(fn: TestFunction, p: Sequence[float], tol: float = 1e-2) -> str:
    """"global" or "local" if ``p`` lies within ``tol`` of a known minimum, else "none"."""
    m = fn.nearest_minimum(p)
    if float(np.linalg.norm(np.asarray(p, float) - np.asarray(m.params))) > tol:
        return "none"
    return "global" if m.is_global else "local"


def start_grid(lo: float, hi: float, n: int) -> np.ndarray:
    """``n`` evenly spaced starting points from ``lo`` to ``hi``."""
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ConfigError(f"start interval: need low < high, got {lo:g} .. {hi:g}")
    return np.linspace(lo, hi, int(n))


def basins(fn: TestFunction, starts: Iterable[float], run_cfg: Mapping[str, Any],
           tol: float = 1e-2) -> pd.DataFrame:
    """Basin of attraction of a 1-D function: run ``run_cfg`` from each start and record where
    it ends. Columns: start, start_loss, final_w, final_loss, status, minimum ("global",
    "local" or "none"), minimum_w (the nearest known minimum, NaN for "none")."""
    if fn.dim != 1:
        raise ConfigError(f"basins: {fn.name!r} is 2-D; basins are drawn for 1-D functions")
    starts = [float(s) for s in starts]
    if not 1 <= len(starts) <= MAX_BASIN_STARTS:
        raise ConfigError(f"basins: between 1 and {MAX_BASIN_STARTS} starts, got {len(starts)}")
    rows = []
    for s in starts:
        res = run(fn, {**dict(run_cfg), "init": [s], "max_points": 2})
        w = res.params[fn.param_names[0]]
        kind = "none" if res.status == "diverged" else which_minimum(fn, [w], tol)
        rows.append({"start": s, "start_loss": fn.loss([s]), "final_w": w,
                     "final_loss": res.final_loss,
                     "status": res.status, "minimum": kind,
                     "minimum_w": fn.nearest_minimum([w]).params[0] if kind != "none"
                     else float("nan")})
    return pd.DataFrame(rows)


def curve(fn: TestFunction, n: int = 300) -> pd.DataFrame:
    """A 1-D function on its window: columns w, loss."""
    lo, hi = fn.window[0]
    ws = np.linspace(lo, hi, int(n))
    return pd.DataFrame({fn.param_names[0]: ws, "loss": np.asarray(fn.grid(ws)).reshape(-1)})


def surface(fn: TestFunction, n: int = 60) -> pd.DataFrame:
    """A 2-D function on an n × n grid over its window, tidy: w1, w2, loss, level, plus the
    cell size (dw1, dw2). ``level = log10(loss - min + 1e-4·spread)``: log-spaced colour that
    stays finite at the minimum."""
    (a1, b1), (a2, b2) = fn.window
    w1 = np.linspace(a1, b1, int(n))
    w2 = np.linspace(a2, b2, int(n))
    z = fn.grid(w1, w2)
    excess = z - fn.min_value
    floor = 1e-4 * max(float(np.ptp(excess)), 1e-12)
    g1, g2 = np.meshgrid(w1, w2)
    return pd.DataFrame({
        fn.param_names[0]: g1.ravel(), fn.param_names[1]: g2.ravel(), "loss": z.ravel(),
        "level": np.log10(np.maximum(excess, 0.0) + floor).ravel(),
        "dw1": (b1 - a1) / (n - 1), "dw2": (b2 - a2) / (n - 1),
    })


ROUNDING = 128  # rounding error of one evaluation of f, in units of eps·|f| (its terms can
#                cancel: near the double well's minima they are ~8x its value)
VERDICTS = ("agree", "both ≈ 0", "differ", "not finite")


def gradient_check(fn: TestFunction, p: Sequence[float], h: float = 1e-5) -> pd.DataFrame:
    """Analytic gradient vs central differences ``(f(p + h e_j) - f(p - h e_j)) / 2h`` at ``p``.

    Columns: param, analytic, numeric, abs_diff, error_bound, rel_diff, verdict.

    ``error_bound`` is how far central differences can be off at this ``h``, per coordinate:
    the truncation error h²·|f'''|/6 (f''' along the coordinate, from second differences of the
    analytic gradient), doubled, plus rounding: of f itself, ``ROUNDING``·eps·max|f(p),
    f(p ± h e_j)| / h, and of the arguments p ± h e_j (each off by up to eps·|p_j|/2).
    ``rel_diff = abs_diff / max(|analytic|, |numeric|, error_bound)``: at a minimum, where both
    gradients are ≈ 0, it is not the meaningless ≈ 1 that dividing by max(|analytic|,
    |numeric|) alone gives. ``verdict``: "both ≈ 0" when both gradients lie within the error
    bound, "agree" when they differ by no more than it (plus 1e-8 of their size), "differ"
    otherwise, and "not finite" when f or a gradient overflows at p."""
    if not 0 < h <= 1:
        raise ConfigError(f"h: must be in (0, 1], got {h}")
    p = np.asarray(p, dtype=float)
    eps, tiny = float(np.finfo(float).eps), float(np.finfo(float).tiny)
    with np.errstate(all="ignore"):
        analytic = fn.gradient(p)
        f0 = fn.loss(p)
        numeric = np.empty_like(analytic)
        bound = np.empty_like(analytic)
        for j in range(p.size):
            e = np.zeros_like(p)
            e[j] = h
            fp, fm = fn.loss(p + e), fn.loss(p - e)
            numeric[j] = (fp - fm) / (2 * h)
            d = max(h, 1e-4 * max(1.0, abs(float(p[j]))))  # f'' and f''' along e_j
            e[j] = d
            gp, gm = fn.gradient(p + e)[j], fn.gradient(p - e)[j]
            third = (gp - 2.0 * analytic[j] + gm) / (d * d)
            second = (gp - gm) / (2.0 * d)
            truncation = 2.0 * h * h * abs(third) / 6.0
            rounding = ROUNDING * eps * max(abs(fp), abs(fm), abs(f0)) / h
            arguments = eps * (abs(float(p[j])) + h) * (abs(analytic[j]) + h * abs(second)) / h
            bound[j] = max(truncation + rounding + arguments, tiny)
        diff = np.abs(analytic - numeric)
        size = np.maximum(np.abs(analytic), np.abs(numeric))
        rel = diff / np.maximum(size, bound)
        finite = np.isfinite(analytic) & np.isfinite(numeric) & np.isfinite(bound)
        verdict = np.where(~finite, "not finite",
                           np.where(size <= bound, "both ≈ 0",
                                    np.where(diff <= bound + 1e-8 * size, "agree", "differ")))
    return pd.DataFrame({"param": list(fn.param_names), "analytic": analytic, "numeric": numeric,
                         "abs_diff": diff, "error_bound": bound, "rel_diff": rel,
                         "verdict": verdict})


def hump(fn: TestFunction) -> float:
    """For a 1-D function with two minima: the local maximum between them (root of f')."""
    if fn.dim != 1 or len(fn.minima) != 2:
        raise ConfigError(f"hump: {fn.name!r} does not have two 1-D minima")
    lo, hi = sorted(m.params[0] for m in fn.minima)
    a, b = lo + 1e-6 * (hi - lo), hi - 1e-6 * (hi - lo)  # f' > 0 at a, f' < 0 at b
    for _ in range(200):  # bisection on the sign of f'
        mid = 0.5 * (a + b)
        if fn.gradient([mid])[0] > 0:
            a = mid
        else:
            b = mid
    return 0.5 * (a + b)
