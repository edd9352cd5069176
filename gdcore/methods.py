"""Reference methods beside gradient descent: what plain gradient descent is measured against.

* **Backtracking line search (Armijo).** From the point p with gradient g, try the step
  t = t0 along d = -g and shrink it (t <- shrink t) until the loss has fallen enough:

      L(p + t d) <= L(p) + c t gᵀd          (the sufficient-decrease condition, c in (0, 1))

  so the step adapts to the curvature where it is taken: no learning rate to tune.
* **Newton's method.** Step along d = -H⁻¹ g, H the Hessian (the curvature in every direction):
  on a quadratic it lands on the minimum in one step. Where H is not positive definite (a
  saddle, a hilltop) the plain Newton step can go uphill, so the step is *damped*:
  H + μ I with μ = max(0, δ - λmin(H)) makes every curvature at least δ (Levenberg's fix).

Both run on the whole data (a line search on one noisy row, or a Newton step from one row's
curvature, would be another method). ``gdcore.loop`` calls these functions for runs whose
``method`` is "line_search" or "newton"; the landscape page calls :func:`armijo` itself to
show each step's trial points.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

GD, LINE_SEARCH, NEWTON = "gd", "line_search", "newton"
METHODS = (GD, LINE_SEARCH, NEWTON)
TITLES = {GD: "gradient descent (the optimizer)", LINE_SEARCH: "line search (Armijo)",
          NEWTON: "Newton's method"}
DEFAULTS = {GD: {}, LINE_SEARCH: {"c": 1e-4, "shrink": 0.5, "max_trials": 40},
            NEWTON: {"min_curvature": 1e-6}}


class Hyper(NamedTuple):
    """A run's method and its settings (the learning rate is the first step / step scale)."""

    name: str = GD
    c: float = 1e-4  # Armijo's sufficient-decrease constant
    shrink: float = 0.5  # how a rejected trial step is cut
    max_trials: int = 40  # trials per step before giving up (the last trial is taken)
    min_curvature: float = 1e-6  # Newton: damp the Hessian so no curvature is below this


class Trial(NamedTuple):
    step: float  # t
    params: tuple  # p + t d
    loss: float
    accepted: bool


def armijo(objective: Callable[[Sequence[float]], float], p: Sequence[float], loss: float,
           g: Sequence[float], t0: float, hp: Hyper) -> tuple[list[float], float, list[Trial]]:
    """One backtracking step from ``p`` (loss ``loss``, gradient ``g``) along -g, starting at
    step ``t0``: (new point, accepted step, every trial). A non-finite trial loss counts as not
    enough decrease. After ``max_trials`` the last (smallest) trial is taken."""
    slope = -sum(gj * gj for gj in g)  # gᵀd with d = -g
    t = t0
    trials: list[Trial] = []
    for k in range(hp.max_trials):
        q = [pj - t * gj for pj, gj in zip(p, g)]
        lq = objective(q)
        ok = bool(np.isfinite(lq)) and lq <= loss + hp.c * t * slope
        trials.append(Trial(t, tuple(q), float(lq), ok))
        if ok or k == hp.max_trials - 1:
            return q, t, trials
        t *= hp.shrink
    raise AssertionError("unreachable")  # pragma: no cover


def newton_direction(hessian: np.ndarray, g: Sequence[float],
                     min_curvature: float) -> tuple[list[float], float]:
    """d = -(H + μ I)⁻¹ g with μ = max(0, min_curvature - λmin(H)): (d, μ). μ = 0 is the plain
    Newton step (H positive definite enough)."""
    h = np.atleast_2d(np.asarray(hessian, dtype=float))
    h = 0.5 * (h + h.T)
    lam_min = float(np.linalg.eigvalsh(h)[0])
    mu = max(0.0, min_curvature - lam_min)
    d = -np.linalg.solve(h + mu * np.eye(h.shape[0]), np.asarray(g, dtype=float))
    return d.tolist(), mu


def eigen(hessian: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Hessian's eigenvalues (ascending) and eigenvectors (columns): the curvatures along
    the principal directions at a point."""
    h = np.atleast_2d(np.asarray(hessian, dtype=float))
    return np.linalg.eigh(0.5 * (h + h.T))
