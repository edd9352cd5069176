"""First guesses of the columns of a table, the ones a statistician would make.

A table a student downloads for an assignment is rarely only measurements: R's ``write.csv``
leads with the row names (an unnamed first column of text or 1..n), many tables carry an id or
a sample number, codes (cylinders, a family id ``001 … 136A``), text and class columns sit
among the measured ones, and the outcome is usually last or named for what it is (``price``,
``mpg``, ``default``, ``survived``). :func:`guess_line` and :func:`guess_classes` skip what
labels rows, prefer a column whose name says outcome, else the last measured (or two-class)
column, and take for x the measured column that follows y most closely. Each guess says why,
in plain words, so the page can show the reasons beside the choice.

Pure functions of a table (no Streamlit): the page shows the result; tests check it on files
shaped like the real ones (``tests/fixtures/real``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Names (lower case, letters and digits only) of columns that label rows, not measure them.
ROW_LABEL_NAMES = frozenset({
    "unnamed0", "rownames", "rowname", "rowid", "row", "rownumber", "rowno", "index", "idx",
    "id", "no", "nr", "num", "number", "obs", "observation", "observationnumber", "record",
    "recordid", "sample", "samplenumber", "sampleno", "sampleid", "case", "caseid", "caseno",
    "subject", "subjectid", "key", "uid", "uuid", "serial", "serialnumber"})
#: What a measured outcome is called (regression): the first match in this order wins.
LINE_OUTCOMES = ("target", "outcome", "response", "label", "y", "price", "saleprice", "mpg",
                 "medv", "medianhousevalue", "sales", "charges", "wage", "salary", "income",
                 "revenue", "profit", "cost", "score", "grade", "rating", "quality", "yield",
                 "value", "result")
#: What a class outcome is called (classification), in this order.
CLASS_OUTCOMES = ("target", "outcome", "label", "class", "y", "default", "survived", "survival",
                  "species", "diagnosis", "churn", "response", "spam", "fraud", "admit",
                  "admitted", "passed", "pass", "success", "disease", "purchased", "result",
                  "status", "type")
#: Columns that describe who a row is (a covariate), rarely what the others predict.
DEMOGRAPHIC = frozenset({"sex", "gender", "female", "male", "student", "race", "ethnicity",
                         "married", "marital", "maritl", "smoker", "smoke", "region", "island",
                         "education", "jobclass", "religion", "country", "state", "city"})


def _key(name: object) -> str:
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


@dataclass(frozen=True)
class Guess:
    """A first (x, y) and why: ``why_y`` and ``why_x`` finish "y = <name>, …" and "x = …";
    ``skipped`` names the columns left out as row labels, ids or codes, with the reason;
    ``note`` is one more line worth saying (a many-class outcome the task cannot take)."""

    x: str
    y: str
    why_y: str
    why_x: str
    skipped: tuple[tuple[str, str], ...] = ()
    note: str = ""


def _numbers(table: pd.DataFrame, col: str) -> pd.Series:
    return pd.to_numeric(table[col], errors="coerce")


def row_label_reason(table: pd.DataFrame, col: str, position: int) -> str | None:
    """Why column ``col`` (at ``position``) labels rows rather than measures them, or None:
    R's unnamed row-name column, a name like id / index / Sample Number, the numbers 1..n
    (or 0..n-1) in order, text that differs in every row, or a code the reader saw written
    with leading zeros or letters (``001``, ``136A``; ``table.attrs["codes"]``)."""
    name, key = str(col), _key(col)
    codes = table.attrs.get("codes", ())
    unnamed = re.fullmatch(r"column \d+", name) is not None or key in ("", "unnamed0") \
        or re.fullmatch(r"unnamed: ?\d+", name.strip().lower()) is not None
    if unnamed and position == 0:
        return "row names (an unnamed first column)"
    lower = name.strip().lower()
    if key in ROW_LABEL_NAMES or re.search(r"(^|[\s_.-])id$", lower) \
            or re.search(r"[a-z]I[dD]$", name.strip()) or re.fullmatch(r"id[\s_.-].*", lower):
        return "an id or row label (its name)"
    if col in codes:
        return "a code (written with leading zeros or letters, e.g. 001 or 136A)"
    values = _numbers(table, col)
    if values.notna().all() and len(values) >= 3:
        v = values.to_numpy()
        start = v[0]
        if start in (0, 1) and np.array_equal(v, start + np.arange(len(v))):
            return f"the row numbers ({start:g}..{start + len(v) - 1:g} in order)"
    if values.isna().all() and position == 0:
        text = table[col].astype("string").str.strip()
        if text.notna().all() and text.nunique() == len(text) and len(text) >= 3:
            return "row names (text that differs in every row)"
    return None


def row_labels(table: pd.DataFrame) -> dict[str, str]:
    """The columns of ``table`` that label rows (see :func:`row_label_reason`), with why."""
    found = {}
    for position, col in enumerate(table.columns):
        reason = row_label_reason(table, col, position)
        if reason is not None:
            found[str(col)] = reason
    return found


def measured(table: pd.DataFrame, col: str) -> bool:
    """Whether a numeric column looks measured: not a code with few values (cylinders,
    origin), nearly constant, evenly spaced (an index) or a year."""
    values = _numbers(table, col).dropna()
    if len(values) < 3 or values.nunique() <= min(10, max(2, len(values) // 20)):
        return False
    steps = np.diff(values.to_numpy())
    if len(steps) and np.all(steps == steps[0]):
        return False
    return _key(col) not in ("year", "modelyear", "yr")


def _named(columns: Sequence[str], names: Sequence[str]) -> str | None:
    """The column whose name is the earliest of ``names`` (letters and digits compared, case
    ignored; ``SalePrice`` is ``saleprice``), else one whose name ends in ``price``."""
    keys = {_key(c): c for c in reversed(columns)}  # the first column of a name wins
    for want in names:
        if want in keys:
            return keys[want]
    priced = [c for c in columns if _key(c).endswith("price")]
    return priced[0] if priced and "price" in names else None


def most_correlated(table: pd.DataFrame, target: pd.Series, others: Sequence[str]) -> str | None:
    """The column of ``others`` most correlated with ``target`` (numbers, NaN where missing),
    leaving out exact copies of it (a duplicate of y fits trivially)."""
    if not others:
        return None
    frame = table[list(others)].apply(pd.to_numeric, errors="coerce")
    target = pd.Series(np.asarray(target, dtype=float), index=frame.index)
    copies = [c for c in others if frame[c].equals(target)]
    with np.errstate(all="ignore"):  # a constant column has no correlation (NaN)
        corr = frame.drop(columns=copies).corrwith(target).abs().dropna()
    return str(corr.idxmax()) if len(corr) else None


def _same_quantity(table: pd.DataFrame, col: str, y: str, target: pd.Series) -> bool:
    """Whether ``col`` is ``y`` again, transformed: its name holds y's (``logwage`` for
    ``wage``) and its values rise or fall with y's in the same order (a rank correlation of
    1 to rounding), as a log, a square root or a change of units does."""
    a, b = _key(col), _key(y)
    if not (a and b and (b in a or a in b)):
        return False
    pair = pd.DataFrame({"c": _numbers(table, col), "y": target}).dropna()
    if len(pair) < 3:
        return False
    with np.errstate(all="ignore"):
        rho = pair["c"].rank().corr(pair["y"].rank())
    return bool(np.isfinite(rho) and abs(rho) > 0.999)


def _coordinates(columns: Sequence[str]) -> bool:
    """Columns x, y and z together are measurements along three axes (diamonds' sizes in
    millimetres), so ``y`` among them is not the outcome."""
    return {"x", "y", "z"} <= {_key(c) for c in columns}


def guess_line(table: pd.DataFrame, numeric: Sequence[str]) -> Guess:
    """A first (x, y) for fitting a line: y is the numeric column whose name says outcome
    (``price``, ``mpg``, ``target`` …; ``y`` unless it sits with ``x`` and ``z``), else the
    last measured column; x is the measured column most correlated with y. Row names, ids,
    row numbers and codes are never guessed. ``numeric`` has at least two columns."""
    numeric = [str(c) for c in numeric]
    labels = row_labels(table)
    skipped = tuple((c, labels[c]) for c in numeric if c in labels)
    pool = [c for c in numeric if c not in labels] or list(numeric)
    good = [c for c in pool if measured(table, c)]
    outcomes = [n for n in LINE_OUTCOMES if not (n == "y" and _coordinates(table.columns))]
    named = _named(good, outcomes) or _named(pool, outcomes)
    if named is not None:
        y, why_y = named, "its name says it is the outcome"
    elif good:
        y, why_y = good[-1], "the last measured column (tables usually end with the outcome)"
    else:
        y, why_y = pool[-1], "the last numeric column"
    others = [c for c in good if c != y] or [c for c in pool if c != y] \
        or [c for c in numeric if c != y]
    target = _numbers(table, y)
    # not y again in other units (logwage beside wage): named after it, or in the same order
    plain = [c for c in others if not _same_quantity(table, c, y, target)]
    x = most_correlated(table, target, plain or others)
    why_x = "the column most correlated with it"
    if x is None:
        x, why_x = others[0], "the first other numeric column"
    return Guess(x, y, why_y, why_x, skipped)


def _distinct(series: pd.Series) -> int:
    text = series.astype("string").str.strip().replace("", pd.NA)
    return int(text.nunique(dropna=True))


def guess_classes(table: pd.DataFrame, numeric: Sequence[str],
                  class_columns: Sequence[str]) -> Guess:
    """A first (x, y) for separating two classes: y is the two-class column whose name says
    outcome (``default``, ``survived``, ``class`` …), else the last one that does not
    describe who a row is (``sex``, ``student`` …: a covariate), else the last; x is the
    measured numeric column that follows the classes most closely. A many-class column
    named as the outcome (penguins' ``species``) is named in ``note``: the task takes two
    classes. ``class_columns`` is not empty and some numeric column is not y."""
    labels = row_labels(table)
    numeric = [str(c) for c in numeric]
    pool = [str(c) for c in class_columns if str(c) not in labels] or \
        [str(c) for c in class_columns]
    named = _named(pool, CLASS_OUTCOMES)
    plain = [c for c in pool if _key(c) not in DEMOGRAPHIC]
    if named is not None:
        y, why_y = named, "its name says it is the outcome"
    elif plain:
        y, why_y = plain[-1], "the last column with two classes"
    else:
        y, why_y = pool[-1], "the last column with two classes"
    note = ""
    many = _named([str(c) for c in table.columns if str(c) not in class_columns
                   and str(c) not in labels and _distinct(table[c]) > 2], CLASS_OUTCOMES)
    if many is not None and named is None:
        note = (f"{many} has {_distinct(table[many])} classes and logistic regression "
                f"separates two, so it is not offered as y ({y} is used): for one {many} "
                "against the rest, add a column that says yes or no for it.")
    x = class_x(table, numeric, y, exclude=labels)
    return Guess(x, y, why_y, "the measured column that follows the classes most closely",
                 tuple((c, labels[c]) for c in numeric if c in labels), note)


def class_x(table: pd.DataFrame, numeric: Sequence[str], y: str,
            exclude: Sequence[str] = ()) -> str:
    """A first x for the classes in column ``y``: the measured numeric column (not a row
    label, an index or a code) most correlated with the 0/1 labels, else the first other."""
    labels = table[y]
    if pd.api.types.is_numeric_dtype(labels):
        target = pd.to_numeric(labels, errors="coerce")
    else:
        text = labels.astype("string").str.strip().replace("", pd.NA)
        codes = pd.Series(pd.factorize(text)[0], index=table.index, dtype=float)
        target = codes.where(codes >= 0)
    others = [c for c in numeric if c != y]
    kept = [c for c in others if c not in exclude] or others
    good = [c for c in kept if measured(table, c)] or kept
    return most_correlated(table, target, good) or good[0]
