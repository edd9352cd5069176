"""Is the difference between two runs real? The paired comparison of their repeats.

Repeat ``j`` of run A and repeat ``j`` of run B saw the same row order and start (paired seeds,
:mod:`gdcore.engine.repeats`), so the comparison is made on the differences ``d_j = loss_A,j -
loss_B,j`` of their final losses:

* an **exact sign test**: of the non-zero differences, how many favour A; the two-sided
  p-value is the binomial probability of a split at least that uneven under a fair coin
  (``scipy.stats.binomtest(k, n, 0.5)``, computed here with exact integers);
* a **bootstrap interval** of the median difference: the differences resampled with
  replacement ``resamples`` times (a seeded generator: the same data give the same interval),
  the 2.5 % and 97.5 % quantiles of the resampled medians (the percentile method, as
  ``scipy.stats.bootstrap(..., method="percentile")``).

A diverged repeat counts as worse than any that did not (its difference is ±inf); two
diverged repeats tie. The verdict says "no clear difference" when the interval holds 0 (or the
sign test's p-value is above 0.05), and that one seed cannot tell. What it does not claim: the
runs are compared on these seeds and this data only; 20 seeds detect a large, consistent
difference, not a small one; and the p-value is not corrected for comparing many pairs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

LEVEL = 0.95
RESAMPLES = 10_000
ALPHA = 0.05


def paired_differences(a: Sequence[float], b: Sequence[float], a_diverged: Sequence[bool],
                       b_diverged: Sequence[bool]) -> np.ndarray:
    """``a_j - b_j`` with a diverged repeat as +inf (both diverged: 0, a tie)."""
    if not len(a) == len(b) == len(a_diverged) == len(b_diverged):
        raise ValueError("paired repeats: both runs need the same number of repeats")
    out = []
    for x, y, dx, dy in zip(a, b, a_diverged, b_diverged):
        dx = bool(dx) or not math.isfinite(x)
        dy = bool(dy) or not math.isfinite(y)
        out.append(0.0 if dx and dy else math.inf if dx else -math.inf if dy else x - y)
    return np.asarray(out, dtype=float)


def sign_test(diffs: Sequence[float]) -> tuple[int, int, float]:
    """(k, n, p): of the ``n`` non-zero differences, ``k`` are negative (favour the first run);
    ``p`` the exact two-sided binomial p-value (1.0 when n = 0)."""
    d = np.asarray(diffs, dtype=float)
    k, n = int((d < 0).sum()), int((d != 0).sum())
    if n == 0:
        return 0, 0, 1.0
    # two-sided, as scipy: the probability of every outcome no more likely than the one seen
    probs = [math.comb(n, i) for i in range(n + 1)]
    seen = probs[k]
    total = sum(p for p in probs if p <= seen * (1 + 1e-7))
    return k, n, min(1.0, total / 2 ** n)


def bootstrap_median(diffs: Sequence[float], *, level: float = LEVEL,
                     resamples: int = RESAMPLES, seed: int = 0) -> tuple[float, float]:
    """The percentile-bootstrap interval of the median of ``diffs``."""
    d = np.asarray(diffs, dtype=float)
    if d.size == 0:
        return float("nan"), float("nan")
    rng = np.random.Generator(np.random.PCG64(seed))
    idx = rng.integers(0, d.size, size=(resamples, d.size))
    medians = np.median(d[idx], axis=1)
    tail = (1.0 - level) / 2
    lo, hi = np.quantile(medians, [tail, 1.0 - tail])
    return float(lo), float(hi)


@dataclass(frozen=True)
class Verdict:
    """The paired comparison of run ``a`` with run ``b``, and a sentence saying what it shows."""

    a: str
    b: str
    n: int  # paired repeats
    a_better: int  # repeats in which a ended lower
    b_better: int
    median_diff: float  # median of loss_a - loss_b
    low: float
    high: float
    p_value: float
    clear: bool  # a real difference (the interval excludes 0 and p < ALPHA)
    text: str


def _num(x: float) -> str:
    return "∞" if x == math.inf else "−∞" if x == -math.inf else f"{x:.3g}"


def verdict(a: str, b: str, losses_a: Sequence[float], losses_b: Sequence[float], *,
            diverged_a: Sequence[bool] | None = None, diverged_b: Sequence[bool] | None = None,
            paired: bool = True) -> Verdict:
    """Compare runs ``a`` and ``b`` on their repeats' final losses (lower is better)."""
    n = len(losses_a)
    da = diverged_a if diverged_a is not None else [False] * n
    db = diverged_b if diverged_b is not None else [False] * len(losses_b)
    d = paired_differences(losses_a, losses_b, da, db)
    k, m, p = sign_test(d)
    b_better = m - k
    med = float(np.median(d)) if n else float("nan")
    lo, hi = bootstrap_median(d)
    if not paired:
        text = (f"{a} and {b} have different seeds, so their repeats are not paired: give "
                "them the same seed to compare them.")
        return Verdict(a, b, n, k, b_better, med, lo, hi, p, False, text)
    if n < 2:
        text = ("One seed cannot tell whether a difference is real: run 10 or more paired "
                "seeds.")
        return Verdict(a, b, n, k, b_better, med, lo, hi, p, False, text)
    clear = p < ALPHA and not (lo <= 0.0 <= hi)
    ties = n - m
    tie_text = f" ({ties} tied)" if ties else ""
    if clear:
        winner, wins = (a, k) if med < 0 else (b, b_better)
        loser = b if winner == a else a
        text = (f"{winner} ended lower than {loser} in {wins} of {n} paired seeds{tie_text}; "
                f"median difference {_num(abs(med))} (95 % interval {_num(min(abs(lo), abs(hi)))}"
                f" to {_num(max(abs(lo), abs(hi)))}; sign test p = {p:.2g}).")
    else:
        text = (f"No clear difference between {a} and {b}: {a} ended lower in {k} of {n} "
                f"paired seeds{tie_text}; median difference {_num(med)} (95 % interval "
                f"{_num(lo)} to {_num(hi)}, which holds 0; sign test p = {p:.2g}).")
    return Verdict(a, b, n, k, b_better, med, lo, hi, p, clear, text)
