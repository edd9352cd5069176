"""Run experiments: config -> problem -> compiled loop -> results with tidy histories.

    result = gdcore.run_experiment({"data": {...}, "runs": [...]})
    result.history   # one tidy DataFrame, all runs: run, step, epoch, samples, lr, w, b, loss, ...
    result.summary   # one row per run: status, final w and b, distance to the truth, losses, time

A run never raises because training went wrong: a non-finite value or an exploding loss ends it
with status "diverged" and the step it happened at, and the history holds only finite numbers.
Bad *configuration* raises :class:`gdcore.errors.ConfigError` before anything runs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import clipping, kernel, optimizers, schedules
from . import data as gdata
from .config import Experiment, RunConfig, load_experiment_json, parse_experiment, parse_run
from .errors import ConfigError
from .problems import LinearRegression, TestFunction, make_problem

STATUS = {kernel.COMPLETED: "completed", kernel.CONVERGED: "converged", kernel.DIVERGED: "diverged"}


@dataclass(frozen=True, eq=False)
class RunResult:
    """What one run did. ``history`` holds at most ``config.max_points`` rows, all finite."""

    name: str
    config: RunConfig
    status: str  # "converged" (a tolerance was met), "completed" (budget used) or "diverged"
    steps: int  # updates made; for a diverged run, the update at which it diverged
    diverged_at: int | None
    params: dict[str, float]  # final (last finite) parameters, model units
    final_loss: float
    best_loss: float
    steps_to_converge: int | None  # first step from which the excess loss stayed <= 0.1% of start's
    distance: float  # Euclidean distance from the final parameters to the reference answer
    wall_time: float  # seconds
    history: pd.DataFrame
    message: str
    params_original: dict[str, float] | None = None  # for standardized data: original units

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "run": self.name,
            "status": self.status,
            "steps": self.steps,
            "diverged_at": self.diverged_at,
            **self.params,
            "final_loss": self.final_loss,
            "best_loss": self.best_loss,
            "steps_to_converge": self.steps_to_converge,
            "distance_to_reference": self.distance,
            "time_s": round(self.wall_time, 6),
            "message": self.message,
        }
        if self.params_original is not None:
            out["original_units"] = self.params_original
        return out


@dataclass(frozen=True, eq=False)
class ExperimentResult:
    experiment: Experiment
    problem: LinearRegression | TestFunction
    dataset: Any | None
    runs: tuple[RunResult, ...]
    reference: dict[str, float] = field(default_factory=dict)  # least squares / global minimum
    reference_loss: float = float("nan")

    @property
    def history(self) -> pd.DataFrame:
        return pd.concat([r.history for r in self.runs], ignore_index=True)

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([r.summary() for r in self.runs])


# --- building the kernel's arguments ------------------------------------------------------------
def _initial_point(cfg: RunConfig, problem) -> np.ndarray:
    names = problem.param_names
    if cfg.init is None:
        return np.array(problem.default_init, dtype=float)
    if isinstance(cfg.init, Mapping):
        p = np.array(problem.default_init, dtype=float)
        for key, value in cfg.init.items():
            if key == "w" and names[0] != "w" and problem.kind == kernel.LINEAR:
                values = np.atleast_1d(np.asarray(value, dtype=float))
                if values.size != problem.d:
                    raise ConfigError(
                        f"runs[{cfg.name!r}].init.w: expected {problem.d} numbers, got {values.size}"
                    )
                p[: problem.d] = values
                continue
            if key not in names:
                raise ConfigError(
                    f"init.{key}: this problem has no parameter {key!r}; its parameters: "
                    + ", ".join(map(repr, names))
                )
            if isinstance(value, tuple):
                raise ConfigError(f"init.{key}: expected one number, got {list(value)}")
            p[names.index(key)] = value
        return p
    values = np.asarray(cfg.init, dtype=float)
    if values.size != len(names):
        raise ConfigError(
            f"init: expected {len(names)} numbers ({', '.join(names)}), got {values.size}"
        )
    return values.copy()


def _optimizer_arrays(cfg: RunConfig, dim: int) -> tuple[int, np.ndarray, np.ndarray]:
    o = cfg.optimizer
    prm = o.params
    hp = np.zeros(optimizers.N_HP)
    hp[optimizers.LR] = prm["lr"]
    hp[optimizers.WD] = prm.get("weight_decay", 0.0)
    hp[optimizers.MOMENTUM] = prm.get("momentum", 0.0)
    hp[optimizers.DAMPENING] = prm.get("dampening", 0.0)
    hp[optimizers.NESTEROV] = float(o.name == "nesterov" or prm.get("nesterov", False))
    hp[optimizers.EPS] = prm.get("eps", 0.0)
    hp[optimizers.ALPHA] = prm.get("alpha", 0.0)
    hp[optimizers.CENTERED] = float(prm.get("centered", False))
    hp[optimizers.LR_DECAY] = prm.get("lr_decay", 0.0)
    hp[optimizers.AMSGRAD] = float(prm.get("amsgrad", False))
    hp[optimizers.DECOUPLED] = float(o.name == "adamw")
    b1, b2 = prm.get("betas", (0.0, 0.0))
    hp[optimizers.BETA1], hp[optimizers.BETA2] = b1, b2
    state = np.zeros((optimizers.N_STATE, dim))
    if o.name == "adagrad":
        state[0, :] = prm["initial_accumulator_value"]
    return optimizers.KIND[o.name], hp, state


def kernel_inputs(problem: LinearRegression | TestFunction, cfg: RunConfig
                  ) -> tuple[dict[str, Any], tuple]:
    """What the compiled loop is chosen by (``kernel.get_loop``'s keywords) and called with."""
    if problem.kind == kernel.LINEAR:
        n = problem.n
        if cfg.batch_size is not None and cfg.batch_size > n:
            raise ConfigError(
                f"runs[{cfg.name!r}].batch_size: {cfg.batch_size} is larger than the data "
                f"({n} rows); use at most {n} or \"full\""
            )
        m = problem.moments
        xbar, ybar, cov, wstar, rss_n = m.xbar, m.ybar, m.cov, m.wstar, m.rss_n
        full_batch = cfg.batch_size is None or cfg.batch_size >= n
        # full-batch steps use the moments only: no need to pack the rows
        xy = np.zeros((1, problem.d + 1)) if full_batch else problem.packed
        batch = n if cfg.batch_size is None else cfg.batch_size
    else:
        n = 1
        xy = np.zeros((1, 2))
        xbar, ybar, cov, wstar, rss_n = np.zeros(1), 0.0, np.zeros((1, 1)), np.zeros(1), 0.0
        batch = 1
    p0 = _initial_point(cfg, problem)
    okind, ohp, state0 = _optimizer_arrays(cfg, problem.dim)
    skind, shp, ms = schedules.schedule_arrays(cfg.schedule.name, cfg.schedule.params)
    ckind = clipping.KIND[cfg.clip.name]
    clip_c = float(next(iter(cfg.clip.params.values()), 0.0))
    ref_loss = float(problem.min_value)

    linear = problem.kind == kernel.LINEAR
    key = {"linear": linear, "numeric": cfg.gradient == "numeric",
           "sequential": cfg.update == "sequential", "opt": okind,
           "one_feature": linear and problem.d == 1}
    args = (problem.kind, n, xy, xbar, ybar, cov, wstar, rss_n, p0, cfg.epochs, batch, cfg.shuffle,
            cfg.seed, ohp, state0, skind, shp, ms, cfg.schedule.per == "update", ckind, clip_c,
            cfg.h, cfg.tol_grad, cfg.tol_loss, cfg.divergence_factor, ref_loss, cfg.max_points,
            schedules.lr_at_py(skind, float(ohp[optimizers.LR]), 0, shp, ms),
            *kernel.buffers(linear, cfg.shuffle, batch, n, xy.shape[1], problem.dim,
                            cfg.max_points))
    return key, args


def run(problem: LinearRegression | TestFunction, cfg: RunConfig | Mapping,
        *, dataset=None) -> RunResult:
    """Run one configuration on a problem (see :func:`run_experiment` for whole experiments)."""
    if isinstance(cfg, Mapping):
        cfg = parse_run(cfg)
    key, args = kernel_inputs(problem, cfg)
    loop = kernel.get_loop(**key)
    p0 = args[8]  # the starting point (for the message below)
    t0 = time.perf_counter()
    rec, count, status, last, p_final, final_loss, best, within = loop(*args)
    wall = time.perf_counter() - t0
    rec = rec[:count]
    if int(status) == kernel.DIVERGED and int(last) == 0:
        raise ConfigError(
            f"init: the loss at the starting point {list(map(float, p0))} is not a finite number; "
            "start closer to the data (or standardize it)"
        )

    names = problem.param_names
    n_cols = kernel.N_COLS
    columns = {"run": np.full(len(rec), cfg.name, dtype=object),
               "step": rec[:, kernel.STEP].astype(np.int64),
               "epoch": rec[:, kernel.EPOCH],
               "samples": rec[:, kernel.SAMPLES].astype(np.int64),
               "lr": rec[:, kernel.LR]}
    columns.update({nm: rec[:, n_cols + j] for j, nm in enumerate(names)})
    columns.update({"loss": rec[:, kernel.LOSS], "batch_loss": rec[:, kernel.BATCH_LOSS],
                    "grad_norm": rec[:, kernel.GRAD_NORM],
                    "clipped": rec[:, kernel.CLIPPED] != 0.0})
    hist = pd.DataFrame(columns)

    status_name = STATUS[int(status)]
    params = {nm: float(v) for nm, v in zip(names, p_final)}
    distance = _distance(problem, p_final)
    message = _message(status_name, int(last), float(hist["loss"].iloc[-1]), cfg,
                       float(rec[0, kernel.LOSS]))
    original = None
    if dataset is not None and getattr(dataset, "standardized", False):
        w_o, b_o = dataset.to_original_units(np.asarray(p_final[:-1]), float(p_final[-1]))
        w_o = np.atleast_1d(np.asarray(w_o, dtype=float))
        original = {nm: float(v) for nm, v in zip(names[:-1], w_o)} | {"b": float(b_o)}
    return RunResult(
        name=cfg.name,
        config=cfg,
        status=status_name,
        steps=int(last),
        diverged_at=int(last) if status_name == "diverged" else None,
        params=params,
        final_loss=float(final_loss),
        best_loss=float(best),
        steps_to_converge=int(within) if within >= 0 else None,
        distance=distance,
        wall_time=wall,
        history=hist,
        message=message,
        params_original=original,
    )


def _distance(problem, p) -> float:
    if isinstance(problem, LinearRegression):
        w, b = problem.least_squares
        ref = np.concatenate([w, [b]])
    else:
        ref = np.asarray(problem.nearest_minimum(p).params)
    return float(np.linalg.norm(np.asarray(p) - ref))


def _message(status: str, last: int, last_loss: float, cfg: RunConfig, loss0: float) -> str:
    if status == "diverged":
        if last_loss > cfg.divergence_factor * max(loss0, 1e-12):
            why = f"the loss grew past {cfg.divergence_factor:g}× its starting value"
        else:
            why = "a value overflowed to infinity or NaN"
        return (f"Diverged at step {last}: {why}. Try a smaller learning rate (now "
                f"{cfg.optimizer.lr:g}) or gradient clipping.")
    if status == "converged":
        return f"Converged at step {last}: the stopping tolerance was met."
    return f"Completed {last} steps ({cfg.epochs} epochs)."


# --- data and whole experiments -----------------------------------------------------------------
def load_dataset(data_cfg: Mapping[str, Any], *, base_dir: str | Path | None = None):
    """The :class:`gdcore.data.Dataset` an experiment's ``data`` section describes."""
    cfg = dict(data_cfg)
    source = cfg.pop("source", "generate")
    standardize = bool(cfg.pop("standardize", False))
    if source == "generate":
        allowed = {"n", "slope", "intercept", "noise", "x_mean", "x_spread", "outliers", "seed"}
        unknown = set(cfg) - allowed
        if unknown:
            raise ConfigError(f"data.{sorted(unknown)[0]}: unknown field for generated data; "
                              f"valid fields: {', '.join(map(repr, sorted(allowed)))}")
        ds = gdata.generate(**cfg)
        if standardize:
            ds = gdata.inline(ds.x, ds.y, x_names=ds.x_names, y_name=ds.y_name, standardize=True)
        return ds
    if source == "sample":
        if "name" not in cfg:
            raise ConfigError("data.name: a sample data set needs a name; choose one of "
                              + ", ".join(map(repr, gdata.SAMPLES)))
        return gdata.load_sample(cfg["name"], x=cfg.get("x"), y=cfg.get("y"),
                                 standardize=standardize)
    if source == "csv":
        if "path" not in cfg:
            raise ConfigError("data.path: a CSV data section needs a path (or use --data FILE.csv)")
        path = Path(cfg["path"])
        if base_dir is not None and not path.is_absolute():
            path = Path(base_dir) / path
        return gdata.load_csv(path, x=cfg.get("x"), y=cfg.get("y"), standardize=standardize,
                              name=path.name)
    if source == "inline":
        if "x" not in cfg or "y" not in cfg:
            raise ConfigError("data: inline data needs \"x\" and \"y\" lists")
        return gdata.inline(cfg["x"], cfg["y"], standardize=standardize)
    raise ConfigError(f"data.source: unknown value {source!r}")


def run_experiment(
    experiment: Experiment | Mapping | str,
    *,
    dataset=None,
    progress: Callable[[int, int, str], None] | None = None,
) -> ExperimentResult:
    """Run every run of an experiment (a dict, JSON text or :class:`Experiment`).

    ``dataset`` overrides the ``data`` section (the dashboard passes uploaded data this way).
    ``progress(i, total, name)`` is called before each run.
    """
    if isinstance(experiment, str):
        exp = load_experiment_json(experiment)
    else:
        exp = parse_experiment(experiment)
    if exp.problem == "linear":
        ds = dataset if dataset is not None else load_dataset(exp.data)
        problem = make_problem("linear", ds)
    else:
        ds = None
        problem = make_problem(exp.problem)
    results = []
    for i, cfg in enumerate(exp.runs):
        if progress is not None:
            progress(i, len(exp.runs), cfg.name)
        results.append(run(problem, cfg, dataset=ds))
    if isinstance(problem, LinearRegression):
        w, b = problem.least_squares
        ref = dict(zip(problem.param_names, [*map(float, w), float(b)], strict=True))
    else:
        best = min(problem.minima, key=lambda mn: mn.value)
        ref = dict(zip(problem.param_names, best.params, strict=True))
    return ExperimentResult(exp, problem, ds, tuple(results), ref, float(problem.min_value))


def summary_json(result: ExperimentResult) -> list[str]:
    """One JSON line per run, as the CLI prints it."""
    return [json.dumps(r.summary()) for r in result.runs]


def warm_up() -> float:
    """Compile (or load from the on-disk cache) the compiled loop; returns the seconds it took.

    The first call in a fresh install compiles with numba (seconds); later processes load the
    cached machine code. Apps call this once at start-up so the first real run is instant.
    """
    from .problems import FUNCTIONS

    t0 = time.perf_counter()
    tiny = LinearRegression(np.array([[0.0], [1.0], [2.0]]), np.array([0.0, 1.0, 2.5]))
    run(tiny, {"name": "warm-up", "epochs": 1, "batch_size": 2})
    run(FUNCTIONS["quadratic"], {"name": "warm-up", "epochs": 1})
    return time.perf_counter() - t0
