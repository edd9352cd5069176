"""Linear regression with the MSE, summarised by the moments of its data.

Linear regression with MSE, ``L(w, b) = mean((x·w + b - y)^2)``, is summarised by a few moments of
the data (means, centred covariance, the least-squares solution and its residual), so the full-data
loss and gradient cost O(d^2) per step instead of a pass over the data:

    L(w, b)  = RSS*/n + (w - w*)^T C (w - w*) + c^2,      c = w·x̄ + b - ȳ
    dL/dw    = 2 C (w - w*) + 2 c x̄,      dL/db = 2 c

where ``C`` is the centred covariance ``Xcᵀ Xc / n`` and ``(w*, b*)`` the least-squares answer. Every
term is non-negative, so nothing cancels near the optimum.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

import numpy as np

from ..errors import ConfigError
from ..limits import LINEAR
from .problem import stable_rate_at
from .rows import RowModel


# --- linear regression ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class LinearRegression(RowModel):
    """MSE linear regression ``y ≈ x·w + b`` on a data set (x: (n, d), y: (n,)), float64."""

    x: np.ndarray
    y: np.ndarray
    kind: int = 0
    family: ClassVar[str] = LINEAR

    def reference_point(self, near=None) -> np.ndarray:
        """The least-squares answer (w*, b*)."""
        w, b = self.least_squares
        return np.concatenate([w, [b]])

    def stable_rate(self) -> float:
        """2/λmax of the MSE's constant Hessian."""
        return stable_rate_at(self, None)


    @cached_property
    def moments(self) -> Moments:
        xbar, ybar, cov, cross, syy = _moments(self.x, self.y)
        wstar, *_ = np.linalg.lstsq(cov, cross, rcond=None)
        # RSS*/n = syy - crossᵀw* loses about eps·syy/RSS* to cancellation: take it when the fit
        # leaves at least 1% of the variance (error <~ 1e-12 relative), else sum the residuals.
        rss_formula = float(syy - cross @ wstar)
        if rss_formula > 1e-2 * syy:
            rss_n = rss_formula
        else:
            rss_n = _residual_mean_square(self.x, self.y, xbar, ybar, wstar)
        return Moments(xbar, float(ybar), cov, np.ascontiguousarray(wstar), float(rss_n))

    @cached_property
    def columns(self) -> np.ndarray:
        """The data as one C-contiguous array of columns (x_1 .. x_d, y): what the loops read a
        batch from, one column after another."""
        return np.ascontiguousarray(np.vstack([self.x.T, self.y[None, :]]))

    @property
    def least_squares(self) -> tuple[np.ndarray, float]:
        """The closed-form answer (w*, b*) in model units."""
        m = self.moments
        return m.wstar.copy(), float(m.ybar - m.wstar @ m.xbar)

    @property
    def min_value(self) -> float:
        return self.moments.rss_n

    def loss(self, p) -> float:
        """Full-data MSE straight from the rows (the definition; the loops use the moments)."""
        p = np.asarray(p, dtype=float)
        err = self.x @ p[:-1] + p[-1] - self.y
        return float(np.mean(err**2))

    def gradient(self, p) -> np.ndarray:
        p = np.asarray(p, dtype=float)
        err = self.x @ p[:-1] + p[-1] - self.y
        return np.concatenate([2.0 * (self.x.T @ err) / self.n, [2.0 * err.mean()]])

    def hessian(self, p=None) -> np.ndarray:
        """The MSE's Hessian (constant): 2 [[E[x xᵀ], E[x]], [E[x]ᵀ, 1]], from the moments."""
        m = self.moments
        d = self.d
        h = np.empty((d + 1, d + 1))
        h[:d, :d] = m.cov + np.outer(m.xbar, m.xbar)
        h[:d, d] = h[d, :d] = m.xbar
        h[d, d] = 1.0
        return 2.0 * h

    def slice(self, i: int, j: int, us: np.ndarray, vs: np.ndarray, at) -> np.ndarray:
        """The loss on a grid of parameters ``i`` and ``j`` (values ``us``, ``vs``) with every
        other parameter held at ``at``: array [i_v, i_u]. Exact from the moments, O(1) a cell:
        L(p) = L* + ½ (p - p*)ᵀ H (p - p*), H the constant Hessian, p* least squares."""
        w, b = self.least_squares
        pstar = np.concatenate([w, [b]])
        h = self.hessian()
        base = np.asarray(at, dtype=float) - pstar
        if base.shape != pstar.shape or i == j:
            raise ConfigError(f"a slice needs a point of {self.dim} values and two different "
                              "parameters")
        base[i] = base[j] = 0.0
        U, V = np.meshgrid(np.asarray(us, float) - pstar[i], np.asarray(vs, float) - pstar[j])
        # (base + U e_i + V e_j)ᵀ H (...) expanded: no (dim × cells) array
        hb = h @ base
        with np.errstate(over="ignore", invalid="ignore"):
            quad = (base @ hb + 2 * U * hb[i] + 2 * V * hb[j] + U * U * h[i, i]
                    + 2 * U * V * h[i, j] + V * V * h[j, j])
        return self.min_value + 0.5 * np.maximum(quad, 0.0)

    def grid(self, ws: np.ndarray, bs: np.ndarray) -> np.ndarray:
        """Loss on a (w, b) grid for d = 1, from the moments: array [i_b, i_w]."""
        if self.d != 1:
            raise ConfigError("a (w, b) loss grid needs a single x column")
        m = self.moments
        W, B = np.meshgrid(np.asarray(ws, float), np.asarray(bs, float))
        c = W * m.xbar[0] + B - m.ybar
        return m.rss_n + m.cov[0, 0] * (W - m.wstar[0]) ** 2 + c**2


@dataclass(frozen=True, eq=False)
class Moments:
    xbar: np.ndarray  # (d,)
    ybar: float
    cov: np.ndarray  # (d, d) centred covariance, divided by n
    wstar: np.ndarray  # (d,) least-squares slopes
    rss_n: float  # mean squared residual of the least-squares fit = the minimum loss


# --- the data's moments ---------------------------------------------------------------------------
CHUNK = 1 << 15  # rows centred at a time: the scratch buffers stay in the CPU's cache


def _moments(x: np.ndarray, y: np.ndarray):
    """x̄, ȳ, cov = Xcᵀ Xc / n, cross = Xcᵀ yc / n, syy = ycᵀ yc / n: two passes (means, then
    centred sums, so nothing cancels), the second in chunks of CHUNK rows centred into reused
    buffers (on a million rows about three times faster than centring whole copies)."""
    n, d = x.shape
    xbar = x.mean(axis=0)
    ybar = float(y.mean())
    cov, cross, syy = np.zeros((d, d)), np.zeros(d), 0.0
    xbuf, ybuf = np.empty((min(CHUNK, n), d)), np.empty(min(CHUNK, n))
    for start in range(0, n, CHUNK):
        stop = min(start + CHUNK, n)
        m = stop - start
        xc = np.subtract(x[start:stop], xbar, out=xbuf[:m])
        yc = np.subtract(y[start:stop], ybar, out=ybuf[:m])
        if d == 1:  # vector dot products: no matrix call for a single column
            col = xc[:, 0]
            cov[0, 0] += col @ col
            cross[0] += col @ yc
        else:
            cov += xc.T @ xc
            cross += xc.T @ yc
        syy += float(yc @ yc)
    return xbar, ybar, cov / n, cross / n, syy / n


def _residual_mean_square(x, y, xbar, ybar, wstar) -> float:
    """mean((yc - Xc w*)^2): the least-squares loss, summed directly (no cancellation)."""
    n = x.shape[0]
    total = 0.0
    for start in range(0, n, CHUNK):
        stop = min(start + CHUNK, n)
        r = (y[start:stop] - ybar) - (x[start:stop] - xbar) @ wstar
        total += float(r @ r)
    return total / n
