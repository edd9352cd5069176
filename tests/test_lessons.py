"""Worked examples of the lessons: the numbers the pages print, checked against closed forms."""

import numpy as np
import pandas as pd
import pytest

from gdcore import lessons as G
from ui import lesson_charts as cc
from ui import sweep_charts as sc


def test_first_update_from_minus_one():
    first = G.first_update(-1.0, 0.1)
    assert first["loss"] == 27.0  # (-1 - 4)^2 + 2
    assert first["gradient"] == -10.0  # 2 (-1 - 4)
    assert first["w_new"] == 0.0


def test_cycle_steps_follow_the_update_rule():
    steps = G.cycle_steps(-1.0, 0.1, 5)
    assert np.allclose(steps["gradient"], 2 * (steps["w"] - 4))
    assert np.allclose(steps["w_new"], steps["w"] - 0.1 * steps["gradient"])
    assert np.allclose(steps["w"].iloc[1:], steps["w_new"].iloc[:-1])
    pts = G.cycle_points(steps)
    assert list(pts["step"]) == [0, 1, 2, 3, 4, 5]


def test_fifty_small_steps_match_closed_form():
    _, summary = G.lr_runs((0.01, 0.9), 50)
    small, big = summary.iloc[0], summary.iloc[1]
    closed = 4 - 5 * (1 - 2 * 0.01) ** 50  # w - 4 shrinks by (1 - 2 lr) per step
    assert small.final_w == pytest.approx(closed, rel=1e-12)
    assert round(small.final_w, 4) == round(closed, 4)
    assert big.oscillates and big.status != "diverged"
    assert big.final_w == pytest.approx(4 - 5 * (1 - 2 * 0.9) ** 50, abs=1e-9)
    assert abs(big.final_w - 4) < 1e-3


def test_too_large_lr_grows():
    _, summary = G.lr_runs((1.05,), 50)
    assert abs(summary.iloc[0].final_w - 4) > 5


def test_sequential_uses_new_w_for_b():
    first = G.first_step_by_mode(0.05)
    sim, seq = first.iloc[0], first.iloc[1]
    assert sim.w == pytest.approx(seq.w)
    assert sim.b == pytest.approx(-0.05 * sim.grad_b)
    assert seq.b == pytest.approx(-0.05 * seq.grad_b)
    assert sim.b != pytest.approx(seq.b)


def test_batch_noise_and_schedules_and_clipping():
    noise = G.batch_noise(0.02, 5, 10)
    assert set(noise["method"]) == {"batch", "mini-batch (10)", "stochastic"}
    sched = G.schedule_demo(0.05, 20)
    final = sched.groupby("schedule").tail(1).set_index("schedule")["excess"]
    assert final["exponential (γ 0.8)"] < final["constant"]
    hist, summary = G.clipping_demo(10.0)
    assert summary.iloc[0].status == "diverged" and summary.iloc[1].status != "diverged"
    w = hist.loc[hist["run"] == "clip norm 10", "w"].to_numpy()
    assert np.abs(np.diff(w)).max() <= 0.05 * 10.0 + 1e-12  # |step| <= lr * max_norm


def test_restarts_find_both_minima():
    df = G.restarts(8, 0)
    assert {"global", "local"} <= set(df["minimum"])
    assert df.loc[df["best"], "minimum"].eq("global").all()


def test_lesson_and_sweep_charts_build():
    df = pd.DataFrame({"step": [0, 1, 2], "w": [1.0, 2.0, 3.0], "lr": ["0.1"] * 3})
    assert cc.lines_chart(df, "step", "w", "lr", y_domain=(-1, 5), reference=4.0).to_dict()
    from gdcore import FUNCTIONS
    from gdcore.sweep import largest_stable_lr, sweep
    sw = sweep(FUNCTIONS["saddle"], {"epochs": 50}, [0.01, 0.5, 1.5, 3.0])
    pf = sc.plot_frame(sw, ("final", "best"))
    assert np.isfinite(pf["y"]).all() and (pf["y"] > 0).all()
    assert (pf.loc[pf["off_scale"], "y"] == pf.attrs["top"]).all()
    assert len(pf) == 2 * len(sw)
    assert sc.sweep_chart(sw, largest_stable_lr(sw), theory=1.0).to_dict()
