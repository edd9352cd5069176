"""Learning-rate sweep: labels, the quadratic's stability threshold (theory: lr > 1 diverges)."""

import numpy as np
import pytest

import gdcore
from gdcore.data import sources as data
from lab.sweep import (
    best_setup,
    classify,
    describe,
    gd_stability_limit,
    largest_stable_lr,
    log_lrs,
    sweep,
)

QUAD = gdcore.FUNCTIONS["quadratic"]
BASE = {"epochs": 200, "init": [-1.0]}


def label(lr, epochs=200):
    res = gdcore.run(QUAD, {**BASE, "epochs": epochs, "max_points": epochs + 2,
                            "optimizer": {"name": "sgd", "lr": lr}})
    return classify(res, QUAD.min_value)


@pytest.mark.parametrize("lr, expected", [
    (0.01, "converged"), (0.1, "converged"), (0.5, "converged"), (0.9, "converged"),
    (0.99, "oscillating"), (1.0, "oscillating"), (1.01, "diverged"), (1.5, "diverged"),
])
def test_quadratic_labels_follow_theory(lr, expected):
    assert label(lr) == expected


def test_largest_stable_lr_agrees_with_theory_closely():
    df = sweep(QUAD, BASE, [0.98, 0.99, 1.0, 1.01, 1.02])
    row = largest_stable_lr(df).iloc[0]
    assert row["largest_stable_lr"] == 1.0
    assert row["first_diverged_lr"] == 1.01
    assert gd_stability_limit(QUAD) == pytest.approx(1.0, rel=1e-6)


def test_largest_stable_lr_within_grid_resolution():
    lrs = log_lrs(1e-3, 3.0, 25)
    row = largest_stable_lr(sweep(QUAD, BASE, lrs)).iloc[0]
    i = int(np.searchsorted(lrs, 1.0))  # lrs[i - 1] <= 1 < lrs[i]
    assert row["largest_stable_lr"] == lrs[i - 1]
    assert row["first_diverged_lr"] == lrs[i]


def test_diverged_runs_are_kept_and_engine_divergence_counts():
    df = sweep(QUAD, BASE, [0.1, 2.0, 50.0])
    assert len(df) == 3
    assert list(df["label"]) == ["converged", "diverged", "diverged"]
    assert (df.loc[df["lr"] == 50.0, "status"] == "diverged").all()


def test_oscillating_settles_into_converged_with_more_steps():
    assert label(0.9, epochs=20) == "oscillating"  # |1 - 2 lr| = 0.8: still bouncing
    assert label(0.9, epochs=400) == "converged"


def test_sweep_tidy_frame_and_progress_on_data():
    ds = data.generate(n=1000, seed=1)
    prob = gdcore.LinearRegression.from_dataset(ds)
    calls = []
    df = sweep(prob, {"epochs": 20}, log_lrs(1e-3, 3, 5),
               variants={"full": {"batch_size": "full"}, "mini": {"batch_size": 32}},
               optimizers=("sgd", "adam"), progress=lambda i, n, s: calls.append((i, n)))
    assert len(df) == 20 and set(df["series"]) == {"full · sgd", "full · adam", "mini · sgd",
                                                   "mini · adam"}
    assert set(df["label"]) <= {"converged", "oscillating", "diverged"}
    assert calls[0] == (0, 20) and calls[-1] == (20, 20)
    assert (df["best_excess"] >= -1e-9).all()
    # full-batch plain GD: theory 2/λmax separates stable from diverged
    theory = gd_stability_limit(prob)
    full = df[df["series"] == "full · sgd"]
    assert (full.loc[full["lr"] > theory * 1.05, "label"] == "diverged").all()
    assert (full.loc[full["lr"] < theory * 0.95, "label"] != "diverged").all()


def test_bad_sweep_input_raises_config_error():
    with pytest.raises(gdcore.ConfigError):
        log_lrs(1.0, 0.1, 5)
    with pytest.raises(gdcore.ConfigError):
        sweep(QUAD, BASE, [0.1, -1.0])
    with pytest.raises(gdcore.ConfigError):
        sweep(QUAD, BASE, [0.1], optimizers=())


def run_quad(lr, epochs):
    return gdcore.run(QUAD, {**BASE, "epochs": epochs, "max_points": epochs + 2,
                             "optimizer": {"name": "sgd", "lr": lr}})


@pytest.mark.parametrize("lr, epochs, words", [
    (0.01, 50, "converging"),
    (0.1, 50, "converging"),
    (0.5, 50, "converged"),
    (0.1, 400, "converged"),
    (0.9, 50, "oscillating, shrinking (converging)"),
    (1.0, 50, "oscillating (not settling)"),
    (1.05, 50, "diverging (the oscillation grows every step)"),
])
def test_describe_says_what_the_run_did(lr, epochs, words):
    assert describe(run_quad(lr, epochs), QUAD.min_value) == words


def test_describe_a_run_the_engine_called_completed_at_w_minus_583():
    """The report: lr 1.05 on (w − 4)² + 2 ends at w = −583 after 50 steps and the engine's
    status is "completed"; each step multiplies w − 4 by −1.1."""
    res = run_quad(1.05, 50)
    assert res.status == "completed"
    assert res.params["w"] == pytest.approx(4 - 5 * (-1.1) ** 50, rel=1e-9)
    assert classify(res, QUAD.min_value) == "diverged"
    assert describe(res, QUAD.min_value) == "diverging (the oscillation grows every step)"


def test_describe_a_run_the_engine_stopped():
    res = run_quad(1.5, 200)
    assert res.status == "diverged"
    assert describe(res, QUAD.min_value) == (
        f"diverged (the oscillation grew; stopped at step {res.diverged_at})")


def test_sweep_with_more_steps_than_history_points_runs():
    """Stochastic on 1,000 rows for 21 epochs is 21,000 updates: more than a history may hold
    (the limit on max_points). The sweep records evenly spread points instead of failing."""
    ds = data.generate(n=1000, seed=1)
    prob = gdcore.LinearRegression.from_dataset(ds)
    df = sweep(prob, {"epochs": 21}, [1e-3, 0.05],
               variants={"stochastic": {"batch_size": 1}})
    assert len(df) == 2 and set(df["label"]) <= {"converged", "oscillating", "diverged"}
    assert (df["steps"] == 21_000).all()


def _logistic(x, y):
    from gdcore.models.logistic import LogisticRegression
    return LogisticRegression(np.asarray(x, dtype=float).reshape(len(y), -1),
                              np.asarray(y, dtype=float))


def test_logistic_stability_limit_is_two_over_the_curvature_at_the_optimum():
    """Against an independent optimum (scikit-learn, no penalty) and the Hessian written out:
    X̃ᵀ diag(s(1 − s)) X̃ / n, X̃ the x columns and a column of ones."""
    from sklearn.linear_model import LogisticRegression as Sk

    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 2)) * [1.0, 3.0]
    y = (x @ [1.5, -0.4] + 0.3 + rng.logistic(size=400) > 0).astype(float)
    fit = Sk(C=np.inf, tol=1e-12, max_iter=10_000).fit(x, y)  # no penalty
    s = 1 / (1 + np.exp(-(x @ fit.coef_[0] + fit.intercept_[0])))
    xt = np.column_stack([x, np.ones(len(x))])
    h = xt.T @ (xt * (s * (1 - s))[:, None]) / len(x)
    limit = gd_stability_limit(_logistic(x, y))
    assert limit == pytest.approx(2 / np.linalg.eigvalsh(h).max(), rel=1e-6)
    # separable classes: the loss has no minimum and so no limit
    assert gd_stability_limit(_logistic([0.0, 1.0, 2.0, 3.0], [0, 0, 1, 1])) == float("inf")


def test_logistic_sweep_is_stable_below_the_limit_and_labels_runs_above():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(300, 1))
    y = (2 * x[:, 0] + rng.logistic(size=300) > 0).astype(float)
    problem = _logistic(x, y)
    limit = gd_stability_limit(problem)
    df = sweep(problem, {"epochs": 300}, limit * np.array([0.1, 0.5, 0.9, 3.0, 10.0, 40.0]))
    below = df[df["lr"] < limit]
    assert (below["label"] == "converged").all()
    assert (below["final_loss"] >= problem.min_value - 1e-12).all()
    assert df.loc[df["lr"] > limit, "label"].isin(["oscillating", "diverged"]).any()


def test_a_sweep_over_the_work_budget_is_refused_before_any_run():
    problem = gdcore.LinearRegression.from_dataset(data.generate(n=100_000, seed=0))
    calls = []
    with pytest.raises(gdcore.ConfigError, match="sweep: this setup makes 25,000,000 updates"):
        sweep(problem, {"epochs": 10, "batch_size": 1}, log_lrs(1e-3, 1e-1, 25),
              progress=lambda *a: calls.append(a))
    assert calls == []  # refused before the first run


def test_range_around_holds_the_limit_within_the_bounds():
    from lab.sweep import range_around
    assert range_around(1.0, 1e-6, 100.0) == (1e-3, 10.0)
    assert range_around(22.0, 1e-6, 100.0) == (0.022, 100.0)  # cut at the highest allowed
    assert range_around(1e-5, 1e-6, 100.0) == (1e-6, 1e-4)  # cut at the lowest allowed


def test_stability_map_matches_heavy_ball_theory_on_generated_data():
    """Full-batch heavy-ball SGD on generated data: every converged run lies left of the theory's
    edge lr < 2(1 + β)/λmax, every run clearly right of it diverged, and the map's limit is
    (1 + β) times plain gradient descent's."""
    import gdcore
    from lab import sweep as S
    ds = gdcore.load_dataset({"source": "generate", "n": 300, "x_spread": 1.5, "seed": 2})
    problem = gdcore.LinearRegression.from_dataset(ds)
    lrs = S.log_lrs(1e-3, 3.0, 24)
    df = S.stability_map(problem, {"epochs": 150, "seed": 0}, lrs)
    assert len(df) == len(lrs) * len(S.MOMENTA)
    base = S.gd_stability_limit(problem)
    for b, limit in zip(df["momentum"], df["limit"]):
        assert limit == pytest.approx((1 + b) * base, rel=1e-12)
    converged = df[df["label"] == "converged"]
    assert len(converged) > 50 and (converged["lr"] < converged["limit"]).all()
    clearly_out = df[df["lr"] > 1.05 * df["limit"]]
    assert len(clearly_out) > 5 and (clearly_out["label"] == "diverged").all()
    with pytest.raises(gdcore.ConfigError, match="momenta"):
        S.stability_map(problem, {"epochs": 5}, lrs, momenta=[1.0])


def test_stability_chart_is_strict_json_and_draws_the_theory_line():
    import json

    import gdcore
    from lab import sweep as S
    from ui import sweep_charts as sc
    df = S.stability_map(gdcore.FUNCTIONS["quadratic"], {"epochs": 60}, S.log_lrs(0.01, 3, 8),
                         momenta=(0.0, 0.5, 0.9))
    spec = sc.stability_chart(df).to_dict()  # validates against the Vega-Lite schema
    json.dumps(spec, allow_nan=False)
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["rect", "line"]


def test_best_setup_keeps_each_series_at_its_lowest_final_loss_that_did_not_diverge():
    ds = data.generate(n=300, seed=4)
    prob = gdcore.LinearRegression.from_dataset(ds)
    variants = {"full": {"batch_size": "full"}, "mini": {"batch_size": 16}}
    base = {"epochs": 15, "seed": 0}
    df = sweep(prob, base, log_lrs(1e-3, 30, 9), variants=variants, optimizers=("sgd", "adam"))
    assert (df["label"] == "diverged").any()  # the grid reaches past the edge
    got = best_setup(df, problem="linear", data={"source": "generate", "n": 300, "seed": 4},
                     base_run=base, variants=variants)
    runs = got["setup"]["runs"]
    assert [r["name"].split(" lr=")[0] for r in runs] == list(dict.fromkeys(df["series"]))
    res = gdcore.run_experiment(got["setup"], engine="python")
    for run_cfg, result in zip(runs, res.runs):
        series = df[(df["series"] == run_cfg["name"].split(" lr=")[0])
                    & (df["label"] != "diverged")]
        lowest = series["final_loss"].min()  # the sweep's own runs are the truth
        at_lowest = series[series["final_loss"] == lowest]
        assert run_cfg["optimizer"]["lr"] == at_lowest["lr"].max()  # ties: the bolder step
        assert result.final_loss == pytest.approx(lowest, rel=1e-12)
        assert run_cfg["batch_size"] == variants[run_cfg["name"].split(" · ")[0]]["batch_size"]


def test_best_setup_leaves_out_a_series_that_always_diverged_and_refuses_when_none_is_left():
    df = sweep(QUAD, BASE, [0.5, 1.5, 3.0], optimizers=("sgd", "adam"))
    df.loc[df["optimizer"] == "sgd", "label"] = "diverged"  # a series with no stable run
    got = best_setup(df, problem="quadratic", data=None, base_run=BASE)
    assert [r["optimizer"]["name"] for r in got["setup"]["runs"]] == ["adam"]
    assert got["notes"] == ["Left out (every run diverged): sgd."]
    assert "data" not in got["setup"]
    df["label"] = "diverged"
    with pytest.raises(gdcore.ConfigError, match="every run diverged"):
        best_setup(df, problem="quadratic", data=None, base_run=BASE)


def test_best_setup_refuses_more_series_than_an_experiment_holds():
    opts = list(gdcore.OPTIMIZER_DEFAULTS)
    variants = {f"v{i}": {} for i in range(3)}
    df = sweep(QUAD, {"epochs": 5}, [0.01, 0.1], variants=variants, optimizers=opts)
    assert df["series"].nunique() > gdcore.limits.MAX_RUNS
    with pytest.raises(gdcore.ConfigError, match="choose fewer variants or optimizers"):
        best_setup(df, problem="quadratic", data=None, base_run={"epochs": 5}, variants=variants)
