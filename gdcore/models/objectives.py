"""The mean-squared-error loss and its gradient, the forms both loops compute it in.

``L(w, b) = mean((x·w + b - y)^2)`` (PyTorch's ``MSELoss``), gradient ``2/B Σ err·x, 2/B Σ err``.

* On **all rows**, from the data's moments in O(d^2) (see ``gdcore.models`` for the algebra):

      c = b + x̄·w - ȳ,   L = rss/n + (w - w*)ᵀ C (w - w*) + c^2,
      ∇_w L = 2 C (w - w*) + 2 c x̄,   ∂L/∂b = 2 c

  so a full-batch step costs O(1) in n and every step can report the full-data loss.
* On **a batch** of rows ``start..stop-1``, read from the data's columns (features, then y).

Each has a one-feature form on scalars (the dashboard's everyday case: nothing to index) and a
general form that writes the gradient into a buffer ``g`` and returns the loss. The functions
index with ``a[i]`` / ``a[j][i]`` and plain loops, so the same code runs on Python lists in the
interpreter loop (``gdcore.engine.loop``) and on arrays in the compiled accelerator (``gdcore.engine.accel``).
"""

from __future__ import annotations


def mse_full_1d(w, b, xbar, ybar, var, wstar, rss_n):
    """One feature, all rows: (loss, dL/dw, dL/db) from the moments.

        c = b + w x̄ - ȳ,   L = rss/n + var (w - w*)^2 + c^2,
        dL/dw = 2 var (w - w*) + 2 c x̄,   dL/db = 2 c
    """
    c = b - ybar + w * xbar
    dw = w - wstar
    s = var * dw
    return rss_n + dw * s + c * c, 2.0 * s + 2.0 * c * xbar, 2.0 * c


def row_error(w, b, x, y):
    """One row's error for one feature: w x + b - y (its loss is err², its gradient 2 err (x, 1))."""
    return b - y + w * x


def mse_rows_1d(w, b, xs, ys, start, stop):
    """One feature, rows start..stop-1 of the columns ``xs``, ``ys``: (batch loss, dL/dw, dL/db)."""
    loss, gw, gb = 0.0, 0.0, 0.0
    for i in range(start, stop):
        x = xs[i]
        err = row_error(w, b, x, ys[i])
        loss += err * err
        gw += err * x
        gb += err
    scale = 2.0 / (stop - start)
    return loss / (stop - start), gw * scale, gb * scale


def mse_full(p, g, xbar, ybar, cov, wstar, rss_n):
    """Any number of features, all rows: the loss, and its gradient written into ``g``.
    ``p`` = (w_1..w_d, b); ``cov[j][k]`` the centred covariance."""
    d = len(xbar)
    c = p[d] - ybar
    for j in range(d):
        c += p[j] * xbar[j]
    quad = 0.0
    for j in range(d):
        s = 0.0
        for k in range(d):
            s += cov[j][k] * (p[k] - wstar[k])
        quad += (p[j] - wstar[j]) * s
        g[j] = 2.0 * s + 2.0 * c * xbar[j]
    g[d] = 2.0 * c
    return rss_n + quad + c * c


def mse_rows(p, g, cols, start, stop):
    """Any number of features, rows start..stop-1 of the columns ``cols`` (``cols[j][i]`` is
    feature j of row i, ``cols[d]`` the targets): the batch loss, and its gradient
    2/B Σ err·(x, 1) written into ``g``."""
    d = len(p) - 1
    for j in range(d + 1):
        g[j] = 0.0
    loss = 0.0
    for i in range(start, stop):
        err = p[d] - cols[d][i]
        for j in range(d):
            err += p[j] * cols[j][i]
        loss += err * err
        for j in range(d):
            g[j] += err * cols[j][i]
        g[d] += err
    scale = 2.0 / (stop - start)
    for j in range(d + 1):
        g[j] *= scale
    return loss / (stop - start)
