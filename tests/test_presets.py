"""Presets: valid experiments whose learning rates come from the data, and that teach their
lesson on generated and sample data alike."""

from __future__ import annotations

import math

import pytest

import gdcore
from lab import presets

DATASETS = [None, {"source": "sample", "name": "anscombe", "standardize": True},
            {"source": "sample", "name": "engel", "standardize": True},
            {"source": "generate", "n": 2000, "slope": -3, "noise": 2, "outliers": 0.05}]


@pytest.mark.parametrize("key", list(presets.PRESETS))
def test_presets_are_valid_and_run(key):
    exp = presets.build(key)
    result = gdcore.run_experiment(exp)
    assert len(result.runs) >= 3
    assert gdcore.parse_experiment(exp).to_dict()["data"] == exp["data"]


@pytest.mark.parametrize("data", DATASETS)
def test_learning_rate_preset(data):
    result = gdcore.run_experiment(presets.build("lr", data=data))
    small, right, large = result.runs
    assert large.status == "diverged" and large.diverged_at is not None
    assert right.status != "diverged" and right.distance < 1e-3
    assert small.distance > 10 * right.distance


@pytest.mark.parametrize("data", DATASETS)
def test_clipping_preset_rescues(data):
    result = gdcore.run_experiment(presets.build("clipping", data=data))
    unclipped, clipped, _ = result.runs
    assert unclipped.status == "diverged"
    assert clipped.status != "diverged"
    assert clipped.final_loss < 1.01 * result.reference_loss + 1e-9


def test_learning_rates_follow_the_curvature():
    ds = gdcore.load_dataset({"source": "generate", "n": 200, "x_spread": 3.0})
    c = presets.curvature(ds)
    lr = presets.build("lr", data={"source": "generate", "n": 200, "x_spread": 3.0})["runs"]
    assert lr[1]["optimizer"]["lr"] == pytest.approx(1 / c.lam_max, rel=0.05)
    assert lr[2]["optimizer"]["lr"] > 2 / c.lam_max


def test_unknown_preset_lists_the_choices():
    with pytest.raises(gdcore.ConfigError, match="'lr'"):
        presets.build("nope")


# --- runs that suit the data -------------------------------------------------------------------
CARS = {"source": "csv", "path": "tests/fixtures/csv/cars_like.csv", "x": "horsepower",
        "y": "mpg"}


def _cars():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    return gdcore.load_dataset({**CARS, "path": str(root / CARS["path"])})


@pytest.mark.parametrize("name, extra", [("sgd", {}), ("momentum", {"momentum": 0.5}),
                                         ("nesterov", {"momentum": 0.7})])
def test_the_stability_limit_is_where_full_batch_runs_start_to_diverge(name, extra):
    ds = _cars()
    c = presets.curvature(ds)
    limit = presets.stable_lr(c, {"name": name, **extra}, "full")
    runs = [{"name": f"{f}", "epochs": 3000, "init": {"w": 0.1, "b": 30.0},
             "optimizer": {"name": name, "lr": f * limit, **extra}} for f in (0.98, 1.02)]
    below, above = gdcore.run_experiment({"runs": runs}, dataset=ds).runs
    assert below.status != "diverged"
    assert above.status == "diverged"


def test_unstable_runs_are_named_with_their_limit():
    c = presets.curvature(_cars())
    runs = presets.build("lr")["runs"]  # chosen for generated data with x of spread 1
    bad = presets.unstable_runs(c, runs)
    assert [b["run"] for b in bad] == ["lr too small", "lr about right", "lr too large"]
    assert all(b["lr"] >= b["limit"] for b in bad)
    adam = [{"name": "a", "optimizer": {"name": "adam", "lr": 10.0}}]
    assert presets.unstable_runs(c, adam) == []  # adaptive: no curvature limit


def test_fitting_the_rates_to_new_data_keeps_the_lesson():
    generated = gdcore.load_dataset(presets.DEFAULT_DATA)
    ds = _cars()
    runs = presets.build("lr")["runs"]
    # every run diverges on the cars data as it is ...
    before = gdcore.run_experiment({"runs": runs}, dataset=ds).runs
    assert {r.status for r in before} == {"diverged"}
    # ... rescaled by the curvatures, each keeps its place: too small / right / too large
    fitted = presets.fit_learning_rates(runs, presets.curvature(ds), presets.curvature(generated))
    small, right, large = gdcore.run_experiment({"runs": fitted}, dataset=ds).runs
    assert large.status == "diverged"
    assert small.status != "diverged" and right.status != "diverged"
    # without knowing the old data, only the unstable runs change, to half their limit
    capped = presets.fit_learning_rates(runs, presets.curvature(ds))
    assert presets.unstable_runs(presets.curvature(ds), capped) == []


def test_a_long_narrow_valley_is_explained():
    ds = _cars()
    note = presets.condition_note(presets.curvature(ds))
    assert note is not None and "Standardizing" in note
    std = gdcore.load_dataset({**CARS, "path": str(_cars_path()), "standardize": True})
    assert presets.condition_note(presets.curvature(std)) is None


def _cars_path():
    from pathlib import Path

    return Path(__file__).resolve().parents[1] / CARS["path"]


def test_a_flat_direction_is_said_without_an_infinite_ratio():
    # issue 16, item 15: "about inf times steeper"
    flat = presets.Curvature(n=10, lam_max=8.0, lam_min=0.0, row_max=4.0, distance=1.0)
    note = presets.condition_note(flat)
    assert "inf" not in note and "flat to rounding" in note and "2/λmax = 0.25" in note
    tiny = presets.Curvature(n=10, lam_max=8.0, lam_min=1e-16, row_max=4.0, distance=1.0)
    assert "flat to rounding" in presets.condition_note(tiny)
    kappa = presets.Curvature(n=10, lam_max=8.0, lam_min=8e-6, row_max=4.0, distance=1.0)
    assert "about 1,000,000 times steeper" in presets.condition_note(kappa)


def test_shortfall_names_the_closest_run_and_a_flipped_slope():
    from types import SimpleNamespace as R

    def run(name, w, b, status="completed", init=None):
        ref = {"w": -5.0, "b": 30.0}
        d = math.hypot(w - ref["w"], b - ref["b"])
        return R(name=name, status=status, distance=d, params={"w": w, "b": b},
                 config=R(init=init))

    ref = {"w": -5.0, "b": 30.0}
    start = math.hypot(5.0, 30.0)
    got = presets.shortfall([run("a", 2.0, 10.0), run("b", 1.0, 20.0),
                             run("c", 1e9, 1e9, "diverged")], ref)
    assert got.closest == "b" and got.distance == pytest.approx(math.hypot(6, 10))
    assert got.start == pytest.approx(start) and got.flipped == (("w", 1.0, -5.0),)
    assert presets.shortfall([run("a", 2.0, 10.0), run("near", -5.0, 29.0)], ref) is None
    assert presets.shortfall([run("c", 1e9, 1e9, "diverged")], ref) is None
    assert presets.shortfall([run("a", 2.0, 10.0)], {}) is None
    far = presets.shortfall([run("a", -4.0, 20.0, init={"w": -5.0, "b": 0.0})], ref)
    assert far.start == pytest.approx(30.0) and far.flipped == ()


def test_lr_floor_note():
    low = presets.Curvature(n=10, lam_max=2.6e9, lam_min=1.0, row_max=4e9, distance=1.0)
    note = presets.lr_floor_note(low)
    assert note.startswith("This data needs learning rates below 1e-9, the smallest the lab "
                           "holds: 1/λmax = 3.8e-10")
    assert presets.lr_floor_note(presets.Curvature(n=10, lam_max=2.0, lam_min=1.0, row_max=4.0,
                                                   distance=1.0)) is None
