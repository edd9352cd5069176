"""Chart builders without Streamlit: encodings, honest log scales, divergence marks, bounds."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import gdcore
from ui import charts, charts_space

DATA = {"source": "generate", "n": 200, "seed": 0}


@pytest.fixture(scope="module")
def result():
    return gdcore.run_experiment({"data": DATA, "runs": [
        {"name": "good", "optimizer": {"name": "sgd", "lr": 0.3}, "epochs": 40},
        {"name": "wild", "optimizer": {"name": "sgd", "lr": 1.3}, "epochs": 40},
        {"name": "clipped", "optimizer": {"name": "sgd", "lr": 1.3}, "epochs": 40,
         "clip": {"name": "norm", "max_norm": 0.5}},
    ]})


@pytest.fixture(scope="module")
def status(result):
    return {r.name: r.status for r in result.runs}


def spec(chart) -> dict:
    return json.loads(chart.to_json())


def layers(s: dict) -> list[dict]:
    return s.get("layer", [s])


def rows(s: dict) -> list[dict]:
    return [row for data in s.get("datasets", {}).values() for row in data]


def layer_rows(s: dict, layer: dict) -> list[dict]:
    return s["datasets"][(layer.get("data") or s["data"])["name"]]


def big_history(runs: int = 3, n: int = 100_000) -> pd.DataFrame:
    step = np.arange(n)
    parts = [pd.DataFrame({"run": f"r{i}", "step": step, "epoch": step / 10,
                           "samples": step * 32, "lr": 0.1, "w": 1 - 0.5 ** (step / 1000),
                           "b": 0.5, "loss": 1 + np.exp(-step / 1000), "batch_loss": 1.0,
                           "grad_norm": np.exp(-step / 5000) + 1e-9, "clipped": step % 2 == 0})
             for i in range(runs)]
    return pd.concat(parts, ignore_index=True)


def test_fixture_has_a_diverged_run(status):
    assert status["wild"] == "diverged" and status["good"] != "diverged"


def test_loss_chart_encodings(result, status):
    s = spec(charts.loss_chart(result.history, x="epoch", log=True, status=status))
    line = layers(s)[0]
    enc = line["encoding"]
    assert enc["x"]["field"] == "epoch" and enc["y"]["field"] == "loss"
    assert enc["y"]["scale"]["type"] == "log"
    assert enc["color"]["field"] == "run"
    assert enc["color"]["scale"]["domain"] == ["good", "wild", "clipped"]
    assert {t["field"] for t in enc["tooltip"]} >= {"run", "epoch", "loss"}
    params = s.get("params", []) + line.get("params", [])
    assert params[0]["bind"] == "legend"  # click the legend to highlight a run


def test_loss_chart_x_choices(result):
    for x in charts.X_FIELDS:
        assert layers(spec(charts.loss_chart(result.history, x=x)))[0]["encoding"]["x"][
            "field"] == x
    with pytest.raises(ValueError):
        charts.loss_chart(result.history, x="time")


def test_log_scale_never_sees_zero_negative_or_inf():
    hist = pd.DataFrame({"run": "r", "step": range(6), "epoch": range(6), "samples": range(6),
                         "lr": 0.1, "w": 0.0, "b": 0.0,
                         "loss": [1.0, 0.0, -2.0, math.inf, math.nan, 0.5]})
    s = spec(charts.loss_chart(hist, log=True))
    losses = [r["loss"] for r in rows(s) if "loss" in r]
    assert losses and all(isinstance(v, float) and 0 < v < math.inf for v in losses)
    linear = spec(charts.loss_chart(hist, log=False))
    assert -2.0 in [r["loss"] for r in rows(linear)]  # a linear axis keeps negatives
    assert layers(linear)[0]["encoding"]["y"]["scale"].get("type") is None


def test_grad_chart_log_axis_is_positive(result):
    hist = result.history.copy()
    hist.loc[hist.index[:5], "grad_norm"] = [0.0, -1.0, math.inf, math.nan, 0.0]
    s = spec(charts.grad_chart(hist, clip={"clipped": 0.5}))
    norms = [r["grad_norm"] for r in rows(s) if "grad_norm" in r]
    assert norms and all(0 < v < math.inf for v in norms)


def test_diverged_run_is_drawn_to_its_last_step_and_marked(result, status):
    wild = next(r for r in result.runs if r.name == "wild")
    s = spec(charts.loss_chart(result.history, status=status))
    drawn = [r["step"] for r in rows(s) if r.get("run") == "wild" and "label" not in r]
    assert max(drawn) == wild.diverged_at  # drawn up to where it diverged
    marks = [lay for lay in layers(s) if lay["mark"].get("shape") == "cross"]
    assert marks, "the diverged run has a marker"
    texts = [lay for lay in layers(s) if lay["mark"]["type"] == "text"]
    labels = [r["label"] for lay in texts for r in layer_rows(s, lay)]
    assert labels == [f"diverged at step {wild.diverged_at}"]


def test_no_marker_without_divergence(result):
    s = spec(charts.loss_chart(result.history[result.history.run == "good"],
                               status={"good": "completed"}))
    assert not [lay for lay in layers(s) if lay["mark"]["type"] == "text"]


@pytest.mark.parametrize("builder", ["loss", "lr", "w", "grad"])
def test_point_counts_are_bounded(builder):
    hist = big_history()
    chart = {"loss": lambda: charts.loss_chart(hist, smooth=10),
             "lr": lambda: charts.lr_chart(hist),
             "w": lambda: charts.param_chart(hist, "w", reference=1.0),
             "grad": lambda: charts.grad_chart(hist, clip={"r0": 0.5})}[builder]()
    s = spec(chart)  # would raise MaxRowsError past Altair's 5,000-row limit
    line_rows = layer_rows(s, layers(s)[0])
    assert len(line_rows) <= charts.MAX_POINTS
    for run in ("r0", "r1", "r2"):  # first and last step of every run kept
        steps = [r["step"] for r in line_rows if r["run"] == run]
        assert min(steps) == 0 and max(steps) == 99_999


def test_downsample_keeps_ends_and_order():
    df = pd.DataFrame({"run": ["a"] * 1000 + ["b"] * 3, "step": list(range(1000)) + [0, 1, 2]})
    out = charts.downsample(df, 50)
    a = out[out.run == "a"]["step"].tolist()
    assert len(a) <= 50 and a[0] == 0 and a[-1] == 999 and a == sorted(a)
    assert out[out.run == "b"]["step"].tolist() == [0, 1, 2]


def test_smoothing_draws_over_the_raw_curve(result):
    s = spec(charts.loss_chart(result.history, smooth=5))
    raw, smooth = layers(s)[0], layers(s)[1]
    assert smooth["transform"][0]["window"][0]["op"] == "mean"
    assert smooth["transform"][0]["frame"] == [-4, 0]
    assert smooth["transform"][0]["groupby"] == ["run"]
    assert raw["encoding"]["opacity"]["condition"]["value"] < 1  # raw curve is faint


def test_lr_chart_uses_log_only_for_wide_ranges(result):
    flat = spec(charts.lr_chart(result.history))
    assert layers(flat)[0]["encoding"]["y"]["scale"].get("type") != "log"
    sched = gdcore.run_experiment({"data": DATA, "runs": [{
        "name": "decay", "optimizer": {"name": "sgd", "lr": 0.5}, "epochs": 60,
        "schedule": {"name": "exponential", "gamma": 0.8}}]})
    wide = spec(charts.lr_chart(sched.history))
    assert layers(wide)[0]["encoding"]["y"]["scale"]["type"] == "log"


def test_param_chart_reference_line_and_domain(result, status):
    ref = result.reference["w"]
    s = spec(charts.param_chart(result.history, "w", reference=ref, status=status))
    rules = [lay for lay in layers(s) if lay["mark"]["type"] == "rule"]
    assert [r["value"] for r in layer_rows(s, rules[0])] == [pytest.approx(ref)]
    lo, hi = layers(s)[0]["encoding"]["y"]["scale"]["domain"]
    assert lo <= ref <= hi and hi - lo < 10  # the diverged run's swings do not squash it


def test_fit_chart_renames_odd_column_names():
    odd_x, odd_y = "a.b[0]:x", "<b>y</b> value"
    frame = pd.DataFrame({odd_x: np.arange(10.0), odd_y: 2 * np.arange(10.0) + 1})
    lines = pd.DataFrame({"run": ["r"], "slope": [2.0], "intercept": [1.0]})
    s = spec(charts_space.fit_chart(frame, odd_x, odd_y, lines, reference=(2.0, 1.0)))
    text = json.dumps(s["layer"])
    assert odd_x not in [lay["encoding"]["x"].get("field") for lay in s["layer"]]
    assert all(lay["encoding"]["x"]["field"] == "x" for lay in s["layer"])
    assert s["layer"][0]["encoding"]["x"]["title"] == odd_x  # shown as a plain title
    assert "<b>y</b> value" in text


def test_fit_chart_bounds_points():
    frame = pd.DataFrame({"x": np.linspace(0, 1, 50_000), "y": np.linspace(0, 1, 50_000)})
    lines = pd.DataFrame({"run": ["r"], "slope": [1.0], "intercept": [0.0]})
    s = spec(charts_space.fit_chart(frame, "x", "y", lines))
    assert len(layer_rows(s, s["layer"][0])) == charts_space.MAX_DATA_POINTS


def test_path_chart_marks_minimum_and_paths(result, status):
    surface = charts_space.loss_surface(result.problem, result.history, result.reference,
                                        status=status)
    assert len(surface) == charts_space.GRID**2
    assert surface["loss"].min() >= result.reference_loss - 1e-9
    # the frame holds the reference and the non-diverged paths
    good = result.history[result.history.run == "good"]
    assert surface["w"].min() <= good["w"].min() and surface["w2"].max() >= good["w"].max()
    s = spec(charts_space.path_chart(surface, result.history, result.reference, status=status))
    kinds = [lay["mark"]["type"] for lay in s["layer"]]
    assert kinds.count("rect") == 1 and "line" in kinds
    diamond = next(lay for lay in s["layer"] if lay["mark"].get("shape") == "diamond")
    (point,) = layer_rows(s, diamond)
    assert point["w"] == pytest.approx(result.reference["w"])
    assert point["b"] == pytest.approx(result.reference["b"])
    assert all(lay["mark"].get("clip") for lay in s["layer"] if lay["mark"]["type"] == "line")


def test_style_big_enlarges_fonts(result):
    small = spec(charts.lr_chart(result.history))["config"]["axis"]["labelFontSize"]
    big = spec(charts.lr_chart(result.history, big=True))["config"]["axis"]["labelFontSize"]
    assert big > small
