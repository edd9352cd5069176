"""Calling the compiled loop: a :class:`gdcore.engine.plan.Plan` turned into its exactly typed
arguments and buffers, and the result turned back into a :class:`gdcore.engine.plan.Trace`.

Only this module knows the kernel's calling convention; nothing here imports numba.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

import numpy as np

from ...limits import LINEAR
from ...models import LinearRegression
from ...rules import optimizers
from ..plan import N_COLS, Plan, Trace, n_updates, visits_shuffled

INT64_MAX = 2**63 - 1


class Data(NamedTuple):
    """The data as the compiled loop reads it."""

    n: int  # rows
    cols: np.ndarray  # (d+1, n) the columns x_1 .. x_d, y (unread for a full batch)
    xbar: np.ndarray  # the moments, see gdcore.models.Moments
    ybar: float
    cov: np.ndarray
    wstar: np.ndarray
    rss_n: float


class Buffers(NamedTuple):
    """Scratch arrays the compiled loop works in (it allocates nothing itself)."""

    order: np.ndarray  # (n,) int64: the row order of a shuffled run
    shuffled_cols: np.ndarray  # (d+1, n): the columns in that order
    work: np.ndarray  # (5, dim): start point, p, previous p, gradient, full-data gradient
    state: np.ndarray  # (dim, 3): each coordinate's optimizer state, from the start state
    rec: np.ndarray  # (max_points, 8 + dim): the history
    control: np.ndarray  # (2,): [stop requested, updates done], shared with a watching thread


def supports(problem, plan: Plan) -> bool:
    """The compiled loop runs linear regression with the analytic gradient (the big work), for
    every update rule (its dispatch has a slot per entry of ``optimizers.RULES``); test
    functions, numeric gradients and the reference methods run on the interpreter."""
    return (problem.family == LINEAR and not plan.batching.numeric
            and plan.method.name == "gd" and 0 <= plan.opt.rule < len(optimizers.RULES)
            and 0 <= plan.batching.seed <= INT64_MAX)


def knows(kernel, plan: Plan) -> bool:
    """Whether ``kernel`` was compiled from the update rule ``plan`` runs: its dispatch has a
    slot per entry of ``optimizers.RULES`` as it was at the build (``RULE_NAMES``); a rule
    added since (a test's, a live edit's) runs on the interpreter, never as another one."""
    names = getattr(kernel, "RULE_NAMES", ())
    r = plan.opt.rule
    return 0 <= r < len(names) and names[r] == optimizers.RULES[r].__name__


def execute(kernel, problem: LinearRegression, plan: Plan, progress=None) -> Trace:
    """Run ``plan`` on the compiled loop. With ``progress`` (see ``gdcore.engine.loop.run_loop``) the
    loop runs in a worker thread (it holds no GIL) while this thread reports its progress every
    tenth of a second; if ``progress`` returns False or raises (Ctrl-C, a page rerun), the loop
    is told to stop and this thread waits for it before returning or re-raising."""
    m = problem.moments
    n, dim = problem.n, len(plan.p0)
    full_batch = plan.batching.batch_size >= n
    shuffled = visits_shuffled(plan, n)
    data = Data(n, np.zeros((dim, 1)) if full_batch else problem.columns,
                np.ascontiguousarray(m.xbar, dtype=np.float64), float(m.ybar),
                np.ascontiguousarray(m.cov, dtype=np.float64),
                np.ascontiguousarray(m.wstar, dtype=np.float64), float(m.rss_n))
    work = np.zeros((5, dim))
    work[0] = plan.p0
    buffers = Buffers(np.empty(n if shuffled else 1, dtype=np.int64),
                      np.empty((dim, n) if shuffled else (dim, 1)), work,
                      np.array(plan.state0, dtype=np.float64).reshape(dim, 3),
                      np.zeros((plan.stop.max_points, N_COLS + dim)), np.zeros(2))
    args = (data, plan.opt, plan.sched, plan.clip, plan.batching, plan.stop, buffers)
    if progress is None:
        out = kernel.run_linear(*args)
    else:
        out = _watched(kernel, args, buffers.control, n_updates(plan, n), progress)
    count, status, steps, final_loss, best, within = out
    return Trace(buffers.rec[:count].copy(), int(status), int(steps), tuple(work[1].tolist()),
                 float(final_loss), float(best), int(within))


def _watched(kernel, args, control: np.ndarray, planned: int, progress):
    result: list = []
    failure: list = []

    def work() -> None:
        try:
            result.append(kernel.run_linear(*args))
        except BaseException as err:  # handed to the watching thread
            failure.append(err)

    worker = threading.Thread(target=work, name="gdcore-run", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
            if worker.is_alive() and progress(int(control[1]), planned) is False:
                control[0] = 1.0
    except BaseException:
        control[0] = 1.0  # stop the loop, wait for it, then let the interruption through
        worker.join()
        raise
    worker.join()
    if failure:
        raise failure[0]
    return result[0]
