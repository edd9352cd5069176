"""AppTest for the extra pages: each loads without an exception, and a control changes the output.
(Run from the project root: ``python -m pytest``, so ``gdcore`` and ``ui`` import.)"""

import json
import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

LANDSCAPE = "../pages/1_Loss_landscape.py"
SWEEP = "../pages/2_Learning_rate_sweep.py"
LESSONS = "../pages/3_Lessons.py"


def load(path: str, **query) -> AppTest:
    at = AppTest.from_file(path, default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def specs(at: AppTest) -> list[str]:
    return [json.dumps(c.proto.spec) if hasattr(c.proto, "spec") else str(c.proto)
            for c in at.get("vega_lite_chart")]


def test_landscape_loads_with_charts_and_gradient_check():
    at = load(LANDSCAPE)
    assert len(at.get("vega_lite_chart")) >= 2
    assert not at.error
    assert len(at.dataframe) >= 2  # current points + gradient check


def test_landscape_step_slider_changes_the_current_points():
    at = load(LANDSCAPE)
    before = at.dataframe[0].value.copy()
    at.slider(key="ls_step").set_value(1).run()
    assert not at.exception
    after = at.dataframe[0].value
    assert not before.equals(after)
    assert set(at.dataframe[0].value.columns) >= {"run", "loss"}


def test_landscape_switches_to_2d_and_basins_for_double_well():
    at = load(LANDSCAPE)
    at.selectbox(key="ls_fn").set_value("himmelblau").run()
    assert not at.exception and len(at.get("vega_lite_chart")) >= 2
    at.selectbox(key="ls_fn").set_value("double_well").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    glob = next(v for k, v in metrics.items() if "global" in k)
    loc = next(v for k, v in metrics.items() if "local" in k)
    assert int(glob) > 0 and int(loc) > 0


def test_landscape_play_runs_to_the_end():
    at = load(LANDSCAPE)
    at.slider(key="ls_step").set_value(0).run()
    at.button(key="ls_play").click().run()
    # Play reruns only its fragment, frame after frame; AppTest does not follow fragment
    # reruns, so each frame is one run here
    for _ in range(60):
        if at.slider(key="ls_step").value == at.slider(key="ls_step").max:
            break
        assert at.session_state["ls_playing"]
        at.run()
    assert not at.exception
    assert at.slider(key="ls_step").value == at.slider(key="ls_step").max
    assert not at.session_state["ls_playing"]


def test_landscape_bad_starting_points_show_an_error():
    at = load(LANDSCAPE)
    at.text_input(key="ls_starts_quadratic").set_value("1, two").run()
    assert not at.exception
    assert at.error and "two" in at.error[0].value


def test_sweep_loads_and_controls_change_the_result():
    at = load(SWEEP)
    stable = at.dataframe[0].value
    assert stable["largest_stable_lr"].iloc[0] <= 1.0 < stable["first_diverged_lr"].iloc[0]
    at.slider(key="sw_n").set_value(7).run()
    assert not at.exception
    assert not at.dataframe[0].value.equals(stable)
    at.multiselect(key="sw_opts").set_value(["sgd", "adam"]).run()
    assert len(at.dataframe[0].value) == 2
    assert at.get("download_button")


def test_sweep_page_draws_the_stability_map_inside_the_theory_edge():
    """The learning rate × momentum map on generated data: every converged cell lies left of
    the theory's line lr = 2(1 + β)/λmax, as the page's caption counts them."""
    import json
    at = load(SWEEP)
    at.selectbox(key="sw_problem").set_value("linear regression on data").run()
    assert not at.exception
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    heat = next(s for s in specs if "momentum" in json.dumps(s.get("title", "")))
    assert [layer["mark"]["type"] for layer in heat["layer"]] == ["rect", "line"]
    said = next(c.value for c in at.caption if "converged runs lie" in c.value)
    conv = said.split(" converged runs")[0]
    inside, total = conv.split(" of ")
    assert int(inside) == int(total) > 0


def test_sweep_on_data_with_variants():
    at = load(SWEEP)
    at.selectbox(key="sw_problem").set_value("linear regression on data").run()
    assert not at.exception
    at.multiselect(key="sw_variants").set_value(["full batch", "mini-batch"]).run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 2


def test_sweep_bad_range_shows_error():
    at = load(SWEEP)
    at.number_input(key="sw_lo").set_value(10.0).run()
    assert not at.exception
    assert at.error and "low < high" in as_shown(at.error[0].value)
    assert not at.get("vega_lite_chart")  # and no "Running the sweep" bar left above it
    assert not [e for e in at.get("progress")], at.get("progress")


def test_lessons_every_lesson_renders():
    at = load(LESSONS)
    for name in at.selectbox(key="lesson").options:
        at.selectbox(key="lesson").set_value(name).run()
        assert not at.exception, name
        assert not at.error, name
        assert at.get("vega_lite_chart"), name


def test_lessons_worked_examples_print_engine_numbers():
    at = load(LESSONS)
    assert "first update gives w = 0.0" in at.success[0].value
    at.button(key="cy_next").click().run()
    assert "**Step 2**" in at.markdown[1].value
    at.selectbox(key="lesson").set_value(at.selectbox(key="lesson").options[2]).run()
    text = at.success[0].value
    closed = 4 - 5 * (1 - 2 * 0.01) ** 50
    assert f"w ≈ {closed:.4f}" in text and "oscillates" in text


def test_lessons_control_changes_output():
    at = load(LESSONS)
    at.selectbox(key="lesson").set_value(at.selectbox(key="lesson").options[4]).run()
    before = at.success[0].value
    at.slider(key="rs_n").set_value(20).run()
    assert not at.exception and at.success[0].value != before


@pytest.mark.parametrize("path", [LANDSCAPE, SWEEP, LESSONS])
def test_classroom_mode_hides_editing_controls(path):
    normal = load(path)
    room = load(path, classroom="1")
    assert room.session_state["classroom"] is True
    assert len(room.get("vega_lite_chart")) >= 1
    editing = ("ls_lr_", "sw_lo", "rs_n", "cy_lr", "ls_starts_")
    keys = [w.key or "" for w in room.sidebar.get("number_input") + room.get("number_input")]
    keys += [w.key or "" for w in room.get("slider") + room.get("text_input")]
    assert not any(k.startswith(editing) for k in keys)
    n_inputs = len(normal.get("number_input")) + len(normal.get("slider"))
    assert len(room.get("number_input")) + len(room.get("slider")) < n_inputs


# --- the teacher's report: labels, gradient check, classroom mode ---------------------------
WIDGETS = {"selectbox", "slider", "select_slider", "text_input", "text_area", "number_input",
           "multiselect", "radio", "checkbox", "toggle", "button", "download_button",
           "file_uploader", "date_input", "color_picker", "button_group", "camera_input"}
# views, not settings: which lesson, function or run is shown, the step, Play, what to plot
VIEW_ONLY = {("selectbox", "lesson"), ("selectbox", "ls_fn"), ("selectbox", "ls_grad_run"),
             ("slider", "ls_step"), ("button", "ls_play"), ("button", "cy_next"),
             ("button", "cy_reset"), ("radio", "sw_show"), ("toggle", "_classroom_toggle"),
             ("radio", "cv_problem")}


def controls(at: AppTest) -> list[tuple[str, str, bool]]:
    """Every widget on the page, main area and sidebar: (type, key, disabled)."""
    found, todo = [], [at._tree]
    while todo:
        node = todo.pop()
        todo.extend(getattr(node, "children", {}).values())
        if getattr(node, "type", None) in WIDGETS:
            proto = getattr(node, "proto", None)
            found.append((node.type, getattr(node, "key", None) or "",
                          bool(getattr(proto, "disabled", False))))
    return found


def editing(at: AppTest) -> list[tuple[str, str]]:
    """The widgets that change a setting and can be used."""
    return [(t, k) for t, k, disabled in controls(at) if (t, k) not in VIEW_ONLY and not disabled]


_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")  # CommonMark: a backslash before ASCII punctuation


def as_shown(value):
    """What markdown shows for a text cell of st.table (escapes read, word joiners unseen)."""
    if not isinstance(value, str):
        return value
    return _ESCAPED.sub(r"\1", value).replace("\u2060", "")


def tables(at: AppTest) -> list:
    """Every table's data as a reader sees it: st.dataframe's frames and st.table's
    (classroom mode: markdown cells, read as the browser shows them)."""
    def shown(df):
        out = df.map(as_shown)
        out.columns = [as_shown(c) for c in out.columns]
        if not isinstance(out.index, pd.RangeIndex):
            out.index = [as_shown(i) for i in out.index]
        return out
    return [d.value for d in at.dataframe] + [shown(t.value) for t in at.table]


def page_text(at: AppTest) -> str:
    parts = [e.value for e in (*at.markdown, *at.success, *at.caption, *at.info)]
    parts += [df.to_string() for df in tables(at)]
    return "\n".join(str(p) for p in parts)


def test_lesson_3_labels_lr_105_as_diverging_not_completed():
    at = load(LESSONS)
    at.selectbox(key="lesson").set_value(at.selectbox(key="lesson").options[2]).run()
    summary = next(df for df in tables(at) if "behaviour" in df.columns)
    row = summary[summary["lr"] == 1.05].iloc[0]
    assert row["final_w"] < -500  # oscillating with growing amplitude ...
    assert row["behaviour"] == "diverging (the oscillation grows every step)"
    assert "status" not in summary.columns
    assert "completed" not in page_text(at)  # ... and nowhere called "completed"
    assert "lr 1.05 multiplies it by -1.1: diverging" in at.success[0].value
    ok = summary.set_index("lr")["behaviour"]
    assert ok[0.01] == "converging" and ok[0.9] == "oscillating, shrinking (converging)"


def test_landscape_labels_a_growing_oscillation_and_never_says_completed():
    at = load(LANDSCAPE)
    at.number_input(key="ls_lr_quadratic").set_value(1.05).run()
    assert not at.exception
    now = next(df for df in tables(at) if "behaviour" in df.columns)
    assert set(now["behaviour"]) == {"diverging (the oscillation grows every step)"}
    assert "completed" not in set(now["behaviour"])
    assert "status" not in now.columns


def test_landscape_gradient_check_at_a_minimum_says_both_zero():
    at = load(LANDSCAPE)
    at.selectbox(key="ls_fn").set_value("double_well").run()
    assert not at.exception
    check = next(df for df in tables(at) if "verdict" in df.columns)
    # sgd from -3 has reached the global minimum: both gradients ≈ 0, not "rel. diff 0.9999"
    assert list(check["verdict"]) == ["both ≈ 0"]
    assert float(check["rel_diff"].iloc[0]) < 0.5
    assert float(check["abs_diff"].iloc[0]) <= float(check["error_bound"].iloc[0])
    at.slider(key="ls_step").set_value(3).run()  # mid-way: a real gradient, and they agree
    check = next(df for df in tables(at) if "verdict" in df.columns)
    assert list(check["verdict"]) == ["agree"] and float(check["rel_diff"].iloc[0]) < 1e-6


@pytest.mark.parametrize("path", [LANDSCAPE, SWEEP, LESSONS])
def test_classroom_mode_leaves_no_editing_control(path):
    normal = load(path)
    assert editing(normal), "the default page has editing controls"
    room = load(path, classroom="1")
    assert room.session_state["classroom"] is True
    assert not editing(room), editing(room)


def test_classroom_mode_every_lesson_renders_without_editing_controls():
    for query in ({}, {"classroom": "1"}):
        at = load(LESSONS, **query)
        for name in at.selectbox(key="lesson").options:
            at.selectbox(key="lesson").set_value(name).run()
            assert not at.exception, (query, name)
            assert not at.error, (query, name)
            assert at.get("vega_lite_chart"), (query, name)
            if query:
                assert not editing(at), (name, editing(at))
                assert at.table and not at.dataframe, name  # HTML tables: big on a projector


def test_classroom_mode_on_landscape_double_well_and_sweep_on_data():
    at = load(LANDSCAPE)
    at.selectbox(key="ls_fn").set_value("double_well").run()
    assert ("slider", "ls_b_n_double_well") in editing(at)
    at.query_params["classroom"] = "1"
    at.run()
    assert not at.exception and at.session_state["classroom"] is True
    assert not editing(at), editing(at)
    assert len(at.get("vega_lite_chart")) >= 3  # curve, loss per step, basins
    sweep = load(SWEEP)
    sweep.selectbox(key="sw_problem").set_value("linear regression on data").run()
    assert editing(sweep)
    sweep.query_params["classroom"] = "1"
    sweep.run()
    assert not sweep.exception and not editing(sweep), editing(sweep)
    assert "linear regression on 1,000 rows" in page_text(sweep)


def test_classroom_mode_keeps_the_values_set_before():
    at = load(LESSONS)
    at.selectbox(key="lesson").set_value(at.selectbox(key="lesson").options[4]).run()
    at.slider(key="rs_n").set_value(20).run()
    assert "of 20 restarts" in at.success[0].value
    at.query_params["classroom"] = "1"
    at.run()
    assert not at.exception and not editing(at)
    assert "of 20 restarts" in at.success[0].value
    land = load(LANDSCAPE)
    land.number_input(key="ls_lr_quadratic").set_value(0.3).run()
    land.query_params["classroom"] = "1"
    land.run()
    assert "learning rate 0.3" in page_text(land)


def test_sweep_series_table_has_labels_and_formatted_columns():
    at = load(SWEEP)
    at.multiselect(key="sw_opts").set_value(["sgd", "adam"]).run()
    table = at.dataframe[0].value
    assert {"series", "largest_stable_lr", "first_diverged_lr", "converged", "oscillating",
            "diverged"} <= set(table.columns)
    config = at.dataframe[0].proto.columns
    assert "%.4g" in config and "largest stable lr" in config


# --- lessons 8-10 (issue 12): conditioning, the classification loss, what curvature buys ------
def lesson(at: AppTest, number: int) -> AppTest:
    box = at.selectbox(key="lesson")
    box.set_value(next(o for o in box.options if o.startswith(f"{number} ·"))).run()
    assert not at.exception and not at.error, number
    return at


def test_lesson_8_steps_match_the_closed_form_and_survive_classroom_mode():
    import math

    def best(kappa, tol=1e-3):  # |w_k - w*| = ((κ-1)/(κ+1))^k |w_0 - w*| at the best rate
        return math.ceil(math.log(1 / tol) / math.log((kappa + 1) / (kappa - 1)))

    def slow(kappa, tol=1e-3):  # lr 1/λmax: w2 gone in one step, w1 × (1 - 1/κ) per step
        return math.ceil(math.log(9 / (tol * math.hypot(9, 3))) / -math.log(1 - 1 / kappa))

    at = lesson(load(LESSONS), 8)
    text = at.success[0].value
    assert f"{slow(100):,} steps to reach 0.001" in text and f"{best(100)} steps" in text
    assert "(κ−1)/(κ+1) = 0.9802" in text
    assert len(at.get("vega_lite_chart")) == 2
    at.select_slider(key="cd_kappa").set_value(10).run()
    assert not at.exception
    text = at.success[0].value
    assert f"{slow(10)} steps to reach" in text and f"{best(10)} steps (theory {best(10)}" in text
    cure = at.success[1].value
    assert "Standardizing takes κ from 1.21e+09 to 32.3" in cure
    at.query_params["classroom"] = "1"
    at.run()
    assert not at.exception and not editing(at)
    assert f"{slow(10)} steps to reach" in at.success[0].value
    assert "κ = **10**" in page_text(at)


def test_lesson_9_pushes_match_the_closed_form():
    import math

    at = lesson(load(LESSONS), 9)
    at.slider(key="ce_margin").set_value(-4.0).run()
    assert not at.exception
    s = 1 / (1 + math.exp(4.0))  # σ(-4)
    text = at.success[0].value
    assert f"log-loss pushes its logit with {1 - s:.3g}" in text
    assert f"squared error of σ(z) with {2 * s * (1 - s) ** 2:.3g}" in text
    assert "0/1 loss with 0:" in text
    fit = at.success[1].value
    assert "89.1%" in fit and "best possible is 0.2558" in fit
    at.selectbox(key="ce_data").set_value("separable").run()
    assert not at.exception and "towards 0 without reaching it" in at.success[1].value
    assert len(at.get("vega_lite_chart")) == 4


def test_lesson_10_every_problem_and_the_price_table():
    at = lesson(load(LESSONS), 10)
    titles = at.radio(key="cv_problem").options
    assert len(titles) == 3 and any("Rosenbrock" in t for t in titles)
    import numpy as np

    lam = np.linalg.eigvalsh([[802.0, -400.0], [-400.0, 200.0]])  # Rosenbrock's at (1, 1)
    for key in ("standardized", "rosenbrock", "raw"):  # set by value, shown by title
        at.radio(key="cv_problem").set_value(key).run()
        assert not at.exception and not at.error, key
        if key == "rosenbrock":
            assert f"κ at the optimum = {lam[1] / lam[0]:,.3g}" in page_text(at)
        race = next(df for df in tables(at) if "us_per_step" in df.columns)
        assert list(race["method"]) == ["gradient descent", "line search (Armijo)",
                                        "Newton's method"]
        assert "Newton needs" in at.success[0].value
    cost = next(df for df in tables(at) if "newton_us" in df.columns)
    assert list(cost["d"]) == [2, 5, 10, 20, 50, 100, 200]
    assert ((cost["newton_us"] / cost["gd_us"] - cost["ratio"]).abs() < 1e-9).all()
    at.query_params["classroom"] = "1"
    at.run()
    assert not at.exception and not editing(at) and at.radio(key="cv_problem")


def test_sweep_on_classes_offers_a_range_around_the_theory_limit():
    """Logistic regression on the breast-cancer sample: the default range ends below 2/λmax,
    the page says so and its button moves the range around it; then the edge shows (runs
    above the limit oscillate or diverge, runs well below converge)."""
    at = load(SWEEP)
    at.selectbox(key="sw_problem").set_value("logistic regression on data").run()
    assert not at.exception and not at.error
    limit = float(re.search(r"2/λmax = ([0-9.]+)", at.info[0].value).group(1))
    assert float(at.number_input(key="sw_hi").value) < limit
    at.button(key="sw_cover").click().run()
    assert not at.exception and not at.error and not at.info
    lo, hi = at.number_input(key="sw_lo").value, at.number_input(key="sw_hi").value
    assert lo < limit < hi
    runs = next(d.value for d in at.dataframe if "label" in d.value.columns)
    assert set(runs["label"][runs["lr"] < limit / 2]) == {"converged"}
    assert set(runs["label"][runs["lr"] > limit]) & {"oscillating", "diverged"}
