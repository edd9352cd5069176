"""Learning-rate sweep: labels, the quadratic's stability threshold (theory: lr > 1 diverges)."""

import numpy as np
import pytest

import gdcore
from gdcore import data
from gdcore.sweep import classify, gd_stability_limit, largest_stable_lr, log_lrs, sweep

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
