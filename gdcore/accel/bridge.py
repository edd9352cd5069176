"""Calling the compiled loop: a :class:`gdcore.plan.Plan` turned into its exactly typed
arguments and buffers, and the result turned back into a :class:`gdcore.plan.Trace`.

Only this module knows the kernel's calling convention; nothing here imports numba.
"""

from __future__ import annotations

import numpy as np

from ..plan import N_COLS, Plan, Trace, visits_shuffled
from ..problems import LinearRegression

INT64_MAX = 2**63 - 1


def supports(problem, plan: Plan) -> bool:
    """The compiled loop runs linear regression with the analytic gradient (the big work);
    test functions and numeric gradients always run on the interpreter."""
    return (isinstance(problem, LinearRegression) and not plan.batching.numeric
            and 0 <= plan.batching.seed <= INT64_MAX)


def execute(kernel, problem: LinearRegression, plan: Plan) -> Trace:
    m = problem.moments
    n, dim = problem.n, len(plan.p0)
    full_batch = plan.batching.batch_size >= n
    cols = np.zeros((dim, 1)) if full_batch else problem.columns
    shuffled = visits_shuffled(plan, n)
    order = np.empty(n if shuffled else 1, dtype=np.int64)
    shuffled_cols = np.empty((dim, n) if shuffled else (dim, 1))
    work = np.zeros((5, dim))
    work[0] = plan.p0
    state = np.array(plan.state0, dtype=np.float64).reshape(dim, 3)
    rec = np.zeros((plan.stop.max_points, N_COLS + dim))
    count, status, steps, final_loss, best, within = kernel.run_linear(
        n, cols, np.ascontiguousarray(m.xbar, dtype=np.float64), float(m.ybar),
        np.ascontiguousarray(m.cov, dtype=np.float64), np.ascontiguousarray(m.wstar),
        float(m.rss_n), plan.opt, plan.sched, plan.clip, plan.batching, plan.stop, order,
        shuffled_cols, work, state, rec)
    return Trace(rec[:count].copy(), int(status), int(steps), tuple(work[1].tolist()),
                 float(final_loss), float(best), int(within))
