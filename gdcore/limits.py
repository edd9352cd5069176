"""One set of limits for every way a setup arrives: the editor's widgets, a shared link, an
imported JSON file and the command line all check against this table, so a value one of them
accepts, every other one can show.

    LIMITS["lr"]                       # Bound(low=1e-9, high=1e6)
    check("lr", 0.1, "runs[0].optimizer.lr")
    budget_problem(exp, n_rows)        # None, or why an experiment is too much work

Why these numbers: a browser's number widgets hold integers up to 2^53 and Streamlit refuses
values outside a widget's range, so every bound here is one a widget can show; a seed is a
32-bit value (what the editor offers); the remaining bounds are far past anything useful yet
keep every product of two values finite (e.g. |init| <= 1e6, lr <= 1e6).

**The work budget.** A run's cost is counted before it starts, in *row visits*: each update
touches the rows of its batch (a full batch costs one: its gradient comes from the data's
moments), each shuffled epoch touches every row once more. Logistic regression's full-data loss
has no such summary: each of its updates also reads every row (and a line search or Newton
step on it reads them once more). An experiment may do at most
``MAX_UPDATES`` updates and ``MAX_ROW_VISITS`` row visits in total (about 3 s on the compiled
accelerator, a minute or two on the interpreter loop with a progress bar and a Stop button).
History memory is bounded by ``MAX_RUNS × max_points`` rows. The CLI's ``--force`` skips the
budget (not the field limits) for people who mean it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .errors import ConfigError


@dataclass(frozen=True)
class Bound:
    """low <= value <= high (``low_open``: low < value; ``high_open``: value < high)."""

    low: float
    high: float
    integer: bool = False
    low_open: bool = False
    high_open: bool = False

    def describe(self) -> str:
        lo, hi = _num(self.low), _num(self.high)
        if self.integer:
            return f"a whole number from {lo} to {hi}"
        left = "greater than" if self.low_open else "from"
        right = "and less than" if self.high_open else "to"
        if self.low_open and not self.high_open:
            return f"a number greater than {lo} and at most {hi}"
        return f"a number {left} {lo} {right} {hi}"

    def contains(self, v: float) -> bool:
        if not math.isfinite(v):
            return False
        if v < self.low or (self.low_open and v == self.low):
            return False
        return not (v > self.high or (self.high_open and v == self.high))


SEED = Bound(0, 2**31 - 1, integer=True)
MAX_RUNS = 16
MAX_ROWS = 1_000_000  # rows of any data set (generated, sample, uploaded, CLI)
MAX_UPDATES = 20_000_000  # updates per experiment (all runs together)
MAX_ROW_VISITS = 200_000_000  # rows touched per experiment (all runs together)

LIMITS: dict[str, Bound] = {
    # a run
    "epochs": Bound(1, 100_000, integer=True),
    "batch_size": Bound(1, MAX_ROWS, integer=True),
    "seed": SEED,
    "init": Bound(-1e6, 1e6),
    "max_points": Bound(2, 20_000, integer=True),
    "h": Bound(0.0, 1.0, low_open=True),
    "tol_grad": Bound(0.0, 1e6),
    "tol_loss": Bound(0.0, 1.0),
    "divergence_factor": Bound(1.0, 1e300, low_open=True),
    # optimizers
    "lr": Bound(1e-9, 1e6),
    "momentum": Bound(0.0, 1.0, high_open=True),
    "dampening": Bound(0.0, 1.0),
    "weight_decay": Bound(0.0, 1e3),
    "lr_decay": Bound(0.0, 1e3),
    "initial_accumulator_value": Bound(0.0, 1e6),
    "eps": Bound(0.0, 1.0, low_open=True),
    "alpha": Bound(0.0, 1.0, high_open=True),
    "beta": Bound(0.0, 1.0, high_open=True),  # each of Adam's betas
    # schedules
    "step_size": Bound(1, 10_000_000, integer=True),
    "gamma": Bound(0.0, 10.0, low_open=True),
    "milestone": Bound(0, 10_000_000, integer=True),
    "k": Bound(0.0, 1e6),
    "T_max": Bound(1, 10_000_000, integer=True),
    "eta_min": Bound(0.0, 1e6),
    "start_factor": Bound(0.0, 1.0, low_open=True),
    "total_iters": Bound(1, 10_000_000, integer=True),
    "factor": Bound(0.0, 1.0, low_open=True, high_open=True),
    "patience": Bound(0, 10_000_000, integer=True),
    "threshold": Bound(0.0, 1.0),
    "cooldown": Bound(0, 10_000_000, integer=True),
    "min_lr": Bound(0.0, 1e6),
    # reference methods (gdcore.methods)
    "c": Bound(0.0, 1.0, low_open=True, high_open=True),
    "shrink": Bound(0.0, 1.0, low_open=True, high_open=True),
    "max_trials": Bound(1, 1000, integer=True),
    "min_curvature": Bound(0.0, 1e6),
    # clipping
    "clip_value": Bound(0.0, 1e12, low_open=True),
    "max_norm": Bound(0.0, 1e12, low_open=True),
    # generated data
    "n": Bound(2, MAX_ROWS, integer=True),
    "slope": Bound(-1e6, 1e6),
    "intercept": Bound(-1e6, 1e6),
    "noise": Bound(0.0, 1e6),
    "x_mean": Bound(-1e6, 1e6),
    "x_spread": Bound(0.0, 1e6, low_open=True),
    "outliers": Bound(0.0, 0.5),
    # generated classes (data source "classes"; n and seed as above)
    "features": Bound(1, 2, integer=True),
    "separation": Bound(0.0, 100.0),  # distance of the class means, in units of the noise
    "balance": Bound(0.0, 1.0, low_open=True, high_open=True),  # share of class 1
}
MAX_MILESTONES = 20


def check(name: str, value: Any, where: str) -> float | int:
    """``value`` as the number the table allows for ``name``, or a ConfigError naming ``where``,
    the value and the allowed range."""
    bound = LIMITS[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        kind = "a whole number" if bound.integer else "a number"
        raise ConfigError(f"{where}: expected {kind}, got {_short(value)}")
    if bound.integer:
        if isinstance(value, float):
            if not value.is_integer():
                raise ConfigError(f"{where}: expected a whole number, got {_short(value)}")
            value = int(value)
        if not bound.low <= value <= bound.high:
            raise ConfigError(f"{where}: must be {bound.describe()}, got {_short(value)}")
        return int(value)
    v = float(value) if abs(value) < 1e308 or isinstance(value, float) else math.inf
    if not bound.contains(v):
        raise ConfigError(f"{where}: must be {bound.describe()}, got {_short(value)}")
    return v


def _num(x: float) -> str:
    """1,000,000 / 0.5 / 1e-9 / 1e300: a bound as people write it."""
    if float(x).is_integer() and abs(x) < 1e7:
        return f"{int(x):,}"
    return f"{x:g}".replace("e-0", "e-").replace("e+0", "e").replace("e+", "e")


def _short(value: Any) -> str:
    """A value for a message, cut to a readable length (a 5,000-digit number stays short)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        digits = f"{len(str(abs(value))):,}" if value.bit_length() < 14_000 else "thousands of"
        return f"a number with {digits} digits"
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}…{text[-8:]} ({len(text):,} characters)"


# --- the work budget -------------------------------------------------------------------------
@dataclass(frozen=True)
class Work:
    updates: int
    row_visits: int

    def __add__(self, other: Work) -> Work:
        return Work(self.updates + other.updates, self.row_visits + other.row_visits)


def run_work(n_rows: int, batch_size: int | None, epochs: int, shuffle: bool, *,
             passes: int = 0) -> Work:
    """Updates and row visits of one run if it runs to the end (see the module docstring).
    ``passes``: full passes over the rows each update makes besides its batch (the
    cross-entropy's full-data loss has no summary of the data: 1; a line search or Newton step
    on it, one more for its trial or its Hessian: 2)."""
    batch = n_rows if batch_size is None else min(batch_size, n_rows)
    per_epoch = -(-n_rows // batch)
    updates = epochs * per_epoch
    full = batch >= n_rows
    visits = updates * (1 if full else batch) + (epochs * n_rows if shuffle and not full else 0)
    return Work(updates, visits + updates * passes * n_rows)


def budget_problem(work: Work) -> str | None:
    """Why ``work`` (an experiment's total) is over the budget, with how to shrink it, or None."""
    if work.updates > MAX_UPDATES:
        return (f"this setup makes {work.updates:,} updates in all, more than the limit of "
                f"{MAX_UPDATES:,}: use fewer epochs, a larger batch or fewer runs")
    if work.row_visits > MAX_ROW_VISITS:
        return (f"this setup reads {work.row_visits:,} rows in all, more than the limit of "
                f"{MAX_ROW_VISITS:,}: use fewer epochs, smaller batches, fewer runs or less data")
    return None
