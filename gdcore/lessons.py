"""The worked examples of the lessons, computed by the engine (never typed in).

Every function runs :func:`gdcore.runner.run` on a :mod:`gdcore.problems` objective and returns a
dict or a tidy DataFrame that a page can print or chart as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from . import data as gdata
from .landscape import which_minimum
from .problems import FUNCTIONS, LinearRegression
from .runner import run
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
    lr 1.05 that ends at w = -583 is "completed"); ``label`` is :func:`gdcore.sweep.classify`'s
    converged / oscillating / diverged and ``behaviour`` says it in words
    (:func:`gdcore.sweep.describe`: "diverging (the oscillation grows every step)").
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
    (:func:`gdcore.sweep.describe`), label, status, steps, final_w, diverged_at)."""
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
