"""Compiled objectives: the data's moments, and losses with their gradients for the loop.

For linear regression the full-data loss and gradient follow from the moments in O(d^2) (see
``gdcore.problems`` for the algebra); a batch's loss and gradient come from its rows of the packed
array ``xy = [x | y]``. Test functions dispatch on their number (``TestFunction.kind``). Gradients
are written into a buffer ``g``; the return value is the loss.
"""

from __future__ import annotations

import numpy as np

from . import problems as P
from ._jit import jit

LINEAR = 0


# --- data moments (two passes, for accuracy) ----------------------------------------------------
@jit
def data_moments(x, y):
    """Means, then centred sums: x̄, ȳ, cov = Xcᵀ Xc / n, cross = Xcᵀ yc / n, syy = ycᵀ yc / n.

    Two passes over the data (means first, then centred sums, so nothing cancels), each sum in a
    local accumulator.
    """
    n, d = x.shape
    xbar = np.zeros(d)
    sy = 0.0
    for j in range(d):
        sx = 0.0
        for i in range(n):
            sx += x[i, j]
            if j == 0:
                sy += y[i]
        xbar[j] = sx / n
    ybar = sy / n
    cov = np.zeros((d, d))
    cross = np.zeros(d)
    syy = 0.0
    for j in range(d):
        sxx = 0.0
        sxy = 0.0
        for i in range(n):
            dj = x[i, j] - xbar[j]
            dy = y[i] - ybar
            sxx += dj * dj
            sxy += dj * dy
            if j == 0:
                syy += dy * dy
        cov[j, j] = sxx / n
        cross[j] = sxy / n
        for k in range(j + 1, d):
            s = 0.0
            for i in range(n):
                s += (x[i, j] - xbar[j]) * (x[i, k] - xbar[k])
            cov[j, k] = s / n
            cov[k, j] = s / n
    return xbar, ybar, cov, cross, syy / n


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
# The compiled loop calls the scalar forms (``*_1d``, ``row_error``) in its hot path: numba
# increments and decrements an atomic reference count for every array handed to an inlined
# helper, which cost three quarters of a batch-1 step. The array forms serve d > 1 and Python.
@jit(inline=True)
def linreg_full_1d(w, b, xbar, ybar, var, wstar, rss_n):
    """One feature: full-data MSE and its gradient from the moments, as (loss, dL/dw, dL/db).

        c = b + w x̄ - ȳ,   L = rss/n + var (w - w*)^2 + c^2,
        dL/dw = 2 var (w - w*) + 2 c x̄,   dL/db = 2 c
    """
    c = b - ybar + w * xbar
    dw = w - wstar
    s = var * dw
    return rss_n + dw * s + c * c, 2.0 * s + 2.0 * c * xbar, 2.0 * c


@jit(inline=True)
def row_error(w, b, x, y):
    """One row's error for one feature: w x + b - y (its MSE term is err², gradient 2 err (x, 1))."""
    return b - y + w * x


@jit(inline=True)
def linreg_full(p, g, xbar, ybar, cov, wstar, rss_n):
    """Full-data MSE and its gradient (into g) from the moments, O(d^2).

        c = b + x̄·w - ȳ,   L = rss/n + (w - w*)ᵀ cov (w - w*) + c^2,
        ∇_w L = 2 cov (w - w*) + 2 c x̄,   ∂L/∂b = 2 c
    """
    d = xbar.shape[0]
    if d == 1:
        loss, g[0], g[1] = linreg_full_1d(p[0], p[1], xbar[0], ybar, cov[0, 0], wstar[0], rss_n)
        return loss
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


@jit(inline=True)
def linreg_rows(p, g, xy, start, stop):
    """MSE of rows start..stop-1 of the packed data xy = [x | y] and its gradient (into g):
    2/B Σ err·x, 2/B Σ err."""
    d = xy.shape[1] - 1
    for j in range(d + 1):
        g[j] = 0.0
    loss = 0.0
    for i in range(start, stop):
        err = p[d] - xy[i, d]
        for j in range(d):
            err += p[j] * xy[i, j]
        loss += err * err
        for j in range(d):
            g[j] += err * xy[i, j]
        g[d] += err
    scale = 2.0 / (stop - start)
    for j in range(d + 1):
        g[j] *= scale
    return loss / (stop - start)


@jit(inline=True)
def gather_rows(xy, idx, out):
    """out[r] = xy[idx[r]]: an epoch's rows in visiting order, contiguous (one cache line a row,
    so the random reads happen here, once, rather than in every batch)."""
    if xy.shape[1] == 2:  # one feature: a fixed-size copy keeps many reads in flight
        for r in range(idx.shape[0]):
            i = idx[r]
            out[r, 0] = xy[i, 0]
            out[r, 1] = xy[i, 1]
        return
    for r in range(idx.shape[0]):
        i = idx[r]
        for j in range(xy.shape[1]):
            out[r, j] = xy[i, j]


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
def objective(kind, p, g, xy, start, stop, full, xbar, ybar, cov, wstar, rss_n):
    """Batch loss and analytic batch gradient (into g)."""
    if kind != LINEAR:
        return function_loss_grad(kind, p, g)
    if full:
        return linreg_full(p, g, xbar, ybar, cov, wstar, rss_n)
    return linreg_rows(p, g, xy, start, stop)


@jit
def numeric_gradient(kind, p, g, h, xy, start, stop, full, xbar, ybar, cov, wstar, rss_n):
    """Central differences (L(p + h e_j) - L(p - h e_j)) / 2h into g; returns L(p)."""
    scratch = np.empty_like(g)
    q = p.copy()
    for j in range(p.shape[0]):
        q[j] = p[j] + h
        lp = objective(kind, q, scratch, xy, start, stop, full, xbar, ybar, cov, wstar, rss_n)
        q[j] = p[j] - h
        lm = objective(kind, q, scratch, xy, start, stop, full, xbar, ybar, cov, wstar, rss_n)
        q[j] = p[j]
        g[j] = (lp - lm) / (2.0 * h)
    return objective(kind, p, scratch, xy, start, stop, full, xbar, ybar, cov, wstar, rss_n)


@jit
def batch_gradient(kind, numeric, p, g, h, xy, start, stop, full, xbar, ybar, cov, wstar, rss_n):
    """Batch loss and batch gradient (into g): analytic, or central differences with step h."""
    if numeric:
        return numeric_gradient(kind, p, g, h, xy, start, stop, full, xbar, ybar, cov, wstar, rss_n)
    return objective(kind, p, g, xy, start, stop, full, xbar, ybar, cov, wstar, rss_n)
