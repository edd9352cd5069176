"""Every run over many seeds: the repeats of a run, paired across runs, and what they add up to.

A stochastic or mini-batch run is one draw of the row order; a batch run from one start point
is one draw of where it starts. An experiment with ``repeats`` (``gdcore.RepeatConfig``) runs
every run ``n`` times:

* repeat ``j`` of a run with seed ``s`` shuffles its rows with :func:`repeat_seed` ``(s, j)``
  (repeat 0 is the run itself: seed ``s``), when ``vary`` holds "shuffle";
* when ``vary`` holds "init", repeat ``j`` starts at the run's start point plus independent
  normal draws of standard deviation ``init_spread``, one per parameter, drawn from a
  generator seeded by that repeat's seed (numpy's PCG64, the same on every platform).

So repeats are **paired**: repeat ``j`` of two runs with the same seed sees the same row order
and the same start offsets, and run A is compared with run B on common random numbers
(:func:`gdcore.engine.stats.verdict` compares repeat j with repeat j). Each repeat is an ordinary run
config (:func:`repeat_configs`): it runs on either loop exactly as that run would, and is kept
and shared like any other run. ``gdcore.engine.runner.run_repeats`` runs them together: on the
compiled loop along one seed axis (``bridge.execute_repeats``: one kernel call per core, each
over its share of the repeats, every history in one block and one frame), bit for bit the runs
alone; on the interpreter one after another.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..limits import SEED
from ..spec.config import RepeatConfig, RunConfig
from .plan import initial_point
from .rng import draws

SEED_SPAN = int(SEED.high) + 1  # repeat seeds stay valid seeds


def repeat_seed(seed: int, j: int) -> int:
    """The seed of repeat ``j`` of a run whose seed is ``seed``: ``seed`` itself for j = 0,
    else a splitmix64 draw of (seed, j) (distinct repeats get unrelated row orders, not the
    neighbouring seeds of one another)."""
    if j == 0:
        return int(seed)
    return int(draws((int(seed) << 32) | int(j), 1)[0]) % SEED_SPAN


def start_offsets(seed: int, dim: int, spread: float) -> np.ndarray:
    """The start point's offsets of the repeat whose seed is ``seed``: ``dim`` normal draws of
    standard deviation ``spread`` (zeros when ``spread`` is 0)."""
    if spread == 0.0:
        return np.zeros(dim)
    return spread * np.random.Generator(np.random.PCG64([int(seed), 0x1E17])).standard_normal(dim)


def repeat_configs(cfg: RunConfig, spec: RepeatConfig, problem) -> list[RunConfig]:
    """The ``spec.n`` run configs of ``cfg``'s repeats on ``problem`` (repeat 0 first). A
    repeat's seed changes its row order only when "shuffle" varies; its start point only when
    "init" varies (then its ``init`` holds every parameter's start)."""
    out = []
    names = tuple(problem.param_names)
    base = np.asarray(initial_point(cfg, problem), dtype=float) if "init" in spec.vary else None
    for j in range(spec.n):
        seed = repeat_seed(cfg.seed, j)
        changes: dict = {"seed": seed if "shuffle" in spec.vary else cfg.seed}
        if base is not None and spec.init_spread > 0.0:
            start = base + start_offsets(seed, len(names), spec.init_spread)
            changes["init"] = {nm: float(v) for nm, v in zip(names, start)}
        out.append(dataclasses.replace(cfg, **changes))
    return out


def quantiles(values: Sequence[float], qs: Sequence[float] = (0.1, 0.5, 0.9)) -> list[float]:
    """Quantiles of ``values`` (linear interpolation, as numpy's default) among the finite
    ones; NaN where there are none."""
    v = np.asarray([x for x in values if np.isfinite(x)], dtype=float)
    if not v.size:
        return [float("nan")] * len(qs)
    return [float(q) for q in np.quantile(v, qs)]


@dataclass(frozen=True)
class Spread:
    """What a run's repeats did: final loss median and 10-90 % range (of the repeats that did
    not diverge), how many diverged, converged (and their median steps to converge)."""

    n: int
    final_median: float
    final_low: float  # 10 % quantile
    final_high: float  # 90 % quantile
    diverged: int
    converged: int  # repeats with a steps-to-converge
    steps_median: float  # median steps to converge of those (NaN if none)
    distance_median: float

    def diverged_text(self) -> str:
        return f"diverged in {self.diverged} of {self.n} seeds" if self.diverged else ""


def spread(results: Sequence) -> Spread:
    """The :class:`Spread` of one run's repeats (``gdcore.RunResult`` objects)."""
    ok = [r for r in results if r.status != "diverged"]
    lo, med, hi = quantiles([r.final_loss for r in ok])
    steps = [r.steps_to_converge for r in results if r.steps_to_converge is not None]
    return Spread(n=len(results), final_median=med, final_low=lo, final_high=hi,
                  diverged=len(results) - len(ok), converged=len(steps),
                  steps_median=float(np.median(steps)) if steps else float("nan"),
                  distance_median=quantiles([r.distance for r in ok], (0.5,))[0])
