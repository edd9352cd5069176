"""Ready-made comparisons a class can start from, computed from the data they will run on.

    exp = presets.build("lr", data={"source": "generate", "n": 200})   # an experiment dict
    gdcore.run_experiment(exp)

Learning rates are derived from the curvature of the mean-squared-error loss, not typed in:
for ``L(w, b) = mean((x·w + b - y)^2)`` the Hessian is constant,

    H = 2 [[E[x xᵀ], E[x]], [E[x]ᵀ, 1]],

full-batch gradient descent converges exactly when ``lr < 2 / λ_max(H)``, and ``1 / λ_max``
is a safe, fast choice. A single row i has curvature ``2 (1 + |x_i|²)``: stochastic updates
(batch size 1) stay stable below ``2 / max_i 2 (1 + |x_i|²)``. Each preset states its lesson
in ``PRESETS[key].lesson``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gdcore.engine.runner import load_dataset
from gdcore.errors import ConfigError
from gdcore.limits import LIMITS
from gdcore.models import LinearRegression, LogisticRegression
from gdcore.spec.config import FORMAT_VERSION, parse_experiment

__all__ = ["PRESETS", "Curvature", "Preset", "build", "curvature"]

DEFAULT_DATA: dict[str, Any] = {"source": "generate", "n": 200, "slope": 2.0, "intercept": 1.0,
                                "noise": 1.0, "outliers": 0.0, "seed": 0}
MAX_STOCHASTIC_UPDATES = 20_000  # keeps a batch-size-1 run fast on large data


@dataclass(frozen=True)
class Curvature:
    """What the presets need to know about a data set's loss surface."""

    n: int
    lam_max: float  # largest eigenvalue of the full-data Hessian
    lam_min: float  # smallest eigenvalue (> 0 for a non-constant x)
    row_max: float  # largest curvature of a single row: 2 (1 + |x_i|^2)
    distance: float  # |(w*, b*)|: how far the answer is from the zero start
    problem: str = "linear"  # or "logistic": its curvature falls away from the start

    @property
    def lr_stable(self) -> float:
        """Full-batch gradient descent diverges at and above this learning rate."""
        return 2.0 / self.lam_max

    @property
    def lr_good(self) -> float:
        return 1.0 / self.lam_max

    @property
    def lr_stochastic(self) -> float:
        """A stable learning rate for batch size 1 (half the per-row limit)."""
        return 1.0 / self.row_max


def curvature(dataset, problem: str = "linear") -> Curvature:
    """The :class:`Curvature` of the loss on ``dataset`` (a :class:`gdcore.data.sources.Dataset`): the
    MSE's for ``problem="linear"``; for ``"logistic"`` the cross-entropy's largest possible one.

    The cross-entropy's Hessian is X̃ᵀ diag(σ(z)(1 - σ(z))) X̃ / n and σ(1 - σ) <= 1/4 (equal at
    z = 0, the zero start), so it never exceeds X̃ᵀX̃ / 4n: the MSE's Hessian over 8. Rates
    derived from that bound are stable everywhere, as the MSE's are; the curvature at the
    optimum is smaller, so they are on the safe side there."""
    lin = LinearRegression.from_dataset(dataset)
    eig = np.linalg.eigvalsh(lin.hessian())
    rows = 2.0 * (1.0 + np.einsum("ij,ij->i", lin.x, lin.x))
    if problem == "logistic":
        ref = LogisticRegression.from_dataset(dataset).reference
        # separable classes: no finite answer; the weights grow by about lr per step forever
        dist = float(np.linalg.norm(ref)) if ref is not None else 10.0
        return Curvature(n=lin.n, lam_max=float(eig[-1]) / 8,
                         lam_min=float(max(eig[0], 1e-300)) / 8,
                         row_max=float(rows.max()) / 8, distance=dist, problem="logistic")
    w, b = lin.least_squares
    return Curvature(n=lin.n, lam_max=float(eig[-1]), lam_min=float(max(eig[0], 1e-300)),
                     row_max=float(rows.max()),
                     distance=float(np.sqrt(float(w @ w) + b * b)))


def _sig(x: float, digits: int = 2) -> float:
    """``x`` rounded to ``digits`` significant figures (learning rates people can read)."""
    return float(f"{x:.{digits}g}")


def _run(name: str, lr: float, *, optimizer: str = "sgd", epochs: int = 50,
         batch_size: int | str = "full", **extra: Any) -> dict[str, Any]:
    # within the lab's limits (data near 1e150 would ask for 1e-300)
    lr = min(max(_sig(lr), LIMITS["lr"].low), LIMITS["lr"].high)
    opt = {"name": optimizer, "lr": lr, **extra.pop("opt", {})}
    return {"name": name, "batch_size": batch_size, "shuffle": True, "epochs": epochs,
            "seed": 0, "init": {"w": 0.0, "b": 0.0}, "optimizer": opt, **extra}


def _lr(c: Curvature) -> list[dict[str, Any]]:
    return [
        _run("lr too small", c.lr_good / 50),
        _run("lr about right", c.lr_good),
        # the cross-entropy's curvature falls away from the start: a rate just past the limit
        # settles after a bounce, so the too-large run is further past it there
        _run("lr too large", (1.25 if c.problem == "linear" else 4.0) * c.lr_stable),
    ]


def _batch(c: Curvature) -> list[dict[str, Any]]:
    lr = min(c.lr_good, c.lr_stochastic)
    epochs = max(1, min(30, MAX_STOCHASTIC_UPDATES // c.n))
    mini = max(2, min(32, c.n // 4))
    return [
        _run("batch (all rows)", lr, epochs=epochs),
        _run("stochastic (1 row)", lr, epochs=epochs, batch_size=1),
        _run(f"mini-batch ({mini} rows)", lr, epochs=epochs, batch_size=min(mini, c.n)),
    ]


def _optimizers(c: Curvature) -> list[dict[str, Any]]:
    epochs = 60
    step = min(_sig(max(c.distance, 1.0) / 20), 1e5)  # adaptive methods move about lr per step
    return [
        _run("SGD", c.lr_good, epochs=epochs),
        _run("Momentum", c.lr_good / 4, optimizer="momentum", epochs=epochs),
        _run("Nesterov", c.lr_good / 4, optimizer="nesterov", epochs=epochs),
        _run("Adagrad", 3 * step, optimizer="adagrad", epochs=epochs),
        _run("RMSprop", step / 2, optimizer="rmsprop", epochs=epochs),
        _run("Adam", step, optimizer="adam", epochs=epochs),
    ]


def _clipping(c: Curvature) -> list[dict[str, Any]]:
    big = 3.0 * c.lr_stable
    epochs = 80
    # Clipping bounds every step to lr * max_norm; a decaying schedule then brings the
    # learning rate under the stability limit, and the clipped run settles.
    max_norm = min(max(_sig(max(c.distance, 1.0) / (big * 10)), 1e-9), 1e12)
    decay = {"name": "exponential", "gamma": 0.95}
    return [
        _run("too large lr", big, epochs=epochs, schedule=decay),
        _run("too large lr + clipping", big, epochs=epochs, schedule=decay,
             clip={"name": "norm", "max_norm": max_norm}),
        _run("good lr (reference)", c.lr_good, epochs=epochs),
    ]


def _schedules(c: Curvature) -> list[dict[str, Any]]:
    epochs = max(10, min(40, MAX_STOCHASTIC_UPDATES // max(1, c.n // 8)))
    batch = max(1, min(8, c.n // 4))
    lr = min(c.lr_good, 2 * c.lr_stochastic)
    common = {"epochs": epochs, "batch_size": batch}
    return [
        _run("constant", lr, **common),
        _run("step decay", lr, **common,
             schedule={"name": "step", "step_size": max(1, epochs // 4), "gamma": 0.3}),
        _run("exponential", lr, **common, schedule={"name": "exponential", "gamma": 0.9}),
        _run("cosine", lr, **common, schedule={"name": "cosine", "T_max": epochs}),
        _run("warm-up", lr, **common,
             schedule={"name": "warmup", "start_factor": 0.1, "total_iters": max(1, epochs // 5)}),
    ]


def _methods(c: Curvature) -> list[dict[str, Any]]:
    epochs = 40
    return [
        _run("gradient descent", c.lr_good, epochs=epochs),
        # a first trial step well past the stable rate (no rate to tune): Armijo halves it at
        # every step until the loss falls enough, so the step it takes follows the surface.
        # c = 1/2 asks for half the decrease the slope promises: along the gradient of a
        # quadratic that accepts at most 1/curvature, no overshoot (the textbook c = 1e-4
        # accepts nearly 2/curvature, and zig-zags across a narrow valley)
        _run("line search (Armijo)", 4 * c.lr_stable, epochs=epochs,
             method={"name": "line_search", "c": 0.5}),
        _run("Newton", 1.0, epochs=epochs, method={"name": "newton"}),
    ]


@dataclass(frozen=True)
class Preset:
    title: str
    lesson: str
    runs: Callable[[Curvature], list[dict[str, Any]]]
    # the view that tells the lesson: the loss chart's x axis ("step", "epoch" or "samples"),
    # its y ("loss", or "excess": the loss above the best possible, on a log axis) and the
    # smoothing over noisy one-row or mini-batch curves (points averaged; 0 = none)
    view: Mapping[str, Any] = field(default_factory=lambda: {"x": "step", "y": "loss"})
    logistic_lesson: str | None = None  # when the lesson reads differently on the cross-entropy

    def lesson_for(self, problem: str) -> str:
        return self.logistic_lesson if problem == "logistic" and self.logistic_lesson \
            else self.lesson


PRESETS: dict[str, Preset] = {
    "lr": Preset("Learning rate: too small / right / too large",
                 "Too small crawls, about right (1/λmax) is fast, past 2/λmax it diverges.", _lr,
                 logistic_lesson="Too small crawls, about right (1/λmax at the start) is fast; "
                                 "well past 2/λmax the loss bounces. The cross-entropy flattens "
                                 "away from the start, so it seldom diverges outright."),
    "batch": Preset("Batch vs stochastic vs mini-batch",
                    "Same learning rate and epochs: one row per step is fast per epoch but noisy; "
                    "mini-batches sit in between. Shown per epoch, so runs that make very "
                    "different numbers of updates are compared over the same data.", _batch,
                    view={"x": "epoch", "y": "loss", "smooth": 20}),
    "optimizers": Preset("Optimizers race",
                         "SGD, momentum, Nesterov, Adagrad, RMSprop and Adam from the same start.",
                         _optimizers),
    "clipping": Preset("Clipping rescues a too-large learning rate",
                       "Same too-large learning rate and decay: without clipping the first steps "
                       "explode; with clipping every step stays bounded until the decay catches "
                       "up.", _clipping,
                       logistic_lesson="Same too-large learning rate and decay: the cross-entropy "
                                       "grows only linearly, so the unclipped run bounces rather "
                                       "than explodes; clipping keeps every step bounded."),
    "schedules": Preset("Schedules compared",
                        "Mini-batch SGD: a constant rate stalls at the noise; decaying schedules "
                        "settle closer to the minimum. Shown as the loss above the least-squares "
                        "loss, where the differences are visible.", _schedules,
                        view={"x": "epoch", "y": "excess", "smooth": 20}),
    "methods": Preset("Gradient descent vs line search vs Newton",
                      "The references plain gradient descent is measured against: a line search "
                      "picks each step's length (no rate to tune), Newton's method uses the "
                      "curvature (on the squared error one step lands on least squares). Shown "
                      "as the loss above the best possible.", _methods,
                      view={"x": "step", "y": "excess"}),
}


def build(key: str, *, data: Mapping[str, Any] | None = None, dataset=None,
          problem: str = "linear") -> dict[str, Any]:
    """The experiment dict of preset ``key`` on ``data`` (an experiment's data section,
    default: generated data) for ``problem`` ("linear" or "logistic"). Pass ``dataset`` when
    the data is already loaded (e.g. an upload); ``data`` is then only copied into the
    result."""
    if key not in PRESETS:
        raise ConfigError(f"preset: unknown name {key!r}; choose one of "
                          + ", ".join(map(repr, PRESETS)))
    if problem not in ("linear", "logistic"):
        raise ConfigError(f"preset: problem {problem!r} has no data; choose 'linear' or "
                          "'logistic'")
    data = dict(DEFAULT_DATA if data is None else data)
    if dataset is None:
        dataset = load_dataset(data, problem=problem)
    d = dataset.d
    init = {**({"w": 0.0} if d == 1 else {f"w{j + 1}": 0.0 for j in range(d)}), "b": 0.0}
    runs = [{**r, "init": init} for r in PRESETS[key].runs(curvature(dataset, problem))]
    exp = {"version": FORMAT_VERSION, "problem": problem, "data": data, "runs": runs}
    parse_experiment(exp)  # a preset is always a valid experiment
    return exp


# --- runs that suit the data ---------------------------------------------------------------------
SGD_FAMILY = ("sgd", "momentum", "nesterov")


def stable_lr(c: Curvature, optimizer: Mapping[str, Any], batch_size: Any) -> float | None:
    """The largest learning rate at which (plain, momentum or Nesterov) SGD is stable on data of
    curvature ``c``, or None for the adaptive optimizers (they have no such limit).

    Full batch: gradient descent on a quadratic with largest curvature λmax is stable for
    ``lr < 2/λmax``; heavy-ball momentum μ widens that to ``2(1 + μ)/λmax`` and Nesterov's to
    ``2(1 + μ)/((1 + 2μ) λmax)``. One row at a time, each update follows one row's curvature
    ``2(1 + |x_i|²)``, so the steepest row sets the limit; a mini-batch lies in between and is
    held to the full-batch limit (a slightly optimistic bound).
    """
    name = optimizer.get("name", "sgd")
    if name not in SGD_FAMILY:
        return None
    mu = float(optimizer.get("momentum", 0.9 if name != "sgd" else 0.0))
    curvature = c.row_max if batch_size == 1 else c.lam_max
    if name == "nesterov" or (name == "sgd" and optimizer.get("nesterov")):
        return 2.0 * (1.0 + mu) / ((1.0 + 2.0 * mu) * curvature)
    return 2.0 * (1.0 + mu) / curvature


def unstable_runs(c: Curvature, runs: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The runs whose learning rate is at or above :func:`stable_lr` for this data: one dict
    each with the run's name, lr, the limit and what the limit is."""
    out = []
    for run in runs:
        if (run.get("method") or {}).get("name", "gd") != "gd":
            continue  # a line search or Newton step: its lr is a first trial or a step scale
        opt = run.get("optimizer") or {}
        limit = stable_lr(c, opt, run.get("batch_size", "full"))
        lr = float(opt.get("lr", 0.0))
        if limit is not None and lr >= limit:
            what = ("2/λ for the steepest single row" if run.get("batch_size") == 1
                    else "2/λmax" if opt.get("name", "sgd") == "sgd" and not opt.get("momentum")
                    else "the momentum limit")
            out.append({"run": run.get("name", ""), "lr": lr, "limit": limit, "what": what})
    return out


def fit_learning_rates(runs: list[Mapping[str, Any]], new: Curvature,
                       old: Curvature | None = None) -> list[dict[str, Any]]:
    """The runs with learning rates that suit data of curvature ``new``.

    Knowing the curvature ``old`` the rates were chosen for, every rate is rescaled so each
    run keeps its place relative to the limits (a deliberately too-large rate stays too large):
    SGD-family rates by ``old.lam_max / new.lam_max`` (1/curvature is the natural step), the
    adaptive optimizers' by ``new.distance / old.distance`` (they move about lr per step).
    Without ``old``, only the unstable runs change, to the preset's "about right" rate (half
    their limit)."""
    out = []
    for run in runs:
        if (run.get("method") or {}).get("name", "gd") != "gd":
            out.append(dict(run))  # its step does not follow a learning rate's limits
            continue
        run = {**run, "optimizer": dict(run.get("optimizer") or {"name": "sgd"})}
        opt = run["optimizer"]
        lr = float(opt.get("lr", 0.01))
        limit = stable_lr(new, opt, run.get("batch_size", "full"))
        if old is not None:
            ratio = (old.lam_max / new.lam_max if limit is not None
                     else max(new.distance, 1e-12) / max(old.distance, 1e-12))
            opt["lr"] = _sig(min(max(lr * ratio, 1e-9), 1e6), 3)
        elif limit is not None and lr >= limit:
            opt["lr"] = _sig(max(limit / 2.0, 1e-9), 2)
        out.append(run)
    return out


def condition_note(c: Curvature) -> str | None:
    """A plain-words note when the loss surface is so elongated (λmax/λmin > 1e4, e.g. x in the
    hundreds) that plain gradient descent is hopeless without standardizing, else None."""
    kappa = c.lam_max / c.lam_min if c.lam_min > 0 else float("inf")
    if kappa <= 1e4:
        return None
    if not np.isfinite(kappa) or kappa > 1e15:  # flat to rounding: no ratio worth printing
        return ("The loss surface of this data has a direction that is flat to rounding "
                "(λmin ≈ 0): the x columns are (nearly) collinear or one is (nearly) constant, "
                "so many weights fit equally well and gradient descent drifts along that "
                f"direction (stable below 2/λmax = {2 / c.lam_max:.3g}). Drop a column that "
                "repeats another, then standardize x and y (z-scores).")
    times = f"{float(f'{kappa:.2g}'):,.0f}" if kappa < 1e9 else f"{kappa:.1e}"
    return (f"The loss surface of this data is a long, narrow valley: its steepest direction is "
            f"about {times} times steeper than its flattest (λmax/λmin). Any learning rate "
            f"small enough to be stable (below 2/λmax = {2 / c.lam_max:.3g}) crawls along the "
            f"valley, so plain gradient descent needs about that many steps. Standardizing x and "
            "y (z-scores) makes the valley round.")


def lr_floor_note(c: Curvature) -> str | None:
    """A note when this data needs learning rates below the smallest the lab holds
    (``LIMITS["lr"].low``, 1e-9): ISLR's Default (balance ~ income, unstandardized) has
    1/λmax = 3.8e-10, so every run was held at 1e-9, above its stability limit, and all of
    them diverged together. None when the rates fit."""
    floor = LIMITS["lr"].low
    if c.lr_good >= floor:
        return None
    shown = f"{floor:.0e}".replace("e-0", "e-")  # 1e-9
    return (f"This data needs learning rates below {shown}, the smallest the lab holds: "
            f"1/λmax = {c.lr_good:.2g} (stable below 2/λmax = {c.lr_stable:.2g}), because its "
            "columns are in the thousands or more. Every run is held at the floor, above its "
            "limit, so they all diverge alike. Standardize x and y (z-scores): the rates then "
            "come out near 1.")


@dataclass(frozen=True)
class Shortfall:
    """The runs that did not diverge all ended far from the reference: ``closest`` ended
    ``distance`` away after starting ``start`` away; ``flipped`` names the parameters whose
    sign is opposite the reference's at the end (a fitted line that rises where the data
    falls)."""

    closest: str
    distance: float
    start: float
    flipped: tuple[tuple[str, float, float], ...]  # (parameter, the run's value, reference)


def _start(init, names: list[str]) -> np.ndarray:
    """A run's starting point over ``names`` (``init`` as a setup gives it; None: zeros)."""
    if init is None:
        return np.zeros(len(names))
    if isinstance(init, Mapping):
        return np.array([float(init.get(n, 0.0)) for n in names])
    values = np.asarray(init, dtype=float).ravel()
    return values if len(values) == len(names) else np.zeros(len(names))


#: Runs "end far from the reference" when the closest is still this share of its start away.
FAR = 0.1


def shortfall(runs, reference: dict[str, float]) -> Shortfall | None:
    """A :class:`Shortfall` when every run that did not diverge ended more than ``FAR`` of
    its starting distance from ``reference`` (least squares, the optimum), else None (no
    reference, no such run, or one that came close). ``runs``: the engine's RunResults."""
    if not reference:
        return None
    names = list(reference)
    ref = np.array([reference[n] for n in names], dtype=float)
    best = None
    for r in runs:
        if r.status == "diverged" or not np.isfinite(r.distance):
            continue
        start = float(np.linalg.norm(_start(r.config.init, names) - ref))
        if start == 0 or r.distance <= FAR * start:
            return None
        if best is None or r.distance / start < best[1] / best[2]:
            best = (r, r.distance, start)
    if best is None:
        return None
    r, distance, start = best
    flipped = tuple((n, float(r.params[n]), float(reference[n])) for n in names
                    if n != "b" and n in r.params and r.params[n] * reference[n] < 0
                    and abs(reference[n]) > 1e-12)
    return Shortfall(r.name, distance, start, flipped)
