"""The Dataset: x (n, d) and y (n,) in model units, and the way back to the original units.

Built by :func:`build` (used by every loader in :mod:`gdcore.data.sources`), which refuses a constant x
column and z-scores x and y (population std) when standardization is asked for.

A data set for classification (the logistic problem) has y in {0, 1} and records its two class
labels in ``classes`` (negative first): its y is never standardized, only x. :func:`two_classes`
turns a column with exactly two distinct values (0/1, two numbers, or two texts such as
"malignant"/"benign") into those 0/1 labels, and says which value counts as 1.

Long because the Dataset's way back to original units and the two-class labelling are read by
every loader and must agree with them.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError
from .csvio import quote_name, rows_text

#: A class label as it appears in the data: a text, or a number (int when whole).
Label = str | int | float
#: How many distinct values an error message lists before "and N more".
_SHOWN_VALUES = 10


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
    #: The two class labels (negative = y 0, positive = y 1) of a classification data set;
    #: None for regression data. With classes, y is never standardized (y_mean 0, y_scale 1).
    classes: tuple[Label, Label] | None = None

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
        if self.classes is not None:
            classes = tuple(self.classes)
            if len(classes) != 2 or classes[0] == classes[1]:
                raise DataError("Dataset.classes must be two different labels (negative, "
                                "positive).")
            if not np.all((y == 0.0) | (y == 1.0)) or (self.y_mean, self.y_scale) != (0.0, 1.0):
                raise DataError("A Dataset with classes has y in {0, 1}, never standardized.")
            object.__setattr__(self, "classes", classes)

    @property
    def problem(self) -> str:
        """The problem this data is for: "logistic" with ``classes``, else "linear"."""
        return "linear" if self.classes is None else "logistic"

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
            head = [self.x.shape, list(self.x_names), self.y_name, self.standardized,
                    self.y_mean.hex(), self.y_scale.hex()]
            if self.classes is not None:  # (regression data keeps the hash it always had)
                head.append([[type(c).__name__, str(c)] for c in self.classes])
            h.update(json.dumps(head).encode())
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
        """The same data, standardized or not (``self`` if already so). Classes are kept (and
        y stays 0/1)."""
        if bool(standardize) == self.standardized:
            return self
        return build(self.original_x(), self.original_y(), self.x_names, self.y_name,
                      standardize=standardize, source=self.source, notes=self.notes,
                      classes=self.classes)


def build(x: np.ndarray, y: np.ndarray, x_names: Sequence[str], y_name: str, *,
           standardize: bool, source: str, notes: Sequence[str] = (),
           classes: tuple[Label, Label] | None = None) -> Dataset:
    """A :class:`Dataset` from finite original-unit ``x`` (n, d) and ``y`` (n,), after
    checking that no x column is constant. With ``classes`` (y in {0, 1}: a classification
    data set) only x is standardized: a label is not a measurement to rescale, and the
    logistic loss needs y in {0, 1}."""
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
                       source, tuple(notes), classes)
    with np.errstate(over="ignore", invalid="ignore"):
        x_mean, x_scale = x.mean(axis=0), x.std(axis=0)
        y_mean, y_scale = (0.0, 1.0) if classes is not None else (float(y.mean()),
                                                                   float(y.std()))
    for j, name in enumerate(x_names):
        if not (np.isfinite(x_mean[j]) and np.isfinite(x_scale[j]) and x_scale[j] > 0):
            raise DataError(f"Column {quote_name(name)} has values too large or too close "
                            "together to standardize: rescale that column (e.g. divide by 1000).")
    if not (math.isfinite(y_mean) and math.isfinite(y_scale)):
        raise DataError(f"Column {quote_name(y_name)} has values too large to standardize: "
                        "rescale that column (e.g. divide by 1000).")
    if classes is None and (y_scale <= 1e-12 * max(abs(y_mean), 1e-300) or np.all(y == y[0])):
        # constant (its std is 0, or rounding noise around the mean: 0.3 gives 5.5e-17)
        y_scale = 1.0
        notes.append(f"Column {quote_name(y_name)} is constant; it was centred but not scaled.")
    with np.errstate(over="ignore", invalid="ignore"):
        x_std = (x - x_mean) / x_scale
        y_std = (y - y_mean) / y_scale
    x_std.setflags(write=False)
    y_std.setflags(write=False)
    return Dataset(x_std, y_std, tuple(x_names), y_name, x_mean, x_scale, y_mean, y_scale, True,
                   source, tuple(notes), classes)


# --------------------------------------------------------------------------- two classes


def label_array(values: object) -> np.ndarray:
    """``values`` (a list, array or Series of labels) as one flat array: float64 (NaN where a
    value is missing) when every label is a number, else an object array of stripped texts
    ("" where a value is missing). Booleans count as the numbers 0 and 1. A mix of texts and
    numbers is refused: "1" and 1 would be two different classes."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "biuf":
        if values.ndim > 1 and values.shape[1:] != (1,) * (values.ndim - 1):
            raise DataError(f"y must be a list of class labels, not an array of shape "
                            f"{values.shape}.")
        return values.astype(np.float64).reshape(-1)
    if isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype == object and \
            pd.api.types.infer_dtype(values, skipna=False) == "string":  # fast: all texts
        return pd.Series(values, dtype=object).str.strip().to_numpy(dtype=object)
    items = values.tolist() if isinstance(values, np.ndarray) else list(values)
    texts, numbers, missing = [], [], []
    for i, v in enumerate(items):
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            missing.append(i)
        elif isinstance(v, str):
            texts.append(i)
        elif isinstance(v, (bool, np.bool_, int, float, np.integer, np.floating)):
            numbers.append(i)
        else:
            raise DataError(f"y must be a list of class labels (texts or numbers); value "
                            f"{i + 1} is {type(v).__name__}.")
    if texts and numbers:
        raise DataError(f"y mixes texts ({quote_name(items[texts[0]])}) and numbers "
                        f"({items[numbers[0]]!r}): write every class label the same way.")
    if texts:
        out = np.full(len(items), "", dtype=object)
        for i in texts:
            out[i] = items[i].strip()
        return out
    out = np.full(len(items), np.nan)
    for i in numbers:
        out[i] = float(items[i])
    return out


def _label(value: object) -> Label:
    """A label as :attr:`Dataset.classes` records it: a text, or a number (an int when whole)."""
    if isinstance(value, str):
        return value
    v = float(value)
    return int(v) if v.is_integer() and abs(v) < 2**53 else v


def show_label(label: Label) -> str:
    """A label for a message: a text in quotes, a number as written (``2``, ``0.5``)."""
    return quote_name(label) if isinstance(label, str) else repr(_label(label))


def _rows(k: int) -> str:
    return f"{k:,} row" if k == 1 else f"{k:,} rows"


def _listing(labels: list[Label]) -> str:
    shown = ", ".join(show_label(v) for v in labels[:_SHOWN_VALUES])
    more = len(labels) - _SHOWN_VALUES
    return shown + (f" and {more:,} more" if more > 0 else "")


def _case_hint(labels: list[Label]) -> str:
    """" ('Yes' and 'yes' differ only in case ...)" when two text labels do, else ""."""
    seen: dict[str, str] = {}
    for v in labels:
        if isinstance(v, str):
            key = v.casefold()
            if key in seen:
                return (f" ({show_label(seen[key])} and {show_label(v)} differ only in case: "
                        "labels are case-sensitive)")
            seen[key] = v
    return ""


def _match_positive(positive: object, labels: tuple[Label, Label], numeric: bool,
                    name: str) -> Label:
    """The label among ``labels`` that ``positive`` names, or a DataError saying which exist.

    Text labels are compared exactly after stripping spaces (case-sensitive); a number given
    for text labels is compared as it is written (1 matches "1"). Number labels match an
    equal number, or a text that reads as one ("2" matches 2)."""
    if isinstance(positive, (bool, np.bool_)) or not isinstance(
            positive, (str, int, float, np.integer, np.floating)):
        raise DataError(f"positive must be a class label (a text or a number), not "
                        f"{positive!r}.")
    if numeric:
        try:
            wanted = float(positive.strip()) if isinstance(positive, str) else float(positive)
        except ValueError:
            wanted = math.nan
        found = [v for v in labels if float(v) == wanted]
    else:
        wanted_text = positive.strip() if isinstance(positive, str) else str(_label(positive))
        found = [v for v in labels if v == wanted_text]
    if found:
        return found[0]
    hint = ""
    if isinstance(positive, str):
        similar = [v for v in labels if isinstance(v, str)
                   and v.casefold() == positive.strip().casefold()]
        if similar:
            hint = f" (labels are case-sensitive: did you mean {show_label(similar[0])}?)"
    shown = quote_name(positive) if isinstance(positive, str) else repr(positive)
    raise DataError(f"positive {shown} is not a class of {quote_name(name)}: its classes are "
                    f"{show_label(labels[0])} and {show_label(labels[1])}{hint}. Give one of "
                    "them.")


def two_classes(values: object, name: str, *, positive: Label | None = None,
                rows_hint: str = "row 1 = the first value",
                after: str = "") -> tuple[np.ndarray, tuple[Label, Label], str | None]:
    """A column of class labels as 0/1 targets for logistic regression.

    ``values`` are the labels (see :func:`label_array`: numbers, or texts that are compared
    after stripping spaces and case-sensitively, so " yes" is "yes" but "Yes" is not). There
    must be exactly two distinct values and no missing one. ``positive`` is the label that
    counts as 1; by default 1 for a 0/1 column, else the less frequent label, and of two
    equally frequent ones the later in sorted order (so "yes" over "no", 2 over 1).

    Returns the 0/1 targets (float64), the labels (negative, positive) and a note for the
    user saying which label is 1 and how many rows each has (None for a 0/1 column whose 1
    is the positive class: nothing was translated). ``rows_hint`` says how rows are counted
    in messages; ``after`` is added to "in all N rows" (e.g. " after dropping 3 rows").
    Raises :class:`DataError` naming the column, what it holds and what to do.
    """
    return encode_classes(label_array(values), name, positive=positive, rows_hint=rows_hint,
                          after=after)


def encode_classes(labels: np.ndarray, name: str, *, positive: Label | None = None,
                   rows_hint: str = "row 1 = the first value",
                   after: str = "") -> tuple[np.ndarray, tuple[Label, Label], str | None]:
    """:func:`two_classes` on labels already made by :func:`label_array` (so a loader that
    checks a column twice, on all rows and then on the rows it keeps, converts it once)."""
    numeric = labels.dtype.kind == "f"
    n = labels.shape[0]
    missing = ~np.isfinite(labels) if numeric else (labels == "")
    if missing.any():
        rows = rows_text(np.flatnonzero(missing) + 1)
        what = "an empty or unreadable class label" if numeric else "no class label"
        raise DataError(f"Column {quote_name(name)} has {what} in {int(missing.sum()):,} of "
                        f"{n:,} rows ({rows}; {rows_hint}): every row needs one of the two "
                        "classes. Fill in those cells or delete those rows.")
    counts = Counter(labels.tolist())
    distinct = sorted(counts)
    if len(distinct) < 2:
        only = _label(distinct[0]) if distinct else None
        found = (f"only one value ({show_label(only)} in all {_rows(n)}{after})" if distinct
                 else f"no rows{after}")
        raise DataError(f"Column {quote_name(name)} has {found}: logistic regression needs two "
                        "classes. Pick a y column with exactly two values.")
    if len(distinct) > 2:
        shown = [_label(v) for v in distinct]
        raise DataError(f"Column {quote_name(name)} has {len(distinct):,} distinct values: "
                        f"{_listing(shown)}{_case_hint(shown)}; logistic regression needs "
                        "exactly two classes. Pick a y column with two values (e.g. 0/1 or "
                        "yes/no), or recode this one into two.")
    low, high = (_label(v) for v in distinct)
    why = None
    if positive is not None:
        pos = _match_positive(positive, (low, high), numeric, name)
    elif numeric and (low, high) == (0, 1):
        pos = 1
    elif counts[distinct[0]] != counts[distinct[1]]:
        pos = low if counts[distinct[0]] < counts[distinct[1]] else high
        why = "the less frequent class counts as 1"
    else:
        pos = high
        why = "the classes are equally frequent: the later in sorted order counts as 1"
    neg = high if pos == low else low
    y = (labels == (pos if not numeric else float(pos))).astype(np.float64)
    if numeric and (neg, pos) == (0, 1):
        return y, (neg, pos), None
    n_pos = int(y.sum())
    note = (f"{quote_name(name)}: 1 = {show_label(pos)} ({_rows(n_pos)}), 0 = "
            f"{show_label(neg)} ({_rows(n - n_pos)})")
    note += f" ({why}; choose another with \"positive\")." if why else "."
    return y, (neg, pos), note
