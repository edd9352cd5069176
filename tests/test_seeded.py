"""``ui.classroom.seeded``: a widget keeps the user's value across a run that ended before it
was drawn (``st.stop()`` after a refused upload, a rerun that cut the script short, another
page, classroom mode). Streamlit drops such a widget's state; the browser then mounts it again
at its bare default (None for a segmented control) and sends that back, which left the
dashboard's x-axis control at None and every chart failing with ``KeyError: None``
(issue 15, item 3)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _script():
    import streamlit as st

    from ui.classroom import apply_classroom, seeded

    apply_classroom(show_toggle=False)
    if st.session_state.get("stop_early"):
        st.stop()  # like the dashboard when no run could run: the view controls are not drawn
    x = st.segmented_control("x axis", ["step", "epoch", "samples"],
                             key=seeded("x_axis", "step", ["step", "epoch", "samples"]))
    log = st.toggle("Log-scale loss", key=seeded("log", True))
    smooth = st.slider("Smoothing", 0, 50, key=seeded("smooth", 0))
    st.text(f"{x!r} {log!r} {smooth!r}")


def _app() -> AppTest:
    at = AppTest.from_function(_script, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def _shown(at: AppTest) -> str:
    return at.text[0].value


def test_values_survive_a_run_that_did_not_draw_the_widgets():
    at = _app()
    assert _shown(at) == "'step' True 0"
    at.segmented_control(key="x_axis").set_value("samples")
    at.toggle(key="log").set_value(False)
    at.slider(key="smooth").set_value(7)
    at.run()
    assert _shown(at) == "'samples' False 7"
    at.session_state["stop_early"] = True
    at.run()  # the widgets are not drawn: Streamlit forgets their state
    assert not at.text and not at.exception
    at.session_state["stop_early"] = False
    at.run()
    assert not at.exception, at.exception
    assert _shown(at) == "'samples' False 7"  # the user's choices, not the defaults


def test_a_lost_value_sent_back_as_none_is_replaced_by_the_last_good_one():
    at = _app()
    at.segmented_control(key="x_axis").set_value("epoch")
    at.run()
    at.session_state["stop_early"] = True
    at.run()
    at.session_state["stop_early"] = False
    at.session_state["x_axis"] = None  # what a remounted segmented control sends
    at.run()
    assert not at.exception, at.exception
    assert _shown(at).startswith("'epoch' ")
    at.session_state["x_axis"] = "not an option"
    at.run()
    assert _shown(at).startswith("'epoch' ")


def test_a_new_choice_is_kept_after_a_gap():
    at = _app()
    for value in ("epoch", "samples", "step", "epoch"):
        at.segmented_control(key="x_axis").set_value(value)
        at.run()
        at.session_state["stop_early"] = True
        at.run()
        at.session_state["stop_early"] = False
        at.run()
        assert _shown(at).startswith(repr(value) + " "), value
