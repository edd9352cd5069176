"""The Dataset: x (n, d) and y (n,) in model units, and the way back to the original units.

Built by :func:`build` (used by every loader in :mod:`gdcore.data`), which refuses a constant x
column and z-scores x and y (population std) when standardization is asked for.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gdcore.csvio import quote_name
from gdcore.errors import DataError


@dataclass(frozen=True, eq=False)
class Dataset:
    """A regression data set: ``x`` (n, d) and ``y`` (n,) in model units, plus what is
    needed to go back to the original units. Arrays are float64, C-contiguous, read-only."""

    x: np.ndarray
    y: np.ndarray
    x_names: tuple[str, ...]
    y_name: str
    x_mean: np.ndarray
    x_scale: np.ndarray
    y_mean: float
    y_scale: float
    standardized: bool
    source: str
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        def fix(name: str, value: object, ndim: int) -> np.ndarray:
            arr = np.asarray(value, dtype=np.float64)
            if arr is value and arr.flags.writeable or not arr.flags.c_contiguous:
                arr = np.array(arr, dtype=np.float64, order="C")  # own copy: callers keep theirs
            if arr.ndim != ndim:
                raise DataError(f"Dataset.{name} must have {ndim} dimension(s), not {arr.ndim}.")
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
            return arr

        x = fix("x", self.x, 2)
        y = fix("y", self.y, 1)
        n, d = x.shape
        if y.shape != (n,):
            raise DataError(f"Dataset.y has {y.shape[0]} values but x has {n} rows.")
        for name in ("x_mean", "x_scale"):
            if fix(name, getattr(self, name), 1).shape != (d,):
                raise DataError(f"Dataset.{name} must have one value per x column ({d}).")
        object.__setattr__(self, "x_names", tuple(str(v) for v in self.x_names))
        object.__setattr__(self, "notes", tuple(str(v) for v in self.notes))
        object.__setattr__(self, "y_mean", float(self.y_mean))
        object.__setattr__(self, "y_scale", float(self.y_scale))
        object.__setattr__(self, "standardized", bool(self.standardized))
        if len(self.x_names) != d:
            raise DataError(f"Dataset.x_names has {len(self.x_names)} names for {d} x columns.")
        if len(set(self.x_names)) != d or self.y_name in self.x_names:
            raise DataError("Dataset column names must be distinct (x_names and y_name).")
        if not (np.all(self.x_scale > 0) and self.y_scale > 0):
            raise DataError("Dataset.x_scale and y_scale must be positive.")

    @property
    def n(self) -> int:
        """Number of rows."""
        return int(self.x.shape[0])

    @property
    def d(self) -> int:
        """Number of x columns (features)."""
        return int(self.x.shape[1])

    def content_hash(self) -> str:
        """SHA-256 (hex) of the data, names and standardization: a cache key. The
        description (``source``, ``notes``) does not enter it."""
        cached = self.__dict__.get("_content_hash")
        if cached is None:
            h = hashlib.sha256(b"gdcore.Dataset/1\0")
            h.update(json.dumps([self.x.shape, list(self.x_names), self.y_name,
                                 self.standardized, self.y_mean.hex(),
                                 self.y_scale.hex()]).encode())
            for arr in (self.x, self.y, self.x_mean, self.x_scale):
                h.update(arr.tobytes())
            cached = h.hexdigest()
            object.__setattr__(self, "_content_hash", cached)
        return cached

    def _weights(self, w: np.ndarray | float | Sequence[float]) -> tuple[np.ndarray, bool]:
        arr = np.asarray(w, dtype=np.float64)
        if arr.ndim == 0:
            if self.d != 1:
                raise DataError(f"A single weight was given but the data has {self.d} x "
                                "columns: give one weight per x column.")
            return arr.reshape(1), True
        arr = arr.reshape(-1)
        if arr.size != self.d:
            raise DataError(f"{arr.size} weights were given but the data has {self.d} x "
                            "column(s): give one weight per x column.")
        return arr, False

    def to_original_units(self, w: np.ndarray | float | Sequence[float],
                          b: float) -> tuple[np.ndarray | float, float]:
        """Slope(s) and intercept in original units for the model ``y = w·x + b`` fitted in
        model units. ``w`` is a number (d = 1) or one weight per column; the slope comes
        back in the same form. Identity when the data is not standardized."""
        w_vec, scalar = self._weights(w)
        slope = self.y_scale * w_vec / self.x_scale
        intercept = self.y_scale * float(b) + self.y_mean - float(slope @ self.x_mean)
        return (float(slope[0]) if scalar else slope), float(intercept)

    def to_model_units(self, w: np.ndarray | float | Sequence[float],
                       b: float) -> tuple[np.ndarray | float, float]:
        """Inverse of :meth:`to_original_units`: original-unit slope(s) and intercept to
        model-unit weights and bias."""
        slope, scalar = self._weights(w)
        w_model = slope * self.x_scale / self.y_scale
        b_model = (float(b) - self.y_mean + float(slope @ self.x_mean)) / self.y_scale
        return (float(w_model[0]) if scalar else w_model), float(b_model)

    def original_x(self) -> np.ndarray:
        """``x`` in original units, shape (n, d)."""
        return self.x * self.x_scale + self.x_mean if self.standardized else self.x.copy()

    def original_y(self) -> np.ndarray:
        """``y`` in original units, shape (n,)."""
        return self.y * self.y_scale + self.y_mean if self.standardized else self.y.copy()

    def frame(self) -> pd.DataFrame:
        """The data in original units, columns ``x_names + (y_name,)``."""
        x = self.original_x()
        table = {name: x[:, j] for j, name in enumerate(self.x_names)}
        table[self.y_name] = self.original_y()
        return pd.DataFrame(table, columns=[*self.x_names, self.y_name])

    def with_standardization(self, standardize: bool) -> Dataset:
        """The same data, standardized or not (``self`` if already so)."""
        if bool(standardize) == self.standardized:
            return self
        return build(self.original_x(), self.original_y(), self.x_names, self.y_name,
                      standardize=standardize, source=self.source, notes=self.notes)


def build(x: np.ndarray, y: np.ndarray, x_names: Sequence[str], y_name: str, *,
           standardize: bool, source: str, notes: Sequence[str] = ()) -> Dataset:
    """A :class:`Dataset` from finite original-unit ``x`` (n, d) and ``y`` (n,), after
    checking that no x column is constant."""
    notes = list(notes)
    for j, name in enumerate(x_names):
        if np.all(x[:, j] == x[0, j]):
            raise DataError(f"Column {quote_name(name)} is constant (every value is "
                            f"{float(x[0, j])!r}): a slope cannot be fitted. "
                            "Pick another x column.")
    d = x.shape[1]
    x, y = np.ascontiguousarray(x, dtype=np.float64), np.ascontiguousarray(y, dtype=np.float64)
    if not standardize:
        x.setflags(write=False)
        y.setflags(write=False)
        return Dataset(x, y, tuple(x_names), y_name, np.zeros(d), np.ones(d), 0.0, 1.0, False,
                       source, tuple(notes))
    with np.errstate(over="ignore", invalid="ignore"):
        x_mean, x_scale = x.mean(axis=0), x.std(axis=0)
        y_mean, y_scale = float(y.mean()), float(y.std())
    for j, name in enumerate(x_names):
        if not (np.isfinite(x_mean[j]) and np.isfinite(x_scale[j]) and x_scale[j] > 0):
            raise DataError(f"Column {quote_name(name)} has values too large or too close "
                            "together to standardize: rescale that column (e.g. divide by 1000).")
    if not (math.isfinite(y_mean) and math.isfinite(y_scale)):
        raise DataError(f"Column {quote_name(y_name)} has values too large to standardize: "
                        "rescale that column (e.g. divide by 1000).")
    if y_scale <= 1e-12 * max(abs(y_mean), 1e-300) or np.all(y == y[0]):
        # constant (its std is 0, or rounding noise around the mean: 0.3 gives 5.5e-17)
        y_scale = 1.0
        notes.append(f"Column {quote_name(y_name)} is constant; it was centred but not scaled.")
    with np.errstate(over="ignore", invalid="ignore"):
        x_std = (x - x_mean) / x_scale
        y_std = (y - y_mean) / y_scale
    x_std.setflags(write=False)
    y_std.setflags(write=False)
    return Dataset(x_std, y_std, tuple(x_names), y_name, x_mean, x_scale, y_mean, y_scale, True,
                   source, tuple(notes))
