"""Smoke test of the benchmark's workloads on tiny data: the comparisons are of equal
computations (numpy loop == gdcore, step for step) and every correctness check holds.

No timing is asserted anywhere: timings on shared machines are noise at this size.
Part of the normal suite (``python -m pytest``).
"""

from __future__ import annotations

import numpy as np
import pytest

from bench import run as bench

TINY = bench.Sizes(a_n=2_000, a_steps=1000, a_numpy_steps=20, b_n=2_000, b_epochs=10,
                   c_n=20_000, c_epochs=5, c_numpy_epochs=1, repeats=1)


@pytest.fixture(scope="module", autouse=True)
def _compiled():
    bench.warm_up_gdcore()


def test_full_batch_numpy_loop_equals_gdcore_every_step():
    x, y = bench.make_data(500, seed=7)
    res = bench.gdcore_full_batch(x, y, 0.02, 40)
    w, b, losses = bench.numpy_full_batch(x, y, 0.02, 40)
    hist = res.history
    assert len(hist) == 41
    np.testing.assert_allclose(hist["loss"].to_numpy(), losses, rtol=1e-9)
    assert bench.close(w, res.params["w"]) and bench.close(b, res.params["b"])


def test_minibatch_adam_numpy_loop_equals_gdcore():
    x, y = bench.make_data(1_000, seed=8)  # 1000 / 32: the last batch of each epoch has 8 rows
    kw = {"batch": 32, "epochs": 2, "lr": 0.05, "t_max": 64, "max_norm": 1.0, "seed": 3}
    p = bench.numpy_minibatch_adam(x, y, **kw)
    res = bench.gdcore_minibatch_adam(x, y, **kw)
    assert res.steps == 64
    assert bench.close(float(p[0]), res.params["w"]) and bench.close(float(p[1]), res.params["b"])


@pytest.mark.parametrize("key", ["A", "B", "C"])
def test_workload_checks_hold_on_tiny_data(key):
    workload = {"A": bench.workload_a, "B": bench.workload_b, "C": bench.workload_c}[key]
    result = workload(TINY)
    assert result.checks and result.valid, result.checks
    assert result.ours_s > 0 and result.ref_s > 0 and np.isfinite(result.ratio)
    assert result.key in result.row()


def test_command_line_quick_mode(monkeypatch, capsys):
    monkeypatch.setattr(bench, "QUICK", TINY)
    assert bench.main(["--quick", "--only", "a,b,c"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("gdcore benchmark") and "\nCPU " in out and "numba " in out
    for key in "ABC":
        assert f"\n{key}  gdcore" in out
    assert "INVALID" not in out
