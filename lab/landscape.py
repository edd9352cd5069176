"""Loss landscapes of the test functions: paths of several runs, basins of attraction, grids for
contour plots, and a numeric-vs-analytic gradient check. Everything returns tidy DataFrames.

    paths(FUNCTIONS["double_well"], [-3, 0.5, 3], ["sgd", "adam"], {"epochs": 60})
    paths(FUNCTIONS["rosenbrock"], [(-1.5, 2)], ["sgd", "line_search", "newton"],
          {"epochs": 40, "optimizer": {"lr": 0.001}}, {"newton": {"lr": 1.0}})
    basins(FUNCTIONS["double_well"], np.linspace(-3, 3, 61), {"optimizer": {"lr": 0.01}})
    gradient_check(FUNCTIONS["rosenbrock"], (-1.5, 2.0), h=1e-5)

The reference methods (Armijo line search, damped Newton; ``gdcore.rules.methods``) run beside the
optimizers: :func:`step_trials` replays one of their steps with the engine's own
:func:`gdcore.rules.methods.armijo` to show every trial point, and :func:`curvature` reads the
Hessian at a point (its eigenvalues, what they mean, the directions they belong to).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from gdcore.engine.runner import run
from gdcore.errors import ConfigError
from gdcore.models import TestFunction
from gdcore.rules import methods
from gdcore.spec.config import parse_run

from .sweep import MAX_POINTS, classify, describe

MAX_STARTS = 12
MAX_BASIN_STARTS = 401
# the reference methods a landscape run can use beside the optimizers, and their short names
METHOD_RUNS = (methods.LINE_SEARCH, methods.NEWTON)
RUN_TITLES = {methods.LINE_SEARCH: "line search", methods.NEWTON: "Newton"}


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
          optimizers: Iterable[str], run_cfg: Mapping[str, Any],
          method_settings: Mapping[str, Mapping[str, Any]] | None = None) -> pd.DataFrame:
    """One run per start × entry of ``optimizers``: an optimizer's name, or a reference method
    of :data:`METHOD_RUNS` ("line_search", "newton") run with ``method_settings[name]`` (its
    ``gdcore.rules.methods`` settings, and ``lr``: the first trial step / step scale, default the
    runs' learning rate). Tidy: run, optimizer (the entry), method ("gd" for an optimizer),
    start, status (the engine's: "completed" only says the step budget ran out), label
    (:func:`lab.sweep.classify`: converged / oscillating / diverged), behaviour
    (:func:`lab.sweep.describe`, e.g. "diverging (the oscillation grows every step)"), step,
    params, loss, grad_norm. Every step is recorded (``max_points`` is raised to the number of
    steps + 2): the labels need them, and so does :func:`step_trials`."""
    frames = []
    for start in starts:
        p0 = [float(v) for v in np.atleast_1d(start)]
        label = ", ".join(f"{v:g}" for v in p0)
        for opt in optimizers:
            cfg = entry_config(opt, run_cfg, method_settings)
            cfg["init"] = p0
            cfg["name"] = f"{RUN_TITLES.get(opt, opt)} from ({label})"
            cfg["max_points"] = min(max(int(cfg.get("max_points") or 0), _n_steps(cfg) + 2),
                                    MAX_POINTS)
            res = run(fn, cfg)
            h = res.history[["run", "step", *fn.param_names, "loss", "grad_norm"]].copy()
            h.insert(1, "optimizer", opt)
            h.insert(2, "method", opt if opt in METHOD_RUNS else methods.GD)
            h.insert(3, "start", label)
            h.insert(4, "status", res.status)
            h.insert(5, "label", classify(res, fn.min_value))
            h.insert(6, "behaviour", describe(res, fn.min_value))
            frames.append(h)
    return pd.concat(frames, ignore_index=True)


def entry_config(entry: str, run_cfg: Mapping[str, Any],
                method_settings: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any]:
    """The run fields of one entry of :func:`paths`: an optimizer by name, or a reference method
    with its settings (its ``lr`` the optimizer's learning rate, which a method takes as its
    first trial step). The one place both :func:`paths` and :func:`step_trials` build a run
    from, so a replayed step has exactly the settings its run had."""
    cfg = dict(run_cfg)
    optimizer = dict(cfg.get("optimizer") or {})
    if entry in METHOD_RUNS:
        settings = dict((method_settings or {}).get(entry) or {})
        if "lr" in settings:
            optimizer["lr"] = settings.pop("lr")
        cfg["method"] = {"name": entry, **settings}
    else:
        optimizer["name"] = entry
    cfg["optimizer"] = optimizer
    return cfg


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



# --- the reference methods, step by step ---------------------------------------------------------
class StepReplay(NamedTuple):
    """One step of a line-search or Newton run, replayed: where it started, which way it
    searched and every trial (``gdcore.rules.methods.Trial``: step t, point, loss, accepted)."""

    start: tuple[float, ...]  # the point before the step
    loss: float  # the loss there
    gradient: tuple[float, ...]
    direction: tuple[float, ...]  # d: -g (line search) or the modified Newton direction
    slope: float  # gᵀd, the loss's rate of change along d (< 0: downhill)
    changed: int  # Newton: curvatures turned round or floored (0: the plain Newton step)
    slack: float  # the change the sufficient-decrease test overlooks (Newton: rounding)
    c: float  # Armijo's constant
    trials: tuple[methods.Trial, ...]


def method_hyper(entry: str, run_cfg: Mapping[str, Any],
                 method_settings: Mapping[str, Mapping[str, Any]] | None = None,
                 ) -> tuple[methods.Hyper, float]:
    """The settings a :func:`paths` run of the reference method ``entry`` steps with, read
    through the engine's own config parser (so the same checks and defaults): (its
    ``gdcore.rules.methods.Hyper``, its first trial step t0). Trials are replayed for runs the page
    makes: a constant learning rate and the analytic gradient; anything else is refused with
    the reason."""
    if entry not in METHOD_RUNS:
        raise ConfigError(f"step trials: {entry!r} is not a reference method; choose one of "
                          f"{', '.join(repr(m) for m in METHOD_RUNS)}")
    rc = parse_run(entry_config(entry, run_cfg, method_settings))
    if rc.schedule.name != "constant" or rc.gradient != "analytic":
        raise ConfigError("step trials: replayed for a constant learning rate and the analytic "
                          f"gradient, got schedule {rc.schedule.name!r} and gradient "
                          f"{rc.gradient!r}")
    return methods.Hyper(rc.method.name, **rc.method.params), float(rc.optimizer.lr)


def replay_step(fn: TestFunction, p: Sequence[float], hp: methods.Hyper,
                t0: float) -> StepReplay:
    """One step of ``hp.name`` ("line_search" or "newton") from ``p``, as ``gdcore.engine.loop`` takes
    it: the loss and gradient at p, the direction (-g, or ``methods.newton_direction`` of the
    Hessian at p), then ``methods.armijo`` from t0 along it, with the rounding slack Newton's
    method passes. Its last trial is the point the run moved to."""
    p = [float(v) for v in p]  # plain floats, as the loop holds them
    loss, g = fn.fun(p), list(fn.grad(p))
    if hp.name == methods.NEWTON:
        d, changed = methods.newton_direction(fn.hessian(p), g, hp.min_curvature)
        slack = methods.ROUNDING
        _, _, trials = methods.armijo(fn.fun, p, loss, g, t0, hp, d, slack)
    elif hp.name == methods.LINE_SEARCH:
        d, changed, slack = [-gj for gj in g], 0, 0.0
        _, _, trials = methods.armijo(fn.fun, p, loss, g, t0, hp)
    else:
        raise ConfigError(f"step trials: {hp.name!r} takes no trial steps; choose one of "
                          f"{', '.join(repr(m) for m in METHOD_RUNS)}")
    slope = sum(gj * dj for gj, dj in zip(g, d))  # as methods.armijo sums it
    return StepReplay(tuple(p), float(loss), tuple(float(v) for v in g),
                      tuple(float(v) for v in d), float(slope), int(changed), float(slack),
                      float(hp.c), tuple(trials))


OUTCOMES = ("rejected", "accepted", "taken (out of trials)")  # of a trial


def trials_frame(fn: TestFunction, rep: StepReplay) -> pd.DataFrame:
    """A replayed step's trials, one row each in the order tried: trial (1, 2, ...), t,
    the trial point's params, loss, needed (the sufficient-decrease bound it had to meet:
    loss(p) + c·t·gᵀd, plus the slack), outcome ("rejected"; "accepted"; "taken (out of
    trials)" when the last allowed trial fell short and was taken anyway), and the step's
    start as ``from_<param>`` (with ``from_loss``): the segment from there through the trials
    runs along the search direction."""
    return pd.DataFrame(_trial_rows(fn, rep))


def _trial_rows(fn: TestFunction, rep: StepReplay) -> list[dict[str, Any]]:
    n = fn.param_names
    start = {f"from_{k}": v for k, v in zip(n, rep.start, strict=True)}
    rows = []
    for i, tr in enumerate(rep.trials):
        last = i == len(rep.trials) - 1
        outcome = "accepted" if tr.accepted else ("taken (out of trials)" if last
                                                  else "rejected")
        rows.append({"trial": i + 1, "t": tr.step,
                     **dict(zip(n, (float(v) for v in tr.params), strict=True)),
                     "loss": tr.loss,
                     "needed": rep.loss + rep.c * tr.step * rep.slope
                     + rep.slack * abs(rep.loss),
                     "outcome": outcome, **start, "from_loss": rep.loss})
    return rows


def step_trials(fn: TestFunction, path_df: pd.DataFrame, step: int,
                run_cfg: Mapping[str, Any],
                method_settings: Mapping[str, Mapping[str, Any]] | None = None,
                ) -> pd.DataFrame:
    """The trials of step ``step`` (the move from the point recorded at step - 1 to the one at
    ``step``) of every line-search and Newton run in ``path_df`` (from :func:`paths` with the
    same ``run_cfg`` and ``method_settings``), replayed by :func:`replay_step`: the
    :func:`trials_frame` columns after run, method, step, changed (Newton's modified
    curvatures). Runs of an optimizer, and runs that had stopped by then, have no rows; step 0
    (the start) has none."""
    if "method" not in path_df.columns or step < 1:
        return _empty_trials(fn)
    near = path_df[(path_df["step"] >= step - 1) & (path_df["step"] <= step)
                   & path_df["method"].isin(METHOD_RUNS)]  # a few rows: the replays' inputs
    names = list(fn.param_names)
    hyper: dict[str, tuple[methods.Hyper, float]] = {}
    rows = []
    for name, g in near.groupby("run", sort=False):
        steps = g["step"].to_numpy()
        if not (steps == step - 1).any() or not (steps == step).any():
            continue  # the run had stopped
        entry = str(g["method"].iloc[0])
        if entry not in hyper:
            hyper[entry] = method_hyper(entry, run_cfg, method_settings)
        hp, t0 = hyper[entry]
        start = g[names].to_numpy(dtype=float)[steps == step - 1][0]
        rep = replay_step(fn, start.tolist(), hp, t0)
        head = {"run": name, "method": entry, "step": int(step), "changed": rep.changed}
        rows += [{**head, **r} for r in _trial_rows(fn, rep)]
    return pd.DataFrame(rows, columns=_empty_trials(fn).columns) if rows else _empty_trials(fn)


def trials_off_window(fn: TestFunction, trials: pd.DataFrame) -> dict[str, int]:
    """How many trial points of each run lie outside the function's window (off its chart)."""
    if trials.empty:
        return {}
    pos = trials[list(fn.param_names)].to_numpy(dtype=float)
    inside = np.ones(len(trials), dtype=bool)
    for j, (lo, hi) in enumerate(fn.window):
        inside &= (pos[:, j] >= lo) & (pos[:, j] <= hi)
    counts = trials.loc[~inside, "run"].value_counts(sort=False)
    return {str(run): int(n) for run, n in counts.items()}


def _empty_trials(fn: TestFunction) -> pd.DataFrame:
    n = list(fn.param_names)
    return pd.DataFrame(columns=["run", "method", "step", "changed", "trial", "t", *n, "loss",
                                 "needed", "outcome", *(f"from_{k}" for k in n), "from_loss"])


# --- curvature: the Hessian at a point -----------------------------------------------------------
FLAT = 1e-8  # a curvature within this fraction of the largest (or of 1) is read as ≈ 0: flat
AXIS_FRACTION = 0.16  # an eigenvector's segment on the map: this share of the window's narrower side


class PointCurvature(NamedTuple):
    """The Hessian at a point, read: its eigenvalues λ1 ≤ λ2 (the curvatures along the
    principal directions), their unit eigenvectors, the shape they make and what it means for
    gradient descent there."""

    values: tuple[float, ...]  # ascending
    vectors: tuple[tuple[float, ...], ...]  # vectors[i]: the unit direction of values[i]
    bends: tuple[str, ...]  # per value: "curves up", "curves down" or "flat" (≈ 0)
    shape: str  # 2-D: "bowl", "saddle", "hilltop", "valley", "ridge", "flat"; 1-D: "up", "down", "straight"
    kappa: float  # λmax / λmin when every λ > 0 (the condition number), else inf
    lr_limit: float  # 2 / λmax: the largest stable gd learning rate there (inf when λmax <= 0)
    words: str  # the shape in a sentence


BENDS = {1: "curves up", -1: "curves down", 0: "flat"}


def _sign(lam: float, scale: float) -> int:
    """+1 / -1 / 0 (≈ 0 within ``FLAT`` of ``scale``)."""
    return 0 if abs(lam) <= FLAT * scale else (1 if lam > 0 else -1)


SHAPES_2D = {  # (sign of λ1, sign of λ2) -> shape; λ1 <= λ2
    (1, 1): "bowl", (-1, 1): "saddle", (-1, -1): "hilltop", (0, 1): "valley",
    (-1, 0): "ridge", (0, 0): "flat",
}
WORDS_2D = {
    "bowl": "a bowl: it curves up in every direction (both λ > 0), as around a minimum",
    "saddle": "a saddle: it curves up along the λ2 direction and down along the λ1 direction "
              "(λ1 < 0 < λ2): not a minimum, and the plain Newton step would head for the "
              "saddle point",
    "hilltop": "a hilltop: it curves down in every direction (both λ < 0): gradient descent "
               "rolls off it",
    "valley": "a flat-bottomed valley: it curves up along the λ2 direction and is flat (λ1 ≈ 0) "
              "along the λ1 direction",
    "ridge": "a ridge: it curves down along the λ1 direction and is flat (λ2 ≈ 0) along the λ2 "
             "direction",
    "flat": "flat: no curvature in any direction (both λ ≈ 0)",
}
WORDS_1D = {
    "up": "curves up (f″ > 0, convex here): the tangent parabola has a bottom, and Newton's step "
          "−f′/f″ heads for it",
    "down": "curves down (f″ < 0, concave here, as on a hump): the plain Newton step −f′/f″ "
            "would go uphill, to the top of the parabola, so Newton's method uses |f″|",
    "straight": "straight (f″ ≈ 0, an inflection point): no parabola fits, and Newton's step "
                "would be enormous, so its curvature is floored and the step damped",
}


def curvature(fn: TestFunction, p: Sequence[float]) -> PointCurvature:
    """The :class:`PointCurvature` of ``fn`` at ``p``: eigenvalues and eigenvectors of its analytic
    Hessian (``methods.eigen``), its condition number and 2/λmax (``methods.conditioning``),
    the shape (signs of the eigenvalues, a tiny one counting as 0) and a sentence for it."""
    h = fn.hessian(p)
    if not np.all(np.isfinite(h)):
        raise ConfigError("curvature: the Hessian is not finite at this point")
    lam, vec = methods.eigen(h)
    cond = methods.conditioning(h)
    scale = max(1.0, float(np.max(np.abs(lam))))
    signs = tuple(_sign(float(v), scale) for v in lam)
    if fn.dim == 1:
        shape = {1: "up", -1: "down", 0: "straight"}[signs[0]]
        words = WORDS_1D[shape]
    elif fn.dim == 2:
        shape = SHAPES_2D.get(signs, "flat")
        words = WORDS_2D[shape]
    else:
        raise ConfigError(f"curvature: drawn for 1-D and 2-D functions, {fn.name!r} is "
                          f"{fn.dim}-D")
    kappa = cond.kappa if all(s > 0 for s in signs) else math.inf
    return PointCurvature(tuple(float(v) for v in lam),
                     tuple(tuple(float(x) for x in vec[:, i]) for i in range(lam.size)),
                     tuple(BENDS[s] for s in signs), shape, float(kappa),
                     float(cond.lr_limit), words)


def curvature_axes(fn: TestFunction, p: Sequence[float], cv: PointCurvature,
                   fraction: float = AXIS_FRACTION) -> pd.DataFrame:
    """The eigenvector directions of a 2-D :class:`PointCurvature` as segments through ``p``, for the
    map: two rows per axis (its ends), columns axis ("λ1", "λ2"), end (0, 1), the params,
    lam (the eigenvalue), bend ("curves up" / "curves down" / "flat"), label ("λ1", "λ2").

    Every segment has the same length, ``fraction`` of the window's narrower side, centred on
    ``p``: the eigenvalues are shown beside the map, and a length from the curvature
    (1/sqrt|λ|, the axes of the local contour ellipse) spans orders of magnitude on these
    functions (Rosenbrock's valley: λ from ~0.4 to ~1000, a 50× ratio; infinite where λ ≈ 0),
    leaving one segment a dot and the other off the map."""
    if fn.dim != 2:
        raise ConfigError(f"curvature axes: drawn on 2-D maps, {fn.name!r} is {fn.dim}-D")
    half = 0.5 * fraction * min(hi - lo for lo, hi in fn.window)
    rows = []
    for i, (lam, v, bend) in enumerate(zip(cv.values, cv.vectors, cv.bends, strict=True)):
        for end, s in ((0, -1.0), (1, 1.0)):
            rows.append({"axis": f"λ{i + 1}", "end": end,
                         **{n: float(p[j]) + s * half * v[j]
                            for j, n in enumerate(fn.param_names)},
                         "lam": lam, "bend": bend,
                         "label": f"λ{i + 1}"})
    return pd.DataFrame(rows)


MODEL_FRACTION = 0.3  # the fitted parabola spans this share of the window, centred on the point


def quadratic_model(fn: TestFunction, p: Sequence[float], n: int = 61,
                    fraction: float = MODEL_FRACTION) -> pd.DataFrame:
    """1-D: the parabola that fits ``fn`` at ``p`` (the second-order Taylor model Newton's
    method steps on), f(p) + f′(p)(w − p) + ½ f″(p)(w − p)², on ``fraction`` of the window
    centred on p. Columns: the parameter, loss."""
    if fn.dim != 1:
        raise ConfigError(f"quadratic model: drawn on 1-D curves, {fn.name!r} is {fn.dim}-D")
    w0 = float(p[0])
    f0, g, h = fn.loss([w0]), float(fn.gradient([w0])[0]), float(fn.hessian([w0])[0, 0])
    lo, hi = fn.window[0]
    half = 0.5 * fraction * (hi - lo)
    ws = np.linspace(w0 - half, w0 + half, int(n))
    dw = ws - w0
    return pd.DataFrame({fn.param_names[0]: ws, "loss": f0 + g * dw + 0.5 * h * dw * dw})
