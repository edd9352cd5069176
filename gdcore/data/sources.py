"""Data sets for the lab: generated, uploaded (CSV), bundled samples, or inline arrays.

Every loader returns a :class:`Dataset` whose ``x`` and ``y`` are in *model units*:
z-scored (population std, ddof=0) if standardization was asked for, else as given.
:meth:`Dataset.to_original_units` turns learned parameters back into a slope and an
intercept for the original columns.

Bad input raises :class:`~gdcore.errors.DataError` with a one-line message. Row numbers
follow :mod:`gdcore.data.csvio`: "row N" is the N-th data row, counting from 1 at the first row
below the header (at the first row of the file if it has no header row). Data is only read
from ``data/`` or a path the caller gives, never written.

Uploaded and inline values must stay at most :data:`MAX_ABS_VALUE` (1e150) in size, so that
squares and products (x*x, x*y, squared errors) cannot overflow; with standardization,
which rescales first, up to :data:`MAX_ABS_STANDARDIZED` (1e300).

For the logistic problem (``problem="logistic"``) the y column holds two classes: 0/1, two
numbers or two texts, mapped to 0/1 by :func:`~gdcore.data.dataset.two_classes` (``positive``
names the label that counts as 1). Its y is never standardized. A table's row without a
label is dropped with a note, as a row without a usable x is (arrays handed to
:func:`inline` must be complete). :func:`generate_classes` draws such data.

Long because it holds every loader (generated, uploaded, bundled samples, inline arrays, the
classes' generator) behind one `load` and one set of messages; a split per source is the next
step when a source grows.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ..limits import LIMITS
from .csvio import (
    MAX_COLUMNS,
    MAX_ROWS,
    MISSING_MARKERS,
    number_format_hint,
    numeric_columns,
    quote_name,
    quote_names,
    read_table,
    rows_text,
    to_numbers,
)
from .dataset import Dataset, Label, build, encode_classes, label_array, two_classes

__all__ = [
    "CLASSES_DEFAULTS", "DATA_DIR", "DATA_PROBLEMS", "MAX_ABS_STANDARDIZED", "MAX_ABS_VALUE",
    "MAX_COLUMNS", "MAX_ROWS", "SAMPLES", "Dataset", "SampleInfo", "class_columns", "generate",
    "generate_classes", "inline", "load_csv", "load_sample", "numeric_columns", "read_table",
]

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
MAX_GENERATED_ROWS = MAX_ROWS  # the lab's one bound on rows (gdcore.limits)
_MAX_PARAM = 1e9  # bound on |slope|, |intercept|, ... so generated values stay far from overflow
_ROWS_HINT = "row 1 = first row below the header"
_ROWS_HINT_NO_HEADER = "row 1 = first row of the file"
#: Largest |value| accepted in a chosen column without standardization: squares and
#: products of larger values (x*x, x*y, squared errors summed over many rows) overflow.
MAX_ABS_VALUE = 1e150
#: Largest |value| accepted with standardization, which rescales before squaring; larger
#: values leave no room to turn results back into original units.
MAX_ABS_STANDARDIZED = 1e300
#: The problems a data set is loaded for: regression on a numeric y, or two classes in y.
DATA_PROBLEMS = ("linear", "logistic")
#: :func:`generate_classes`' defaults: two overlapping clouds (separation 2: far from separable).
CLASSES_DEFAULTS: dict[str, int | float] = {"n": 200, "features": 2, "separation": 2.0,
                                            "balance": 0.5, "seed": 0}


def _classes_wanted(problem: object) -> bool:
    """True for the logistic problem, False for the linear one; a DataError otherwise."""
    if problem not in DATA_PROBLEMS:
        raise DataError(f"problem must be one of {quote_names(list(DATA_PROBLEMS))} (got "
                        f"{problem!r}).")
    return problem == "logistic"


# --------------------------------------------------------------------------- generate


def _number(name: str, value: object, *, low: float = -_MAX_PARAM, high: float = _MAX_PARAM,
            low_open: bool = False, what: str | None = None) -> float:
    """``value`` as a float, or a DataError naming ``name`` and the valid range."""
    rng = what or f"between {low:g} and {high:g}"
    if isinstance(value, bool) or not isinstance(value, Real):
        raise DataError(f"{name} must be a number {rng} (got {value!r}).")
    v = float(value)
    if not math.isfinite(v) or v > high or v < low or (low_open and v == low):
        raise DataError(f"{name} must be a finite number {rng} (got {v!r}).")
    return v


def generate(*, n: int = 100, slope: float = 2.0, intercept: float = 1.0, noise: float = 1.0,
             x_mean: float = 0.0, x_spread: float = 1.0, outliers: float = 0.0, seed: int = 0,
             standardize: bool = False) -> Dataset:
    """Synthetic data ``y = slope*x + intercept + Normal(0, noise)`` with
    ``x ~ Normal(x_mean, x_spread)``, drawn with ``np.random.default_rng(seed)``.

    A fraction ``outliers`` (0 to 0.5) of the rows, ``round(outliers*n)``, get y shifted by
    ``±(8*noise + 5*|slope|*x_spread)`` (1 if that is 0), with a random sign. The same
    arguments always give the same data; with the same seed, changing ``noise`` scales
    the same noise draws, and raising ``outliers`` keeps the earlier outliers.
    """
    if isinstance(n, bool) or not isinstance(n, (Integral, float)) or (
            isinstance(n, float) and not n.is_integer()) or not 2 <= n <= MAX_GENERATED_ROWS:
        raise DataError(f"n must be a whole number from 2 to {MAX_GENERATED_ROWS:,} (got {n!r}).")
    n = int(n)
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise DataError(f"seed must be a whole number >= 0 (got {seed!r}).")
    slope = _number("slope", slope)
    intercept = _number("intercept", intercept)
    x_mean = _number("x_mean", x_mean)
    noise = _number("noise", noise, low=0.0, what=f"from 0 to {_MAX_PARAM:g}")
    x_spread = _number("x_spread", x_spread, low=0.0, low_open=True,
                       what=f"greater than 0 and at most {_MAX_PARAM:g}")
    outliers = _number("outliers", outliers, low=0.0, high=0.5, what="from 0 to 0.5")

    rng = np.random.default_rng(int(seed))
    x = x_mean + x_spread * rng.standard_normal(n)
    y = slope * x + intercept + noise * rng.standard_normal(n)
    notes = []
    k = round(outliers * n)
    if k:
        rows = rng.permutation(n)[:k]
        signs = rng.choice(np.array([-1.0, 1.0]), size=n)[rows]
        shift = 8 * noise + 5 * abs(slope) * x_spread or 1.0
        y[rows] += signs * shift
        notes.append(f"{k} of {n} rows are outliers: y shifted by ±{shift:.4g}.")
    if np.all(x == x[0]):
        raise DataError(f"x_spread={x_spread!r} is too small for x_mean={x_mean!r}: every "
                        "generated x is the same. Use a larger x_spread.")
    return build(x.reshape(n, 1), y, ("x",), "y", standardize=standardize,
                  source=f"generated (n={n}, seed {seed})", notes=notes)


def _whole(name: str, value: object, low: int, high: int) -> int:
    """``value`` as an int from ``low`` to ``high``, or a DataError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (Integral, float)) or (
            isinstance(value, float) and not value.is_integer()) or not low <= value <= high:
        raise DataError(f"{name} must be a whole number from {low:,} to {high:,} "
                        f"(got {value!r}).")
    return int(value)


def generate_classes(*, n: int = CLASSES_DEFAULTS["n"],
                     features: int = CLASSES_DEFAULTS["features"],
                     separation: float = CLASSES_DEFAULTS["separation"],
                     balance: float = CLASSES_DEFAULTS["balance"],
                     seed: int = CLASSES_DEFAULTS["seed"], standardize: bool = False) -> Dataset:
    """Two Gaussian clouds for the logistic problem, drawn with ``np.random.default_rng(seed)``.

    ``round(balance*n)`` rows, chosen at random, are class 1, the others class 0. Each row is
    ``x = noise + (y - 1/2) * separation * u`` with ``noise ~ Normal(0, I)`` over ``features``
    columns (1 or 2) and ``u`` the unit vector along the diagonal: the class means are
    ``separation`` apart in units of the noise. The default 2 overlaps heavily (no line
    separates the classes; about 16% of rows lie past the midway boundary). With 200 rows,
    a separation of 5 is separable for most seeds and 6 or more for nearly all: then the
    logistic loss has no minimum.

    Why this shape: with equal covariances, P(y = 1 | x) = σ(w·x + b) exactly, with
    ``w = separation * u`` and ``b = log(balance / (1 - balance))``, so logistic regression
    is the right model and its optimum tends to that (w, b) as n grows. The same seed gives
    the same rows; with the same seed, changing ``separation`` moves the same noise draws.
    """
    n = _whole("n", n, 2, MAX_GENERATED_ROWS)
    features = _whole("features", features, 1, 2)
    seed = _whole("seed", seed, 0, int(LIMITS["seed"].high))
    sep_bound = LIMITS["separation"]
    separation = _number("separation", separation, low=sep_bound.low, high=sep_bound.high,
                         what=f"from {sep_bound.low:g} to {sep_bound.high:g}")
    balance = _number("balance", balance, low=0.0, high=1.0, low_open=True,
                      what="greater than 0 and less than 1")
    if balance == 1.0:
        raise DataError("balance must be a number greater than 0 and less than 1 (got 1.0): "
                        "both classes need rows.")
    n_pos = round(balance * n)
    if not 0 < n_pos < n:
        side = "1" if n_pos == 0 else "0"
        raise DataError(f"balance {balance:g} with n = {n:,} leaves class {side} without a row "
                        f"(round(balance*n) = {n_pos:,}): move balance towards 0.5 or use "
                        "more rows.")
    rng = np.random.default_rng(seed)
    y = np.zeros(n)
    y[rng.permutation(n)[:n_pos]] = 1.0
    u = np.full(features, 1.0 / math.sqrt(features))
    x = rng.standard_normal((n, features)) + np.outer(y - 0.5, separation * u)
    names = ("x",) if features == 1 else tuple(f"x{j + 1}" for j in range(features))
    return build(x, y, names, "class", standardize=standardize, classes=(0, 1),
                 source=f"generated classes (n={n}, seed {seed})")


# --------------------------------------------------------------------------- size of values


def _power_of_ten(value: float) -> str:
    """``1e300`` for 1e300, ``2.5e151`` for 2.5e151 (short, for messages)."""
    return f"{value:.3g}".replace("e+", "e")


def _check_magnitude(x: np.ndarray, y: np.ndarray, x_names: Sequence[str], y_name: str,
                     standardize: bool) -> None:
    """DataError naming the first column (x columns, then y) whose largest |value| is over
    :data:`MAX_ABS_VALUE` (:data:`MAX_ABS_STANDARDIZED` with standardization)."""
    limit = MAX_ABS_STANDARDIZED if standardize else MAX_ABS_VALUE
    biggest = [*np.max(np.abs(x), axis=0).tolist(), float(np.max(np.abs(y)))]
    for col, top in zip([*x_names, y_name], biggest):
        if top <= limit:
            continue
        divisor = _power_of_ten(10.0 ** math.floor(math.log10(top)))
        if standardize:
            raise DataError(f"Column {quote_name(col)} has values too large to standardize "
                            f"(they reach {_power_of_ten(top)}; at most "
                            f"{_power_of_ten(MAX_ABS_STANDARDIZED)} can be used): rescale the "
                            f"column (e.g. divide it by {divisor}).")
        raise DataError(f"Values in {quote_name(col)} reach {_power_of_ten(top)}; the squared "
                        "error would overflow (the lab takes values up to "
                        f"{_power_of_ten(MAX_ABS_VALUE)}): rescale the column (e.g. divide it "
                        f"by {divisor}) or turn on standardization.")


def _build(x: np.ndarray, y: np.ndarray, x_names: Sequence[str], y_name: str, *,
           standardize: bool, source: str, notes: Sequence[str] = (),
           classes: tuple[Label, Label] | None = None) -> Dataset:
    """:func:`~gdcore.data.dataset.build` after :func:`_check_magnitude`.

    With standardization, columns with values over :data:`MAX_ABS_VALUE` are divided by a
    power of two (exact) before the mean and standard deviation are taken, so their squares
    cannot overflow, and the mean and scale are multiplied back: the result is the same as
    an exact standardization of the original values.
    """
    _check_magnitude(x, y, x_names, y_name, standardize)
    if not standardize:
        return build(x, y, x_names, y_name, standardize=False, source=source, notes=notes,
                     classes=classes)
    big_x = np.max(np.abs(x), axis=0) > MAX_ABS_VALUE
    big_y = bool(np.max(np.abs(y)) > MAX_ABS_VALUE) and not np.all(y == y[0])  # keep "not scaled"
    if not (big_x.any() or big_y):
        return build(x, y, x_names, y_name, standardize=True, source=source, notes=notes,
                     classes=classes)
    build(x, y, x_names, y_name, standardize=False, source=source)  # constant x: original values
    x_exp = np.where(big_x, np.frexp(np.max(np.abs(x), axis=0))[1], 0).astype(np.int64)
    y_exp = int(np.frexp(np.max(np.abs(y)))[1]) if big_y else 0  # (0/1 classes: never big)
    ds = build(np.ldexp(x, -x_exp), np.ldexp(y, -y_exp), x_names, y_name, standardize=True,
               source=source, notes=notes, classes=classes)
    return dataclasses.replace(ds, x_mean=np.ldexp(ds.x_mean, x_exp),
                               x_scale=np.ldexp(ds.x_scale, x_exp),
                               y_mean=math.ldexp(ds.y_mean, y_exp),
                               y_scale=math.ldexp(ds.y_scale, y_exp))


# --------------------------------------------------------------------------- CSV


def _pick_column(wanted: object, columns: list[str], numeric: list[str], name: str,
                 role: str, listed_as: str = "Numeric columns") -> str:
    """The column of the table named ``wanted`` (exact, else after stripping spaces; never
    a different column: a name that differs only in case is suggested, not taken). The
    message lists ``numeric`` (the columns that could be chosen) as ``listed_as``."""
    if not isinstance(wanted, str):
        raise DataError(f"The {role} column must be given by name (a string), not "
                        f"{type(wanted).__name__}.")
    if wanted in columns:
        return wanted
    if wanted.strip() in columns:
        return wanted.strip()
    listed = quote_names(numeric) if numeric else "none"
    similar = [c for c in columns if c.casefold() == wanted.strip().casefold()]
    guess = f" Did you mean {quote_name(similar[0])}?" if similar else ""
    raise DataError(f"Column {quote_name(wanted)} is not in {name}. {listed_as}: "
                    f"{listed}.{guess}")


def _format_hint(df: pd.DataFrame, columns: Sequence[str]) -> str:
    """" " + the first :func:`~gdcore.data.csvio.number_format_hint` among ``columns``, or ""."""
    for col in columns:
        hint = number_format_hint(df[col], col)
        if hint:
            return " " + hint
    return ""


def _rows_hint(df: pd.DataFrame) -> str:
    return _ROWS_HINT if df.attrs.get("header", True) else _ROWS_HINT_NO_HEADER


def _two_values(column: pd.Series) -> list[str] | None:
    """The two distinct non-empty values of a text column, sorted, or None if it has not
    exactly two."""
    text = column.astype("string").str.strip().fillna("")
    values = text[text != ""].unique()
    return sorted(str(v) for v in values) if len(values) == 2 else None


def _check_numeric(col: str, df: pd.DataFrame, numeric: list[str], name: str,
                   role: str = "x") -> None:
    """DataError if the chosen column ``col`` is not mostly numbers (for a y column of two
    text values, the message says that the logistic problem takes it)."""
    if col in numeric:
        return
    text = df[col].astype("string").str.strip().fillna("")
    n_rows = len(text)
    non_empty = text != ""
    if not non_empty.any():
        raise DataError(f"Column {quote_name(col)} is empty in all {n_rows} rows of {name}: "
                        "pick a column with numbers.")
    parsed = pd.to_numeric(text.where(non_empty, None), errors="coerce")
    is_text = (non_empty & parsed.isna()).to_numpy()
    if is_text.any():
        first = int(np.flatnonzero(is_text)[0])
        hint = number_format_hint(df[col], col)
        fix = f" {hint}" if hint else ": pick a column with numbers, or fix the file."
        pair = _two_values(df[col]) if role == "y" and not hint else None
        if pair:
            fix = (f": it holds two classes ({quote_names(pair)}), which the logistic problem "
                   "classifies; for regression pick a column with numbers.")
        raise DataError(f"Column {quote_name(col)} holds text in {int(is_text.sum())} of {n_rows} "
                        f"rows (first at row {first + 1}: {quote_name(text.iloc[first])}; "
                        f"{_rows_hint(df)}){'.' if hint else ''}{fix}")
    raise DataError(f"Column {quote_name(col)} holds no finite numbers (its values are "
                    "infinite): pick a column with numbers.")


def _label_text(column: pd.Series) -> pd.Series:
    """A text column's cells stripped, ``""`` where empty; a missing-value marker (``NA``,
    ``null``, ``?``: :data:`~gdcore.data.csvio.MISSING_MARKERS`) is blanked too when the other
    cells hold exactly two values (yes / no / NA: two classes and gaps), and kept as a value
    otherwise (None / Heavy: "None" is a class there)."""
    text = column.astype("string").str.strip().fillna("")
    marked = text.isin(MISSING_MARKERS)
    if marked.any() and text[~marked & (text != "")].nunique() == 2:
        text = text.where(~marked, "")
    return text


def _distinct_count(column: pd.Series) -> int:
    """Number of distinct non-empty values of a column as :func:`read_table` returns it."""
    if pd.api.types.is_numeric_dtype(column):
        return int(column.nunique(dropna=True))
    text = _label_text(column)
    return int(text[text != ""].nunique())


def class_columns(df: pd.DataFrame) -> list[str]:
    """The columns with exactly two distinct values: those the logistic problem can take as
    its y (classes), in the table's order."""
    return [str(c) for c in df.columns if _distinct_count(df[c]) == 2]


def _default_class_column(df: pd.DataFrame, exclude: Sequence[str], name: str) -> str:
    """The last column (not an x) with exactly two distinct values: the classes' default."""
    for col in reversed(list(df.columns)):
        if col not in exclude and _distinct_count(df[col]) == 2:
            return col
    raise DataError(f"No column of {name} has exactly two distinct values to serve as the "
                    f"classes (y): columns are {quote_names(list(df.columns))}. Choose the y "
                    "column.")


def _choose_columns(df: pd.DataFrame, x: str | Sequence[str] | None, y: str | None,
                    name: str, *, classes: bool = False) -> tuple[list[str], str]:
    """The x columns and the y column, from the caller's choice or the defaults. With
    ``classes`` (the logistic problem) y may be any column (its values are checked by
    :func:`~gdcore.data.dataset.two_classes`); its default is the last column with exactly two
    distinct values."""
    columns = list(df.columns)
    numeric = numeric_columns(df)
    if not numeric:
        hint = _format_hint(df, columns)
        raise DataError(f"No numeric column found in {name}: columns are {quote_names(columns)}."
                        + (hint or " Upload a CSV with numbers in at least two columns."))
    if x is None:
        x_cols = None
    else:
        wanted = [x] if isinstance(x, str) else list(x) if isinstance(x, (list, tuple)) else None
        if not wanted:
            raise DataError("x must be a column name or a non-empty list of column names.")
        x_cols = [_pick_column(c, columns, numeric, name, "x") for c in wanted]
        for c in x_cols:
            if x_cols.count(c) > 1:
                raise DataError(f"Column {quote_name(c)} is chosen twice as x: list each x "
                                "column once.")
    if y is None:
        y_col = None
    elif classes:
        y_col = _pick_column(y, columns, columns, name, "y", listed_as="Columns")
    else:
        y_col = _pick_column(y, columns, numeric, name, "y")
    if x_cols is not None and y_col is not None and y_col in x_cols:
        raise DataError(f"Column {quote_name(y_col)} is chosen as both x and y: pick a different "
                        "y column.")
    for c in x_cols or []:
        _check_numeric(c, df, numeric, name)
    if classes:
        if y_col is None:
            y_col = _default_class_column(df, x_cols or [], name)
        if x_cols is None:
            free = [c for c in numeric if c != y_col]
            if not free:
                raise DataError(f"No numeric column left for x in {name}: the only one, "
                                f"{quote_name(y_col)}, holds the classes. Add a column with "
                                "numbers.")
            x_cols = [free[0]]
        return x_cols, y_col
    if y_col is not None:
        _check_numeric(y_col, df, numeric, name, role="y")
    if len(numeric) < 2 and (x_cols is None or y_col is None):
        hint = _format_hint(df, [c for c in columns if c not in numeric])
        classes_in = [c for c in class_columns(df) if c not in numeric]
        if not hint and classes_in:  # Titanic as a table of counts: Survived is a class
            hint = (f" Column {quote_name(classes_in[-1])} has two classes: this file suits "
                    "classification (the task \"Classification (logistic)\" on the page; "
                    "problem \"logistic\" in a setup), with the numbers as x.")
        raise DataError(f"Only one numeric column in {name} ({quote_name(numeric[0])}): a "
                        "line needs an x and a y column with numbers."
                        + (hint or " Add a second numeric column."))
    if x_cols is None:
        x_cols = [next(c for c in numeric if c != y_col)]
    if y_col is None:
        free = [c for c in numeric if c not in x_cols]
        if not free:
            raise DataError(f"No numeric column left for y in {name}: every numeric column is "
                            f"an x ({quote_names(x_cols)}). Choose fewer x columns.")
        y_col = free[-1]
    return x_cols, y_col


def _table_labels(column: pd.Series) -> np.ndarray:
    """A y column of :func:`read_table` as labels for :func:`~gdcore.data.dataset.two_classes`:
    float64 (NaN for an empty or unreadable cell) for a numeric column, else stripped texts."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return to_numbers(column)
    return label_array(_label_text(column).to_numpy(dtype=object))


def _from_table(df: pd.DataFrame, notes: Sequence[str], *, x: str | Sequence[str] | None,
                y: str | None, standardize: bool, name: str, source: str,
                problem: str = "linear", positive: Label | None = None) -> Dataset:
    """A :class:`Dataset` from a table as returned by :func:`read_table`.

    Rows with an empty, non-numeric or infinite value in a chosen numeric column are dropped
    with a note. For the logistic problem the y column's labels are checked on every row
    that has one first (a third class hidden in a row dropped for its x is still named),
    rows without a label are dropped with a note (never given a class: that would be a
    guess), and the labels are mapped to 0/1 on the rows kept."""
    classes = _classes_wanted(problem)
    notes = list(notes)
    if len(df) == 0:
        raise DataError(f"{name} has a header but no data rows: add at least two rows of numbers.")
    x_cols, y_col = _choose_columns(df, x, y, name, classes=classes)
    labels = None
    unlabelled = np.zeros(len(df), dtype=bool)
    if classes:
        labels = _table_labels(df[y_col])
        unlabelled = ~np.isfinite(labels) if labels.dtype.kind == "f" else (labels == "")
        if unlabelled.all():
            raise DataError(f"Column {quote_name(y_col)} of {name} has no class label in any "
                            "row: pick the column that holds the two classes.")
        encode_classes(labels[~unlabelled], y_col, positive=positive,  # every labelled row
                       rows_hint=_rows_hint(df))
    chosen = x_cols if classes else [*x_cols, y_col]
    values = np.column_stack([to_numbers(df[c]) for c in chosen])
    finite = np.isfinite(values)
    no_x = ~finite.all(axis=1)
    bad = no_x | unlabelled
    total = len(df)
    after = ""
    if bad.any():
        hint = _rows_hint(df)
        bad_cols = [c for j, c in enumerate(chosen) if not finite[:, j].all()]
        why = []
        if no_x.any():
            why.append(f"with empty or non-numeric or infinite values in "
                       f"{quote_names(bad_cols)} ({rows_text(np.flatnonzero(no_x) + 1)}")
        if unlabelled.any():
            what = ("an empty or unreadable class label" if labels.dtype.kind == "f"
                    else "no class label")
            why.append(f"with {what} in {quote_name(y_col)} "
                       f"({rows_text(np.flatnonzero(unlabelled) + 1)}")
        drop = f"{int(bad.sum())} of {total} rows " + "), and ".join(why) + f"; {hint})"
        usable = total - int(bad.sum())
        if usable < 2:
            count = "No usable row" if usable == 0 else "Only 1 usable row"
            need = ("numbers in every chosen x column and a class label" if classes
                    else "numbers in every chosen column")
            raise DataError(f"{count} in {name} after dropping {drop}: a fit needs at least "
                            f"two rows with {need}.")
        notes.append(f"Dropped {drop}.")
        values = values[~bad]
        k = int(bad.sum())
        reason = " or ".join(w for w, has in (("usable x values", no_x.any()),
                                              ("a class label", unlabelled.any())) if has)
        after = f" left after dropping {k} row{'' if k == 1 else 's'} without {reason}"
    elif total < 2:
        raise DataError(f"Only 1 usable row in {name}: a line needs at least two rows with "
                        "numbers in every chosen column.")
    if not classes:
        return _build(values[:, :-1], values[:, -1], x_cols, y_col, standardize=standardize,
                      source=source, notes=notes)
    y01, pair, note = encode_classes(labels[~bad], y_col, positive=positive,
                                     rows_hint=_rows_hint(df), after=after)
    if note:
        notes.append(note)
    return _build(values, y01, x_cols, y_col, standardize=standardize, source=source,
                  notes=notes, classes=pair)


def load_csv(source: bytes | bytearray | memoryview | str | Path, *,
             x: str | Sequence[str] | None = None, y: str | None = None,
             standardize: bool = False, name: str | None = None,
             max_bytes: int | None = None, problem: str = "linear",
             positive: Label | None = None) -> Dataset:
    """A :class:`Dataset` from a CSV file (bytes, or a path to read).

    ``x`` is a column name or a list of names; by default the first numeric column (that is
    not y). ``y`` is a column name; by default the last numeric column that is not an x.
    Rows with an empty, non-numeric or infinite value in a chosen column are dropped (with a
    note). ``name`` is how messages call the file (default: the path's file name or
    "data.csv").

    ``problem="logistic"``: y holds two classes (0/1, two numbers or two texts; by default
    the last column with exactly two distinct values), mapped to 0/1 with ``positive`` as 1
    (see :func:`~gdcore.data.dataset.two_classes` for the default and the rules); a row without a
    label is dropped with a note; y is never standardized.

    What files are read (and refused) is :func:`~gdcore.data.csvio.read_table`'s business: at
    most :data:`MAX_COLUMNS` columns and :data:`MAX_ROWS` rows, no header row, thousands
    separators, decimal commas, with a note for every guess. Chosen columns with values
    over :data:`MAX_ABS_VALUE` (:data:`MAX_ABS_STANDARDIZED` with ``standardize``) are
    refused, naming the column.
    """
    if name is None:
        name = Path(source).name if isinstance(source, (str, Path)) else "data.csv"
    df, notes = read_table(source, name=name, max_bytes=max_bytes)
    kind = "file" if isinstance(source, (str, Path)) else "upload"
    return _from_table(df, notes, x=x, y=y, standardize=standardize, name=name,
                       source=f"{kind}: {name}", problem=problem, positive=positive)


# --------------------------------------------------------------------------- inline


def inline(x: Sequence[float] | Sequence[Sequence[float]] | np.ndarray,
           y: Sequence[float] | Sequence[Label] | np.ndarray, *,
           x_names: Sequence[str] | None = None, y_name: str = "y", standardize: bool = False,
           problem: str = "linear", positive: Label | None = None) -> Dataset:
    """A :class:`Dataset` from Python lists or arrays: ``x`` 1-D (one column) or 2-D
    (rows x columns), ``y`` 1-D. Every value must be a finite number, at most
    :data:`MAX_ABS_VALUE` in size (:data:`MAX_ABS_STANDARDIZED` with ``standardize``).

    ``problem="logistic"``: ``y`` holds class labels (0/1, two numbers or two texts), mapped
    to 0/1 with ``positive`` as 1 (see :func:`~gdcore.data.dataset.two_classes`)."""
    classes = _classes_wanted(problem)
    try:
        x_arr = np.array(x, dtype=np.float64)
        y_arr = label_array(y) if classes else np.array(y, dtype=np.float64)
    except (TypeError, ValueError) as err:
        if isinstance(err, DataError):
            raise
        raise DataError(f"x and y must hold numbers only, in a rectangular shape ({err}).") from err
    if x_arr.ndim == 1:
        x_arr = x_arr.reshape(-1, 1)
    if x_arr.ndim != 2 or x_arr.shape[1] == 0:
        raise DataError(f"x must be a list of numbers or a table (rows x columns), not an array "
                        f"of shape {x_arr.shape}.")
    if y_arr.ndim == 2 and y_arr.shape[1:] == (1,):
        y_arr = y_arr.reshape(-1)
    if y_arr.ndim != 1:
        raise DataError(f"y must be a list of numbers, not an array of shape {y_arr.shape}.")
    n, d = x_arr.shape
    if y_arr.shape[0] != n:
        raise DataError(f"x has {n} rows but y has {y_arr.shape[0]} values: give one y value "
                        "per row of x.")
    if n < 2:
        raise DataError(f"Only {n} row(s) given: a line needs at least two points.")
    if x_names is None:
        x_names = ("x",) if d == 1 else tuple(f"x{j + 1}" for j in range(d))
    x_names = tuple(x_names) if not isinstance(x_names, str) else (x_names,)
    if len(x_names) != d:
        raise DataError(f"x_names has {len(x_names)} name(s) but x has {d} column(s): give one "
                        "name per column.")
    if not all(isinstance(v, str) and v for v in (*x_names, y_name)):
        raise DataError("Column names must be non-empty strings.")
    if len(set(x_names)) != d or y_name in x_names:
        raise DataError(f"Column names must be distinct: got x {quote_names(x_names)} and y "
                        f"{quote_name(y_name)}.")
    checked = [("x", x_arr, x_names)] + ([] if classes else [("y", y_arr.reshape(-1, 1),
                                                               (y_name,))])
    for label, arr, names in checked:
        bad = ~np.isfinite(arr)
        if bad.any():
            row, col = (int(i) for i in np.argwhere(bad)[0])
            raise DataError(f"{label} holds a non-finite value ({float(arr[row, col])!r}) in "
                            f"column {quote_name(names[col])} at row {row + 1}: give finite "
                            "numbers only.")
    if not classes:
        return _build(x_arr, y_arr, x_names, y_name, standardize=standardize,
                      source=f"inline (n={n})")
    y01, pair, note = two_classes(y_arr, y_name, positive=positive)
    return _build(x_arr, y01, x_names, y_name, standardize=standardize,
                  source=f"inline (n={n})", notes=[note] if note else [], classes=pair)


# --------------------------------------------------------------------------- samples


@dataclass(frozen=True)
class SampleInfo:
    """A bundled sample data set (a CSV file in ``data/``, described in data/README.md)."""

    file: str
    title: str
    description: str
    x: str | tuple[str, ...]  # the default x column, or several
    y: str
    source: str
    licence: str
    problem: str = "linear"  # what the default columns are for: "linear" or "logistic"
    positive: Label | None = None  # for "logistic": the label of y that counts as 1

    @property
    def path(self) -> Path:
        return DATA_DIR / self.file

    @property
    def x_columns(self) -> tuple[str, ...]:
        """The default x columns, always as a tuple."""
        return (self.x,) if isinstance(self.x, str) else tuple(self.x)


SAMPLES: dict[str, SampleInfo] = {
    "anscombe": SampleInfo(
        file="anscombe.csv",
        title="Anscombe's quartet",
        description=("Four small x/y series (x1,y1 ... x4,y4; 11 rows) with the same means, "
                     "variances and least-squares line y ≈ 3 + 0.5x, but very different "
                     "shapes: a clean line, a curve, an outlier, a single high-leverage point."),
        x="x1", y="y1",
        source=("F. J. Anscombe (1973), 'Graphs in Statistical Analysis', The American "
                "Statistician 27(1):17-21"),
        licence="public domain"),
    "engel": SampleInfo(
        file="engel.csv",
        title="Engel food expenditure (1857)",
        description=("Annual income and food expenditure (Belgian francs) of 235 working-class "
                     "households in 19th-century Belgium: food spending grows with income, "
                     "with a few very high incomes."),
        x="income", y="foodexp",
        source=("Engel (1857) via Koenker & Bassett (1982), Econometrica 50:43-61; as shipped "
                "by R quantreg and statsmodels"),
        licence="public domain"),
    "longley": SampleInfo(
        file="longley.csv",
        title="Longley US macroeconomic data (1947-1962)",
        description=("16 years of US employment, GNP, prices, unemployment, armed forces and "
                     "population: total employment is almost a straight line in GNP; the "
                     "columns are highly collinear (try several x columns)."),
        x="GNP", y="TOTEMP",
        source=("J. W. Longley (1967), JASA 62:819-841; NIST Statistical Reference Datasets; "
                "as shipped by statsmodels"),
        licence="public domain"),
    "cars": SampleInfo(
        file="cars.csv",
        title="Cars: fuel economy (Auto MPG, 1970-1982)",
        description=("406 car models of 1970-1982: miles per gallon against horsepower, "
                     "weight and acceleration (several features at once, in very different "
                     "units: standardize). 14 rows lack horsepower or mpg and are dropped."),
        x=("Horsepower", "Weight_in_lbs", "Acceleration"), y="Miles_per_Gallon",
        source=("UCI Machine Learning Repository, Auto MPG (StatLib; Quinlan 1993), the "
                "406-row original as shipped by vega_datasets 0.9.0"),
        licence="CC BY 4.0 (UCI)"),
    "breast_cancer": SampleInfo(
        file="breast_cancer.csv",
        title="Breast cancer diagnosis (Wisconsin, 569 samples)",
        description=("Ten measurements of cell nuclei in 569 breast-mass images, each "
                     "diagnosed malignant (212) or benign (357): classify the diagnosis from "
                     "the mean radius and mean texture (the classes overlap: no line "
                     "separates them)."),
        x=("mean radius", "mean texture"), y="diagnosis",
        source=("W. N. Street, W. H. Wolberg and O. L. Mangasarian (1993); UCI Machine "
                "Learning Repository, Breast Cancer Wisconsin (Diagnostic); as shipped by "
                "scikit-learn"),
        licence="CC BY 4.0 (UCI); scikit-learn's copy BSD-3-Clause",
        problem="logistic", positive="malignant"),
}


def load_sample(name: str, *, x: str | Sequence[str] | None = None, y: str | None = None,
                standardize: bool = False, problem: str | None = None,
                positive: Label | None = None) -> Dataset:
    """A bundled sample data set by its key in :data:`SAMPLES`, with its default columns
    unless ``x``/``y`` are given (a default x column that is the chosen y is left out).

    ``problem`` defaults to the sample's own (``SampleInfo.problem``); for the logistic
    problem ``positive`` defaults to the sample's ``positive`` when y is its default y."""
    info = SAMPLES.get(name) if isinstance(name, str) else None
    if info is None:
        raise DataError(f"No sample data set called {quote_name(name)}: choose one of "
                        f"{quote_names(list(SAMPLES))}.")
    problem = info.problem if problem is None else problem
    if x is None:
        rest = [c for c in info.x_columns if c != y]
        x = (rest[0] if len(rest) == 1 else rest) or None
    if y is None:
        chosen = [x] if isinstance(x, str) else list(x) if isinstance(x, (list, tuple)) else []
        y = info.y if info.y not in chosen else None
    if positive is None and problem == "logistic" and y == info.y:
        positive = info.positive
    ds = load_csv(info.path, x=x, y=y, standardize=standardize, name=info.file,
                  problem=problem, positive=positive)
    return dataclasses.replace(ds, source=f"sample: {info.title}")
