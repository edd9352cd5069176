"""Known answers the compiled loop must reproduce before it is trusted: small runs that touch
every update rule, schedule kind, clip mode, batching and the sequential update, each compared
bit for bit with the interpreter loop (``gdcore.engine.loop``). The hand-made cases below mix
settings; :func:`cases` adds one per registry entry they leave out (an optimizer, schedule or
clip added to the engine is verified with its defaults, with no edit here)."""

from __future__ import annotations

import numpy as np

from ...models import LinearRegression
from ...rules.clipping import CLIPS
from ...rules.optimizers import OPTIMIZERS
from ...rules.schedules import SCHEDULES
from ...spec.config import parse_run
from ..loop import run_loop
from ..plan import make_plan
from .bridge import execute, execute_repeats

_RNG = np.random.default_rng(7)
_X1 = np.linspace(-2.0, 3.0, 23)[:, None]
_Y1 = 1.5 * _X1[:, 0] - 0.5 + 0.3 * np.sin(7.0 * _X1[:, 0])
_X2 = np.column_stack([_X1[:, 0], np.cos(3.0 * _X1[:, 0])])
_Y2 = _Y1 + 0.7 * _X2[:, 1]

CASES = (
    (1, {"optimizer": {"name": "sgd", "lr": 0.05}, "epochs": 7}),
    (1, {"optimizer": {"name": "nesterov", "lr": 0.02}, "batch_size": 1, "epochs": 3,
         "schedule": {"name": "step", "step_size": 2, "gamma": 0.5}, "seed": 3}),
    (1, {"optimizer": {"name": "adagrad", "lr": 0.3}, "batch_size": 5, "epochs": 4,
         "clip": {"name": "value", "clip_value": 0.5}, "seed": 11,
         "schedule": {"name": "multistep", "milestones": [1, 3], "gamma": 0.3}}),
    (1, {"optimizer": {"name": "rmsprop", "lr": 0.05, "centered": True, "momentum": 0.5},
         "batch_size": 4, "shuffle": False, "epochs": 3,
         "schedule": {"name": "cosine", "per": "update", "T_max": 5}}),
    (1, {"optimizer": {"name": "adam", "lr": 0.2, "amsgrad": True}, "batch_size": 6, "epochs": 5,
         "clip": {"name": "norm", "max_norm": 0.8},
         "schedule": {"name": "plateau", "per": "update", "patience": 2, "factor": 0.5}}),
    (1, {"optimizer": {"name": "adamw", "lr": 0.1}, "epochs": 6, "max_points": 4,
         "schedule": {"name": "warmup", "total_iters": 3}, "tol_loss": 1e-3}),
    (2, {"optimizer": {"name": "momentum", "lr": 0.05}, "batch_size": 3, "epochs": 3,
         "update": "sequential", "clip": {"name": "norm", "max_norm": 1.0},
         "schedule": {"name": "exponential", "gamma": 0.9}}),
    (2, {"optimizer": {"name": "sgd", "lr": 0.3}, "epochs": 40, "seed": 5,
         "schedule": {"name": "inverse_time", "k": 0.1}}),
    (1, {"optimizer": {"name": "sgd", "lr": 5.0}, "epochs": 60}),  # diverges
)


_CLIP_CASE = {"value": {"clip_value": 0.5}, "norm": {"max_norm": 0.8}}  # thresholds that bite


def cases() -> list[tuple[int, dict]]:
    """CASES, and a mini-batch run for every optimizer, schedule and clip of the registries
    that none of them uses (with its defaults; an optimizer at its default lr times ten)."""
    out = list(CASES)
    used = {k: {raw.get(k, {}).get("name") for _, raw in CASES}
            for k in ("optimizer", "schedule", "clip")}
    base = {"batch_size": 5, "epochs": 4, "seed": 13}
    for name, opt in OPTIMIZERS.items():
        if name not in used["optimizer"]:
            out.append((2, {**base, "optimizer": {"name": name,
                                                  "lr": 10 * opt.defaults.get("lr", 1e-3)}}))
    for name in SCHEDULES:
        if name not in used["schedule"]:
            out.append((1, {**base, "optimizer": {"name": "sgd", "lr": 0.05},
                            "schedule": {"name": name, "per": "update"}}))
    for name in CLIPS:
        if name not in used["clip"] and name != "none":
            out.append((1, {**base, "optimizer": {"name": "sgd", "lr": 0.05},
                            "clip": {"name": name, **_CLIP_CASE.get(name, {})}}))
    return out


def check(kernel) -> int:
    """Run every case through both loops; raise AssertionError on the first difference."""
    problems = {1: LinearRegression(_X1, _Y1), 2: LinearRegression(_X2, _Y2)}
    for i, (d, raw) in enumerate(cases()):
        problem = problems[d]
        plan = make_plan(problem, parse_run(raw))
        ref = run_loop(problem, plan)
        got = execute(kernel, problem, plan)
        same = (np.array_equal(ref.history, got.history) and ref.status == got.status
                and ref.steps == got.steps and ref.params == got.params
                and ref.final_loss == got.final_loss and ref.best_loss == got.best_loss
                and ref.within == got.within)
        if not same:
            raise AssertionError(f"verification case {i} differs from the interpreter loop")
        if i in _REPEATED:  # along a seed axis (two shares): each repeat is its own run
            plans = [plan._replace(batching=plan.batching._replace(seed=plan.batching.seed + j),
                                   p0=tuple(v + 0.25 * j for v in plan.p0)) for j in range(3)]
            alone = [execute(kernel, problem, p) for p in plans]
            together = execute_repeats(kernel, problem, plans, threads=2)
            if len(together) != 3 or any(
                    not (np.array_equal(a.history, b.history) and a[1:] == b[1:])
                    for a, b in zip(alone, together)):
                raise AssertionError(f"verification case {i}: its repeats along a seed axis "
                                     "differ from the runs alone")
    return i + 1


_REPEATED = (1, 2, 6)  # cases also run as three repeats (batch 1, mini-batch, two features)
