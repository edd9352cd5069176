"""Presets: valid experiments whose learning rates come from the data, and that teach their
lesson on generated and sample data alike."""

from __future__ import annotations

import pytest

import gdcore
from gdcore import presets

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
