"""Worked examples of the lessons: the numbers the pages print, checked against closed forms."""

import json

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


def test_lr_105_is_labelled_a_growing_oscillation_not_completed():
    _, summary = G.lr_runs((0.01, 0.9, 1.0, 1.05), 50)
    by_lr = summary.set_index("lr")
    wild = by_lr.loc[1.05]
    assert wild.final_w == pytest.approx(4 - 5 * (-1.1) ** 50, rel=1e-9)  # w = -583
    assert wild.status == "completed"  # the engine only says it used its 50 steps ...
    assert wild.label == "diverged"  # ... gdcore.sweep.classify says what it did
    assert wild.behaviour == "diverging (the oscillation grows every step)"
    assert wild.factor == pytest.approx(-1.1)
    assert by_lr.loc[0.01, "behaviour"] == "converging"
    assert by_lr.loc[0.9, "behaviour"] == "oscillating, shrinking (converging)"
    assert by_lr.loc[1.0, "behaviour"] == "oscillating (not settling)"
    assert list(summary.columns[:4]) == ["lr", "factor", "final_w", "behaviour"]


def test_clipping_summary_says_what_each_run_did():
    _, summary = G.clipping_demo(10.0)
    assert summary.iloc[0].behaviour.startswith("diverged (")
    assert summary.iloc[0].behaviour == ("diverged (the oscillation grew; stopped at step "
                                         f"{int(summary.iloc[0].diverged_at)})")
    assert summary.iloc[1].behaviour == "converged"


def test_batch_noise_excess_is_the_loss_above_least_squares():
    noise = G.batch_noise(0.02, 5, 10)
    from gdcore import LinearRegression
    best = LinearRegression.from_dataset(G.demo_data()).min_value
    assert np.allclose(noise["excess"], noise["loss"] - best)
    assert (noise["excess"] > -1e-9).all()


def test_schedule_epochs_average_out_the_noise():
    """One row per schedule and epoch: the lr of that epoch and the mean full-data excess over
    its updates, computed from every update (checked against a run recorded in full)."""
    per = G.schedule_epochs(0.05, 20)
    assert list(per.groupby("schedule", sort=False).size()) == [20] * len(G.SCHEDULES)
    assert list(dict.fromkeys(per["schedule"])) == list(G.SCHEDULES)
    lr = per.pivot(index="epoch", columns="schedule", values="lr")
    assert np.allclose(lr["constant"], 0.05)
    assert np.allclose(lr["exponential (γ 0.8)"], 0.05 * 0.8 ** np.arange(20))
    assert np.allclose(lr["inverse time (k 1)"], 0.05 / (1 + np.arange(20)))
    from gdcore import LinearRegression, run
    prob = LinearRegression.from_dataset(G.demo_data())
    res = run(prob, {"epochs": 20, "batch_size": 1, "seed": 0, "max_points": 5000,
                     "schedule": {"name": "constant", "per": "epoch"},
                     "optimizer": {"name": "sgd", "lr": 0.05}})
    h = res.history
    third = h[(h["step"] > 2 * prob.n) & (h["step"] <= 3 * prob.n)]
    row = per[(per["schedule"] == "constant") & (per["epoch"] == 3)].iloc[0]
    assert row["mean_excess"] == pytest.approx((third["loss"] - prob.min_value).mean())
    assert row["end_excess"] == pytest.approx(third["loss"].iloc[-1] - prob.min_value)
    # what the lesson says: the constant rate stalls at a noise floor, every decaying
    # schedule ends closer to the minimum
    summary = G.schedule_summary(per)
    const = summary.set_index("schedule").loc["constant"]
    assert const["vs_constant"] == pytest.approx(1.0)
    rest = summary[summary["schedule"] != "constant"]
    assert (rest["mean_excess"] < const["mean_excess"]).all()
    assert np.allclose(rest["vs_constant"], const["mean_excess"] / rest["mean_excess"])
    # the epoch means are smooth: far less jitter than the raw per-update curve
    raw = G.schedule_demo(0.05, 20)
    raw_c = np.log10(raw.loc[raw["schedule"] == "constant", "excess"].iloc[1:])
    mean_c = np.log10(per.loc[per["schedule"] == "constant", "mean_excess"])
    assert np.std(np.diff(mean_c)) < 0.5 * np.std(np.diff(raw_c))


def test_plane_chart_is_framed_on_the_paths_after_the_first_step():
    paths = G.update_modes(0.05, 30)
    optimum = G.demo_optimum()
    w_dom, b_dom = cc.plane_frame(paths, optimum)
    after = paths[paths["step"] >= 1]
    assert w_dom[0] <= min(after["w"].min(), optimum[0]) and w_dom[1] >= after["w"].max()
    assert b_dom[0] <= after["b"].min() and b_dom[1] >= max(after["b"].max(), optimum[1])
    assert w_dom[0] > 1.5  # the start (0, 0) is left out: the paths fill the chart
    assert b_dom[1] - b_dom[0] < 1.5 * (max(after["b"].max(), optimum[1]) - after["b"].min())
    spec = cc.plane_chart(paths, optimum=optimum).to_dict()
    text = json.dumps(spec)
    assert "step 1" in text and "step 30" in text and "least squares" in text
    # a diverging path (simultaneous at lr 0.1) does not stretch the frame
    wild = G.update_modes(0.1, 30)
    w_dom, _ = cc.plane_frame(wild, optimum)
    assert w_dom[1] - w_dom[0] < 10
    assert cc.plane_chart(wild, optimum=optimum).to_dict()


def test_lesson_charts_colour_groups_from_the_palette_and_big_fonts():
    from ui.charts import PALETTE
    per = G.schedule_epochs(0.05, 5)
    spec = cc.lines_chart(per, "epoch", "mean_excess", "schedule", log_y=True, big=True,
                          legend_columns=2).to_dict()
    colour = spec["layer"][0]["encoding"]["color"]["scale"]
    assert colour["domain"] == list(G.SCHEDULES)
    assert colour["range"] == PALETTE[: len(G.SCHEDULES)]
    assert spec["config"]["axis"]["labelFontSize"] == 16
    assert spec["config"]["legend"]["columns"] == 2
