"""Run experiments: config -> problem -> plan -> a loop (``gdcore.engine.dispatch``) -> results with
tidy histories.

    result = gdcore.run_experiment({"data": {...}, "runs": [...]})
    result.history   # one tidy DataFrame, all runs: run, step, epoch, samples, lr, w, b, loss, ...
    result.summary   # one row per run: status, final w and b, distance to the truth, losses, time

A run never raises because training went wrong: a non-finite value or an exploding loss ends it
with status "diverged" and the step it happened at, and the history holds only finite numbers.
Bad *configuration* raises :class:`gdcore.errors.ConfigError` before anything runs.

Long because it is where a run's results are assembled (histories, summaries, messages, the
distance to the reference) for both loops and the repeats.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import limits
from ..data import sources as gdata
from ..errors import ConfigError
from ..models import Problem, make_problem
from ..spec.config import (
    Experiment,
    RunConfig,
    load_experiment_json,
    parse_data,
    parse_experiment,
    parse_run,
)
from . import dispatch as engines
from . import repeats as repeats_mod
from .plan import (
    BATCH_LOSS,
    CLIPPED,
    DIVERGED,
    EPOCH,
    GRAD_NORM,
    LOSS,
    LR,
    N_COLS,
    SAMPLES,
    STATUS,
    STEP,
    at_index,
    has_rows,
    make_plan,
)


@dataclass(frozen=True, eq=False)
class RunResult:
    """What one run did. ``history`` holds at most ``config.max_points`` rows, all finite."""

    name: str
    config: RunConfig
    status: str  # "converged" (a tolerance was met), "completed" (budget used), "diverged" or
    # "stopped" (asked to stop by a progress callback)
    steps: int  # updates made; for a diverged run, the update at which it diverged
    diverged_at: int | None
    params: dict[str, float]  # final (last finite) parameters, model units
    final_loss: float
    best_loss: float
    steps_to_converge: int | None  # first step from which both the loss and the weights stayed
    # settled: max(steps_to_loss, steps_to_weights); None while either has not
    distance: float  # Euclidean distance from the final parameters to the reference answer
    wall_time: float  # seconds
    history: pd.DataFrame
    message: str
    params_original: dict[str, float] | None = None  # for standardized data: original units
    steps_to_loss: int | None = None  # first step from which the excess loss stayed <= 0.1% of
    # the start's (in a long narrow valley this comes long before the weights are near)
    steps_to_weights: int | None = None  # first recorded step from which the distance to the
    # reference stayed <= 1% of the start's (WEIGHT_TOLERANCE); None without a reference

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
            "steps_to_loss": self.steps_to_loss,
            "steps_to_weights": self.steps_to_weights,
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
    problem: Problem
    dataset: Any | None
    runs: tuple[RunResult, ...]  # each run once (its repeat 0)
    reference: dict[str, float] = field(default_factory=dict)  # least squares / global minimum
    reference_loss: float = float("nan")
    repeats: tuple[tuple[RunResult, ...], ...] = ()  # per run, every repeat (repeat 0 first)

    @property
    def spreads(self) -> dict[str, repeats_mod.Spread]:
        """Per run name, what its repeats did (:class:`gdcore.engine.repeats.Spread`)."""
        return {rs[0].name: repeats_mod.spread(rs) for rs in self.repeats if rs}

    @property
    def history(self) -> pd.DataFrame:
        """Every run's history; with repeats, every repeat's, numbered in ``repeat``."""
        if not self.repeats:
            return pd.concat([r.history for r in self.runs], ignore_index=True)
        return pd.concat([r.history.assign(repeat=j) for rs in self.repeats
                          for j, r in enumerate(rs)], ignore_index=True)

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([self.run_summary(i) for i in range(len(self.runs))])

    def run_summary(self, i: int) -> dict[str, Any]:
        """Run ``i``'s summary (its repeat 0); with repeats, what they did beside it."""
        out = self.runs[i].summary()
        if self.repeats:
            sp = repeats_mod.spread(self.repeats[i])
            def num(x: float) -> float | None:  # (none when no repeat had one: JSON has no NaN)
                return None if np.isnan(x) else float(x)
            out.update(repeats=sp.n, final_loss_median=num(sp.final_median),
                       final_loss_p10=num(sp.final_low), final_loss_p90=num(sp.final_high),
                       diverged_repeats=sp.diverged, converged_repeats=sp.converged,
                       steps_to_converge_median=num(sp.steps_median))
        return out


def run(problem: Problem, cfg: RunConfig | Mapping,
        *, dataset=None, engine: str = "auto",
        progress: Callable[[int, int], bool | None] | None = None) -> RunResult:
    """Run one configuration on a problem (see :func:`run_experiment` for whole experiments).

    ``engine``: ``"auto"`` (the interpreter loop, or the compiled accelerator when it is ready
    and the run is big enough to gain from it), ``"python"`` or ``"compiled"`` (compile first
    if needed; falls back to the interpreter, with a log line, if compiling fails).
    """
    if isinstance(cfg, Mapping):
        cfg = parse_run(cfg)
    plan = make_plan(problem, cfg)
    t0 = time.perf_counter()
    trace = engines.execute(problem, plan, engine, progress)
    return result_of(problem, cfg, plan, trace, time.perf_counter() - t0, dataset)


def run_repeats(problem: Problem, cfgs: Sequence[RunConfig], *, dataset=None,
                engine: str = "auto",
                progress: Callable[[int, int], bool | None] | None = None) -> list[RunResult]:
    """The repeats of one run (``gdcore.engine.repeats.repeat_configs``: alike but for the
    seed and the start point), each the :class:`RunResult` :func:`run` gives for it, bit for
    bit; on the compiled loop they run along one seed axis (``dispatch.execute_repeats``).
    ``progress`` is over all of them; after a stop the repeats not run are left out."""
    plans = [make_plan(problem, c) for c in cfgs]
    t0 = time.perf_counter()
    traces = engines.execute_repeats(problem, plans, engine, progress)
    wall = (time.perf_counter() - t0) / max(len(traces), 1)  # (each repeat's share)
    if not traces:
        return []
    # every history in one frame, then each repeat's rows (one frame built, not one each)
    names = {c.name for c in cfgs[:len(traces)]}
    if len(names) == 1:
        whole = _history(problem, cfgs[0].name, np.concatenate([t.history for t in traces]),
                         dataset)
        ends = np.cumsum([0] + [len(t.history) for t in traces])
        frames = [_rows(whole, a, b) for a, b in zip(ends[:-1], ends[1:])]
    else:
        frames = [None] * len(traces)
    return [result_of(problem, c, p, t, wall, dataset, history=h)
            for c, p, t, h in zip(cfgs, plans, traces, frames)]


def _rows(frame: pd.DataFrame, a: int, b: int) -> pd.DataFrame:
    """Rows a..b of ``frame`` as a frame of their own, indexed 0..b-a (pandas' copy on write:
    sharing the rows until either is written to)."""
    part = frame.iloc[a:b]
    part.index = pd.RangeIndex(b - a)
    return part


def _history(problem: Problem, name: str, rec: np.ndarray, dataset=None) -> pd.DataFrame:
    """A run's history frame from its recorded rows (``Trace.history``)."""
    names = problem.param_names
    # the name repeated: pandas' own string array taken n times (not n Python strings read one
    # by one into it)
    columns = {"run": pd.array([name], dtype="str").take(np.zeros(len(rec), dtype=np.intp)),
               "step": rec[:, STEP].astype(np.int64),
               "epoch": rec[:, EPOCH],
               "samples": rec[:, SAMPLES].astype(np.int64),
               "lr": rec[:, LR]}
    columns.update({nm: rec[:, N_COLS + j] for j, nm in enumerate(names)})
    columns.update({"loss": rec[:, LOSS], "batch_loss": rec[:, BATCH_LOSS],
                    "grad_norm": rec[:, GRAD_NORM], "clipped": rec[:, CLIPPED] != 0.0})
    columns.update(problem.history_columns(rec[:, N_COLS:]))  # e.g. logistic: the accuracy
    if dataset is not None and getattr(dataset, "standardized", False) \
            and getattr(dataset, "classes", None) is None:
        columns.update(_original_columns(dataset, names, rec))
    return pd.DataFrame(columns)


def result_of(problem: Problem, cfg: RunConfig, plan, trace, wall: float,
              dataset=None, history: pd.DataFrame | None = None) -> RunResult:
    """The :class:`RunResult` of ``cfg`` whose loop gave ``trace`` (in ``wall`` seconds);
    ``history``: its history frame, when the caller built it (else built here)."""
    rec = trace.history
    if trace.status == DIVERGED and trace.steps == 0:
        raise ConfigError(
            f"init: the loss at the starting point {list(plan.p0)} is not a finite number; "
            "start closer to the data (or standardize it)"
        )
    names = problem.param_names
    hist = _history(problem, cfg.name, rec, dataset) if history is None else history

    status_name = STATUS[trace.status]
    p_final = np.asarray(trace.params, dtype=float)
    params = {nm: float(v) for nm, v in zip(names, p_final)}
    message = _message(status_name, trace.steps, float(rec[-1, LOSS]), cfg,
                       float(rec[0, LOSS]))
    if trace.failed_searches:
        if status_name == "completed":
            status_name = SEARCH_FAILED
        message = _search_message(cfg, trace) + " " + message
    to_loss = trace.within if trace.within >= 0 else None
    to_weights = _steps_to_weights(problem, rec[:, N_COLS:], rec[:, STEP].astype(np.int64),
                                   np.asarray(plan.p0, dtype=float), p_final)
    original = None
    if dataset is not None and getattr(dataset, "standardized", False):
        w_o, b_o = dataset.to_original_units(p_final[:-1], float(p_final[-1]))
        w_o = np.atleast_1d(np.asarray(w_o, dtype=float))
        original = {nm: float(v) for nm, v in zip(names[:-1], w_o)} | {"b": float(b_o)}
    return RunResult(
        name=cfg.name,
        config=cfg,
        status=status_name,
        steps=trace.steps,
        diverged_at=trace.steps if status_name == "diverged" else None,
        params=params,
        final_loss=float(trace.final_loss),
        best_loss=float(trace.best_loss),
        steps_to_converge=None if to_loss is None or to_weights is None
        else max(to_loss, to_weights),
        distance=_distance(problem, p_final),
        wall_time=wall,
        history=hist,
        message=message,
        params_original=original,
        steps_to_loss=to_loss,
        steps_to_weights=to_weights,
    )


#: The weights have settled once their distance to the reference stays within this share of
#: the starting point's distance (1%: on a quadratic bowl that is an excess loss of about
#: 1e-4 of the start's along the slowest direction, finer than the loss's 0.1%).
WEIGHT_TOLERANCE = 0.01


def _steps_to_weights(problem, points: np.ndarray, steps: np.ndarray, p0: np.ndarray,
                      p_final: np.ndarray) -> int | None:
    """The first recorded step from which the parameters stayed within WEIGHT_TOLERANCE of
    the starting distance to the reference (the minimum nearest the final point), or None
    (no reference, or not settled by the end). ``points``: the recorded parameters (one row a
    recorded step, ``steps``). The history is every step for runs of up to ``max_points``
    updates; for longer ones the answer is the first *recorded* step, so at most one
    recording interval late."""
    ref = reference_point(problem, near=p_final)
    if ref is None or len(steps) == 0:
        return None
    ref = np.asarray(ref, dtype=float)
    start = float(np.linalg.norm(p0 - ref))
    dist = np.linalg.norm(points - ref, axis=1)
    if float(np.linalg.norm(p_final - ref)) > WEIGHT_TOLERANCE * start:
        return None  # (the last point is the final one, or a diverged run's last finite one)
    outside = np.flatnonzero(~(dist <= WEIGHT_TOLERANCE * start))
    if len(outside) == 0:
        return int(steps[0])
    last_out = outside[-1]
    if last_out + 1 >= len(steps):
        return None
    return int(steps[last_out + 1])


def reference_point(problem, near=None) -> np.ndarray | None:
    """The answer a run is measured against: the least-squares fit, the logistic optimum (None
    when the classes are separable), or a test function's minimum (nearest to ``near``, else
    the global one)."""
    return problem.reference_point(near)


def _distance(problem, p) -> float:
    ref = reference_point(problem, near=p)
    return float("nan") if ref is None else float(np.linalg.norm(np.asarray(p) - ref))


def _original_columns(dataset, names, rec: np.ndarray) -> dict[str, np.ndarray]:
    """The history in original units, beside the model units (regression on standardized
    data): ``<param>_original`` (slope(s) and intercept, as ``Dataset.to_original_units``
    gives them for each row) and ``loss_original`` (the MSE in y's units squared)."""
    d = len(names) - 1
    w = rec[:, N_COLS:N_COLS + d]
    b = rec[:, N_COLS + d]
    slope = dataset.y_scale * w / np.asarray(dataset.x_scale, dtype=float)
    intercept = dataset.y_scale * b + dataset.y_mean - slope @ np.asarray(dataset.x_mean,
                                                                            dtype=float)
    out = {f"{nm}_original": slope[:, j] for j, nm in enumerate(names[:-1])}
    out[f"{names[-1]}_original"] = intercept
    out["loss_original"] = rec[:, LOSS] * dataset.y_scale ** 2
    return out


#: The status of a run whose line search (or Newton step) ran out of trials at some update
#: and took its last, uphill trial: the run went on, but not as the method promises.
SEARCH_FAILED = "search failed"


def _search_message(cfg: RunConfig, trace) -> str:
    what = "The Newton step's line search" if cfg.method.name == "newton" else "The line search"
    trials = cfg.method.params.get("max_trials", 40)
    return (f"{what} ran out of trials ({trials}) at {trace.failed_searches:,} "
            f"of {trace.steps:,} updates, first at update {trace.first_failed:,}: each time it "
            "took its last, smallest trial, which failed Armijo's test (the loss did not fall "
            "enough, or rose). Allow more trials (max_trials) or start from a smaller step "
            f"(the learning rate, now {cfg.optimizer.lr:g}).")


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
    if status == "stopped":
        return f"Stopped at step {last} of {cfg.epochs} epochs, as asked."
    return f"Completed {last} steps ({cfg.epochs} epochs)."


# --- data and whole experiments -----------------------------------------------------------------
def load_dataset(data_cfg: Mapping[str, Any], *, base_dir: str | Path | None = None,
                 problem: str = "linear"):
    """The :class:`gdcore.data.sources.Dataset` an experiment's ``data`` section describes, for
    ``problem`` ("linear", or "logistic": y holds two classes, ``data.positive`` names the
    one that counts as 1; ignored for "linear")."""
    cfg = dict(data_cfg)
    source = cfg.pop("source", "generate")
    standardize = bool(cfg.pop("standardize", False))
    if problem not in gdata.DATA_PROBLEMS:
        raise ConfigError(f"problem: data is loaded for "
                          f"{', '.join(map(repr, gdata.DATA_PROBLEMS))}, not {problem!r}")
    positive = cfg.pop("positive", None) if source in ("sample", "csv", "inline") else None
    if problem != "logistic":
        positive = None  # only classes have a positive label
    if source == "generate":
        if problem == "logistic":
            raise ConfigError("data.source: \"generate\" draws a line with a continuous y; for "
                              "logistic regression use \"classes\" (two clouds of points) or "
                              "data with a two-class column")
        cfg = {k: v for k, v in parse_data({"source": "generate", **cfg}).items()
               if k != "source"}
        ds = gdata.generate(**cfg)
        if standardize:
            ds = gdata.inline(ds.x, ds.y, x_names=ds.x_names, y_name=ds.y_name, standardize=True)
        return ds
    if source == "classes":
        cfg = {k: v for k, v in parse_data({"source": "classes", **cfg}).items()
               if k != "source"}
        return gdata.generate_classes(**cfg, standardize=standardize)
    if source == "sample":
        if "name" not in cfg:
            raise ConfigError("data.name: a sample data set needs a name; choose one of "
                              + ", ".join(map(repr, gdata.SAMPLES)))
        return gdata.load_sample(cfg["name"], x=cfg.get("x"), y=cfg.get("y"),
                                 standardize=standardize, problem=problem, positive=positive)
    if source == "csv":
        if "path" not in cfg:
            raise ConfigError("data.path: a CSV data section needs a path (or use --data FILE.csv)")
        path = Path(cfg["path"])
        if base_dir is not None and not path.is_absolute():
            path = Path(base_dir) / path
        return gdata.load_csv(path, x=cfg.get("x"), y=cfg.get("y"), standardize=standardize,
                              name=path.name, problem=problem, positive=positive)
    if source == "inline":
        if "x" not in cfg or "y" not in cfg:
            raise ConfigError("data: inline data needs \"x\" and \"y\" lists")
        return gdata.inline(cfg["x"], cfg["y"], standardize=standardize, problem=problem,
                            positive=positive)
    raise ConfigError(f"data.source: unknown value {source!r}")


def run_experiment(
    experiment: Experiment | Mapping | str,
    *,
    dataset=None,
    progress: Callable[[int, int, str], None] | None = None,
    engine: str = "auto",
    force: bool = False,
    watch: Callable[[str, int, int], bool | None] | None = None,
) -> ExperimentResult:
    """Run every run of an experiment (a dict, JSON text or :class:`Experiment`).

    ``dataset`` overrides the ``data`` section (the dashboard passes uploaded data this way).
    ``progress(i, total, name)`` is called before each run and ``watch(name, done, planned)``
    now and then during one; either returning False stops the experiment there (the stopped
    run keeps what it did, with status "stopped"; later runs are left out). ``engine`` as in :func:`run`.
    An experiment over the work budget (``gdcore.limits``) raises ConfigError before anything
    runs, unless ``force``.
    """
    if isinstance(experiment, str):
        exp = load_experiment_json(experiment)
    else:
        exp = parse_experiment(experiment)
    if exp.problem in ("linear", "logistic"):
        ds = dataset if dataset is not None else load_dataset(exp.data, problem=exp.problem)
        problem = make_problem(exp.problem, ds)
    else:
        ds = None
        problem = make_problem(exp.problem)
    if not force:
        too_much = over_budget(exp, problem)
        if too_much:
            raise ConfigError(too_much)
    results, repeated, stopped = [], [], False
    for i, cfg in enumerate(exp.runs):
        if progress is not None and progress(i, len(exp.runs), cfg.name) is False:
            break
        during = None if watch is None else (
            lambda done, planned, name=cfg.name: watch(name, done, planned))
        try:
            reps = repeats_mod.repeat_configs(cfg, exp.repeats, problem)
            mine = ([run(problem, reps[0], dataset=ds, engine=engine, progress=during)]
                    if len(reps) == 1 else
                    run_repeats(problem, reps, dataset=ds, engine=engine, progress=during))
        except ConfigError as err:  # named by its place, as the setup's own checks name it
            raise at_index(err, cfg, i) from err
        if not mine:  # stopped before its first repeat had begun
            break
        stopped = mine[-1].status == "stopped"
        results.append(mine[0])
        repeated.append(tuple(mine))
        if stopped:
            break
    point = reference_point(problem)
    ref = dict(zip(problem.param_names,
                   [float("nan")] * problem.dim if point is None else map(float, point),
                   strict=True))
    return ExperimentResult(exp, problem, ds, tuple(results), ref, float(problem.min_value),
                            tuple(repeated) if exp.repeats.n > 1 else ())


def experiment_work(exp: Experiment, problem) -> limits.Work:
    """The updates, row visits and estimated interpreter seconds of all runs of ``exp`` (each
    as often as it is repeated) if none stops early (:func:`runs_work`)."""
    return runs_work([cfg for cfg in exp.runs for _ in range(exp.repeats.n)], problem)


def runs_work(runs, problem) -> limits.Work:
    """The updates, row visits and estimated interpreter seconds of ``runs`` (parsed run
    configs) on ``problem`` if none stops early (an experiment's runs, or a learning-rate
    sweep's)."""
    total = limits.Work(0, 0)
    for cfg in runs:
        total = total + limits.shape_work(run_shape(cfg, problem))
    return total


def run_shape(cfg: RunConfig, problem) -> limits.RunShape:
    """What the cost of ``cfg`` on ``problem`` depends on (:class:`gdcore.limits.RunShape`)."""
    rows = has_rows(problem)
    return limits.RunShape(
        kind=problem.family,
        n_rows=problem.n if rows else 1, dim=problem.dim,
        batch_size=cfg.batch_size if rows else None, epochs=cfg.epochs, shuffle=cfg.shuffle,
        numeric=cfg.gradient == "numeric", sequential=cfg.update == "sequential",
        method=cfg.method.name,
        max_trials=int(dict(cfg.method.params).get("max_trials", 0)),
        clip=cfg.clip.name != "none", tol_grad=cfg.tol_grad > 0.0)


def over_budget(exp: Experiment, problem) -> str | None:
    """Why ``exp`` is too much work (a message with the numbers and how to shrink it), or None."""
    return limits.budget_problem(experiment_work(exp, problem))


def summary_json(result: ExperimentResult) -> list[str]:
    """One JSON line per run, as the CLI prints it."""
    return [json.dumps(result.run_summary(i)) for i in range(len(result.runs))]


def warm_up(*, wait: bool = True, timeout: float | None = None, delay: float = 0.0) -> float:
    """Make the compiled accelerator ready (build it in a child process, or load it from the
    per-user cache) and return the seconds it took. Nothing needs it: every run works without
    it. ``wait=False`` starts the work in a background thread (after ``delay`` seconds) and
    returns at once."""
    t0 = time.perf_counter()
    engines.start_accelerator(delay)
    if wait:
        engines.wait_accelerator(timeout)
    return time.perf_counter() - t0
