"""AppTest tests of the comparison page (dashboard.py): load, edit, upload (good and each bad
CSV), JSON import, shared links, presets and classroom mode."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import gdcore
from gdcore.data import columns
from gdcore.spec import share
from lab import presets
from ui import state, widgets

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")
N_CHARTS = 7  # loss, lr, path, fit, w, b, gradient norm


def app(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def ok(at: AppTest, charts: int = N_CHARTS) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.get("vega_lite_chart")) == charts


def setup_of(at: AppTest) -> dict:
    return at.session_state[state.SETUP]


def texts(elements) -> str:
    return "\n".join(e.value for e in elements).replace("\\", "")


def results(at: AppTest):
    """The results table (the upload preview is another dataframe)."""
    return next(d.value for d in [*at.dataframe, *at.table]
                if "distance to least squares" in d.value.columns)


def by_label(elements, label: str):
    return next(e for e in elements if e.label == label)


def choose_upload(at: AppTest) -> AppTest:
    by_label(at.radio, "Data").set_value("csv")
    return at.run()


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    by_label(at.file_uploader, "CSV file").set_value((name, data, "text/csv"))
    return at.run()


@pytest.fixture(scope="module")
def fresh() -> AppTest:
    return app()


# --- load ------------------------------------------------------------------------------------
def test_page_loads_with_a_comparison(fresh):
    ok(fresh)
    assert not fresh.error
    table = results(fresh)
    assert list(table["run"]) == [r["name"] for r in presets.build("lr")["runs"]]
    assert {"status", "final w", "final b", "distance to least squares", "final loss",
            "best loss", "steps to converge", "time (ms)"} <= set(table.columns)
    assert "diverged" in set(table["status"])  # the default shows a diverged run, marked
    token = fresh.query_params["s"]
    token = token[0] if isinstance(token, list) else token
    assert share.decode(token).to_dict()["runs"] == setup_of(fresh)["runs"]


def test_changing_a_run_reruns_and_updates_the_link():
    at = app()
    by_label(at.number_input, "Learning rate").set_value(0.05)
    at.run()
    ok(at)
    assert setup_of(at)["runs"][0]["optimizer"]["lr"] == 0.05
    token = at.query_params["s"]
    token = token[0] if isinstance(token, list) else token
    assert share.decode(token).runs[0].optimizer.lr == 0.05
    by_label(at.text_input, "Name").set_value("renamed run")
    at.run()
    ok(at)
    assert results(at)["run"].iloc[0] == "renamed run"


def test_invalid_edit_keeps_the_last_working_setup():
    at = app()
    second = setup_of(at)["runs"][1]["name"]
    by_label(at.text_input, "Name").set_value(second)  # two runs with the same name
    at.run()
    ok(at)
    assert "two runs are named" in texts(at.error)
    assert len(set(results(at)["run"])) == 3


def test_only_open_runs_draw_their_forms_and_closed_runs_keep_their_setup():
    """Only an open expander's form is drawn (Streamlit's lazy expander): one run's widgets
    on a fresh page, not every run's; opening another shows its form and edits there apply;
    a closed run goes through unchanged."""
    at = app()
    before = setup_of(at)
    assert len(before["runs"]) == 3
    assert len([n for n in at.number_input if n.label == "Learning rate"]) == 1
    assert [e.label for e in at.sidebar.expander][:3] == [
        "1. lr too small", "2. lr about right", "3. lr too large"]
    at.run()
    assert setup_of(at) == before  # closed runs pass as the setup holds them
    at.session_state["run.v0.1.box"] = True  # the user opens run 2
    at.run()
    ok(at)
    lrs = [n for n in at.number_input if n.label == "Learning rate"]
    assert len(lrs) == 2
    lrs[1].set_value(0.123)
    at.run()
    ok(at)
    after = setup_of(at)
    assert after["runs"][1]["optimizer"]["lr"] == 0.123
    assert after["runs"][0] == before["runs"][0] and after["runs"][2] == before["runs"][2]


def test_a_closed_runs_batch_larger_than_the_data_is_the_whole_data():
    """As the open form does (its caption says so), a closed run's mini-batch larger than the
    data becomes the data's size, instead of a setup the engine refuses."""
    from ui.run_editor import _as_is
    assert _as_is({"name": "a", "batch_size": 64}, 40)["batch_size"] == 40
    assert _as_is({"name": "a", "batch_size": 32}, 40)["batch_size"] == 32
    assert _as_is({"name": "a", "batch_size": "full"}, 40)["batch_size"] == "full"
    assert _as_is({"name": "a", "batch_size": 1}, 40)["batch_size"] == 1


def test_x_axis_log_and_smoothing_controls():
    at = app()
    at.segmented_control(key="x_axis").set_value("samples")
    at.toggle(key="log").set_value(False)
    at.slider(key="smooth").set_value(10)
    at.run()
    ok(at)
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert "samples" in json.dumps(spec["layer"][0]["encoding"]["x"])


def test_add_duplicate_remove_runs():
    at = app()
    by_label(at.button, "Add run").click()
    at.run()
    ok(at)
    assert len(setup_of(at)["runs"]) == 4
    at.button(key="run.v1.0.dup").click()
    at.run()
    assert [r["name"] for r in setup_of(at)["runs"]][:2] == ["lr too small", "lr too small copy"]
    at.button(key="run.v2.0.del").click()
    at.run()
    ok(at)
    assert len(setup_of(at)["runs"]) == 4


def test_loading_a_preset_keeps_the_data():
    at = app()
    by_label(at.number_input, "Rows n").set_value(120)
    at.run()
    at.selectbox(key="preset").set_value("optimizers")
    by_label(at.button, "Load preset").click()
    at.run()
    ok(at)
    assert [r["name"] for r in setup_of(at)["runs"]][:2] == ["SGD", "Momentum"]
    assert setup_of(at)["data"]["n"] == 120


# --- upload ----------------------------------------------------------------------------------
GOOD = b"hours,score\n1,52\n2,55\n3,61\n4,64\n5,70\n6,71\n7,77\n8,80\n"


def test_good_upload_is_used():
    at = choose_upload(app())
    assert "Upload a CSV file" in texts(at.info)
    at = upload(at, "scores.csv", GOOD)
    ok(at)
    assert not at.error
    assert setup_of(at)["data"] == {"source": "csv", "path": "scores.csv", "x": "hours",
                                    "y": "score"}
    assert "8 rows" in texts(at.caption)
    # preview + results (and the runs side by side, in their expander)
    assert len([d for d in at.dataframe if d.key != "runs_table"]) == 2
    assert "cannot travel in a link" in texts(at.info)


BAD = {
    "empty": (b"", "The file is empty"),
    "no numeric column": (b"name,city\nann,paris\nbob,rome\n", "No numeric column"),
    "text in a numeric column": (b"x,y\n1,2\nabc,4\ndef,6\n", "only one numeric column"),
    "single row": (b"x,y\n1,2\n", "Only 1 usable row"),
    "constant x": (b"x,y\n1,2\n1,3\n1,5\n", "constant"),
    "constant x, evenly spaced y": (b"x,y\n1,2\n1,3\n1,4\n", "constant"),
    "binary": (b"PK\x03\x04binary", "Excel"),
    "nan and inf everywhere": (b"x,y\n1,nan\n2,inf\n3,\n", "only one numeric column"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_upload_shows_a_message_and_keeps_previous_data(case):
    data, words = BAD[case]
    at = upload(choose_upload(app()), "good.csv", GOOD)
    before = setup_of(at)["data"]
    at = upload(at, f"{case}.csv", data)
    ok(at)  # no traceback; charts of the previous data still drawn
    assert words.lower() in texts(at.error).lower()
    assert "Still using the previous data" in texts(at.caption)
    assert setup_of(at)["data"] == before
    assert results(at)["run"].tolist() == [r["name"] for r in setup_of(at)["runs"]]


@pytest.mark.parametrize("case, data, words", [
    ("nan-inf", b"x,y\n1,2\n2,nan\n3,inf\n4,8\n5,10\n", "Dropped 2 of 5 rows"),
    ("text cell", b"x,y\n1,2\n2,4\n3,oops\n4,8\n5,10\n", "row 3"),
    ("semicolon", b"x;y\n1;2,5\n2;4,1\n3;7,2\n", "separated by"),
    ("latin-1", "größe,preis\n1,2\n2,4\n3,7\n".encode("latin-1"), "not UTF-8"),
    ("auto-mpg", b"".join(f'{30 - i * 0.5:.1f}   {4 + 2 * (i % 3)}   {100 + 9 * i:.1f}   '
                          f'{70 + 3 * i + i % 4:.1f}   {2000 + 97 * i + (i * i) % 11}.\t'
                          f'"car {i}"\n'.encode() for i in range(40)), "separated by spaces"),
])
def test_fixable_upload_is_used_with_a_note(case, data, words):
    at = upload(choose_upload(app()), f"{case}.csv", data)
    ok(at)
    assert not at.error
    assert words in texts(at.warning)
    assert setup_of(at)["data"]["source"] == "csv"


def test_odd_column_names_are_shown_as_text():
    data = b'"a.b","c:d","e[0]","<b>bold</b> [x](http://e.com)"\n1,2,3,4\n2,4,5,7\n3,7,8,9\n'
    at = upload(choose_upload(app()), "odd.csv", data)
    ok(at)
    assert not at.error
    options = by_label(at.selectbox, "y column").options
    assert "<b>bold</b> [x](http://e.com)" in options and "a.b" in options
    for md in [*at.markdown, *at.caption, *at.warning, *at.info]:
        assert "<b>" not in md.value  # never handed to the page as markup
    by_label(at.selectbox, "y column").set_value("<b>bold</b> [x](http://e.com)")
    at.run()
    by_label(at.multiselect, "x columns").set_value(["e[0]"])
    at.run()
    ok(at)
    assert setup_of(at)["data"]["y"] == "<b>bold</b> [x](http://e.com)"
    assert setup_of(at)["data"]["x"] == "e[0]"
    by_label(at.multiselect, "x columns").set_value(["a.b", "e[0]"])  # a plane: two weights
    at.run()
    # loss, lr, the surface, the weights per feature, w1, w2, b, gradient norm
    ok(at, charts=8)
    assert setup_of(at)["data"]["x"] == ["a.b", "e[0]"]


def test_file_near_the_upload_limit():
    row = b"123456.78901234567,987654.32109876543,555555.55555555555\n"  # < 1,000,000 rows
    n = (widgets.MAX_UPLOAD_BYTES - 100) // len(row)
    assert n < gdcore.limits.MAX_ROWS
    near = b"x,y,z\n" + row[:-1] + b"1\n" + row * (n - 1)
    assert widgets.MAX_UPLOAD_BYTES - len(near) < 1000
    at = upload(choose_upload(app()), "big.csv", near)
    assert not at.exception
    assert "constant" in texts(at.error)  # read in full: the engine saw every row
    over = near + row * 10
    at = upload(at, "too-big.csv", over)
    assert not at.exception
    assert "more than the limit" in texts(at.error)


@pytest.mark.parametrize("csv, x, y", [
    ("x,y\n1,2\n1,3\n1,4\n", "x", "y"),  # named columns win, even when nothing else says
    ("hours,score\n1,52\n2,55\n3,61\n4,64\n", "hours", "score"),  # an evenly spaced x
    ("a,b\n1,1\n1,1\n1,1\n", "a", "b"),  # nothing measured-looking: x first, y last
    ("mpg,cyl,weight,id\n" + "".join(f"{45 - i * 0.5 + (i % 3)},{4 + 2 * (i % 3)},"
                                       f"{2000 + 90 * i + 5 * (i * i % 7)},{i}\n"
                                       for i in range(60)),
     "weight", "mpg"),  # the measured column first; x the most correlated; no code, no id
])
def test_default_columns(csv, x, y):
    table = pd.read_csv(io.StringIO(csv))
    assert widgets.default_columns(table, list(table.columns)) == (x, y)
    guess = columns.guess_line(table, list(table.columns))
    assert (guess.x, guess.y) == (x, y)


def test_upload_function_directly():
    ds = widgets.load_upload(GOOD, "scores.csv", x="hours", y="score")
    assert ds.n == 8 and ds.x_names == ("hours",)
    with pytest.raises(gdcore.GDError):
        widgets.load_upload(b"", "empty.csv")


# --- JSON and links --------------------------------------------------------------------------
def test_loading_a_json_setup():
    at = app()
    exp = presets.build("schedules")
    by_label(at.file_uploader, "Load a setup (JSON)").set_value(
        ("setup.json", json.dumps(exp).encode(), "application/json"))
    at.run()
    ok(at)
    assert [r["name"] for r in setup_of(at)["runs"]] == [r["name"] for r in exp["runs"]]
    assert results(at)["run"].tolist() == [r["name"] for r in exp["runs"]]


@pytest.mark.parametrize("data, words", [
    (b"{not json", "not valid JSON at line 1"),
    (json.dumps({"runs": [{"optimizer": {"name": "adamm"}}]}).encode(), "unknown name 'adamm'"),
    (json.dumps({"problem": "rosenbrock", "runs": [{}]}).encode(), "test function"),
])
def test_bad_json_setup_is_refused(data, words):
    at = app()
    before = setup_of(at)
    by_label(at.file_uploader, "Load a setup (JSON)").set_value(("bad.json", data, "x"))
    at.run()
    ok(at)
    assert words in texts(at.error)
    assert setup_of(at) == before


def test_opening_a_shared_link():
    exp = presets.build("batch", data={"source": "generate", "n": 80, "seed": 4})
    at = app(s=share.encode(exp))
    ok(at)
    assert not at.error
    assert setup_of(at)["data"]["n"] == 80
    assert results(at)["run"].tolist() == [r["name"] for r in exp["runs"]]
    assert by_label(at.number_input, "Rows n").value == 80


@pytest.mark.parametrize("token", ["1garbage", "1" + "A" * 50, "9xyz", "1<script>"])
def test_broken_shared_link_shows_an_error_and_the_default(token):
    at = app(s=token)
    ok(at)
    assert "shared link" in texts(at.error)
    assert [r["name"] for r in setup_of(at)["runs"]] == [
        r["name"] for r in presets.build("lr")["runs"]]


def test_link_with_uploaded_data_asks_for_the_file():
    exp = presets.build("lr")
    exp["data"] = {"source": "csv", "path": "my data.csv", "x": "a", "y": "b"}
    at = app(s=share.encode(exp))
    assert not at.exception
    assert "my data.csv" in texts(at.warning) and "upload" in texts(at.warning)


def test_run_that_does_not_fit_the_data_is_reported():
    exp = presets.build("lr", data={"source": "generate", "n": 20})
    exp["runs"][0]["batch_size"] = 50
    at = app(s=share.encode(exp), classroom="1")  # no editor: the run goes as the link says
    assert not at.exception
    assert "larger than the data" in texts(at.error)
    assert len(results(at)) == 2


def test_classroom_mode_hides_editing_and_survives_in_session():
    at = app(classroom="1")
    ok(at)
    assert at.session_state["classroom"] is True
    assert not [b for b in at.button if b.label == "Add run"]
    assert not [n for n in at.number_input if n.label == "Learning rate"]
    at.query_params.clear()  # a page switch clears the query parameters
    at.run()
    assert at.session_state["classroom"] is True
    at.toggle(key="_classroom_toggle").set_value(False)
    at.run()
    assert at.session_state["classroom"] is False
    assert [b for b in at.button if b.label == "Add run"]


# --- classroom polish ------------------------------------------------------------------------
VIEW_ONLY = {"_classroom_toggle", "x_axis", "loss_y", "log", "log_x", "smooth",
             "highlight"}  # views: they change what is drawn, not the setup
WIDGETS = ("button", "button_group", "checkbox", "color_picker", "date_input", "multiselect",
           "number_input", "radio", "select_slider", "selectbox", "slider", "text_area",
           "text_input", "time_input", "toggle", "file_uploader")


def test_classroom_mode_leaves_no_editing_control():
    at = app(classroom="1")
    ok(at)
    editable = []
    for kind in WIDGETS:
        for w in at.get(kind):
            key = getattr(w, "key", None) or ""
            if kind == "button" and not key:
                continue  # download buttons (no key): they change nothing
            if key not in VIEW_ONLY:
                editable.append((kind, getattr(w, "label", ""), key))
    assert editable == [], editable
    assert at.table  # the results as an HTML table (big text on a projector)


def test_a_preset_opens_on_the_view_that_tells_its_lesson():
    at = app()
    for key, x, y in (("batch", "epoch", "loss"), ("schedules", "epoch", "excess"),
                      ("lr", "step", "loss")):
        at.selectbox(key="preset").set_value(key).run()
        by_label(at.button, "Load preset").click().run()
        ok(at)
        assert at.button_group(key="x_axis").value == x
        assert at.button_group(key="loss_y").value == y
    at.selectbox(key="preset").set_value("schedules").run()
    by_label(at.button, "Load preset").click().run()
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert spec["title"].startswith("Loss above the least-squares loss")
    at.toggle(key="log_x").set_value(True).run()
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert any(lay.get("encoding", {}).get("x", {}).get("scale", {}).get("type") == "symlog"
               for lay in spec["layer"])


def test_an_upload_survives_a_page_switch():
    at = choose_upload(app())
    at = upload(at, "cars.csv", (Path(__file__).parent / "fixtures/csv/cars_like.csv")
                .read_bytes())
    ok(at)
    assert setup_of(at)["data"]["path"] == "cars.csv"
    # a page switch: Streamlit forgets the uploader's file, the session keeps the bytes
    at.switch_page("pages/3_Lessons.py").run()
    at.switch_page("dashboard.py").run()
    ok(at)
    assert "uploaded earlier in this session" in texts(at.caption)
    assert setup_of(at)["data"]["path"] == "cars.csv"
    assert "cars.csv" in texts(at.caption)


def test_first_columns_of_an_upload_are_a_measured_pair():
    at = upload(choose_upload(app()), "cars.csv",
                (Path(__file__).parent / "fixtures/csv/cars_like.csv").read_bytes())
    ok(at)
    assert (setup_of(at)["data"]["x"], setup_of(at)["data"]["y"]) == ("horsepower", "mpg")


def test_the_editor_has_the_stopping_rules_and_cosine_defaults_to_the_run_length():
    at = app()
    at.number_input(key="run.v0.0.tolg").set_value(1e-3).run()
    ok(at)
    run = setup_of(at)["runs"][0]
    assert run["tol_grad"] == 1e-3
    assert results(at)["status"].iloc[0] in ("converged", "completed")
    at.selectbox(key="run.v0.0.sched.name").set_value("cosine").run()
    ok(at)
    assert setup_of(at)["runs"][0]["schedule"]["T_max"] is None  # the run's length
    assert at.checkbox(key="run.v0.0.sched.cosine.T_max.auto").value is True


def test_standardized_data_gives_the_intercept_chart_a_readable_axis():
    """With standardized data b stays at ~1e-17 (rounding noise around 0): the axis must show
    a sensible span, not ticks of 0.00000000000000001."""
    at = app()
    by_label(at.radio, "Data").set_value("sample").run()
    ok(at)
    at.toggle(key=next(t.key for t in at.toggle if t.label == "Standardize x and y")) \
        .set_value(True).run()
    ok(at)
    assert setup_of(at)["data"].get("standardize") is True
    b_chart = json.loads(at.get("vega_lite_chart")[5].proto.spec)
    assert b_chart["title"]["text"].startswith("Learned intercept b")
    domains = [lay["encoding"]["y"]["scale"]["domain"] for lay in b_chart["layer"]
               if "domain" in lay.get("encoding", {}).get("y", {}).get("scale", {})]
    assert domains and all(hi - lo >= 0.1 for lo, hi in domains), domains


def test_a_diverged_run_has_no_vertical_fitted_line():
    at = app(s=share.encode(presets.build("clipping")))
    ok(at)
    import pyarrow as pa

    element = at.get("vega_lite_chart")[3]
    fit_chart = json.loads(element.proto.spec)
    data = {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas()
            for d in element.proto.datasets}
    lines = [data[lay["data"]["name"]] for lay in fit_chart["layer"]
             if lay["mark"]["type"] == "line" and "run" in data[lay["data"]["name"]]]
    assert lines and all("too large lr" not in set(df["run"]) for df in lines)
    notes = [data[lay["data"]["name"]] for lay in fit_chart["layer"]
             if lay["mark"]["type"] == "text"]
    assert notes and "too large lr diverged" in notes[0]["text"].iloc[0]


def test_a_run_highlighted_once_is_highlighted_in_every_chart():
    at = app(s=share.encode(presets.build("optimizers")))
    ok(at)
    name = at.selectbox(key="highlight").options[2]

    def picks(at) -> list:
        found = []
        for c in at.get("vega_lite_chart"):
            spec = json.loads(c.proto.spec)
            found += [p.get("value") for p in spec.get("params", []) if p.get("name") == "pick"]
        return found
    before = picks(at)
    assert len(before) >= 5 and all(v is None for v in before)  # every run chart, none chosen
    at.selectbox(key="highlight").set_value(name).run()
    ok(at)
    after = picks(at)
    assert len(after) == len(before) and all(v == [{"run": name}] for v in after)
    at.selectbox(key="highlight").set_value(None).run()
    assert all(v is None for v in picks(at))
