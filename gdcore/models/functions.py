"""Test functions: values, gradients and Hessians, and their known minima.

Test functions come in pairs, as in ``scipy.optimize`` (``rosen``/``rosen_der``): ``f(p)`` and
``f_grad(p)``. Each is written with ``p[0]``, ``p[1]`` and plain arithmetic so that the same code
evaluates one point (in the run loop) or a whole grid at once (``p`` of shape ``(dim, ...)``) for
landscape plots, with products rather than powers (Python's ``**`` raises on overflow where IEEE
arithmetic gives infinity, which the run loop reports as divergence). Gradients return tuples,
one entry a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from ..errors import ConfigError
from ..limits import FUNCTION
from .problem import stable_rate_at


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
    family: ClassVar[str] = FUNCTION  # (the Problem protocol, gdcore/models/problem.py)
    on_rows: ClassVar[bool] = False

    def reference_point(self, near=None) -> np.ndarray:
        """The minimum nearest ``near``, else the global one."""
        best = (self.nearest_minimum(near) if near is not None
                else min(self.minima, key=lambda mn: mn.value))
        return np.asarray(best.params, dtype=float)

    def stable_rate(self) -> float:
        """2/λmax at the global minimum."""
        return stable_rate_at(self, self.reference_point())

    def history_columns(self, points: np.ndarray) -> dict[str, np.ndarray]:
        return {}

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


def get_function(name: str) -> TestFunction:
    try:
        return FUNCTIONS[name]
    except KeyError:
        raise ConfigError(
            f"problem: unknown test function {name!r}; choose one of {', '.join(map(repr, FUNCTIONS))}"
        ) from None
