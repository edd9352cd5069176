"""The chart view travels in the link (issue 16, item 11): the batch preset opens on epochs
with smoothing 20, and its copied link opened on steps with none and the first preset."""

from __future__ import annotations

from tests.test_app_dashboard import app, by_label, ok, texts


def _param(at, name):
    value = at.query_params.get(name)
    return value[0] if isinstance(value, list) else value


def _load(at, key):
    at.selectbox(key="preset").set_value(key).run()
    by_label(at.button, "Load preset").click().run()
    ok(at)
    return at


def test_a_preset_writes_its_view_into_the_link_and_the_link_opens_on_it():
    at = _load(app(), "batch")
    assert (_param(at, "x"), _param(at, "smooth"), _param(at, "preset")) == ("epoch", "20", "batch")
    assert _param(at, "y") is None and _param(at, "log") is None  # defaults stay out
    params = {k: _param(at, k) for k in ("s", "x", "smooth", "preset")}
    shared = app(**params)  # another browser opens the copied link
    ok(shared)
    assert shared.session_state["x_axis"] == "epoch" and shared.session_state["smooth"] == 20
    assert shared.selectbox(key="preset").value == "batch"
    assert shared.segmented_control(key="x_axis").value == "epoch"
    assert shared.slider(key="smooth").value == 20


def test_changing_the_view_updates_the_link_and_a_default_leaves_it():
    at = app()
    at.toggle(key="log").set_value(False).run()
    at.segmented_control(key="loss_y").set_value("excess").run()
    assert (_param(at, "log"), _param(at, "y")) == ("0", "excess")
    at.toggle(key="log").set_value(True).run()
    assert _param(at, "log") is None and _param(at, "y") == "excess"


def test_a_bad_view_value_is_named_and_the_rest_applied():
    at = app(x="sideways", smooth="500", logx="1", preset="nope")
    ok(at)
    said = texts(at.warning).replace("\u2060", "")
    assert "x='sideways' is not one of step, epoch, samples" in said
    assert "smooth='500' is not a whole number from 0 to 50" in said
    assert "preset='nope' is not one of" in said
    assert at.session_state["log_x"] is True and at.session_state["x_axis"] == "step"
    at.run()  # said once: the same link is not read again
    assert not at.warning or "chart view" not in texts(at.warning)


def test_results_table_never_cuts_numbers_and_pins_the_run():
    # issue 16, item 12: "final b" showed "3306e-16" (cut from the left) at 1400 px
    import json as _json

    at = app()
    frame = next(d for d in at.dataframe if "final loss" in d.value.columns)
    config = _json.loads(frame.proto.columns)
    assert config["run"]["pinned"] is True
    for name, col in config.items():
        if name in ("run", "message", "_index"):
            continue
        width = col.get("width")
        assert isinstance(width, int) and width >= int(7.5 * len(name)) + 28, (name, width)
        if col.get("type_config", {}).get("format") == "%.5g":
            assert width >= 112, name  # "-3.3306e-16" fits


def test_classroom_table_fits_and_messages_go_under_it():
    at = app(classroom="1")
    ok(at)
    room = at.table[-1].value
    assert "message" not in room.columns and "time (ms)" not in room.columns
    assert {"run", "status", "final loss", "steps to converge"} <= set(room.columns)
    said = texts(at.caption)
    assert "**lr too large**: Diverged at step" in said  # the diverged run's message, under it
