"""What every problem the engine optimises offers (a :class:`typing.Protocol`): the engine
asks a problem, it does not test its type.

    problem.family          "linear", "logistic" or "function" (gdcore.limits' names)
    problem.on_rows         a model on rows of data (its runs have batches), or a test function
    problem.dim, .param_names, .default_init
    problem.hessian(p)      the Hessian at p (a row model's MSE: constant, p may be None)
    problem.reference_point(near=None)   the answer runs are measured against, or None
    problem.stable_rate()   2/λmax at that answer: plain full-batch gradient descent is stable
                            below it (inf when there is no minimum or no curvature)
    problem.history_columns(points)      extra history columns from the recorded parameters

:class:`~gdcore.models.LinearRegression`, :class:`~gdcore.models.LogisticRegression` and
:class:`~gdcore.models.TestFunction` implement it. The run loops still specialise their inner
objective per family (the MSE from the data's moments, the cross-entropy's pass over rows, a
test function's formula): that is where the speed is, and both loops must agree bit for bit.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ..rules.methods import conditioning


class Problem(Protocol):
    family: str
    on_rows: bool

    @property
    def dim(self) -> int: ...

    @property
    def param_names(self) -> tuple[str, ...]: ...

    def hessian(self, p) -> np.ndarray: ...

    def reference_point(self, near=None) -> np.ndarray | None: ...

    def stable_rate(self) -> float: ...

    def history_columns(self, points: np.ndarray) -> dict[str, np.ndarray]: ...


def stable_rate_at(problem, point) -> float:
    """2/λmax of ``problem``'s Hessian at ``point`` (inf when λmax <= 0): the one place this
    limit is computed from a Hessian (:func:`gdcore.rules.methods.conditioning`)."""
    return float(conditioning(problem.hessian(point)).lr_limit)
