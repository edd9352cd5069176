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
    assert smooth["encoding"]["y"]["field"] == "smoothed"
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


def _domain(layer: dict, channel: str) -> list[float]:
    return layer["encoding"][channel]["scale"]["domain"]


def test_clip_paths_cuts_at_the_edge_and_marks_where_a_path_leaves():
    df = pd.DataFrame({"run": "r", "step": range(6),
                       "w": [0.0, 1.0, 3.0, 1.0, 0.5, 1e300], "b": 0.5})
    lines, exits = charts.clip_paths(df, "w", "b", (0.0, 2.0, 0.0, 1.0))
    assert lines["w"].between(0.0, 2.0).all() and lines["b"].between(0.0, 1.0).all()
    # the excursion to w = 3 is cut at w = 2 on both sides: two pieces, not one line across
    assert lines.loc[lines["edge"], "w"].tolist() == [2.0, 2.0, 2.0]
    assert lines["piece"].nunique() == 2
    (exit_row,) = exits.to_dict("records")
    assert exit_row["w"] == 2.0 and 4 <= exit_row["step"] < 5  # leaves between steps 4 and 5
    inside = pd.DataFrame({"run": "r", "step": [0, 1], "w": [0.5, 1.0], "b": [0.5, 0.5]})
    lines, exits = charts.clip_paths(inside, "w", "b", (0.0, 2.0, 0.0, 1.0))
    assert len(lines) == 2 and exits.empty


def test_path_chart_marks_a_diverged_run_on_the_frame_edge(result, status):
    """The cross of a diverged run used to sit at its last finite point, far outside the frame,
    where clipping hid it; now it sits where the path leaves the frame."""
    surface = charts_space.loss_surface(result.problem, result.history, result.reference,
                                        status=status)
    s = spec(charts_space.path_chart(surface, result.history, result.reference, status=status))
    (w0, w1), (b0, b1) = _domain(s["layer"][0], "x"), _domain(s["layer"][0], "y")
    cross = next(lay for lay in s["layer"] if lay["mark"].get("shape") == "cross")
    (mark,) = layer_rows(s, cross)
    assert mark["run"] == "wild" and mark["label"] == "diverged at step 21"
    assert w0 <= mark["w"] <= w1 and b0 <= mark["b"] <= b1
    assert mark["w"] in (w0, w1) or mark["b"] in (b0, b1)  # on the edge
    for lay in s["layer"][1:3]:  # the path lines: every point inside the frame
        assert all(w0 <= r["w"] <= w1 and b0 <= r["b"] <= b1 for r in layer_rows(s, lay))


def test_path_chart_of_an_overflowing_surface_is_strict_json():
    """The reported bug: data near 1e150 makes every cell's loss overflow; the colour levels
    were NaN and the browser could not parse the spec."""
    x = np.linspace(0, 1e150, 1000)
    problem = gdcore.LinearRegression(x[:, None], 0.5 * x + 3e149)
    hist = gdcore.run(problem, {"name": "r", "epochs": 3, "optimizer": {"lr": 0.1}}).history
    ref = dict(zip("wb", (float(problem.least_squares[0][0]), problem.least_squares[1])))
    surface = charts_space.loss_surface(problem, hist, ref, status={"r": "diverged"})
    assert np.isinf(surface["loss"]).any()
    s = charts_space.path_chart(surface, hist, ref, status={"r": "diverged"}).to_dict()
    json.dumps(s, allow_nan=False)
    assert all(math.isfinite(v) for v in s["layer"][0]["encoding"]["color"]["scale"]["domain"])


def test_linear_loss_chart_frames_the_runs_that_did_not_diverge(result, status):
    s = spec(charts.loss_chart(result.history, log=False, status=status))
    lo, hi = _domain(layers(s)[0], "y")
    good = result.history[result.history.run != "wild"]["loss"]
    assert lo <= good.min() and good.max() <= hi and hi < 10  # not squashed by 1e8
    assert all(lo <= r["loss"] <= hi for r in layer_rows(s, layers(s)[0]))
    texts = [lay for lay in layers(s) if lay["mark"]["type"] == "text"]
    (mark,) = [r for lay in texts for r in layer_rows(s, lay)]
    wild = next(r for r in result.runs if r.name == "wild")
    assert mark["label"] == f"diverged at step {wild.diverged_at}"
    assert mark["loss"] == pytest.approx(hi)  # at the top edge, where it leaves
    assert mark["last"] > 1e6  # the tooltip still tells its last finite loss


def test_param_chart_cuts_a_diverged_run_at_the_edge(result, status):
    s = spec(charts.param_chart(result.history, "b", reference=result.reference["b"],
                                status=status))
    lo, hi = _domain(layers(s)[0], "y")
    faint = layers(s)[1]
    assert faint["encoding"]["detail"]["field"] == "piece"
    assert all(lo <= r["b"] <= hi for r in layer_rows(s, faint))
    crosses = [lay for lay in layers(s) if lay["mark"].get("shape") == "cross"]
    (mark,) = layer_rows(s, crosses[0])
    assert mark["run"] == "wild" and mark["b"] in (lo, hi)


def test_fit_chart_cuts_steep_lines_to_the_chart():
    frame = pd.DataFrame({"x": np.linspace(0, 1e150, 20), "y": np.linspace(0, 1e150, 20)})
    lines = pd.DataFrame({"run": ["steep", "off", "nan"], "slope": [1e300, 0.0, math.nan],
                          "intercept": [0.0, 1e300, 0.0]})
    s = spec(charts_space.fit_chart(frame, "x", "y", lines, reference=(1.0, 0.0)))
    (y0, y1), (x0, x1) = _domain(s["layer"][0], "y"), _domain(s["layer"][0], "x")
    segs = layer_rows(s, s["layer"][1])
    assert {r["run"] for r in segs} == {"steep"}  # "off" misses the chart, "nan" is not a line
    assert all(x0 <= r["x"] <= x1 and y0 <= r["y"] <= y1 for r in segs)


def test_charts_drop_values_that_are_not_finite():
    hist = pd.DataFrame({"run": "r", "step": range(4), "epoch": range(4), "samples": range(4),
                         "lr": [0.1, math.inf, 0.1, 0.1], "w": [0.0, math.nan, 1e300, -1e300],
                         "b": [0.0, 1.0, math.inf, 2.0], "loss": [1.0, 2.0, 3.0, 4.0],
                         "batch_loss": 1.0, "grad_norm": [1.0, math.inf, 1e308, 0.0],
                         "clipped": False})
    hist["w"] = hist["w"].astype(object)  # object columns keep inf through Altair
    hist.loc[3, "w"] = -math.inf
    for chart in (charts.loss_chart(hist), charts.lr_chart(hist),
                  charts.param_chart(hist, "w", reference=math.nan),
                  charts.param_chart(hist, "b", reference=math.inf),
                  charts.grad_chart(hist, clip={"r": math.inf})):
        text = json.dumps(chart.to_dict(), allow_nan=False)
        assert "Infinity" not in text and "NaN" not in text


# --- ui.sweep_charts, ui.lesson_charts, ui.landscape_charts: legends and projector fonts ------
def _sweep_frame() -> pd.DataFrame:
    from lab.sweep import sweep
    ds = gdcore.data.sources.generate(n=200, seed=0)
    prob = gdcore.LinearRegression.from_dataset(ds)
    return sweep(prob, {"epochs": 5}, [0.01, 0.5, 3.0],
                 variants={"stochastic (batch 1)": {"batch_size": 1},
                           "mini-batch": {"batch_size": 32}},
                 optimizers=("sgd", "momentum"))


def test_sweep_chart_legends_are_not_cut_short():
    from lab.sweep import largest_stable_lr
    from ui import sweep_charts as sc
    df = _sweep_frame()
    s = spec(sc.sweep_chart(df, largest_stable_lr(df), theory=1.0))
    assert s["config"]["legend"]["labelLimit"] == 0  # no ellipsis on "stochastic (batch 1) · …"
    enc = [la.get("encoding", {}) for la in s["layer"]]
    shape = next(e["shape"] for e in enc if "shape" in e)
    assert shape["legend"]["orient"] == "bottom"  # not beside the series' legend, off the edge
    colour = next(e["color"] for e in enc if "color" in e)
    assert colour["scale"]["domain"] == list(dict.fromkeys(df["series"]))
    assert colour["scale"]["range"] == charts.PALETTE[:4]
    # one metric shown: no metric legend; both: a legend with exactly those two
    dash = next(e["strokeDash"] for e in enc if "strokeDash" in e)
    assert dash["legend"] is None and dash["scale"]["domain"] == ["final loss"]
    s2 = spec(sc.sweep_chart(df, metrics=("final", "best")))
    dash = next(la["encoding"]["strokeDash"] for la in s2["layer"]
                if "strokeDash" in la.get("encoding", {}))
    assert dash["scale"]["domain"] == ["final loss", "best loss"] and dash["legend"]


@pytest.mark.parametrize("big, size", [(False, 12), (True, 16)])
def test_page_charts_take_big_fonts_for_a_projector(big, size):
    from lab import lessons as G
    from ui import lesson_charts as cc
    from ui import sweep_charts as sc
    hist, _ = G.lr_runs((0.1, 1.05), 10)
    built = [sc.sweep_chart(_sweep_frame(), big=big),
             cc.lines_chart(hist, "step", "w", "lr", y_domain=(-3, 11), big=big),
             cc.cycle_chart(pd.DataFrame({"w": [0.0, 1.0], "loss": [1.0, 2.0]}),
                            G.cycle_points(G.cycle_steps(-1, 0.1, 3)), big=big),
             cc.plane_chart(G.update_modes(0.05, 5), optimum=G.demo_optimum(), big=big)]
    for chart in built:
        config = spec(chart)["config"]
        assert config["axis"]["labelFontSize"] == size
        assert config["legend"]["labelFontSize"] == size
        assert "title" not in config["legend"]  # the legends keep their titles


def test_smoothing_is_centred_and_never_wider_than_the_run_allows():
    # issue 16, item 9: a trailing 20-point mean on a 30-point run trailed its raw line by
    # about 10 epochs and kinked at epoch 19
    frame = pd.DataFrame({"run": ["a"] * 30 + ["b"] * 300,
                          "step": [*range(30), *range(300)],
                          "loss": [*(100.0 - 3 * np.arange(30)), *(1.0 + 0 * np.arange(300))]})
    out = charts.centred_mean(frame, "loss", 20, "step", ["run"])
    a = out[out["run"] == "a"]
    # a straight line: a centred mean of it is the line itself (no lag), at every point
    np.testing.assert_allclose(a["smoothed"], a["loss"], rtol=0, atol=1e-12)
    # the window on the 30-point run was cut to a third of it: 9 points (half-width 4)
    noisy = frame.assign(loss=np.r_[np.tile([0.0, 3.0], 15), np.ones(300)])
    got = charts.centred_mean(noisy, "loss", 20, "step", ["run"])
    mid = got[(got["run"] == "a")]["smoothed"].to_numpy()[10]
    assert mid == pytest.approx(np.mean(np.tile([0.0, 3.0], 15)[6:15]))
    # the long run keeps the full 20 (19 centred: half-width 9)
    b = charts.centred_mean(frame.assign(loss=np.r_[np.zeros(30), np.arange(300.0) ** 2]),
                            "loss", 20, "step", ["run"])
    v = b[b["run"] == "b"]["smoothed"].to_numpy()
    assert v[100] == pytest.approx(np.mean(np.arange(91.0, 110.0) ** 2))
    assert v[0] == 0.0 and v[-1] == 299.0 ** 2  # the ends are the raw ends


def test_on_a_log_axis_smoothing_keeps_an_exponential_decay_in_place():
    frame = pd.DataFrame({"run": ["a"] * 60, "step": range(60), "loss": 5 * 0.8 ** np.arange(60)})
    out = charts.centred_mean(frame, "loss", 15, "step", ["run"], log=True)
    np.testing.assert_allclose(out["smoothed"], out["loss"], rtol=1e-12)
    lin = charts.centred_mean(frame, "loss", 15, "step", ["run"])
    assert (lin["smoothed"].to_numpy()[5:-5] > out["loss"].to_numpy()[5:-5]).all()
