"""Smoke test of the benchmark on tiny data: every comparison is of equal computations (numpy
loop == gdcore step for step; interpreter loop == compiled accelerator bit for bit; for logistic
regression, scikit-learn's batch 1 == gdcore's), every correctness check holds, and E's
fresh-process script runs without ever importing numba.

No timing is asserted anywhere: timings on shared machines are noise at this size.
Part of the normal suite (``python -m pytest``); under a minute, most of it building the
compiled accelerator into the session's fresh cache directory (tests/conftest.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from bench import run as bench

TINY = bench.Sizes(a_n=2_000, a_steps=1000, a_numpy_steps=20, b_n=2_000, b_epochs=10,
                   c_n=20_000, c_epochs=5, c_numpy_epochs=1, f_n=200, f_lrs=4, f_epochs=3,
                   repeats=1, pages=False, l_n=1_000, l_steps=50, l_big_n=2_000, l_big_steps=10,
                   m_n=1_000, m_epochs=2, m1_n=200, m1_small_n=50)


@pytest.fixture(scope="module", autouse=True)
def _compiled():
    seconds, state, detail = bench.warm_up_gdcore(timeout=900)
    assert state == "ready", detail


@pytest.mark.parametrize("engine", ["compiled", "python"])
def test_full_batch_numpy_loop_equals_gdcore_every_step(engine):
    x, y = bench.make_data(500, seed=7)
    res = bench.gdcore_full_batch(x, y, 0.02, 40, engine=engine)
    w, b, losses = bench.numpy_full_batch(x, y, 0.02, 40)
    hist = res.history
    assert len(hist) == 41
    np.testing.assert_allclose(hist["loss"].to_numpy(), losses, rtol=1e-9)
    assert bench.close(w, res.params["w"]) and bench.close(b, res.params["b"])


@pytest.mark.parametrize("engine", ["compiled", "python"])
def test_minibatch_adam_numpy_loop_equals_gdcore(engine):
    """Two epochs: the numpy loop follows gdcore's row order (gdcore.engine.rng.shuffle, cumulative
    across epochs), so it reproduces gdcore's parameters."""
    x, y = bench.make_data(1_000, seed=8)  # 1000 / 32: the last batch of each epoch has 8 rows
    kw = {"batch": 32, "epochs": 2, "lr": 0.05, "t_max": 64, "max_norm": 1.0, "seed": 3}
    clock: list[float] = []
    p = bench.numpy_minibatch_adam(x, y, shuffle_clock=clock, **kw)
    res = bench.gdcore_minibatch_adam(x, y, engine=engine, **kw)
    assert res.steps == 64 and len(clock) == 2
    assert bench.close(float(p[0]), res.params["w"]) and bench.close(float(p[1]), res.params["b"])


def test_sgd1_interpreter_and_compiled_identical_and_near_sklearn():
    x, y = bench.make_data(1_000, seed=9)
    comp = bench.gdcore_sgd1(x, y, 0.0005, 3)
    py = bench.gdcore_sgd1(x, y, 0.0005, 3, engine="python")
    assert bench.identical(comp, py)
    model = bench.sklearn_sgd1(x, y, 0.001, 3)
    assert int(model.n_iter_) == 3
    assert abs(float(model.coef_[0]) - comp.params["w"]) < 0.1


def test_log_loss_yardstick_against_closed_forms():
    """The benchmark's own log-loss (logaddexp) and gradient (scipy's expit), checked against
    log 2 at zero, a hand-computed two-row case and central differences."""
    x, y = bench.make_logistic_data(300, seed=4)
    assert bench.log_loss(x, y, np.zeros(4), 0.0) == pytest.approx(np.log(2.0), rel=1e-15)
    # rows z = 2 (y = 1) and z = -1 (y = 1): mean(log(1 + e^-2), log(1 + e^1))
    two = bench.log_loss(np.array([[1.0], [-0.5]]), np.array([1.0, 1.0]), np.array([2.0]), 0.0)
    assert two == pytest.approx((np.log1p(np.exp(-2.0)) + np.log1p(np.e)) / 2, rel=1e-14)
    w, b, h = np.array([0.3, -0.2, 0.5, 0.1]), -0.4, 1e-6
    grad = bench.log_loss_gradient(x, y, w, b)
    p = np.append(w, b)
    for j in range(5):
        e = np.eye(5)[j] * h
        fd = (bench.log_loss(x, y, (p + e)[:4], (p + e)[4])
              - bench.log_loss(x, y, (p - e)[:4], (p - e)[4])) / (2 * h)
        assert grad[j] == pytest.approx(fd, abs=1e-8)
    assert bench.bce_mean(x @ w + b, y) == pytest.approx(bench.log_loss(x, y, w, b), rel=1e-14)


def test_logistic_data_overlaps_and_has_both_classes():
    x, y = bench.make_logistic_data(2_000, seed=5)
    assert x.shape == (2_000, 4) and set(np.unique(y)) == {0.0, 1.0}
    p_star, loss_star = bench.logistic_optimum(x, y)
    assert p_star is not None and 0.0 < loss_star < np.log(2.0)
    assert np.linalg.norm(bench.log_loss_gradient(x, y, p_star[:-1], p_star[-1])) <= 1e-8


@pytest.mark.parametrize("record", [True, False])
def test_logistic_full_batch_numpy_loop_equals_gdcore_every_step(record):
    x, y = bench.make_logistic_data(800, seed=6)
    res = bench.gdcore_logistic(x, y, batch="full", epochs=30, lr=0.5)
    w, b, losses = bench.numpy_logistic_full_batch(x, y, 0.5, 30, record_loss=record)
    assert len(res.history) == 31
    assert bench.same_params(bench.params_of(res), np.append(w, b))
    if record:
        assert bench.losses_match(res.history, losses)
        np.testing.assert_allclose(res.history["loss"].to_numpy(), losses, rtol=1e-9)
    else:
        assert losses is None


def test_logistic_minibatch_numpy_loop_equals_gdcore():
    """Two shuffled epochs of batch 32 on 1000 rows (the last batch of each has 8 rows): the
    numpy loop follows gdcore's row order, so parameters and every kept loss agree."""
    x, y = bench.make_logistic_data(1_000, seed=7)
    kw = {"lr": 0.2, "batch": 32, "epochs": 2, "seed": 3}
    clock: list[float] = []
    w, b, losses = bench.numpy_logistic_minibatch(x, y, shuffle_clock=clock, **kw)
    w0, b0, none = bench.numpy_logistic_minibatch(x, y, record_loss=False, **kw)
    res = bench.gdcore_logistic(x, y, shuffle=True, **kw)
    assert res.steps == 64 and len(losses) == 65 and len(clock) == 2 and none is None
    assert bench.same_params(bench.params_of(res), np.append(w, b))
    assert bench.same_params(np.append(w0, b0), np.append(w, b), tol=0.0)
    assert bench.losses_match(res.history, losses)
    # the check can fail: a loss column off by one step does not match
    assert not bench.losses_match(res.history, np.roll(losses, 1))


def test_sklearn_batch_one_takes_gdcore_steps():
    """scikit-learn's SGDClassifier without shuffling = gdcore's batch 1 without shuffling, row
    for row (the same loss per row, the same step); with shuffling the orders differ."""
    x, y = bench.make_logistic_data(300, seed=8)
    res = bench.gdcore_logistic(x, y, batch=1, epochs=2, lr=0.05)
    model = bench.sklearn_logistic(x, y, eta0=0.05, epochs=2, shuffle=False)
    assert int(model.n_iter_) == 2 and res.steps == 600
    assert bench.same_params(bench.params_of(res), bench.sklearn_params(model))
    shuffled = bench.sklearn_logistic(x, y, eta0=0.05, epochs=2, shuffle=True)
    assert not bench.same_params(bench.params_of(res), bench.sklearn_params(shuffled))


@pytest.mark.parametrize("key", ["A", "B", "C", "F", "L", "M"])
def test_workload_checks_hold_on_tiny_data(key):
    workload = {"A": bench.workload_a, "B": bench.workload_b, "C": bench.workload_c,
                "F": bench.workload_f, "L": bench.workload_l, "M": bench.workload_m}[key]
    result = workload(TINY)
    assert result.checks and result.valid, result.checks
    for row in result.rows:
        assert row.ours_s > 0 and row.ref_s is not None and row.ref_s > 0
        assert row.ratio is not None and np.isfinite(row.ratio)
    assert all(row.key.startswith(key) for row in result.rows)


@pytest.mark.parametrize("case", ["dashboard", "lessons-all"])
def test_fresh_process_script_runs_without_numba(case):
    r = bench.fresh(case)
    assert r["numba_imported"] is False and r["llvmlite_imported"] is False
    assert r["engine_env"] is None and r["accel_state"] == "off" and r["cache_entries"] == []
    assert 0 < r["import_s"] <= r["total_s"]
    if case == "dashboard":
        assert r["result"] == {"runs": 3, "status": ["completed", "completed", "diverged"]}


def test_page_defaults_mirrored_by_the_benchmark():
    checks = bench.page_defaults_match()
    assert checks and all(checks.values()), checks


def test_command_line_quick_mode(monkeypatch, capsys):
    monkeypatch.setattr(bench, "QUICK", TINY)
    assert bench.main(["--quick", "--only", "a,b,c,l,m"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("gdcore benchmark") and "\nCPU " in out and "numba " in out
    for key in ("A ", "A'", "B ", "B'", "C ", "C'", "L ", "L-", "L2", "L2-", "M ", "M-", "Ms",
                "M1"):
        assert f"\n{key}  " in out
    assert "== summary" in out and "INVALID" not in out


def test_click_driver_runs_on_this_tree():
    """Workload H's AppTest driver works (one interaction of each kind, no baseline)."""
    from bench import clicks

    res = clicks.measure(repeats=1, baseline=None)
    assert set(clicks.TARGETS_MS) <= set(res["now"])
    assert all(v > 0 for v in res["now"].values())
