"""What the models on rows of data share (linear and logistic regression)."""

from __future__ import annotations

import numpy as np


class RowModel:
    """What the models on a data set share (linear and logistic regression): data x (n, d)
    and y (n,) as fields of the subclass, parameters w_1 .. w_d and b, started at 0."""

    x: np.ndarray
    y: np.ndarray
    on_rows = True  # (the Problem protocol, gdcore/models/problem.py)

    def history_columns(self, points: np.ndarray) -> dict[str, np.ndarray]:
        """Extra history columns from the recorded parameters (none by default)."""
        return {}

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
