"""Reference methods beside gradient descent: what plain gradient descent is measured against.

* **Backtracking line search (Armijo).** From the point p with gradient g, try the step
  t = t0 along d = -g and shrink it (t <- shrink t) until the loss has fallen enough:

      L(p + t d) <= L(p) + c t gᵀd          (the sufficient-decrease condition, c in (0, 1))

  so the step adapts to the curvature where it is taken: no learning rate to tune.
* **Newton's method.** Step along d = -H⁻¹ g, H the Hessian (the curvature in every direction):
  on a quadratic it lands on the minimum in one step. Where H is not positive definite (a
  saddle, a hilltop) the plain Newton step can go uphill, towards the saddle, so the curvature
  is *modified*: with H = V diag(λ) Vᵀ, the direction is d = -V diag(1 / max(|λ|, δ)) Vᵀ g, each
  curvature by its size (a negative one turned round, so the step goes down the slope it
  curves away along, as far as that curvature suggests; a tiny one floored at δ). Where H is
  positive definite enough (every λ >= δ) that is the plain Newton direction. The step is then
  *damped* by the same backtracking as the line search, from t = lr (1: the full step) along
  d: a step that does not lower the loss enough is halved. Near a minimum the full step passes
  (Newton's fast convergence is kept); far from one, or near an inflection where |λ| is small
  and d is long, the step shrinks instead of flying off (Boyd & Vandenberghe, "Convex
  Optimization", 9.5: the damped Newton method; Nocedal & Wright, 3.4, for the modified
  Hessian).

Both run on the whole data (a line search on one noisy row, or a Newton step from one row's
curvature, would be another method). ``gdcore.engine.loop`` calls these functions for runs whose
``method`` is "line_search" or "newton"; the landscape page calls :func:`armijo` itself to
show each step's trial points.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from ..limits import Bound, declare

GD, LINE_SEARCH, NEWTON = "gd", "line_search", "newton"
METHODS = (GD, LINE_SEARCH, NEWTON)
TITLES = {GD: "gradient descent (the optimizer)", LINE_SEARCH: "line search (Armijo)",
          NEWTON: "Newton's method"}
DEFAULTS = {GD: {}, LINE_SEARCH: {"c": 1e-4, "shrink": 0.5, "max_trials": 40},
            NEWTON: {"min_curvature": 1e-6, "c": 1e-4, "shrink": 0.5, "max_trials": 40}}


#: The reference methods' settings: title and values (``gdcore.limits.declare``).
PARAMS = declare({
    "c": ("Sufficient decrease c", Bound(0.0, 1.0, low_open=True, high_open=True)),
    "shrink": ("Shrink factor", Bound(0.0, 1.0, low_open=True, high_open=True)),
    "max_trials": ("Trials per step", Bound(1, 1000, integer=True)),
    "min_curvature": ("Smallest curvature kept", Bound(0.0, 1e6)),
})

ROUNDING = 4 * 2.0**-52  # a few units in the last place of a float64 loss


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
           g: Sequence[float], t0: float, hp: Hyper,
           direction: Sequence[float] | None = None,
           slack: float = 0.0) -> tuple[list[float], float, list[Trial]]:
    """One backtracking step from ``p`` (loss ``loss``, gradient ``g``) along ``direction``
    (default -g, steepest descent; it must go downhill: gᵀd < 0), starting at step ``t0``:
    (new point, accepted step, every trial). A non-finite trial loss counts as not enough
    decrease. After ``max_trials`` the last (smallest) trial is taken.

    ``slack`` (relative to the loss) is a change the condition overlooks on the first trial
    when it is at most the full step (``t0 <= 1``). Newton's method passes :data:`ROUNDING`:
    next to a minimum the gain of a full Newton step falls below the loss's own rounding and
    cannot be measured, and the step, which the quadratic model trusts there, is taken
    rather than shrunk to nothing. The line search passes 0: its
    steepest-descent trial has no such model behind it."""
    d = [-gj for gj in g] if direction is None else list(direction)
    slope = sum(gj * dj for gj, dj in zip(g, d))  # gᵀd: the loss's rate of change along d
    t = t0
    trials: list[Trial] = []
    for k in range(hp.max_trials):
        q = [pj + t * dj for pj, dj in zip(p, d)]
        lq = objective(q)
        # the slack is for the step the quadratic model trusts: the first trial, at most the
        # full step (a step scale above 1 overshoots on purpose: no model vouches for it)
        extra = slack * abs(loss) if k == 0 and t0 <= 1.0 else 0.0
        ok = bool(np.isfinite(lq)) and lq <= loss + hp.c * t * slope + extra
        trials.append(Trial(t, tuple(q), float(lq), ok))
        if ok or k == hp.max_trials - 1:
            return q, t, trials
        t *= hp.shrink
    raise AssertionError("unreachable")  # pragma: no cover


def newton_direction(hessian: np.ndarray, g: Sequence[float],
                     min_curvature: float) -> tuple[list[float], int]:
    """d = -V diag(1 / max(|λ|, δ)) Vᵀ g for H = V diag(λ) Vᵀ and δ = ``min_curvature``:
    (d, how many curvatures were changed: turned round or floored). 0 changed is the plain
    Newton step -H⁻¹ g. d goes downhill wherever g ≠ 0 (every modified curvature is > 0)."""
    lam, vec = eigen(hessian)
    size = np.maximum(np.abs(lam), min_curvature)
    changed = int(np.count_nonzero(size != lam))
    d = -(vec @ ((vec.T @ np.asarray(g, dtype=float)) / size))
    return d.tolist(), changed


def eigen(hessian: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Hessian's eigenvalues (ascending) and eigenvectors (columns): the curvatures along
    the principal directions at a point."""
    h = np.atleast_2d(np.asarray(hessian, dtype=float))
    return np.linalg.eigh(0.5 * (h + h.T))


class Conditioning(NamedTuple):
    """What a Hessian's eigenvalues say about plain gradient descent at a point."""

    lam_max: float  # the steepest curvature
    lam_min: float  # the flattest (<= 0: not a minimum there)
    kappa: float  # λmax / λmin, the condition number (inf when λmin <= 0)
    lr_limit: float  # 2 / λmax: gradient descent with a larger rate diverges (on a quadratic)

    @property
    def steps_per_efold(self) -> float:
        """Updates at lr = 1/λmax that shrink the error along the flattest direction by a
        factor e: the error there falls by (1 - λmin/λmax) per update, so about κ of them."""
        if not self.kappa < math.inf or self.kappa <= 1.0:
            return math.inf if not self.kappa < math.inf else 1.0
        return -1.0 / math.log1p(-1.0 / self.kappa)

    @property
    def updates_per_efold(self) -> float:
        """:attr:`steps_per_efold` as a count of updates: at least one (an error shrunk by e
        within the first update still took that update)."""
        return max(1.0, self.steps_per_efold)


def conditioning(hessian: np.ndarray) -> Conditioning:
    """The :class:`Conditioning` of a (symmetric) Hessian."""
    lam = eigen(hessian)[0]
    lo, hi = float(lam[0]), float(lam[-1])
    kappa = hi / lo if lo > 0 else math.inf
    return Conditioning(hi, lo, kappa, 2.0 / hi if hi > 0 else math.inf)
