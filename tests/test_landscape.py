"""Landscape engine: basins of attraction, paths, gradient check, and their chart builders."""

import dataclasses
import json

import altair as alt
import numpy as np
import pandas as pd
import pytest

import gdcore
from lab import landscape as L
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


# --- the reference methods on the landscape: trial points, curvature --------------------------
RUN = {"epochs": 30, "optimizer": {"lr": 0.01}}
METHOD_SETTINGS = {"line_search": {"lr": 1.0}, "newton": {"lr": 1.0}}
STARTS = {"quadratic": [-1.0, 9.5], "double_well": [-3.0, -0.2, 0.5, 3.0],
          "bowl": [(-2, 3), (5.5, 3.5)], "rosenbrock": [(-1.5, 2), (0, -0.5)],
          "himmelblau": [(0, 0), (-1, -4), (1, 4)], "saddle": [(1.5, 1e-3), (-1.5, -1e-3)]}


def _method_paths(name, settings=METHOD_SETTINGS, run=RUN):
    fn = gdcore.FUNCTIONS[name]
    return fn, L.paths(fn, STARTS[name], ["sgd", "line_search", "newton"], run, settings)


@pytest.mark.parametrize("name", list(gdcore.FUNCTIONS))
def test_replayed_trials_end_exactly_at_the_recorded_point_of_every_step(name):
    """The engine's replay of step k (from the point recorded at k - 1) ends where the run's
    own loop went: its last trial is the point recorded at step k, bit for bit."""
    fn, df = _method_paths(name)
    assert set(df["method"]) == {"gd", "line_search", "newton"}
    compared = 0
    for k in range(1, int(df["step"].max()) + 1):
        tr = L.step_trials(fn, df, k, RUN, METHOD_SETTINGS)
        assert set(tr["method"]) <= {"line_search", "newton"}
        for run_name, mine in tr.groupby("run", sort=False):
            taken = mine.sort_values("trial").iloc[-1]
            recorded = df[(df["run"] == run_name) & (df["step"] == k)].iloc[0]
            for p in fn.param_names:
                assert taken[p] == recorded[p], (run_name, k, p)
            assert taken["loss"] == recorded["loss"]
            assert taken["outcome"] in ("accepted", "taken (out of trials)")
            assert (mine.sort_values("trial")["outcome"].iloc[:-1] == "rejected").all()
            compared += 1
    assert compared >= 2 * len(STARTS[name]) * 20  # every method run, most steps


def _backtrack(f, p, g, d, t0, c, shrink, max_trials, slack=0.0):
    """An independent backtracking line search (numpy): the trial steps and their points."""
    p, g, d = (np.asarray(v, dtype=float) for v in (p, g, d))
    f0, slope = f(p), float(g @ d)
    out, t = [], t0
    for _k in range(max_trials):
        q = p + t * d
        fq = f(q)
        ok = np.isfinite(fq) and fq <= f0 + c * t * slope + slack * abs(f0)
        out.append((t, q, fq, ok))
        if ok:
            break
        t *= shrink
    return out


@pytest.mark.parametrize("name", ["rosenbrock", "himmelblau", "double_well", "saddle"])
@pytest.mark.parametrize("c, shrink", [(1e-4, 0.5), (0.5, 0.3)])
def test_trials_match_an_independent_backtracking_search(name, c, shrink):
    """Step t0·shrink^i, point p + t·d (d = -g, or -V diag(1/max(|λ|, δ)) Vᵀ g built here
    from numpy's eigh), Armijo's inequality: the same trials as a separate implementation."""
    settings = {"line_search": {"lr": 0.5, "c": c, "shrink": shrink},
                "newton": {"lr": 1.0, "c": c, "shrink": shrink, "min_curvature": 1e-6}}
    fn, df = _method_paths(name, settings)
    f = fn.loss
    for k in (1, 2, 3, 7):
        tr = L.step_trials(fn, df, k, RUN, settings)
        for run_name, mine in tr.groupby("run", sort=False):
            method = mine["method"].iloc[0]
            p = df[(df["run"] == run_name) & (df["step"] == k - 1)][list(fn.param_names)]
            p = p.to_numpy(dtype=float)[0]
            g = fn.gradient(p)
            if method == "newton":
                lam, vec = np.linalg.eigh(fn.hessian(p))
                d = -(vec @ ((vec.T @ g) / np.maximum(np.abs(lam), 1e-6)))
                expect = _backtrack(f, p, g, d, 1.0, c, shrink, 40, slack=4 * 2.0**-52)
            else:
                expect = _backtrack(f, p, g, -g, 0.5, c, shrink, 40)
            mine = mine.sort_values("trial")
            assert len(mine) == len(expect), (run_name, k)
            for (_, row), (t, q, fq, ok) in zip(mine.iterrows(), expect, strict=True):
                assert row["t"] == t
                np.testing.assert_allclose(row[list(fn.param_names)].to_numpy(float), q,
                                           rtol=1e-13, atol=1e-13)
                assert row["loss"] == pytest.approx(fq, rel=1e-12, abs=1e-12)
                assert (row["outcome"] == "accepted") == ok or (
                    abs(row["loss"] - row["needed"]) < 1e-12 * max(1.0, abs(fq)))
                if row["outcome"] == "rejected":
                    assert not row["loss"] <= row["needed"]
                else:
                    assert row["loss"] <= row["needed"]


def test_line_search_on_the_quadratic_rejects_the_overshoot_then_lands_on_the_minimum():
    """(w - 4)² + 2 from w = -1, g = -10: t = 1 goes to w = 9, the mirror point (loss 27, no
    decrease: rejected); t = 1/2 is 1/f″, the exact minimum w = 4 (accepted)."""
    quad = gdcore.FUNCTIONS["quadratic"]
    df = L.paths(quad, [-1.0], ["line_search"], RUN, METHOD_SETTINGS)
    tr = L.step_trials(quad, df, 1, RUN, METHOD_SETTINGS)
    assert tr["t"].tolist() == [1.0, 0.5]
    assert tr["w"].tolist() == [9.0, 4.0]
    assert tr["loss"].tolist() == [27.0, 2.0]
    assert tr["outcome"].tolist() == ["rejected", "accepted"]
    assert tr["needed"].tolist() == pytest.approx([27 - 1e-4 * 100, 27 - 1e-4 * 50])
    assert (tr["from_w"] == -1.0).all() and (tr["from_loss"] == 27.0).all()


@pytest.mark.parametrize("name, start, minimum", [("quadratic", (-1.0,), (4.0,)),
                                                  ("quadratic", (9.5,), (4.0,)),
                                                  ("bowl", (-2.0, 3.0), (3.0, -1.0)),
                                                  ("bowl", (5.5, 3.5), (3.0, -1.0))])
def test_newton_on_a_quadratic_takes_one_full_step_to_the_minimum(name, start, minimum):
    fn = gdcore.FUNCTIONS[name]
    df = L.paths(fn, [start], ["newton"], RUN, METHOD_SETTINGS)
    tr = L.step_trials(fn, df, 1, RUN, METHOD_SETTINGS)
    assert len(tr) == 1 and tr["t"].iloc[0] == 1.0 and tr["outcome"].iloc[0] == "accepted"
    assert tr[list(fn.param_names)].iloc[0].tolist() == pytest.approx(minimum, abs=1e-12)
    assert int(tr["changed"].iloc[0]) == 0  # positive definite: the plain Newton step


def test_newton_at_the_saddle_turns_the_negative_curvature_round():
    """w1² + w2⁴/4 - w2²/2 near the saddle, w2 = 1e-3: H = diag(2, 3w2² - 1), g = (2 w1,
    w2³ - w2). The plain Newton step goes to w2 - g2/(3w2² - 1) ≈ 0, the saddle point; the
    modified one divides by |3w2² - 1| instead and moves away from it, to 2·w2 (about)."""
    fn = gdcore.FUNCTIONS["saddle"]
    w1, w2 = 1.5, 1e-3
    df = L.paths(fn, [(w1, w2)], ["newton"], RUN, METHOD_SETTINGS)
    tr = L.step_trials(fn, df, 1, RUN, METHOD_SETTINGS)
    g2, h2 = w2**3 - w2, 3 * w2 * w2 - 1
    plain = w2 - g2 / h2
    modified = w2 - g2 / abs(h2)
    assert abs(plain) < 1e-5 * w2  # 2 w2³ / (1 - 3 w2²): all but at the saddle
    assert tr["outcome"].tolist() == ["accepted"] and int(tr["changed"].iloc[0]) == 1
    assert tr["w1"].iloc[0] == pytest.approx(0.0, abs=1e-15)
    assert tr["w2"].iloc[0] == pytest.approx(modified, rel=1e-12)
    assert tr["w2"].iloc[0] == pytest.approx(2 * w2, rel=1e-5)


def test_step_trials_skip_optimizers_the_start_and_stopped_runs():
    fn, df = _method_paths("rosenbrock")
    assert L.step_trials(fn, df, 0, RUN, METHOD_SETTINGS).empty
    last = int(df["step"].max())
    assert L.step_trials(fn, df, last + 1, RUN, METHOD_SETTINGS).empty
    only_gd = df[df["method"] == "gd"]
    assert L.step_trials(fn, only_gd, 3, RUN, METHOD_SETTINGS).empty
    assert set(L.step_trials(fn, df, 3, RUN, METHOD_SETTINGS)["run"]) == set(
        df.loc[df["method"] != "gd", "run"])


def test_method_settings_are_checked_by_the_engine_and_refused_with_the_reason():
    with pytest.raises(gdcore.ConfigError, match="shrink"):
        L.method_hyper("line_search", RUN, {"line_search": {"shrink": 1.5}})
    with pytest.raises(gdcore.ConfigError, match="constant learning rate"):
        L.method_hyper("newton", {**RUN, "schedule": {"name": "step", "step_size": 5}})
    with pytest.raises(gdcore.ConfigError, match="not a reference method"):
        L.method_hyper("adam", RUN)
    hp, t0 = L.method_hyper("newton", RUN, {"newton": {"lr": 0.5, "min_curvature": 1e-3}})
    assert (hp.name, hp.min_curvature, hp.c, t0) == ("newton", 1e-3, 1e-4, 0.5)
    hp, t0 = L.method_hyper("line_search", RUN)  # no settings: the runs' rate, the defaults
    assert (hp.name, hp.c, hp.shrink, hp.max_trials, t0) == ("line_search", 1e-4, 0.5, 40, 0.01)


def test_a_line_search_out_of_trials_takes_its_last_trial_and_says_so():
    fn = gdcore.FUNCTIONS["rosenbrock"]
    settings = {"line_search": {"lr": 1.0, "max_trials": 2}}
    df = L.paths(fn, [(-1.5, 2.0)], ["line_search"], RUN, settings)
    tr = L.step_trials(fn, df, 1, RUN, settings)
    assert tr["outcome"].tolist() == ["rejected", "taken (out of trials)"]
    assert tr["loss"].iloc[-1] > tr["needed"].iloc[-1]
    assert tr["w1"].iloc[-1] == df[df["step"] == 1]["w1"].iloc[0]


def test_trials_off_window_counts_the_trials_off_the_chart():
    fn, df = _method_paths("rosenbrock")
    tr = L.step_trials(fn, df, 1, RUN, METHOD_SETTINGS)
    off = L.trials_off_window(fn, tr)
    (a1, b1), (a2, b2) = fn.window
    for run_name, mine in tr.groupby("run"):
        outside = ~(mine["w1"].between(a1, b1) & mine["w2"].between(a2, b2))
        assert off.get(run_name, 0) == int(outside.sum())
    assert sum(off.values()) > 0  # a first trial of 1 along -g (norm 163) leaves the window


# --- curvature ------------------------------------------------------------------------------
def _eig2(h) -> tuple[float, float]:
    """Eigenvalues of a symmetric 2 × 2 [[a, b], [b, c]] by the closed form."""
    a, b, c = h[0][0], h[0][1], h[1][1]
    r = float(np.hypot((a - c) / 2, b))
    return (a + c) / 2 - r, (a + c) / 2 + r


HESSIANS = {  # closed forms, written here
    "bowl": lambda w1, w2: [[2.0, 0.0], [0.0, 2.0]],
    "rosenbrock": lambda w1, w2: [[2 - 400 * w2 + 1200 * w1 * w1, -400 * w1], [-400 * w1, 200.0]],
    "himmelblau": lambda w1, w2: [[12 * w1 * w1 + 4 * w2 - 42, 4 * (w1 + w2)],
                                  [4 * (w1 + w2), 4 * w1 + 12 * w2 * w2 - 26]],
    "saddle": lambda w1, w2: [[2.0, 0.0], [0.0, 3 * w2 * w2 - 1]],
}


@pytest.mark.parametrize("name", list(HESSIANS))
@pytest.mark.parametrize("p", [(1.0, 1.0), (-1.5, 2.0), (0.0, 0.0), (0.3, -0.7), (3.0, 2.0)])
def test_curvature_eigenvalues_and_directions_match_closed_forms(name, p):
    fn = gdcore.FUNCTIONS[name]
    h = np.array(HESSIANS[name](*p))
    cv = L.curvature(fn, p)
    lo, hi = _eig2(h)
    scale = max(1.0, abs(lo), abs(hi))
    assert cv.values[0] <= cv.values[1]
    assert cv.values == pytest.approx((lo, hi), abs=1e-12 * scale)
    for lam, v in zip(cv.values, cv.vectors, strict=True):
        v = np.asarray(v)
        assert np.linalg.norm(v) == pytest.approx(1.0, abs=1e-12)
        np.testing.assert_allclose(h @ v, lam * v, atol=1e-10 * scale)
    assert abs(np.dot(cv.vectors[0], cv.vectors[1])) < 1e-12
    if lo > 0:
        assert cv.kappa == pytest.approx(hi / lo, rel=1e-12)
    else:
        assert cv.kappa == float("inf")
    assert cv.lr_limit == (pytest.approx(2 / hi, rel=1e-12) if hi > 0 else float("inf"))


@pytest.mark.parametrize("name, p, shape, bends", [
    ("bowl", (0.0, 0.0), "bowl", ("curves up", "curves up")),
    ("rosenbrock", (1.0, 1.0), "bowl", ("curves up", "curves up")),  # the minimum
    ("saddle", (0.0, 0.0), "saddle", ("curves down", "curves up")),  # the saddle point
    ("himmelblau", (0.0, 0.0), "hilltop", ("curves down", "curves down")),  # -42, -26
    ("saddle", (0.0, 1 / np.sqrt(3)), "valley", ("flat", "curves up")),  # 3w2² - 1 = 0
    ("double_well", (-2.0,), "up", ("curves up",)),  # 12·4 - 16 = 32
    ("double_well", (0.0,), "down", ("curves down",)),  # -16
    ("double_well", (np.sqrt(4 / 3),), "straight", ("flat",)),  # the inflection point
])
def test_curvature_shape_in_words(name, p, shape, bends):
    cv = L.curvature(gdcore.FUNCTIONS[name], p)
    assert cv.shape == shape and cv.bends == bends
    assert cv.words  # a sentence for the page
    key = {"bowl": "bowl", "saddle": "saddle", "hilltop": "hilltop", "valley": "valley",
           "up": "curves up", "down": "curves down", "straight": "straight"}[shape]
    assert key in cv.words


def test_double_well_curvature_is_12w2_minus_16():
    for w in (-3.0, -2.03, -0.5, 0.0, 0.7, 1.97, 3.0):
        cv = L.curvature(WELL, [w])
        assert cv.values == pytest.approx((12 * w * w - 16,), abs=1e-12)
        assert cv.lr_limit == (2 / (12 * w * w - 16) if 12 * w * w > 16 else float("inf"))


def test_curvature_axes_are_equal_perpendicular_segments_through_the_point():
    fn = gdcore.FUNCTIONS["rosenbrock"]
    p = (-1.2, 1.5)
    cv = L.curvature(fn, p)
    ax = L.curvature_axes(fn, p, cv)
    assert ax["axis"].tolist() == ["λ1", "λ1", "λ2", "λ2"] and ax["end"].tolist() == [0, 1] * 2
    length = L.AXIS_FRACTION * min(hi - lo for lo, hi in fn.window)
    segs = []
    for _axis, g in ax.groupby("axis"):
        ends = g[["w1", "w2"]].to_numpy(float)
        assert (ends.mean(axis=0) == pytest.approx(p, abs=1e-12))
        seg = ends[1] - ends[0]
        assert np.linalg.norm(seg) == pytest.approx(length, rel=1e-12)
        segs.append(seg)
        lam = g["lam"].iloc[0]
        h = np.array(HESSIANS["rosenbrock"](*p))
        np.testing.assert_allclose(h @ seg, lam * seg, atol=1e-9 * abs(lam) * length)
    assert abs(np.dot(*segs)) < 1e-12
    with pytest.raises(gdcore.ConfigError):
        L.curvature_axes(WELL, [0.0], L.curvature(WELL, [0.0]))


def test_quadratic_model_has_the_value_slope_and_curvature_of_the_function():
    for w0 in (-2.5, 0.0, 1.1):
        m = L.quadratic_model(WELL, [w0])
        w, q = m["w"].to_numpy(), m["loss"].to_numpy()
        dw = w - w0
        f0 = w0**4 - 8 * w0**2 + w0 + 10
        g0 = 4 * w0**3 - 16 * w0 + 1
        h0 = 12 * w0**2 - 16
        np.testing.assert_allclose(q, f0 + g0 * dw + 0.5 * h0 * dw**2, rtol=1e-12, atol=1e-9)
        mid = len(w) // 2
        assert w[mid] == pytest.approx(w0) and q[mid] == pytest.approx(f0)
    quad = gdcore.FUNCTIONS["quadratic"]  # a parabola's own model is itself
    m = L.quadratic_model(quad, [1.0])
    np.testing.assert_allclose(m["loss"], (m["w"] - 4) ** 2 + 2, rtol=1e-12)


# --- the charts with trials and curvature ------------------------------------------------------
def _strict(chart) -> dict:
    spec = chart.to_dict()  # validated against the Vega-Lite schema
    json.dumps(spec, allow_nan=False)
    return spec


def _marks(spec) -> list[dict]:
    return [lay["mark"] for lay in spec["layer"]]


def _is_trials(lay: dict) -> bool:
    """The trial points' layer: its shape follows the outcome (× rejected, ● accepted)."""
    return lay.get("encoding", {}).get("shape", {}).get("field") == "outcome"


def test_contour_chart_draws_trials_and_the_eigen_directions():
    fn, df = _method_paths("rosenbrock")
    k = 1
    tr = L.step_trials(fn, df, k, RUN, METHOD_SETTINGS)
    now = L.current_points(df, k)
    p = now.iloc[2][["w1", "w2"]].tolist()
    cv = L.curvature(fn, p)
    spec = _strict(lc.contour_chart(L.surface(fn, 20), L.at_step(df, k), now,
                                    L.minima_frame(fn), trials=tr,
                                    axes=L.curvature_axes(fn, p, cv)))
    marks = _marks(spec)
    (points,) = [lay for lay in spec["layer"] if _is_trials(lay)]  # one layer
    shape = points["encoding"]["shape"]["scale"]
    assert dict(zip(shape["domain"], shape["range"]))["rejected"] == "cross"
    assert dict(zip(shape["domain"], shape["range"]))["accepted"] == "circle"
    drawn = spec["datasets"][points["data"]["name"]]
    assert {r["outcome"] for r in drawn} == {"rejected", "accepted"}
    assert any(m.get("strokeDash") == [5, 3] for m in marks)  # the search directions
    dash = [lay for lay in spec["layer"] if "strokeDash" in lay.get("encoding", {})]
    assert len(dash) == 1 and dash[0]["encoding"]["strokeDash"]["field"] == "bend"
    text = json.dumps(spec, ensure_ascii=False)
    assert "λ1" in text and "λ2" in text
    plain = _strict(lc.contour_chart(L.surface(fn, 20), L.at_step(df, k), now,
                                     L.minima_frame(fn)))
    assert len(plain["layer"]) < len(marks)


def test_trials_off_the_frame_are_left_out_and_the_segment_is_cut_at_its_edge():
    fn, df = _method_paths("rosenbrock")
    tr = L.step_trials(fn, df, 1, RUN, METHOD_SETTINGS)
    assert sum(L.trials_off_window(fn, tr).values()) > 0
    spec = lc.contour_chart(L.surface(fn, 20), L.at_step(df, 1), L.current_points(df, 1),
                            L.minima_frame(fn), trials=tr)
    (a1, b1), (a2, b2) = fn.window
    datasets = spec.to_dict()["datasets"]
    drawn = 0
    for lay in spec.to_dict()["layer"]:
        mark = lay["mark"]
        if _is_trials(lay) or mark.get("strokeDash") == [5, 3]:
            rows = datasets[lay["data"]["name"]]
            for r in rows:
                assert a1 - 1e-12 <= r["w1"] <= b1 + 1e-12 and a2 - 1e-12 <= r["w2"] <= b2 + 1e-12
                drawn += 1
    inside = len(tr) - sum(L.trials_off_window(fn, tr).values())
    assert drawn >= inside + 2  # every trial inside, plus segment ends


def test_curve_chart_draws_trials_the_armijo_line_and_the_parabola():
    fn, df = _method_paths("double_well", {"line_search": {"lr": 0.1}, "newton": {"lr": 1.0}})
    settings = {"line_search": {"lr": 0.1}, "newton": {"lr": 1.0}}
    tr = L.step_trials(fn, df, 1, RUN, settings)
    assert "rejected" in set(tr["outcome"])  # from -3: t = 0.1 overshoots to 2.9
    now = L.current_points(df, 1)
    spec = _strict(lc.curve_chart(L.curve(fn), L.at_step(df, 1), now, L.minima_frame(fn),
                                  trials=tr, model=L.quadratic_model(fn, [-3.0])))
    marks = _marks(spec)
    (points,) = [lay for lay in spec["layer"] if _is_trials(lay)]
    assert "rejected" in {r["outcome"] for r in spec["datasets"][points["data"]["name"]]}
    assert any(m.get("strokeDash") == [6, 4] for m in marks)  # the parabola
    armijo = [lay for lay in spec["layer"] if lay["mark"].get("strokeDash") == [5, 3]]
    assert len(armijo) == 1
    rows = spec["datasets"][armijo[0]["data"]["name"]]
    first = tr[tr["trial"] == 1]
    starts = {(r["from_w"], r["from_loss"]) for _, r in first.iterrows()}
    # each segment starts at its step's (w, loss) (all inside the frame here) and runs to the
    # first trial's w at the height it had to get under
    assert {(r["w"], r["loss"]) for r in rows if r["end"] == 0} == starts
    ends = {(r["w"], r["needed"]) for _, r in first.iterrows()}
    drawn_ends = {(r["w"], r["loss"]) for r in rows if r["end"] == 1}
    assert drawn_ends and all(any(e == pytest.approx(x) for x in ends) for e in drawn_ends)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e308])
def test_landscape_charts_with_non_finite_trials_stay_strict_json(bad):
    fn, df = _method_paths("himmelblau")
    tr = L.step_trials(fn, df, 2, RUN, METHOD_SETTINGS)
    tr.loc[tr.index[::2], "w1"] = bad
    tr.loc[tr.index[1::3], "loss"] = bad
    tr.loc[tr.index[:1], "from_w2"] = bad
    p = (0.5, 0.5)
    ax = L.curvature_axes(fn, p, L.curvature(fn, p))
    ax.loc[0, "w1"] = bad
    _strict(lc.contour_chart(L.surface(fn, 20), L.at_step(df, 2), L.current_points(df, 2),
                             L.minima_frame(fn), trials=tr, axes=ax))
    wfn, wdf = _method_paths("double_well")
    wtr = L.step_trials(wfn, wdf, 1, RUN, METHOD_SETTINGS)
    wtr.loc[wtr.index[::2], "needed"] = bad
    model = L.quadratic_model(wfn, [0.0])
    model.loc[3, "loss"] = bad
    _strict(lc.curve_chart(L.curve(wfn), L.at_step(wdf, 1), L.current_points(wdf, 1),
                           L.minima_frame(wfn), trials=wtr, model=model))
    empty = L.step_trials(fn, df, 0, RUN, METHOD_SETTINGS)
    _strict(lc.contour_chart(L.surface(fn, 20), df, L.current_points(df, 0),
                             L.minima_frame(fn), trials=empty, axes=ax.iloc[:0]))
