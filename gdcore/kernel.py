"""The compiled inner loop: batches -> gradient -> clip -> update -> schedule -> record.

This module holds no formulas of its own: gradients come from ``problems``, update rules from
``optimizers``, learning rates from ``schedules`` and clipping from ``clipping``, all compiled by
numba (see ``_jit``). What is here is bookkeeping: batching and shuffling, divergence and stopping
tests, and a bounded history (first, last and evenly spread steps: when the buffer fills, every
other point is dropped and the recording stride doubles).

For linear regression the full-data loss and gradient come from the data's moments in O(d^2)
(see ``problems``), so a full-batch step costs O(1) in n, and every mini-batch step can report the
full-data loss for free.
"""

from __future__ import annotations

import math

import numpy as np

from . import clipping as C
from . import optimizers as O
from . import problems as P
from . import schedules as S
from ._jit import jit

LINEAR = 0
COMPLETED, CONVERGED, DIVERGED = 0, 1, 2
# columns of the recorded history (parameters follow)
STEP, EPOCH, SAMPLES, LR, LOSS, BATCH_LOSS, GRAD_NORM, CLIPPED = range(8)
N_COLS = 8


# --- data moments (two passes, for accuracy) ----------------------------------------------------
@jit
def data_moments(x, y):
    """Means of x and y, and the centred covariance Xcᵀ Xc / n."""
    n, d = x.shape
    xbar = np.zeros(d)
    ybar = 0.0
    for i in range(n):
        for j in range(d):
            xbar[j] += x[i, j]
        ybar += y[i]
    xbar /= n
    ybar /= n
    cov = np.zeros((d, d))
    for i in range(n):
        for j in range(d):
            dj = x[i, j] - xbar[j]
            for k in range(j, d):
                cov[j, k] += dj * (x[i, k] - xbar[k])
    for j in range(d):
        for k in range(j, d):
            cov[j, k] /= n
            cov[k, j] = cov[j, k]
    return xbar, ybar, cov


@jit
def centred_cross(x, y, xbar, ybar):
    """Xcᵀ yc / n."""
    n, d = x.shape
    out = np.zeros(d)
    for i in range(n):
        yc = y[i] - ybar
        for j in range(d):
            out[j] += (x[i, j] - xbar[j]) * yc
    return out / n


@jit
def residual_mean_square(x, y, xbar, ybar, wstar):
    """mean((yc - Xc w*)^2): the least-squares loss, summed directly (no cancellation)."""
    n, d = x.shape
    total = 0.0
    for i in range(n):
        r = y[i] - ybar
        for j in range(d):
            r -= (x[i, j] - xbar[j]) * wstar[j]
        total += r * r
    return total / n


# --- objectives ---------------------------------------------------------------------------------
@jit
def linreg_full(p, g, xbar, ybar, cov, wstar, rss_n):
    """Full-data MSE and its gradient (into g) from the moments, O(d^2)."""
    d = xbar.shape[0]
    c = p[d] - ybar
    for j in range(d):
        c += p[j] * xbar[j]
    quad = 0.0
    for j in range(d):
        s = 0.0
        for k in range(d):
            s += cov[j, k] * (p[k] - wstar[k])
        quad += (p[j] - wstar[j]) * s
        g[j] = 2.0 * s + 2.0 * c * xbar[j]
    g[d] = 2.0 * c
    return rss_n + quad + c * c


@jit
def linreg_rows(p, g, x, y, idx, start, stop):
    """MSE of rows idx[start:stop] and its gradient (into g): 2/B Σ err·x, 2/B Σ err."""
    d = x.shape[1]
    for j in range(d + 1):
        g[j] = 0.0
    loss = 0.0
    for r in range(start, stop):
        i = idx[r]
        err = p[d] - y[i]
        for j in range(d):
            err += p[j] * x[i, j]
        loss += err * err
        for j in range(d):
            g[j] += err * x[i, j]
        g[d] += err
    scale = 2.0 / (stop - start)
    for j in range(d + 1):
        g[j] *= scale
    return loss / (stop - start)


@jit
def function_loss_grad(kind, p, g):
    """Value and gradient (into g) of test function number ``kind``."""
    if kind == 1:
        r1 = P.quadratic_grad(p)
        g[0] = r1[0]
        return P.quadratic(p)
    if kind == 2:
        r2 = P.double_well_grad(p)
        g[0] = r2[0]
        return P.double_well(p)
    if kind == 3:
        r3 = P.bowl_grad(p)
        g[0], g[1] = r3[0], r3[1]
        return P.bowl(p)
    if kind == 4:
        r4 = P.rosenbrock_grad(p)
        g[0], g[1] = r4[0], r4[1]
        return P.rosenbrock(p)
    if kind == 5:
        r5 = P.himmelblau_grad(p)
        g[0], g[1] = r5[0], r5[1]
        return P.himmelblau(p)
    r6 = P.saddle_grad(p)
    g[0], g[1] = r6[0], r6[1]
    return P.saddle(p)


@jit
def objective(kind, p, g, x, y, idx, start, stop, full, xbar, ybar, cov, wstar, rss_n):
    """Batch loss and analytic batch gradient (into g)."""
    if kind != LINEAR:
        return function_loss_grad(kind, p, g)
    if full:
        return linreg_full(p, g, xbar, ybar, cov, wstar, rss_n)
    return linreg_rows(p, g, x, y, idx, start, stop)


@jit
def numeric_gradient(kind, p, g, h, x, y, idx, start, stop, full, xbar, ybar, cov, wstar, rss_n):
    """Central differences (L(p + h e_j) - L(p - h e_j)) / 2h into g; returns L(p)."""
    scratch = np.empty_like(g)
    q = p.copy()
    for j in range(p.shape[0]):
        q[j] = p[j] + h
        lp = objective(kind, q, scratch, x, y, idx, start, stop, full, xbar, ybar, cov, wstar, rss_n)
        q[j] = p[j] - h
        lm = objective(kind, q, scratch, x, y, idx, start, stop, full, xbar, ybar, cov, wstar, rss_n)
        q[j] = p[j]
        g[j] = (lp - lm) / (2.0 * h)
    return objective(kind, p, scratch, x, y, idx, start, stop, full, xbar, ybar, cov, wstar, rss_n)


@jit
def all_finite(a):
    for v in a:
        if not math.isfinite(v):
            return False
    return True


@jit
def update_coordinate(okind, hp, p, g, state, j, t, lr):
    """Apply optimizer ``okind`` to coordinate j: returns the new parameter, writes new state."""
    if okind == O.SGD:
        pj, b = O.sgd(p[j], g[j], state[0, j], t, lr, hp[O.MOMENTUM], hp[O.DAMPENING],
                      hp[O.NESTEROV] != 0.0, hp[O.WD])
        state[0, j] = b
    elif okind == O.ADAGRAD:
        pj, s = O.adagrad(p[j], g[j], state[0, j], t, lr, hp[O.LR_DECAY], hp[O.EPS], hp[O.WD])
        state[0, j] = s
    elif okind == O.RMSPROP:
        pj, sq, ga, b = O.rmsprop(p[j], g[j], state[0, j], state[1, j], state[2, j], lr,
                                  hp[O.ALPHA], hp[O.EPS], hp[O.WD], hp[O.MOMENTUM],
                                  hp[O.CENTERED] != 0.0)
        state[0, j], state[1, j], state[2, j] = sq, ga, b
    else:
        pj, m, v, vmax = O.adam(p[j], g[j], state[0, j], state[1, j], state[2, j], t, lr,
                                hp[O.BETA1], hp[O.BETA2], hp[O.EPS], hp[O.WD],
                                hp[O.AMSGRAD] != 0.0, hp[O.DECOUPLED] != 0.0)
        state[0, j], state[1, j], state[2, j] = m, v, vmax
    return pj


@jit
def run_loop(kind, x, y, xbar, ybar, cov, wstar, rss_n, p0, epochs, batch_size, shuffle, seed,
             okind, ohp, state0, skind, shp, milestones, sched_per_update, ckind, clip_c,
             sequential, numeric, h, tol_grad, tol_loss, div_factor, ref_loss, max_points):
    """Run one configuration. Returns (history rows, status, last step, final params, final loss,
    best loss, first step from which the excess loss stayed within 0.1% of the start's, or -1)."""
    dim = p0.shape[0]
    n = x.shape[0] if kind == LINEAR else 1
    full = kind != LINEAR or batch_size >= n
    bsz = n if full else batch_size
    idx = np.arange(n)
    if shuffle and not full:
        np.random.seed(seed)

    p = p0.copy()
    state = state0.copy()
    g = np.zeros(dim)
    gfull = np.zeros(dim)
    ptmp = np.zeros(dim)

    rec = np.zeros((max_points, N_COLS + dim))
    cur = np.zeros(N_COLS + dim)
    cap = max_points - 1
    count = 0
    stride = 1

    base = ohp[O.LR]
    lr = S.lr_at(skind, base, 0, shp, milestones)
    plateau_best = np.inf
    plateau_bad = 0
    plateau_cool = 0
    e = 0

    loss0 = objective(kind, p, gfull, x, y, idx, 0, n, True, xbar, ybar, cov, wstar, rss_n)
    gn0 = 0.0
    for j in range(dim):
        gn0 += gfull[j] * gfull[j]
    cur[STEP], cur[EPOCH], cur[SAMPLES], cur[LR] = 0.0, 0.0, 0.0, lr
    cur[LOSS], cur[BATCH_LOSS], cur[GRAD_NORM], cur[CLIPPED] = loss0, loss0, math.sqrt(gn0), 0.0
    cur[N_COLS:] = p
    rec[0, :] = cur
    count = 1
    if not (math.isfinite(loss0) and all_finite(p)):
        return rec[:1], DIVERGED, 0, p, loss0, loss0, -1

    limit = div_factor * max(loss0, 1e-12)
    best = loss0
    have_ref = math.isfinite(ref_loss)
    target = ref_loss + 1e-3 * (loss0 - ref_loss) if have_ref else 0.0
    within_since = 0 if (have_ref and loss0 <= target) else -1
    prev_loss = loss0
    status = COMPLETED
    step = 0
    samples = 0
    diverged_at = -1

    for _epoch in range(epochs):
        if shuffle and not full:
            np.random.shuffle(idx)
        for start in range(0, n, bsz):
            stop = min(start + bsz, n)
            # 1. gradient of the batch loss
            if numeric:
                bl = numeric_gradient(kind, p, g, h, x, y, idx, start, stop, full,
                                      xbar, ybar, cov, wstar, rss_n)
            else:
                bl = objective(kind, p, g, x, y, idx, start, stop, full, xbar, ybar, cov, wstar,
                               rss_n)
            if not (math.isfinite(bl) and all_finite(g)):
                status = DIVERGED
                diverged_at = step + 1
                break
            # 2. clip
            gnorm, clipped = C.clip(ckind, clip_c, g)
            # 3. update (all coordinates from one gradient, or one after another)
            t = step + 1
            if sequential:
                for j in range(dim):
                    if j > 0:
                        if numeric:
                            numeric_gradient(kind, p, g, h, x, y, idx, start, stop, full,
                                             xbar, ybar, cov, wstar, rss_n)
                        else:
                            objective(kind, p, g, x, y, idx, start, stop, full,
                                      xbar, ybar, cov, wstar, rss_n)
                        C.clip(ckind, clip_c, g)
                    p[j] = update_coordinate(okind, ohp, p, g, state, j, t, lr)
            else:
                for j in range(dim):
                    ptmp[j] = update_coordinate(okind, ohp, p, g, state, j, t, lr)
                p[:] = ptmp
            step += 1
            samples += stop - start
            # 4. full-data loss; divergence and convergence tests
            loss = objective(kind, p, gfull, x, y, idx, 0, n, True, xbar, ybar, cov, wstar, rss_n)
            if not (math.isfinite(loss) and all_finite(p)):
                status = DIVERGED
                diverged_at = step
                break
            gfn = 0.0
            for j in range(dim):
                gfn += gfull[j] * gfull[j]
            gfn = math.sqrt(gfn)
            cur[STEP], cur[EPOCH], cur[SAMPLES], cur[LR] = step, samples / n, samples, lr
            cur[LOSS], cur[BATCH_LOSS], cur[GRAD_NORM] = loss, bl, gnorm
            cur[CLIPPED] = 1.0 if clipped else 0.0
            cur[N_COLS:] = p
            if step % stride == 0:
                if count == cap:
                    half = (count + 1) // 2
                    for i in range(half):
                        rec[i, :] = rec[2 * i, :]
                    count = half
                    stride *= 2
                if step % stride == 0:
                    rec[count, :] = cur
                    count += 1
            if loss < best:
                best = loss
            if have_ref:
                if loss <= target:
                    if within_since < 0:
                        within_since = step
                else:
                    within_since = -1
            if loss > limit:
                status = DIVERGED
                diverged_at = step
                break
            # 5. schedule, per update
            if sched_per_update:
                if skind == S.PLATEAU:
                    lr, plateau_best, plateau_bad, plateau_cool = S.plateau_step(
                        loss, lr, plateau_best, plateau_bad, plateau_cool, shp)
                else:
                    e += 1
                    lr = S.lr_at(skind, base, e, shp, milestones)
            if (tol_grad > 0.0 and gfn <= tol_grad) or (
                    tol_loss > 0.0 and abs(loss - prev_loss) <= tol_loss * max(1.0, abs(loss))):
                status = CONVERGED
                break
            prev_loss = loss
        if status != COMPLETED:
            break
        # 5'. schedule, per epoch (plateau watches the full-data loss)
        if not sched_per_update:
            if skind == S.PLATEAU:
                lr, plateau_best, plateau_bad, plateau_cool = S.plateau_step(
                    cur[LOSS], lr, plateau_best, plateau_bad, plateau_cool, shp)
            else:
                e += 1
                lr = S.lr_at(skind, base, e, shp, milestones)

    if rec[count - 1, STEP] != cur[STEP]:
        rec[count, :] = cur
        count += 1
    last = diverged_at if status == DIVERGED else step
    return (rec[:count].copy(), status, last, cur[N_COLS:].copy(), cur[LOSS], best,
            within_since)
