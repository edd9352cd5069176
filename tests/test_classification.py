"""Logistic regression against independent truths: the loss against log(1 + e^x) written with
``np.logaddexp`` and with 50-digit decimals; the IRLS optimum against scipy's BFGS; separability
against a linear program; accuracy against a count over the rows."""

from __future__ import annotations

import math
import time
from decimal import Decimal, localcontext

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog, minimize
from scipy.special import expit

from gdcore import ConfigError, run_experiment
from gdcore.engine.runner import reference_point, run
from gdcore.errors import GDError
from gdcore.models.logistic import LogisticRegression, bce, bce_rows, sigmoid, softplus

OPTIMUM_TOL = 1e-7  # IRLS vs BFGS, in the parameters


# --- independent formulas ------------------------------------------------------------------------
def loss_logaddexp(z, y):
    """Per-row cross-entropy on the logits: y log(1 + e^-z) + (1 - y) log(1 + e^z)."""
    return y * np.logaddexp(0.0, -z) + (1.0 - y) * np.logaddexp(0.0, z)


def loss_decimal(z: float, y: float) -> float:
    """The same with 50 significant digits (exp and ln of decimal.Decimal)."""
    with localcontext() as ctx:
        ctx.prec = 50
        zd = Decimal(z)
        out = Decimal(y) * (1 + (-zd).exp()).ln() + (1 - Decimal(y)) * (1 + zd.exp()).ln()
        return float(out)


def design(x):
    return np.column_stack([x, np.ones(len(x))])


def mean_loss(x, y, p):
    return float(np.mean(loss_logaddexp(design(x) @ p, y)))


def gradient(x, y, p):
    a = design(x)
    return a.T @ (expit(a @ p) - y) / len(y)


def bfgs_optimum(x, y) -> np.ndarray:
    res = minimize(lambda p: mean_loss(x, y, p), np.zeros(x.shape[1] + 1),
                   jac=lambda p: gradient(x, y, p), method="BFGS",
                   options={"gtol": 1e-12, "maxiter": 10_000})
    return res.x


def strictly_separable(x, y) -> bool:
    """Whether some (w, b) has (2y - 1)(x·w + b) >= 1 on every row: a feasibility linear program
    (strict separation with any margin scales to margin 1)."""
    s = 2.0 * y - 1.0
    a_ub = -(s[:, None] * design(x))
    res = linprog(np.zeros(x.shape[1] + 1), A_ub=a_ub, b_ub=-np.ones(len(y)),
                  bounds=[(None, None)] * (x.shape[1] + 1), method="highs")
    assert res.status in (0, 2), res.message  # solved, or proven infeasible
    return res.status == 0


def overlapping(d: int, seed: int, n: int = 300):
    """Labels drawn from the model: both classes on both sides of every line."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)) * np.arange(1, d + 1)
    y = (rng.random(n) < expit(x @ rng.normal(size=d) + 0.4)).astype(float)
    return x, y


# --- the loss ------------------------------------------------------------------------------------
def test_loss_matches_log1p_exp_including_huge_logits():
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.uniform(-800, 800, 400), rng.normal(0, 5, 400),
                        [-800.0, 800.0, -745.5, 745.5, -710.0, 710.0, -37.0, 37.0, -1e-10, 0.0]])
    y = rng.integers(0, 2, z.size).astype(float)
    y[-10:] = [1, 0, 1, 0, 0, 1, 0, 1, 1, 0]  # ±800, ±745.5 on the wrong side: loss = |z|
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        rows = bce(z, y)
        loss, _ = bce_rows([1.0, 0.0], z[:, None], y)
    ref = loss_logaddexp(z, y)
    assert np.all(np.isfinite(rows))
    np.testing.assert_allclose(rows, ref, rtol=1e-14, atol=1e-14)
    assert loss == pytest.approx(math.fsum(ref) / z.size, rel=1e-14)
    assert rows[-10] == 800.0 and rows[-9] == 800.0  # the wrong side: z itself


@pytest.mark.parametrize("z", [-800.0, -40.0, -30.0, -1.5, -1e-8, 0.0, 1e-8, 2.25, 30.0, 700.0])
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_loss_of_one_row_matches_fifty_digits(z, y):
    exact = loss_decimal(z, y)
    got_float = bce(z, y)  # the one-row path (Python floats)
    got_array = float(bce(np.array([z]), np.array([y]))[0])
    for got in (got_float, got_array):
        assert got == pytest.approx(exact, rel=1e-14, abs=1e-14)


@pytest.mark.parametrize("z", [-800.0, -50.0, -1.0, 0.0, 1e-9, 3.0, 50.0, 800.0])
def test_sigmoid_and_softplus_at_extremes(z):
    with localcontext() as ctx:
        ctx.prec = 50
        zd = Decimal(z)
        sig = float(1 / (1 + (-zd).exp()))
        sp = float((1 + zd.exp()).ln())
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for s in (sigmoid(z), float(sigmoid(np.array([z]))[0])):
            assert s == pytest.approx(sig, rel=1e-15, abs=0)
        for v in (softplus(z), float(softplus(np.array([z]))[0])):
            assert v == pytest.approx(sp, rel=1e-15, abs=1e-300)


@pytest.mark.parametrize("d", [1, 3])
def test_gradient_matches_differences_of_the_loss(d):
    x, y = overlapping(d, seed=d, n=150)
    rng = np.random.default_rng(5)
    for p in rng.normal(size=(4, d + 1)) * 2:
        _, g = bce_rows(p, x, y)
        fd = []
        for j in range(d + 1):
            e = np.zeros(d + 1)
            e[j] = 1e-6
            fd.append((mean_loss(x, y, p + e) - mean_loss(x, y, p - e)) / 2e-6)
        np.testing.assert_allclose(g, fd, rtol=0, atol=1e-8)
        np.testing.assert_allclose(g, gradient(x, y, p), rtol=1e-12, atol=1e-15)


# --- the reference optimum (IRLS) ----------------------------------------------------------------
@pytest.mark.parametrize("d", [1, 2, 4])
def test_optimum_matches_bfgs(d):
    x, y = overlapping(d, seed=10 + d)
    assert not strictly_separable(x, y)
    prob = LogisticRegression(x, y)
    assert not prob.separable
    ref = bfgs_optimum(x, y)
    np.testing.assert_allclose(prob.reference, ref, rtol=0, atol=OPTIMUM_TOL)
    assert np.linalg.norm(gradient(x, y, prob.reference)) < 1e-12
    assert prob.min_value == pytest.approx(mean_loss(x, y, prob.reference), rel=1e-14)
    assert prob.min_value <= mean_loss(x, y, ref) + 1e-15
    np.testing.assert_array_equal(reference_point(prob), prob.reference)


def test_collinear_columns_have_an_optimum_too():
    """A column that is a multiple of another makes the Hessian singular: the loss still has a
    minimum (a line of them), the same as with the one column alone."""
    x, y = overlapping(1, seed=3)
    one = LogisticRegression(x, y)
    for k in (2.0, -1.7, 1e-3):
        both = LogisticRegression(np.column_stack([x[:, 0], k * x[:, 0]]), y)
        p = both.reference
        assert p is not None
        assert np.linalg.norm(gradient(both.x, y, p)) < 1e-12
        assert both.min_value == pytest.approx(one.min_value, rel=1e-13)
        assert p[0] + k * p[1] == pytest.approx(bfgs_optimum(x, y)[0], abs=OPTIMUM_TOL)


def test_separable_data_has_no_reference_and_says_so_fast():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5000, 2))
    y = (x @ [1.0, -2.0] + 0.3 > 0).astype(float)
    assert strictly_separable(x, y)
    t0 = time.perf_counter()
    prob = LogisticRegression(x, y)
    assert prob.separable and prob.reference is None and prob.min_value == 0.0
    assert time.perf_counter() - t0 < 1.0  # the dashboard asks for it on every page draw
    assert reference_point(prob) is None


@settings(max_examples=80, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(-3, 3), st.integers(-3, 3), st.booleans()),
                     min_size=4, max_size=25),
       d=st.sampled_from([1, 2]))
def test_separability_matches_a_linear_program(rows, d):
    x = np.array([r[:d] for r in rows], dtype=float)
    y = np.array([float(r[2]) for r in rows])
    if y.min() == y.max():
        with pytest.raises(ConfigError, match="both classes"):
            LogisticRegression(x, y)
        return
    prob = LogisticRegression(x, y)
    # no optimum exactly when the loss falls along a ray: strict separation, or quasi-complete
    # (rows of both classes on the line, every other row on its side)
    assert prob.separable == has_ray(x, y)
    assert prob.quasi_separable == (has_ray(x, y) and not strictly_separable(x, y))
    if not prob.separable:  # a finite point where the gradient vanishes
        assert np.linalg.norm(gradient(x, y, prob.reference)) < 1e-9


def test_separable_experiment_runs_and_reports_no_distance():
    x = np.linspace(-2, 2, 40)
    y = (x > 0.1).astype(float)
    res = run_experiment({
        "problem": "logistic",
        "data": {"source": "inline", "x": x.tolist(), "y": y.tolist()},
        "runs": [{"name": "newton", "epochs": 20, "optimizer": {"name": "sgd", "lr": 1.0},
                  "method": {"name": "newton"}},
                 {"name": "gd", "epochs": 50, "optimizer": {"name": "sgd", "lr": 1.0}}]})
    assert all(math.isnan(v) for v in res.reference.values())
    assert res.summary["distance_to_reference"].isna().all()
    assert (res.history.groupby("run")["accuracy"].last() == 1.0).all()


@pytest.mark.parametrize("labels, words", [
    ([0, 1, 2, 1], "labels 0 and 1"),
    ([-1, 1, -1, 1], "labels 0 and 1"),
    ([0, 0.5, 1, 1], "labels 0 and 1"),
    ([1, 1, 1, 1], "both classes"),
    ([0, 0, 0, 0], "both classes"),
])
def test_labels_must_be_zero_and_one(labels, words):
    with pytest.raises(ConfigError, match=words):
        LogisticRegression(np.array([[0.5], [1.5], [2.0], [3.0]]), np.array(labels, dtype=float))


@pytest.mark.parametrize("labels", [[0, 1, 2, 1], [0, 0.5, 1, 1], [1, 1, 1, 1], [0, 0, 0, 0]])
def test_an_experiment_without_two_classes_is_refused(labels):
    """Loading the data for the logistic problem says so, before anything runs."""
    with pytest.raises(GDError, match="two classes"):
        run_experiment({"problem": "logistic",
                        "data": {"source": "inline", "x": [0.5, 1.5, 2.0, 3.0], "y": labels},
                        "runs": [{"name": "r", "epochs": 1}]})


def test_accuracy_is_a_count_of_rows_on_their_side():
    x, y = overlapping(2, seed=4, n=97)
    prob = LogisticRegression(x, y)

    def count(p):
        right = 0
        for row, label in zip(x, y):
            z = row[0] * p[0] + row[1] * p[1] + p[2]
            right += int((1.0 if z >= 0 else 0.0) == label)
        return right / len(y)

    rng = np.random.default_rng(0)
    for p in [*rng.normal(size=(5, 3)), np.zeros(3), prob.reference]:
        assert prob.accuracy(p) == count(p)
    res = run(prob, {"name": "adam", "batch_size": 10, "epochs": 5,
                     "optimizer": {"name": "adam", "lr": 0.1}})
    hist = res.history
    for _, row in hist.iterrows():
        assert row["accuracy"] == count([row["w1"], row["w2"], row["b"]])


def test_accuracies_of_a_history_match_one_point_at_a_time():
    """The history's accuracy column is computed in chunks of rows (memory bounded): it equals
    the plain count at every point, across chunk boundaries."""
    from gdcore.models import logistic as classification

    rng = np.random.default_rng(11)
    n = 2 * classification.SLICE_ROWS + 37  # three chunks, the last partial
    x = rng.normal(size=(n, 3))
    y = (rng.random(n) < 1 / (1 + np.exp(-(x @ [1.0, -2.0, 0.5])))).astype(float)
    prob = LogisticRegression(x, y)
    points = rng.normal(size=(25, 4))
    points[0] = 0.0  # z = 0 everywhere: every row predicts 1
    got = prob.accuracies(points)
    want = [float(np.mean(((x @ p[:-1] + p[-1]) >= 0) == (y == 1))) for p in points]
    assert got.tolist() == want
    assert got[0] == y.mean()


def has_ray(x, y) -> bool:
    """Whether some direction v != 0 has (2y - 1)(x·v_w + v_b) >= 0 on every row and > 0 on
    some (the log-loss falls for ever along it: complete or quasi-complete separation; Albert
    and Anderson 1984): an LP, maximising the margins' sum in a box."""
    a = (2.0 * y - 1.0)[:, None] * design(x)
    top = np.abs(a).max(axis=0)
    a = a / np.where(top > 0, top, 1.0)  # columns of one scale (a zero column stays zero)
    res = linprog(-a.sum(axis=0), A_ub=-a, b_ub=np.zeros(len(y)),
                  bounds=[(-1, 1)] * a.shape[1], method="highs")
    assert res.status == 0, res.message
    return -res.fun > 1e-7 * len(y)


def quasi(seed: int, d: int = 1, n: int = 60):
    """Rows on one line hold both classes, every other row is on its class's side."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    v = rng.normal(size=d)
    c = float(rng.normal())
    z = x @ v + c
    on = rng.random(n) < 0.3
    x[on] -= np.outer(z[on] / (v @ v), v)  # moved onto the line x·v + c = 0
    z = x @ v + c
    y = np.where(on, rng.random(n) < 0.5, z > 0).astype(float)
    y[np.flatnonzero(on)[:2]] = [0.0, 1.0]  # both classes on the line
    return x, y


@pytest.mark.parametrize("seed", range(12))
def test_quasi_complete_separation_has_no_optimum(seed):
    # issue 16, item 7: IRLS stopped at weights ~10^2 with "Optimum (IRLS): w = 28.653" on
    # mtcars' am ~ gear; there is no optimum, the loss falls along a ray for ever
    x, y = quasi(seed, d=1 + seed % 3)
    assert has_ray(x, y) and not strictly_separable(x, y)  # the LP's verdict
    prob = LogisticRegression(x, y)
    assert prob.optimum[0] is None and prob.quasi_separable and prob.separable
    assert prob.min_value > 0


def test_mtcars_am_gear_has_no_optimum_and_the_page_says_so():
    gear = np.array([3.0] * 15 + [4.0] * 12 + [5.0] * 5)
    am = np.array([0.0] * 15 + [1.0] * 8 + [0.0] * 4 + [1.0] * 5)
    assert has_ray(gear[:, None], am)
    prob = LogisticRegression(gear[:, None], am)
    assert prob.quasi_separable and prob.optimum[0] is None
    # the loss approached: the 12 gear-4 cars at their own share of am = 1 (8 of 12)
    share = 8 / 12
    gap = -(8 * math.log(share) + 4 * math.log(1 - share)) / 32
    assert prob.min_value == pytest.approx(gap, rel=1e-6)


@pytest.mark.parametrize("seed", range(8))
def test_overlapping_classes_keep_their_optimum(seed):
    x, y = overlapping(1 + seed % 3, seed)
    assert not has_ray(x, y)
    prob = LogisticRegression(x, y)
    assert prob.optimum[0] is not None and not prob.quasi_separable
