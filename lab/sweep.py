"""Learning-rate sweeps: run one base configuration at many learning rates and label each run.

    df = sweep(problem, {"epochs": 200}, log_lrs(1e-3, 2, 12), optimizers=("sgd", "adam"))
    largest_stable_lr(df)          # per series: the largest lr whose run did not diverge
    describe(result, ref)          # one run in words: "diverging (the oscillation grows ...)"

Each run gets one of three labels (see :func:`classify`):

* ``diverged``    the engine stopped it (non-finite value, or loss > divergence_factor × the
                  initial loss), **or** it ended with a larger excess loss than it started with;
* ``oscillating`` it did not diverge, but over the last third of the run the updates keep
                  reversing direction (consecutive steps point against each other for at least
                  ``ALTERNATION`` of the pairs) while still being large (the mean step there is
                  more than ``SETTLED`` × the first step): the run bounces across the minimum
                  instead of settling;
* ``converged``   everything else: stable and settling (possibly slowly).

For plain gradient descent on ``(w - 4)^2 + 2`` the update is ``w - 4 ← (1 - 2 lr)(w - 4)``:
lr < 1 contracts (oscillating while ``|1 - 2 lr|`` is close to 1, then settled), lr = 1 bounces
between the same two points forever (excess loss unchanged: oscillating, not diverged) and any
lr > 1 grows the excess loss every step, so it is labelled diverged after a single step even
though the engine's own 1e8× rule would need hundreds of steps. The largest stable learning rate
therefore agrees with the theory (1) to the resolution of the grid.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from gdcore.engine.runner import RunResult, run, runs_work
from gdcore.errors import ConfigError
from gdcore.limits import LIMITS, budget_problem, updates_per_epoch
from gdcore.limits import MAX_RUNS as EXPERIMENT_RUNS
from gdcore.spec.config import parse_run

LABELS = ("converged", "oscillating", "diverged")
ALTERNATION = 0.75  # share of consecutive step pairs that must point against each other
SETTLED = 1e-6  # tail steps below this fraction of the first step count as settled
TAIL = 1 / 3  # the "last part" of the run that classify() looks at
GROWTH_TOL = 1e-9  # relative tolerance on "the excess loss grew"
MAX_SWEEP_RUNS = 400  # runs in one sweep (variants × optimizers × learning rates)
MAX_POINTS = int(LIMITS["max_points"].high)  # a longer run's history is evenly spread: classify
#                                             then sees every k-th step


def log_lrs(lo: float, hi: float, n: int) -> np.ndarray:
    """``n`` log-spaced learning rates from ``lo`` to ``hi`` (both included)."""
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi):
        raise ConfigError(f"learning-rate range: need 0 < low < high, got {lo:g} .. {hi:g}")
    if not 2 <= int(n) <= MAX_SWEEP_RUNS:
        raise ConfigError(f"learning-rate count: must be between 2 and {MAX_SWEEP_RUNS}, got {n}")
    return np.geomspace(lo, hi, int(n))


def classify(result: RunResult, reference_loss: float = 0.0) -> str:
    """Label a run "converged", "oscillating" or "diverged" (rules in the module docstring).

    ``reference_loss`` is the best possible loss (the problem's ``min_value``); the growth test
    compares ``final_loss - reference_loss`` with the starting excess. The oscillation test needs
    every step in the history, so run with ``max_points`` > number of steps (``sweep`` does).
    """
    hist = result.history
    if result.status == "diverged":
        return "diverged"
    ref = reference_loss if np.isfinite(reference_loss) else float(hist["loss"].min())
    start = float(hist["loss"].iloc[0]) - ref
    end = float(result.final_loss) - ref
    if not np.isfinite(end) or end > start + GROWTH_TOL * max(abs(start), 1e-300):
        return "diverged"
    steps = _steps(result)
    if len(steps) < 3:
        return "converged"
    first = float(np.linalg.norm(steps[0]))
    tail = steps[-max(3, int(len(steps) * TAIL)):]
    sizes = np.linalg.norm(tail, axis=1)
    if first == 0.0 or sizes.mean() <= SETTLED * first:
        return "converged"
    share = _reversals(tail)
    return "oscillating" if share is not None and share >= ALTERNATION else "converged"


def _steps(result: RunResult) -> np.ndarray:
    """The updates of a run's parameters, one row a step (needs every step in the history)."""
    return np.diff(result.history[list(result.params)].to_numpy(dtype=float), axis=0)


def _reversals(steps: np.ndarray) -> float | None:
    """The share of consecutive (moving) steps that point against each other, None if fewer
    than two steps moved."""
    if len(steps) < 2:
        return None
    sizes = np.linalg.norm(steps, axis=1)
    dots = np.sum(steps[1:] * steps[:-1], axis=1)
    moving = (sizes[1:] > 0) & (sizes[:-1] > 0)
    if moving.sum() == 0:
        return None
    return float(np.mean(dots[moving] < 0))


SHRINKING = 0.9  # tail steps "shrink" when the later half's mean size is below this x the earlier


def describe(result: RunResult, reference_loss: float = 0.0) -> str:
    """What a run did, in words a teacher can read out: the :func:`classify` label made
    specific.

    * diverged, stopped by the engine: "diverged (stopped at step N)" ("diverged (the
      oscillation grew; stopped at step N)" when its steps kept reversing direction);
    * diverged by the growth rule (it ended with a larger excess loss than it started with):
      "diverging (the oscillation grows every step)" when its steps keep reversing direction
      (e.g. plain GD on (w − 4)² + 2 with lr > 1), else "diverging (moving away every step)";
    * oscillating: "oscillating, shrinking (converging)" when the step sizes over the last
      third of the run keep shrinking, else "oscillating (not settling)";
    * converged: "converged" when settled (the engine met a tolerance, or the last steps are
      below ``SETTLED`` × the first), else "converging".
    """
    label = classify(result, reference_loss)
    steps = _steps(result)
    if label == "diverged":
        share = _reversals(steps)
        swings = share is not None and share >= ALTERNATION
        if result.status == "diverged":
            at = result.diverged_at if result.diverged_at is not None else result.steps
            return f"diverged ({'the oscillation grew; ' if swings else ''}stopped at step {at})"
        return ("diverging (the oscillation grows every step)" if swings
                else "diverging (moving away every step)")
    if label == "oscillating":
        tail = np.linalg.norm(steps[-max(3, int(len(steps) * TAIL)):], axis=1)
        half = len(tail) // 2
        shrinking = tail[half:].mean() < SHRINKING * tail[:half].mean()
        return "oscillating, shrinking (converging)" if shrinking else "oscillating (not settling)"
    if result.status == "converged" or len(steps) == 0:
        return "converged"
    first = float(np.linalg.norm(steps[0]))
    tail = np.linalg.norm(steps[-max(1, int(len(steps) * TAIL)):], axis=1)
    return "converged" if first == 0.0 or tail.mean() <= SETTLED * first else "converging"


def sweep(
    problem,
    base_run: Mapping[str, Any],
    lrs: Iterable[float],
    *,
    variants: Mapping[str, Mapping[str, Any]] | None = None,
    optimizers: Iterable[str] = ("sgd",),
    progress: Callable[[int, int, str], None] | None = None,
) -> pd.DataFrame:
    """Run ``base_run`` (a run dict) for every variant × optimizer × learning rate.

    ``variants`` maps a name to run-dict overrides (e.g. ``{"mini-batch": {"batch_size": 32}}``);
    ``None`` is one variant, "base". ``progress(i, total, name)`` is called before each run.
    Returns a tidy DataFrame, one row a run: series, variant, optimizer, lr, label, status,
    steps, final_loss, best_loss, initial_loss, reference_loss, final_excess, best_excess and
    the final parameters.
    """
    lrs = [float(v) for v in lrs]
    if not lrs:
        raise ConfigError("learning rates: give at least one")
    if any(not np.isfinite(v) or v <= 0 for v in lrs):
        raise ConfigError("learning rates: every learning rate must be a finite number > 0")
    variants = {"base": {}} if not variants else dict(variants)
    optimizers = list(optimizers)
    if not optimizers:
        raise ConfigError("optimizers: choose at least one")
    total = len(variants) * len(optimizers) * len(lrs)
    if total > MAX_SWEEP_RUNS:
        raise ConfigError(f"sweep: {total} runs is more than the limit of {MAX_SWEEP_RUNS}; "
                          "use fewer learning rates, variants or optimizers")
    ref = float(problem.min_value)
    plan = []  # (series, variant, optimizer, lr, parsed run), checked before any runs
    for vname, override in variants.items():
        for opt in optimizers:
            series = opt if len(variants) == 1 else f"{vname} · {opt}"
            for lr in lrs:
                raw = {**dict(base_run), **dict(override), "name": f"{series} lr={lr:.6g}"}
                raw["optimizer"] = {**_as_opt(raw.get("optimizer")), "name": opt, "lr": lr}
                cfg = parse_run(raw)
                steps = _n_steps(problem, cfg)
                raw["max_points"] = int(min(max(cfg.max_points, steps + 2), MAX_POINTS))
                plan.append((series, vname, opt, lr, parse_run(raw)))
    too_much = budget_problem(runs_work([p[-1] for p in plan], problem))
    if too_much:
        raise ConfigError(f"sweep: {too_much.replace('fewer runs', 'fewer learning rates')}")
    rows: list[dict[str, Any]] = []
    for i, (series, vname, opt, lr, cfg) in enumerate(plan):
        if progress is not None:
            progress(i, total, f"{series}, lr={lr:.3g}")
        res = run(problem, cfg)
        rows.append({
            "series": series, "variant": vname, "optimizer": opt, "lr": lr,
            "label": classify(res, ref), "status": res.status, "steps": res.steps,
            "initial_loss": float(res.history["loss"].iloc[0]),
            "final_loss": res.final_loss, "best_loss": res.best_loss,
            "reference_loss": ref, **res.params,
        })
    if progress is not None:
        progress(total, total, "done")
    df = pd.DataFrame(rows)
    df["final_excess"] = df["final_loss"] - ref
    df["best_excess"] = df["best_loss"] - ref
    return df


def _as_opt(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if isinstance(raw, str):
        return {"name": raw}
    return dict(raw)


def _n_steps(problem, cfg) -> int:
    return cfg.epochs * updates_per_epoch(getattr(problem, "n", 1), cfg.batch_size)


def best_setup(df: pd.DataFrame, *, problem: str, data: Mapping[str, Any] | None,
               base_run: Mapping[str, Any],
               variants: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The experiment a sweep recommends: per series, the run at the learning rate with the
    lowest final loss among those that did not diverge (of equal losses, the larger rate: it
    got there with the bolder step), as an experiment in the engine's format, ready to run or
    save. A series whose every run diverged has no best run and is left out (and said, in
    ``notes``). Raises ConfigError when no series has one or there are more series than an
    experiment holds."""
    variants = {"base": {}} if not variants else dict(variants)
    runs, left_out = [], []
    for series, g in df.groupby("series", sort=False):
        ok = g[g["label"] != "diverged"]
        if not len(ok):
            left_out.append(str(series))
            continue
        best = ok.sort_values(["final_loss", "lr"], ascending=[True, False]).iloc[0]
        raw = {**dict(base_run), **dict(variants.get(str(best["variant"]), {})),
               "name": f"{series} lr={float(best['lr']):.3g}"}
        raw["optimizer"] = {**_as_opt(raw.get("optimizer")), "name": str(best["optimizer"]),
                            "lr": float(best["lr"])}
        runs.append(raw)
    if not runs:
        raise ConfigError("sweep: every run diverged, so there is no best learning rate to "
                          "keep; sweep lower learning rates")
    if len(runs) > EXPERIMENT_RUNS:
        raise ConfigError(f"sweep: {len(runs)} series, and an experiment holds at most "
                          f"{EXPERIMENT_RUNS} runs; choose fewer variants or optimizers")
    setup: dict[str, Any] = {"problem": problem, "runs": runs}
    if data is not None:
        setup["data"] = dict(data)
    notes = ([f"Left out (every run diverged): {', '.join(left_out)}."] if left_out else [])
    return {"setup": setup, "notes": notes}


def largest_stable_lr(df: pd.DataFrame) -> pd.DataFrame:
    """Per series, the largest learning rate whose run did not diverge (NaN if every one did),
    and the smallest one that diverged above it (NaN if none): the stability edge lies between.
    """
    out = []
    for series, g in df.groupby("series", sort=False):
        g = g.sort_values("lr")
        ok = g.loc[g["label"] != "diverged", "lr"]
        stable = float(ok.max()) if len(ok) else float("nan")
        above = g.loc[(g["label"] == "diverged") & (g["lr"] > (stable if len(ok) else 0)), "lr"]
        out.append({"series": series, "largest_stable_lr": stable,
                    "first_diverged_lr": float(above.min()) if len(above) else float("nan")})
    return pd.DataFrame(out, columns=["series", "largest_stable_lr", "first_diverged_lr"])


def range_around(limit: float, lowest: float, highest: float) -> tuple[float, float]:
    """A learning-rate range with ``limit`` (2/λmax) inside it: three decades below and one
    above, as far as ``lowest`` .. ``highest`` allow."""
    return max(lowest, limit / 1000), min(highest, limit * 10)


def gd_stability_limit(problem) -> float:
    """Theory for plain full-batch gradient descent: it is stable near a minimum while
    ``lr < 2 / λmax``, λmax the largest eigenvalue of the Hessian there (for ``(w - 4)^2 + 2``:
    f'' = 2, so lr < 1). Each problem's own Hessian: linear regression's constant
    ``2 E[(x, 1)(x, 1)ᵀ]``, logistic regression's at the IRLS optimum (inf when the classes are
    separable), a test function's at its global minimum."""
    return problem.stable_rate()  # (each problem owns its Hessian and its minimum)


MOMENTA = (0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95)  # the stability map's heavy-ball momenta


def momentum_stability_limit(problem, beta: float) -> float:
    """Theory for full-batch heavy-ball gradient descent (PyTorch's SGD with momentum β and no
    dampening: v ← βv + g, w ← w − lr·v): on a quadratic each eigen-direction of curvature λ
    follows a linear recurrence whose roots lie inside the unit circle exactly when
    0 < lr·λ < 2(1 + β) (for 0 ≤ β < 1), so it is stable while ``lr < 2(1 + β)/λmax``
    (Goh, "Why Momentum Really Works", Distill 2017). β = 0 is :func:`gd_stability_limit`."""
    if not 0.0 <= beta < 1.0:
        raise ConfigError(f"momentum: must be in [0, 1), got {beta!r}")
    return (1.0 + beta) * gd_stability_limit(problem)


def stability_map(problem, base_run: Mapping[str, Any], lrs: Iterable[float],
                  momenta: Iterable[float] = MOMENTA, *,
                  progress: Callable[[int, int, str], None] | None = None) -> pd.DataFrame:
    """Two settings at once: full-batch SGD with heavy-ball momentum over every learning rate
    × momentum, each run labelled as :func:`sweep` labels it. Returns one row a run (``lr``,
    ``momentum``, ``label``, ``final_loss`` ..., as :func:`sweep`) with ``limit``, the theory's
    largest stable learning rate for that momentum (:func:`momentum_stability_limit`)."""
    momenta = [float(b) for b in momenta]
    if not momenta:
        raise ConfigError("momenta: give at least one")
    for b in momenta:
        if not 0.0 <= b < 1.0:
            raise ConfigError(f"momenta: each must be in [0, 1), got {b!r}")
    variants = {f"momentum {b:g}": {"batch_size": "full",
                                    "optimizer": {"momentum": b, "dampening": 0.0}}
                for b in momenta}
    df = sweep(problem, base_run, lrs, variants=variants, optimizers=("sgd",),
               progress=progress)
    by_name = {f"momentum {b:g}": b for b in momenta}
    df["momentum"] = df["variant"].map(by_name).astype(float)
    df["limit"] = [momentum_stability_limit(problem, b) for b in df["momentum"]]
    return df
