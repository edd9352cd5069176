"""Engine behaviour checked against independent truths: finite differences, closed forms,
known minima and the guarantees of clipping and schedules."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gdcore
from gdcore import FUNCTIONS, ConfigError, LinearRegression, parse_run, run
from gdcore.models import objectives
from gdcore.rules import clipping, schedules
from gdcore.spec.config import SCHEDULE_DEFAULTS


def _regression(n=200, d=1, seed=0, noise=0.5, loc=2.0, scale=3.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(loc, scale, size=(n, d))
    y = x @ np.arange(1.0, d + 1) - 1.5 + noise * rng.normal(size=n)
    return LinearRegression(x, y)


def _central(f, p, h=1e-6):
    p = np.asarray(p, dtype=float)
    out = np.zeros_like(p)
    for j in range(p.size):
        e = np.zeros_like(p)
        e[j] = h
        out[j] = (f(p + e) - f(p - e)) / (2 * h)
    return out


# --- gradients -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_function_gradients_match_finite_differences(name):
    fn = FUNCTIONS[name]
    rng = np.random.default_rng(1)
    for _ in range(20):
        lo, hi = np.array(fn.window).T
        p = rng.uniform(lo, hi)
        np.testing.assert_allclose(fn.gradient(p), _central(fn.loss, p), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("d", [1, 3])
def test_regression_moments_equal_the_definition(d):
    prob = _regression(d=d)
    rng = np.random.default_rng(2)
    m = prob.moments
    for _ in range(10):
        p = rng.normal(size=d + 1) * 3
        g = np.zeros(d + 1)
        loss = objectives.mse_full(p, g, m.xbar, m.ybar, m.cov, m.wstar, m.rss_n)
        assert loss == pytest.approx(prob.loss(p), rel=1e-12)
        np.testing.assert_allclose(g, prob.gradient(p), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(prob.gradient(p), _central(prob.loss, p), rtol=1e-6, atol=1e-6)


def test_batch_gradient_is_two_over_b_sum():
    prob = _regression(n=50)
    p = np.array([0.3, -0.7])
    g = np.zeros(2)
    loss = objectives.mse_rows(p, g, prob.columns, 10, 17)
    xb, yb = prob.x[10:17, 0], prob.y[10:17]
    err = p[0] * xb + p[1] - yb
    assert loss == pytest.approx(np.mean(err**2), rel=1e-13)
    np.testing.assert_allclose(g, [2 / 7 * np.sum(err * xb), 2 / 7 * np.sum(err)], rtol=1e-13)
    # the one-feature form is the same arithmetic, on scalars
    assert objectives.mse_rows_1d(p[0], p[1], prob.columns[0], prob.columns[1], 10, 17) == (
        loss, g[0], g[1])


def test_least_squares_matches_lstsq():
    prob = _regression(d=2, noise=0.1)
    A = np.column_stack([prob.x, np.ones(prob.n)])
    coef, *_ = np.linalg.lstsq(A, prob.y, rcond=None)
    w, b = prob.least_squares
    np.testing.assert_allclose(np.r_[w, b], coef, rtol=1e-10)
    assert prob.min_value == pytest.approx(np.mean((A @ coef - prob.y) ** 2), rel=1e-10)


def test_minimum_loss_is_accurate_when_the_fit_is_almost_perfect():
    # y nearly exactly linear with large values: the naive Σy² - ... form would cancel badly.
    x = np.linspace(1000, 1010, 101)[:, None]
    y = 5.0 * x[:, 0] + 1e-6 * np.sin(np.arange(101))
    prob = LinearRegression(x, y)
    A = np.column_stack([x, np.ones(101)])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    direct = np.mean((A @ coef - y) ** 2)
    assert prob.min_value == pytest.approx(direct, rel=1e-6)


# --- optimizers reach the minima ---------------------------------------------------------------
REACH = {
    "sgd": ({"lr": 1e-3}, None),
    "momentum": ({"lr": 1e-3, "momentum": 0.9}, None),
    "nesterov": ({"lr": 1e-3, "momentum": 0.9}, None),
    "adagrad": ({"lr": 0.5}, None),
    # RMSprop has no bias correction and keeps a step of about lr near the minimum: decay it.
    "rmsprop": ({"lr": 1e-2}, {"name": "exponential", "per": "update", "gamma": 0.9998}),
    "adam": ({"lr": 1e-2}, None),
    # AdamW's decoupled decay pulls towards 0 and moves the minimum: switch it off here.
    "adamw": ({"lr": 1e-2, "weight_decay": 0.0}, None),
}


@pytest.mark.parametrize("problem", ["bowl", "rosenbrock"])
@pytest.mark.parametrize("opt", list(REACH))
def test_every_optimizer_reaches_the_known_minimum(problem, opt):
    hp, sched = REACH[opt]
    cfg = {"name": opt, "epochs": 100_000, "optimizer": {"name": opt, **hp}, "tol_grad": 1e-9}
    if sched:
        cfg["schedule"] = sched
    fn = FUNCTIONS[problem]
    r = run(fn, cfg)
    assert r.status == "converged", r.message
    np.testing.assert_allclose(list(r.params.values()), fn.minima[0].params, atol=1e-6)


@pytest.mark.parametrize("batch", ["full", 1, 16])
def test_regression_reaches_least_squares(batch):
    prob = _regression(n=64, loc=0.0, scale=1.0)
    w, b = prob.least_squares
    sched = {"name": "inverse_time", "per": "update", "k": 0.05}
    r = run(prob, {"name": "r", "batch_size": batch, "epochs": 400, "shuffle": False,
                   "optimizer": {"name": "sgd", "lr": 0.05},
                   "schedule": sched if batch != "full" else "constant"})
    tol = 1e-6 if batch == "full" else 5e-2
    np.testing.assert_allclose([r.params["w"], r.params["b"]], [w[0], b], atol=tol)


# --- clipping and schedules by their guarantees ------------------------------------------------
def test_clip_by_norm_bounds_the_norm_and_is_idempotent():
    rng = np.random.default_rng(3)
    for _ in range(100):
        g = rng.normal(size=4) * rng.uniform(0.01, 100)
        c = rng.uniform(0.1, 10)
        once, total, clipped = clipping.clip_array(g, name="norm", max_norm=c)
        assert total == pytest.approx(np.linalg.norm(g), rel=1e-14)
        assert np.linalg.norm(once) <= c * (1 + 1e-12)
        assert clipped == (np.linalg.norm(g) + 1e-6 > c)
        twice, *_ = clipping.clip_array(once, name="norm", max_norm=c)
        # PyTorch's +1e-6 shaves a hair off on the second pass: at most 1e-6 / c relative.
        np.testing.assert_allclose(twice, once, rtol=1.01e-6 / c)


def test_clip_by_value_clamps_and_is_idempotent():
    g = np.array([-5.0, -0.5, 0.0, 0.7, 9.0])
    once, total, clipped = clipping.clip_array(g, name="value", clip_value=1.0)
    np.testing.assert_array_equal(once, [-1.0, -0.5, 0.0, 0.7, 1.0])
    assert clipped and total == pytest.approx(np.linalg.norm(g))
    twice, _, clipped2 = clipping.clip_array(once, name="value", clip_value=1.0)
    np.testing.assert_array_equal(twice, once)
    assert not clipped2


@pytest.mark.parametrize("name", [s for s in SCHEDULE_DEFAULTS if s != "plateau"])
def test_every_schedule_starts_at_the_base_rate(name):
    params = dict(SCHEDULE_DEFAULTS[name])
    if params.get("T_max", 0) is None:  # cosine: the run's length, given here
        params["T_max"] = 300
    curve = schedules.lr_curve(name, params, 0.5, 300)
    if name == "warmup":
        assert curve[0] == pytest.approx(0.5 * params["start_factor"])
        assert curve[params["total_iters"]] == pytest.approx(0.5)
    else:
        assert curve[0] == 0.5
    assert np.all(np.isfinite(curve)) and np.all(curve >= 0)


def test_schedule_shapes():
    step = schedules.lr_curve("step", {"step_size": 3, "gamma": 0.5}, 1.0, 7)
    np.testing.assert_allclose(step, [1, 1, 1, 0.5, 0.5, 0.5, 0.25])
    ms = schedules.lr_curve("multistep", {"milestones": (2, 5), "gamma": 0.1}, 1.0, 6)
    np.testing.assert_allclose(ms, [1, 1, 0.1, 0.1, 0.1, 0.01])
    cos = schedules.lr_curve("cosine", {"T_max": 10, "eta_min": 0.1}, 1.0, 21)
    assert cos[10] == pytest.approx(0.1) and cos[20] == pytest.approx(1.0)  # periodic, as torch
    inv = schedules.lr_curve("inverse_time", {"k": 0.5}, 1.0, 3)
    np.testing.assert_allclose(inv, [1, 1 / 1.5, 1 / 2])


def test_plateau_reduces_after_patience():
    hp = schedules.SCHEDULES["plateau"].hyper(1.0, {"patience": 2, "factor": 0.5, "threshold": 1e-4,
                                                    "cooldown": 0, "min_lr": 0.0, "eps": 1e-8},
                                              per_update=False)
    lr, state = 1.0, (math.inf, 0.0, 0.0)
    lrs = []
    for metric in [10, 9, 9, 9, 9, 9, 9, 9]:
        lr, state = schedules.plateau_step(hp, metric, lr, state)
        lrs.append(lr)
    # improvements at 10 and 9; then bad epochs 1, 2, 3 > patience 2 -> halve, and again.
    assert lrs == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]


def test_schedule_per_update_and_per_epoch_are_different_clocks():
    prob = _regression(n=40)
    sched = {"name": "step", "step_size": 1, "gamma": 0.5}
    per_epoch = run(prob, {"name": "e", "batch_size": 10, "epochs": 3, "shuffle": False,
                           "optimizer": {"name": "sgd", "lr": 0.01},
                           "schedule": {**sched, "per": "epoch"}}).history
    per_update = run(prob, {"name": "u", "batch_size": 10, "epochs": 3, "shuffle": False,
                            "optimizer": {"name": "sgd", "lr": 0.01},
                            "schedule": {**sched, "per": "update"}}).history
    np.testing.assert_allclose(per_epoch["lr"].iloc[1:5], 0.01)
    np.testing.assert_allclose(per_epoch["lr"].iloc[5:9], 0.005)
    np.testing.assert_allclose(per_update["lr"].iloc[1:4], [0.01, 0.005, 0.0025])


# --- teaching switches -------------------------------------------------------------------------
def test_sequential_update_uses_the_new_w_for_b():
    prob = _regression(n=30)
    lr = 0.01
    r = run(prob, {"name": "s", "epochs": 1, "update": "sequential",
                   "optimizer": {"name": "sgd", "lr": lr}})
    g0 = prob.gradient([0.0, 0.0])
    w1 = -lr * g0[0]
    b1 = -lr * prob.gradient([w1, 0.0])[1]
    assert r.params["w"] == pytest.approx(w1, rel=1e-12)
    assert r.params["b"] == pytest.approx(b1, rel=1e-12)
    sim = run(prob, {"name": "t", "epochs": 1, "optimizer": {"name": "sgd", "lr": lr}})
    assert sim.params["b"] == pytest.approx(-lr * g0[1], rel=1e-12)


@pytest.mark.parametrize("problem", ["linear", "rosenbrock", "double_well"])
def test_numeric_gradient_follows_the_analytic_path(problem):
    target = _regression(n=50) if problem == "linear" else FUNCTIONS[problem]
    cfg = {"name": "a", "epochs": 50, "optimizer": {"name": "adam", "lr": 0.01}}
    a = run(target, cfg).history
    n = run(target, {**cfg, "gradient": "numeric", "h": 1e-5}).history
    cols = [c for c in target.param_names]
    np.testing.assert_allclose(n[cols].to_numpy(), a[cols].to_numpy(), rtol=1e-6, atol=1e-7)


# --- divergence and history --------------------------------------------------------------------
def test_divergence_is_a_status_with_a_step_not_an_exception():
    fn = FUNCTIONS["quadratic"]
    r = run(fn, {"name": "big", "epochs": 500, "optimizer": {"name": "sgd", "lr": 1.5}})
    assert r.status == "diverged"
    # |w - 4| doubles each step from 5: loss - 2 = 25 * 4^k passes 1e8 * 27 at k = 12.
    k = next(k for k in range(100) if 25 * 4.0**k + 2 > 1e8 * 27)
    assert r.diverged_at == k
    assert np.isfinite(r.history.select_dtypes("number").to_numpy()).all()
    assert r.history["step"].iloc[-1] == k


def test_overflow_to_infinity_is_caught():
    fn = FUNCTIONS["double_well"]
    r = run(fn, {"name": "x", "epochs": 100, "init": [1e6],
                 "optimizer": {"name": "sgd", "lr": 0.1}, "divergence_factor": 1e300})
    # w: 1e6 -> -4e17 -> 2.6e52 -> -7e156, whose w^4 overflows: diverged at the third update
    assert r.status == "diverged" and r.diverged_at == 3
    assert np.isfinite(r.history.select_dtypes("number").to_numpy()).all()
    with pytest.raises(ConfigError, match="init"):
        run(fn, {"name": "x", "init": [1e100], "optimizer": {"name": "sgd", "lr": 0.1}})


def test_lr_one_on_the_quadratic_oscillates_forever_and_lr_below_one_converges():
    fn = FUNCTIONS["quadratic"]
    edge = run(fn, {"name": "e", "epochs": 1000, "optimizer": {"name": "sgd", "lr": 1.0}})
    assert edge.status == "completed"
    np.testing.assert_allclose(np.abs(edge.history["w"] - 4), 5.0)
    ok = run(fn, {"name": "o", "epochs": 1000, "optimizer": {"name": "sgd", "lr": 0.99}})
    assert ok.params["w"] == pytest.approx(4.0, abs=1e-6)


def test_history_is_bounded_evenly_spread_and_keeps_first_and_last():
    prob = _regression(n=1000)
    r = run(prob, {"name": "long", "batch_size": 1, "epochs": 20, "max_points": 300,
                   "optimizer": {"name": "sgd", "lr": 1e-3}})
    h = r.history
    assert len(h) <= 300
    assert h["step"].iloc[0] == 0 and h["step"].iloc[-1] == 20_000
    gaps = np.diff(h["step"].to_numpy()[:-1])
    assert len(set(gaps)) == 1  # one stride between all but the final point
    assert h["samples"].iloc[-1] == 20_000 and h["epoch"].iloc[-1] == pytest.approx(20.0)


@pytest.mark.parametrize("steps", [1, 20, 301])
def test_history_keeps_every_step_when_max_points_allows(steps):
    r = run(FUNCTIONS["quadratic"], {"name": "q", "epochs": steps, "max_points": steps + 1,
                                    "optimizer": {"name": "sgd", "lr": 0.01}})
    assert r.history["step"].tolist() == list(range(steps + 1))


def test_early_stop_on_gradient_norm_sets_converged():
    fn = FUNCTIONS["bowl"]
    r = run(fn, {"name": "s", "epochs": 10_000, "tol_grad": 1e-6,
                 "optimizer": {"name": "sgd", "lr": 0.1}})
    assert r.status == "converged" and r.steps < 10_000
    assert np.linalg.norm(fn.gradient(list(r.params.values()))) <= 1e-6


def test_shuffling_is_seeded():
    prob = _regression(n=100)
    cfg = {"name": "s", "batch_size": 8, "epochs": 3, "optimizer": {"name": "sgd", "lr": 0.01}}
    a = run(prob, {**cfg, "seed": 1}).history
    b = run(prob, {**cfg, "seed": 1}).history
    c = run(prob, {**cfg, "seed": 2}).history
    np.testing.assert_array_equal(a["w"], b["w"])
    assert not np.array_equal(a["w"], c["w"])


def test_shuffled_minibatches_follow_the_engines_permutation():
    from gdcore.engine.rng import shuffle

    prob = _regression(n=50, loc=0.0, scale=1.0)
    r = run(prob, {"name": "s", "batch_size": 8, "epochs": 4, "seed": 7, "max_points": 100,
                   "optimizer": {"name": "sgd", "lr": 0.05}})
    idx, state, p, ws = list(range(50)), 7, np.zeros(2), []
    for _ in range(4):
        state = shuffle(idx, state)
        perm = np.array(idx)
        assert sorted(perm) == list(range(50))
        for s in range(0, 50, 8):
            rows = perm[s:s + 8]
            x, y = prob.x[rows, 0], prob.y[rows]
            err = x * p[0] + p[1] - y
            p = p - 0.05 * np.array([2 / len(rows) * np.sum(err * x), 2 / len(rows) * np.sum(err)])
            ws.append(p.copy())
    np.testing.assert_allclose(r.history[["w", "b"]].to_numpy()[1:], ws, rtol=1e-12)


def test_steps_to_converge_means_most_of_the_excess_loss_is_gone():
    fn = FUNCTIONS["quadratic"]
    r = run(fn, {"name": "q", "epochs": 200, "init": [-1.0], "optimizer": {"name": "sgd", "lr": 0.1}})
    # excess loss 25 * 0.64^k <= 0.025  ->  first k with 0.64^k <= 1e-3
    k = next(k for k in range(200) if 0.64**k <= 1e-3)
    assert r.steps_to_loss == k
    # the distance to the minimum is 0.8^k of the start's: within 1% from the first k with
    # 0.8^k <= 0.01; converged means both
    j = next(j for j in range(200) if 0.8**j <= 0.01)
    assert r.steps_to_weights == j and r.steps_to_converge == max(j, k) == j


def test_steps_to_converge_waits_for_the_weights_in_a_long_narrow_valley():
    # issue 16, item 4: x far from 0 (mean 10, spread 1) makes a valley whose curvatures
    # differ 10^4-fold; full-batch gradient descent at 1/lambda_max gets the loss within 0.1%
    # of its gap in a step or two, while the weights creep along the valley floor. Checked
    # against the same iteration written out here with the closed-form least squares.
    rng = np.random.default_rng(5)
    x = 10 + rng.normal(size=200)
    y = -2 * x + 3 + rng.normal(size=200)
    problem = LinearRegression(x[:, None], y)
    X = np.column_stack([x, np.ones_like(x)])
    H = 2 * X.T @ X / len(x)
    lr = 1 / np.linalg.eigvalsh(H).max()
    ref = np.linalg.lstsq(X, y, rcond=None)[0]
    r = run(problem, {"name": "valley", "epochs": 300, "batch_size": "full", "init": [0.0, 0.0],
                      "optimizer": {"name": "sgd", "lr": lr}})
    p, dists = np.zeros(2), [np.linalg.norm(-ref)]
    for _ in range(300):
        p = p - lr * (2 * X.T @ (X @ p - y) / len(x))
        dists.append(np.linalg.norm(p - ref))
    assert r.steps_to_loss is not None and r.steps_to_loss <= 3
    assert dists[-1] > 0.01 * dists[0]  # after 300 steps the weights are still far
    assert r.steps_to_weights is None and r.steps_to_converge is None
    assert r.distance == pytest.approx(dists[-1], rel=1e-9)
    long = run(problem, {"name": "valley", "epochs": 100_000, "batch_size": "full",
                         "init": [0.0, 0.0], "optimizer": {"name": "sgd", "lr": lr}})
    d0 = np.linalg.norm(ref)
    A = np.eye(2) - lr * H  # the iteration's error map: e_{k+1} = A e_k
    e, k, settled = -ref, 0, None
    while k < 100_000:
        e = A @ e
        k += 1
        if settled is None and np.linalg.norm(e) <= 0.01 * d0:
            settled = k  # (the error shrinks monotonically along both eigen-directions here)
    assert long.steps_to_weights is not None
    hist_steps = long.history["step"].to_numpy()
    # the first recorded step at or after the true one
    assert long.steps_to_weights == hist_steps[hist_steps >= settled][0]
    assert long.steps_to_converge == max(long.steps_to_loss, long.steps_to_weights)


def test_parse_run_fills_pytorch_defaults():
    cfg = parse_run({"optimizer": {"name": "adamw"}})
    assert cfg.optimizer.params == {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8,
                                    "weight_decay": 1e-2, "amsgrad": False}


@pytest.mark.parametrize("per", ["epoch", "update"])
def test_cosine_without_t_max_decays_once_over_the_run(per):
    prob = _regression(n=40)
    r = run(prob, {"name": "c", "epochs": 12, "batch_size": 10, "shuffle": False,
                   "optimizer": {"name": "sgd", "lr": 0.01},
                   "schedule": {"name": "cosine", "per": per}})
    lrs = r.history["lr"].to_numpy()
    assert lrs[0] == 0.01 and np.all(np.diff(lrs) <= 1e-18)  # falls all run long ...
    assert lrs[-1] < 0.01 * 0.05  # ... to near eta_min at the end, without climbing back


def test_standardized_history_carries_original_units():
    # issue 16, item 14: under standardize the history was in model units only
    rng = np.random.default_rng(4)
    x = rng.normal(300, 40, size=150)
    y = 0.2 * x + 7 + rng.normal(size=150)
    res = gdcore.run_experiment({"problem": "linear", "data": {
        "source": "inline", "x": x.tolist(), "y": y.tolist(), "standardize": True},
        "runs": [{"name": "gd", "epochs": 30, "optimizer": {"name": "sgd", "lr": 0.3}}]})
    h, ds = res.runs[0].history, res.dataset
    for w, b, wo, bo in h[["w", "b", "w_original", "b_original"]].itertuples(index=False):
        slope, intercept = ds.to_original_units(w, b)
        assert wo == pytest.approx(slope, rel=1e-12) and bo == pytest.approx(intercept, rel=1e-12)
    # the loss in y's units: the MSE of the original-unit line on the original data
    last = h.iloc[-1]
    mse = np.mean((last["w_original"] * x + last["b_original"] - y) ** 2)
    assert last["loss_original"] == pytest.approx(mse, rel=1e-9)
    plain = gdcore.run_experiment({"problem": "linear", "data": {
        "source": "inline", "x": x.tolist(), "y": y.tolist()},
        "runs": [{"name": "gd", "epochs": 3, "optimizer": {"name": "sgd", "lr": 1e-6}}]})
    assert "w_original" not in plain.runs[0].history.columns
