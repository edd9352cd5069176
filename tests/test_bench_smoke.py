"""Smoke test of the benchmark on tiny data: every comparison is of equal computations (numpy
loop == gdcore step for step; interpreter loop == compiled accelerator bit for bit), every
correctness check holds, and E's fresh-process script runs without ever importing numba.

No timing is asserted anywhere: timings on shared machines are noise at this size.
Part of the normal suite (``python -m pytest``); about half a minute, most of it building the
compiled accelerator into the session's fresh cache directory (tests/conftest.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from bench import run as bench

TINY = bench.Sizes(a_n=2_000, a_steps=1000, a_numpy_steps=20, b_n=2_000, b_epochs=10,
                   c_n=20_000, c_epochs=5, c_numpy_epochs=1, f_n=200, f_lrs=4, f_epochs=3,
                   repeats=1, pages=False)


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
    """Two epochs: the numpy loop follows gdcore's row order (gdcore.rng.shuffle, cumulative
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


@pytest.mark.parametrize("key", ["A", "B", "C", "F"])
def test_workload_checks_hold_on_tiny_data(key):
    workload = {"A": bench.workload_a, "B": bench.workload_b, "C": bench.workload_c,
                "F": bench.workload_f}[key]
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
    assert bench.main(["--quick", "--only", "a,b,c"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("gdcore benchmark") and "\nCPU " in out and "numba " in out
    for key in ("A ", "A'", "B ", "B'", "C ", "C'"):
        assert f"\n{key}  " in out
    assert "== summary" in out and "INVALID" not in out


def test_click_driver_runs_on_this_tree():
    """Workload H's AppTest driver works (one interaction of each kind, no baseline)."""
    from bench import clicks

    res = clicks.measure(repeats=1, baseline=None)
    assert set(clicks.TARGETS_MS) <= set(res["now"])
    assert all(v > 0 for v in res["now"].values())
