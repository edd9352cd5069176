"""Tests for two-class y columns (the logistic problem's data), generated classes, and the
samples for several features (cars) and for classification (breast cancer).

Independent truths: scikit-learn's own copy of the breast-cancer data and its logistic
regression, Python's csv module reading the files, a linear program (scipy) deciding whether
a line separates two classes, and the closed-form Bayes boundary of two Gaussian clouds.
"""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.optimize import linprog
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

import gdcore
from gdcore.data.csvio import numeric_columns, read_table
from gdcore.data.dataset import Dataset, two_classes
from gdcore.data.sources import (
    CLASSES_DEFAULTS,
    DATA_DIR,
    SAMPLES,
    generate_classes,
    inline,
    load_csv,
    load_sample,
)
from gdcore.engine.runner import load_dataset, run_experiment
from gdcore.errors import ConfigError, DataError
from gdcore.limits import LIMITS
from gdcore.models.logistic import LogisticRegression
from gdcore.spec.config import parse_data, parse_experiment
from gdcore.spec.defaults import DATA_SOURCES

ROWS_HINT = "row 1 = first row below the header"


def one_line(err: pytest.ExceptionInfo) -> str:
    msg = str(err.value)
    assert "\n" not in msg and msg.strip() == msg and msg
    return msg


def separable_by_lp(x: np.ndarray, y: np.ndarray) -> bool:
    """Whether some line (hyperplane) puts every row strictly on its class's side: the linear
    program  find (w, b) with s_i (x_i·w + b) >= 1  (s = ±1) is feasible. Independent of the
    engine's IRLS."""
    s = np.where(y == 1.0, 1.0, -1.0)
    a_ub = -s[:, None] * np.column_stack([x, np.ones(len(y))])
    res = linprog(np.zeros(x.shape[1] + 1), A_ub=a_ub, b_ub=-np.ones(len(y)),
                  bounds=[(None, None)] * (x.shape[1] + 1), method="highs")
    assert res.status in (0, 2), res.message  # 0 feasible, 2 infeasible
    return res.status == 0


def read_rows(path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# --------------------------------------------------------------------------- the samples


def test_sample_order_keeps_the_dashboards_first_choice():
    assert list(SAMPLES)[:3] == ["anscombe", "engel", "longley"]
    assert {"cars", "breast_cancer"} <= set(SAMPLES)


def test_cars_file_and_the_loaders_cleaning():
    rows = read_rows(DATA_DIR / "cars.csv")
    assert len(rows) == 406
    assert list(rows[0]) == ["Name", "Miles_per_Gallon", "Cylinders", "Displacement",
                             "Horsepower", "Weight_in_lbs", "Acceleration", "Year", "Origin"]
    cols = ["Horsepower", "Weight_in_lbs", "Acceleration", "Miles_per_Gallon"]
    empty_mpg = [i + 1 for i, r in enumerate(rows) if r["Miles_per_Gallon"] == ""]
    empty_hp = [i + 1 for i, r in enumerate(rows) if r["Horsepower"] == ""]
    assert (len(empty_mpg), len(empty_hp)) == (8, 6)  # missing values kept as in the source
    assert {r["Origin"] for r in rows} == {"USA", "Europe", "Japan"}
    kept = [r for r in rows if all(r[c] != "" for c in cols)]
    assert len(kept) == 392

    info = SAMPLES["cars"]
    assert info.x_columns == ("Horsepower", "Weight_in_lbs", "Acceleration")
    assert info.problem == "linear" and info.y == "Miles_per_Gallon"
    ds = load_sample("cars")
    assert (ds.n, ds.d) == (392, 3) and ds.x_names == info.x_columns
    assert ds.classes is None and ds.problem == "linear"
    dropped = sorted(set(empty_mpg) | set(empty_hp))
    assert len(dropped) == 14
    shown = ", ".join(map(str, dropped[:5]))
    assert ds.notes == (f"Dropped 14 of 406 rows with empty or non-numeric or infinite values in "
                        f"'Horsepower', 'Miles_per_Gallon' (rows {shown} and 9 more; "
                        f"{ROWS_HINT}).",)
    expected = np.array([[float(r[c]) for c in cols] for r in kept])
    np.testing.assert_array_equal(ds.x, expected[:, :3])
    np.testing.assert_array_equal(ds.y, expected[:, 3])
    # Year is a date ("1970-01-01") in this copy: text, never offered as a number
    df, notes = read_table(DATA_DIR / "cars.csv")
    assert notes == () and "Year" not in numeric_columns(df) and "Name" not in numeric_columns(df)


def test_cars_other_columns_drop_only_what_they_need():
    ds = load_sample("cars", x="Weight_in_lbs", y="Acceleration")
    assert ds.n == 406 and ds.notes == ()
    ds = load_sample("cars", y="Horsepower")  # a default x that is y is left out
    assert ds.x_names == ("Weight_in_lbs", "Acceleration") and ds.n == 400
    assert "'Horsepower' (rows 39, 134, 338, 344, 362 and 1 more" in ds.notes[0]


def test_cars_least_squares_through_the_runner_on_standardized_columns():
    exp = {"problem": "linear", "data": {"source": "sample", "name": "cars", "standardize": True},
           "runs": [{"name": "gd", "epochs": 1500, "optimizer": {"name": "sgd", "lr": 0.4}}]}
    result = run_experiment(exp)
    ds = result.dataset
    rows = [r for r in read_rows(DATA_DIR / "cars.csv")
            if r["Horsepower"] and r["Miles_per_Gallon"]]
    x = np.array([[float(r[c]) for c in ds.x_names] for r in rows])
    y = np.array([float(r["Miles_per_Gallon"]) for r in rows])
    coef = np.linalg.lstsq(np.column_stack([x, np.ones(len(y))]), y, rcond=None)[0]
    run = result.runs[0]
    assert run.status != "diverged"
    slopes = [run.params_original[n] for n in ("w1", "w2", "w3")]
    np.testing.assert_allclose(slopes, coef[:3], rtol=1e-6)
    assert run.params_original["b"] == pytest.approx(coef[3], rel=1e-8)


def test_breast_cancer_file_is_scikit_learns_data():
    sk = load_breast_cancer()
    rows = read_rows(DATA_DIR / "breast_cancer.csv")
    assert len(rows) == 569
    names = [str(n) for n in sk.feature_names[:10]]
    assert list(rows[0]) == [*names, "diagnosis"]
    np.testing.assert_array_equal(np.array([[float(r[n]) for n in names] for r in rows]),
                                  sk.data[:, :10])
    assert [r["diagnosis"] for r in rows] == [str(sk.target_names[t]) for t in sk.target]


def test_breast_cancer_loads_as_two_classes():
    sk = load_breast_cancer()
    info = SAMPLES["breast_cancer"]
    assert info.problem == "logistic" and info.positive == "malignant"
    ds = load_sample("breast_cancer")
    assert (ds.n, ds.d) == (569, 2) and ds.x_names == ("mean radius", "mean texture")
    assert ds.y_name == "diagnosis" and ds.problem == "logistic"
    assert ds.classes == ("benign", "malignant")
    np.testing.assert_array_equal(ds.x, sk.data[:, :2])
    np.testing.assert_array_equal(ds.y, (sk.target == 0).astype(float))  # sklearn: 0 = malignant
    assert ds.notes == ("'diagnosis': 1 = 'malignant' (212 rows), 0 = 'benign' (357 rows).",)
    flipped = load_sample("breast_cancer", positive="benign")
    assert flipped.classes == ("malignant", "benign")
    np.testing.assert_array_equal(flipped.y, 1.0 - ds.y)
    assert flipped.notes == ("'diagnosis': 1 = 'benign' (357 rows), 0 = 'malignant' (212 rows).",)


def test_breast_cancer_default_columns_are_not_separable():
    ds = load_sample("breast_cancer")
    problem = LogisticRegression.from_dataset(ds)
    assert problem.separable is False
    assert not separable_by_lp(ds.x, ds.y)
    # its optimum is scikit-learn's unpenalised logistic regression
    model = SkLogisticRegression(
        C=np.inf, tol=1e-12, max_iter=10_000).fit(ds.x, ds.y)
    np.testing.assert_allclose(problem.reference[:-1], model.coef_[0], rtol=1e-5)
    assert problem.reference[-1] == pytest.approx(model.intercept_[0], rel=1e-5)
    assert 0.85 < problem.accuracy(problem.reference) < 0.95


def test_breast_cancer_standardized_keeps_the_labels_and_the_boundary():
    raw = load_sample("breast_cancer")
    std = load_sample("breast_cancer", standardize=True)
    assert std.standardized and std.classes == raw.classes
    np.testing.assert_array_equal(std.y, raw.y)
    assert (std.y_mean, std.y_scale) == (0.0, 1.0)
    np.testing.assert_allclose(std.x.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(std.x.std(axis=0), 1.0, rtol=1e-12)
    p_std = LogisticRegression.from_dataset(std).reference
    p_raw = LogisticRegression.from_dataset(raw).reference
    w, b = std.to_original_units(p_std[:-1], p_std[-1])  # the same boundary in original units
    np.testing.assert_allclose(w, p_raw[:-1], rtol=1e-7)
    assert b == pytest.approx(p_raw[-1], rel=1e-7)
    assert std.with_standardization(False).classes == raw.classes
    np.testing.assert_allclose(std.with_standardization(False).x, raw.x, rtol=1e-14)


def test_breast_cancer_for_regression_says_it_holds_classes():
    with pytest.raises(DataError) as err:
        load_sample("breast_cancer", problem="linear")
    msg = one_line(err)
    assert "'diagnosis' holds text in 569 of 569 rows" in msg
    assert "two classes ('benign', 'malignant')" in msg and "logistic" in msg
    ds = load_sample("breast_cancer", problem="linear", y="mean area")  # numeric y: fine
    assert ds.classes is None and ds.y_name == "mean area"


def test_a_regression_sample_for_logistic_lists_what_its_y_holds():
    with pytest.raises(DataError) as err:
        load_sample("anscombe", problem="logistic")
    msg = one_line(err)
    assert msg.startswith("Column 'y1' has 11 distinct values: 4.26, 4.82, 5.68, ")
    assert "and 1 more; logistic regression needs exactly two classes" in msg


# --------------------------------------------------------------------------- two classes


def test_text_labels_are_stripped_and_case_sensitive():
    raw = b"x,answer\n1, yes\n2,no \n3,yes\n4,no\n5,no\n"
    ds = load_csv(raw, problem="logistic")
    assert ds.y_name == "answer" and ds.classes == ("no", "yes")
    np.testing.assert_array_equal(ds.y, [1, 0, 1, 0, 0])
    assert ds.notes == ("'answer': 1 = 'yes' (2 rows), 0 = 'no' (3 rows) (the less frequent "
                        "class counts as 1; choose another with \"positive\").",)
    with pytest.raises(DataError) as err:
        load_csv(b"x,answer\n1,yes\n2,Yes\n3,no\n", y="answer", problem="logistic")
    msg = one_line(err)
    assert msg.startswith("Column 'answer' has 3 distinct values: 'Yes', 'no', 'yes' ('Yes' and "
                          "'yes' differ only in case: labels are case-sensitive); logistic "
                          "regression needs exactly two classes.")
    assert "Pick a y column with two values" in msg


words = st.text(alphabet="abcXY z-", min_size=1, max_size=6).filter(lambda w: w.strip())


@given(st.lists(st.tuples(st.booleans(), st.sampled_from(["", " ", "  "]),
                          st.sampled_from(["", " ", "\t"])), min_size=2, max_size=40),
       words, words)
def test_two_text_classes_map_by_the_stated_rule(rows, first, second):
    assume(first.strip() != second.strip())  # two different labels ...
    assume(any(r[0] for r in rows) and not all(r[0] for r in rows))  # ... each used
    a, b = sorted([first.strip(), second.strip()])
    labels = [f"{pad}{b if is_b else a}{tail}" for is_b, pad, tail in rows]
    y, classes, note = two_classes(labels, "c")
    n_b = sum(r[0] for r in rows)
    n_a = len(rows) - n_b
    positive = b if n_b < n_a or n_b == n_a else a  # rarer; a tie goes to the later (b)
    negative = a if positive == b else b
    assert classes == (negative, positive)
    np.testing.assert_array_equal(y, [float((b if r[0] else a) == positive) for r in rows])
    assert note.startswith(f"'c': 1 = '{positive}' ({int(y.sum())} row")


def test_equally_frequent_classes_take_the_later_label_as_positive():
    ds = load_csv(b"x,y\n1,no\n2,yes\n3,no\n4,yes\n", problem="logistic")
    assert ds.classes == ("no", "yes")
    np.testing.assert_array_equal(ds.y, [0, 1, 0, 1])
    assert "the classes are equally frequent: the later in sorted order counts as 1" in ds.notes[0]
    ds = load_csv(b"x,grade\n1,1\n2,2\n3,2\n4,1\n", problem="logistic")
    assert ds.classes == (1, 2)
    np.testing.assert_array_equal(ds.y, [0, 1, 1, 0])
    assert ds.notes[0].startswith("'grade': 1 = 2 (2 rows), 0 = 1 (2 rows)")


def test_numeric_labels_zero_one_and_two_numbers():
    ds = load_csv(b"x,label\n1,0\n2,1\n3,1\n4,1\n", problem="logistic")
    assert ds.classes == (0, 1) and ds.notes == ()  # 0/1 as it is: nothing translated
    np.testing.assert_array_equal(ds.y, [0, 1, 1, 1])
    ds = load_csv(b"x,label\n1,0\n2,1\n3,1\n4,1\n", problem="logistic", positive=0)
    assert ds.classes == (1, 0)
    np.testing.assert_array_equal(ds.y, [1, 0, 0, 0])
    assert ds.notes == ("'label': 1 = 0 (1 row), 0 = 1 (3 rows).",)
    ds = load_csv(b"x,label\n1,1\n2,2\n3,2\n4,2\n", problem="logistic")  # 1 is rarer
    assert ds.classes == (2, 1)
    np.testing.assert_array_equal(ds.y, [1, 0, 0, 0])
    ds = load_csv(b"x,label\n1,1\n2,2\n3,2\n4,2\n", problem="logistic", positive="2")
    assert ds.classes == (1, 2)  # a text that reads as the number names it too
    ds = load_csv(b"x,label\n1,0.5\n2,2.5\n3,2.5\n", problem="logistic", positive=2.5)
    assert ds.classes == (0.5, 2.5)
    np.testing.assert_array_equal(ds.y, [0, 1, 1])


def test_a_named_positive_that_is_not_a_class():
    with pytest.raises(DataError) as err:
        load_sample("breast_cancer", positive="Malignant")
    assert one_line(err) == ("positive 'Malignant' is not a class of 'diagnosis': its classes are "
                             "'benign' and 'malignant' (labels are case-sensitive: did you mean "
                             "'malignant'?). Give one of them.")
    with pytest.raises(DataError) as err:
        load_csv(b"x,label\n1,1\n2,2\n", problem="logistic", positive=3)
    assert one_line(err).startswith("positive 3 is not a class of 'label': its classes are 1 "
                                    "and 2.")
    with pytest.raises(DataError, match="positive must be a class label"):
        load_csv(b"x,label\n1,0\n2,1\n", problem="logistic", positive=True)
    ds = load_csv(b"x,label\n1,a\n2,b\n", problem="logistic", positive="  a ")
    assert ds.classes == ("b", "a")


def test_rows_without_a_label_are_dropped_with_a_note_naming_them():
    ds = load_csv(b"x,label\n1,yes\n2,\n3,no\n4,\n5,yes\n", y="label", problem="logistic")
    np.testing.assert_array_equal(ds.x[:, 0], [1, 3, 5])  # never given a class
    assert ds.classes == ("yes", "no") and ds.n == 3  # the less frequent label is 1
    np.testing.assert_array_equal(ds.y, [0, 1, 0])
    assert ds.notes[0] == (f"Dropped 2 of 5 rows with no class label in 'label' (rows 2, 4; "
                           f"{ROWS_HINT}).")
    ds = load_csv(b"x,label\n1,0\n2,1\n3,\n4,1\nabc,0\n", y="label", problem="logistic")
    assert ds.n == 3 and ds.classes == (0, 1)
    np.testing.assert_array_equal(ds.y, [0, 1, 1])
    assert ds.notes[0] == ("Dropped 2 of 5 rows with empty or non-numeric or infinite values in "
                           "'x' (row 5), and with an empty or unreadable class label in 'label' "
                           f"(row 3; {ROWS_HINT}).")
    # a third class in a row without an x is still named: the labels are checked first
    with pytest.raises(DataError, match="3 distinct values"):
        load_csv(b"x,label\n1,a\n2,b\n,c\n4,\n", y="label", problem="logistic")
    # what is left must still hold two classes and two rows
    with pytest.raises(DataError) as err:
        load_csv(b"x,label\n1,a\n2,a\n3,\n,b\n", y="label", problem="logistic")
    assert "only one value ('a' in all 2 rows left after dropping 2 rows without usable x " \
           "values or a class label)" in one_line(err)
    with pytest.raises(DataError) as err:
        load_csv(b"x,label\n1,a\n2,\n,b\n", y="label", problem="logistic")
    assert one_line(err).startswith("Only 1 usable row in data.csv after dropping 2 of 3 rows "
                                    "with empty or non-numeric or infinite values in 'x' (row 3), "
                                    "and with no class label in 'label' (row 2;")
    assert one_line(err).endswith("a fit needs at least two rows with numbers in every chosen x "
                                  "column and a class label.")
    with pytest.raises(DataError, match="no class label in any row"):
        load_csv(b"x,label,z\n1,,0\n2,,1\n", y="label", problem="logistic")


def test_one_value_or_many_values():
    with pytest.raises(DataError) as err:
        load_csv(b"x,label\n1,yes\n2,yes\n3,yes\n", y="label", problem="logistic")
    assert one_line(err) == ("Column 'label' has only one value ('yes' in all 3 rows): logistic "
                             "regression needs two classes. Pick a y column with exactly two "
                             "values.")
    with pytest.raises(DataError) as err:
        load_csv(b"x,label\n1,a\n2,b\n3,c\n", y="label", problem="logistic")
    assert one_line(err).startswith("Column 'label' has 3 distinct values: 'a', 'b', 'c'; "
                                    "logistic regression needs exactly two classes.")
    with pytest.raises(DataError) as err:
        two_classes(np.arange(25.0), "y")
    assert "25 distinct values: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 15 more;" in one_line(err)


def test_dropped_x_rows_can_leave_one_class():
    raw = b"x,label\n1,a\n,b\n3,a\n4,a\n"
    with pytest.raises(DataError) as err:
        load_csv(raw, y="label", problem="logistic")
    assert one_line(err).startswith("Column 'label' has only one value ('a' in all 3 rows left "
                                    "after dropping 1 row without usable x values)")
    ds = load_csv(b"x,label\n1,a\n,b\n3,a\n4,b\n", y="label", problem="logistic")
    assert ds.n == 3 and ds.classes == ("a", "b")
    assert ds.notes[0].startswith("Dropped 1 of 4 rows with empty or non-numeric or infinite "
                                  "values in 'x' (row 2;")
    assert ds.notes[1] == ("'label': 1 = 'b' (1 row), 0 = 'a' (2 rows) (the less frequent class "
                           "counts as 1; choose another with \"positive\").")


def test_the_default_class_column_and_x():
    raw = b"name,size,weight,kind,colour\nA,1,5,cat,red\nB,2,6,dog,blue\nC,3,8,cat,green\n"
    ds = load_csv(raw, problem="logistic")  # 'colour' has three values: 'kind' is the last pair
    assert ds.y_name == "kind" and ds.x_names == ("size",)
    ds = load_csv(raw, x=["size", "weight"], problem="logistic")
    assert ds.y_name == "kind" and ds.d == 2
    with pytest.raises(DataError) as err:
        load_csv(b"a,b\n1,1\n2,2\n3,3\n", problem="logistic")
    assert one_line(err) == ("No column of data.csv has exactly two distinct values to serve as "
                             "the classes (y): columns are 'a', 'b'. Choose the y column.")
    with pytest.raises(DataError) as err:
        load_csv(b"a,label\n1,x\n2,y\n", y="lable", problem="logistic")
    assert one_line(err) == "Column 'lable' is not in data.csv. Columns: 'a', 'label'."
    with pytest.raises(DataError, match="No numeric column left for x in data.csv: the only "
                                        "one, 'label', holds the classes"):
        load_csv(b"label,name\n0,a\n1,a\n", problem="logistic")
    with pytest.raises(DataError, match="problem must be one of 'linear', 'logistic'"):
        load_csv(b"x,y\n1,2\n3,4\n", problem="quadratic")


def test_labels_are_never_standardized():
    raw = b"a,b,label\n1,10,yes\n2,30,no\n4,20,yes\n7,80,no\n"
    ds = load_csv(raw, x=["a", "b"], problem="logistic", standardize=True)
    x = np.array([[1, 10], [2, 30], [4, 20], [7, 80]], dtype=float)
    np.testing.assert_allclose(ds.x, (x - x.mean(axis=0)) / x.std(axis=0), rtol=1e-14)
    np.testing.assert_array_equal(ds.y, [1, 0, 1, 0])  # 2 yes / 2 no: 'yes' is later
    assert (ds.y_mean, ds.y_scale) == (0.0, 1.0)
    np.testing.assert_array_equal(ds.frame()["label"], [1, 0, 1, 0])
    big = load_csv(b"x,label\n1e200,0\n-3e200,1\n2e200,1\n", problem="logistic",
                   standardize=True)  # the power-of-two rescaling path keeps the labels
    np.testing.assert_array_equal(big.y, [0, 1, 1])
    assert big.classes == (0, 1)


def test_dataset_checks_its_classes():
    x = np.array([[1.0], [2.0]])
    with pytest.raises(DataError, match="y in \\{0, 1\\}"):
        Dataset(x, np.array([0.0, 2.0]), ("x",), "y", np.zeros(1), np.ones(1), 0.0, 1.0, False,
                "t", classes=("a", "b"))
    with pytest.raises(DataError, match="two different labels"):
        Dataset(x, np.array([0.0, 1.0]), ("x",), "y", np.zeros(1), np.ones(1), 0.0, 1.0, False,
                "t", classes=("a", "a"))
    a = inline([1, 2, 3], ["u", "v", "v"], problem="logistic", positive="v")
    b = inline([1, 2, 3], [0, 1, 1], problem="logistic")
    assert np.array_equal(a.y, b.y) and a.content_hash() != b.content_hash()  # labels count


def test_inline_labels():
    ds = inline([[1, 2], [2, 1], [3, 3], [4, 0]], ["spam", " ham", "ham", "spam "],
                problem="logistic", positive="spam")
    assert ds.classes == ("ham", "spam") and ds.source == "inline (n=4)"
    np.testing.assert_array_equal(ds.y, [1, 0, 0, 1])
    assert ds.notes == ("'y': 1 = 'spam' (2 rows), 0 = 'ham' (2 rows).",)
    ds = inline([1, 2, 3], [True, False, True], problem="logistic")
    assert ds.classes == (0, 1)
    np.testing.assert_array_equal(ds.y, [1, 0, 1])
    with pytest.raises(DataError) as err:
        inline([1, 2, 3], ["a", 1, "b"], problem="logistic")
    assert one_line(err) == ("y mixes texts ('a') and numbers (1): write every class label the "
                             "same way.")
    with pytest.raises(DataError, match="no class label in 1 of 3 rows \\(row 2; row 1 = the "
                                        "first value\\)"):
        inline([1, 2, 3], ["a", None, "b"], problem="logistic")
    with pytest.raises(DataError, match="x has 3 rows but y has 2 values"):
        inline([1, 2, 3], ["a", "b"], problem="logistic")
    with pytest.raises(DataError, match="value 2 is list"):
        inline([1, 2], ["a", ["b"]], problem="logistic")


# --------------------------------------------------------------------------- generated classes


def test_generated_classes_defaults_and_determinism():
    a = generate_classes()
    b = generate_classes(**CLASSES_DEFAULTS)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
    assert (a.n, a.d) == (200, 2) and a.x_names == ("x1", "x2") and a.y_name == "class"
    assert a.classes == (0, 1) and a.problem == "logistic" and a.notes == ()
    assert a.source == "generated classes (n=200, seed 0)"
    assert int(a.y.sum()) == 100
    c = generate_classes(seed=1)
    assert not np.array_equal(a.x, c.x)
    one = generate_classes(n=51, features=1, balance=0.3, seed=5)
    assert one.x_names == ("x",) and int(one.y.sum()) == round(0.3 * 51)


def test_generated_classes_move_the_same_noise_with_the_separation():
    a, b = generate_classes(separation=2.0, seed=3), generate_classes(separation=5.0, seed=3)
    assert np.array_equal(a.y, b.y)
    u = np.full(2, 1 / math.sqrt(2))
    np.testing.assert_allclose(b.x - a.x, np.outer(a.y - 0.5, 3.0 * u), atol=1e-12)
    big = generate_classes(n=100_000, separation=3.0, seed=0)
    gap = big.x[big.y == 1].mean(axis=0) - big.x[big.y == 0].mean(axis=0)
    assert np.linalg.norm(gap) == pytest.approx(3.0, abs=0.03)
    np.testing.assert_allclose(big.x[big.y == 0].std(axis=0), 1.0, atol=0.01)


@pytest.mark.parametrize("features, separation, balance", [(1, 2.0, 0.5), (2, 1.5, 0.3)])
def test_generated_classes_optimum_tends_to_the_bayes_boundary(features, separation, balance):
    """Two clouds with the identity covariance: P(y=1|x) = σ(w·x + b) with w = separation·u and
    b = log(balance / (1 - balance)); with many rows the logistic optimum lands near it."""
    ds = generate_classes(n=200_000, features=features, separation=separation,
                          balance=balance, seed=11)
    p = LogisticRegression.from_dataset(ds).reference
    u = np.full(features, 1 / math.sqrt(features))
    np.testing.assert_allclose(p[:-1], separation * u, atol=0.03)
    assert p[-1] == pytest.approx(math.log(balance / (1 - balance)), abs=0.03)


def test_generated_classes_default_is_not_separable_and_far_apart_is():
    ds = generate_classes()
    assert not separable_by_lp(ds.x, ds.y)
    assert LogisticRegression.from_dataset(ds).separable is False
    far = generate_classes(separation=30.0)
    assert separable_by_lp(far.x, far.y)
    assert LogisticRegression.from_dataset(far).separable is True


def test_generated_classes_standardized_keep_their_labels():
    raw, std = generate_classes(seed=2), generate_classes(seed=2, standardize=True)
    np.testing.assert_array_equal(std.y, raw.y)
    np.testing.assert_allclose(std.x, (raw.x - raw.x.mean(axis=0)) / raw.x.std(axis=0),
                               rtol=1e-12)


@pytest.mark.parametrize("kwargs, words", [
    ({"n": 1}, ["n must be a whole number from 2 to 1,000,000", "(got 1)"]),
    ({"n": 2.5}, ["n must be a whole number"]),
    ({"features": 3}, ["features must be a whole number from 1 to 2", "(got 3)"]),
    ({"features": True}, ["features must be a whole number"]),
    ({"separation": -1}, ["separation must be a finite number from 0 to 100"]),
    ({"separation": 101}, ["separation", "from 0 to 100", "101"]),
    ({"separation": "2"}, ["separation must be a number"]),
    ({"balance": 0}, ["balance", "greater than 0 and less than 1"]),
    ({"balance": 1.0}, ["balance", "greater than 0 and less than 1", "both classes need rows"]),
    ({"balance": 0.001}, ["balance 0.001 with n = 200 leaves class 1 without a row",
                          "move balance towards 0.5"]),
    ({"balance": 0.999}, ["leaves class 0 without a row"]),
    ({"seed": -1}, ["seed must be a whole number from 0"]),
])
def test_generated_classes_validation(kwargs, words):
    with pytest.raises(DataError) as err:
        generate_classes(**kwargs)
    msg = one_line(err)
    for word in words:
        assert word in msg, msg


# --------------------------------------------------------------------------- the config section


def test_data_sources_and_the_limits_table():
    assert "classes" in DATA_SOURCES
    for key in ("n", "features", "separation", "balance", "seed"):
        assert key in LIMITS
    assert CLASSES_DEFAULTS["separation"] == 2.0
    for key, value in CLASSES_DEFAULTS.items():  # the defaults are inside their limits
        assert LIMITS[key].contains(value)


def test_parse_data_classes_and_positive():
    cfg = {"source": "classes", "n": 300, "features": 1, "separation": 3, "balance": 0.25,
           "seed": 4, "standardize": True}
    assert parse_data(cfg) == {**cfg, "separation": 3.0}
    assert parse_data({"source": "sample", "name": "breast_cancer", "positive": "benign"}) == \
        {"source": "sample", "name": "breast_cancer", "positive": "benign"}
    assert parse_data({"source": "csv", "path": "a.csv", "positive": 2})["positive"] == 2
    assert parse_data({"source": "inline", "x": [1, 2], "y": ["a", "b"], "positive": 0.5}) \
        ["positive"] == 0.5


@pytest.mark.parametrize("data, words", [
    ({"source": "classes", "features": 3}, ["data.features", "from 1 to 2", "3"]),
    ({"source": "classes", "separation": 1e3}, ["data.separation", "from 0 to 100"]),
    ({"source": "classes", "balance": 1}, ["data.balance", "greater than 0 and less than 1"]),
    ({"source": "classes", "n": 1}, ["data.n", "from 2 to 1,000,000"]),
    ({"source": "classes", "slope": 2}, ["data.slope", "unknown field for 'classes' data",
                                         "'balance'", "'separation'"]),
    ({"source": "classes", "positive": 1}, ["data.positive", "unknown field"]),
    ({"source": "generate", "positive": 1}, ["data.positive", "unknown field"]),
    ({"source": "sample", "name": "cars", "positive": True}, ["data.positive",
                                                              "a text or a number", "True"]),
    ({"source": "csv", "path": "a.csv", "positive": ["a"]}, ["data.positive", "['a']"]),
    ({"source": "csv", "path": "a.csv", "positive": "  "}, ["data.positive", "non-empty text"]),
    ({"source": "csv", "path": "a.csv", "positive": "x" * 201}, ["data.positive",
                                                                 "at most 200 characters"]),
    ({"source": "inline", "x": [1], "y": [1], "positive": 2**70}, ["data.positive",
                                                                   "finite number"]),
])
def test_parse_data_refuses(data, words):
    with pytest.raises(ConfigError) as err:
        parse_data(data)
    msg = str(err.value)
    for word in words:
        assert word in msg, msg


def test_an_experiment_with_classes_round_trips_through_json():
    exp = parse_experiment({"problem": "logistic",
                            "data": {"source": "sample", "name": "breast_cancer",
                                     "positive": "benign", "standardize": True},
                            "runs": [{"name": "a"}]})
    again = gdcore.load_experiment_json(exp.to_json())
    assert again.data == exp.data == {"source": "sample", "name": "breast_cancer",
                                      "positive": "benign", "standardize": True}


# --------------------------------------------------------------------------- the runner


def _newton(epochs: int = 30) -> dict:
    return {"name": "newton", "epochs": epochs, "method": {"name": "newton"},
            "optimizer": {"name": "sgd", "lr": 1.0}}


def _sklearn_optimum(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    model = SkLogisticRegression(
        C=np.inf, tol=1e-12, max_iter=10_000).fit(x, y)
    return np.concatenate([model.coef_[0], model.intercept_])


def test_run_experiment_logistic_on_generated_classes():
    data = {"source": "classes", "n": 400, "separation": 2.5, "balance": 0.4, "seed": 7}
    result = run_experiment({"problem": "logistic", "data": data,
                             "runs": [_newton(), {"name": "gd", "epochs": 50,
                                                  "optimizer": {"name": "adam", "lr": 0.1}}]})
    ds = generate_classes(n=400, separation=2.5, balance=0.4, seed=7)
    assert np.array_equal(result.dataset.x, ds.x) and result.dataset.classes == (0, 1)
    expected = _sklearn_optimum(ds.x, ds.y)
    newton, gd = result.runs
    np.testing.assert_allclose(list(newton.params.values()), expected, rtol=1e-5, atol=1e-7)
    assert {"accuracy", "loss"} <= set(newton.history.columns)
    assert np.isfinite(gd.history["loss"]).all() and gd.final_loss < gd.history["loss"].iloc[0]


def test_run_experiment_logistic_on_the_breast_cancer_sample():
    data = {"source": "sample", "name": "breast_cancer", "standardize": True}
    result = run_experiment({"problem": "logistic", "data": data, "runs": [_newton()]})
    raw = load_sample("breast_cancer")
    expected = _sklearn_optimum(raw.x, raw.y)
    run = result.runs[0]
    np.testing.assert_allclose([run.params_original[k] for k in ("w1", "w2", "b")], expected,
                               rtol=1e-5)
    acc = float(run.history["accuracy"].iloc[-1])
    p = np.array(list(run.params.values()))
    z = result.dataset.x @ p[:-1] + p[-1]
    assert acc == pytest.approx(np.mean((z >= 0) == (raw.y == 1)))
    flipped = run_experiment({"problem": "logistic", "data": {**data, "positive": "benign"},
                              "runs": [_newton()]})
    np.testing.assert_allclose(list(flipped.runs[0].params.values()), -p, rtol=1e-6)


def test_run_experiment_logistic_on_a_csv_and_inline(tmp_path):
    path = tmp_path / "pets.csv"
    rows = [(1.0, 2.0, "cat"), (2.0, 1.0, "dog"), (3.0, 3.5, "cat"), (4.0, 2.5, "dog"),
            (5.0, 1.0, "dog"), (1.5, 3.0, "cat"), (2.5, 2.0, "dog"), (3.5, 1.5, "cat")]
    path.write_text("a,b,pet\n" + "".join(f"{a},{b},{p}\n" for a, b, p in rows))
    x = np.array([r[:2] for r in rows])
    y = np.array([r[2] == "dog" for r in rows], dtype=float)  # equal counts: 'dog' is later
    assert not separable_by_lp(x, y)
    expected = _sklearn_optimum(x, y)
    csv_data = {"source": "csv", "path": str(path), "x": ["a", "b"], "y": "pet"}
    result = run_experiment({"problem": "logistic", "data": csv_data, "runs": [_newton()]})
    assert result.dataset.classes == ("cat", "dog")
    np.testing.assert_allclose(list(result.runs[0].params.values()), expected, rtol=1e-5)
    inline_data = {"source": "inline", "x": x.tolist(), "y": [r[2] for r in rows],
                   "positive": "cat"}
    result = run_experiment({"problem": "logistic", "data": inline_data, "runs": [_newton()]})
    assert result.dataset.classes == ("dog", "cat")
    np.testing.assert_allclose(list(result.runs[0].params.values()), -expected, rtol=1e-5)


def test_load_dataset_problem_keyword():
    with pytest.raises(ConfigError) as err:
        load_dataset({"source": "generate"}, problem="logistic")
    assert "\"classes\"" in str(err.value) and "data.source" in str(err.value)
    with pytest.raises(ConfigError, match="problem: data is loaded for 'linear', 'logistic'"):
        load_dataset({"source": "generate"}, problem="rosenbrock")
    # old callers: no problem means linear, a stray positive is not read
    ds = load_dataset({"source": "sample", "name": "cars", "positive": "x"})
    assert ds.classes is None and ds.d == 3
    ds = load_dataset({"source": "classes", "seed": 3})  # 0/1 y is fine for regression too
    assert ds.classes == (0, 1) and ds.n == 200
    with pytest.raises(DataError, match="'diagnosis' holds text"):
        load_dataset({"source": "sample", "name": "breast_cancer"})
    result = run_experiment({"problem": "linear", "data": {"source": "classes", "seed": 3},
                             "runs": [{"name": "a", "epochs": 5}]})
    assert result.runs[0].status in ("completed", "converged")
