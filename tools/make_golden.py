"""Generate tests/fixtures/golden.json: reference trajectories computed with real PyTorch.

Every case is one engine run config (exactly what ``gdcore.engine.runner.run`` accepts), the data it runs
on, and what ``torch.optim`` / ``torch.optim.lr_scheduler`` / ``torch.nn.utils.clip_grad_*`` do with
it in float64, step by step. ``tests/test_golden.py`` replays each config through the engine and
compares; the test suite itself never needs torch.

Run it with a Python that has torch (and numpy) installed, from the project root::

    pip install torch==2.13.0 numpy  # the CPU build
    python tools/make_golden.py      # writes tests/fixtures/golden.json

Coverage (see ``linear_cases``): the full grid of optimizer variants x schedule variants, once on
full batch and once on unshuffled mini-batches (every data set's batch plan is listed in
``DATASETS``: three end on a partial batch, one has two features and exact batches, one uses
batch size 1). The clipping mode (none / value / norm)
of a grid cell is ``(i_opt + i_sched + i_batching) % 3``: with at least three entries along each
axis, every optimizer meets every clip and every schedule meets every clip, in both batching
modes. Whether the schedule steps per epoch or per update alternates the same way
(``(i_opt + i_sched) % 2``), so every schedule and every optimizer sees both. The data set and the
parameter layout (one tensor ``[w..., b]`` or two tensors ``w``, ``b``) rotate over the cells.
Schedule parameters are scaled to the number of scheduler steps in the run, so every schedule
changes the lr within it (cosine_past goes through eta_min and back up; plateau patience and
cooldown vary between cells). Clip thresholds are 0.4 x the starting gradient, so clipping bites.
A handful of extra cases run on the engine's test functions (``gdcore.models``), one of them with
a ReduceLROnPlateau reduction that ``eps`` suppresses. ``check`` rejects a case that diverges,
converges to rounding level, never clips, never changes its lr, or has a plateau decision within
1e-8 of a tie (a rounding-level difference could flip it).

The engine's ``"update": "sequential"`` mode has its own cases (``sequential_cases``, appended after
the others, so regenerating leaves the earlier ones byte for byte): every optimizer variant on full
batch and on unshuffled mini-batches, rotating clip mode, schedule, ``per`` and data set. Torch
emulates it with one 1-element parameter, one optimizer and one scheduler per coordinate
(``torch_trajectory_sequential``): coordinate j steps from the batch gradient recomputed after
coordinates < j moved, clipped again over all coordinates. ``check`` also rejects a clipped
sequential case whose re-clip of a recomputed gradient never changes the component it uses.

Two more families follow, again appended (``family_cases``; 90 cases each, 180 in all): every
optimizer variant three times per batching (full batch, unshuffled mini-batches), so that in each
batching every optimizer meets every clip mode, every schedule meets every clip mode and every
schedule is stepped per epoch and per update (the rotation is in ``family_cases``'s docstring).

- ``multi-*``: linear regression (MSE) on 3 and 5 features (``MULTI_DATASETS``): columns of mixed
  scales (0.3 to 4) with correlated pairs (0.7 to 0.95), so the Hessian is ill-conditioned and
  not diagonal; mini-batches end on a partial batch (8, 8, 8, 6), are exact (6 x 4), and end on
  a single row (4 x 5, 1). The test replays them on both loops, as the earlier linear cases.
- ``logistic-*``: logistic regression, ``meta.problem == "logistic"`` (the engine's
  ``gdcore.models.logistic.LogisticRegression``; a run config has no problem field), torch's loss
  ``binary_cross_entropy_with_logits`` (mean), 0/1 labels on 1, 2 and 4 features
  (``LOGISTIC_DATASETS``), drawn from a logistic model so the classes overlap;
  ``_logistic_optimum`` proves each data set non-separable (Newton reaches a zero gradient).
  Mini-batches of size 1 (on one and on four features), a partial last batch (12 x 4, 2) and
  exact batches (9 x 4). Their records add ``accuracy``: the share of rows with
  (logit >= 0) == (y == 1), the engine's accuracy column. A "hess" lr is c over the bound
  X'X/(4n) on the cross-entropy's Hessian. The compiled loop does not run logistic regression:
  the test replays these on the interpreter and checks that the compiled loop declines them.

No family has shuffled cases: the generator visits rows in file order only (it does not
reimplement the engine's seeded shuffle, ``gdcore.engine.rng``).

``check`` also rejects, in every family: a clip decision within 1e-8 (relative) of flipping; a
logistic run with a logit within 1e-9 of 0 (rounding could flip a row's class in the accuracy);
and a case that amplifies rounding beyond the test's tolerance: torch's run from a start point
moved by ``NUDGE`` = 2e-14 (about a hundred rounding units) must stay within the test's
tolerance of the run itself (``rounding_sensitivity``; this rejected, for instance, full-batch
RMSprop on a Hessian of condition number 4000, where the engine's full-data gradient from the
data's moments carries ~5e-14 relative rounding and the run amplifies it past 1e-11).

The loop mirrors the engine's documented order: batch gradient -> clip -> optimizer.step() ->
full-data loss -> scheduler.step() (per update, or after each epoch; ReduceLROnPlateau is fed the
full-data loss). Row 0 is the starting point (its grad_norm is the full-data gradient's norm, its
lr the one the first update uses); row k is the state after update k, with the lr and the
pre-clip batch-gradient norm that update k used.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.utils import clip_grad_norm_, clip_grad_value_, get_total_norm

torch.set_default_dtype(torch.float64)

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "golden.json"


# --- data sets ----------------------------------------------------------------------------------
def _dataset(n: int, d: int, seed: int, batch: int, epochs_mb: int, epochs_full: int,
             init: list[float]) -> dict:
    """A small deterministic regression data set, values rounded to 3 decimals (exact in JSON)."""
    rng = np.random.RandomState(seed)
    x = np.round(rng.uniform(-1.0, 3.0, size=(n, d)), 3)
    coef = np.array([2.0, -0.7][:d])
    y = np.round(x @ coef - 1.0 + 0.5 * rng.standard_normal(n), 3)
    return {"x": x.tolist(), "y": y.tolist(), "batch_size": batch, "epochs_mb": epochs_mb,
            "epochs_full": epochs_full, "init": init}


DATASETS = {
    "n10": _dataset(10, 1, 1, 4, 10, 30, [-1.0, 2.5]),        # batches 4, 4, 2 (partial)
    "n37": _dataset(37, 1, 2, 8, 7, 36, [3.5, -2.0]),         # batches 8 x 4, 5 (partial)
    "n24x2": _dataset(24, 2, 3, 6, 8, 32, [0.5, 1.0, -2.0]),  # batches 6 x 4 (exact)
    "n19x2": _dataset(19, 2, 4, 5, 8, 28, [-1.5, 2.0, 1.0]),  # batches 5, 5, 5, 4 (partial)
    "n8b1": _dataset(8, 1, 5, 1, 5, 25, [2.0, 1.5]),          # batch size 1 (stochastic)
}


def _hessian_max_eig(ds: dict) -> float:
    x = np.asarray(ds["x"])
    a = np.hstack([x, np.ones((x.shape[0], 1))])
    return float(np.linalg.eigvalsh(2.0 * a.T @ a / x.shape[0]).max())


def _sig(v: float, digits: int = 3) -> float:
    """Round to a few significant digits (clean numbers in the configs)."""
    return float(f"{v:.{digits}g}")


def _columns(rng: np.random.RandomState, n: int, scales: list[float],
             correlated: dict[int, tuple[int, float]]) -> np.ndarray:
    """Standard normal columns; column j in ``correlated`` is rho * column src + sqrt(1 - rho^2)
    * fresh noise (correlation rho); then every column times its scale, rounded to 3 decimals."""
    z = rng.standard_normal((n, len(scales)))
    for j, (src, rho) in correlated.items():
        z[:, j] = rho * z[:, src] + math.sqrt(1.0 - rho * rho) * z[:, j]
    return np.round(z * np.asarray(scales), 3)


def _multi_dataset(n: int, scales: list[float], correlated: dict[int, tuple[int, float]],
                   seed: int, batch: int, epochs_mb: int, epochs_full: int,
                   init: list[float]) -> dict:
    """Regression on several features with mixed scales and correlated columns (so the MSE's
    Hessian is ill-conditioned and its eigenvectors are not the axes); the true weights are
    about one unit of y per standard deviation of each column. Values rounded to 3 decimals."""
    rng = np.random.RandomState(seed)
    x = _columns(rng, n, scales, correlated)
    coef = np.array([1.5, -0.8, 0.6, 1.1, -0.4][:len(scales)]) / np.asarray(scales)
    y = np.round(x @ coef + 0.7 + 0.5 * rng.standard_normal(n), 3)
    return {"x": x.tolist(), "y": y.tolist(), "batch_size": batch, "epochs_mb": epochs_mb,
            "epochs_full": epochs_full, "init": init}


# multi-feature linear regression (MSE); its own families' rotation reads these (DATASETS above
# stays as it is: the earlier cases rotate over it)
MULTI_DATASETS = {
    # 3 features, scales 1 / 0.3 / 4, x2 correlated with x1 (0.9); batches 8, 8, 8, 6 (partial)
    "m30x3": _multi_dataset(30, [1.0, 0.3, 4.0], {1: (0, 0.9)}, 11, 8, 7, 30,
                            [0.5, -1.0, 0.2, 1.0]),
    # 5 features, scales 1 / 2 / 0.3 / 1 / 2, x4 ~ x1 (0.95), x5 ~ x2 (-0.8); batches 6 x 4 (exact)
    "m24x5": _multi_dataset(24, [1.0, 2.0, 0.3, 1.0, 2.0], {3: (0, 0.95), 4: (1, -0.8)}, 12,
                            6, 8, 30, [-0.5, 0.3, 1.0, 0.8, -0.2, 0.5]),
    # 5 features, scales 0.5 / 1 / 4 / 1 / 0.2, x3 ~ x2 (0.7), x5 ~ x1 (0.9); batches 4 x 5, 1
    "m21x5": _multi_dataset(21, [0.5, 1.0, 4.0, 1.0, 0.2], {2: (1, 0.7), 4: (0, 0.9)}, 13,
                            4, 6, 30, [1.0, -0.5, 0.1, 0.4, 2.0, -1.0]),
}


def _logistic_dataset(n: int, scales: list[float], correlated: dict[int, tuple[int, float]],
                      seed: int, batch: int, epochs_mb: int, epochs_full: int,
                      init: list[float]) -> dict:
    """Binary classification: features as in ``_multi_dataset``, labels 0/1 drawn from
    P(y = 1) = sigmoid(x.w + b) with weights of about one unit of logit per standard deviation,
    so the classes overlap. ``_logistic_optimum`` proves that they cannot be separated."""
    rng = np.random.RandomState(seed)
    x = _columns(rng, n, scales, correlated)
    coef = np.array([1.2, -0.9, 0.7, 0.5][:len(scales)]) / np.asarray(scales)
    prob = 1.0 / (1.0 + np.exp(-(x @ coef + 0.3)))
    y = (rng.uniform(size=n) < prob).astype(float)
    ds = {"x": x.tolist(), "y": y.tolist(), "batch_size": batch, "epochs_mb": epochs_mb,
          "epochs_full": epochs_full, "init": init}
    _logistic_optimum(ds)
    return ds


def _logistic_optimum(ds: dict) -> list[float]:
    """The cross-entropy's minimiser by Newton's method in torch (autograd Hessian). A finite
    point with a zero gradient exists only when the classes cannot be separated (on separable
    data the loss falls towards 0 along a direction and has no stationary point), so reaching
    one proves the data non-separable; anything else stops the generator."""
    x, y = torch.tensor(ds["x"]), torch.tensor(ds["y"])
    assert 0.0 < float(y.mean()) < 1.0, "logistic data needs both classes"

    def loss(p):
        return F.binary_cross_entropy_with_logits(x @ p[:-1] + p[-1], y, reduction="mean")

    p = torch.zeros(x.shape[1] + 1)
    for _ in range(50):
        g = torch.autograd.functional.jacobian(loss, p)
        if float(g.norm()) < 1e-12:
            assert float(p.abs().max()) < 20.0, f"logistic optimum far out: {p.tolist()}"
            return p.tolist()
        p = p - torch.linalg.solve(torch.autograd.functional.hessian(loss, p), g)
    raise AssertionError(f"logistic data look separable (Newton did not settle): {p.tolist()}")


# logistic regression (binary cross-entropy on the logits); non-separable by construction
LOGISTIC_DATASETS = {
    # 1 feature, batch size 1 (stochastic)
    "c40x1": _logistic_dataset(40, [1.5], {}, 21, 1, 3, 40, [-0.5, 0.8]),
    # 2 features, scales 1 / 3, correlated (0.6); batches 12 x 4, 2 (partial)
    "c50x2": _logistic_dataset(50, [1.0, 3.0], {1: (0, 0.6)}, 22, 12, 8, 40, [0.6, 0.4, -0.7]),
    # 4 features, scales 1 / 0.5 / 2 / 1, x4 ~ x1 (0.85); batches 9 x 4 (exact)
    "c36x4": _logistic_dataset(36, [1.0, 0.5, 2.0, 1.0], {3: (0, 0.85)}, 23, 9, 8, 40,
                               [0.3, 0.5, -0.2, -0.4, 0.6]),
    # 4 features, scales 2 / 1 / 1 / 0.5, x3 ~ x2 (-0.7); batch size 1 (one row: a loop over
    # the features in the engine)
    "c22x4": _logistic_dataset(22, [2.0, 1.0, 1.0, 0.5], {2: (1, -0.7)}, 24, 1, 3, 40,
                               [-0.3, 0.7, 0.2, -0.6, 0.4]),
}


def _curvature(ds: dict, problem: str) -> float:
    """The largest curvature of the full-data loss, for lr = c / curvature: the MSE's Hessian
    2 X'X/n (X with a column of ones); for the cross-entropy the bound X'X/(4n) on its Hessian
    X' diag(s (1 - s)) X / n (s (1 - s) <= 1/4 everywhere)."""
    if problem == "linear":
        return _hessian_max_eig(ds)
    x = np.asarray(ds["x"])
    a = np.hstack([x, np.ones((x.shape[0], 1))])
    return float(np.linalg.eigvalsh(a.T @ a / (4.0 * x.shape[0])).max())


# --- variants -----------------------------------------------------------------------------------
# optimizer variants: engine config (lr filled in per data set from "lr" below); "lr" is either
# ("hess", c) = c / (largest Hessian eigenvalue of the full-data loss) or ("abs", value)
OPTIMIZERS = {
    "sgd": ({"name": "sgd"}, ("hess", 0.4)),
    "sgd_mom_damp_wd": ({"name": "sgd", "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.05},
                        ("hess", 0.1)),
    "sgd_nesterov_wd": ({"name": "sgd", "momentum": 0.7, "nesterov": True, "weight_decay": 0.02},
                        ("hess", 0.12)),
    "momentum_damp": ({"name": "momentum", "momentum": 0.9, "dampening": 0.1}, ("hess", 0.05)),
    "nesterov_wd": ({"name": "nesterov", "momentum": 0.85, "weight_decay": 0.01}, ("hess", 0.07)),
    "adagrad": ({"name": "adagrad"}, ("abs", 0.3)),
    "adagrad_decay_iav_wd": ({"name": "adagrad", "lr_decay": 0.05, "initial_accumulator_value": 0.1,
                              "weight_decay": 0.03}, ("abs", 0.8)),
    "rmsprop": ({"name": "rmsprop"}, ("abs", 0.02)),
    "rmsprop_alpha_mom": ({"name": "rmsprop", "alpha": 0.9, "momentum": 0.6}, ("abs", 0.01)),
    "rmsprop_centered": ({"name": "rmsprop", "centered": True}, ("abs", 0.01)),
    "rmsprop_centered_mom_wd": ({"name": "rmsprop", "alpha": 0.95, "centered": True,
                                 "momentum": 0.5, "weight_decay": 0.02}, ("abs", 0.005)),
    "adam": ({"name": "adam"}, ("abs", 0.1)),
    "adam_amsgrad_wd": ({"name": "adam", "betas": [0.8, 0.99], "amsgrad": True,
                         "weight_decay": 0.05}, ("abs", 0.15)),
    "adamw": ({"name": "adamw", "weight_decay": 0.1}, ("abs", 0.1)),
    "adamw_amsgrad": ({"name": "adamw", "amsgrad": True, "eps": 1e-6}, ("abs", 0.12)),
}


def schedule_variant(name: str, per: str, n_steps: int, base_lr: float, k: int = 0) -> dict:
    """Engine schedule config for variant ``name``; ``n_steps`` = scheduler steps in the run,
    ``k`` varies the secondary settings (plateau patience and cooldown) from case to case."""
    s = n_steps
    if name == "constant":
        return {"name": "constant", "per": per}
    if name == "step":
        return {"name": "step", "per": per, "step_size": max(1, s // 4), "gamma": 0.5}
    if name == "multistep":  # a repeated milestone: gamma^2 at once, as torch's Counter does
        return {"name": "multistep", "per": per, "milestones": [s // 5, s // 2, s // 2],
                "gamma": 0.6}
    if name == "multistep0":  # milestone 0: torch applies it when the scheduler is built
        return {"name": "multistep", "per": per, "milestones": [0, s // 3], "gamma": 0.5}
    if name == "exponential":
        return {"name": "exponential", "per": per, "gamma": 0.9 if s > 15 else 0.75}
    if name == "inverse_time":
        return {"name": "inverse_time", "per": per, "k": 0.2 if s > 15 else 0.5}
    if name == "cosine":  # one decay over (almost) the whole run
        return {"name": "cosine", "per": per, "T_max": s, "eta_min": 0.0}
    if name == "cosine_past":  # runs through eta_min and climbs back up (periodic)
        return {"name": "cosine", "per": per, "T_max": max(2, s // 3),
                "eta_min": _sig(0.05 * base_lr)}
    if name == "warmup":
        return {"name": "warmup", "per": per, "start_factor": 0.25, "total_iters": max(2, s // 2)}
    if name == "plateau":
        if s > 15:
            patience, cooldown, threshold = (0, 1, 2)[k % 3], (0, 1, 2)[(k // 3) % 3], 0.3
        else:  # few scheduler steps: reduce quickly
            patience, cooldown, threshold = 0, (0, 1)[k % 2], 0.5
        return {"name": "plateau", "per": per, "factor": 0.5, "patience": patience,
                "threshold": threshold, "cooldown": cooldown,
                "min_lr": _sig(0.1 * base_lr)}
    raise ValueError(name)


SCHEDULES = ["constant", "step", "multistep", "multistep0", "exponential", "inverse_time",
             "cosine", "cosine_past", "warmup", "plateau"]
CLIPS = ["none", "value", "norm"]
BATCHING = ["full", "minibatch"]


# --- torch building blocks ----------------------------------------------------------------------
def make_optimizer(params: list[torch.Tensor], cfg: dict) -> torch.optim.Optimizer:
    kw = {k: v for k, v in cfg.items() if k != "name"}
    name = cfg["name"]
    if name == "sgd":
        return torch.optim.SGD(params, **kw)
    if name == "momentum":
        return torch.optim.SGD(params, **kw)
    if name == "nesterov":
        return torch.optim.SGD(params, nesterov=True, **kw)
    if name == "adagrad":
        return torch.optim.Adagrad(params, **kw)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, **kw)
    if "betas" in kw:
        kw["betas"] = tuple(kw["betas"])
    if name == "adam":
        return torch.optim.Adam(params, **kw)
    if name == "adamw":
        return torch.optim.AdamW(params, **kw)
    raise ValueError(name)


def make_scheduler(opt: torch.optim.Optimizer, cfg: dict):
    name = cfg["name"]
    sch = torch.optim.lr_scheduler
    if name == "constant":
        return None
    if name == "step":
        return sch.StepLR(opt, step_size=cfg["step_size"], gamma=cfg["gamma"])
    if name == "multistep":
        return sch.MultiStepLR(opt, milestones=cfg["milestones"], gamma=cfg["gamma"])
    if name == "exponential":
        return sch.ExponentialLR(opt, gamma=cfg["gamma"])
    if name == "inverse_time":
        k = cfg["k"]
        return sch.LambdaLR(opt, lambda e: 1.0 / (1.0 + k * e))
    if name == "cosine":
        return sch.CosineAnnealingLR(opt, T_max=cfg["T_max"], eta_min=cfg.get("eta_min", 0.0))
    if name == "warmup":
        return sch.LinearLR(opt, start_factor=cfg["start_factor"], end_factor=1.0,
                            total_iters=cfg["total_iters"])
    if name == "plateau":
        return sch.ReduceLROnPlateau(opt, mode="min", factor=cfg.get("factor", 0.1),
                                     patience=cfg.get("patience", 10),
                                     threshold=cfg.get("threshold", 1e-4), threshold_mode="rel",
                                     cooldown=cfg.get("cooldown", 0), min_lr=cfg.get("min_lr", 0.0),
                                     eps=cfg.get("eps", 1e-8))
    raise ValueError(name)


# test functions, written as in gdcore/models/__init__.py (autograd supplies the gradients)
FUNCTIONS = {
    "quadratic": lambda p: (p[0] - 4.0) ** 2 + 2.0,
    "double_well": lambda p: p[0] ** 4 - 8.0 * p[0] ** 2 + p[0] + 10.0,
    "bowl": lambda p: (p[0] - 3.0) ** 2 + (p[1] + 1.0) ** 2,
    "rosenbrock": lambda p: (1.0 - p[0]) ** 2 + 100.0 * (p[1] - p[0] ** 2) ** 2,
    "himmelblau": lambda p: (p[0] ** 2 + p[1] - 11.0) ** 2 + (p[0] + p[1] ** 2 - 7.0) ** 2,
    "saddle": lambda p: p[0] ** 2 + 0.25 * p[1] ** 4 - 0.5 * p[1] ** 2,
}
FUNCTION_INIT = {"quadratic": [-1.0], "double_well": [0.5], "bowl": [-2.0, 3.0],
                 "rosenbrock": [-1.5, 2.0], "himmelblau": [0.0, 0.0], "saddle": [1.5, 1e-3]}


class Problem:
    """Loss of a batch for the chosen parameter layout: one tensor, two (``w``, ``b``), or
    ``"coords"``: one 1-element tensor per coordinate (the sequential-update emulation)."""

    def __init__(self, init: list[float], layout: str, x=None, y=None, function=None,
                 logistic: bool = False):
        self.layout = layout
        self.function = function
        self.logistic = logistic  # binary cross-entropy on the logits instead of the MSE
        if function is None:
            self.x = torch.tensor(x)
            self.y = torch.tensor(y)
            self.n = self.x.shape[0]
        else:
            self.n = 1
        if layout == "one":
            self.params = [torch.tensor(init, requires_grad=True)]
        elif layout == "coords":  # w_1, ..., w_d, b each its own tensor
            self.params = [torch.tensor([v], requires_grad=True) for v in init]
        else:  # (w, b) as two tensors
            self.params = [torch.tensor(init[:-1], requires_grad=True),
                           torch.tensor(init[-1:], requires_grad=True)]

    def predict(self, rows: slice | None = None) -> torch.Tensor:
        """x.w + b on the rows (all rows when None): the prediction, or the logits."""
        x = self.x if rows is None else self.x[rows]
        if self.layout in ("one", "coords"):
            p = self.params[0] if self.layout == "one" else torch.cat(self.params)
            return x @ p[:-1] + p[-1]
        w, b = self.params
        return x @ w + b

    def loss(self, rows: slice | None = None) -> torch.Tensor:
        if self.function is not None:
            p = self.params[0] if self.layout == "one" else torch.cat(self.params)
            return FUNCTIONS[self.function](p)
        y = self.y if rows is None else self.y[rows]
        if self.logistic:
            return F.binary_cross_entropy_with_logits(self.predict(rows), y, reduction="mean")
        return F.mse_loss(self.predict(rows), y, reduction="mean")

    def accuracy(self) -> tuple[float, float]:
        """(share of rows with (logit >= 0) == (y == 1), the smallest |logit|): the engine's
        accuracy column, and how close a row is to flipping it by rounding."""
        with torch.no_grad():
            z = self.predict()
        right = (z >= 0.0) == (self.y == 1.0)
        return float(right.double().mean()), float(z.abs().min())

    def flat(self) -> list[float]:
        return [float(v) for v in torch.cat([p.detach().reshape(-1) for p in self.params])]

    def full_grad_norm(self) -> float:
        grads = torch.autograd.grad(self.loss(), self.params)
        return float(get_total_norm(grads))


def torch_trajectory(prob: Problem, cfg: dict) -> dict:
    """Run ``cfg`` (engine format) with torch; return the per-step records."""
    opt = make_optimizer(prob.params, cfg["optimizer"])
    sched = make_scheduler(opt, cfg["schedule"])
    per_update = cfg["schedule"]["per"] == "update"
    plateau = cfg["schedule"]["name"] == "plateau"
    clip = cfg["clip"]
    bs = prob.n if cfg["batch_size"] == "full" else cfg["batch_size"]

    def group_lr() -> float:
        return float(opt.param_groups[0]["lr"])

    with torch.no_grad():
        loss0 = float(prob.loss())
    rec = {"params": [prob.flat()], "lr": [group_lr()], "loss": [loss0], "batch_loss": [loss0],
           "grad_norm": [prob.full_grad_norm()], "clipped": [False]}
    plateau_margins, clip_margins, logit_margins = [], [], []
    if prob.logistic:  # the engine's accuracy column, per step
        acc, zmin = prob.accuracy()
        rec["accuracy"] = [acc]
        logit_margins.append(zmin)

    def sched_step(full_loss: float) -> None:
        if sched is None:
            return
        if plateau:
            best = sched.best
            if math.isfinite(best):  # how far from a tie was the "better?" comparison
                edge = best * (1.0 - sched.threshold)
                plateau_margins.append(abs(full_loss - edge) / abs(edge))
            sched.step(full_loss)
        else:
            sched.step()

    for _epoch in range(cfg["epochs"]):
        for start in range(0, prob.n, bs):
            rows = slice(start, min(start + bs, prob.n))
            opt.zero_grad()
            batch_loss = prob.loss(None if bs >= prob.n else rows)
            batch_loss.backward()
            lr_used = group_lr()
            before = [p.grad.clone() for p in prob.params]
            if clip["name"] == "norm":
                total = float(clip_grad_norm_(prob.params, max_norm=clip["max_norm"]))
            else:
                total = float(get_total_norm([p.grad for p in prob.params]))
                if clip["name"] == "value":
                    clip_grad_value_(prob.params, clip_value=clip["clip_value"])
            after = [p.grad for p in prob.params]
            clipped = any(not torch.equal(a, b) for a, b in zip(before, after, strict=True))
            clip_margins.append(clip_margin(clip, before, total))
            opt.step()
            with torch.no_grad():
                full = float(prob.loss())
            rec["params"].append(prob.flat())
            rec["lr"].append(lr_used)
            rec["loss"].append(full)
            rec["batch_loss"].append(float(batch_loss.detach()))
            rec["grad_norm"].append(total)
            rec["clipped"].append(clipped)
            if prob.logistic:
                acc, zmin = prob.accuracy()
                rec["accuracy"].append(acc)
                logit_margins.append(zmin)
            if per_update:
                sched_step(full)
        if not per_update:
            sched_step(rec["loss"][-1])
    rec["_plateau_margin"] = min(plateau_margins) if plateau_margins else None
    rec["_clip_margin"] = min(clip_margins)
    rec["_logit_margin"] = min(logit_margins) if logit_margins else None
    return rec


def clip_margin(clip: dict, grads: list[torch.Tensor], total: float) -> float:
    """How far (relative to the threshold) this gradient is from flipping the "clipped?"
    decision: by norm, total + 1e-6 against max_norm (torch scales when their ratio < 1); by
    value, the component nearest to +-clip_value. inf without clipping."""
    if clip["name"] == "norm":
        return abs(total + 1e-6 - clip["max_norm"]) / clip["max_norm"]
    if clip["name"] == "value":
        c = clip["clip_value"]
        return min(float((g.abs() - c).abs().min()) for g in grads) / c
    return math.inf


def torch_trajectory_sequential(prob: Problem, cfg: dict) -> dict:
    """``cfg`` with ``"update": "sequential"``, emulated in torch: every coordinate is its own
    1-element parameter with its own optimizer and scheduler (same class and settings). One update:
    batch gradient at the current point, clipped over ALL coordinates, steps coordinate 0 only;
    then for each next coordinate j the batch gradient is recomputed at the point with coordinates
    < j already moved, clipped again as a whole (global norm over every coordinate, or per value),
    and steps coordinate j only. batch_loss, grad_norm and clipped come from the first gradient of
    the update. Every optimizer steps once per update (one shared step count t); the schedulers
    step together (ReduceLROnPlateau: all fed the same full-data loss) and must agree on the lr.

    Besides the usual records, ``reclipped[k]`` says whether update k's re-clip of a recomputed
    gradient changed the component it then used (so skipping that re-clip changes the result)."""
    assert prob.layout == "coords"
    params = prob.params
    dim = len(params)
    opts = [make_optimizer([pj], cfg["optimizer"]) for pj in params]
    scheds = [make_scheduler(o, cfg["schedule"]) for o in opts]
    per_update = cfg["schedule"]["per"] == "update"
    plateau = cfg["schedule"]["name"] == "plateau"
    clip = cfg["clip"]
    bs = prob.n if cfg["batch_size"] == "full" else cfg["batch_size"]

    def group_lr() -> float:
        lrs = [float(o.param_groups[0]["lr"]) for o in opts]
        assert all(v == lrs[0] for v in lrs), f"per-coordinate schedulers disagree: {lrs}"
        return lrs[0]

    def clip_all() -> float:
        """Clip the gradients of all coordinates together; return the pre-clip global norm."""
        if clip["name"] == "norm":
            return float(clip_grad_norm_(params, max_norm=clip["max_norm"]))
        total = float(get_total_norm([p.grad for p in params]))
        if clip["name"] == "value":
            clip_grad_value_(params, clip_value=clip["clip_value"])
        return total

    with torch.no_grad():
        loss0 = float(prob.loss())
    rec = {"params": [prob.flat()], "lr": [group_lr()], "loss": [loss0], "batch_loss": [loss0],
           "grad_norm": [prob.full_grad_norm()], "clipped": [False], "reclipped": [False]}
    plateau_margins, clip_margins = [], []

    def sched_step(full_loss: float) -> None:
        if scheds[0] is None:
            return
        if plateau:
            best = scheds[0].best
            if math.isfinite(best):  # how far from a tie was the "better?" comparison
                edge = best * (1.0 - scheds[0].threshold)
                plateau_margins.append(abs(full_loss - edge) / abs(edge))
            for sc in scheds:
                sc.step(full_loss)
        else:
            for sc in scheds:
                sc.step()
        group_lr()  # (asserts that they agree)

    for _epoch in range(cfg["epochs"]):
        for start in range(0, prob.n, bs):
            rows = None if bs >= prob.n else slice(start, min(start + bs, prob.n))
            lr_used = group_lr()
            reclipped = False
            for j in range(dim):
                for o in opts:
                    o.zero_grad()
                loss_j = prob.loss(rows)
                loss_j.backward()
                before = [p.grad.clone() for p in params]
                total = clip_all()
                clip_margins.append(clip_margin(clip, before, total))
                after = [p.grad for p in params]
                if j == 0:  # the update's records come from its first gradient
                    batch_loss, grad_norm = float(loss_j.detach()), total
                    clipped = any(not torch.equal(a, b)
                                  for a, b in zip(before, after, strict=True))
                elif not torch.equal(before[j], after[j]):
                    reclipped = True
                opts[j].step()
            for o in opts:
                o.zero_grad()
            with torch.no_grad():
                full = float(prob.loss())
            rec["params"].append(prob.flat())
            rec["lr"].append(lr_used)
            rec["loss"].append(full)
            rec["batch_loss"].append(batch_loss)
            rec["grad_norm"].append(grad_norm)
            rec["clipped"].append(clipped)
            rec["reclipped"].append(reclipped)
            if per_update:
                sched_step(full)
        if not per_update:
            sched_step(rec["loss"][-1])
    rec["_plateau_margin"] = min(plateau_margins) if plateau_margins else None
    rec["_clip_margin"] = min(clip_margins)
    rec["_logit_margin"] = None
    return rec


# --- cases --------------------------------------------------------------------------------------
def clip_config(kind: str, g0: np.ndarray) -> dict:
    """Thresholds from the starting gradient, so that clipping bites early in the run."""
    if kind == "none":
        return {"name": "none"}
    if kind == "value":
        return {"name": "value", "clip_value": _sig(0.4 * float(np.abs(g0).max()), 2)}
    return {"name": "norm", "max_norm": _sig(0.4 * float(np.linalg.norm(g0)), 2)}


def initial_gradient(init, layout, **kw) -> np.ndarray:
    """The full-data gradient at ``init`` (``kw`` as ``Problem`` takes them)."""
    prob = Problem(init, layout, **kw)
    grads = torch.autograd.grad(prob.loss(), prob.params)
    return torch.cat([g.reshape(-1) for g in grads]).numpy()


def linear_cases() -> list[dict]:
    cases = []
    ds_names = list(DATASETS)
    for ib, batching in enumerate(BATCHING):
        for io, (oname, (ocfg, lr_rule)) in enumerate(OPTIMIZERS.items()):
            for js, sname in enumerate(SCHEDULES):
                k = len(cases)
                dname = ds_names[(io + 3 * js + ib) % len(ds_names)]
                ds = DATASETS[dname]
                layout = "one" if k % 2 == 0 else "two"
                if lr_rule[0] == "hess":
                    lr = _sig(lr_rule[1] / _hessian_max_eig(ds))
                else:
                    lr = lr_rule[1]
                mb = batching == "minibatch"
                epochs = ds["epochs_mb"] if mb else ds["epochs_full"]
                n = len(ds["y"])
                updates = epochs * (math.ceil(n / ds["batch_size"]) if mb else 1)
                per = "update" if (io + js) % 2 else "epoch"
                n_sched = updates if per == "update" else epochs
                clip = CLIPS[(io + js + ib) % 3]
                g0 = initial_gradient(ds["init"], layout, x=ds["x"], y=ds["y"])
                name = f"linear-{batching}-{oname}-{sname}-{per}-clip_{clip}"
                cfg = {
                    "name": name,
                    "batch_size": ds["batch_size"] if mb else "full",
                    "shuffle": False,
                    "epochs": epochs,
                    "init": list(ds["init"]),
                    "optimizer": {**ocfg, "lr": lr},
                    "schedule": schedule_variant(sname, per, n_sched, lr, io),
                    "clip": clip_config(clip, g0),
                    "max_points": updates + 10,
                }
                meta = {"problem": "linear", "dataset": dname, "batching": batching,
                        "optimizer_variant": oname, "schedule_variant": sname, "per": per,
                        "clip": clip, "layout": layout}
                cases.append({"id": name, "meta": meta, "config": cfg,
                              "data": {"x": ds["x"], "y": ds["y"]}})
    return cases


# (function, optimizer config, schedule config, clip kind, updates)
FUNCTION_CASES = [
    ("quadratic", {"name": "sgd", "lr": 0.1}, {"name": "step", "step_size": 10, "gamma": 0.5},
     "none", 40),
    ("quadratic", {"name": "adam", "lr": 0.3}, {"name": "cosine", "T_max": 12, "eta_min": 0.02},
     "value", 40),
    ("double_well", {"name": "momentum", "lr": 0.01, "momentum": 0.8},
     {"name": "exponential", "gamma": 0.95}, "norm", 40),
    ("double_well", {"name": "rmsprop", "lr": 0.02, "centered": True},
     {"name": "warmup", "start_factor": 0.2, "total_iters": 10}, "none", 40),
    ("bowl", {"name": "adagrad", "lr": 0.8, "lr_decay": 0.02},
     {"name": "inverse_time", "k": 0.1}, "norm", 40),
    ("bowl", {"name": "adamw", "lr": 0.2, "amsgrad": True, "weight_decay": 0.05},
     {"name": "plateau", "factor": 0.5, "patience": 1, "threshold": 0.1, "cooldown": 1},
     "value", 40),
    # min_lr 5e-9 below a reachable lr: the last reduction would be smaller than eps = 1e-8, so
    # ReduceLROnPlateau skips it
    ("bowl", {"name": "sgd", "lr": 0.1, "momentum": 0.5},
     {"name": "plateau", "factor": 0.5, "patience": 0, "threshold": 0.5,
      "min_lr": 0.025 - 5e-9}, "none", 30),
    ("rosenbrock", {"name": "adam", "lr": 0.05, "betas": [0.9, 0.99]}, {"name": "constant"},
     "norm", 50),
    ("rosenbrock", {"name": "sgd", "lr": 5e-4, "momentum": 0.9, "nesterov": True},
     {"name": "multistep", "milestones": [15, 30], "gamma": 0.5}, "value", 50),
    ("himmelblau", {"name": "rmsprop", "lr": 0.03, "momentum": 0.5, "alpha": 0.9},
     {"name": "cosine", "T_max": 40}, "none", 40),
    ("himmelblau", {"name": "sgd", "lr": 0.005, "weight_decay": 0.01}, {"name": "constant"},
     "norm", 40),
    ("saddle", {"name": "adam", "lr": 0.05, "amsgrad": True}, {"name": "constant"}, "none", 40),
    ("saddle", {"name": "nesterov", "lr": 0.05, "momentum": 0.5},
     {"name": "step", "step_size": 8, "gamma": 0.7}, "value", 40),
]


def function_cases() -> list[dict]:
    cases = []
    for k, (fname, ocfg, scfg, clip, updates) in enumerate(FUNCTION_CASES):
        init = FUNCTION_INIT[fname]
        layout = "one" if k % 2 == 0 or len(init) == 1 else "two"
        g0 = initial_gradient(init, layout, function=fname)
        sname = scfg["name"]
        per = "update" if k % 2 else "epoch"  # the same thing for a test function (n = 1)
        name = f"{fname}-{ocfg['name']}-{sname}-clip_{clip}"
        cfg = {
            "name": name,
            "batch_size": "full",
            "shuffle": False,
            "epochs": updates,
            "init": list(init),
            "optimizer": dict(ocfg),
            "schedule": {**scfg, "per": per},
            "clip": clip_config(clip, g0),
            "max_points": updates + 10,
        }
        meta = {"problem": fname, "batching": "full", "optimizer_variant": ocfg["name"],
                "schedule_variant": sname, "per": per, "clip": clip, "layout": layout}
        cases.append({"id": name, "meta": meta, "config": cfg, "data": None})
    return cases


def sequential_cases() -> list[dict]:
    """``"update": "sequential"``: every optimizer variant once on full batch and once on
    unshuffled mini-batches (30 cases). Along the variants the clip mode, the schedule, whether it
    steps per epoch or per update, and the data set rotate, each batching starting elsewhere, so
    every batching meets every clip mode, every schedule, each data set (two-feature data, partial
    last batches, batch size 1) and both ``per`` settings. Thresholds as in ``linear_cases``, except
    that a clip value comes from the starting gradient's components after the first (those that are
    updated from a recomputed gradient); ``check`` requires every clipped case to clip a recomputed
    gradient somewhere, in the component that it then uses."""
    cases = []
    ds_names = list(DATASETS)
    for ib, batching in enumerate(BATCHING):
        for io, (oname, (ocfg, lr_rule)) in enumerate(OPTIMIZERS.items()):
            js = (io + 5 * ib) % len(SCHEDULES)
            sname = SCHEDULES[js]
            dname = ds_names[(io + 2 * ib) % len(ds_names)]
            ds = DATASETS[dname]
            if lr_rule[0] == "hess":
                lr = _sig(lr_rule[1] / _hessian_max_eig(ds))
            else:
                lr = lr_rule[1]
            mb = batching == "minibatch"
            epochs = ds["epochs_mb"] if mb else ds["epochs_full"]
            n = len(ds["y"])
            updates = epochs * (math.ceil(n / ds["batch_size"]) if mb else 1)
            per = "update" if (io // 2 + ib) % 2 else "epoch"
            n_sched = updates if per == "update" else epochs
            clip = CLIPS[(io + 2 * ib) % 3]
            g0 = initial_gradient(ds["init"], "coords", x=ds["x"], y=ds["y"])
            if clip == "value":  # threshold from the recomputed components (w_2, ..., b), so
                g0 = g0[1:]      # that the re-clip bites even where w_1's gradient dominates
            name = f"sequential-{batching}-{oname}-{sname}-{per}-clip_{clip}"
            cfg = {
                "name": name,
                "batch_size": ds["batch_size"] if mb else "full",
                "shuffle": False,
                "epochs": epochs,
                "init": list(ds["init"]),
                "optimizer": {**ocfg, "lr": lr},
                "schedule": schedule_variant(sname, per, n_sched, lr, io + ib),
                "clip": clip_config(clip, g0),
                "max_points": updates + 10,
                "update": "sequential",
            }
            meta = {"problem": "linear", "dataset": dname, "batching": batching,
                    "optimizer_variant": oname, "schedule_variant": sname, "per": per,
                    "clip": clip, "layout": "coords", "update": "sequential"}
            cases.append({"id": name, "meta": meta, "config": cfg,
                          "data": {"x": ds["x"], "y": ds["y"]}})
    return cases


# the multi-feature and logistic families: per batching, every optimizer variant three times
FAMILY_REPEATS = 3


def family_cases(family: str, problem: str, datasets: dict[str, dict]) -> list[dict]:
    """One family of cases on ``datasets`` (``problem`` "linear": the MSE, or "logistic"): per
    batching (full, unshuffled mini-batches), every optimizer variant ``FAMILY_REPEATS`` = 3
    times (repeat r), 90 cases in all. Rotation, with io the optimizer's index, ib the
    batching's: clip ``(io + r + ib) % 3`` (so each optimizer meets every clip mode in both
    batchings), schedule ``(io + 3 r + 5 ib) % 10`` (each optimizer sees six different ones;
    in each batching every schedule meets every clip mode), ``per`` = update when
    ``(io + schedule) % 2`` (as in ``linear_cases``: every schedule is stepped both ways in each
    batching), data set ``(io + 2 r + ib) % len(datasets)`` and parameter layout alternating.
    A "hess" lr is c / the loss's largest curvature (``_curvature``); thresholds as in
    ``linear_cases``."""
    cases = []
    ds_names = list(datasets)
    for ib, batching in enumerate(BATCHING):
        for io, (oname, (ocfg, lr_rule)) in enumerate(OPTIMIZERS.items()):
            for r in range(FAMILY_REPEATS):
                js = (io + 3 * r + 5 * ib) % len(SCHEDULES)
                sname = SCHEDULES[js]
                dname = ds_names[(io + 2 * r + ib) % len(ds_names)]
                ds = datasets[dname]
                layout = "one" if (io + r) % 2 == 0 else "two"
                if lr_rule[0] == "hess":
                    lr = _sig(lr_rule[1] / _curvature(ds, problem))
                else:
                    lr = lr_rule[1]
                mb = batching == "minibatch"
                epochs = ds["epochs_mb"] if mb else ds["epochs_full"]
                n = len(ds["y"])
                updates = epochs * (math.ceil(n / ds["batch_size"]) if mb else 1)
                per = "update" if (io + js) % 2 else "epoch"
                n_sched = updates if per == "update" else epochs
                clip = CLIPS[(io + r + ib) % 3]
                g0 = initial_gradient(ds["init"], layout, x=ds["x"], y=ds["y"],
                                      logistic=problem == "logistic")
                name = f"{family}-{batching}-{dname}-{oname}-{sname}-{per}-clip_{clip}"
                cfg = {
                    "name": name,
                    "batch_size": ds["batch_size"] if mb else "full",
                    "shuffle": False,
                    "epochs": epochs,
                    "init": list(ds["init"]),
                    "optimizer": {**ocfg, "lr": lr},
                    "schedule": schedule_variant(sname, per, n_sched, lr, io + r),
                    "clip": clip_config(clip, g0),
                    "max_points": updates + 10,
                }
                meta = {"problem": problem, "dataset": dname, "batching": batching,
                        "optimizer_variant": oname, "schedule_variant": sname, "per": per,
                        "clip": clip, "layout": layout}
                cases.append({"id": name, "meta": meta, "config": cfg,
                              "data": {"x": ds["x"], "y": ds["y"]}})
    return cases


def multi_feature_cases() -> list[dict]:
    """Linear regression (MSE) on 3 and 5 features: see ``family_cases``."""
    return family_cases("multi", "linear", MULTI_DATASETS)


def logistic_cases() -> list[dict]:
    """Logistic regression (``binary_cross_entropy_with_logits``, mean) on 1, 2 and 4 features:
    see ``family_cases``."""
    return family_cases("logistic", "logistic", LOGISTIC_DATASETS)


# the test's comparison (tests/test_golden.py): |engine - torch| <= ATOL + RTOL |torch|
RTOL, ATOL = 1e-10, 1e-12
# how far the sensitivity check moves the start point (relative; absolute below 1): about a
# hundred rounding units, so a case passes only if it amplifies rounding less than
# RTOL / NUDGE = 5000-fold
NUDGE = 2e-14


def trajectory(case: dict, init: list[float]) -> dict:
    """Torch's records for ``case`` started from ``init``."""
    cfg = {**case["config"], "init": init}
    if case["data"] is None:
        prob = Problem(init, case["meta"]["layout"], function=case["meta"]["problem"])
    else:
        prob = Problem(init, case["meta"]["layout"], x=case["data"]["x"],
                       y=case["data"]["y"], logistic=case["meta"]["problem"] == "logistic")
    if cfg.get("update", "simultaneous") == "sequential":
        return torch_trajectory_sequential(prob, cfg)
    return torch_trajectory(prob, cfg)


def rounding_sensitivity(case: dict, rec: dict) -> float:
    """The run from a start point moved by NUDGE, against ``rec``: the largest difference in
    units of the test's tolerance (1 = at the tolerance). A case above 1 amplifies rounding so
    much (chaotic steps, ill-conditioning) that two correct implementations could disagree by
    more than the test allows; its decisions (clip, lr) must not change either."""
    nudged = trajectory(case, [v + NUDGE * max(abs(v), 1.0) for v in case["config"]["init"]])
    worst = 0.0
    for key in ("params", "lr", "loss", "batch_loss", "grad_norm"):
        a, e = np.asarray(nudged[key]), np.asarray(rec[key])
        worst = max(worst, float((np.abs(a - e) / (ATOL + RTOL * np.abs(e))).max()))
    if nudged["clipped"] != rec["clipped"]:
        worst = math.inf
    return worst


def build(case: dict) -> dict:
    rec = trajectory(case, case["config"]["init"])
    rec["_sensitivity"] = rounding_sensitivity(case, rec)
    check(case, rec)
    for key in [k for k in rec if k.startswith("_")]:  # the checks' margins, not fixture data
        rec.pop(key)
    case["torch"] = rec
    case["steps"] = len(rec["lr"]) - 1
    return case


def check(case: dict, rec: dict) -> None:
    """Guard the fixture's usefulness: no divergence, no convergence to rounding, no near-ties."""
    cid = case["id"]
    for key in ("loss", "grad_norm", "lr"):
        assert all(math.isfinite(v) for v in rec[key]), f"{cid}: non-finite {key}"
    assert max(rec["loss"]) < 1e6 * max(rec["loss"][0], 1e-12), f"{cid}: diverges"
    ratio = min(rec["grad_norm"]) / rec["grad_norm"][0]
    assert ratio > 1e-5, f"{cid}: converged to rounding (grad norm ratio {ratio:.1e})"
    margin = rec["_plateau_margin"]
    assert margin is None or margin > 1e-8, f"{cid}: plateau comparison too close to a tie"
    assert rec["_clip_margin"] > 1e-8, f"{cid}: a clip decision too close to a tie"
    margin = rec["_logit_margin"]  # logistic: a row's logit near 0 could flip the accuracy
    assert margin is None or margin > 1e-9, f"{cid}: a logit too close to 0 ({margin:.1e})"
    assert rec["_sensitivity"] < 1.0, (
        f"{cid}: too sensitive to rounding (a start moved by {NUDGE:g} moves the run by "
        f"{rec['_sensitivity']:.2g} x the test's tolerance)")
    if case["meta"]["clip"] != "none":
        assert any(rec["clipped"]), f"{cid}: clipping never bites"
        if "reclipped" in rec:  # sequential: a recomputed gradient must be clipped too
            assert any(rec["reclipped"]), f"{cid}: clipping never bites on a recomputed gradient"
    sv = case["meta"]["schedule_variant"]
    if sv != "constant":
        assert len(set(rec["lr"])) > 1, f"{cid}: schedule {sv} never changes the lr"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    cases, problems = [], []
    # new families go at the end, so that regenerating leaves the earlier cases byte for byte
    for case in (linear_cases() + function_cases() + sequential_cases()
                 + multi_feature_cases() + logistic_cases()):
        try:
            cases.append(build(case))
        except AssertionError as err:
            problems.append(str(err))
    if problems:
        raise SystemExit("unusable cases:\n" + "\n".join(problems))
    ids = [c["id"] for c in cases]
    assert len(set(ids)) == len(ids), "duplicate case ids"
    header = {"generator": "tools/make_golden.py", "torch": torch.__version__,
              "dtype": "float64", "n_cases": len(cases)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # one case per line: compact, yet diffs stay readable
    lines = ",\n".join(json.dumps(c, separators=(",", ":")) for c in cases)
    text = json.dumps(header)[:-1] + ', "cases": [\n' + lines + "\n]}\n"
    json.loads(text)  # well-formed
    args.out.write_text(text)
    print(f"{len(cases)} cases -> {args.out} ({len(text) / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
