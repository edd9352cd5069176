"""Landscape engine: basins of attraction, paths, gradient check, and their chart builders."""

import dataclasses
import json

import altair as alt
import numpy as np
import pandas as pd
import pytest

import gdcore
from gdcore import landscape as L
from ui import landscape_charts as lc

WELL = gdcore.FUNCTIONS["double_well"]


def hump_from_roots():
    """The local maximum of w^4 - 8w^2 + w + 10: the real root of f' = 4w^3 - 16w + 1 with
    f'' < 0."""
    roots = [r.real for r in np.roots([4.0, 0.0, -16.0, 1.0]) if abs(r.imag) < 1e-12]
    return next(r for r in roots if 12 * r * r - 16 < 0)


def test_hump_matches_roots_of_derivative():
    assert L.hump(WELL) == pytest.approx(hump_from_roots(), abs=1e-9)


def test_basins_left_of_hump_global_right_local():
    hump = hump_from_roots()
    glob = next(m for m in WELL.minima if m.is_global)
    loc = next(m for m in WELL.minima if not m.is_global)
    assert glob.params[0] == pytest.approx(-2.03, abs=0.01)
    assert loc.params[0] == pytest.approx(1.97, abs=0.01)
    starts = L.start_grid(-3.0, 3.0, 61)
    df = L.basins(WELL, starts, {"epochs": 2000, "tol_grad": 1e-10,
                                 "optimizer": {"name": "sgd", "lr": 0.01}})
    away = np.abs(df["start"] - hump) > 1e-6
    left = df[away & (df["start"] < hump)]
    right = df[away & (df["start"] > hump)]
    assert len(left) and len(right)
    assert (left["minimum"] == "global").all()
    assert (right["minimum"] == "local").all()
    assert np.allclose(left["final_w"], glob.params[0], atol=1e-4)
    assert np.allclose(right["final_w"], loc.params[0], atol=1e-4)


def test_basins_mark_diverged_starts_as_none():
    df = L.basins(WELL, [0.5, 3.0], {"epochs": 50, "optimizer": {"name": "sgd", "lr": 0.5}})
    assert (df["minimum"] == "none").all()


def test_paths_one_run_per_start_and_optimizer():
    fn = gdcore.FUNCTIONS["himmelblau"]
    df = L.paths(fn, [(0, 0), (-1, -4)], ["sgd", "adam"], {"epochs": 30,
                                                           "optimizer": {"lr": 0.01}})
    assert df["run"].nunique() == 4
    now = L.current_points(df, 10)
    assert len(now) == 4 and (now["step"] <= 10).all()


@pytest.mark.parametrize("name", list(gdcore.FUNCTIONS))
def test_gradient_check_agrees(name):
    fn = gdcore.FUNCTIONS[name]
    p = [0.7, -0.3][: fn.dim]
    chk = L.gradient_check(fn, p, 1e-5)
    assert list(chk["param"]) == list(fn.param_names)
    assert (chk["rel_diff"] < 1e-6).all()
    assert np.allclose(chk["abs_diff"], np.abs(chk["analytic"] - chk["numeric"]))


def test_curve_and_surface_values():
    c = L.curve(WELL, 50)
    assert np.allclose(c["loss"], c["w"] ** 4 - 8 * c["w"] ** 2 + c["w"] + 10)
    fn = gdcore.FUNCTIONS["bowl"]
    s = L.surface(fn, 20)
    assert np.allclose(s["loss"], (s["w1"] - 3) ** 2 + (s["w2"] + 1) ** 2)


def test_parse_points():
    assert L.parse_points("-3, 0.5 3", 1) == [(-3.0,), (0.5,), (3.0,)]
    assert L.parse_points("-1.5 2; 0,0", 2) == [(-1.5, 2.0), (0.0, 0.0)]
    for bad, dim in [("", 1), ("a", 1), ("1 2 3", 2), ("inf", 1)]:
        with pytest.raises(gdcore.ConfigError):
            L.parse_points(bad, dim)


def test_chart_builders_return_charts():
    fn = gdcore.FUNCTIONS["rosenbrock"]
    df = L.paths(fn, [(-1.5, 2.0)], ["sgd"], {"epochs": 20, "optimizer": {"lr": 0.001}})
    surf = L.surface(fn, 30)
    assert np.isfinite(surf["level"]).all()
    ch = lc.contour_chart(surf, df, L.current_points(df, 5), L.minima_frame(fn))
    assert isinstance(ch, alt.LayerChart) and ch.to_dict()
    wdf = L.paths(WELL, [-3, 3], ["sgd"], {"epochs": 20, "optimizer": {"lr": 0.01}})
    assert lc.curve_chart(L.curve(WELL), wdf, L.current_points(wdf, 3),
                          L.minima_frame(WELL)).to_dict()
    bas = L.basins(WELL, [-1, 1], {"epochs": 100, "optimizer": {"lr": 0.01}})
    assert lc.basin_chart(L.curve(WELL), bas, L.minima_frame(WELL), hump=0.06).to_dict()


def _run_scales(spec) -> list:
    """Every colour scale on the field "run" anywhere in a chart spec."""
    found = []
    if isinstance(spec, dict):
        color = spec.get("color")
        if isinstance(color, dict) and color.get("field") == "run":
            found.append(color.get("scale"))
        for value in spec.values():
            found += _run_scales(value)
    elif isinstance(spec, list):
        for value in spec:
            found += _run_scales(value)
    return found


def test_each_run_has_one_colour_on_every_landscape_chart():
    fn = gdcore.FUNCTIONS["himmelblau"]
    df = L.paths(fn, [(0, 0), (-1, -4), (1, 4)], ["sgd", "adam"],
                 {"epochs": 30, "optimizer": {"lr": 0.01}})
    now = L.current_points(df, 10)
    scales = (_run_scales(lc.contour_chart(L.surface(fn, 20), df, now, L.minima_frame(fn))
                          .to_dict())
              + _run_scales(lc.loss_steps_chart(df, 10).to_dict()))
    wdf = L.paths(WELL, [-3, 3], ["sgd", "adam"], {"epochs": 20, "optimizer": {"lr": 0.01}})
    curve_scales = _run_scales(lc.curve_chart(L.curve(WELL), wdf, L.current_points(wdf, 3),
                                              L.minima_frame(WELL)).to_dict())
    assert len(scales) >= 3 and len(curve_scales) >= 2
    assert all(sc == scales[0] for sc in scales)
    assert scales[0]["domain"] == list(pd.unique(df["run"]))
    assert len(set(scales[0]["range"])) == df["run"].nunique()
    assert all(sc["domain"] == list(pd.unique(wdf["run"])) for sc in curve_scales)


# --- gradient check: scale-aware, with a verdict -----------------------------------------------
H_CHOICES = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-10]  # the page's choices


@pytest.mark.parametrize("name", list(gdcore.FUNCTIONS))
@pytest.mark.parametrize("h", H_CHOICES)
def test_gradient_check_at_every_minimum_says_both_zero(name, h):
    """At a minimum both gradients are ≈ 0: the old relative difference, |a − n| / max(|a|,
    |n|), was ≈ 1 there (0.9999 at the double well's). Now both lie within the error bound."""
    fn = gdcore.FUNCTIONS[name]
    for m in fn.minima:
        chk = L.gradient_check(fn, m.params, h)
        assert set(chk["verdict"]) == {"both ≈ 0"}, (m.params, chk)
        assert (chk["abs_diff"] <= chk["error_bound"]).all()
        assert (chk["rel_diff"] <= 1.0).all() and np.isfinite(chk["rel_diff"]).all()


def test_gradient_check_at_the_double_well_minimum_of_the_report():
    glob = next(m for m in WELL.minima if m.is_global)
    chk = L.gradient_check(WELL, glob.params, 1e-5).iloc[0]
    assert abs(chk["analytic"]) < 1e-12 and abs(chk["numeric"]) < 1e-8
    assert chk["verdict"] == "both ≈ 0" and chk["rel_diff"] < 0.5


@pytest.mark.parametrize("name", list(gdcore.FUNCTIONS))
@pytest.mark.parametrize("h", H_CHOICES)
def test_gradient_check_at_generic_points_agrees(name, h):
    fn = gdcore.FUNCTIONS[name]
    rng = np.random.default_rng(7)
    lo, hi = np.array(fn.window).T
    for p in rng.uniform(lo, hi, size=(20, fn.dim)):
        chk = L.gradient_check(fn, p, h)
        assert set(chk["verdict"]) <= {"agree", "both ≈ 0"}, (p, chk)
        assert (chk["abs_diff"] <= chk["error_bound"] + 1e-8 * chk["analytic"].abs()).all()
    chk = L.gradient_check(fn, [0.7, -0.3][: fn.dim], h)
    assert set(chk["verdict"]) == {"agree"}


def test_gradient_check_error_bound_is_central_differences_error():
    """Quadratic: no truncation error (f''' = 0), so the bound is rounding only and shrinks as
    h grows; the quartic double well's central difference is off by exactly h²·f'''/6."""
    quad = gdcore.FUNCTIONS["quadratic"]
    b = [L.gradient_check(quad, [1.0], h)["error_bound"].iloc[0] for h in (1e-8, 1e-4, 1e-1)]
    assert b[0] > b[1] > b[2]
    w = 0.7
    chk = L.gradient_check(WELL, [w], 1e-2).iloc[0]
    assert chk["numeric"] - chk["analytic"] == pytest.approx(1e-4 * 24 * w / 6, rel=1e-6)
    assert chk["error_bound"] >= abs(chk["numeric"] - chk["analytic"])
    assert chk["verdict"] == "agree"


def test_gradient_check_catches_a_wrong_gradient_and_overflow():
    bowl = gdcore.FUNCTIONS["bowl"]
    wrong = dataclasses.replace(bowl, grad=lambda p: np.array([2.002 * (p[0] - 3),
                                                              2 * (p[1] + 1)]))
    chk = L.gradient_check(wrong, [0.5, 0.5], 1e-5)
    assert list(chk["verdict"]) == ["differ", "agree"]
    assert chk["rel_diff"].iloc[0] == pytest.approx(1e-3, rel=1e-3)
    assert list(L.gradient_check(WELL, [1e100], 1e-5)["verdict"]) == ["not finite"]


# --- what a run did, in words ----------------------------------------------------------------
def test_paths_label_a_growing_oscillation_that_the_engine_calls_completed():
    quad = gdcore.FUNCTIONS["quadratic"]
    df = L.paths(quad, [-1.0], ["sgd"], {"epochs": 50, "optimizer": {"lr": 1.05}})
    last = df.iloc[-1]
    assert last["w"] == pytest.approx(4 - 5 * (-1.1) ** 50, rel=1e-9)  # -583
    assert last["status"] == "completed"  # the engine's: it used its 50 steps
    assert last["label"] == "diverged"
    assert last["behaviour"] == "diverging (the oscillation grows every step)"
    calm = L.paths(quad, [-1.0], ["sgd"], {"epochs": 50, "optimizer": {"lr": 0.5}})
    assert set(calm["behaviour"]) == {"converged"} and set(calm["label"]) == {"converged"}


def test_loss_steps_chart_frames_on_runs_that_did_not_diverge_by_label():
    quad = gdcore.FUNCTIONS["quadratic"]
    df = pd.concat([L.paths(quad, [-1.0], ["sgd"], {"epochs": 50, "optimizer": {"lr": lr}})
                    for lr in (0.1, 1.05)], ignore_index=True)
    df["run"] = df["run"] + " lr " + df.groupby("run", sort=False).ngroup().astype(str)
    spec = lc.loss_steps_chart(df, 50).to_dict()
    domain = spec["layer"][0]["encoding"]["y"]["scale"]["domain"]
    assert domain[1] < 100  # the lr 0.1 run's range, not the growing one's 1e5


# --- colours: runs vs minima ------------------------------------------------------------------
def _colours(node) -> set:
    """Every literal colour in a spec (mark colours, fills, strokes, scale ranges), except
    those of the run scale."""
    found = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("color", "fill", "stroke") and isinstance(value, str):
                found.add(value.lower())
            elif key in ("color", "fill", "stroke") and isinstance(value, dict) \
                    and value.get("field") == "run":
                continue
            elif key == "range" and isinstance(value, list):
                found |= {v.lower() for v in value if isinstance(v, str)}
            else:
                found |= _colours(value)
    elif isinstance(node, list):
        for value in node:
            found |= _colours(value)
    return found


def test_minima_and_basins_never_use_a_run_colour():
    from ui.charts import PALETTE
    runs = {c.lower() for c in PALETTE}
    wdf = L.paths(WELL, [-3, -0.2, 0.5, 3], ["sgd"], {"epochs": 30, "optimizer": {"lr": 0.01}})
    mins = L.minima_frame(WELL)
    curve = lc.curve_chart(L.curve(WELL), wdf, L.current_points(wdf, 30), mins).to_dict()
    bas = L.basins(WELL, L.start_grid(-3, 3, 21), {"epochs": 300, "optimizer": {"lr": 0.01}})
    basin = lc.basin_chart(L.curve(WELL), bas, mins, hump=L.hump(WELL)).to_dict()
    assert set(bas["minimum"]) == {"global", "local"}
    for spec in (curve, basin):
        assert not _colours(spec) & runs, _colours(spec) & runs
        text = json.dumps(spec)
        assert "global min" in text and "local min" in text
    # the run scale is the only colour scale on the curve chart, with one legend
    assert {s["domain"][0] for s in _run_scales(curve)} == {wdf["run"].iloc[0]}
    fn = gdcore.FUNCTIONS["himmelblau"]
    df = L.paths(fn, [(0, 0), (1, 4)], ["sgd"], {"epochs": 20, "optimizer": {"lr": 0.01}})
    contour = lc.contour_chart(L.surface(fn, 20), df, L.current_points(df, 5),
                               L.minima_frame(fn)).to_dict()
    assert "resolve" not in contour  # heatmap on fill, runs on color: no duplicate legend
    assert not _colours(contour) & runs


def test_landscape_charts_big_fonts():
    wdf = L.paths(WELL, [-3], ["sgd"], {"epochs": 10, "optimizer": {"lr": 0.01}})
    now = L.current_points(wdf, 10)
    for big, size in ((False, 12), (True, 16)):
        for chart in (lc.curve_chart(L.curve(WELL), wdf, now, L.minima_frame(WELL), big=big),
                      lc.loss_steps_chart(wdf, 5, big=big),
                      lc.basin_chart(L.curve(WELL), L.basins(WELL, [-1.0, 1.0], {"epochs": 50}),
                                     L.minima_frame(WELL), big=big)):
            config = chart.to_dict()["config"]
            assert config["axis"]["labelFontSize"] == size
            assert config["legend"]["labelFontSize"] == size
