"""The worked examples of the lessons, computed by the engine (never typed in).

Every function runs :func:`gdcore.engine.runner.run` on a :mod:`gdcore.models` objective and returns a
dict or a tidy DataFrame that a page can print or chart as it is.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from gdcore.data import sources as gdata
from gdcore.engine.repeats import repeat_configs
from gdcore.engine.runner import reference_point, run
from gdcore.errors import ConfigError
from gdcore.models import FUNCTIONS, LinearRegression, Minimum, TestFunction
from gdcore.models.logistic import LogisticRegression, bce, sigmoid
from gdcore.rules.methods import ROUNDING, conditioning, eigen
from gdcore.spec.config import RepeatConfig, parse_run

from .landscape import which_minimum
from .sweep import MAX_POINTS, classify, describe

QUADRATIC = FUNCTIONS["quadratic"]
DOUBLE_WELL = FUNCTIONS["double_well"]


def cycle_steps(w0: float = -1.0, lr: float = 0.1, steps: int = 5,
                fn_name: str = "quadratic") -> pd.DataFrame:
    """The three-step cycle, one row per update of plain GD on a 1-D function:
    step, w (before), loss = f(w), gradient = f'(w), update = -lr·f'(w), w_new = w + update."""
    fn = FUNCTIONS[fn_name]
    res = run(fn, {"epochs": int(steps), "init": [float(w0)],
                   "optimizer": {"name": "sgd", "lr": float(lr)}, "max_points": int(steps) + 2})
    h = res.history
    ws = h["w"].to_numpy()
    rows = []
    for k in range(len(ws) - 1):
        g = float(fn.gradient([ws[k]])[0])
        rows.append({"step": k + 1, "w": float(ws[k]), "loss": float(h["loss"].iloc[k]),
                     "gradient": g, "update": float(ws[k + 1] - ws[k]),
                     "w_new": float(ws[k + 1])})
    return pd.DataFrame(rows, columns=["step", "w", "loss", "gradient", "update", "w_new"])


def cycle_points(steps_df: pd.DataFrame, fn_name: str = "quadratic") -> pd.DataFrame:
    """The points visited by :func:`cycle_steps`, including the last new w: step, w, loss."""
    fn = FUNCTIONS[fn_name]
    pts = steps_df[["step", "w", "loss"]].copy()
    pts["step"] -= 1
    if len(steps_df):
        w_new = float(steps_df["w_new"].iloc[-1])
        last = pd.DataFrame({"step": [len(steps_df)], "w": [w_new], "loss": [fn.loss([w_new])]})
        pts = pd.concat([pts, last], ignore_index=True)
    return pts


def first_update(w0: float = -1.0, lr: float = 0.1) -> dict[str, float]:
    """The first row of :func:`cycle_steps` on (w - 4)^2 + 2, as a dict."""
    return cycle_steps(w0, lr, 1).iloc[0].to_dict()


LR_EXAMPLES = (0.01, 0.1, 0.9, 1.05)


def lr_runs(lrs: Iterable[float] = LR_EXAMPLES, steps: int = 50,
            w0: float = -1.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Plain GD on (w - 4)^2 + 2 at several learning rates. Returns (history: lr, step, w, loss;
    summary: lr, factor = 1 - 2·lr (the per-step multiplier of w - 4), final_w, behaviour,
    label, status, steps, oscillates).

    ``status`` is the engine's ("completed" only says that the step budget ran out: a run at
    lr 1.05 that ends at w = -583 is "completed"); ``label`` is :func:`lab.sweep.classify`'s
    converged / oscillating / diverged and ``behaviour`` says it in words
    (:func:`lab.sweep.describe`: "diverging (the oscillation grows every step)").
    ``oscillates`` is True when w lands on alternate sides of the minimum."""
    hist, rows = [], []
    wmin = QUADRATIC.minima[0].params[0]
    for lr in lrs:
        res = run(QUADRATIC, {"name": f"lr {lr:g}", "epochs": int(steps), "init": [float(w0)],
                              "optimizer": {"name": "sgd", "lr": float(lr)},
                              "max_points": int(steps) + 2})
        h = res.history[["step", "w", "loss"]].copy()
        h.insert(0, "lr", f"{lr:g}")
        hist.append(h)
        side = np.sign(h["w"].to_numpy()[1:6] - wmin)
        rows.append({"lr": float(lr), "factor": 1.0 - 2.0 * float(lr),
                     "final_w": res.params["w"],
                     "behaviour": describe(res, QUADRATIC.min_value),
                     "label": classify(res, QUADRATIC.min_value), "status": res.status,
                     "steps": res.steps,
                     "oscillates": bool(len(side) > 1 and np.all(side[1:] * side[:-1] < 0))})
    return pd.concat(hist, ignore_index=True), pd.DataFrame(rows)


def demo_data(n: int = 100, seed: int = 0):
    """The small generated data set the data lessons share: y = 2x + 1 + noise."""
    return gdata.generate(n=n, slope=2.0, intercept=1.0, noise=1.0, x_mean=3.0, seed=seed)


def demo_optimum(ds=None) -> tuple[float, float]:
    """The least-squares (w*, b*) of the demo data."""
    w, b = LinearRegression.from_dataset(ds if ds is not None else demo_data()).least_squares
    return float(w[0]), float(b)


def update_modes(lr: float = 0.05, steps: int = 30, ds=None) -> pd.DataFrame:
    """Simultaneous vs sequential update of (w, b) on the demo data, full batch, from (0, 0).
    Tidy: mode, step, w, b, loss."""
    ds = ds if ds is not None else demo_data()
    prob = LinearRegression.from_dataset(ds)
    frames = []
    for mode in ("simultaneous", "sequential"):
        res = run(prob, {"name": mode, "epochs": int(steps), "update": mode, "batch_size": "full",
                         "optimizer": {"name": "sgd", "lr": float(lr)},
                         "max_points": int(steps) + 2})
        h = res.history[["step", "w", "b", "loss"]].copy()
        h.insert(0, "mode", mode)
        frames.append(h)
    return pd.concat(frames, ignore_index=True)


def first_step_by_mode(lr: float = 0.05, ds=None) -> pd.DataFrame:
    """The first update in each mode, with the gradients used: mode, grad_w, grad_b, w, b.
    Sequential computes grad_b at the *new* w."""
    ds = ds if ds is not None else demo_data()
    prob = LinearRegression.from_dataset(ds)
    rows = []
    for mode in ("simultaneous", "sequential"):
        res = run(prob, {"epochs": 1, "update": mode, "optimizer": {"name": "sgd", "lr": lr}})
        w1, b1 = res.params["w"], res.params["b"]
        gw = prob.gradient([0.0, 0.0])[0]
        gb = prob.gradient([w1 if mode == "sequential" else 0.0, 0.0])[1]
        rows.append({"mode": mode, "grad_w": gw, "grad_b": gb, "w": w1, "b": b1})
    return pd.DataFrame(rows)


def batch_noise(lr: float = 0.02, epochs: int = 20, batch: int = 10, ds=None) -> pd.DataFrame:
    """Full batch vs mini-batch vs stochastic on the demo data, same lr and epochs.
    Tidy: method, step, epoch, loss (the full-data loss after each update), excess (loss minus
    the least-squares loss: what is left to learn)."""
    ds = ds if ds is not None else demo_data()
    prob = LinearRegression.from_dataset(ds)
    frames = []
    for name, bs in (("batch", "full"), (f"mini-batch ({batch})", int(batch)), ("stochastic", 1)):
        res = run(prob, {"name": name, "epochs": int(epochs), "batch_size": bs, "seed": 0,
                         "optimizer": {"name": "sgd", "lr": float(lr)}, "max_points": 600})
        h = res.history[["step", "epoch", "loss"]].copy()
        h.insert(0, "method", name)
        h["excess"] = h["loss"] - prob.min_value
        frames.append(h)
    return pd.concat(frames, ignore_index=True)


def batch_seeds(lr: float = 0.02, epochs: int = 20, batch: int = 10, seeds: int = 20,
                ds=None) -> pd.DataFrame:
    """The batch lesson over ``seeds`` paired seeds (gdcore.engine.repeats): mini-batch and
    stochastic, same lr and epochs, repeat j of both shuffling with the same seed. Tidy: method,
    seed (1..seeds), final_loss, excess (above the least-squares loss), diverged."""
    ds = ds if ds is not None else demo_data()
    prob = LinearRegression.from_dataset(ds)
    spec = RepeatConfig(n=int(seeds))
    rows = []
    for name, bs in ((f"mini-batch ({batch})", int(batch)), ("stochastic", 1)):
        cfg = parse_run({"name": name, "epochs": int(epochs), "batch_size": bs, "seed": 0,
                         "optimizer": {"name": "sgd", "lr": float(lr)}, "max_points": 50})
        for j, rep in enumerate(repeat_configs(cfg, spec, prob)):
            res = run(prob, rep)
            rows.append({"method": name, "seed": j + 1, "final_loss": res.final_loss,
                         "excess": res.final_loss - prob.min_value,
                         "diverged": res.status == "diverged"})
    return pd.DataFrame(rows)


def restarts(n: int = 8, seed: int = 0, lr: float = 0.01, steps: int = 300) -> pd.DataFrame:
    """Random restarts on the double well: n uniform starts in its window, plain GD from each.
    Columns: start, start_loss, final_w, final_loss, minimum ("global"/"local"/"none"),
    best (the lowest)."""
    rng = np.random.default_rng(int(seed))
    lo, hi = DOUBLE_WELL.window[0]
    rows = []
    for s in rng.uniform(lo, hi, int(n)):
        res = run(DOUBLE_WELL, {"epochs": int(steps), "init": [float(s)], "max_points": 2,
                                "optimizer": {"name": "sgd", "lr": float(lr)}})
        w = res.params["w"]
        rows.append({"start": float(s), "start_loss": DOUBLE_WELL.loss([s]), "final_w": w,
                     "final_loss": res.final_loss,
                     "minimum": which_minimum(DOUBLE_WELL, [w])})
    df = pd.DataFrame(rows)
    df["best"] = df["final_loss"] == df["final_loss"].min()
    return df


def clipping_demo(max_norm: float = 10.0, lr: float = 0.05, w0: float = 4.0,
                  steps: int = 60) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Plain GD on the double well from a steep start, without and with gradient clipping.
    Returns (history: run, step, w, loss, grad_norm, clipped; summary: run, behaviour
    (:func:`lab.sweep.describe`), label, status, steps, final_w, diverged_at)."""
    frames, rows = [], []
    for name, clip in (("no clipping", "none"), (f"clip norm {max_norm:g}",
                                                  {"name": "norm", "max_norm": float(max_norm)})):
        res = run(DOUBLE_WELL, {"name": name, "epochs": int(steps), "init": [float(w0)],
                                "clip": clip, "optimizer": {"name": "sgd", "lr": float(lr)},
                                "max_points": int(steps) + 2})
        frames.append(res.history[["run", "step", "w", "loss", "grad_norm", "clipped"]])
        rows.append({"run": name, "behaviour": describe(res, DOUBLE_WELL.min_value),
                     "label": classify(res, DOUBLE_WELL.min_value), "status": res.status,
                     "steps": res.steps, "final_w": res.params["w"],
                     "diverged_at": res.diverged_at})
    return pd.concat(frames, ignore_index=True), pd.DataFrame(rows)


SCHEDULES: dict[str, Mapping[str, Any]] = {
    "constant": {"name": "constant"},
    "exponential (γ 0.8)": {"name": "exponential", "gamma": 0.8},
    "inverse time (k 1)": {"name": "inverse_time", "k": 1.0},
    "cosine": {"name": "cosine", "T_max": 20},
}


def _schedule_runs(prob, lr: float, epochs: int, max_points: int):
    """(name, result) per schedule: stochastic GD (batch 1), the schedule stepped per epoch."""
    for name, sched in SCHEDULES.items():
        sched = dict(sched)
        if sched["name"] == "cosine":
            sched["T_max"] = int(epochs)
        yield name, run(prob, {"name": name, "epochs": int(epochs), "batch_size": 1, "seed": 0,
                               "schedule": {**sched, "per": "epoch"},
                               "optimizer": {"name": "sgd", "lr": float(lr)},
                               "max_points": int(max_points)})


def schedule_demo(lr: float = 0.05, epochs: int = 20, ds=None) -> pd.DataFrame:
    """Stochastic GD (batch 1) on the demo data under several schedules stepped per epoch.
    Tidy: schedule, step, epoch, lr, loss, excess (loss minus the least-squares loss); at most
    400 recorded points per schedule (see :func:`schedule_epochs` for one row per epoch)."""
    ds = ds if ds is not None else demo_data()
    prob = LinearRegression.from_dataset(ds)
    frames = []
    for name, res in _schedule_runs(prob, lr, epochs, 400):
        h = res.history[["step", "epoch", "lr", "loss"]].copy()
        h.insert(0, "schedule", name)
        h["excess"] = h["loss"] - prob.min_value
        frames.append(h)
    return pd.concat(frames, ignore_index=True)


def schedule_epochs(lr: float = 0.05, epochs: int = 20, ds=None) -> pd.DataFrame:
    """:func:`schedule_demo` per epoch, the noise averaged out: one row per schedule × epoch.

    Columns: schedule, epoch (1 … epochs), lr (the learning rate during that epoch),
    mean_excess (the mean, over the epoch's updates, of the full-data loss above the
    least-squares loss), end_excess (the same after the epoch's last recorded update). Every
    update is recorded (up to ``MAX_POINTS`` updates; beyond, the mean is over evenly spread
    ones)."""
    ds = ds if ds is not None else demo_data()
    prob = LinearRegression.from_dataset(ds)
    per_epoch = prob.n  # batch 1: one update per row
    rows = []
    for name, res in _schedule_runs(prob, lr, epochs,
                                    min(int(epochs) * per_epoch + 2, MAX_POINTS)):
        h = res.history
        excess = (h["loss"] - prob.min_value).to_numpy(dtype=float)
        step = h["step"].to_numpy()
        lrs = h["lr"].to_numpy(dtype=float)
        for e in range(1, int(epochs) + 1):
            inside = (step > (e - 1) * per_epoch) & (step <= e * per_epoch)
            if not inside.any():  # the run stopped (diverged) before this epoch
                break
            rows.append({"schedule": name, "epoch": e, "lr": float(lrs[inside][0]),
                         "mean_excess": float(excess[inside].mean()),
                         "end_excess": float(excess[inside][-1])})
    return pd.DataFrame(rows, columns=["schedule", "epoch", "lr", "mean_excess", "end_excess"])


def schedule_summary(per_epoch: pd.DataFrame) -> pd.DataFrame:
    """The last epoch of each schedule from :func:`schedule_epochs`: schedule, epoch, lr,
    mean_excess, and vs_constant (how many times lower its mean excess is than the constant
    learning rate's; NaN without a constant run)."""
    last = per_epoch.groupby("schedule", sort=False).tail(1).reset_index(drop=True)
    const = last.loc[last["schedule"] == "constant", "mean_excess"]
    ref = float(const.iloc[0]) if len(const) else float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = ref / last["mean_excess"].to_numpy(dtype=float)
    return last[["schedule", "epoch", "lr", "mean_excess"]].assign(vs_constant=ratio)


# --- lesson 8: conditioning -------------------------------------------------------------------
VALLEY_START = (-9.0, 3.0)  # far along the valley (w1) and up its wall (w2)
VALLEY_WINDOW = ((-10.0, 2.0), (-4.0, 4.0))  # the start, the minimum and the zig-zag
KAPPAS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)  # the condition numbers offered
TOLERANCES = (1e-2, 1e-3, 1e-4, 1e-6)  # error left, as a share of the start's
MAX_KAPPA = 1000.0
RATES = ("1/λmax", "2/(λmax+λmin)")  # the two learning rates compared, by their rule


def valley(kappa: float) -> TestFunction:
    """The quadratic valley ½ (w1²/κ + w2²), minimum 0 at (0, 0): Hessian diag(1/κ, 1), so
    λmax = 1 across the valley (w2), λmin = 1/κ along it (w1) and the condition number is κ.
    Written with p[0], p[1] like every test function (a point or a whole grid)."""
    kappa = float(kappa)
    if not (np.isfinite(kappa) and 1.0 <= kappa <= MAX_KAPPA):
        raise ConfigError(f"condition number κ: choose a number from 1 to {MAX_KAPPA:g} "
                          f"(got {kappa:g})")
    flat = 1.0 / kappa

    def fun(p):
        return 0.5 * (flat * p[0] * p[0] + p[1] * p[1])

    def grad(p):
        return (flat * p[0], 1.0 * p[1])

    def hess(p):
        return ((flat, 0.0), (0.0, 1.0))

    return TestFunction("valley", f"½ (w1²/{kappa:g} + w2²)", fun, grad, ("w1", "w2"),
                        VALLEY_START, VALLEY_WINDOW, (Minimum((0.0, 0.0), 0.0),), hess)


def valley_rates(fn: TestFunction) -> dict[str, float]:
    """The two learning rates from the Hessian's eigenvalues: 1/λmax (a safe, common choice)
    and 2/(λmax + λmin), the best fixed rate for plain gradient descent on a quadratic."""
    c = conditioning(fn.hessian(fn.default_init))
    return {RATES[0]: 1.0 / c.lam_max, RATES[1]: 2.0 / (c.lam_max + c.lam_min)}


def contraction(lams, lr: float) -> float:
    """How much one plain gradient step at ``lr`` shrinks the error along the slowest
    direction of a quadratic with Hessian eigenvalues ``lams``: max |1 - lr·λ| (each
    eigen-component of w - w* is multiplied by 1 - lr·λ per step)."""
    return float(np.max(np.abs(1.0 - float(lr) * np.asarray(lams, dtype=float))))


def predicted_steps(lams, error0, lr: float, tol: float, budget: int) -> int | None:
    """The first step k at which the error of plain gradient descent on a quadratic is at most
    ``tol`` times the start's, from the closed form: eigen-component i of w - w* is
    (1 - lr λ_i)^k times its start value ``error0[i]``. None if not within ``budget`` steps."""
    lams = np.asarray(lams, dtype=float)
    e0 = np.asarray(error0, dtype=float)
    k = np.arange(1, int(budget) + 1)[:, None]
    err = np.sqrt(np.sum((e0 * (1.0 - lr * lams) ** k) ** 2, axis=1))
    hit = np.nonzero(err <= tol * float(np.sqrt(e0 @ e0)))[0]
    return int(hit[0]) + 1 if hit.size else None


def valley_budget(kappa: float, tol: float) -> int:
    """Steps each run gets: κ·ln(1/tol) (what the slower rate needs, a little more) and 10."""
    return int(math.ceil(float(kappa) * math.log(1.0 / float(tol)))) + 10


def _first_below(values: np.ndarray, level: float) -> int | None:
    """The index from which ``values`` stay at or below ``level`` (None if the last is above)."""
    above = np.nonzero(values > level)[0]
    if not above.size:
        return 0
    return int(above[-1]) + 1 if above[-1] + 1 < len(values) else None


def valley_runs(kappa: float = 100, tol: float = 1e-3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Plain gradient descent on :func:`valley` from :data:`VALLEY_START` at the two
    :data:`RATES`, each for :func:`valley_budget` steps.

    Returns (history: rate, step, w1, w2, loss, error = |w - w*| / |w0 - w*|; summary per
    rate: rate, lr, factor (theory: :func:`contraction`), measured_factor (the run's own
    error shrink per step after the first, geometric mean), steps (measured: the first step
    from which the error stays within ``tol``; None if not in the budget), predicted (the
    closed form, :func:`predicted_steps`), rule (κ·ln(1/tol) for 1/λmax, κ/2·ln(1/tol) for the
    best rate: their steps when κ is large), budget)."""
    if not 0.0 < float(tol) < 1.0:
        raise ConfigError(f"tolerance: choose a share between 0 and 1 (got {tol!r})")
    fn = valley(kappa)
    budget = valley_budget(kappa, tol)
    if budget + 2 > MAX_POINTS:
        raise ConfigError(f"κ = {kappa:g} with tolerance {tol:g} needs about {budget:,} steps, "
                          f"more than a history keeps ({MAX_POINTS:,}): choose a smaller κ or "
                          "a looser tolerance")
    lams = eigen(fn.hessian(fn.default_init))[0]  # diagonal: eigenvectors are the axes
    start = np.asarray(VALLEY_START)
    rules = {RATES[0]: float(kappa), RATES[1]: float(kappa) / 2.0}
    frames, rows = [], []
    for rate, lr in valley_rates(fn).items():
        res = run(fn, {"name": rate, "epochs": budget, "init": list(VALLEY_START),
                       "optimizer": {"name": "sgd", "lr": lr}, "max_points": budget + 2})
        h = res.history[["step", "w1", "w2", "loss"]].copy()
        h.insert(0, "rate", rate)
        h["error"] = np.hypot(h["w1"], h["w2"]) / float(np.hypot(*start))
        frames.append(h)
        err = h["error"].to_numpy()
        last = int(np.nonzero(err > 0)[0][-1]) if (err > 0).any() else 0
        measured = ((err[last] / err[1]) ** (1.0 / (last - 1)) if last > 1 and err[1] > 0
                    else 0.0)
        reached = _first_below(err, tol)
        rows.append({"rate": rate, "lr": lr, "factor": contraction(lams, lr),
                     "measured_factor": float(measured),
                     "steps": None if reached is None else int(h["step"].iloc[reached]),
                     "predicted": predicted_steps(lams, start, lr, tol, budget),
                     "rule": rules[rate] * math.log(1.0 / tol), "budget": budget})
    summary = pd.DataFrame(rows)
    for c in ("steps", "predicted"):
        summary[c] = summary[c].astype("Int64")
    return pd.concat(frames, ignore_index=True), summary


PATH_STEPS = 150  # steps of each path drawn on the valley (later ones are too small to see)


def valley_path(hist: pd.DataFrame, steps: int = PATH_STEPS) -> pd.DataFrame:
    """The first ``steps`` steps of each run of :func:`valley_runs` as a landscape path
    (every step: a thinned zig-zag would lose its zig-zag): run, step, w1, w2, loss."""
    part = hist[hist["step"] <= int(steps)]
    return part.rename(columns={"rate": "run"})[["run", "step", "w1", "w2", "loss"]]


def standardizing(name: str = "cars", tol: float = 1e-3) -> pd.DataFrame:
    """What standardizing does to the conditioning of a sample's least-squares loss: one row
    for the raw columns, one standardized. Columns: data, lam_max, lam_min, kappa, lr_limit
    (2/λmax), steps (≈ steps per e-fold at lr = 1/λmax × ln(1/tol): about κ·ln(1/tol))."""
    rows = []
    for label, std in (("raw columns", False), ("standardized", True)):
        ds = gdata.load_sample(name, standardize=std)
        c = conditioning(LinearRegression.from_dataset(ds).hessian())
        rows.append({"data": label, "lam_max": c.lam_max, "lam_min": c.lam_min,
                     "kappa": c.kappa, "lr_limit": c.lr_limit,
                     "steps": c.steps_per_efold * math.log(1.0 / tol)})
    return pd.DataFrame(rows)


def most_correlated(name: str = "cars") -> tuple[str, str, float]:
    """The pair of a sample's x columns that move together most (largest |correlation|): what
    is left of κ after standardizing (it rescales columns, it cannot turn them apart)."""
    ds = gdata.load_sample(name)
    r = np.corrcoef(ds.x, rowvar=False)
    np.fill_diagonal(r, 0.0)
    i, j = np.unravel_index(int(np.argmax(np.abs(r))), r.shape)
    i, j = sorted((int(i), int(j)))
    return ds.x_names[i], ds.x_names[j], float(r[i, j])


# --- lesson 9: the classification loss -------------------------------------------------------
ROW_LOSSES = ("log-loss", "0/1 loss", "squared error of σ(z)")
MARGIN_RANGE = (-5.0, 5.0)


def row_losses(margins) -> pd.DataFrame:
    """Each per-row loss as a function of the margin m = y·z (z the logit, y = ±1: m > 0 is
    right, m < 0 wrong), for a row of class 1 (z = m; a class-0 row with z = -m has the same
    numbers). Tidy: margin, loss (one of :data:`ROW_LOSSES`), value, slope (dL/dz), push
    (-dL/dz: how hard a gradient step moves the logit towards the right side) and p_own
    (σ(m): the probability the model gives the row's own class).

    * log-loss, the engine's ``bce(z, 1)`` = softplus(-m); slope σ(z) - 1 (the engine's
      gradient: ``(σ(z) - y) x`` per row, here with x = 1);
    * 0/1 loss: 1 when the row is on the wrong side (the engine's accuracy rule: z >= 0
      predicts 1), else 0; slope 0 wherever it is defined;
    * squared error of the probability, (σ(z) - y)²; slope 2 (σ(z) - y) σ(z) (1 - σ(z))."""
    z = np.asarray(margins, dtype=float)
    s = sigmoid(z)
    values = {ROW_LOSSES[0]: (bce(z, 1.0), s - 1.0),
              ROW_LOSSES[1]: ((z < 0.0).astype(float), np.zeros_like(z)),
              ROW_LOSSES[2]: ((s - 1.0) ** 2, 2.0 * (s - 1.0) * s * (1.0 - s))}
    frames = [pd.DataFrame({"margin": z, "loss": name, "value": v, "slope": d,
                            "push": 0.0 - d,  # (0 - 0 is +0; -0 would print as "-0")
                            "p_own": s})
              for name, (v, d) in values.items()]
    return pd.concat(frames, ignore_index=True)


def margin_curves(n: int = 201) -> pd.DataFrame:
    """:func:`row_losses` on ``n`` margins across :data:`MARGIN_RANGE`."""
    return row_losses(np.linspace(*MARGIN_RANGE, int(n)))


CLASS_DATA = {  # the data sets the fit can use: key -> (title, loader)
    "breast_cancer": "breast cancer: mean radius, mean texture (standardized; overlapping)",
    "separable": "generated: two clouds a line can separate (200 rows)",
}
PLATEAU = 0.01  # accuracy within one percentage point of its final value counts as flat


def class_data(key: str):
    """The data behind :data:`CLASS_DATA`."""
    if key == "breast_cancer":
        return gdata.load_sample("breast_cancer", standardize=True)
    if key == "separable":
        return gdata.generate_classes(n=200, features=2, separation=6.0, seed=0)
    raise ConfigError(f"classification data: unknown {key!r}; choose one of "
                      + ", ".join(map(repr, CLASS_DATA)))


def classification_fit(key: str = "breast_cancer", lr: float = 1.0,
                       steps: int = 300) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Plain full-batch gradient descent on the log-loss of :func:`class_data`.

    Returns (history: run (the method and rate, for a legend), step, loss, accuracy,
    confidence (the mean probability the model gives each row's own class, σ(m)), weight_norm
    (|w|); summary: plateau_step (the first step from which the accuracy stays within
    :data:`PLATEAU` of its final value) and the accuracy and loss there, final_accuracy,
    final_loss, best_loss (the optimum's, by IRLS; 0 when the classes are separable:
    approached, never reached), separable, separated_at (the first step with every row on its
    own side, or None))."""
    ds = class_data(key)
    prob = LogisticRegression.from_dataset(ds)
    res = run(prob, {"name": key, "epochs": int(steps), "batch_size": "full",
                     "optimizer": {"name": "sgd", "lr": float(lr)},
                     "max_points": int(steps) + 2})
    h = res.history
    params = h[list(prob.param_names)].to_numpy()
    z = prob.x @ params[:, :-1].T + params[:, -1]  # (rows, recorded steps)
    sign = np.where(prob.y == 1.0, 1.0, -1.0)[:, None]
    hist = pd.DataFrame({"run": f"gradient descent, lr {float(lr):g}", "step": h["step"],
                         "loss": h["loss"],
                         "accuracy": h["accuracy"],
                         "confidence": sigmoid(sign * z).mean(axis=0),
                         "weight_norm": np.linalg.norm(params[:, :-1], axis=1)})
    acc = hist["accuracy"].to_numpy()
    flat = int(np.nonzero(np.abs(acc - acc[-1]) > PLATEAU)[0][-1]) + 1 \
        if (np.abs(acc - acc[-1]) > PLATEAU).any() else 0
    separated = np.nonzero(np.all(sign * z > 0.0, axis=0))[0]
    summary = {"plateau_step": int(hist["step"].iloc[flat]),
               "plateau_accuracy": float(acc[flat]), "plateau_loss": float(hist["loss"].iloc[flat]),
               "final_accuracy": float(acc[-1]), "final_loss": float(hist["loss"].iloc[-1]),
               "best_loss": prob.min_value, "separable": prob.separable,
               "separated_at": int(hist["step"].iloc[separated[0]]) if separated.size else None,
               "status": res.status, "rows": prob.n}
    return hist, summary


def fit_table(hist: pd.DataFrame, steps=(0, 1, 5, 20, 50, 100, 200, 300)) -> pd.DataFrame:
    """The rows of :func:`classification_fit`'s history at the given steps (those recorded)."""
    return hist[hist["step"].isin(steps)].drop(columns="run").reset_index(drop=True)


# --- lesson 10: what curvature buys -----------------------------------------------------------
RACE_PROBLEMS = {  # key -> title
    "raw": "logistic fit, breast cancer in raw units",
    "standardized": "logistic fit, breast cancer standardized",
    "rosenbrock": "Rosenbrock (1 - w1)² + 100 (w2 - w1²)²",
}
RACE_METHODS = ("gradient descent", "line search (Armijo)", "Newton's method")
RACE_STEPS = 300
TARGET = 1e-8  # "reached the optimum": the loss within this of the optimum's
NEWTON_MAX_STEPS = 60
NEWTON_TOL_GRAD = 1e-12  # Newton's table stops here: the next step meets float64's floor


def race_problem(key: str):
    """(problem, start, optimum loss) behind :data:`RACE_PROBLEMS`."""
    if key in ("raw", "standardized"):
        prob = LogisticRegression.from_dataset(
            gdata.load_sample("breast_cancer", standardize=key == "standardized"))
        return prob, tuple(prob.default_init), prob.min_value
    if key == "rosenbrock":
        fn = FUNCTIONS["rosenbrock"]
        return fn, fn.default_init, fn.min_value
    raise ConfigError(f"problem: unknown {key!r}; choose one of "
                      + ", ".join(map(repr, RACE_PROBLEMS)))


def race_configs(prob, start) -> dict[str, dict[str, Any]]:
    """The three methods' settings, from the curvature at ``start`` (the problem's default
    start, where every run begins; no rate to tune by
    hand): gradient descent at lr = 1/λmax; the line search's first trial 8/λmax (four times
    the stable rate; c = 1/2, as the dashboard's methods preset); Newton's full step (1),
    damped by backtracking when it does not lower the loss."""
    lam = conditioning(prob.hessian(start)).lam_max
    base = {"batch_size": "full"}  # from the problem's own start (zeros for a fit)
    return {RACE_METHODS[0]: {**base, "optimizer": {"name": "sgd", "lr": 1.0 / lam}},
            RACE_METHODS[1]: {**base, "optimizer": {"name": "sgd", "lr": 8.0 / lam},
                              "method": {"name": "line_search", "c": 0.5}},
            RACE_METHODS[2]: {**base, "optimizer": {"name": "sgd", "lr": 1.0},
                              "method": {"name": "newton"}}}


def excess_over(loss, best: float) -> np.ndarray:
    """The loss above the optimum's ``best``, with what lies within the loss's own rounding
    of it (a few units in the last place of ``best``: :data:`gdcore.rules.methods.ROUNDING`) set to
    0. Next to the optimum, loss - best is rounding noise of either sign (±1e-16 at a loss of
    0.26); it says "reached", not "1e-16 away"."""
    excess = np.asarray(loss, dtype=float) - float(best)
    return np.where(excess <= ROUNDING * abs(float(best)), 0.0, excess)


def method_race(key: str = "raw",
                steps: int = RACE_STEPS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Gradient descent, line search and Newton's method on one of :data:`RACE_PROBLEMS`.

    Returns (history: method, step, loss, excess (:func:`excess_over`: the loss above the
    optimum's, 0 within its rounding); summary per method: method, lr (the rate, first trial or step
    scale), final_excess, digits (log10 of the start's excess over the final one: the
    correct digits the run gained; inf once it hits the optimum exactly), reached (the first
    step from which the excess stays within
    :data:`TARGET`; None if not in ``steps``), us_per_step (this run's wall time per step),
    kappa (the condition number at the optimum, the same for all three), ms (the time it took
    to reach the target, or for all its steps when it did not))."""
    prob, start, best = race_problem(key)
    at = reference_point(prob)
    kappa = conditioning(prob.hessian(at)).kappa
    frames, rows = [], []
    for name, cfg in race_configs(prob, start).items():
        res = run(prob, {"name": name, "epochs": int(steps), "max_points": int(steps) + 2,
                         **cfg})
        h = res.history[["run", "step", "loss"]].rename(columns={"run": "method"})
        h["excess"] = excess_over(h["loss"], best)
        frames.append(h)
        reached = _first_below(h["excess"].to_numpy(), TARGET)
        first, final = float(h["excess"].iloc[0]), float(h["excess"].iloc[-1])
        gained = (0.0 if first <= 0.0 else math.inf if final <= 0.0
                  else math.log10(first / final))
        rows.append({"method": name, "lr": float(cfg["optimizer"]["lr"]),
                     "final_excess": final, "digits": gained,
                     "reached": None if reached is None else int(h["step"].iloc[reached]),
                     "us_per_step": 1e6 * res.wall_time / max(res.steps, 1),
                     "kappa": float(kappa)})
        used = rows[-1]["reached"] if reached is not None else res.steps
        rows[-1]["ms"] = used * rows[-1]["us_per_step"] / 1e3
    summary = pd.DataFrame(rows)
    summary["reached"] = summary["reached"].astype("Int64")
    return pd.concat(frames, ignore_index=True), summary


def newton_digits(key: str = "raw", max_steps: int = NEWTON_MAX_STEPS) -> pd.DataFrame:
    """Newton's method step by step on one of :data:`RACE_PROBLEMS`, until the gradient norm
    is at most :data:`NEWTON_TOL_GRAD` (or ``max_steps``): step, excess
    (:func:`excess_over`), grad_norm (|∇L| at the point reached, from the
    problem's gradient) and exponent (-log10 |∇L|). Near the optimum the exponent roughly
    doubles per step: Newton's quadratic convergence (|∇L| next ≈ C |∇L|²)."""
    prob, start, best = race_problem(key)
    cfg = race_configs(prob, start)[RACE_METHODS[2]]
    res = run(prob, {"epochs": int(max_steps), "max_points": int(max_steps) + 2,
                     "tol_grad": NEWTON_TOL_GRAD, **cfg})
    h = res.history
    params = h[list(prob.param_names)].to_numpy()
    gnorm = np.array([float(np.linalg.norm(prob.gradient(p))) for p in params])
    with np.errstate(divide="ignore"):
        exponent = -np.log10(gnorm)
    return pd.DataFrame({"step": h["step"], "excess": excess_over(h["loss"], best),
                         "grad_norm": gnorm, "exponent": exponent})


def doubling(digits: pd.DataFrame) -> pd.DataFrame:
    """The steps of :func:`newton_digits` where the gradient norm is below 1 and above 0 (the
    exponent positive and finite: an exactly zero gradient has none), with ratio = this
    step's exponent over the step before's (about 2 in Newton's quadratic phase; None for the first)."""
    tail = digits[np.isfinite(digits["exponent"]) & (digits["exponent"] > 0)]
    tail = tail.reset_index(drop=True)
    ratio = tail["exponent"] / tail["exponent"].shift(1)
    return tail.assign(ratio=ratio.where(tail["step"].diff() == 1))


COST_DIMS = (2, 5, 10, 20, 50, 100, 200)
COST_ROWS = 1000
COST_STEPS = {RACE_METHODS[0]: 5, RACE_METHODS[2]: 2}  # timed steps per run
COST_REPEATS = 5  # runs per method and size, taken in turns; the fastest is kept


def feature_problem(d: int, n: int = COST_ROWS, seed: int = 0) -> LogisticRegression:
    """Logistic data with ``d`` features: x ~ Normal(0, I) (n × d), labels drawn from
    σ(x·w) with w ~ Normal(0, 4/d) (logits of about unit size: the classes overlap)."""
    rng = np.random.default_rng(int(seed))
    x = rng.standard_normal((int(n), int(d)))
    w = rng.standard_normal(int(d)) * (2.0 / math.sqrt(int(d)))
    y = (rng.random(int(n)) < sigmoid(x @ w)).astype(float)
    return LogisticRegression(x, y)


def newton_cost(dims=COST_DIMS, n: int = COST_ROWS,
                repeats: int = COST_REPEATS) -> pd.DataFrame:
    """The price of curvature, measured: wall time per step of the engine's own runs
    (:func:`gdcore.engine.runner.run`) of gradient descent and of Newton's method on
    :func:`feature_problem` data with d features and ``n`` rows. Each step of gradient
    descent costs a pass over the data (about n·d multiply-adds); each Newton step also
    builds the (d+1)×(d+1) Hessian (about n·d²) and decomposes it (about d³). Tidy: d,
    method, us_per_step (the fastest of ``repeats`` runs: timings on a shared machine only
    ever come out slower), and ratio (Newton's time over gradient descent's, on both rows).
    Measured with one BLAS thread (``threadpoolctl``): the numbers are this machine's
    arithmetic, not how busy its other cores were."""
    with threadpool_limits(limits=1):  # BLAS threads spinning on shared cores made d = 50
        # slower than d = 100 (120,736 against 5,807 µs); one thread measures the arithmetic
        return _newton_cost(dims, n, repeats)


def _newton_cost(dims, n: int, repeats: int) -> pd.DataFrame:
    rows = []
    for d in dims:
        prob = feature_problem(int(d), n)
        configs = race_configs(prob, tuple(prob.default_init))
        per = dict.fromkeys(COST_STEPS, math.inf)
        for _ in range(int(repeats)):  # in turns: a busy spell slows both, not one
            for name, steps in COST_STEPS.items():
                res = run(prob, {"epochs": steps, "max_points": steps + 2, **configs[name]},
                          engine="python")
                per[name] = min(per[name], res.wall_time / max(res.steps, 1))
        ratio = per[RACE_METHODS[2]] / per[RACE_METHODS[0]]
        rows += [{"d": int(d), "method": name, "us_per_step": 1e6 * t, "ratio": ratio}
                 for name, t in per.items()]
    return pd.DataFrame(rows)


def cost_table(cost: pd.DataFrame) -> pd.DataFrame:
    """:func:`newton_cost` one row per d: d, gd_us, newton_us (µs per step), ratio."""
    wide = cost.pivot(index="d", columns="method", values="us_per_step")
    out = pd.DataFrame({"d": wide.index.astype(int), "gd_us": wide[RACE_METHODS[0]].to_numpy(),
                        "newton_us": wide[RACE_METHODS[2]].to_numpy()})
    return out.assign(ratio=out["newton_us"] / out["gd_us"])
