"""The compiled inner loop: batches -> gradient -> clip -> update -> schedule -> record.

Gradients come from ``objectives``, update rules from ``optimizers``, learning rates from
``schedules`` and clipping rules from ``clipping``, all compiled by numba (see ``_jit``). What is
here is bookkeeping: batching and shuffling, divergence and stopping tests, and a bounded history
(first, last and evenly spread steps: when the buffer fills, every other point is dropped and the
recording stride doubles). The one-feature regression, the dashboard's everyday case, has a hot
path that keeps w and b in local variables and calls only scalar helpers: numba counts references
(atomically) on every array handed to a helper, which cost three quarters of a batch-1 step, and
a round trip through memory lengthens every step's dependency chain.

For linear regression the full-data loss and gradient come from the data's moments in O(d^2)
(see ``problems``), so a full-batch step costs O(1) in n, and every mini-batch step can report the
full-data loss for free.
"""

from __future__ import annotations

import math

import numpy as np

from . import clipping as C
from . import optimizers as O
from . import schedules as S
from ._jit import jit, py
from .objectives import (  # noqa: F401  (re-exported: the loop's building blocks)
    LINEAR,
    batch_gradient,
    data_moments,
    function_loss_grad,
    gather_rows,
    linreg_full,
    linreg_full_1d,
    linreg_rows,
    numeric_gradient,
    objective,
    residual_mean_square,
    row_error,
)
from .optimizers import ADAGRAD, RMSPROP, SGD

COMPLETED, CONVERGED, DIVERGED = 0, 1, 2
# columns of the recorded history (parameters follow)
STEP, EPOCH, SAMPLES, LR, LOSS, BATCH_LOSS, GRAD_NORM, CLIPPED = range(8)
N_COLS = 8


@jit(inline=True)
def all_finite(a):
    for j in range(a.shape[0]):
        if not math.isfinite(a[j]):
            return False
    return True


@jit(inline=True)
def sumsq(a):
    total = 0.0
    for j in range(a.shape[0]):
        total += a[j] * a[j]
    return total


@jit(inline=True)
def norm(a):
    return math.sqrt(sumsq(a))


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


@jit(inline=True)
def splitmix64(state):
    """One step of the splitmix64 generator: (new state, 64 random bits)."""
    state = state + _GOLDEN
    z = state
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return state, z ^ (z >> np.uint64(31))


_LOW32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)


@jit(inline=True)
def below(state, s):
    """A uniform integer in [0, s), 0 < s < 2^32, and the new state: Lemire's multiply-shift on
    the top 32 random bits, m = r s, j = m >> 32, redrawing when m's low half falls below
    2^32 mod s (so it is exactly uniform; the division behind that remainder is rarely needed)."""
    state, r = splitmix64(state)
    m = (r >> _SHIFT32) * s
    low = m & _LOW32
    if low < s:
        threshold = (np.uint64(0x100000000) - s) % s
        while low < threshold:
            state, r = splitmix64(state)
            m = (r >> _SHIFT32) * s
            low = m & _LOW32
    return state, m >> _SHIFT32


@jit(inline=True)
def shuffle_rows(idx, state):
    """Fisher-Yates shuffle of idx in place from a seeded splitmix64 stream; returns the state.

    Deterministic for a seed on every platform, and several times faster than numba's
    ``np.random.shuffle`` (which also costs a second of compile time). At most 2^32 rows."""
    state = np.uint64(state)  # a state that came back through Python arrives as a plain int
    for i in range(idx.shape[0] - 1, 0, -1):
        state, r = below(state, np.uint64(i + 1))
        j = np.int64(r)
        idx[i], idx[j] = idx[j], idx[i]
    return state


@jit
def write_row(rec, i, step, epoch, samples, lr, loss, batch_loss, grad_norm, clipped, p):
    rec[i, STEP] = step
    rec[i, EPOCH] = epoch
    rec[i, SAMPLES] = samples
    rec[i, LR] = lr
    rec[i, LOSS] = loss
    rec[i, BATCH_LOSS] = batch_loss
    rec[i, GRAD_NORM] = grad_norm
    rec[i, CLIPPED] = clipped
    for j in range(p.shape[0]):
        rec[i, N_COLS + j] = p[j]


@jit(inline=True)
def visits_shuffled(linear, shuffle, batch_size, n_rows):
    """Whether a run reshuffles its rows every epoch (a full batch needs no order)."""
    return linear and shuffle and batch_size < n_rows


# --- the loop ------------------------------------------------------------------------------------
def _make_loop(linear, numeric, sequential, opt, one_feature):
    """Compile the loop for one combination of problem type (test function, linear regression,
    linear regression on one feature), gradient mode, update mode and optimizer family. These are
    closure constants, so numba prunes the branches that do not apply: a run compiles (once, cached
    on disk) and executes only the code it uses. Schedules and clipping stay run-time choices (one
    cheap branch per step)."""
    # one feature, analytic gradient, simultaneous update: w and b live in registers
    d1 = linear and one_feature
    fast_1d = d1 and not numeric and not sequential

    def run_loop(kind, n_rows, xy, xbar, ybar, cov, wstar, rss_n, p0, epochs, batch_size, shuffle, seed,
                 ohp, state0, skind, shp, milestones, sched_per_update, ckind, clip_c, h,
                 tol_grad, tol_loss, div_factor, ref_loss, max_points, lr_start, idx, xs, work, rec):
        # idx, xs, work and rec are scratch buffers from the caller (see ``buffers``): the loop
        # allocates nothing, so numba compiles no array constructors for it
        dim = p0.shape[0]
        n = n_rows if linear else 1
        full = (not linear) or batch_size >= n
        bsz = n if full else batch_size
        # an epoch's rows, contiguous in visiting order (random access costs more than a copy)
        shuffled = visits_shuffled(linear, shuffle, batch_size, n)
        if shuffled:
            for i in range(n):
                idx[i] = i
        else:
            xs = xy
        rng = np.uint64(seed)
        lr0 = ohp[O.LR]
        mom, damp, nest = ohp[O.MOMENTUM], ohp[O.DAMPENING], ohp[O.NESTEROV] != 0.0
        wd, eps, b1, b2 = ohp[O.WD], ohp[O.EPS], ohp[O.BETA1], ohp[O.BETA2]
        alpha, centered, lr_decay = ohp[O.ALPHA], ohp[O.CENTERED] != 0.0, ohp[O.LR_DECAY]
        amsgrad, decoupled = ohp[O.AMSGRAD] != 0.0, ohp[O.DECOUPLED] != 0.0

        p, pprev, g, gfull, state = work[0], work[1], work[2], work[3], work[4:]
        for j in range(dim):
            p[j], pprev[j], g[j], gfull[j] = p0[j], p0[j], 0.0, 0.0
            for k in range(state0.shape[0]):
                state[k, j] = state0[k, j]
        # one feature: the moments and the parameters as scalars, for the hot path
        xbar0, var0, wstar0 = xbar[0], cov[0, 0], wstar[0]
        w, b = p[0], p[dim - 1]  # (used when d1)

        def update(j, pj, gj, t, lr):
            """One coordinate's optimizer step (its state, column j, is updated in place)."""
            if opt == SGD:
                pj, state[0, j] = O.sgd(pj, gj, state[0, j], t, lr, mom, damp, nest, wd)
            elif opt == ADAGRAD:
                pj, state[0, j] = O.adagrad(pj, gj, state[0, j], t, lr, lr_decay, eps, wd)
            elif opt == RMSPROP:
                pj, state[0, j], state[1, j], state[2, j] = O.rmsprop(
                    pj, gj, state[0, j], state[1, j], state[2, j], lr, alpha, eps, wd, mom,
                    centered)
            else:
                pj, state[0, j], state[1, j], state[2, j] = O.adam(
                    pj, gj, state[0, j], state[1, j], state[2, j], t, lr, b1, b2, eps, wd,
                    amsgrad, decoupled)
            return pj

        # (np.int64(0), not 0: a literal would compile a second copy of each callee)
        e = np.int64(0)
        lr = lr_start  # lr(0): the base rate, or start_factor × it for the warm-up
        plateau_best, plateau_bad, plateau_cool = np.inf, np.int64(0), np.int64(0)

        if d1:
            loss, gfull[0], gfull[1] = linreg_full_1d(w, b, xbar0, ybar, var0, wstar0, rss_n)
        else:
            loss = objective(kind, p, gfull, xs, 0, 1, True, xbar, ybar, cov, wstar, rss_n)
        gn = norm(gfull)
        write_row(rec, e, e, 0.0, e, lr, loss, loss, gn, 0.0, p)
        count, stride, next_rec = 1, 1, 1
        if not (math.isfinite(loss) and all_finite(p)):
            return rec, 1, DIVERGED, 0, p, loss, loss, -1

        loss0 = loss
        limit = div_factor * (loss0 if loss0 > 1e-12 else 1e-12)
        best = loss0
        have_ref = math.isfinite(ref_loss)
        target = ref_loss + 1e-3 * (loss0 - ref_loss) if have_ref else 0.0
        within_since = 0 if (have_ref and loss0 <= target) else -1
        status, step, samples, diverged_at = COMPLETED, 0, 0, -1
        # the last finite state, for the final history row
        l_lr, l_bl, l_gnorm, l_gsq, l_clipped = lr, loss, gn, -1.0, False

        for _epoch in range(epochs):
            if shuffled:
                rng = shuffle_rows(idx, rng)
                gather_rows(xy, idx, xs)
            for start in range(0, n, bsz):
                stop = start + bsz if start + bsz < n else n
                # 1. gradient of the batch loss (one feature: from scalars, see the top)
                if fast_1d:
                    if full:
                        bl, g[0], g[1] = linreg_full_1d(w, b, xbar0, ybar, var0, wstar0, rss_n)
                    elif stop - start == 1:  # one row: 2 err (x, 1), no sums
                        err = row_error(w, b, xs[start, 0], xs[start, 1])
                        bl, g[0], g[1] = err * err, 2.0 * err * xs[start, 0], 2.0 * err
                    else:
                        bl, gw, gb = 0.0, 0.0, 0.0
                        for i in range(start, stop):
                            err = row_error(w, b, xs[i, 0], xs[i, 1])
                            bl += err * err
                            gw += err * xs[i, 0]
                            gb += err
                        scale = 2.0 / (stop - start)
                        g[0], g[1], bl = gw * scale, gb * scale, bl / (stop - start)
                else:
                    bl = batch_gradient(kind, numeric, p, g, h, xs, start, stop, full, xbar, ybar,
                                        cov, wstar, rss_n)
                ok = math.isfinite(bl)
                for j in range(dim):
                    ok = ok and math.isfinite(g[j])
                if not ok:
                    status, diverged_at = DIVERGED, step + 1
                    break
                # 2. clip (by global norm: g <- g min(c / (||g|| + 1e-6), 1); by value: clamp)
                gsq, gnorm, clipped = 0.0, -1.0, False
                for j in range(dim):
                    gsq += g[j] * g[j]
                if ckind == C.NORM:
                    gnorm = math.sqrt(gsq)
                    coef = C.norm_coef(clip_c, gnorm)
                    if coef < 1.0:
                        clipped = True
                        for j in range(dim):
                            g[j] = g[j] * coef
                elif ckind == C.VALUE:
                    gnorm = math.sqrt(gsq)
                    for j in range(dim):
                        g[j], cj = C.clamp(g[j], clip_c)
                        clipped = clipped or cj
                # (without clipping the norm is only recorded: the root is taken when it is)
                # 3. update: every coordinate from one gradient (simultaneous), or one after
                #    another with the gradient recomputed in between (sequential)
                t = step + 1
                for j in range(dim):
                    pprev[j] = p[j]
                if fast_1d:
                    w = update(0, w, g[0], t, lr)
                    b = update(1, b, g[1], t, lr)
                    p[0], p[1] = w, b
                else:
                    for j in range(dim):
                        if sequential and j > 0:
                            batch_gradient(kind, numeric, p, g, h, xs, start, stop, full, xbar,
                                           ybar, cov, wstar, rss_n)
                            C.clip(ckind, clip_c, g)
                        p[j] = update(j, p[j], g[j], t, lr)
                    if d1:
                        w, b = p[0], p[1]
                # 4. full-data loss; divergence, records, convergence
                if d1:
                    new_loss, gfull[0], gfull[1] = linreg_full_1d(w, b, xbar0, ybar, var0, wstar0,
                                                                  rss_n)
                else:
                    new_loss = objective(kind, p, gfull, xs, 0, 1, True, xbar, ybar, cov, wstar,
                                         rss_n)
                ok = math.isfinite(new_loss)
                for j in range(dim):
                    ok = ok and math.isfinite(p[j])
                if not ok:
                    for j in range(dim):
                        p[j] = pprev[j]  # keep the last finite point
                    status, diverged_at = DIVERGED, step + 1
                    break
                step += 1
                samples += stop - start
                prev_loss, loss = loss, new_loss
                l_lr, l_bl, l_gnorm, l_gsq, l_clipped = lr, bl, gnorm, gsq, clipped
                if step == next_rec:
                    if count == max_points:  # full: keep every other row, double the stride
                        count = (count + 1) // 2
                        for i in range(1, count):
                            for c in range(N_COLS + dim):
                                rec[i, c] = rec[2 * i, c]
                        stride *= 2
                    if step % stride == 0:
                        write_row(rec, count, step, samples / n, samples, lr, loss, bl,
                                  gnorm if gnorm >= 0.0 else math.sqrt(gsq),
                                  1.0 if clipped else 0.0, p)
                        count += 1
                        next_rec = step + stride
                    else:
                        next_rec = (step // stride + 1) * stride
                if loss < best:
                    best = loss
                if have_ref:
                    if loss <= target:
                        if within_since < 0:
                            within_since = step
                    else:
                        within_since = -1
                if loss > limit:
                    status, diverged_at = DIVERGED, step
                    break
                # 5. schedule, per update
                if sched_per_update:
                    lr, e, plateau_best, plateau_bad, plateau_cool = S.schedule_step(
                        skind, lr0, lr, e, loss, plateau_best, plateau_bad, plateau_cool, shp,
                        milestones)
                if (tol_grad > 0.0 and norm(gfull) <= tol_grad) or (
                        tol_loss > 0.0
                        and math.fabs(loss - prev_loss) <= tol_loss * (
                            math.fabs(loss) if math.fabs(loss) > 1.0 else 1.0)):
                    status = CONVERGED
                    break
            if status != COMPLETED:
                break
            # 5'. schedule, per epoch (plateau watches the full-data loss)
            if not sched_per_update:
                lr, e, plateau_best, plateau_bad, plateau_cool = S.schedule_step(
                    skind, lr0, lr, e, loss, plateau_best, plateau_bad, plateau_cool, shp,
                    milestones)

        if rec[count - 1, STEP] != step:  # the last (finite) step is always kept
            i = count if count < max_points else count - 1
            write_row(rec, i, step, samples / n, samples, l_lr, loss, l_bl,
                      l_gnorm if l_gnorm >= 0.0 else math.sqrt(l_gsq),
                      1.0 if l_clipped else 0.0, p)
            count = i + 1
        last = diverged_at if status == DIVERGED else step
        return rec, count, status, last, p, loss, best, within_since

    return jit(run_loop)


def buffers(linear: bool, shuffle: bool, batch_size: int, n_rows: int, n_cols: int, dim: int,
            max_points: int):
    """The loop's scratch arrays: row order, the rows in that order, (p, previous p, gradient,
    full gradient, optimizer state), and the history."""
    rows = n_rows if py(visits_shuffled)(linear, shuffle, batch_size, n_rows) else 1
    return (np.empty(rows, dtype=np.int32), np.empty((rows, n_cols)),
            np.zeros((4 + O.N_STATE, dim)), np.zeros((max_points, N_COLS + dim)))


_LOOPS: dict = {}


def get_loop(linear: bool, numeric: bool, sequential: bool, opt: int, one_feature: bool = False):
    """The compiled loop for this combination (built on first use)."""
    key = (bool(linear), bool(numeric), bool(sequential), int(opt), bool(linear and one_feature))
    if key not in _LOOPS:
        _LOOPS[key] = _make_loop(*key)
    return _LOOPS[key]
