"""Learning-rate schedules, as ``torch.optim.lr_scheduler`` computes them.

``e`` counts scheduler steps taken so far (0 for the first update). The schedule is stepped after
the optimizer update, once per epoch or once per update, as the run's config says. The closed forms
below equal PyTorch's recursive ones (to rounding). ``cosine`` follows PyTorch past ``T_max``: it is
periodic and climbs back up (period 2 T_max); set ``T_max`` to the run's length to decay once.

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
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit, py

CONSTANT, STEP, MULTISTEP, EXPONENTIAL, INVERSE_TIME, COSINE, WARMUP, PLATEAU = range(8)
KIND = {"constant": CONSTANT, "step": STEP, "multistep": MULTISTEP, "exponential": EXPONENTIAL,
        "inverse_time": INVERSE_TIME, "cosine": COSINE, "warmup": WARMUP, "plateau": PLATEAU}
N_HP = 6


@jit(inline=True)
def lr_at(kind, base, e, hp, milestones):
    """The learning rate after ``e`` scheduler steps (every schedule but ``plateau``).

    ``hp`` slots: step (step_size, gamma), multistep (-, gamma), exponential (-, gamma),
    inverse_time (k), cosine (T_max, -, eta_min), warmup (total_iters, -, -, start_factor).
    """
    t = float(e)  # float powers: C's pow, as Python's float ** int (and no integer-power code)
    if kind == STEP:
        return base * hp[1] ** float(math.floor(t / hp[0]))
    if kind == MULTISTEP:
        passed = 0.0
        for m in milestones:
            if m <= e:
                passed += 1.0
        return base * hp[1] ** passed
    if kind == EXPONENTIAL:
        return base * hp[1] ** t
    if kind == INVERSE_TIME:
        return base / (1.0 + hp[0] * t)
    if kind == COSINE:
        return hp[2] + (base - hp[2]) * (1.0 + math.cos(math.pi * t / hp[0])) / 2.0
    if kind == WARMUP:
        sf = hp[3]
        return base * (sf + (1.0 - sf) * (t if t < hp[0] else hp[0]) / hp[0])
    return base


lr_at_py = py(lr_at)  # the same function, uncompiled (for Python callers)


@jit(inline=True)
def plateau_step(metric, lr, best, bad, cooldown_left, hp):
    """One ReduceLROnPlateau step (mode "min", relative threshold); returns the new state.

    better if metric < best (1 - threshold): best <- metric, bad <- 0; else bad <- bad + 1.
    In cooldown: cooldown_left -= 1 and bad <- 0. If bad > patience:
    lr <- max(lr factor, min_lr) (only when that lowers it by more than eps), cooldown_left <-
    cooldown, bad <- 0.  ``hp`` = (patience, factor, threshold, cooldown, min_lr, eps).
    """
    if metric < best * (1.0 - hp[2]):
        best = metric
        bad = 0
    else:
        bad += 1
    if cooldown_left > 0:
        cooldown_left -= 1
        bad = 0
    if bad > hp[0]:
        new_lr = lr * hp[1] if lr * hp[1] > hp[4] else hp[4]
        if lr - new_lr > hp[5]:
            lr = new_lr
        cooldown_left = int(hp[3])
        bad = 0
    return lr, best, bad, cooldown_left


@jit
def schedule_step(kind, base, lr, e, metric, best, bad, cooldown_left, hp, milestones):
    """Advance the schedule by one step (after an update or an epoch, as the run says).

    Returns (lr, e, best, bad, cooldown_left): ``plateau`` watches ``metric`` (the full-data loss);
    every other schedule counts ``e`` up and reads lr(e).
    """
    if kind == PLATEAU:
        lr, best, bad, cooldown_left = plateau_step(metric, lr, best, bad, cooldown_left, hp)
        return lr, e, best, bad, cooldown_left
    e += 1
    return lr_at(kind, base, e, hp, milestones), e, best, bad, cooldown_left


def schedule_arrays(name: str, params: dict) -> tuple[int, np.ndarray, np.ndarray]:
    """(kind, hp, milestones) for the kernel from a validated schedule config."""
    hp = np.zeros(N_HP)
    ms = np.asarray(params.get("milestones", ()), dtype=np.int64)
    if name == "step":
        hp[0], hp[1] = params["step_size"], params["gamma"]
    elif name in ("multistep", "exponential"):
        hp[1] = params["gamma"]
    elif name == "inverse_time":
        hp[0] = params["k"]
    elif name == "cosine":
        hp[0], hp[2] = params["T_max"], params["eta_min"]
    elif name == "warmup":
        hp[0], hp[3] = params["total_iters"], params["start_factor"]
    elif name == "plateau":
        hp[:] = (params["patience"], params["factor"], params["threshold"], params["cooldown"],
                 params["min_lr"], params["eps"])
    return KIND[name], hp, ms


def lr_curve(name: str, params: dict, base: float, steps: int) -> np.ndarray:
    """lr(e) for e = 0..steps-1 (not for ``plateau``, which depends on the loss)."""
    kind, hp, ms = schedule_arrays(name, params)
    return np.array([lr_at(kind, base, e, hp, ms) for e in range(steps)])
