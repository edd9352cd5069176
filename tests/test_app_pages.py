"""AppTest for the extra pages: each loads without an exception, and a control changes the output.
(Run from the project root: ``python -m pytest``, so ``gdcore`` and ``ui`` import.)"""

import json

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
    assert at.error and "low < high" in at.error[0].value


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
