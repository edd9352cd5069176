"""Landscape engine: basins of attraction, paths, gradient check, and their chart builders."""

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
