"""Learning-rate schedules: one registry entry each, computed as ``torch.optim.lr_scheduler`` does.

``e`` counts scheduler steps taken so far (0 for the first update). The schedule is stepped after
the optimizer update, once per epoch or once per update, as the run's config says. The closed forms
below equal PyTorch's recursive ones (to rounding). ``cosine`` follows PyTorch past ``T_max``: it is
periodic and climbs back up (period 2 T_max); left out, ``T_max`` is the run's length, so the
rate decays once.

| name         | lr(e)                                                            |
|--------------|------------------------------------------------------------------|
| constant     | base                                                             |
| step         | base * gamma^floor(e / step_size)                                |
| multistep    | base * gamma^(number of milestones <= e)                         |
| exponential  | base * gamma^e                                                   |
| inverse_time | base / (1 + k e)                      (torch: LambdaLR)          |
| cosine       | eta_min + (base - eta_min) (1 + cos(pi e / T_max)) / 2           |
| warmup       | base (sf + (1 - sf) min(e, total_iters) / total_iters)  (LinearLR) |
| plateau      | ReduceLROnPlateau on the full-data loss, see ``plateau_step``    |

Each schedule reads its own fields of :class:`Hyper` by name. Both loops (the interpreter's in
``gdcore.engine.loop`` and the compiled one in ``gdcore.engine.accel``) call :func:`step` after
every update or epoch; nothing else computes a learning rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ..limits import Bound, declare

CONSTANT, STEP, MULTISTEP, EXPONENTIAL, INVERSE_TIME, COSINE, WARMUP, PLATEAU = range(8)


class Hyper(NamedTuple):
    """A schedule by PyTorch's parameter names (each schedule reads the ones it uses)."""

    kind: int
    base: float  # the optimizer's lr
    per_update: bool = False  # step after every update (True) or after every epoch
    step_size: float = 1.0
    gamma: float = 0.1
    milestones: np.ndarray = np.zeros(0, dtype=np.int64)
    k: float = 0.0
    T_max: float = 1.0
    eta_min: float = 0.0
    start_factor: float = 1.0
    total_iters: float = 1.0
    factor: float = 0.1
    patience: float = 10.0
    threshold: float = 1e-4
    cooldown: float = 0.0
    min_lr: float = 0.0
    eps: float = 1e-8


#: The settings a schedule may take: title and values (``gdcore.limits.declare``); the
#: plateau's ``threshold`` is its small lr change (0..1), ``milestones`` a list of ``milestone``.
PARAMS = declare({
    "step_size": ("Step size (epochs)", Bound(1, 10_000_000, integer=True)),
    "gamma": ("gamma (factor)", Bound(0.0, 10.0, low_open=True)),
    "milestones": ("Milestones", None),
    "milestone": ("Milestone", Bound(0, 10_000_000, integer=True)),
    "k": ("k", Bound(0.0, 1e6)),
    "T_max": ("T_max", Bound(1, 10_000_000, integer=True)),
    "eta_min": ("Minimum lr", Bound(0.0, 1e6)),
    "start_factor": ("Start factor", Bound(0.0, 1.0, low_open=True)),
    "total_iters": ("Warm-up length", Bound(1, 10_000_000, integer=True)),
    "factor": ("Factor", Bound(0.0, 1.0, low_open=True, high_open=True)),
    "patience": ("Patience", Bound(0, 10_000_000, integer=True)),
    "threshold": ("Threshold", Bound(0.0, 1.0)),
    "cooldown": ("Cooldown", Bound(0, 10_000_000, integer=True)),
    "min_lr": ("Minimum lr", Bound(0.0, 1e6)),
})


def lr_at(hp: Hyper, e: int) -> float:
    """The learning rate after ``e`` scheduler steps (every schedule but ``plateau``)."""
    t = float(e)  # float powers: C's pow, in Python and in compiled code alike
    base = hp.base
    if hp.kind == STEP:
        return base * hp.gamma ** float(math.floor(t / hp.step_size))
    if hp.kind == MULTISTEP:
        passed = 0.0
        for m in hp.milestones:
            if m <= e:
                passed += 1.0
        return base * hp.gamma ** passed
    if hp.kind == EXPONENTIAL:
        return base * hp.gamma ** t
    if hp.kind == INVERSE_TIME:
        return base / (1.0 + hp.k * t)
    if hp.kind == COSINE:
        return hp.eta_min + (base - hp.eta_min) * (1.0 + math.cos(math.pi * t / hp.T_max)) / 2.0
    if hp.kind == WARMUP:
        sf = hp.start_factor
        return base * (sf + (1.0 - sf) * (t if t < hp.total_iters else hp.total_iters)
                       / hp.total_iters)
    return base


def plateau_step(hp: Hyper, metric: float, lr: float, state):
    """One ReduceLROnPlateau step (mode "min", relative threshold).  state = (best, bad, cooldown)

    better if metric < best (1 - threshold): best <- metric, bad <- 0; else bad <- bad + 1.
    In cooldown: cooldown -= 1 and bad <- 0. If bad > patience: lr <- max(lr factor, min_lr)
    (only when that lowers it by more than eps), cooldown <- hp.cooldown, bad <- 0.
    """
    best, bad, cool = state
    if metric < best * (1.0 - hp.threshold):
        best = metric
        bad = 0.0
    else:
        bad += 1.0
    if cool > 0.0:
        cool -= 1.0
        bad = 0.0
    if bad > hp.patience:
        new_lr = lr * hp.factor if lr * hp.factor > hp.min_lr else hp.min_lr
        if lr - new_lr > hp.eps:
            lr = new_lr
        cool = hp.cooldown
        bad = 0.0
    return lr, (best, bad, cool)


def start(hp: Hyper):
    """(lr(0), e = 0, plateau state) before the first update."""
    return lr_at(hp, 0), 0, (math.inf, 0.0, 0.0)


def step(hp: Hyper, lr: float, e: int, metric: float, state):
    """Advance the schedule by one step (after an update or an epoch, as the run says).

    Returns (lr, e, state): ``plateau`` watches ``metric`` (the full-data loss); every other
    schedule counts ``e`` up and reads lr(e).
    """
    if hp.kind == PLATEAU:
        lr, state = plateau_step(hp, metric, lr, state)
        return lr, e, state
    e += 1
    return lr_at(hp, e), e, state


# --- the registry ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Schedule:
    """One choice of the ``schedule.name`` field: its kind, PyTorch's defaults and its label."""

    name: str
    title: str
    kind: int
    defaults: dict[str, Any]

    def hyper(self, base: float, params: dict[str, Any], per_update: bool) -> Hyper:
        kw: dict[str, Any] = {}
        for key, value in params.items():
            if value is None:
                raise ValueError(f"schedule {self.name!r}: {key} must be resolved before use")
            if key == "milestones":
                kw[key] = np.asarray(value, dtype=np.int64).reshape(-1)
            else:
                kw[key] = float(value)
        return Hyper(kind=self.kind, base=float(base), per_update=bool(per_update), **kw)


SCHEDULES: dict[str, Schedule] = {s.name: s for s in (
    Schedule("constant", "constant", CONSTANT, {}),
    Schedule("step", "step decay", STEP, {"step_size": 10, "gamma": 0.1}),
    Schedule("multistep", "multi-step decay", MULTISTEP, {"milestones": (30, 80), "gamma": 0.1}),
    Schedule("exponential", "exponential decay", EXPONENTIAL, {"gamma": 0.95}),
    Schedule("inverse_time", "inverse time", INVERSE_TIME, {"k": 0.1}),
    # T_max None: the run's length (its epochs, or its updates when stepped per update), so
    # the rate decays once over the run (PyTorch has no default: it must be given)
    Schedule("cosine", "cosine", COSINE, {"T_max": None, "eta_min": 0.0}),
    Schedule("warmup", "linear warm-up", WARMUP, {"start_factor": 1.0 / 3.0, "total_iters": 5}),
    Schedule("plateau", "reduce on plateau", PLATEAU,
             {"factor": 0.1, "patience": 10, "threshold": 1e-4, "cooldown": 0, "min_lr": 0.0,
              "eps": 1e-8}),
)}


def lr_curve(name: str, params: dict, base: float, steps: int) -> np.ndarray:
    """lr(e) for e = 0..steps-1 (not for ``plateau``, which depends on the loss)."""
    hp = SCHEDULES[name].hyper(base, params, False)
    return np.array([lr_at(hp, e) for e in range(steps)])
