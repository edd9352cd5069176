"""One set of limits for every way a setup arrives: the editor's widgets, a shared link, an
imported JSON file and the command line all check against this table, so a value one of them
accepts, every other one can show.

    LIMITS["lr"]                       # Bound(low=1e-9, high=1e6)
    check("lr", 0.1, "runs[0].optimizer.lr")
    budget_problem(work)               # None, or why an experiment is too much work
    run_seconds(RunShape(...))         # a run's estimated interpreter time

Why these numbers: a browser's number widgets hold integers up to 2^53 and Streamlit refuses
values outside a widget's range, so every bound here is one a widget can show; a seed is a
32-bit value (what the editor offers); the remaining bounds are far past anything useful yet
keep every product of two values finite (e.g. |init| <= 1e6, lr <= 1e6).

**The work budget** is a time: an experiment may take at most ``MAX_SECONDS`` (a minute) on
the interpreter loop (``gdcore.engine.loop``, the path that always works; the compiled accelerator is
faster), estimated before it starts from what each update really computes
(:func:`update_us`): its own steps per parameter; its gradient (a mini-batch's reads the batch
rows; a full batch's MSE comes from the data's moments in O(features²); a numeric gradient
computes the batch loss 2 × parameters + 1 times; a sequential update once per parameter); the
full-data loss it records (the cross-entropy's is a pass over every row); every trial a line
search or damped Newton step may make (each another full-data loss) and Newton's Hessian; and
each shuffled epoch's pass over the rows. The constants were measured on the project machine
(see them below; ``python -m bench.run --only T`` compares the estimate with measured runs).
Two counts stay as coarse caps beside it: at most ``MAX_UPDATES`` updates and
``MAX_ROW_VISITS`` *row visits* (each update touches the rows of its batch, a full batch one,
each shuffled epoch every row once more, a cross-entropy update every row once or, with a line
search or Newton step, twice). A refusal says what is too much and what to shrink. History
memory is bounded by ``MAX_RUNS × max_points`` rows. The CLI's ``--force`` skips the budget
(not the field limits) for people who mean it.

Long because it is the one table of limits and the time model of the work budget, kept together
so every check reads one source.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
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
MAX_COLUMN_NAME_CHARS = 200  # a column name (longer ones are cut once, by the reader, with a note)
MAX_UPDATES = 20_000_000  # updates per experiment (all runs together)
MAX_ROW_VISITS = 200_000_000  # rows touched per experiment (all runs together)

LIMITS: dict[str, Bound] = {
    # a run
    "epochs": Bound(1, 100_000, integer=True),
    "batch_size": Bound(1, MAX_ROWS, integer=True),
    "seed": SEED,
    "init": Bound(-1e6, 1e6),
    # repeats of every run over seeds (gdcore.engine.repeats)
    "repeats": Bound(1, 100, integer=True),
    "init_spread": Bound(0.0, 1e6),
    "max_points": Bound(2, 20_000, integer=True),
    "h": Bound(0.0, 1.0, low_open=True),
    "tol_grad": Bound(0.0, 1e6),
    "tol_loss": Bound(0.0, 1.0),
    "divergence_factor": Bound(1.0, 1e300, low_open=True),
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

#: Each rule setting's title (the run editor's label), declared by the module whose rule
#: reads it (:func:`declare`), as the settings' bounds join ``LIMITS`` from there.
TITLES: dict[str, str] = {}


def declare(params: Mapping[str, tuple[str, Bound | None]]) -> dict[str, tuple[str, Bound | None]]:
    """Declare the settings a rules module's rules read (scikit-learn's declared parameter
    constraints): per name, its title and the values a setup may hold (a :class:`Bound`; None
    for a yes/no switch or a list checked element by element). They join ``TITLES`` and
    ``LIMITS``, so the validation, the editor's widgets and the schema know a new setting from
    its own module. A name two modules declare must mean one thing (SGD's and RMSprop's
    ``momentum``): declared again with another title or bound, the import fails, naming it."""
    for name, (title, bound) in params.items():
        if name in TITLES and (TITLES[name], LIMITS.get(name)) != (title, bound):
            raise ImportError(f"gdcore.limits.declare: {name!r} is declared twice, as "
                              f"({TITLES[name]!r}, {LIMITS.get(name)}) and ({title!r}, {bound})")
        if bound is None and name in LIMITS and name not in TITLES:
            raise ImportError(f"gdcore.limits.declare: {name!r} is a run setting already")
        TITLES[name] = title
        if bound is not None:
            LIMITS[name] = bound
    return dict(params)


def updates_per_epoch(n_rows: int, batch_size: int | None) -> int:
    """Updates in one epoch: ceil(n / batch), the batch at most the rows (None: a full
    batch). The one place this is written (plan, schedules' T_max, budget, sweep)."""
    batch = n_rows if batch_size is None else min(int(batch_size), int(n_rows))
    return -(-int(n_rows) // max(batch, 1))


def check(name: str, value: Any, where: str) -> float | int:
    """``value`` as the number the table allows for ``name``, or a ConfigError naming ``where``,
    the value and the allowed range."""
    bound = LIMITS.get(name)
    if bound is None:  # a setting added without its bound: say which, not a bare KeyError
        raise LookupError(f"gdcore.limits.LIMITS has no Bound for {name!r} (checked at "
                          f"{where}): every number a setup can hold needs one; add it there.")
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
MAX_SECONDS = 60.0  # estimated interpreter-loop time of an experiment (all runs together)

LINEAR, LOGISTIC, FUNCTION = "linear", "logistic", "function"  # what a run's rows are

# The interpreter loop's cost (gdcore.engine.loop), in microseconds of one core's CPU time. Measured
# 2026-12-07 on the project machine (Intel Xeon, 2 cores shared with other sessions, load
# average 1 to 6; Python 3.11.7, numpy 2.4.6, one BLAS thread) by timing whole runs on
# engine="python" with time.process_time, best of 3, for 98 configurations each chosen to
# isolate a few of the terms below (MSE with 1, 3, 10 and 30 features, the cross-entropy on 500
# to 30,000 rows, test functions; batch 1, 8, 32, 64, 1000 and full; SGD, Adam, clipping;
# shuffled or not; numeric, sequential; line search and Newton with 1 or 8 trials a step), and
# the loop's pieces with timeit; then the same on 100,000 and 1,000,000 rows. Each constant is
# the measured figure rounded up: with MARGIN the estimate came out 1.1-2.3× the measured CPU
# time on those 98 runs (1.5× median), 1.35-1.75× on a million rows. `python -m bench.run
# --only T` prints the estimate beside measured runs. Wall time on a busy machine is longer (at
# load 5 on these 2 cores, 2-3×). What was measured, per update unless said:
#   own steps, full batch, from the moments: 1.9-2.3 µs (1 feature, SGD), 3.0 (Adam, clipped);
#     4.0 / 6.1 (3 features); 11 / 16 (10); 55 / 69 (30 features)
#   the MSE on all rows from the moments: 0.27 µs (1 feature), 1.4 (3), 6.8 (10), 43 (30),
#     407 (100); a mini-batch's loss and gradient (Python loops): 0.1-0.145 µs a row with one
#     feature, 0.08-0.13 per row × (features + 1) with 3 to 30, 0.2-1.2 µs for one row
#   batch 1, 1 feature: 1.5-1.8 µs (SGD, rows in order; 10,000 to 1,000,000 rows)
#   an epoch's shuffle (rng.shuffle, the gather, and reading rows that are no longer in memory
#     order), per row × column: 0.11-0.13 µs (10,000 rows), 0.31-0.41 (100,000), 0.5 (300,000),
#     0.72-0.75 (1,000,000)
#   the cross-entropy (numpy, one pass): loss and gradient 38-47 µs (2,000 rows), 270-460
#     (20,000), 5.6-7.1 ms (200,000), 31-51 ms (1,000,000, 1 to 10 features); the loss alone
#     20-25 µs, 130-210 µs, 2.7-4.2 ms, 15-21 ms; a full-batch update 48-56 µs on 2,000 rows × 1-2
#     features, 39 on 500 × 10, 577-916 on 30,000 × 2; batch 1 on 30,000 × 2: 207-226 µs; a Newton
#     step 170-240 µs (2,000 rows), 2,260-2,330 (30,000)
#   numeric gradients: 4.6-5.1 µs (1 feature, full batch), 18-20 (3), 159-168 (10), 2,709-2,785
#     (30); batch 8: 9.1-10, 43-45, 210-225, 1,446-1,453 µs; the sequential update, batch 8:
#     4.9-5.6, 22-24, 115-118, 760-778 µs
#   a line-search trial: 1.5-2.9 µs besides its loss; Newton's direction (numpy eigh): 11 µs
#     (2 parameters), 21 (11), 81 (31), 186 (51), 708 (101)
#   test functions: 1.7-2.2 µs (SGD), 2.8-4.6 (numeric), 16-19 (Newton); a run's own cost
#     (plan, history table, summary): 0.3-0.8 ms
MARGIN = 1.2  # the same run measured again on the shared machine takes up to 10-15% longer
US_RUN = 700.0  # a run's fixed cost: its plan, the history table and summary
US_UPDATE = 0.5  # one update's own steps ...
US_PARAM = 0.7  # ... and per parameter: the update rule (Adam's; SGD's is cheaper), the checks,
# the copy of the last point, the history row
US_CLIP_PARAM = 0.8  # clipping, per parameter
US_GRADIENT = 1.5  # each further gradient of a sequential update: its norm, its clipping
US_MOMENTS = 0.5  # the MSE's loss and gradient on all rows, from the data's moments: fixed ...
US_MOMENTS_CELL = 0.06  # ... and per (features + 1)²
US_MOMENTS_1D = 0.3  # ... or, with one feature (the loop's scalar form), all of it
US_BATCH = 0.7  # the MSE's loss and gradient on a mini-batch (Python loops over its rows) ...
US_BATCH_CELL = 0.13  # ... and per row × (features + 1)
US_BATCH_1D = 0.4  # ... or, with one feature (the loop's scalar form): fixed ...
US_BATCH_ROW_1D = 0.15  # ... and per row
US_LOGIT_PARAM = 0.8  # the cross-entropy's loss and gradient on one row (floats), per parameter
US_PASS = 22.0  # the cross-entropy's loss and gradient on rows (numpy): fixed, ...
US_PASS_ROW = 0.02  # ... per row (its exp, log1p, sigmoid) ...
US_PASS_CELL = 0.001  # ... and per row × (features + 1) (its products)
US_LOSS = 16.0  # the cross-entropy's loss alone (what a mini-batch update records): fixed, ...
US_LOSS_ROW = 0.009  # ... per row ...
US_LOSS_CELL = 0.0005  # ... and per row × (features + 1)
US_FUNCTION = 0.7  # a test function's value and gradient
US_NUMERIC_PARAM = 1.0  # a numeric gradient's own steps, per parameter (besides its losses)
US_TRIAL = 2.2  # a line-search trial's own steps (besides its loss): fixed ...
US_TRIAL_PARAM = 0.1  # ... and per parameter
US_HESSIAN = 5.0  # the MSE's Hessian (from the moments, + US_MOMENTS_CELL per parameter²) or a
# test function's
US_HESSIAN_PASS = 25.0  # the cross-entropy's: fixed, ...
US_HESSIAN_ROW = 0.03  # ... per row (its sigmoid, the rows with a column of ones) ...
US_HESSIAN_CELL = 0.0005  # ... and per row × parameter² (the product)
US_EIGEN = 15.0  # Newton's direction from the Hessian's eigenvectors: fixed ...
US_EIGEN_SQUARE = 0.07  # ... per parameter² ...
US_EIGEN_CUBE = 0.0007  # ... and per parameter³
US_SHUFFLE_CELL = 0.15  # an epoch's shuffle and gather of the rows, per row × column, on
US_SHUFFLE_DECADE = 0.32  # up to 10,000 rows, and this much more for each tenfold beyond (the
# shuffled rows no longer fit the caches: every read of one misses)
SPILL_FROM_ROWS = 50_000  # the cross-entropy's passes over more rows than this no longer fit
US_SPILL = 1.3  # the caches: each row beyond costs this share more (numpy waits for memory)


@dataclass(frozen=True)
class RunShape:
    """What one run's cost depends on: its problem's size and the settings that change how much
    an update computes (from a run config, or a plan: ``gdcore.engine.runner.run_shape``)."""

    kind: str  # LINEAR, LOGISTIC (rows of data) or FUNCTION (a test function)
    n_rows: int  # rows of data (a test function: 1; its epochs are updates)
    dim: int  # parameters (features + 1 on rows of data)
    batch_size: int | None  # rows per update; None: the full batch
    epochs: int
    shuffle: bool = True
    numeric: bool = False  # central differences: 2 × dim + 1 losses per gradient
    sequential: bool = False  # the gradient recomputed before each parameter's update
    method: str = "gd"  # "gd", "line_search" or "newton"
    max_trials: int = 40  # a line search's (and a damped Newton step's) most trials
    clip: bool = False
    tol_grad: bool = False  # a gradient tolerance: the full-data gradient after every update

    @property
    def rows(self) -> int:
        return 1 if self.kind == FUNCTION else max(1, self.n_rows)

    @property
    def batch(self) -> int:
        return self.rows if self.batch_size is None else max(1, min(self.batch_size, self.rows))

    @property
    def full(self) -> bool:
        return self.batch >= self.rows

    @property
    def updates(self) -> int:
        return self.epochs * updates_per_epoch(self.rows, self.batch)

    @property
    def shuffled(self) -> bool:
        return self.shuffle and not self.full


def _full_us(s: RunShape) -> float:
    """The loss and gradient on all rows (or of the test function)."""
    if s.kind == LINEAR:
        return US_MOMENTS_1D if s.dim == 2 else US_MOMENTS + US_MOMENTS_CELL * s.dim * s.dim
    if s.kind == LOGISTIC:
        return _pass_us(s.rows, s.dim)
    return US_FUNCTION


def _pass_us(rows: int, dim: int) -> float:
    """The cross-entropy's loss and gradient on ``rows`` rows (numpy)."""
    return US_PASS + _spilled(rows) * (US_PASS_ROW + US_PASS_CELL * dim)


def _spilled(rows: int) -> float:
    """``rows`` as a numpy pass pays for them: more for those beyond the caches."""
    return rows + US_SPILL * max(0, rows - SPILL_FROM_ROWS)


def _batch_us(s: RunShape) -> float:
    """One evaluation of the batch loss and gradient."""
    if s.full:
        return _full_us(s)
    if s.kind == LOGISTIC:
        return US_LOGIT_PARAM * s.dim if s.batch == 1 else _pass_us(s.batch, s.dim)
    if s.dim == 2:
        return US_BATCH_1D + US_BATCH_ROW_1D * s.batch
    return US_BATCH + US_BATCH_CELL * s.batch * s.dim


def update_us(s: RunShape) -> float:
    """Microseconds one update of ``s`` costs on the interpreter loop at most: its own steps,
    its gradients (a numeric one: 2 × dim + 1 batch losses; a sequential update: one gradient
    per parameter; a full batch's first comes free from the last step's full-data loss), the
    full-data loss it records, and a line search's or Newton step's trials (each a full-data
    loss; counted all ``max_trials``) and Hessian."""
    gradient = (_batch_us(s) * (2 * s.dim + 1) + US_NUMERIC_PARAM * s.dim if s.numeric
                else _batch_us(s))
    gradients = s.dim if s.sequential else 1
    us = US_UPDATE + (US_PARAM + (US_CLIP_PARAM if s.clip else 0.0)) * s.dim
    us += (gradients - (s.full and not s.numeric)) * gradient + (gradients - 1) * US_GRADIENT
    us += (US_LOSS + _spilled(s.rows) * (US_LOSS_ROW + US_LOSS_CELL * s.dim)
           if s.kind == LOGISTIC and not s.full and not s.tol_grad else _full_us(s))
    if s.method != "gd":
        us += s.max_trials * (US_TRIAL + US_TRIAL_PARAM * s.dim + _full_us(s))
    if s.method == "newton":
        square = s.dim * s.dim
        us += (US_HESSIAN_PASS + _spilled(s.rows) * (US_HESSIAN_ROW + US_HESSIAN_CELL * square)
               if s.kind == LOGISTIC else US_HESSIAN + US_MOMENTS_CELL * square)
        us += US_EIGEN + US_EIGEN_SQUARE * square + US_EIGEN_CUBE * square * s.dim
    return us


def loop_seconds(s: RunShape) -> float:
    """Seconds the interpreter loop needs for ``s`` if it runs to the end (at most: a run that
    converges, diverges or whose line search accepts early costs less)."""
    per_cell = US_SHUFFLE_CELL + US_SHUFFLE_DECADE * max(0.0, math.log10(s.rows / 10_000))
    shuffles = s.epochs * s.rows * s.dim * per_cell if s.shuffled else 0.0
    return (s.updates * update_us(s) + shuffles) * MARGIN * 1e-6


def run_seconds(s: RunShape) -> float:
    """:func:`loop_seconds` and the run's fixed cost (its plan, history table and summary)."""
    return loop_seconds(s) + US_RUN * MARGIN * 1e-6


# what makes a run's updates dear, and what to change instead (most effective first)
CHEAPER = {"numeric": "the analytic gradient (a numeric one computes the loss 2 × parameters + 1 "
                      "times per update)",
           "trials": "a smaller max_trials (each line-search trial computes the loss again)",
           "sequential": "the simultaneous update (sequential recomputes the gradient for "
                         "each parameter)",
           "batch": "larger batches",
           "rows": "less data"}


def dear_keys(s: RunShape) -> frozenset[str]:
    """The :data:`CHEAPER` keys that apply to ``s``."""
    keys = set()
    if s.numeric:
        keys.add("numeric")
    if s.method != "gd" and s.max_trials > 4:
        keys.add("trials")
    if s.sequential and s.dim > 1:
        keys.add("sequential")
    if not s.full:
        keys.add("batch")
    if s.kind == LOGISTIC or s.shuffled:
        keys.add("rows")
    return frozenset(keys)


@dataclass(frozen=True)
class Work:
    """An experiment's (or one run's) work: updates and row visits, counted exactly, and the
    estimated interpreter seconds with what makes them dear (an estimate: equality compares
    the counts)."""

    updates: int
    row_visits: int
    seconds: float = field(default=0.0, compare=False)
    dear: frozenset[str] = field(default=frozenset(), compare=False)

    def __add__(self, other: Work) -> Work:
        return Work(self.updates + other.updates, self.row_visits + other.row_visits,
                    self.seconds + other.seconds, self.dear | other.dear)


def run_work(n_rows: int, batch_size: int | None, epochs: int, shuffle: bool, *,
             passes: int = 0) -> Work:
    """Updates and row visits of one run if it runs to the end (see the module docstring).
    ``passes``: full passes over the rows each update makes besides its batch (the
    cross-entropy's full-data loss has no summary of the data: 1; a line search or Newton step
    on it, one more for its trial or its Hessian: 2)."""
    batch = n_rows if batch_size is None else min(batch_size, n_rows)
    per_epoch = updates_per_epoch(n_rows, batch)
    updates = epochs * per_epoch
    full = batch >= n_rows
    visits = updates * (1 if full else batch) + (epochs * n_rows if shuffle and not full else 0)
    return Work(updates, visits + updates * passes * n_rows)


def shape_work(s: RunShape) -> Work:
    """The :class:`Work` of one run: its counts (:func:`run_work`), estimated seconds
    (:func:`run_seconds`) and what makes it dear (:func:`dear_keys`)."""
    passes = (1 + (s.method != "gd")) if s.kind == LOGISTIC else 0
    batch = None if s.kind == FUNCTION else s.batch_size
    counts = run_work(s.rows, batch, s.epochs, s.shuffle, passes=passes)
    return Work(counts.updates, counts.row_visits, run_seconds(s), dear_keys(s))


def budget_problem(work: Work) -> str | None:
    """Why ``work`` (an experiment's total) is over the budget, with how to shrink it, or None."""
    if work.updates > MAX_UPDATES:
        return (f"this setup makes {work.updates:,} updates in all, more than the limit of "
                f"{MAX_UPDATES:,}: use fewer epochs, a larger batch or fewer runs")
    if work.row_visits > MAX_ROW_VISITS:
        return (f"this setup reads {work.row_visits:,} rows in all, more than the limit of "
                f"{MAX_ROW_VISITS:,}: use fewer epochs, smaller batches, fewer runs or less data")
    if work.seconds > MAX_SECONDS:
        each = work.seconds / max(work.updates, 1) * 1e6
        instead = [CHEAPER[k] for k in CHEAPER if k in work.dear]
        return (f"this setup would take about {duration(work.seconds)} on the interpreter loop "
                f"({work.updates:,} updates at about {_num(round(each, 1 if each < 10 else 0))} "
                f"µs each), more than the limit of {duration(MAX_SECONDS)}: use "
                + ", ".join([*instead, "fewer epochs"]) + " or fewer runs")
    return None


def duration(seconds: float) -> str:
    """A time as people say it: "45 s", "1 minute", "9 minutes", "3.5 hours"."""
    if seconds < 59.5:
        return f"{max(seconds, 1.0):.0f} s"
    minutes = seconds / 60
    if minutes < 59.5:
        return "1 minute" if round(minutes) == 1 else f"{minutes:.0f} minutes"
    hours = minutes / 60
    return f"{hours:.1f} hours" if hours < 10 else f"{hours:,.0f} hours"
