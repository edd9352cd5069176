"""Calling the compiled loop: a :class:`gdcore.engine.plan.Plan` turned into its exactly typed
arguments and buffers, and the result turned back into a :class:`gdcore.engine.plan.Trace`.

Only this module knows the kernel's calling convention; nothing here imports numba.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ...limits import LINEAR
from ...models import LinearRegression
from ...rules import optimizers
from ..plan import N_COLS, STOPPED, Plan, Trace, n_updates, visits_shuffled

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
    control: np.ndarray  # (3,): [stop requested, updates done, repeats done], shared with a
    # watching thread


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


def alike(plans: Sequence[Plan]) -> bool:
    """Whether ``plans`` are repeats of one run: the same in everything but the shuffle's seed
    and the start point (what :func:`execute_repeats` lets vary along its seed axis)."""
    first = plans[0]
    for p in plans[1:]:
        if not (_same(p._replace(p0=(), batching=p.batching._replace(seed=0)),
                      first._replace(p0=(), batching=first.batching._replace(seed=0)))
                and len(p.p0) == len(first.p0)):
            return False
    return True


def _same(a, b) -> bool:
    """Equal, field by field, through tuples (a schedule's milestones are an array)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def _data(problem: LinearRegression, plan: Plan) -> Data:
    m = problem.moments
    full_batch = plan.batching.batch_size >= problem.n
    return Data(problem.n, np.zeros((len(plan.p0), 1)) if full_batch else problem.columns,
                np.ascontiguousarray(m.xbar, dtype=np.float64), float(m.ybar),
                np.ascontiguousarray(m.cov, dtype=np.float64),
                np.ascontiguousarray(m.wstar, dtype=np.float64), float(m.rss_n))


def _scratch(plan: Plan, n: int, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """The row order and shuffled columns a shuffled run works in (one element otherwise)."""
    shuffled = visits_shuffled(plan, n)
    return (np.empty(n if shuffled else 1, dtype=np.int64),
            np.empty((dim, n) if shuffled else (dim, 1)))


#: Threads a seed axis is split over: the kernel holds no GIL, so each runs on its own core.
#: At most the cores this process may use (and 4); a repeat is never split, only the axis.
REPEAT_THREADS = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                            else (os.cpu_count() or 1)))


def execute_repeats(kernel, problem: LinearRegression, plans: Sequence[Plan],
                    progress=None, threads: int | None = None) -> list[Trace]:
    """The repeats ``plans`` (:func:`alike`: one run over several seeds) on the compiled loop
    along one seed axis: one call of ``run_linear_repeats`` per thread, each over its share of
    the repeats (``threads``, default :data:`REPEAT_THREADS`), with every history in one
    block. Each repeat is the run it would be alone, bit for bit (the same kernel function on
    the same numbers). ``progress`` as in :func:`execute`, over all repeats; a stop ends them
    all, and the repeats not run are left out (the last one returned is "stopped")."""
    first = plans[0]
    n, dim, reps = problem.n, len(first.p0), len(plans)
    data = _data(problem, first)
    work = np.zeros((reps, 5, dim))
    work[:, 0] = np.asarray([p.p0 for p in plans], dtype=float)
    state = np.repeat(np.array(first.state0, dtype=np.float64).reshape(1, dim, 3), reps, axis=0)
    rec = np.zeros((reps, first.stop.max_points, N_COLS + dim))
    out = np.zeros((reps, 6))
    seeds = np.asarray([p.batching.seed for p in plans], dtype=np.int64)
    k = max(1, min(threads or REPEAT_THREADS, reps))
    cuts = np.linspace(0, reps, k + 1).round().astype(int)
    controls = np.zeros((k, 3))
    args = [(data, first.opt, first.sched, first.clip, first.batching, first.stop,
             seeds[a:b], *_scratch(first, n, dim), work[a:b], state[a:b], rec[a:b],
             controls[i], out[a:b]) for i, (a, b) in enumerate(zip(cuts[:-1], cuts[1:]))]
    failure: list = []

    def work_on(a) -> None:
        try:
            kernel.run_linear_repeats(*a)
        except BaseException as err:  # handed to the calling thread
            failure.append(err)

    if progress is None:  # the last share in this thread, the others in their own
        workers = [threading.Thread(target=work_on, args=(a,), name=f"gdcore-repeats-{i}",
                                    daemon=True) for i, a in enumerate(args[:-1])]
        for w in workers:
            w.start()
        work_on(args[-1])
        for w in workers:
            w.join()
    else:
        workers = [threading.Thread(target=work_on, args=(a,), name=f"gdcore-repeats-{i}",
                                    daemon=True) for i, a in enumerate(args)]
        for w in workers:
            w.start()
        per_run = n_updates(first, n)
        planned = per_run * reps
        try:
            for w in workers:  # (one at a time: a finished share is not polled again)
                while w.is_alive():
                    w.join(0.1)
                    done = int(sum(c[2] * per_run + c[1] for c in controls))
                    if progress(min(done, planned), planned) is False:
                        controls[:, 0] = 1.0
        except BaseException:
            controls[:, 0] = 1.0  # stop every share, wait for them, then let it through
            for w in workers:
                w.join()
            raise
        for w in workers:
            w.join()
    if failure:
        raise failure[0]
    traces = []
    for r in range(reps):
        count, status, steps = int(out[r, 0]), int(out[r, 1]), int(out[r, 2])
        if count == 0:  # not run: a stop came first
            break
        traces.append(Trace(rec[r, :count], status, steps, tuple(work[r, 1].tolist()),
                            float(out[r, 3]), float(out[r, 4]), int(out[r, 5])))
        if status == STOPPED:
            break
    return traces


def execute(kernel, problem: LinearRegression, plan: Plan, progress=None) -> Trace:
    """Run ``plan`` on the compiled loop. With ``progress`` (see ``gdcore.engine.loop.run_loop``) the
    loop runs in a worker thread (it holds no GIL) while this thread reports its progress every
    tenth of a second; if ``progress`` returns False or raises (Ctrl-C, a page rerun), the loop
    is told to stop and this thread waits for it before returning or re-raising."""
    n, dim = problem.n, len(plan.p0)
    data = _data(problem, plan)
    work = np.zeros((5, dim))
    work[0] = plan.p0
    buffers = Buffers(*_scratch(plan, n, dim), work,
                      np.array(plan.state0, dtype=np.float64).reshape(dim, 3),
                      np.zeros((plan.stop.max_points, N_COLS + dim)), np.zeros(3))
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
