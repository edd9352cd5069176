"""The reference methods and the curvature they use, each against an independent truth:

* every analytic Hessian against central differences of the analytic gradient;
* one Newton step on linear regression against ``np.linalg.lstsq``, on the quadratic and the
  bowl against their closed-form minima; the damped step against the 2 × 2 eigenvalue formula;
  Newton on logistic regression converging quadratically;
* Armijo's accepted step against the sufficient-decrease inequality and, on ½ a x², against
  the closed form t <= 2 (1 - c) / a; a line-search run against least squares.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.special import expit

import gdcore
from gdcore.data import sources as gdata
from gdcore.engine.runner import run
from gdcore.models import FUNCTIONS, LinearRegression
from gdcore.models.logistic import LogisticRegression
from gdcore.rules import methods

FD_REL_STEP = 1e-5  # central-difference step, relative to the coordinate (at least 1e-5)
FD_TOL = 1e-6  # Hessian vs differences, relative to the Hessian's largest entry (at least 1)
LSTSQ_TOL = 1e-10  # one Newton step vs least squares, relative to the answer's size


# --- helpers: the independent truths -------------------------------------------------------------
def fd_hessian(grad, p) -> np.ndarray:
    """Column j = (∇f(p + h e_j) - ∇f(p - h e_j)) / 2h: curvature from the gradient alone."""
    p = np.asarray(p, dtype=float)
    cols = []
    for j in range(p.size):
        h = FD_REL_STEP * max(1.0, abs(p[j]))
        e = np.zeros(p.size)
        e[j] = h
        cols.append((np.asarray(grad(p + e), float) - np.asarray(grad(p - e), float)) / (2 * h))
    return np.column_stack(cols)


def assert_hessian_matches(hess: np.ndarray, grad, p) -> None:
    fd = fd_hessian(grad, p)
    scale = max(1.0, float(np.abs(fd).max()))
    assert hess.shape == fd.shape
    np.testing.assert_allclose(hess, hess.T, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(hess, fd, rtol=0, atol=FD_TOL * scale)


def lambda_min(h: np.ndarray) -> float:
    """The smallest eigenvalue by the closed form: h itself (1 × 1), or
    (a + c)/2 - sqrt(((a - c)/2)² + b²) for [[a, b], [b, c]]."""
    if h.shape == (1, 1):
        return float(h[0, 0])
    a, b, c = h[0, 0], h[0, 1], h[1, 1]
    return float((a + c) / 2 - math.hypot((a - c) / 2, b))


def lstsq_answer(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(w, b) minimising ‖[X | 1] (w, b) - y‖: numpy's least squares on the rows."""
    a = np.column_stack([x, np.ones(len(y))])
    return np.linalg.lstsq(a, y, rcond=None)[0]


def mse_gradient(x, y, p) -> np.ndarray:
    """2/n [X | 1]ᵀ ([X | 1] p - y), written out here."""
    a = np.column_stack([x, np.ones(len(y))])
    return 2.0 * a.T @ (a @ p - y) / len(y)


def logistic_gradient(x, y, p) -> np.ndarray:
    """[X | 1]ᵀ (σ(z) - y) / n with scipy's σ."""
    a = np.column_stack([x, np.ones(len(y))])
    return a.T @ (expit(a @ p) - y) / len(y)


def params_of(result) -> np.ndarray:
    return np.array(list(result.params.values()))


def history_params(result, problem) -> np.ndarray:
    return result.history[list(problem.param_names)].to_numpy()


def linear_data(d: int, standardize: bool, seed: int = 0, n: int = 80):
    """A regression data set with columns of different means and spreads (not standardized,
    X̃ᵀX̃ is far from the identity)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(3.0, 2.0, size=(n, d)) * np.arange(1, d + 1)
    y = x @ rng.normal(size=d) + 1.5 + rng.normal(size=n)
    return gdata.inline(x if d > 1 else x[:, 0], y, standardize=standardize)


def logistic_data(d: int, seed: int = 0, n: int = 300) -> LogisticRegression:
    """Labels drawn from the model itself: the classes overlap (a finite optimum)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    z = x @ (1.5 * rng.normal(size=d)) + 0.3
    y = (rng.random(n) < expit(z)).astype(float)
    return LogisticRegression(x, y)


NEWTON = {"name": "newton"}
LINE_SEARCH = {"name": "line_search"}


def newton_run(problem, epochs: int, lr: float = 1.0, init=None, dataset=None):
    cfg = {"name": "newton", "epochs": epochs, "optimizer": {"name": "sgd", "lr": lr},
           "method": NEWTON, "max_points": 20_000}
    if init is not None:
        cfg["init"] = list(init)
    return run(problem, cfg, dataset=dataset, engine="python")


def window_points(name: str):
    """Points inside a test function's plotting window."""
    f = FUNCTIONS[name]
    return st.tuples(*(st.floats(lo, hi, allow_nan=False) for lo, hi in f.window))


# --- Hessians ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_test_function_hessians_match_differences_of_the_gradient(name, data):
    f = FUNCTIONS[name]
    p = np.array(data.draw(window_points(name)))
    assert_hessian_matches(f.hessian(p), f.gradient, p)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_test_function_hessians_at_their_minima_are_positive_definite(name):
    """At a minimum the curvature is >= 0 in every direction (> 0 for these functions):
    the differences and the analytic Hessian agree there too."""
    f = FUNCTIONS[name]
    for m in f.minima:
        h = f.hessian(m.params)
        assert_hessian_matches(h, f.gradient, m.params)
        assert np.linalg.eigvalsh(h)[0] > 0


@pytest.mark.parametrize("d", [1, 3])
@pytest.mark.parametrize("standardize", [False, True])
def test_linear_regression_hessian(d, standardize):
    ds = linear_data(d, standardize)
    prob = LinearRegression.from_dataset(ds)
    a = np.column_stack([ds.x, np.ones(ds.n)])
    closed = 2.0 * a.T @ a / ds.n  # the MSE's Hessian written from the rows
    rng = np.random.default_rng(d)
    for p in rng.normal(size=(3, d + 1)) * 5:
        h = prob.hessian(p)
        assert_hessian_matches(h, lambda q: mse_gradient(ds.x, ds.y, q), p)
        np.testing.assert_allclose(h, closed, rtol=1e-12, atol=1e-12 * np.abs(closed).max())


@pytest.mark.parametrize("d", [1, 3])
@settings(max_examples=25, deadline=None)
@given(p=st.lists(st.floats(-6, 6, allow_nan=False), min_size=4, max_size=4))
def test_logistic_hessian(d, p):
    prob = logistic_data(d, seed=d, n=120)
    p = np.array(p[: d + 1])
    h = prob.hessian(p)
    assert_hessian_matches(h, lambda q: logistic_gradient(prob.x, prob.y, q), p)
    assert np.linalg.eigvalsh(h)[0] >= -1e-15  # the cross-entropy is convex


# --- Newton's method -----------------------------------------------------------------------------
@pytest.mark.parametrize("d", [1, 4])
@pytest.mark.parametrize("standardize", [False, True])
def test_one_newton_step_lands_on_least_squares(d, standardize):
    ds = linear_data(d, standardize, seed=10 + d)
    prob = LinearRegression.from_dataset(ds)
    answer = lstsq_answer(ds.x, ds.y)
    tol = LSTSQ_TOL * max(1.0, float(np.abs(answer).max()))
    init = np.random.default_rng(d).normal(size=d + 1) * 3
    res = newton_run(prob, epochs=1, init=init, dataset=ds)
    assert res.steps == 1 and res.status == "completed"
    np.testing.assert_allclose(params_of(res), answer, rtol=0, atol=tol)
    # the direction by itself, from the rows' gradient: init + d = the answer
    step, mu = methods.newton_direction(prob.hessian(init), mse_gradient(ds.x, ds.y, init), 1e-6)
    assert mu == 0.0
    np.testing.assert_allclose(init + np.array(step), answer, rtol=0, atol=tol)
    if standardize:  # and back in the data's own units: least squares on the raw columns
        raw = lstsq_answer(ds.original_x(), ds.original_y())
        got = np.array(list(res.params_original.values()))
        np.testing.assert_allclose(got, raw, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name, minimum", [("quadratic", (4.0,)), ("bowl", (3.0, -1.0))])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_one_newton_step_reaches_a_quadratics_minimum(name, minimum, data):
    init = data.draw(window_points(name))
    res = newton_run(FUNCTIONS[name], epochs=1, init=init)
    np.testing.assert_allclose(params_of(res), minimum, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("delta", [1e-6, 0.5])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_modified_newton_direction_is_a_descent_direction(name, delta, data):
    """d = -V diag(1/max(|λ|, δ)) Vᵀ g, checked against numpy's own eigendecomposition: each
    component of g along an eigenvector is divided by the size of its curvature (at least δ),
    and gᵀd < 0 wherever g ≠ 0: downhill even where the plain Newton step is not."""
    f = FUNCTIONS[name]
    p = np.array(data.draw(window_points(name)))
    h, g = f.hessian(p), f.gradient(p)
    d, changed = methods.newton_direction(h, g, delta)
    d = np.array(d)
    lam, vec = np.linalg.eigh(h)
    size = np.maximum(np.abs(lam), delta)
    assert changed == int(np.sum(size != lam))
    scale = max(1.0, float(np.abs(h).max()))
    # in the eigenbasis: size_k * (v_kᵀ d) = -(v_kᵀ g)
    np.testing.assert_allclose(size * (vec.T @ d), -(vec.T @ g), rtol=0,
                               atol=1e-9 * max(1.0, float(np.abs(g).max())) * scale / delta)
    if np.linalg.norm(g) > 1e-12:
        assert g @ d < 0


def test_plain_newton_heads_for_the_saddle_and_the_modified_step_leaves_it():
    """On w1² + w2⁴/4 - w2²/2 at (0.01, 0.1) the curvature along w2 is 3 w2² - 1 = -0.97: the
    plain Newton step goes uphill, w2 towards the saddle (0); the modified one downhill, away,
    by the gradient over the curvature's size."""
    f = FUNCTIONS["saddle"]
    p = np.array([0.01, 0.1])
    g = np.array([2 * 0.01, 0.1**3 - 0.1])  # (2 w1, w2³ - w2)
    h = f.hessian(p)
    np.testing.assert_allclose(h, [[2.0, 0.0], [0.0, 3 * 0.01 - 1]], rtol=0, atol=1e-15)
    plain = -np.linalg.solve(h, g)
    assert g @ plain > 0  # uphill
    assert abs(p[1] + plain[1]) < abs(p[1])  # w2 -> the saddle
    d, changed = methods.newton_direction(h, g, 0.1)
    assert changed == 1
    # |H| = diag(2, 0.97): each gradient component over the size of its curvature
    np.testing.assert_allclose(d, [-g[0] / 2, -g[1] / 0.97], rtol=1e-12)
    assert g @ d < 0
    assert abs(p[1] + d[1]) > abs(p[1])  # w2 leaves the saddle, towards a minimum at ±1


def test_newton_on_a_convex_point_is_the_plain_newton_step():
    f = FUNCTIONS["rosenbrock"]
    p = np.array([1.2, 1.0])  # 2 - 400 (w2 - 3 w1²) > 0 and det > 0 here
    h, g = f.hessian(p), f.gradient(p)
    assert lambda_min(h) > 1e-6
    d, changed = methods.newton_direction(h, g, 1e-6)
    assert changed == 0
    np.testing.assert_allclose(d, -np.linalg.solve(h, g), rtol=1e-12)


@pytest.mark.parametrize("name", ["double_well", "himmelblau", "saddle", "rosenbrock"])
@pytest.mark.parametrize("lr", [1.0, 0.5])
def test_damped_newton_never_raises_the_loss_on_the_test_functions(name, lr):
    """The Newton direction is damped by backtracking: from the function's default start, on
    non-convex functions too, every step lowers the loss (Armijo's condition) and the run
    stays finite (the undamped step from a near-zero curvature would fly off: g/δ)."""
    f = FUNCTIONS[name]
    res = newton_run(f, epochs=30, lr=lr)
    assert res.status != "diverged", res.message
    loss = res.history["loss"].to_numpy()
    assert np.all(np.isfinite(loss))
    assert np.all(np.diff(loss) <= 1e-12 * np.maximum(1.0, np.abs(loss[:-1])))


@pytest.mark.parametrize("d", [1, 3])
def test_newton_on_logistic_regression_converges_quadratically(d):
    prob = logistic_data(d, seed=20 + d)
    res = newton_run(prob, epochs=10)
    norms = [float(np.linalg.norm(logistic_gradient(prob.x, prob.y, p)))
             for p in history_params(res, prob)]
    assert norms[-1] < 1e-13
    # steps from a gradient norm where 20 ‖g‖² is still above rounding (~1e-17)
    near = [(a, b) for a, b in zip(norms, norms[1:]) if 1e-7 < a < 1e-2]
    assert len(near) >= 2  # at least two steps in the quadratic regime
    for a, b in near:
        assert b <= 20 * a * a, (a, b)  # the norm (about) squares: ‖g+‖ <= C ‖g‖²
    # and the loss falls at every step until it stops changing
    loss = res.history["loss"].to_numpy()
    assert np.all(np.diff(loss) <= 1e-15)


def test_newton_step_scale_is_the_learning_rate():
    """lr scales the Newton step: on a quadratic, half a step leaves half the distance."""
    res = newton_run(FUNCTIONS["bowl"], epochs=1, lr=0.5, init=(-2.0, 3.0))
    np.testing.assert_allclose(params_of(res), [0.5, 1.0], rtol=0, atol=1e-14)


# --- Armijo backtracking -------------------------------------------------------------------------
def armijo_bound(f, p, g, t, c) -> bool:
    """The sufficient-decrease inequality, evaluated here: f(p - t g) <= f(p) - c t ‖g‖²."""
    q = [pj - t * gj for pj, gj in zip(p, g)]
    lq = f(q)
    return bool(np.isfinite(lq)) and lq <= f(p) - c * t * float(np.dot(g, g))


@pytest.mark.parametrize("name", ["bowl", "rosenbrock", "himmelblau", "saddle", "double_well"])
@settings(max_examples=40, deadline=None)
@given(data=st.data(), t0=st.floats(1e-3, 1e3), c=st.floats(1e-4, 0.9),
       shrink=st.floats(0.1, 0.9))
def test_armijo_accepts_the_first_step_with_sufficient_decrease(name, data, t0, c, shrink):
    f = FUNCTIONS[name]
    p = list(data.draw(window_points(name)))
    g = f.gradient(p).tolist()
    hp = methods.Hyper(methods.LINE_SEARCH, c=c, shrink=shrink, max_trials=1000)
    q, t, trials = methods.armijo(f.loss, p, f.loss(p), g, t0, hp)
    assert trials[-1].accepted and trials[-1].step == t
    assert not any(tr.accepted for tr in trials[:-1])
    assert armijo_bound(f.loss, p, g, t, c)
    np.testing.assert_allclose(q, np.array(p) - t * np.array(g), rtol=0, atol=0)
    if len(trials) > 1:  # the previous (larger) trial did not decrease enough
        assert not armijo_bound(f.loss, p, g, trials[-2].step, c)
        assert trials[-2].step * shrink == pytest.approx(t, rel=1e-15)
    # trials listed in order: t0, t0·shrink, t0·shrink², ..., each with its point and loss
    for k, tr in enumerate(trials):
        assert tr.step == pytest.approx(t0 * shrink**k, rel=1e-12)
        np.testing.assert_array_equal(tr.params, np.array(p) - tr.step * np.array(g))
        assert tr.loss == f.loss(tr.params) or (math.isnan(tr.loss) and math.isnan(f.loss(tr.params)))


@settings(max_examples=200, deadline=None)
@given(a=st.floats(0.01, 100), x0=st.floats(-50, 50).filter(lambda v: abs(v) > 1e-3),
       t0_times=st.floats(1.0, 1e4), c=st.floats(1e-4, 0.9), shrink=st.floats(0.1, 0.9))
def test_armijo_on_a_quadratic_takes_the_closed_form_step(a, x0, t0_times, c, shrink):
    """f = ½ a x²: f(x - t a x) <= f(x) - c t a² x²  <=>  (1 - t a)² <= 1 - 2 c t a
    <=>  t <= 2 (1 - c) / a. Backtracking from t0 accepts the largest t0·shrinkᵏ below that."""
    bound = 2 * (1 - c) / a
    t0 = t0_times * bound
    k = 0
    while t0 * shrink**k > bound:
        k += 1
    expected = t0 * shrink**k
    # stay clear of rounding at the boundary (the inequality is exact arithmetic)
    assume(abs(expected / bound - 1) > 1e-9)
    assume(k == 0 or abs(t0 * shrink ** (k - 1) / bound - 1) > 1e-9)
    hp = methods.Hyper(methods.LINE_SEARCH, c=c, shrink=shrink, max_trials=1000)
    q, t, trials = methods.armijo(lambda p: 0.5 * a * p[0] * p[0], [x0], 0.5 * a * x0 * x0,
                                  [a * x0], t0, hp)
    assert len(trials) == k + 1
    assert t == pytest.approx(expected, rel=1e-12)
    assert q[0] == pytest.approx(x0 * (1 - t * a), rel=1e-12, abs=1e-12 * abs(x0))


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_armijo_rejects_a_non_finite_trial_loss(bad):
    """Beyond |x| > 1 the objective says ±inf or NaN: those trials are rejected (-inf would
    pass the inequality if it were only compared)."""

    def f(p):
        return bad if abs(p[0]) > 1.0 else p[0] * p[0]

    hp = methods.Hyper(methods.LINE_SEARCH, c=1e-4, shrink=0.5, max_trials=40)
    q, t, trials = methods.armijo(f, [0.5], 0.25, [1.0], 64.0, hp)
    # 0.5 - t > -1 first for t = 1: the trials 64 .. 2 are rejected, t = 1 gives x = -0.5
    # and f = 0.25 > 0.25 - 1e-4: rejected too; t = 0.5 gives x = 0, f = 0: accepted
    assert [tr.step for tr in trials] == [64.0, 32.0, 16.0, 8.0, 4.0, 2.0, 1.0, 0.5]
    assert [tr.accepted for tr in trials] == [False] * 7 + [True]
    assert t == 0.5 and q == [0.0]


def test_armijo_takes_the_last_trial_after_max_trials():
    hp = methods.Hyper(methods.LINE_SEARCH, c=1e-4, shrink=0.5, max_trials=5)
    q, t, trials = methods.armijo(lambda p: math.inf, [0.0, 0.0], 1.0, [1.0, 2.0], 8.0, hp)
    assert len(trials) == 5 and not any(tr.accepted for tr in trials)
    assert t == 0.5 and q == [-0.5, -1.0]


def test_line_search_run_on_linear_regression_reaches_least_squares():
    """Standardized, independent columns: a well-conditioned MSE. The loss never rises, the run
    ends on least squares, and each recorded lr is the step the run took along -g."""
    ds = linear_data(2, standardize=True, seed=3, n=200)
    prob = LinearRegression.from_dataset(ds)
    res = run(prob, {"name": "ls", "epochs": 150, "optimizer": {"name": "sgd", "lr": 4.0},
                     "method": LINE_SEARCH, "max_points": 20_000}, engine="python")
    hist = res.history
    assert len(hist) == 151  # every step recorded
    loss = hist["loss"].to_numpy()
    assert np.all(np.diff(loss) <= 0.0)
    answer = lstsq_answer(ds.x, ds.y)
    np.testing.assert_allclose(params_of(res), answer, rtol=0, atol=1e-9)
    assert res.final_loss == pytest.approx(float(np.mean((ds.x @ answer[:-1] + answer[-1]
                                                          - ds.y) ** 2)), rel=1e-12)
    # the step taken: p_k = p_(k-1) - t g(p_(k-1)), t = lr·shrinkʲ (lr = 4, shrink = ½)
    params = history_params(res, prob)
    taken = hist["lr"].to_numpy()
    checked = 0
    for k in range(1, len(hist)):
        g = mse_gradient(ds.x, ds.y, params[k - 1])
        if np.linalg.norm(g) < 1e-6:
            continue
        t = -float((params[k] - params[k - 1]) @ g) / float(g @ g)
        assert t == pytest.approx(taken[k], rel=1e-6)
        j = round(math.log2(4.0 / taken[k]))
        assert taken[k] == 4.0 * 0.5**j and j >= 0
        assert armijo_bound(prob.loss, params[k - 1], g, taken[k], 1e-4)
        if j > 0:  # the trial before it failed the inequality
            assert not armijo_bound(prob.loss, params[k - 1], g, 2 * taken[k], 1e-4)
        checked += 1
    assert checked >= 5
    assert taken[0] == 4.0  # the start row shows the first trial step


def test_line_search_and_newton_on_logistic_regression_reach_the_optimum():
    prob = logistic_data(2, seed=7)
    ls = run(prob, {"name": "ls", "epochs": 300, "optimizer": {"name": "sgd", "lr": 8.0},
                    "method": LINE_SEARCH}, engine="python")
    nw = newton_run(prob, epochs=12)
    ref = prob.reference
    np.testing.assert_allclose(params_of(nw), ref, rtol=0, atol=1e-10)
    np.testing.assert_allclose(params_of(ls), ref, rtol=0, atol=1e-5)
    loss = ls.history["loss"].to_numpy()
    assert np.all(np.diff(loss) <= 0.0)


def test_eigen_of_the_saddle():
    vals, vecs = methods.eigen(FUNCTIONS["saddle"].hessian([0.0, 0.0]))
    np.testing.assert_array_equal(vals, [-1.0, 2.0])  # diag(2, 3·0² - 1)
    np.testing.assert_allclose(np.abs(vecs), np.eye(2)[:, ::-1], atol=0)


def test_conditioning_of_a_diagonal_hessian_by_hand():
    c = methods.conditioning(np.diag([100.0, 1.0]))
    assert (c.lam_max, c.lam_min, c.kappa, c.lr_limit) == (100.0, 1.0, 100.0, 0.02)
    # the flattest direction's error falls by 0.99 an update: e after 1 / -ln(0.99) updates
    assert c.steps_per_efold == pytest.approx(1 / -math.log(0.99), rel=1e-12)
    assert c.updates_per_efold == c.steps_per_efold
    round_bowl = methods.conditioning(np.diag([1.2, 1.0]))
    assert round_bowl.steps_per_efold == pytest.approx(1 / -math.log(1 - 1 / 1.2), rel=1e-12)
    assert round_bowl.steps_per_efold < 1 and round_bowl.updates_per_efold == 1.0
    saddle = methods.conditioning(np.diag([2.0, -1.0]))
    assert saddle.kappa == math.inf and saddle.updates_per_efold == math.inf


def test_a_line_search_out_of_trials_says_so():
    # issue 16, item 8: 27 -> 2027 -> 164027 -> 1.3e7 -> 1.1e9 with status "completed", no word
    res = gdcore.run_experiment({"version": 2, "problem": "quadratic", "runs": [
        {"name": "ls", "epochs": 4, "init": [-1.0], "optimizer": {"name": "sgd", "lr": 10.0},
         "method": {"name": "line_search", "max_trials": 2}}]})
    r = res.runs[0]
    # f = (w - 4)^2 + 2 from w = -1: trials t = 10, 5 along -g; both fail; the last is taken
    w, losses = -1.0, [27.0]
    for _ in range(4):
        w = w - 5.0 * 2 * (w - 4)
        losses.append((w - 4) ** 2 + 2)
    assert r.history["loss"].tolist() == losses
    assert r.status == "search failed"
    assert r.message.startswith("The line search ran out of trials (2) at 4 of 4 updates, first "
                                "at update 1")
    ok = gdcore.run_experiment({"version": 2, "problem": "quadratic", "runs": [
        {"name": "ls", "epochs": 4, "init": [-1.0], "optimizer": {"name": "sgd", "lr": 10.0},
         "method": {"name": "line_search"}}]}).runs[0]
    assert ok.status in ("completed", "converged") and "ran out of trials" not in ok.message


def test_the_rounding_slack_is_for_the_first_full_step_only():
    # issue 16, item 8: with lr > 1 the slack accepted steps that were neither the full step nor
    # what the test accepts (t = 1.5 and 2.5 on a quadratic)
    hp = methods.Hyper(name="newton", c=0.45, shrink=0.6, max_trials=5)
    f = lambda q: (q[0] - 4.0) ** 2 + 2.0  # noqa: E731
    # from w = 3.5 (loss 2.25, g = -1, Newton d = 0.5): the bound at t is 2.25 - 0.225 t
    big_slack = 0.2  # far more than rounding, so a slack that applies would show
    _, t, trials = methods.armijo(f, [3.5], 2.25, [-1.0], 2.5, hp, [0.5], big_slack)
    assert [round(tr.step, 6) for tr in trials] == [2.5, 1.5, 0.9]  # 1.5 would pass with slack
    assert t == pytest.approx(0.9)
    _, t, _ = methods.armijo(f, [3.5], 2.25, [-1.0], 1.0, hp, [0.5], big_slack)
    assert t == 1.0  # the full step, first trial: the slack applies (and here it passes anyway)
