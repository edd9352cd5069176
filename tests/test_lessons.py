"""Worked examples of the lessons: the numbers the pages print, checked against closed forms."""

import json

import numpy as np
import pandas as pd
import pytest

from lab import lessons as G
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
    from lab.sweep import largest_stable_lr, sweep
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
    assert wild.label == "diverged"  # ... lab.sweep.classify says what it did
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


# --- lesson 8: conditioning ------------------------------------------------------------------
import math  # noqa: E402

from gdcore.errors import ConfigError  # noqa: E402


def _best_rate_steps(kappa: float, tol: float) -> int:
    """Closed form: at lr = 2/(λmax+λmin) every error component shrinks by (κ-1)/(κ+1) in
    size each step, so |w_k - w*| = ((κ-1)/(κ+1))^k |w_0 - w*|."""
    rho = (kappa - 1) / (kappa + 1)
    return 1 if rho == 0 else math.ceil(math.log(1 / tol) / -math.log(rho))


def _slow_rate_steps(kappa: float, tol: float, start=(-9.0, 3.0)) -> int:
    """Closed form at lr = 1/λmax = 1 on ½(w1²/κ + w2²): w2 is 0 after one step, w1 is
    multiplied by 1 - 1/κ every step."""
    if kappa == 1:
        return 1
    target = tol * math.hypot(*start)
    return max(1, math.ceil(math.log(abs(start[0]) / target) / -math.log(1 - 1 / kappa)))


@pytest.mark.parametrize("kappa", [1, 2, 10, 100, 1000])
def test_valley_is_the_quadratic_with_condition_number_kappa(kappa):
    fn = G.valley(kappa)
    p = np.array([-2.5, 1.5])
    assert fn.loss(p) == pytest.approx(0.5 * (p[0] ** 2 / kappa + p[1] ** 2), rel=1e-15)
    h = 1e-6
    numeric = [(fn.loss(p + h * e) - fn.loss(p - h * e)) / (2 * h) for e in np.eye(2)]
    assert np.allclose(fn.gradient(p), numeric, rtol=1e-8, atol=1e-10)
    lam = np.linalg.eigvalsh(fn.hessian(p))
    assert lam.max() / lam.min() == pytest.approx(kappa, rel=1e-12)
    rates = G.valley_rates(fn)
    assert rates["1/λmax"] == pytest.approx(1.0)
    assert rates["2/(λmax+λmin)"] == pytest.approx(2 / (1 + 1 / kappa), rel=1e-14)


@pytest.mark.parametrize("kappa", [10, 100, 1000])
@pytest.mark.parametrize("tol", [1e-2, 1e-3, 1e-6])
def test_valley_runs_contract_by_the_closed_form_factor(kappa, tol):
    hist, summary = G.valley_runs(kappa, tol)
    slow, best = summary.iloc[0], summary.iloc[1]
    rho = (kappa - 1) / (kappa + 1)
    assert best.factor == pytest.approx(rho, rel=1e-12)
    assert best.measured_factor == pytest.approx(rho, rel=1e-9)
    assert slow.factor == pytest.approx(1 - 1 / kappa, rel=1e-12)
    assert slow.measured_factor == pytest.approx(1 - 1 / kappa, rel=1e-9)
    assert int(best.steps) == int(best.predicted) == _best_rate_steps(kappa, tol)
    assert int(slow.steps) == int(slow.predicted) == _slow_rate_steps(kappa, tol)
    # the rules of thumb: within a few percent at large κ
    assert slow.rule == pytest.approx(kappa * math.log(1 / tol))
    if kappa >= 100:
        assert int(slow.steps) == pytest.approx(slow.rule, rel=0.02)
        assert int(best.steps) == pytest.approx(best.rule, rel=0.02)
    # every step of the best rate: the error is exactly rho^k of the start's
    b = hist[hist["rate"] == "2/(λmax+λmin)"]
    k = b["step"].to_numpy()[:200]
    assert np.allclose(b["error"].to_numpy()[:200], rho ** k, rtol=1e-9)


def test_the_best_rate_zig_zags_and_one_over_lambda_max_does_not():
    hist, _ = G.valley_runs(100, 1e-3)
    best = hist.loc[hist["rate"] == "2/(λmax+λmin)", "w2"].to_numpy()[:50]
    assert np.all(np.sign(best[1:]) == -np.sign(best[:-1]))  # across the valley every step
    slow = hist.loc[hist["rate"] == "1/λmax", "w2"].to_numpy()
    assert slow[0] == 3.0 and np.all(slow[1:] == 0.0)  # the steep direction gone in one step
    path = G.valley_path(hist)
    assert set(path.columns) == {"run", "step", "w1", "w2", "loss"}
    assert path.groupby("run")["step"].max().eq(G.PATH_STEPS).all()


def test_kappa_one_lands_in_one_step_and_bad_input_is_named():
    hist, summary = G.valley_runs(1, 1e-3)
    assert list(summary["steps"]) == [1, 1] and list(summary["measured_factor"]) == [0, 0]
    with pytest.raises(ConfigError, match="κ"):
        G.valley(0.5)
    with pytest.raises(ConfigError, match="tolerance"):
        G.valley_runs(10, 0.0)


def test_standardizing_the_cars_columns_against_numpy():
    from gdcore.data import sources as gdata

    table = G.standardizing("cars", 1e-3).set_index("data")
    raw = gdata.load_sample("cars")
    for label, x in (("raw columns", raw.x),
                     ("standardized", (raw.x - raw.x.mean(0)) / raw.x.std(0))):
        xt = np.column_stack([x, np.ones(len(x))])
        lam = np.linalg.eigvalsh(2 * xt.T @ xt / len(x))  # the MSE's Hessian
        row = table.loc[label]
        assert row.lam_max == pytest.approx(lam[-1], rel=1e-9)
        assert row.kappa == pytest.approx(lam[-1] / lam[0], rel=1e-6)
        assert row.lr_limit == pytest.approx(2 / lam[-1], rel=1e-9)
        # the error along λmin shrinks by 1 - λmin/λmax per step at lr = 1/λmax
        assert row.steps == pytest.approx(math.log(1e-3) / math.log1p(-lam[0] / lam[-1]),
                                          rel=1e-6)
    assert table.loc["raw columns", "kappa"] > 1e8 > 1e2 > table.loc["standardized", "kappa"]
    a, b, r = G.most_correlated("cars")
    frame = pd.DataFrame(raw.x, columns=raw.x_names)
    assert r == pytest.approx(frame[a].corr(frame[b]), rel=1e-12)
    pairs = {(i, j): abs(frame[i].corr(frame[j])) for i in frame for j in frame if i < j}
    assert max(pairs, key=pairs.get) == tuple(sorted((a, b)))


# --- lesson 9: the classification loss -------------------------------------------------------
def test_row_losses_against_closed_forms():
    m = np.array([-30.0, -5.0, -3.0, -0.5, 0.5, 3.0, 5.0, 30.0])
    df = G.row_losses(m)
    log = df[df["loss"] == "log-loss"]
    zero_one = df[df["loss"] == "0/1 loss"]
    sq = df[df["loss"] == "squared error of σ(z)"]
    sig = 1 / (1 + np.exp(-m))
    assert np.allclose(log["value"], np.logaddexp(0, -m), rtol=1e-14)  # log(1 + e^-m)
    # softplus(m) - softplus(-m) = m: the loss at margin -m minus the loss at m
    assert np.allclose(log["value"].to_numpy()[::-1] - log["value"].to_numpy(), m, atol=1e-13)
    assert np.allclose(log["push"], 1 - sig, rtol=1e-12)  # -d/dz log(1 + e^-z) = σ(-z)
    assert list(zero_one["value"]) == [1, 1, 1, 1, 0, 0, 0, 0]
    assert (zero_one["push"] == 0).all() and not np.signbit(zero_one["push"]).any()
    assert np.allclose(sq["value"], (1 - sig) ** 2, rtol=1e-12)
    assert np.allclose(sq["push"], 2 * sig * (1 - sig) ** 2, rtol=1e-10, atol=1e-300)
    assert np.allclose(df["p_own"], np.tile(sig, 3))
    # the slopes are the derivatives of the values (central differences)
    h = 1e-6
    for name in ("log-loss", "squared error of σ(z)"):
        up, down = (G.row_losses(at).set_index("loss").loc[name, "value"].to_numpy()
                    for at in (m + h, m - h))
        slope = df.set_index("loss").loc[name, "slope"].to_numpy()
        assert np.allclose((up - down) / (2 * h), slope, rtol=1e-6, atol=1e-9)


def test_a_badly_wrong_row_keeps_its_log_loss_gradient_and_loses_the_squared_ones():
    row = G.row_losses([-6.0]).set_index("loss")
    assert row.loc["log-loss", "push"] == pytest.approx(1 / (1 + math.exp(-6)))  # ≈ 0.9975
    assert row.loc["squared error of σ(z)", "push"] < 0.005  # 2σ(-6)σ(6)²
    assert row.loc["0/1 loss", "push"] == 0
    from gdcore.models.logistic import bce
    for mm in (-6.0, 0.3, 4.0):  # a class-0 row with z = -m has the same loss
        assert bce(-mm, 0.0) == pytest.approx(bce(mm, 1.0), rel=1e-15)


def test_classification_fit_against_scikit_learn_and_the_plateau():
    from sklearn.linear_model import LogisticRegression as SkLogistic
    from sklearn.metrics import log_loss

    hist, fit = G.classification_fit("breast_cancer", 1.0, 300)
    assert hist["loss"].iloc[0] == pytest.approx(math.log(2), rel=1e-15)
    assert hist["confidence"].iloc[0] == 0.5 and hist["weight_norm"].iloc[0] == 0
    ds = G.class_data("breast_cancer")
    sk = SkLogistic(C=np.inf, tol=1e-12, max_iter=10_000).fit(ds.x, ds.y)  # no penalty
    best = log_loss(ds.y, sk.predict_proba(ds.x)[:, 1])
    assert fit["best_loss"] == pytest.approx(best, rel=1e-8)
    assert fit["final_loss"] == pytest.approx(best, abs=1e-4)
    assert fit["final_accuracy"] == pytest.approx(sk.score(ds.x, ds.y), abs=1 / ds.n + 1e-12)
    assert not fit["separable"] and fit["separated_at"] is None
    acc = hist["accuracy"].to_numpy()
    at = int(np.nonzero(hist["step"].to_numpy() == fit["plateau_step"])[0][0])
    assert np.all(np.abs(acc[at:] - acc[-1]) <= G.PLATEAU)
    assert at == 0 or abs(acc[at - 1] - acc[-1]) > G.PLATEAU
    assert fit["plateau_step"] <= 20  # accuracy settles early ...
    assert fit["plateau_loss"] - fit["final_loss"] > 0.05  # ... the log-loss keeps falling
    table = G.fit_table(hist)
    assert list(table["step"]) == [0, 1, 5, 20, 50, 100, 200, 300]


def test_on_separable_classes_the_log_loss_falls_forever_at_full_accuracy():
    hist, fit = G.classification_fit("separable", 1.0, 300)
    assert fit["separable"] and fit["best_loss"] == 0.0
    after = hist[hist["step"] >= fit["separated_at"]]
    assert (after["accuracy"] == 1.0).all()
    assert np.all(np.diff(after["loss"]) < 0)  # still falling at step 300 ...
    assert np.all(np.diff(after["weight_norm"]) > 0)  # ... because |w| keeps growing
    assert np.all(np.diff(after["confidence"]) > 0)
    with pytest.raises(ConfigError, match="breast_cancer"):
        G.class_data("iris")


# --- lesson 10: what curvature buys ----------------------------------------------------------
def test_newton_lands_on_a_quadratic_in_one_step():
    from gdcore import run
    from gdcore.data import sources as gdata
    from gdcore.models import LinearRegression

    fn = G.valley(1000)
    cfg = G.race_configs(fn, fn.default_init)["Newton's method"]
    res = run(fn, {**cfg, "epochs": 1})
    assert abs(res.params["w1"]) < 1e-12 and abs(res.params["w2"]) < 1e-12
    prob = LinearRegression.from_dataset(gdata.load_sample("cars", standardize=True))
    res = run(prob, {**G.race_configs(prob, prob.default_init)["Newton's method"], "epochs": 1})
    w, b = prob.least_squares
    assert np.allclose([res.params[f"w{j}"] for j in (1, 2, 3)], w, atol=1e-9)
    assert res.params["b"] == pytest.approx(b, abs=1e-9)


def test_race_settings_come_from_the_curvature_at_the_start():
    prob, start, _ = G.race_problem("raw")
    xt = np.column_stack([prob.x, np.ones(prob.n)])
    lam = np.linalg.eigvalsh(xt.T @ xt / (4 * prob.n))[-1]  # σ(0)(1 - σ(0)) = 1/4
    cfg = G.race_configs(prob, start)
    assert cfg["gradient descent"]["optimizer"]["lr"] == pytest.approx(1 / lam, rel=1e-10)
    assert cfg["line search (Armijo)"]["optimizer"]["lr"] == pytest.approx(8 / lam, rel=1e-10)
    assert cfg["line search (Armijo)"]["method"] == {"name": "line_search", "c": 0.5}
    assert cfg["Newton's method"]["method"]["name"] == "newton"


def test_method_race_newton_wins_on_the_ill_conditioned_fit():
    hist, summary = G.method_race("raw", 300)
    by = summary.set_index("method")
    assert by.loc["Newton's method", "reached"] <= 10
    assert pd.isna(by.loc["gradient descent", "reached"])  # κ ≈ 86,000: it crawls
    assert by.loc["gradient descent", "final_excess"] > 0.1
    assert by.loc["Newton's method", "kappa"] > 1e4
    assert (hist["excess"] >= 0).all() and set(hist["method"]) == set(G.RACE_METHODS)
    prob, _, best = G.race_problem("raw")
    assert best == pytest.approx(prob.min_value)
    _, std = G.method_race("standardized", 300)
    assert std.set_index("method")["reached"].notna().all()  # standardized: everyone arrives
    _, rosen = G.method_race("rosenbrock", 300)
    assert rosen.set_index("method").loc["Newton's method", "reached"] <= 40


def test_excess_over_drops_rounding_noise_only():
    best = 0.2558201286274962
    out = G.excess_over([best + 1e-16, best - 1e-16, best + 1e-12, best + 0.5], best)
    assert list(out[:2]) == [0.0, 0.0]
    assert out[2] == pytest.approx(1e-12, rel=1e-3) and out[3] == pytest.approx(0.5)
    assert list(G.excess_over([1e-300, 0.0], 0.0)) == [1e-300, 0.0]  # a 0 optimum: none


@pytest.mark.parametrize("key", ["raw", "standardized"])
def test_newton_gradient_norms_converge_quadratically(key):
    digits = G.newton_digits(key)
    prob, _, _ = G.race_problem(key)
    from gdcore import run
    res = run(prob, {**G.race_configs(prob, prob.default_init)["Newton's method"],
                     "epochs": len(digits) - 1, "max_points": len(digits) + 1})
    params = res.history[list(prob.param_names)].to_numpy()
    for p, g in zip(params, digits["grad_norm"]):  # |∇L| = |X̃ᵀ(σ(X̃p) - y)| / n
        xt = np.column_stack([prob.x, np.ones(prob.n)])
        r = 1 / (1 + np.exp(-(xt @ p))) - prob.y
        # (near 0 both are sums of n rounding errors of rows of size max|x|)
        floor = 1e-14 * np.abs(xt).max()
        assert g == pytest.approx(np.linalg.norm(xt.T @ r) / prob.n, rel=1e-9, abs=floor)
    g = digits["grad_norm"].to_numpy()
    assert g[-1] <= G.NEWTON_TOL_GRAD
    quad = g[(g < 1e-2)]
    assert len(quad) >= 3
    assert np.all(quad[1:] <= 100 * quad[:-1] ** 2)  # |g_{k+1}| <= C |g_k|²
    table = G.doubling(digits)
    assert (table["ratio"].dropna().tail(2) > 1.5).all()  # the exponent nearly doubles


def test_newton_cost_is_measured_from_engine_runs():
    cost = G.newton_cost(dims=(2, 60), n=400, repeats=2)
    assert list(cost.columns) == ["d", "method", "us_per_step", "ratio"]
    assert sorted(set(cost["d"])) == [2, 60]
    assert np.isfinite(cost["us_per_step"]).all() and (cost["us_per_step"] > 0).all()
    table = G.cost_table(cost)
    assert np.allclose(table["ratio"], table["newton_us"] / table["gd_us"])
    # at d = 60 a Newton step also builds a 61 × 61 Hessian from 400 rows and decomposes it
    assert table.set_index("d").loc[60, "ratio"] > 1
    prob = G.feature_problem(7, n=300, seed=1)
    assert prob.x.shape == (300, 7) and set(np.unique(prob.y)) == {0.0, 1.0}


def test_new_lesson_charts_build_strict_specs():
    hist, summary = G.valley_runs(50, 1e-3)
    from lab import landscape as L
    fn = G.valley(50)
    specs = [cc.valley_chart(L.surface(fn, 30), G.valley_path(hist), minimum=(0.0, 0.0),
                             big=True),
             cc.lines_chart(hist, "step", "error", "rate", log_y=True, reference=1e-3),
             cc.margin_chart(G.margin_curves(), G.row_losses([-2.0]), "push",
                             y_title="push"),
             cc.lines_chart(G.newton_cost(dims=(2, 5), n=100, repeats=1), "d", "us_per_step",
                            "method", log_x=True, log_y=True, points=True)]
    for chart in specs:
        text = json.dumps(chart.to_dict(), allow_nan=False)
        assert "NaN" not in text and "Infinity" not in text
    margin = specs[2].to_dict()
    line = next(layer for layer in margin["layer"] if layer["mark"]["type"] == "line")
    assert line["encoding"]["strokeDash"]["scale"]["range"][0] == [1, 0]  # log-loss solid
    cost = specs[3].to_dict()
    assert cost["layer"][0]["encoding"]["x"]["scale"]["type"] == "log"


def test_newton_cost_is_measured_with_one_blas_thread(monkeypatch):
    # issue 16, item 10: BLAS threads spinning on shared cores made d = 50 twenty times slower
    # than d = 100; the measurement now runs with one thread
    from threadpoolctl import threadpool_info

    from lab import lessons

    seen = []
    real = lessons._newton_cost

    def spy(*args):
        seen.extend(pool["num_threads"] for pool in threadpool_info()
                    if pool.get("user_api") == "blas")
        return real(*args)

    monkeypatch.setattr(lessons, "_newton_cost", spy)
    cost = lessons.newton_cost(dims=(2, 5), n=200, repeats=1)
    assert set(cost["d"]) == {2, 5}
    assert seen and set(seen) == {1}


def test_batch_lesson_over_paired_seeds_tells_noise_from_a_real_difference():
    from gdcore.engine import stats
    from lab import lessons as G
    df = G.batch_seeds(0.02, 20, 10, 12)
    assert len(df) == 24 and sorted(df["seed"].unique()) == list(range(1, 13))
    mini, sgd = (df[df["method"] == m] for m in df["method"].unique())
    assert mini["final_loss"].nunique() > 1 and sgd["final_loss"].nunique() > 1  # seeds differ
    v = stats.verdict("mini", "sgd", mini["final_loss"].tolist(), sgd["final_loss"].tolist())
    assert v.clear and v.text.startswith("mini ended lower than sgd")
    again = G.batch_seeds(0.02, 20, 10, 12)
    assert again.equals(df)  # seeded: the same every time
    one = G.batch_seeds(0.02, 20, 10, 1)
    assert "One seed cannot tell" in stats.verdict(
        "mini", "sgd", one["final_loss"].iloc[:1].tolist(), one["final_loss"].iloc[1:].tolist()
    ).text
