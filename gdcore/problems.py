"""Objectives and their gradients, and the reference answers to measure runs against.

Test functions come in pairs, as in ``scipy.optimize`` (``rosen``/``rosen_der``): ``f(p)`` and
``f_grad(p)``. Each is written with ``p[0]``, ``p[1]`` and plain arithmetic so that the same code
evaluates one point (in the run loop) or a whole grid at once (``p`` of shape ``(dim, ...)``) for
landscape plots, with products rather than powers (Python's ``**`` raises on overflow where IEEE
arithmetic gives infinity, which the run loop reports as divergence). Gradients return tuples,
one entry a parameter.

Linear regression with MSE, ``L(w, b) = mean((x·w + b - y)^2)``, is summarised by a few moments of
the data (means, centred covariance, the least-squares solution and its residual), so the full-data
loss and gradient cost O(d^2) per step instead of a pass over the data:

    L(w, b)  = RSS*/n + (w - w*)^T C (w - w*) + c^2,      c = w·x̄ + b - ȳ
    dL/dw    = 2 C (w - w*) + 2 c x̄,      dL/db = 2 c

where ``C`` is the centred covariance ``Xcᵀ Xc / n`` and ``(w*, b*)`` the least-squares answer. Every
term is non-negative, so nothing cancels near the optimum.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .errors import ConfigError
from .limits import MAX_ROWS


# --- test functions (value, gradient) ------------------------------------------------------------
def quadratic(p):
    """(w - 4)^2 + 2: one minimum, w = 4, value 2."""
    d = p[0] - 4.0
    return d * d + 2.0


def quadratic_grad(p):
    """d/dw = 2 (w - 4)."""
    return (2.0 * (p[0] - 4.0),)


def double_well(p):
    """w^4 - 8 w^2 + w + 10: a global minimum near w = -2.03 and a local one near w = 1.97."""
    w = p[0]
    w2 = w * w
    return w2 * w2 - 8.0 * w2 + w + 10.0


def double_well_grad(p):
    """d/dw = 4 w^3 - 16 w + 1."""
    w = p[0]
    return (4.0 * w * w * w - 16.0 * w + 1.0,)


def bowl(p):
    """(w1 - 3)^2 + (w2 + 1)^2: one minimum at (3, -1), value 0."""
    a, b = p[0] - 3.0, p[1] + 1.0
    return a * a + b * b


def bowl_grad(p):
    """(2 (w1 - 3), 2 (w2 + 1))."""
    return (2.0 * (p[0] - 3.0), 2.0 * (p[1] + 1.0))


def rosenbrock(p):
    """(1 - w1)^2 + 100 (w2 - w1^2)^2: a curved valley, minimum at (1, 1), value 0."""
    a, b = 1.0 - p[0], p[1] - p[0] * p[0]
    return a * a + 100.0 * b * b


def rosenbrock_grad(p):
    """(-2 (1 - w1) - 400 w1 (w2 - w1^2), 200 (w2 - w1^2))."""
    inner = p[1] - p[0] * p[0]
    return (-2.0 * (1.0 - p[0]) - 400.0 * p[0] * inner, 200.0 * inner)


def himmelblau(p):
    """(w1^2 + w2 - 11)^2 + (w1 + w2^2 - 7)^2: four minima, each of value 0."""
    a = p[0] * p[0] + p[1] - 11.0
    b = p[0] + p[1] * p[1] - 7.0
    return a * a + b * b


def himmelblau_grad(p):
    """(4 w1 a + 2 b, 2 a + 4 w2 b) with a = w1^2 + w2 - 11, b = w1 + w2^2 - 7."""
    a = p[0] * p[0] + p[1] - 11.0
    b = p[0] + p[1] * p[1] - 7.0
    return (4.0 * p[0] * a + 2.0 * b, 2.0 * a + 4.0 * p[1] * b)


def saddle(p):
    """w1^2 + w2^4/4 - w2^2/2: a saddle point at (0, 0) between minima (0, ±1) of value -1/4."""
    w2 = p[1] * p[1]
    return p[0] * p[0] + 0.25 * w2 * w2 - 0.5 * w2


def saddle_grad(p):
    """(2 w1, w2^3 - w2)."""
    return (2.0 * p[0], p[1] * p[1] * p[1] - p[1])


# --- their Hessians (for Newton's method and the curvature at a point) ---------------------------
def quadratic_hess(p):
    """[[2]]."""
    return ((2.0,),)


def double_well_hess(p):
    """[[12 w^2 - 16]]."""
    return ((12.0 * p[0] * p[0] - 16.0,),)


def bowl_hess(p):
    """[[2, 0], [0, 2]]."""
    return ((2.0, 0.0), (0.0, 2.0))


def rosenbrock_hess(p):
    """[[2 - 400 (w2 - 3 w1^2), -400 w1], [-400 w1, 200]]."""
    return ((2.0 - 400.0 * (p[1] - 3.0 * p[0] * p[0]), -400.0 * p[0]), (-400.0 * p[0], 200.0))


def himmelblau_hess(p):
    """[[12 w1^2 + 4 w2 - 42, 4 (w1 + w2)], [4 (w1 + w2), 4 w1 + 12 w2^2 - 26]]."""
    off = 4.0 * (p[0] + p[1])
    return ((12.0 * p[0] * p[0] + 4.0 * p[1] - 42.0, off),
            (off, 4.0 * p[0] + 12.0 * p[1] * p[1] - 26.0))


def saddle_hess(p):
    """[[2, 0], [0, 3 w2^2 - 1]]."""
    return ((2.0, 0.0), (0.0, 3.0 * p[1] * p[1] - 1.0))


def _double_well_minima() -> list[float]:
    """Real roots of f'(w) = 4w^3 - 16w + 1 where f'' = 12 w^2 - 16 > 0 (computed, not typed in)."""
    roots = np.roots([4.0, 0.0, -16.0, 1.0])
    real = sorted(float(r.real) for r in roots if abs(r.imag) < 1e-12)
    return [r for r in real if 12 * r * r - 16 > 0]


def _himmelblau_minima() -> list[tuple[float, float]]:
    """Polish the four textbook starting guesses with Newton's method on the gradient."""
    out = []
    for guess in [(3.0, 2.0), (-2.8, 3.1), (-3.8, -3.3), (3.6, -1.8)]:
        p = np.array(guess)
        for _ in range(50):
            p = p - np.linalg.solve(np.array(himmelblau_hess(p)), np.array(himmelblau_grad(p)))
        out.append((float(p[0]), float(p[1])))
    return out


@dataclass(frozen=True)
class Minimum:
    """A known minimum: where it is, its value, and whether it is the global one."""

    params: tuple[float, ...]
    value: float
    is_global: bool = True


@dataclass(frozen=True)
class TestFunction:
    """A test function with an analytic gradient, its known minima and a sensible view window."""

    name: str
    title: str
    fun: object
    grad: object
    param_names: tuple[str, ...]
    default_init: tuple[float, ...]
    window: tuple[tuple[float, float], ...]  # plotting range per parameter
    minima: tuple[Minimum, ...] = field(default_factory=tuple)
    hess: object = None  # the analytic Hessian, rows of tuples

    def hessian(self, p) -> np.ndarray:
        return np.array(self.hess(np.asarray(p, dtype=float)), dtype=float)

    @property
    def dim(self) -> int:
        return len(self.param_names)

    @property
    def min_value(self) -> float:
        return min(m.value for m in self.minima)

    def loss(self, p) -> float:
        return float(self.fun(np.asarray(p, dtype=float)))

    def gradient(self, p) -> np.ndarray:
        return np.array(self.grad(np.asarray(p, dtype=float)), dtype=float)

    def grid(self, *axes: np.ndarray) -> np.ndarray:
        """Values on a grid: ``grid(ws)`` for 1-D, ``grid(w1s, w2s)`` (2-D array [i2, i1]) for 2-D."""
        if self.dim == 1:
            return np.asarray(self.fun(np.asarray(axes[0], dtype=float)[None, :]), dtype=float)
        g1, g2 = np.meshgrid(np.asarray(axes[0], float), np.asarray(axes[1], float))
        return np.asarray(self.fun(np.stack([g1, g2])), dtype=float)

    def nearest_minimum(self, p) -> Minimum:
        p = np.asarray(p, dtype=float)
        return min(self.minima, key=lambda m: float(np.sum((np.asarray(m.params) - p) ** 2)))


def _function_table() -> dict[str, TestFunction]:
    dw = _double_well_minima()
    dw_vals = [float(double_well(np.array([w]))) for w in dw]
    g = int(np.argmin(dw_vals))
    him = _himmelblau_minima()
    return {
        "quadratic": TestFunction(
            "quadratic", "(w - 4)² + 2", quadratic, quadratic_grad, ("w",), (-1.0,),
            ((-2.0, 10.0),), (Minimum((4.0,), 2.0),), quadratic_hess,
        ),
        "double_well": TestFunction(
            "double_well", "w⁴ - 8w² + w + 10", double_well, double_well_grad, ("w",), (0.5,),
            ((-3.2, 3.2),),
            tuple(Minimum((w,), float(v), i == g) for i, (w, v) in enumerate(zip(dw, dw_vals))),
            double_well_hess,
        ),
        "bowl": TestFunction(
            "bowl", "(w1 - 3)² + (w2 + 1)²", bowl, bowl_grad, ("w1", "w2"), (-2.0, 3.0),
            ((-3.0, 6.0), (-4.0, 4.0)), (Minimum((3.0, -1.0), 0.0),), bowl_hess,
        ),
        "rosenbrock": TestFunction(
            "rosenbrock", "Rosenbrock (1 - w1)² + 100 (w2 - w1²)²", rosenbrock, rosenbrock_grad,
            ("w1", "w2"), (-1.5, 2.0), ((-2.0, 2.0), (-1.0, 3.0)), (Minimum((1.0, 1.0), 0.0),),
            rosenbrock_hess,
        ),
        "himmelblau": TestFunction(
            "himmelblau", "Himmelblau (w1² + w2 - 11)² + (w1 + w2² - 7)²", himmelblau,
            himmelblau_grad, ("w1", "w2"), (0.0, 0.0), ((-5.0, 5.0), (-5.0, 5.0)),
            tuple(Minimum(m, 0.0) for m in him), himmelblau_hess,
        ),
        "saddle": TestFunction(
            "saddle", "w1² + w2⁴/4 - w2²/2 (saddle at the origin)", saddle, saddle_grad,
            ("w1", "w2"), (1.5, 1e-3), ((-2.0, 2.0), (-2.0, 2.0)),
            (Minimum((0.0, 1.0), -0.25), Minimum((0.0, -1.0), -0.25)), saddle_hess,
        ),
    }


FUNCTIONS: dict[str, TestFunction] = _function_table()
DATA_PROBLEMS: tuple[str, ...] = ("linear", "logistic")  # problems on a data set
PROBLEMS: tuple[str, ...] = (*DATA_PROBLEMS, *FUNCTIONS)


def get_function(name: str) -> TestFunction:
    try:
        return FUNCTIONS[name]
    except KeyError:
        raise ConfigError(
            f"problem: unknown test function {name!r}; choose one of {', '.join(map(repr, FUNCTIONS))}"
        ) from None


# --- models on rows of data ----------------------------------------------------------------------
class RowModel:
    """What the models on a data set share (linear and logistic regression): data x (n, d)
    and y (n,) as fields of the subclass, parameters w_1 .. w_d and b, started at 0."""

    x: np.ndarray
    y: np.ndarray

    @classmethod
    def from_dataset(cls, ds):
        return cls(np.ascontiguousarray(ds.x, dtype=np.float64),
                   np.ascontiguousarray(ds.y, dtype=np.float64))

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    @property
    def d(self) -> int:
        return int(self.x.shape[1])

    @property
    def dim(self) -> int:
        return self.d + 1

    @property
    def param_names(self) -> tuple[str, ...]:
        ws = ("w",) if self.d == 1 else tuple(f"w{j + 1}" for j in range(self.d))
        return (*ws, "b")

    @property
    def default_init(self) -> tuple[float, ...]:
        return (0.0,) * self.dim


# --- linear regression ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class LinearRegression(RowModel):
    """MSE linear regression ``y ≈ x·w + b`` on a data set (x: (n, d), y: (n,)), float64."""

    x: np.ndarray
    y: np.ndarray
    kind: int = 0


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


def make_problem(name: str, dataset=None):
    """The problem object for an experiment: a :class:`LinearRegression` or a :class:`TestFunction`."""
    if name in DATA_PROBLEMS:
        if dataset is None:
            raise ConfigError(f"problem {name!r} needs data")
        if dataset.n > MAX_ROWS:
            raise ConfigError(f"the data has {dataset.n:,} rows; the lab works with at most "
                              f"{MAX_ROWS:,}: use a sample of the rows")
        if name == "logistic":
            from .classification import LogisticRegression

            return LogisticRegression.from_dataset(dataset)
        return LinearRegression.from_dataset(dataset)
    return get_function(name)


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
