"""Logistic regression: binary cross-entropy on the logits, as PyTorch's ``BCEWithLogitsLoss``
(mean over the rows, float64), and its reference optimum by Newton's method (IRLS).

With z = x·w + b and a label y in {0, 1}:

    loss  = mean( (1 - y) z + log(1 + e^-z) )        written stably: (1 - y) z + softplus(-z)
    ∇_w   = Xᵀ (σ(z) - y) / n,   ∂/∂b = mean(σ(z) - y)
    H     = X̃ᵀ diag(σ(z) (1 - σ(z))) X̃ / n            (X̃ = [X | 1])

Unlike the MSE there is no summary of the data that gives the loss on all rows in O(1): every
full-data loss costs a pass over the rows (numpy, vectorised), which the benchmark reports.
When the classes can be separated by a line, the loss has no minimum (it falls towards 0 as
|w| grows): the reference is then "none", said so by :attr:`LogisticRegression.separable`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

import numpy as np

from ..errors import ConfigError
from ..limits import LOGISTIC
from ..rules.methods import ROUNDING
from .problem import stable_rate_at
from .rows import RowModel

SLICE_ROWS = 2048  # rows per chunk of a loss slice: (rows × cells) floats at a time


def softplus(z):
    """log(1 + e^z), without overflow: max(z, 0) + log1p(e^-|z|) (arrays or floats)."""
    if isinstance(z, float):
        return (z if z > 0.0 else 0.0) + math.log1p(math.exp(-abs(z)))
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def sigmoid(z):
    """1 / (1 + e^-z), without overflow (arrays or floats)."""
    if isinstance(z, float):
        if z >= 0.0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    e = np.exp(z[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def bce(z, y):
    """The per-row loss (1 - y) z + softplus(-z) (arrays or floats)."""
    return (1.0 - y) * z + softplus(-z)


def bce_rows(p, x, y) -> tuple[float, np.ndarray]:
    """Mean loss and gradient over rows ``x`` (m, d), labels ``y`` (m,), at p = (w, b).

    The same formulas as :func:`sigmoid` and :func:`bce` (so the same numbers, bit for bit),
    sharing one e^-|z| between them and without their sign masks: 2.6x faster on 20,000 rows
    (bench/run.py L), and this is the cost of every logistic step."""
    p = np.asarray(p, dtype=float)
    z = x @ p[:-1] + p[-1]
    e = np.exp(-np.abs(z))
    s = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))  # σ(z)
    r = s - y
    m = x.shape[0]
    loss = (1.0 - y) * z + (np.maximum(-z, 0.0) + np.log1p(e))  # (1 - y) z + softplus(-z)
    return float(np.mean(loss)), np.concatenate([x.T @ r / m, [float(np.sum(r)) / m]])


def bce_loss(p, x, y) -> float:
    """The mean loss of :func:`bce_rows` alone, the same numbers (a mini-batch run records the
    full-data loss after every update; its gradient is needed only for a gradient tolerance)."""
    p = np.asarray(p, dtype=float)
    z = x @ p[:-1] + p[-1]
    e = np.exp(-np.abs(z))
    return float(np.mean((1.0 - y) * z + (np.maximum(-z, 0.0) + np.log1p(e))))


@dataclass(frozen=True, eq=False)
class LogisticRegression(RowModel):
    """Binary logistic regression ``P(y = 1) = σ(x·w + b)`` on x (n, d) and 0/1 labels y."""

    x: np.ndarray
    y: np.ndarray
    family: ClassVar[str] = LOGISTIC

    def __post_init__(self) -> None:
        y = np.asarray(self.y, dtype=float)
        if not np.all((y == 0.0) | (y == 1.0)):
            raise ConfigError("logistic regression needs labels 0 and 1 in the y column")
        if y.min() == y.max():
            raise ConfigError("logistic regression needs both classes (0 and 1) in the data")


    @cached_property
    def columns(self) -> np.ndarray:
        """The data as one array of columns (x_1 .. x_d, y), what a batch is read from."""
        return np.ascontiguousarray(np.vstack([self.x.T, self.y[None, :]]))

    def loss(self, p) -> float:
        return bce_rows(p, self.x, self.y)[0]

    def gradient(self, p) -> np.ndarray:
        return bce_rows(p, self.x, self.y)[1]

    def hessian(self, p) -> np.ndarray:
        p = np.asarray(p, dtype=float)
        s = sigmoid(self.x @ p[:-1] + p[-1])
        xt = np.column_stack([self.x, np.ones(self.n)])
        return (xt * (s * (1.0 - s))[:, None]).T @ xt / self.n

    def slice(self, i: int, j: int, us: np.ndarray, vs: np.ndarray, at) -> np.ndarray:
        """The loss on a grid of parameters ``i`` and ``j`` (values ``us``, ``vs``) with every
        other parameter held at ``at``: array [i_v, i_u]. A pass over the rows per cell (the
        cross-entropy has no summary), in chunks of rows so memory stays bounded."""
        at = np.asarray(at, dtype=float)
        if at.shape != (self.dim,) or i == j:
            raise ConfigError(f"a slice needs a point of {self.dim} values and two different "
                              "parameters")
        xt = np.column_stack([self.x, np.ones(self.n)])
        rest = at.copy()
        rest[i] = rest[j] = 0.0
        base = xt @ rest  # (n,): the other parameters' share of each row's logit
        us, vs = np.asarray(us, float), np.asarray(vs, float)
        U, V = np.meshgrid(us, vs)
        u, v = U.ravel(), V.ravel()
        total = np.zeros(u.size)
        for start in range(0, self.n, SLICE_ROWS):
            stop = min(start + SLICE_ROWS, self.n)
            with np.errstate(over="ignore", invalid="ignore"):
                z = (base[start:stop, None] + xt[start:stop, i, None] * u[None, :]
                     + xt[start:stop, j, None] * v[None, :])
                total += bce(z, self.y[start:stop, None]).sum(axis=0)
        return (total / self.n).reshape(U.shape)

    def accuracy(self, p) -> float:
        """Share of rows on the right side of the boundary (P(y = 1) >= 1/2 predicts 1)."""
        p = np.asarray(p, dtype=float)
        return float(np.mean(((self.x @ p[:-1] + p[-1]) >= 0.0) == (self.y == 1.0)))

    def separates(self, p) -> bool:
        """Whether the boundary at ``p`` puts every row strictly on its own class's side. Then
        the classes are separable and the loss has no minimum (scaling p up lowers it); and
        once the loss is below log(2)/n every row is on its side, so a minimisation of
        separable data meets this after finitely many steps."""
        p = np.asarray(p, dtype=float)
        z = self.x @ p[:-1] + p[-1]
        return bool(np.all(np.where(self.y == 1.0, z > 0.0, z < 0.0)))

    def accuracies(self, points: np.ndarray) -> np.ndarray:
        """:meth:`accuracy` at each row of ``points`` (k, d + 1), e.g. a run's history: in
        chunks of rows, so memory stays at :data:`SLICE_ROWS` × k (a history of 2,000 points
        on a million rows would otherwise make 16 GB of logits)."""
        points = np.asarray(points, dtype=float).reshape(-1, self.dim)
        w, b = points[:, :-1].T, points[:, -1]
        right = np.zeros(len(points), dtype=np.int64)
        for start in range(0, self.n, SLICE_ROWS):
            stop = min(start + SLICE_ROWS, self.n)
            z = self.x[start:stop] @ w + b  # (rows, k)
            right += np.count_nonzero((z >= 0.0) == (self.y[start:stop] == 1.0)[:, None],
                                      axis=0)
        return right / self.n

    def ray(self, p) -> np.ndarray | None:
        """A direction v != 0 along which the log-loss falls for ever, found from a Newton
        (IRLS) point ``p`` whose fit saturates some rows, or None.

        With *quasi-complete* separation (mtcars' ``am ~ gear``: every gear-3 car has am = 0,
        every gear-5 car am = 1, gear 4 has both) a line puts every row on its own side or on
        the line itself, so the loss keeps falling as the weights grow along it, towards the
        best fit of the rows on the line: there is no optimum, yet IRLS stops where the
        gradient's rounding does and reports weights of ~10² (Albert and Anderson, 1984).
        At such a ``p`` the rows split into saturated ones (|logit| > 10, fitted probability
        within 5e-5 of 0 or 1) and the rest; the candidate is ``p``'s direction projected so
        the unsaturated rows lie exactly on the line. It is returned only when it passes the
        test exactly (every saturated row strictly on its class's side, the others on the
        line to rounding): a certificate, never a guess. Checked against an LP
        (``scipy.optimize.linprog``) in ``tests/test_classification.py``."""
        p = np.asarray(p, dtype=float)
        xt = np.column_stack([self.x, np.ones(self.n)])
        z = xt @ p
        saturated = np.abs(z) > 10.0
        if not saturated.any():
            return None
        sign = np.where(self.y == 1.0, 1.0, -1.0)
        d = p / np.linalg.norm(p)
        loose = xt[~saturated]
        if len(loose):
            # the part of d the unsaturated rows do not see: d minus its projection on their span
            basis = np.linalg.svd(loose, full_matrices=False)[2]
            keep = np.linalg.svd(loose, compute_uv=False)
            rank = int(np.sum(keep > keep[0] * 1e-10)) if keep.size and keep[0] > 0 else 0
            span = basis[:rank]
            d = d - span.T @ (span @ d)
        size = np.linalg.norm(d)
        if size <= 1e-8:
            return None
        d = d / size
        margin = sign * (xt @ d)
        scale = np.abs(xt).max(axis=0) @ np.abs(d)  # how large a margin can be
        on_line = np.abs(margin[~saturated]) <= 1e-9 * scale if len(loose) else np.ones(0, bool)
        if on_line.all() and (margin[saturated] > 1e-9 * scale).all():
            return d
        return None

    @cached_property
    def optimum(self) -> tuple[np.ndarray | None, float]:
        """(p*, loss*) by Newton's method with a halving line search (IRLS) to a gradient norm
        of 1e-12; (None, 0.0) when the classes are separable (no finite minimum), and (None,
        the loss approached) when they are quasi-completely separable (:meth:`ray`)."""
        p = np.zeros(self.dim)
        loss, g = bce_rows(p, self.x, self.y)
        for _ in range(200):
            if self.separates(p):
                return None, 0.0
            if np.linalg.norm(g) <= 1e-12:
                if self.ray(p) is not None:
                    return None, loss
                return p, loss
            # the least-norm Newton step: collinear columns make the Hessian singular
            step = np.linalg.lstsq(self.hessian(p), g, rcond=None)[0]
            t = 1.0
            while True:
                q = p - t * step
                lq, gq = bce_rows(q, self.x, self.y)
                # (next to the optimum the full step's gain is below the loss's rounding: it
                # is taken on the quadratic model's word, as in gdcore.rules.methods)
                if lq <= loss or (t == 1.0 and lq <= loss + ROUNDING * abs(loss)):
                    break
                t *= 0.5
                if t < 1e-12:  # no step lowers the loss in floating point: p is the optimum
                    return (None, loss) if self.ray(p) is not None else (p, loss)
            p, loss, g = q, lq, gq
            if np.max(np.abs(p)) > 1e8 or loss < 1e-12:
                return None, 0.0  # the weights run off: the classes are separable
        return (None, loss) if self.ray(p) is not None else (p, loss)

    @property
    def quasi_separable(self) -> bool:
        """No optimum although no line separates the classes strictly: a line leaves some
        rows of both classes on it and all others on their side (see :meth:`ray`)."""
        return self.optimum[0] is None and self.optimum[1] > 0.0

    @property
    def separable(self) -> bool:
        return self.optimum[0] is None

    @property
    def min_value(self) -> float:
        """The best possible loss (0 when the classes are separable, the loss of the rows on
        the line when quasi-separable: approached, not reached)."""
        return float(self.optimum[1])

    @property
    def reference(self) -> np.ndarray | None:
        """The optimum's parameters, or None when there is no finite one."""
        return self.optimum[0]

    def reference_point(self, near=None) -> np.ndarray | None:
        """The IRLS optimum, or None when the classes are separable (no finite one)."""
        return self.reference

    def stable_rate(self) -> float:
        """2/λmax of the Hessian at the optimum; inf when the classes are separable (no
        minimum: the curvature fades along the way)."""
        point = self.reference
        return math.inf if point is None else stable_rate_at(self, point)

    def history_columns(self, points: np.ndarray) -> dict[str, np.ndarray]:
        """The share of rows classified right at each recorded point."""
        return {"accuracy": self.accuracies(points)}
