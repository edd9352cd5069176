"""AppTest tests of the comparison page with several x columns, with logistic regression and
with the reference methods (issue 12): the task switch, the data pickers, the positive class,
the method editor, the parameter plane, links and imports. Numbers on the page are checked
against the engine's independent references (numpy least squares, the IRLS optimum)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

import gdcore
from gdcore.models.logistic import LogisticRegression
from gdcore.spec import share
from lab import presets
from ui import state

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")
CANCER = {"source": "sample", "name": "breast_cancer", "x": ["mean radius", "mean texture"],
          "y": "diagnosis", "standardize": True, "positive": "malignant"}


def app(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def linked(setup: dict) -> AppTest:
    return app(s=share.encode(setup))


def setup_of(at: AppTest) -> dict:
    return at.session_state[state.SETUP]


def by_label(elements, label: str):
    return next(e for e in elements if e.label == label)


def table(at: AppTest):
    return next(d.value for d in [*at.dataframe, *at.table] if "final loss" in d.value.columns)


def clean(at: AppTest, charts: int) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert len(at.get("vega_lite_chart")) == charts


def captions(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption).replace("\\", "")


def test_switching_the_task_to_classification_and_back():
    at = app()
    by_label(at.get("button_group"), "Task").set_value("logistic").run()
    # loss, accuracy, surface, decision boundary, w1, w2, b, lr, gradient norm
    clean(at, 9)
    setup = setup_of(at)
    assert setup["problem"] == "logistic" and setup["data"]["source"] == "classes"
    t = table(at)
    assert {"accuracy", "distance to optimum", "final w1", "final w2", "final b"} <= set(t.columns)
    # the page's reference is the engine's IRLS optimum on the same data
    ds = gdcore.load_dataset(setup["data"], problem="logistic")
    ref = LogisticRegression.from_dataset(ds).reference
    np.testing.assert_allclose(_values(captions(at), "Optimum (Newton", ["w1", "w2", "b"]), ref,
                               rtol=1e-4, atol=1e-9)
    assert t["accuracy"].between(0, 1).all()
    assert not at.warning  # the preset was built for this data: no "too large" note
    by_label(at.get("button_group"), "Task").set_value("linear").run()
    clean(at, 7)
    assert setup_of(at)["problem"] == "linear"
    assert "distance to least squares" in table(at).columns


def test_several_x_columns_give_a_weight_each_against_least_squares():
    at = app()
    by_label(at.radio, "Data").set_value("sample").run()
    by_label(at.selectbox, "Sample").set_value("cars").run()
    x_cols = by_label(at.multiselect, "x columns")
    assert x_cols.value == ["Horsepower", "Weight_in_lbs", "Acceleration"]  # the sample's own
    # loss, lr, surface, weights per feature, w1 w2 w3 b, gradient norm
    clean(at, 9)
    setup = setup_of(at)
    assert setup["data"]["x"] == ["Horsepower", "Weight_in_lbs", "Acceleration"]
    ds = gdcore.load_dataset(setup["data"])
    xt = np.column_stack([ds.x, np.ones(ds.n)])
    answer = np.linalg.lstsq(xt, ds.y, rcond=None)[0]
    text = captions(at)
    shown = _values(text, "Least squares:", ["w1", "w2", "w3", "b"])
    np.testing.assert_allclose(shown, answer, rtol=1e-4, atol=1e-9)  # 5 digits on the page
    assert "condition number" in text  # the Hessian's eigenvalues, under the surface
    x_cols.set_value(["Weight_in_lbs"]).run()  # back to one column: a line again
    clean(at, 7)
    assert setup_of(at)["data"]["x"] == "Weight_in_lbs"


def test_the_surface_can_be_drawn_on_any_two_parameters():
    at = linked(presets.build("methods", data={
        "source": "sample", "name": "cars", "standardize": True}))
    clean(at, 9)
    by_label(at.selectbox, "Surface: across").set_value("w3").run()
    by_label(at.selectbox, "and").set_value("b").run()
    by_label(at.selectbox, "others held at").set_value("Newton").run()
    clean(at, 9)
    titles = [json.loads(c.proto.spec).get("title", "") for c in at.get("vega_lite_chart")]
    assert {"text": "Loss across w3 and b",
            "subtitle": "others at Newton's last point · ◆ least squares, ○ start"} in titles


def test_breast_cancer_and_the_positive_class():
    at = linked(presets.build("optimizers", data=CANCER, problem="logistic"))
    clean(at, 9)
    ref = np.array(_reference_values(captions(at)))
    pick = by_label(at.radio, "Counts as 1 (the class predicted)")
    assert pick.value == "malignant"
    pick.set_value("benign").run()
    assert not at.exception
    assert setup_of(at)["data"]["positive"] == "benign"
    flipped = np.array(_reference_values(captions(at)))
    # swapping the labels turns the model round: every weight and the intercept change sign
    np.testing.assert_allclose(flipped, -ref, rtol=1e-4, atol=1e-4)


def _values(text: str, start: str, names: list[str]) -> list[float]:
    """The numbers the page's reference line gives for ``names`` ("w1 = 1.23, ...")."""
    line = next(t for t in text.split("\n") if t.startswith(start))
    pairs = dict(part.split(" = ", 1) for part in line.split(": ", 1)[1].split(", ")
                 if " = " in part)
    return [float(pairs[nm].split()[0].rstrip(",.")) for nm in names]


def _reference_values(text: str) -> list[float]:
    return _values(text, "Optimum (Newton", ["w1", "w2", "b"])


def test_a_run_switched_to_newton_lands_on_least_squares():
    at = app()
    by_label(at.selectbox, "Method").set_value("newton").run()
    assert not at.exception
    run = setup_of(at)["runs"][0]
    assert run["method"]["name"] == "newton"
    assert run.get("batch_size", "full") == "full" and run["clip"]["name"] == "none"
    by_label(at.number_input, "Step scale (1 = the full Newton step)").set_value(1.0).run()
    t = table(at)
    row = t[t["run"] == run["name"]].iloc[0]
    assert row["distance to least squares"] < 1e-9  # one Newton step on a quadratic
    assert row["status"] in ("completed", "converged")


def test_separable_classes_are_said_to_have_no_optimum():
    setup = presets.build("lr", data={"source": "classes", "n": 60, "features": 2,
                                      "separation": 12.0, "seed": 1}, problem="logistic")
    at = linked(setup)
    assert not at.exception and not at.error
    assert "can be separated by a line" in captions(at)
    assert table(at)["distance to optimum"].isna().all()


def test_a_logistic_setup_file_is_imported():
    at = app()
    setup = presets.build("methods", data=CANCER, problem="logistic")
    by_label(at.file_uploader, "Load a setup (JSON)").set_value(
        ("setup.json", json.dumps(setup).encode(), "application/json")).run()
    assert not at.exception and not at.error
    assert setup_of(at)["problem"] == "logistic"
    assert [r["name"] for r in setup_of(at)["runs"]] == [r["name"] for r in setup["runs"]]


def test_an_upload_with_text_classes():
    def outcome(i: int) -> str:  # overlapping classes: no line separates them
        return "yes" if (i * 7) % 13 > 6 - (i % 3) else "no"

    rows = ["age,dose,outcome"] + [f"{20 + i % 50},{(i * 7) % 13},{outcome(i)}"
                                   for i in range(80)]
    at = app()
    by_label(at.get("button_group"), "Task").set_value("logistic").run()
    by_label(at.radio, "Data").set_value("csv").run()
    by_label(at.file_uploader, "CSV file").set_value(
        ("trial.csv", "\n".join(rows).encode(), "text/csv")).run()
    assert not at.exception and not at.error
    data = setup_of(at)["data"]
    assert data["y"] == "outcome" and data["positive"] in ("yes", "no")
    assert by_label(at.selectbox, "y column").options == ["outcome"]  # the two-valued column


def test_an_uncleaned_class_upload_drops_unlabelled_rows_and_skips_the_id():
    """The breast-cancer file as people find it (an id column first, M/B labels, a blank
    label, Windows line ends): the unlabelled row is dropped with a note naming it, x is the
    measured column that follows the classes most closely (not the id), and the optimum on
    the page is the IRLS optimum of exactly the rows kept."""
    lines = (Path(__file__).resolve().parents[1] / "data" / "breast_cancer.csv").read_text(
        ).splitlines()
    body = [f"{842302 + i},{line.replace('malignant', 'M').replace('benign', 'B')}"
            for i, line in enumerate(lines[1:])]
    body[5] = body[5].rsplit(",", 1)[0] + ","  # row 6 has no label
    raw = ("\r\n".join(["id," + lines[0], *body]) + "\r\n").encode()
    at = app()
    by_label(at.get("button_group"), "Task").set_value("logistic").run()
    by_label(at.radio, "Data").set_value("csv").run()
    by_label(at.file_uploader, "CSV file").set_value(("wdbc.csv", raw, "text/csv")).run()
    assert not at.exception and not at.error
    assert "Dropped 1 of 569 rows with no class label in 'diagnosis' (row 6;" in \
        "\n".join(w.value for w in at.warning).replace("\\", "")
    data = setup_of(at)["data"]
    assert data["y"] == "diagnosis" and data["positive"] == "M"  # the rarer label
    table_ = gdcore.data.sources.read_table(raw, name="wdbc.csv")[0]
    kept = table_[table_["diagnosis"].astype("string").str.strip() != ""]
    assert len(kept) == 568
    # x: of the measured columns, the one most correlated with the labels (computed here)
    y01 = (kept["diagnosis"].str.strip() == "M").astype(float)
    measured = [c for c in lines[0].split(",") if c != "diagnosis"]
    best = max(measured, key=lambda c: abs(np.corrcoef(kept[c].astype(float), y01)[0, 1]))
    assert data["x"] == best != "id"
    prob = LogisticRegression(kept[[best]].to_numpy(float), y01.to_numpy())
    (w, b), loss = prob.optimum
    assert f"w = {w:.5g}, b = {b:.5g}, log-loss = {loss:.5g}" in captions(at)
