"""AppTest for the reference methods on the Loss landscape page: line search and Newton runs
beside the optimizers, each step's trial points replayed by the engine, and the curvature (the
Hessian's eigenvalues and directions, or f″) at the current point of the run shown in detail.

Every number the page shows is checked against an independent truth written here: the trial
table's accepted point against the run's own point in "Where each run is" (the loop's record),
the eigenvalues against the closed-form Hessians and the 2 × 2 eigenvalue formula, f″ against
12w² − 16. Classroom mode keeps these views and no editing control."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

import gdcore
from tests.test_app_pages import LANDSCAPE, editing, load, tables

METHODS = ["line_search", "newton"]
HESSIANS = {  # closed forms
    "rosenbrock": lambda w1, w2: [[2 - 400 * w2 + 1200 * w1 * w1, -400 * w1], [-400 * w1, 200.0]],
    "himmelblau": lambda w1, w2: [[12 * w1 * w1 + 4 * w2 - 42, 4 * (w1 + w2)],
                                  [4 * (w1 + w2), 4 * w1 + 12 * w2 * w2 - 26]],
    "saddle": lambda w1, w2: [[2.0, 0.0], [0.0, 3 * w2 * w2 - 1]],
}


def with_methods(fn: str, opts=("sgd", *METHODS)) -> AppTest:
    at = load(LANDSCAPE)
    at.selectbox(key="ls_fn").set_value(fn).run()
    at.multiselect(key=f"ls_opts_{fn}").set_value(list(opts)).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def specs(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def layer_data(at: AppTest, index: int, pick) -> list:
    """The data (as frames) of the layers of chart ``index`` whose spec ``pick`` accepts."""
    chart = at.get("vega_lite_chart")[index]
    spec = json.loads(chart.proto.spec)
    data = {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas()
            for d in chart.proto.datasets}
    return [data[lay["data"]["name"]] for lay in spec["layer"] if pick(lay)]


def where_table(at: AppTest):
    return next(df for df in tables(at) if "behaviour" in df.columns)


def trial_table(at: AppTest):
    return next((df for df in tables(at) if "outcome" in df.columns), None)


def text(at: AppTest) -> str:
    return "\n".join(str(e.value) for e in (*at.markdown, *at.caption, *at.subheader))


def eig2(h) -> tuple[float, float]:
    a, b, c = h[0][0], h[0][1], h[1][1]
    r = math.hypot((a - c) / 2, b)
    return (a + c) / 2 - r, (a + c) / 2 + r


def numbers_after(label: str, page: str) -> float:
    m = re.search(re.escape(label) + r" = \*\*([-+0-9.e]+)\*\*", page)
    assert m, (label, page[:2000])
    return float(m.group(1))


@pytest.mark.parametrize("fn", ["rosenbrock", "himmelblau", "saddle"])
def test_method_runs_show_trials_whose_accepted_point_is_the_runs_point(fn):
    at = with_methods(fn)
    runs = list(where_table(at)["run"])
    assert any(r.startswith("line search from") for r in runs)
    assert any(r.startswith("Newton from") for r in runs)
    for step in (1, 2, 3):
        at.slider(key="ls_step").set_value(step).run()
        for name in [r for r in runs if not r.startswith("sgd")]:
            at.selectbox(key="ls_grad_run").set_value(name).run()
            assert not at.exception
            trials = trial_table(at)
            assert trials is not None, (name, step)
            assert f"Trials of step {step}: {name}" in text(at)
            row = where_table(at).set_index("run").loc[name]
            taken = trials.iloc[-1]
            assert taken["outcome"] in ("accepted", "taken (out of trials)")
            assert (trials["outcome"].iloc[:-1] == "rejected").all()
            assert taken["w1"] == row["w1"] and taken["w2"] == row["w2"], (name, step)
            assert taken["loss"] == row["loss"]
            # the steps halve from the first trial (the shrink factor's default, 1/2)
            t = trials["t"].to_numpy()
            assert np.allclose(t[1:] / t[:-1], 0.5)
    # the chart draws the trials: the rejected ones (inside the frame) as crosses, and the
    # search directions dashed from each step's start
    at.slider(key="ls_step").set_value(1).run()
    (a1, b1), (a2, b2) = gdcore.FUNCTIONS[fn].window  # the chart's frame
    shown = 0
    for name in [r for r in runs if not r.startswith("sgd")]:
        at.selectbox(key="ls_grad_run").set_value(name).run()
        trials = trial_table(at)
        rejected = trials[(trials["outcome"] == "rejected") & trials["w1"].between(a1, b1)
                          & trials["w2"].between(a2, b2)]
        if len(rejected):
            (points,) = layer_data(at, 0, lambda lay: lay.get("encoding", {}).get(
                "shape", {}).get("field") == "outcome")  # × rejected, ● accepted
            crosses = points[points["outcome"] == "rejected"]
            assert set(zip(rejected["w1"], rejected["w2"])) <= set(
                zip(crosses["w1"], crosses["w2"]))
            shown += len(rejected)
    assert shown, fn  # some first trial too long: the backtracking shows
    assert layer_data(at, 0, lambda lay: lay["mark"].get("strokeDash") == [5, 3])


@pytest.mark.parametrize("fn, point_run", [("rosenbrock", "Newton from (-1.5, 2)"),
                                           ("himmelblau", "Newton from (0, 0)"),
                                           ("saddle", "Newton from (1.5, 0.001)")])
def test_curvature_at_the_chosen_point_matches_the_closed_form_hessian(fn, point_run):
    at = with_methods(fn)
    for step in (0, 1, 4):
        at.slider(key="ls_step").set_value(step).run()
        at.selectbox(key="ls_grad_run").set_value(point_run).run()
        row = where_table(at).set_index("run").loc[point_run]
        lo, hi = eig2(HESSIANS[fn](row["w1"], row["w2"]))
        page = text(at)
        assert numbers_after("λ1", page) == pytest.approx(lo, rel=1e-4, abs=1e-9)
        assert numbers_after("λ2", page) == pytest.approx(hi, rel=1e-4, abs=1e-9)
        shape = ("Bowl" if lo > 0 else "Saddle" if hi > 0 else "Hilltop")
        assert f"**{shape}**" in page
        if lo > 0:
            kappa = float(re.search(r"λ2/λ1 = \*\*([0-9.e+]+)\*\*", page).group(1))
            assert kappa == pytest.approx(hi / lo, rel=1e-3)
        if hi > 0:
            limit = float(re.search(r"2/λ2 = \*\*([0-9.e+-]+)\*\*", page).group(1))
            assert limit == pytest.approx(2 / hi, rel=1e-3)
        # the eigen-directions are drawn through that point (white, dashed where the loss
        # curves down), labelled λ1 and λ2, along the eigenvectors of the closed-form Hessian
        (axes,) = layer_data(at, 0, lambda lay: "strokeDash" in lay.get("encoding", {}))
        assert sorted(set(axes["axis"])) == ["λ1", "λ2"]
        h = np.array(HESSIANS[fn](row["w1"], row["w2"]))
        checked = 0
        for axis, g in axes.groupby("axis"):
            ends = g.sort_values("end")[["w1", "w2"]].to_numpy(float)
            if len(ends) == 2 and np.allclose(ends.mean(axis=0), (row["w1"], row["w2"])):
                seg = ends[1] - ends[0]
                lam = lo if axis == "λ1" else hi
                np.testing.assert_allclose(h @ seg, lam * seg,
                                           atol=1e-6 * max(1, abs(lo), abs(hi)))
                checked += 1
        assert checked >= 1  # (a segment cut at the chart's edge is not centred on the point)


def test_himmelblau_start_is_a_hilltop_and_newton_turns_both_curvatures_round():
    at = with_methods("himmelblau")
    at.slider(key="ls_step").set_value(0).run()
    at.selectbox(key="ls_grad_run").set_value("Newton from (0, 0)").run()
    page = text(at)
    assert "**Hilltop**" in page  # H(0, 0) = diag(-42, -26)
    assert numbers_after("λ1", page) == -42 and numbers_after("λ2", page) == -26
    at.slider(key="ls_step").set_value(1).run()
    assert "were not all ≥ δ" in text(at)  # the modified direction, said in words


def test_double_well_shows_f2_and_the_parabola_and_the_sufficient_decrease_line():
    at = with_methods("double_well")
    at.slider(key="ls_step").set_value(1).run()
    at.selectbox(key="ls_grad_run").set_value("line search from (-3)").run()
    assert not at.exception
    w = float(where_table(at).set_index("run").loc["line search from (-3)", "w"])
    assert numbers_after("f″(w)", text(at)) == pytest.approx(12 * w * w - 16, rel=1e-4)
    trials = trial_table(at)
    # from -3 (f = 16, f′ = -59) the first trial t = 0.1 (ten times the rate 0.01) overshoots
    # to 2.9, where f = 16.3481 > 16 - 1e-4·0.1·59²: rejected; t = 0.05 lands at -0.05
    assert trials["t"].tolist() == pytest.approx([0.1, 0.05])
    assert trials["w"].tolist() == pytest.approx([2.9, -0.05])
    assert trials["loss"].iloc[0] == pytest.approx(2.9**4 - 8 * 2.9**2 + 2.9 + 10)
    assert trials["needed"].iloc[0] == pytest.approx(16 - 1e-4 * 0.1 * 59**2)
    assert trials["outcome"].tolist() == ["rejected", "accepted"]
    curve = specs(at)[0]
    dashes = [lay["mark"].get("strokeDash") for lay in curve["layer"]]
    assert [6, 4] in dashes and [5, 3] in dashes  # the parabola, the Armijo lines
    assert "the sufficient-decrease line" in text(at)


def test_first_trial_step_is_a_setting_of_the_method_and_changes_the_trials():
    at = with_methods("rosenbrock")
    at.slider(key="ls_step").set_value(1).run()
    at.selectbox(key="ls_grad_run").set_value("line search from (-1.5, 2)").run()
    before = trial_table(at)
    assert before["t"].iloc[0] == pytest.approx(0.01)  # ten times the learning rate 0.001
    at.number_input(key="ls_m_line_search_lr_rosenbrock").set_value(1.0).run()
    assert not at.exception
    after = trial_table(at)
    assert after["t"].iloc[0] == 1.0 and len(after) > len(before)
    assert "Off the chart" in text(at)  # a first step of 1 along a gradient of norm 163
    at.number_input(key="ls_lr_rosenbrock").set_value(0.002).run()  # the optimizers' rate
    assert trial_table(at)["t"].iloc[0] == 1.0


def test_an_optimizer_run_in_detail_has_no_trials_and_says_why():
    at = with_methods("saddle")
    at.selectbox(key="ls_grad_run").set_value("sgd from (1.5, 0.001)").run()
    assert trial_table(at) is None
    assert "without trials" in text(at)
    plain = load(LANDSCAPE)  # no method chosen: a hint where to add one
    assert trial_table(plain) is None and "Newton's method" in text(plain)


def test_classroom_mode_keeps_trials_and_curvature_and_no_editing_control():
    at = with_methods("rosenbrock")
    at.number_input(key="ls_m_newton_lr_rosenbrock").set_value(0.5).run()
    at.slider(key="ls_step").set_value(2).run()
    at.selectbox(key="ls_grad_run").set_value("Newton from (-1.5, 2)").run()
    normal = trial_table(at)
    assert ("number_input", "ls_m_newton_lr_rosenbrock") in editing(at)
    at.query_params["classroom"] = "1"
    at.run()
    assert not at.exception and at.session_state["classroom"] is True
    assert not editing(at), editing(at)
    room = trial_table(at)  # st.table in classroom mode: text cells
    assert room is not None and len(room) == len(normal)
    assert "**Curvature at its point" in text(at) and "λ1 = **" in text(at)
    assert "Newton's method (step scale 0.5)" in text(at)
    assert normal["t"].iloc[0] == 0.5  # the Newton step scale set before
    assert room["step t"].tolist() == [f"{t:.5g}" for t in normal["t"]]
    assert room["outcome"].tolist() == normal["outcome"].tolist()


def test_basins_can_use_newtons_method():
    at = with_methods("double_well")
    at.selectbox(key="ls_b_opt").set_value("newton").run()
    assert not at.exception and not at.error
    metrics = {m.label: int(m.value) for m in at.metric}
    assert sum(metrics.values()) == 61  # every start ends somewhere (or nowhere), counted


def test_the_run_in_detail_follows_methods_added_later_unless_the_user_picked_one():
    at = load(LANDSCAPE)
    at.selectbox(key="ls_fn").set_value("rosenbrock").run()
    first = at.selectbox(key="ls_grad_run").value
    assert first.startswith("sgd")  # only optimizers: the first run
    at.multiselect(key="ls_opts_rosenbrock").set_value(["sgd", "adam", "newton"]).run()
    assert at.selectbox(key="ls_grad_run").value.startswith("Newton")  # the page's own pick
    adam = next(o for o in at.selectbox(key="ls_grad_run").options if o.startswith("adam"))
    at.selectbox(key="ls_grad_run").set_value(adam).run()
    at.multiselect(key="ls_opts_rosenbrock").set_value(["sgd", "adam", "newton",
                                                        "line_search"]).run()
    assert not at.exception
    assert at.selectbox(key="ls_grad_run").value == adam  # the user's pick stays
