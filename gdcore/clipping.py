"""Gradient clipping, as ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``.

By global norm (c = max_norm):  total = ||g||_2;  coef = min(c / (total + 1e-6), 1);  g <- coef g
(applied whenever coef < 1, so a gradient exactly at c shrinks a hair, as in PyTorch).
By value (c = clip_value):      each component clamped to [-c, c].
``clip`` works on a scratch gradient buffer in place (the compiled loop calls it every step, so it
allocates nothing) and returns the pre-clip norm and whether anything changed.
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit

NONE, VALUE, NORM = 0, 1, 2
KIND = {"none": NONE, "value": VALUE, "norm": NORM}


@jit(inline=True)
def norm_coef(max_norm, total):
    """The factor clipping by global norm multiplies g by: min(max_norm / (total + 1e-6), 1)."""
    coef = max_norm / (total + 1e-6)
    return coef if coef < 1.0 else 1.0


@jit(inline=True)
def clamp(gj, c):
    """One component clipped by value: (min(max(gj, -c), c), whether it changed)."""
    if gj > c:
        return c, True
    if gj < -c:
        return -c, True
    return gj, False


@jit(inline=True)
def clip(kind, c, g):
    """Clip the scratch buffer ``g`` in place; return (pre-clip L2 norm, clipped?).

    (The compiled loop's hot path applies ``norm_coef`` and ``clamp`` itself, without handing it
    the array: numba counts references on arrays passed to helpers, see ``gdcore.kernel``.)"""
    total = 0.0
    for j in range(g.shape[0]):
        total += g[j] * g[j]
    total = math.sqrt(total)
    clipped = False
    if kind == NORM:
        coef = norm_coef(c, total)
        if coef < 1.0:
            for j in range(g.shape[0]):
                g[j] = g[j] * coef
            clipped = True
    elif kind == VALUE:
        for j in range(g.shape[0]):
            g[j], cj = clamp(g[j], c)
            clipped = clipped or cj
    return total, clipped


def clip_array(g, *, name: str = "none", **params) -> tuple[np.ndarray, float, bool]:
    """Convenience wrapper for Python callers: ``clip_array(g, name="norm", max_norm=1.0)``."""
    c = float(params.get("max_norm", params.get("clip_value", 0.0)))
    out = np.array(g, dtype=float)
    total, clipped = clip(KIND[name], c, out)
    return out, total, clipped
