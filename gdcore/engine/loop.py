"""The run loop, written for the interpreter: the engine's readable reference, and the path that
always works (no compiler).

    trace = run_loop(problem, plan)     # a gdcore.models.Problem, a gdcore.engine.plan.Plan

Every update is the same four steps, in PyTorch's order::

    1. gradient   g = ∇ of the batch loss                        (objectives / the test function)
    2. clip       g <- clip(g)                                   (clipping.coefficient, component)
    3. update     p_j, state_j <- rule(p_j, g_j, state_j, t, lr) (optimizers.RULES)
    4. schedule   lr <- schedule.step(...), per update or per epoch  (schedules.step)

then the full-data loss at the new point (from the data's moments: O(1) in the number of rows),
divergence and convergence tests, and a bounded history (first, last and evenly spread steps:
when it is full, every other row is dropped and the recording stride doubles).

Plain floats and lists throughout: an SGD update on one row costs about a microsecond or two. The
compiled accelerator (``gdcore.engine.accel``) runs the same steps through the same rule functions for
big work, and the tests prove both give the same numbers.

``run_loop`` keeps the four steps of an update inline, in one function: a Python call per update
would cost about what the update does. What runs once (choosing the objectives, keeping the last
row) and a reference method's step are the named helpers below it.
"""

from __future__ import annotations

import math

from ..limits import FUNCTION, LOGISTIC
from ..models.logistic import bce, bce_loss, bce_rows, sigmoid
from ..models.objectives import mse_full, mse_full_1d, mse_rows, mse_rows_1d, row_error
from ..rules import clipping, methods, optimizers, schedules
from .plan import (
    COMPLETED,
    CONVERGED,
    DIVERGED,
    PROGRESS_EVERY,
    STOPPED,
    Plan,
    Trace,
    after_update,
    converged,
    has_rows,
    n_updates,
    next_record,
    visits_shuffled,
)
from .rng import shuffle


def _full_objective(problem):
    """p -> (loss, gradient) on all the data (from the moments for the MSE; a vectorised pass
    for the cross-entropy) or of the test function."""
    if problem.family == LOGISTIC:
        x, y = problem.x, problem.y

        def full_bce(p):
            loss, g = bce_rows(p, x, y)
            return loss, g.tolist()

        return full_bce
    if problem.family == FUNCTION:
        fun, grad = problem.fun, problem.grad
        return lambda p: (fun(p), list(grad(p)))
    m = problem.moments
    if problem.d == 1:
        xbar, var, wstar = float(m.xbar[0]), float(m.cov[0, 0]), float(m.wstar[0])
        ybar, rss = m.ybar, m.rss_n

        def full_1d(p):
            loss, gw, gb = mse_full_1d(p[0], p[1], xbar, ybar, var, wstar, rss)
            return loss, [gw, gb]

        return full_1d
    xbar, cov, wstar = m.xbar.tolist(), m.cov.tolist(), m.wstar.tolist()

    def full(p):
        g = [0.0] * len(p)
        return mse_full(p, g, xbar, m.ybar, cov, wstar, m.rss_n), g

    return full


def _batch_objective(problem, full_batch: bool, numeric: bool, h: float, objective):
    """(p, cols, start, stop) -> (batch loss, batch gradient), ``cols`` the data's columns in
    visiting order: analytic, or central differences (L(p + h e_j) - L(p - h e_j)) / 2h with the
    loss at p as the batch loss."""
    if full_batch:
        analytic = lambda p, cols, start, stop: objective(p)  # noqa: E731
    elif problem.family == LOGISTIC:
        d = problem.d

        def analytic(p, cols, start, stop):
            if stop - start == 1:  # one row, on floats: (σ(z) - y) (x, 1)
                z = p[d]
                for j in range(d):
                    z += p[j] * cols[j][start]
                y = cols[d][start]
                r = sigmoid(z) - y
                return bce(z, y), [*(r * cols[j][start] for j in range(d)), r]
            loss, g = bce_rows(p, cols[:d, start:stop].T, cols[d, start:stop])
            return loss, g.tolist()
    elif problem.d == 1:
        def analytic(p, cols, start, stop):
            if stop - start == 1:  # one row: 2 err (x, 1), no sums
                x = cols[0][start]
                err = row_error(p[0], p[1], x, cols[1][start])
                return err * err, [2.0 * err * x, 2.0 * err]
            loss, gw, gb = mse_rows_1d(p[0], p[1], cols[0], cols[1], start, stop)
            return loss, [gw, gb]
    else:
        def analytic(p, cols, start, stop):
            g = [0.0] * len(p)
            return mse_rows(p, g, cols, start, stop), g
    if not numeric:
        return analytic

    def central(p, cols, start, stop):
        q = list(p)
        g = []
        for j in range(len(p)):
            q[j] = p[j] + h
            lp = analytic(q, cols, start, stop)[0]
            q[j] = p[j] - h
            lm = analytic(q, cols, start, stop)[0]
            q[j] = p[j]
            g.append((lp - lm) / (2.0 * h))
        return analytic(p, cols, start, stop)[0], g

    return central


def _finite(values) -> bool:
    for v in values:
        if not math.isfinite(v):
            return False
    return True


def _clip(hp: clipping.Hyper, g: list, gsq: float):
    """Clip g (in place) given its squared norm; return (its norm, clipped?). The norm is -1
    when it was not needed (no clipping, squares that did not overflow): the root is taken only
    when the step is recorded."""
    if hp.kind == clipping.NONE:
        return (-1.0 if gsq < math.inf else clipping.norm(gsq, g)), False
    gnorm = clipping.norm(gsq, g)
    coef = clipping.coefficient(hp, gnorm)
    clipped = False
    for j in range(len(g)):
        g[j], changed = clipping.component(hp, g[j], coef)
        clipped = clipped or changed
    return gnorm, clipped


def _schedule_step(sch, lr, e, loss, state):
    """schedules.step, with IEEE overflow (a growing schedule can pass the largest float)."""
    try:
        return schedules.step(sch, lr, e, loss, state)
    except OverflowError:
        return math.inf, e + 1, state


def run_loop(problem, plan: Plan, progress=None) -> Trace:
    """Run one plan on a problem; see the module docstring for the steps.

    ``progress(updates_done, updates_planned)`` is called every ``PROGRESS_EVERY`` updates; when
    it returns False the run ends there with status STOPPED (what it did so far is kept)."""
    bat, stop, opt, sch, clp = plan.batching, plan.stop, plan.opt, plan.sched, plan.clip
    rule = optimizers.RULES[opt.rule]
    linear = has_rows(problem)  # a data set (regression or classification), not a test function
    logistic = problem.family == LOGISTIC
    n = problem.n if linear else 1
    full_batch = (not linear) or bat.batch_size >= n
    bsz = n if full_batch else bat.batch_size
    objective, batch, after, data = _objectives(problem, plan, full_batch)
    shuffled = linear and visits_shuffled(plan, n)
    reuse = full_batch and not bat.numeric
    cols, order, rng = data, list(range(n)) if shuffled else None, bat.seed
    method = plan.method
    loss_of = (lambda q: objective(q)[0]) if method.name != methods.GD else None
    dim = len(plan.p0)

    p = list(plan.p0)
    states = list(plan.state0)
    lr, e, sched_state = schedules.start(sch)
    loss, gfull = objective(p)
    gn = clipping.norm(sum(gj * gj for gj in gfull), gfull)
    rec = [(0, 0.0, 0, lr, loss, loss, gn, 0.0, *p)]
    if not (math.isfinite(loss) and _finite(p)):
        return Trace(_array(rec, dim), DIVERGED, 0, tuple(p), loss, loss, -1)

    loss0 = loss
    limit = stop.divergence_factor * (loss0 if loss0 > 1e-12 else 1e-12)
    best = loss0
    ref = stop.ref_loss
    have_ref = math.isfinite(ref)
    target = ref + 1e-3 * (loss0 - ref) if have_ref else 0.0
    within = 0 if (have_ref and loss0 <= target) else -1
    failed, first_failed = 0, -1  # searches out of trials (line search, Newton)
    check_tol = stop.tol_grad > 0.0 or stop.tol_loss > 0.0
    status, step, samples, diverged_at = COMPLETED, 0, 0, -1
    stride, next_rec = 1, 1
    last = (lr, loss, gn, -1.0, False)  # the last finite step's lr, batch loss, norms, clipped
    planned = n_updates(plan, n)
    report = PROGRESS_EVERY if progress is not None else -1

    for _epoch in range(stop.epochs):
        if shuffled:
            rng = shuffle(order, rng)
            cols = (data[:, order] if logistic
                    else [[column[i] for i in order] for column in data])
        for start in range(0, n, bsz):
            end = start + bsz if start + bsz < n else n
            pprev = list(p)
            try:
                # 1. gradient of the batch loss (a full batch's is the full-data loss and
                #    gradient the last step computed at this very point: not computed twice)
                if reuse:
                    bl, g = loss, list(gfull)
                else:
                    bl, g = batch(p, cols, start, end)
                if not (math.isfinite(bl) and _finite(g)):
                    status, diverged_at = DIVERGED, step + 1
                    break
                # 2. clip (the norm's root is taken only when it is needed)
                gsq = 0.0
                for gj in g:
                    gsq += gj * gj
                gnorm, clipped = _clip(clp, g, gsq)
                # 3. update: every coordinate from one gradient (simultaneous), or one after
                #    another with the gradient recomputed and clipped again in between
                t = step + 1
                if method.name != methods.GD:  # a line search or Newton step, from lr
                    p, taken, trials = _method_step(problem, method, loss_of, p, bl, g, lr)
                else:
                    for j in range(dim):
                        if bat.sequential and j > 0:
                            _, g = batch(p, cols, start, end)
                            gsq_j = 0.0
                            for gj in g:
                                gsq_j += gj * gj
                            _clip(clp, g, gsq_j)
                        p[j], states[j] = rule(p[j], g[j], states[j], t, lr, opt)
                if method.name != methods.GD and not trials[-1].accepted:
                    failed += 1  # out of trials: the last one was taken, said in the result
                    if first_failed < 0:
                        first_failed = t
                # 4. full-data loss at the new point
                new_loss, gfull = after(p)
            except (ArithmeticError, ValueError):  # Python raises where IEEE gives inf / NaN
                new_loss = math.nan
            if not (math.isfinite(new_loss) and _finite(p)):
                p = pprev  # keep the last finite point
                status, diverged_at = DIVERGED, step + 1
                break
            # divergence, records, convergence
            step += 1
            samples += end - start
            prev_loss, loss = loss, new_loss
            step_lr = taken if method.name != methods.GD else lr  # the step it took
            last = (step_lr, bl, gnorm, gsq, clipped)
            if step == next_rec:
                if len(rec) == stop.max_points:  # full: keep every other row, double the stride
                    rec = rec[::2]
                    stride *= 2
                if step % stride == 0:
                    rec.append((step, samples / n, samples, step_lr, loss, bl,
                                gnorm if gnorm >= 0.0 else math.sqrt(gsq),
                                1.0 if clipped else 0.0, *p))
                next_rec = next_record(step, stride)
            best, within, blown = after_update(loss, best, within, step, target, have_ref, limit)
            if blown:
                status, diverged_at = DIVERGED, step
                break
            if sch.per_update:
                lr, e, sched_state = _schedule_step(sch, lr, e, loss, sched_state)
            if check_tol and converged(stop, loss, prev_loss, math.inf if gfull is None else
                                       clipping.norm(sum(gj * gj for gj in gfull), gfull)):
                status = CONVERGED
                break
            if step == report:
                report += PROGRESS_EVERY
                if progress(step, planned) is False:
                    status = STOPPED
                    break
        if status != COMPLETED:
            break
        if not sch.per_update:  # per epoch (plateau watches the full-data loss)
            lr, e, sched_state = _schedule_step(sch, lr, e, loss, sched_state)

    if rec[-1][0] != step:  # the last (finite) step is always kept
        _keep_last(rec, stop.max_points, (step, samples / n, samples, loss, *last), p)
    steps = diverged_at if status == DIVERGED else step
    return Trace(_array(rec, dim), status, steps, tuple(p), loss, best, within, failed,
                 first_failed)


def _objectives(problem, plan: Plan, full_batch: bool):
    """(the full-data objective, the batch objective, what runs after an update, the data's
    columns as the batch objective reads them) for ``plan`` on ``problem``."""
    bat = plan.batching
    objective = _full_objective(problem)
    batch = _batch_objective(problem, full_batch, bat.numeric, bat.h, objective)
    logistic = problem.family == LOGISTIC
    # after an update: the full-data loss, and its gradient when something reads it (a full
    # batch's next step, a gradient tolerance, a line search); the cross-entropy's gradient
    # costs as much as its loss, so a mini-batch run without a gradient tolerance skips it
    after = objective
    if logistic and not full_batch and plan.stop.tol_grad <= 0.0:
        x_all, y_all = problem.x, problem.y
        after = lambda q: (bce_loss(q, x_all, y_all), None)  # noqa: E731
    # the columns as lists (floats are fastest one row at a time) or, for the cross-entropy's
    # vectorised batches, as an array
    data = None if not has_rows(problem) or full_batch else (
        problem.columns if logistic else problem.columns.tolist())
    return objective, batch, after, data


def _method_step(problem, method, loss_of, p, bl, g, lr):
    """One step of a reference method from ``p``: Armijo's line search from a first step of
    ``lr``, or the Newton direction damped from ``lr``. Returns (p, step taken, trials)."""
    if method.name == methods.LINE_SEARCH:
        return methods.armijo(loss_of, p, bl, g, lr, method)
    d_newton, _ = methods.newton_direction(problem.hessian(p), g, method.min_curvature)
    return methods.armijo(loss_of, p, bl, g, lr, method, d_newton, methods.ROUNDING)


def _keep_last(rec: list, max_points: int, last: tuple, p: list) -> None:
    """Record the run's last (finite) step, ``last`` = (step, epoch, samples, loss, lr, batch
    loss, gradient norm or -1, its square, clipped), in place of the last row when full."""
    step, epoch, samples, loss, l_lr, l_bl, l_gnorm, l_gsq, l_clipped = last
    row = (step, epoch, samples, l_lr, loss, l_bl,
           l_gnorm if l_gnorm >= 0.0 else math.sqrt(l_gsq), 1.0 if l_clipped else 0.0, *p)
    if len(rec) < max_points:
        rec.append(row)
    else:
        rec[-1] = row


def _array(rec: list, dim: int):
    import numpy as np

    return np.array(rec, dtype=np.float64).reshape(len(rec), 8 + dim)
