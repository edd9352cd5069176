"""Gradient clipping, as ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``.

By global norm (c = max_norm):  total = ||g||_2;  coef = min(c / (total + 1e-6), 1);  g <- coef g
(applied whenever coef < 1, so a gradient exactly at c shrinks a hair, as in PyTorch).
By value (c = clip_value):      each component clamped to [-c, c].

A clip is two scalar steps that both loops call: :func:`coefficient` once per gradient (from its
norm), then :func:`component` for each coordinate. :func:`clip` composes them for a whole
gradient; it is what the tests exercise, and it is exactly what each loop does inline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..limits import Bound, declare

NONE, VALUE, NORM = 0, 1, 2


class Hyper(NamedTuple):
    kind: int
    threshold: float = 0.0  # max_norm (NORM) or clip_value (VALUE)


#: Each clip's threshold: title and values (``gdcore.limits.declare``).
PARAMS = declare({
    "clip_value": ("Clip value (per component)", Bound(0.0, 1e12, low_open=True)),
    "max_norm": ("Max norm", Bound(0.0, 1e12, low_open=True)),
})


def norm(gsq: float, g) -> float:
    """The L2 norm of ``g`` given its sum of squares ``gsq``: ``sqrt(gsq)``, or, when the squares
    overflowed (components beyond 1e154), the same norm by pairwise ``hypot``, which does not
    overflow (PyTorch would report infinity there, and clip every gradient to zero)."""
    if gsq < math.inf:
        return math.sqrt(gsq)
    total = 0.0
    for j in range(len(g)):
        total = math.hypot(total, g[j])
    return total


def coefficient(hp: Hyper, total: float) -> float:
    """The factor clipping by global norm multiplies g by: min(max_norm / (total + 1e-6), 1);
    1 for the other modes."""
    if hp.kind != NORM:
        return 1.0
    coef = hp.threshold / (total + 1e-6)
    return coef if coef < 1.0 else 1.0


def component(hp: Hyper, gj: float, coef: float):
    """One coordinate clipped: (new gj, whether it changed)."""
    if hp.kind == NORM:
        if coef < 1.0:
            return gj * coef, True
        return gj, False
    if hp.kind == VALUE:
        c = hp.threshold
        if gj > c:
            return c, True
        if gj < -c:
            return -c, True
    return gj, False


def clip(hp: Hyper, g: Sequence[float]) -> tuple[list[float], float, bool]:
    """Clip a whole gradient: (clipped gradient, its pre-clip L2 norm, whether anything changed)."""
    gsq = 0.0
    for gj in g:
        gsq += gj * gj
    total = norm(gsq, g)
    coef = coefficient(hp, total)
    out, clipped = [], False
    for gj in g:
        gj, changed = component(hp, float(gj), coef)
        out.append(gj)
        clipped = clipped or changed
    return out, total, clipped


@dataclass(frozen=True)
class Clip:
    """One choice of the ``clip.name`` field."""

    name: str
    title: str
    kind: int
    defaults: dict[str, Any]

    def hyper(self, params: dict[str, Any]) -> Hyper:
        return Hyper(self.kind, float(next(iter(params.values()), 0.0)))


CLIPS: dict[str, Clip] = {c.name: c for c in (
    Clip("none", "no clipping", NONE, {}),
    Clip("value", "clip by value", VALUE, {"clip_value": 1.0}),
    Clip("norm", "clip by global norm", NORM, {"max_norm": 1.0}),
)}


def clip_array(g, *, name: str = "none", **params):
    """``clip_array(g, name="norm", max_norm=1.0)`` -> (numpy array, pre-clip norm, clipped?)."""
    import numpy as np

    out, total, clipped = clip(CLIPS[name].hyper(params), [float(v) for v in np.ravel(g)])
    return np.array(out), total, clipped
