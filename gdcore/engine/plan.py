"""What a run loop is handed: the problem's numbers and the run's settings, in named groups.

    plan = make_plan(problem, cfg)      # a RunConfig on a gdcore.models.Problem
    trace = gdcore.engine.loop.run_loop(problem, plan)

Both loops (the interpreter's ``gdcore.engine.loop`` and the compiled ``gdcore.engine.accel``) take the same
:class:`Plan`, whose groups are the registries' ``Hyper`` tuples (optimizer, schedule, clip) and
two of its own (:class:`Batching`, :class:`Stopping`); every field has a name. A loop returns a
:class:`Trace`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from ..errors import ConfigError
from ..limits import updates_per_epoch
from ..rules import clipping, methods, optimizers, schedules
from ..spec.config import RunConfig

COMPLETED, CONVERGED, DIVERGED, STOPPED = 0, 1, 2, 3
STATUS = {COMPLETED: "completed", CONVERGED: "converged", DIVERGED: "diverged",
          STOPPED: "stopped"}
PROGRESS_EVERY = 2048  # updates between two progress reports (a chance to stop the run)

# columns of a recorded history row (the parameters follow)
STEP, EPOCH, SAMPLES, LR, LOSS, BATCH_LOSS, GRAD_NORM, CLIPPED = range(8)
N_COLS = 8


class Batching(NamedTuple):
    batch_size: int  # rows per update; the number of rows (or more) = full batch
    shuffle: bool  # reshuffle the rows every epoch (seeded) or keep file order
    seed: int  # the shuffle generator's starting state
    sequential: bool  # update one coordinate at a time, recomputing the gradient in between
    numeric: bool  # central differences instead of the analytic gradient
    h: float  # step of the numeric gradient


class Stopping(NamedTuple):
    epochs: int  # passes over the data (test functions: updates)
    tol_grad: float  # stop when the full-data gradient norm <= tol_grad (0 = off)
    tol_loss: float  # stop when |loss change| <= tol_loss * max(1, |loss|) (0 = off)
    divergence_factor: float  # loss > factor * max(initial loss, 1e-12) = diverged
    ref_loss: float  # the best possible loss (NaN if unknown): steps-to-converge target
    max_points: int  # history rows kept (first, last and evenly spread)


class Plan(NamedTuple):
    p0: tuple  # starting point (w_1..w_d, b), or a test function's parameters
    state0: tuple  # each coordinate's starting optimizer state (a 3-tuple)
    opt: optimizers.Hyper
    sched: schedules.Hyper
    clip: clipping.Hyper
    batching: Batching
    stop: Stopping
    method: methods.Hyper = methods.Hyper()  # gradient descent, or a reference method


class Trace(NamedTuple):
    """What a loop returns. ``history`` rows: step, epoch, samples, lr, loss, batch_loss,
    grad_norm, clipped, then the parameters; all finite."""

    history: np.ndarray
    status: int
    steps: int  # updates made; for a diverged run, the update at which it diverged
    params: tuple  # final (last finite) parameters
    final_loss: float
    best_loss: float
    within: int  # first step from which the excess loss stayed <= 0.1% of the start's; -1: none
    failed_searches: int = 0  # line search / Newton steps whose every trial failed Armijo's test
    first_failed: int = -1  # the update of the first of them (-1: none)


def has_rows(problem) -> bool:
    """A problem on a data set (regression or classification), not a test function."""
    return problem.on_rows


def visits_shuffled(plan: Plan, n_rows: int) -> bool:
    """Whether a run reshuffles its rows every epoch (a full batch needs no order)."""
    return plan.batching.shuffle and plan.batching.batch_size < n_rows


def n_updates(plan: Plan, n_rows: int) -> int:
    """Updates the run makes if it runs to the end."""
    return plan.stop.epochs * updates_per_epoch(n_rows, plan.batching.batch_size)


def initial_point(cfg: RunConfig, problem) -> tuple[float, ...]:
    names = problem.param_names
    if cfg.init is None:
        return tuple(float(v) for v in problem.default_init)
    if isinstance(cfg.init, Mapping):
        p = [float(v) for v in problem.default_init]
        for key, value in cfg.init.items():
            if key == "w" and names[0] != "w" and has_rows(problem):
                values = np.atleast_1d(np.asarray(value, dtype=float))
                if values.size == 1:  # one number starts every weight there
                    values = np.full(problem.d, values[0])
                if values.size != problem.d:
                    raise ConfigError(
                        f"{named_path(cfg)}.init.w: expected {problem.d} numbers, got {values.size}"
                    )
                p[: problem.d] = values.tolist()
                continue
            if key not in names:
                raise ConfigError(
                    f"init.{key}: this problem has no parameter {key!r}; its parameters: "
                    + ", ".join(map(repr, names))
                )
            if isinstance(value, tuple):
                raise ConfigError(f"init.{key}: expected one number, got {list(value)}")
            p[names.index(key)] = float(value)
        return tuple(p)
    values = [float(v) for v in cfg.init]
    if len(values) != len(names):
        raise ConfigError(
            f"init: expected {len(names)} numbers ({', '.join(names)}), got {len(values)}"
        )
    return tuple(values)


def named_path(cfg: RunConfig) -> str:
    """How a refusal made from a lone run names it: ``runs['<name>']`` (no index known)."""
    return f"runs[{cfg.name!r}]"


def at_index(err: ConfigError, cfg: RunConfig, index: int) -> ConfigError:
    """``err`` with the run named as every other refusal names it, by its place in the
    setup (``runs[2].batch_size: ...``, as ``gdcore.spec.config`` says ``runs[2].epochs: ...``)."""
    text, named = str(err), named_path(cfg)
    if text.startswith(named):
        return ConfigError(f"runs[{index}]" + text[len(named):])
    if _FIELD.match(text):  # "init.w: expected one number ...": a field of this run
        return ConfigError(f"runs[{index}].{text}")
    return err


_FIELD = re.compile(r"[a-z_]+(\.[a-z_0-9]+)*: ")


def make_plan(problem, cfg: RunConfig) -> Plan:
    """The :class:`Plan` of one validated run config on a problem."""
    if has_rows(problem):
        n = problem.n
        if cfg.batch_size is not None and cfg.batch_size > n:
            raise ConfigError(
                f"{named_path(cfg)}.batch_size: {cfg.batch_size} is larger than the data "
                f"({n} rows); use at most {n} or \"full\""
            )
        batch = n if cfg.batch_size is None else cfg.batch_size
    else:
        batch = 1
    if cfg.method.name != methods.GD and batch < (problem.n if has_rows(problem) else 1):
        raise ConfigError(f"{named_path(cfg)}.method: {methods.TITLES[cfg.method.name]} works "
                          "on the whole data: use batch_size \"full\"")
    opt = optimizers.OPTIMIZERS[cfg.optimizer.name]
    p0 = initial_point(cfg, problem)
    sched_params = dict(cfg.schedule.params)
    if "T_max" in sched_params and sched_params["T_max"] is None:  # the run's length
        rows = problem.n if has_rows(problem) else 1
        per_update = cfg.schedule.per == "update" or not has_rows(problem)
        sched_params["T_max"] = (cfg.epochs * updates_per_epoch(rows, batch) if per_update
                                 else cfg.epochs)
    return Plan(
        p0=p0,
        state0=(opt.initial_state(cfg.optimizer.params),) * len(p0),
        opt=opt.hyper(cfg.optimizer.params),
        sched=schedules.SCHEDULES[cfg.schedule.name].hyper(
            cfg.optimizer.lr, sched_params, cfg.schedule.per == "update"),
        clip=clipping.CLIPS[cfg.clip.name].hyper(cfg.clip.params),
        batching=Batching(int(batch), bool(cfg.shuffle), int(cfg.seed),
                          cfg.update == "sequential", cfg.gradient == "numeric", float(cfg.h)),
        stop=Stopping(int(cfg.epochs), float(cfg.tol_grad), float(cfg.tol_loss),
                      float(cfg.divergence_factor), float(problem.min_value), int(cfg.max_points)),
        method=methods.Hyper(cfg.method.name, **cfg.method.params),
    )


def next_record(step: int, stride: int) -> int:
    """The next step the history records: the next multiple of ``stride`` after ``step``."""
    return (step // stride + 1) * stride


def within_since(loss: float, target: float, within: int, step: int) -> int:
    """The first step of the current stretch within reach of the reference (``loss <=
    target``), or -1 while outside it: what "steps to converge" reads at the end."""
    if loss > target:
        return -1
    return step if within < 0 else within


def after_update(loss: float, best: float, within: int, step: int, target: float,
                 have_ref: bool, limit: float) -> tuple[float, int, bool]:
    """What each update's loss tells both loops: the best loss so far, the stretch within
    reach of the reference (:func:`within_since`), and whether the run diverged (the loss
    past ``limit``)."""
    if loss < best:
        best = loss
    if have_ref:
        within = within_since(loss, target, within, step)
    return best, within, loss > limit


def converged(stop: Stopping, loss: float, prev_loss: float, gnorm_full: float) -> bool:
    """The stopping tolerances: the full-data gradient norm, or the change of the loss."""
    if stop.tol_grad > 0.0 and gnorm_full <= stop.tol_grad:
        return True
    if stop.tol_loss > 0.0:
        scale = math.fabs(loss) if math.fabs(loss) > 1.0 else 1.0
        return math.fabs(loss - prev_loss) <= stop.tol_loss * scale
    return False
