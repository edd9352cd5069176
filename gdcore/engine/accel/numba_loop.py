"""The compiled run loop (numba): the interpreter loop of ``gdcore.engine.loop``, step for step, for big
work. Imported only by ``gdcore.engine.accel`` once it has chosen the cache directory; never at
``import gdcore``.

The rules are not rewritten here: :func:`compiled` compiles the engine's own functions
(``optimizers.sgd`` ..., ``schedules.step``, ``clipping.coefficient``, ``objectives.mse_rows`` ...)
as they are, with the functions they call swapped for compiled copies. What is here is the loop's
bookkeeping on arrays instead of lists: the same four steps in the same order with the same
arithmetic, so the two loops give the same numbers bit for bit (tested on every golden fixture).

One top-level function with one signature (the caller passes exactly typed arguments, see
``gdcore.engine.accel.typed_args``): no closures, no variants, nothing two compilations could confuse.
It returns only scalars and writes arrays into buffers the caller made, so it allocates nothing.

Where numba keeps each function's cached code inside the build directory is set by
:class:`PackageLocator`: by the file's place in the package, never by where the checkout is, so
every checkout of the same sources loads the same build (numba's own locator keys it on the
source folder's absolute path: a second checkout found nothing and compiled everything).

Long because the compiled loop is one function by design (below) plus the locator that keeps
its cache portable.
"""

from __future__ import annotations

import hashlib
import math
import os
import types
from pathlib import Path

import numpy as np
from numba import config, njit
from numba.core import caching

from ...models import objectives
from ...rules import clipping, optimizers, schedules
from .. import plan

_OPTIONS = {"cache": True, "nogil": True, "error_model": "numpy"}
_PACKAGE = Path(__file__).resolve().parents[2]  # the gdcore package


class PackageLocator(caching._CacheLocator):
    """numba's cache for an engine function: ``<CACHE_DIR>/<package folder>``, e.g.
    ``gdcore-accel``, and fresh while the file's text is the same (not its path or time: the
    build directory is already keyed on the text of every engine file)."""

    def __init__(self, py_func, py_file: Path):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        folder = py_file.parent.relative_to(_PACKAGE.parent)
        self._cache_path = os.path.join(config.CACHE_DIR, "-".join(folder.parts))

    def get_cache_path(self):
        return self._cache_path

    def get_source_stamp(self):
        return hashlib.sha256(self._py_file.read_bytes()).hexdigest()

    def get_disambiguator(self):
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func, py_file):
        path = Path(py_file).resolve()
        if not config.CACHE_DIR or not path.is_relative_to(_PACKAGE):
            return None  # not an engine function: numba's own locators decide
        locator = cls(py_func, path)
        try:
            locator.ensure_cache_path()
        except OSError:
            return None
        return locator


def _use_package_locator() -> None:
    impl = caching.FunctionCache._impl_class
    if PackageLocator not in impl._locator_classes:
        impl._locator_classes = [PackageLocator, *impl._locator_classes]


_use_package_locator()


def compiled(fn, inline=False, **callees):
    """``fn`` compiled by numba as it is, with the engine functions it calls replaced by their
    compiled copies (a copy of the function object with its globals updated; ``fn`` itself stays
    plain Python)."""
    scope = dict(fn.__globals__)
    scope.update(callees)
    copy = types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__, fn.__closure__)
    copy.__qualname__, copy.__module__, copy.__doc__ = fn.__qualname__, fn.__module__, fn.__doc__
    return njit(**_OPTIONS, inline="always" if inline else "never")(copy)


lerp = compiled(optimizers.lerp, inline=True)


def _rules(rules) -> list:
    """Every update rule of ``optimizers.RULES`` compiled, in its order (each may call the
    ones before it, and ``lerp``)."""
    out: dict = {}
    for rule in rules:
        out[rule.__name__] = compiled(rule, inline=True, lerp=lerp, **out)
    return list(out.values())


def _never(p, g, state, t, lr, hp):
    """An empty slot of the dispatch below (never reached: a Hyper's rule indexes RULES); if
    it were, the run would come out diverged (NaN), never as another rule's."""
    return math.nan, (math.nan, math.nan, math.nan)


#: The dispatch has SLOTS slots, one per entry of ``optimizers.RULES`` in its order, the rest
#: empty: a rule added there is compiled here with no edit; more rules than slots and the
#: build refuses (add slots below).
SLOTS = 8
if len(optimizers.RULES) > SLOTS:
    raise ImportError(f"the compiled dispatch has {SLOTS} slots for update rules and "
                      f"optimizers.RULES has {len(optimizers.RULES)}: add slots to "
                      "gdcore/engine/accel/numba_loop.update")
RULE_NAMES = tuple(r.__name__ for r in optimizers.RULES)  # what this build's dispatch holds
RULE0, RULE1, RULE2, RULE3, RULE4, RULE5, RULE6, RULE7 = (
    _rules(optimizers.RULES) + [njit(**_OPTIONS, inline="always")(_never)]
    * (SLOTS - len(optimizers.RULES)))
lr_at = compiled(schedules.lr_at)
plateau_step = compiled(schedules.plateau_step)
schedule_step = compiled(schedules.step, lr_at=lr_at, plateau_step=plateau_step)
schedule_start = compiled(schedules.start, lr_at=lr_at)
clip_coefficient = compiled(clipping.coefficient, inline=True)
clip_component = compiled(clipping.component, inline=True)
grad_norm = compiled(clipping.norm)
row_error = compiled(objectives.row_error, inline=True)
mse_full_1d = compiled(objectives.mse_full_1d, inline=True)
mse_full = compiled(objectives.mse_full)
mse_rows = compiled(objectives.mse_rows)
mse_rows_1d = compiled(objectives.mse_rows_1d, row_error=row_error)
converged = compiled(plan.converged)
next_record = compiled(plan.next_record, inline=True)
after_update = compiled(plan.after_update, inline=True,
                        within_since=compiled(plan.within_since, inline=True))

CLIP_NONE = clipping.NONE
COMPLETED, CONVERGED, DIVERGED, STOPPED = 0, 1, 2, 3  # gdcore.engine.plan's numbers
CHECK_EVERY = 1024  # updates between two looks at buffers.control
N_COLS = 8


@njit(**_OPTIONS, inline="always")
def update(p, g, state, t, lr, hp):
    """optimizers.RULES[hp.rule](p, g, state, t, lr, hp), one slot per rule (SLOTS)."""
    r = hp.rule
    if r == 0:
        return RULE0(p, g, state, t, lr, hp)
    if r == 1:
        return RULE1(p, g, state, t, lr, hp)
    if r == 2:
        return RULE2(p, g, state, t, lr, hp)
    if r == 3:
        return RULE3(p, g, state, t, lr, hp)
    if r == 4:
        return RULE4(p, g, state, t, lr, hp)
    if r == 5:
        return RULE5(p, g, state, t, lr, hp)
    if r == 6:
        return RULE6(p, g, state, t, lr, hp)
    return RULE7(p, g, state, t, lr, hp)


@njit(**_OPTIONS)
def full_objective(p, g, xbar, ybar, cov, wstar, rss_n):
    """Loss and gradient (into g) on all rows from the moments (any d; the loop's
    ``_full_objective``)."""
    if xbar.shape[0] == 1:
        loss, g[0], g[1] = mse_full_1d(p[0], p[1], xbar[0], ybar, cov[0, 0], wstar[0], rss_n)
        return loss
    return mse_full(p, g, xbar, ybar, cov, wstar, rss_n)


@njit(**_OPTIONS)
def batch_objective(p, g, cols, start, stop, full, xbar, ybar, cov, wstar, rss_n):
    """Batch loss and gradient (into g) for d > 1 or the sequential update (the loop's
    ``_batch_objective``, analytic)."""
    if full:
        return full_objective(p, g, xbar, ybar, cov, wstar, rss_n)
    if xbar.shape[0] == 1:
        if stop - start == 1:
            x = cols[0, start]
            err = row_error(p[0], p[1], x, cols[1, start])
            g[0], g[1] = 2.0 * err * x, 2.0 * err
            return err * err
        loss, g[0], g[1] = mse_rows_1d(p[0], p[1], cols[0], cols[1], start, stop)
        return loss
    return mse_rows(p, g, cols, start, stop)


@njit(**_OPTIONS)
def clip_in_place(hp, g, gsq):
    """Clip g given its squared norm: (its norm, or -1 when not needed, clipped?)."""
    if hp.kind == CLIP_NONE:
        return (-1.0 if gsq < math.inf else grad_norm(gsq, g)), False
    gnorm = grad_norm(gsq, g)
    coef = clip_coefficient(hp, gnorm)
    clipped = False
    for j in range(g.shape[0]):
        g[j], changed = clip_component(hp, g[j], coef)
        clipped = clipped or changed
    return gnorm, clipped


@njit(**_OPTIONS)
def sumsq(a):
    total = 0.0
    for j in range(a.shape[0]):
        total += a[j] * a[j]
    return total


@njit(**_OPTIONS)
def finite(a):
    for j in range(a.shape[0]):
        if not math.isfinite(a[j]):
            return False
    return True


@njit(**_OPTIONS)
def shuffle(order, state):
    """``gdcore.engine.rng.shuffle`` on unsigned 64-bit integers: Fisher-Yates with splitmix64 bits and
    Lemire's bounded integers (with the redraw), the same permutation for the same state."""
    golden = np.uint64(0x9E3779B97F4A7C15)
    mix1 = np.uint64(0xBF58476D1CE4E5B9)
    mix2 = np.uint64(0x94D049BB133111EB)
    low32 = np.uint64(0xFFFFFFFF)
    s32 = np.uint64(32)
    for i in range(order.shape[0] - 1, 0, -1):
        s = np.uint64(i + 1)
        m = np.uint64(0)
        threshold = np.uint64(0)
        first = True
        while first or (m & low32) < threshold:
            state = state + golden
            z = (state ^ (state >> np.uint64(30))) * mix1
            z = (z ^ (z >> np.uint64(27))) * mix2
            z = z ^ (z >> np.uint64(31))
            m = (z >> s32) * s
            if first and (m & low32) < s:
                threshold = (np.uint64(0x100000000) - s) % s
            first = False
        j = np.int64(m >> s32)
        order[i], order[j] = order[j], order[i]
    return state


@njit(**_OPTIONS)
def write_row(rec, i, step, epoch, samples, lr, loss, batch_loss, grad_norm, clipped, p):
    rec[i, 0] = step
    rec[i, 1] = epoch
    rec[i, 2] = samples
    rec[i, 3] = lr
    rec[i, 4] = loss
    rec[i, 5] = batch_loss
    rec[i, 6] = grad_norm
    rec[i, 7] = clipped
    for j in range(p.shape[0]):
        rec[i, N_COLS + j] = p[j]


@njit(**_OPTIONS)
def run_linear(data, opt, sch, clp, bat, stop, buffers):
    """One run: :func:`linear` with the plan's seed and the buffers of ``bridge.Buffers``."""
    order, shuffled_cols, work, state, rec, control = buffers
    return linear(data, opt, sch, clp, bat, bat.seed, stop, order, shuffled_cols, work, state,
                  rec, control)


@njit(**_OPTIONS)
def run_linear_repeats(data, opt, sch, clp, bat, stop, seeds, order, shuffled_cols, work,
                       state, rec, control, out):
    """The repeats of one run along a seed axis, in one call: repeat ``r`` is :func:`linear`
    with seed ``seeds[r]``, its start in ``work[r, 0]``, its state ``state[r]`` and history
    ``rec[r]``; its six results go to ``out[r]`` (rows, status, steps, final loss, best loss,
    within) and ``out[r, 0]`` stays 0 for a repeat not run (a stop asked for in between).
    ``order`` and ``shuffled_cols`` are scratch, reused; every repeat is exactly the run it
    would be alone (the same function on the same numbers)."""
    for r in range(seeds.shape[0]):
        if control[0] != 0.0:
            break
        count, status, steps, final, best, within = linear(
            data, opt, sch, clp, bat, seeds[r], stop, order, shuffled_cols, work[r], state[r],
            rec[r], control)
        out[r, 0], out[r, 1], out[r, 2] = count, status, steps
        out[r, 3], out[r, 4], out[r, 5] = final, best, within
        control[2] += 1.0  # repeats done (for the progress report)
        if status == STOPPED:
            break


@njit(**_OPTIONS)
def linear(data, opt, sch, clp, bat, seed, stop, order, shuffled_cols, work, state, rec,
           control):
    """Linear regression, analytic gradient: ``gdcore.engine.loop.run_loop`` on arrays.

    ``data`` and ``buffers`` are ``bridge.Data`` and ``bridge.Buffers``; ``opt, sch, clp, bat,
    stop`` the plan's groups. Returns (rows recorded, status, steps, final loss, best loss,
    within); the final point is left in ``buffers.work[1]``. Every ``CHECK_EVERY`` updates it
    writes the step count into ``buffers.control[1]`` and stops (status STOPPED) if another
    thread has set ``buffers.control[0]`` (the loop runs without the GIL).

    One feature with the simultaneous update (the dashboard's everyday case) keeps w, b, their
    gradients and states in local scalars and calls only scalar functions: numba counts
    references (atomically) on every array handed to a function, which would cost more than
    the step itself. Everything else takes the general path through arrays.
    """
    n, cols, xbar, ybar, cov, wstar, rss_n = data
    dim = work.shape[1]
    one = dim == 2 and not bat.sequential
    full = bat.batch_size >= n
    bsz = n if full else bat.batch_size
    shuffled = bat.shuffle and bat.batch_size < n
    rng = np.uint64(seed)
    if shuffled:
        for i in range(n):
            order[i] = i
    p, pprev, g, gfull = work[1], work[2], work[3], work[4]
    for j in range(dim):
        p[j] = work[0, j]
    xbar0, var0, wstar0 = xbar[0], cov[0, 0], wstar[0]  # (one feature)
    w, b = p[0], p[dim - 1]
    s_w = (state[0, 0], state[0, 1], state[0, 2])
    s_b = (state[dim - 1, 0], state[dim - 1, 1], state[dim - 1, 2])

    lr, e, sched_state = schedule_start(sch)
    loss = full_objective(p, gfull, xbar, ybar, cov, wstar, rss_n)
    gn = grad_norm(sumsq(gfull), gfull)
    write_row(rec, 0, 0.0, 0.0, 0.0, lr, loss, loss, gn, 0.0, p)
    count = 1
    if not (math.isfinite(loss) and finite(p)):
        return count, DIVERGED, 0, loss, loss, -1

    loss0 = loss
    limit = stop.divergence_factor * (loss0 if loss0 > 1e-12 else 1e-12)
    best = loss0
    ref = stop.ref_loss
    have_ref = math.isfinite(ref)
    target = ref + 1e-3 * (loss0 - ref) if have_ref else 0.0
    within = 0 if (have_ref and loss0 <= target) else -1
    check_tol = stop.tol_grad > 0.0 or stop.tol_loss > 0.0
    status, step, samples, diverged_at = COMPLETED, 0, 0, -1
    stride, next_rec = 1, 1
    l_lr, l_bl, l_gnorm, l_gsq, l_clipped = lr, loss, gn, -1.0, False

    src = cols
    for _epoch in range(stop.epochs):
        if shuffled:
            rng = shuffle(order, rng)
            for c in range(dim):
                for r in range(n):
                    shuffled_cols[c, r] = cols[c, order[r]]
            src = shuffled_cols
        xs, ys = src[0], src[dim - 1]
        for start in range(0, n, bsz):
            end = start + bsz if start + bsz < n else n
            t = step + 1
            if one:
                # 1. gradient of the batch loss, on scalars
                if full:
                    bl, g0, g1 = mse_full_1d(w, b, xbar0, ybar, var0, wstar0, rss_n)
                elif end - start == 1:
                    x = xs[start]
                    err = row_error(w, b, x, ys[start])
                    bl, g0, g1 = err * err, 2.0 * err * x, 2.0 * err
                else:
                    bl, g0, g1 = mse_rows_1d(w, b, xs, ys, start, end)
                if not (math.isfinite(bl) and math.isfinite(g0) and math.isfinite(g1)):
                    status, diverged_at = DIVERGED, step + 1
                    break
                # 2. clip
                gsq = g0 * g0 + g1 * g1
                gnorm, clipped = -1.0, False
                if clp.kind != CLIP_NONE or not gsq < math.inf:
                    # (clipping.norm on (g0, g1): hypot(hypot(0, g0), g1) = hypot(|g0|, g1))
                    gnorm = math.sqrt(gsq) if gsq < math.inf else math.hypot(math.fabs(g0), g1)
                if clp.kind != CLIP_NONE:
                    coef = clip_coefficient(clp, gnorm)
                    g0, c0 = clip_component(clp, g0, coef)
                    g1, c1 = clip_component(clp, g1, coef)
                    clipped = c0 or c1
                # 3. update
                w_new, s_w_new = update(w, g0, s_w, t, lr, opt)
                b_new, s_b_new = update(b, g1, s_b, t, lr, opt)
                # 4. full-data loss
                new_loss, gf0, gf1 = mse_full_1d(w_new, b_new, xbar0, ybar, var0, wstar0, rss_n)
                if not (math.isfinite(new_loss) and math.isfinite(w_new)
                        and math.isfinite(b_new)):
                    status, diverged_at = DIVERGED, step + 1
                    break
                w, b, s_w, s_b = w_new, b_new, s_w_new, s_b_new
                p[0], p[1], gfull[0], gfull[1] = w, b, gf0, gf1
            else:
                # 1. gradient of the batch loss
                bl = batch_objective(p, g, src, start, end, full, xbar, ybar, cov, wstar, rss_n)
                if not (math.isfinite(bl) and finite(g)):
                    status, diverged_at = DIVERGED, step + 1
                    break
                # 2. clip
                gsq = sumsq(g)
                gnorm, clipped = clip_in_place(clp, g, gsq)
                # 3. update (simultaneous, or sequential: gradient recomputed and re-clipped)
                for j in range(dim):
                    pprev[j] = p[j]
                for j in range(dim):
                    if bat.sequential and j > 0:
                        batch_objective(p, g, src, start, end, full, xbar, ybar, cov, wstar, rss_n)
                        clip_in_place(clp, g, sumsq(g))
                    pj, sj = update(p[j], g[j], (state[j, 0], state[j, 1], state[j, 2]), t, lr,
                                    opt)
                    p[j] = pj
                    state[j, 0], state[j, 1], state[j, 2] = sj
                # 4. full-data loss
                new_loss = full_objective(p, gfull, xbar, ybar, cov, wstar, rss_n)
                if not (math.isfinite(new_loss) and finite(p)):
                    for j in range(dim):
                        p[j] = pprev[j]
                    status, diverged_at = DIVERGED, step + 1
                    break
            # divergence, records, convergence
            step += 1
            samples += end - start
            prev_loss, loss = loss, new_loss
            l_lr, l_bl, l_gnorm, l_gsq, l_clipped = lr, bl, gnorm, gsq, clipped
            if step == next_rec:
                if count == stop.max_points:  # full: keep every other row, double the stride
                    count = (count + 1) // 2
                    for i in range(1, count):
                        for c in range(N_COLS + dim):
                            rec[i, c] = rec[2 * i, c]
                    stride *= 2
                if step % stride == 0:
                    write_row(rec, count, float(step), samples / n, float(samples), lr, loss, bl,
                              gnorm if gnorm >= 0.0 else math.sqrt(gsq),
                              1.0 if clipped else 0.0, p)
                    count += 1
                next_rec = next_record(step, stride)
            best, within, blown = after_update(loss, best, within, step, target, have_ref, limit)
            if blown:
                status, diverged_at = DIVERGED, step
                break
            if sch.per_update:
                lr, e, sched_state = schedule_step(sch, lr, e, loss, sched_state)
            if check_tol and converged(stop, loss, prev_loss, grad_norm(sumsq(gfull), gfull)):
                status = CONVERGED
                break
            if step % CHECK_EVERY == 0:  # report progress; another thread may ask to stop
                control[1] = step
                if control[0] != 0.0:
                    status = STOPPED
                    break
        if status != COMPLETED:
            break
        if not sch.per_update:
            lr, e, sched_state = schedule_step(sch, lr, e, loss, sched_state)

    if rec[count - 1, 0] != step:  # the last (finite) step is always kept
        i = count if count < stop.max_points else count - 1
        write_row(rec, i, float(step), samples / n, float(samples), l_lr, loss, l_bl,
                  l_gnorm if l_gnorm >= 0.0 else math.sqrt(l_gsq), 1.0 if l_clipped else 0.0, p)
        count = i + 1
    steps = diverged_at if status == DIVERGED else step
    return count, status, steps, loss, best, within
