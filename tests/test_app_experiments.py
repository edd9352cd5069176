"""Saving from the comparison page and the Experiments page (AppTest, on a temporary SQLite
store named by GDCORE_DB_URL): a save keeps the setup and runs (uploaded data only when
asked), the page lists it, filters by tag, renames and tags it, overlays runs from two
experiments, deletes with undo, exports and imports; a store that cannot be opened says so and
the comparison page keeps working."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from gdcore.spec import share
from gdcore.store import Store
from lab import presets
from tests.test_app_dashboard import app, choose_upload, ok, results, setup_of, texts, upload

PAGE = "../pages/4_Experiments.py"
CSV = b"hours,score\n1,52\n2,55\n3,61\n4,64\n5,70\n6,71\n7,77\n8,80\n9,83\n10,88\n"


@pytest.fixture
def store_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'lab.sqlite'}"
    monkeypatch.setenv("GDCORE_DB_URL", url)
    return url


def _save(at, name: str, tags: str = "", keep: bool | None = None) -> AppTest:
    at.text_input(key="save_name").set_value(name)
    at.text_input(key="save_tags").set_value(tags)
    if keep is not None:
        at.checkbox(key="save_keep").set_value(keep)
    at.run()  # (the typed name enables the button, as in the browser)
    at.button(key="save_go").click()
    return at.run()


def test_save_from_the_comparison_page_keeps_setup_and_runs(store_url):
    at = app(s=share.encode({**presets.build("batch"), "repeats": {"n": 3}}))
    ok(at)
    at = _save(at, "batch, three seeds", "noise, batch")
    ok(at)
    assert "Saved as experiment 1" in texts(at.success)
    saved = Store(store_url).get(1)
    assert saved["name"] == "batch, three seeds" and saved["tags"] == ["noise", "batch"]
    assert saved["experiment"].repeats.n == 3 and len(saved["runs"]) == 3
    assert saved["runs"][1]["summary"]["repeats"] == 3
    assert saved["data_bytes"] is None


def test_uploaded_data_is_kept_only_when_asked(store_url):
    at = upload(choose_upload(app()), "scores.csv", CSV)
    ok(at)
    assert "only its fingerprint is stored" in texts(at.caption)
    at = _save(at, "no file")
    at = _save(at, "with the file", keep=True)
    store = Store(store_url)
    by_name = {e["name"]: e["id"] for e in store.list().to_dict("records")}
    assert store.get(by_name["no file"])["data_bytes"] is None
    kept = store.get(by_name["with the file"])
    assert kept["data_bytes"] == CSV and kept["data"]["name"] == "scores.csv"


def test_experiments_page_lists_filters_renames_overlays_deletes_and_undoes(store_url):
    import gdcore
    store = Store(store_url)
    a = store.save("lr one", gdcore.run_experiment(presets.build("lr"), engine="python"),
                   tags=["lr"])
    b = store.save("optimizers", gdcore.run_experiment(presets.build("optimizers"),
                                                       engine="python"), tags=["race"])
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert table["name"].tolist() == ["optimizers", "lr one"]  # newest first
    at.multiselect(key="exp_tags").set_value(["lr"]).run()
    assert at.dataframe[0].value["name"].tolist() == ["lr one"]
    at.multiselect(key="exp_tags").set_value([]).run()
    at.session_state["exp_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    at.text_input(key=f"exp_name.{a}").set_value("lr renamed")
    at.text_input(key=f"exp_tagtext.{a}").set_value("lr, class")
    at.button(key=f"exp_change.{a}").click().run()
    assert not at.exception, at.exception
    assert (store.get(a)["name"], store.get(a)["tags"]) == ("lr renamed", ["lr", "class"])
    # runs of both experiments, two of them overlaid on one chart
    at.session_state["exp_table"] = {"selection": {"rows": [], "columns": [], "cells": []}}
    at.run()
    runs = at.dataframe[1].value
    assert set(runs["experiment"]) == {a, b}
    first_a = int(runs.index[runs["experiment"] == a][0])
    first_b = int(runs.index[runs["experiment"] == b][0])
    at.session_state["exp_runs"] = {"selection": {"rows": [first_a, first_b], "columns": [],
                                                  "cells": []}}
    at.run()
    assert not at.exception, at.exception
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert "Loss of the selected runs" in json.dumps(spec.get("title"))
    # the runs table: the settings that differ across the two experiments' runs, or all of them
    differ = set(at.dataframe[1].value.columns)
    at.toggle(key="exp_differ").set_value(False).run()
    every = set(at.dataframe[1].value.columns)
    assert {"optimizer", "optimizer.lr", "epochs"} <= differ < every
    assert "clip.name" in every - differ  # no run of either clips: the same everywhere
    assert {"experiment", "run", "final_loss"} <= differ
    at.toggle(key="exp_differ").set_value(True).run()
    # delete, then undo
    at.session_state["exp_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    at.button(key="exp_delete").click().run()
    assert store.list()["name"].tolist() == ["lr renamed"]
    at.button(key="exp_undo_button").click().run()
    assert sorted(store.list()["name"]) == ["lr renamed", "optimizers"]


def test_experiments_page_imports_an_export_and_refuses_junk(store_url, tmp_path):
    import gdcore
    other = Store(f"sqlite:///{tmp_path / 'other.sqlite'}")
    eid = other.save("from elsewhere", gdcore.run_experiment(presets.build("lr"),
                                                             engine="python"))
    doc = json.dumps(other.export([eid])).encode()
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert "No saved experiments yet" in texts(at.info)
    at.file_uploader(key="exp_import").set_value(("x.json", b"{\"format\": 1}",
                                                  "application/json")).run()
    assert "not an export of saved experiments" in texts(at.error)
    at.file_uploader(key="exp_import").set_value(("mine.json", doc, "application/json")).run()
    at.run()
    assert Store(store_url).list()["name"].tolist() == ["from elsewhere"]


def test_a_store_that_cannot_open_is_said_and_the_page_still_works(monkeypatch):
    monkeypatch.setenv("GDCORE_DB_URL", "not a url")
    at = app()
    ok(at)
    at = _save(at, "x")
    ok(at)
    assert "The experiment store cannot be used" in texts(at.error)
    page = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not page.exception and "cannot be used" in texts(page.error)


def test_names_from_the_store_are_shown_as_text(store_url):
    """A saved experiment's name is user text: the page shows it as typed (escaped where
    Streamlit renders markdown: the expander's label, the undo button)."""
    import gdcore
    from tests.text_safety import MARKER, PAYLOADS, rendered_markup
    name = " ".join(PAYLOADS[:6])
    assert MARKER in name
    store = Store(store_url)
    eid = store.save(name, gdcore.run_experiment(presets.build("lr"), engine="python"))
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.session_state["exp_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    labels = [e.label for e in at.expander]
    assert any("Rename, tag or note" in lab for lab in labels)
    assert not rendered_markup([("expander", lab) for lab in labels], [name]), labels
    at.button(key="exp_delete").click().run()
    undo = at.button(key="exp_undo_button")
    assert not rendered_markup([("button", undo.label)], [name]), undo.label
    assert store.list().empty and eid


def test_save_from_the_sweep_page_keeps_each_series_at_its_best_learning_rate(store_url):
    at = AppTest.from_file("../pages/2_Learning_rate_sweep.py", default_timeout=120).run()
    assert not at.exception, at.exception
    assert "Save the best runs as an experiment" in [p.proto.popover.label for p in at.get("popover")]
    at = _save_as(at, "sw_save", "best rates", "sweep, monday")
    assert not at.exception, at.exception
    assert "Saved as experiment 1" in texts(at.success)
    saved = Store(store_url).get(1)
    assert saved["tags"] == ["sweep", "monday"] and "learning-rate sweep" in saved["note"]
    runs = saved["experiment"].runs
    # the page's own sweep table is the truth: one run per series, at its best rate
    table = next(d.value for d in at.dataframe if "label" in d.value.columns)
    assert len(runs) == table["series"].nunique()
    for run_cfg, kept in zip(runs, saved["runs"]):
        series = table[(table["series"] == run_cfg.name.split(" lr=")[0])
                       & (table["label"] != "diverged")]
        lowest = series[series["final_loss"] == series["final_loss"].min()]
        assert run_cfg.optimizer.lr == lowest["lr"].max()  # of equal losses, the bolder step
        assert kept["summary"]["final_loss"] == pytest.approx(series["final_loss"].min(),
                                                               rel=1e-12)


def _save_as(at, key: str, name: str, tags: str) -> AppTest:
    at.text_input(key=f"{key}_name").set_value(name)
    at.text_input(key=f"{key}_tags").set_value(tags)
    at.run()
    at.button(key=f"{key}_go").click()
    return at.run()


def _charts(at) -> list:
    """Every chart's data as the page sent it: per chart, its data sets' rows (Arrow)."""
    import pyarrow as pa

    out = []
    for c in at.get("vega_lite_chart"):
        frames = [pa.ipc.open_stream(d.data.data).read_pandas() for d in c.proto.datasets]
        out.append(sorted(f.to_json() for f in frames))
    return out


def test_an_experiment_reopened_from_the_experiments_page_draws_the_same_charts(store_url):
    setup = {**presets.build("optimizers"), "repeats": {"n": 2}}
    at = app(s=share.encode(setup))
    ok(at)
    drawn, table = _charts(at), results(at)
    at = _save(at, "to reopen")
    at.query_params["s"] = share.encode(presets.build("lr"))  # the session moves on
    at.run()
    ok(at)
    assert setup_of(at)["runs"] != setup_of(app(s=share.encode(setup)))["runs"]
    at.switch_page("pages/4_Experiments.py").run()
    assert not at.exception, at.exception
    at.session_state["exp_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    at.button(key="exp_open").click().run()  # st.switch_page back to the comparison page
    assert not at.exception, at.exception
    ok(at)
    assert setup_of(at)["runs"] == setup_of(app(s=share.encode(setup)))["runs"]
    assert results(at).equals(table)  # the same runs, the same numbers
    assert _charts(at) == drawn  # and every chart drawn from the same data


def test_experiments_filter_by_data_and_optimizer_and_overlay_weight_curves(store_url):
    import gdcore
    store = Store(store_url)
    cars = {"source": "sample", "name": "cars"}
    a = store.save("generated lr", gdcore.run_experiment(presets.build("lr"), engine="python"))
    b = store.save("cars optimizers", gdcore.run_experiment(
        presets.build("optimizers", data=cars), engine="python"))
    listed = store.list().set_index("id")["data"]
    assert listed[a] != listed[b]
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception, at.exception
    at.multiselect(key="exp_data").set_value([listed[b]]).run()
    assert at.dataframe[0].value["name"].tolist() == ["cars optimizers"]
    assert set(at.dataframe[1].value["experiment"]) == {b}  # the runs of those listed only
    at.multiselect(key="exp_data").set_value([]).run()
    # optimizer: experiments with such a run, and only those runs
    opts = {r["optimizer"]["name"] for r in store.get(b)["experiment"].to_dict()["runs"]}
    lone = sorted(opts - {r["optimizer"]["name"] for r in
                          store.get(a)["experiment"].to_dict()["runs"]})[0]
    at.multiselect(key="exp_optimizer").set_value([lone]).run()
    assert at.dataframe[0].value["name"].tolist() == ["cars optimizers"]
    assert set(at.dataframe[1].value["optimizer"]) == {lone}
    at.multiselect(key="exp_optimizer").set_value([]).run()
    # overlay one run of each experiment: loss first, then the weight w, then the gradient norm
    c = store.save("generated optimizers", gdcore.run_experiment(presets.build("optimizers"),
                                                                 engine="python"))
    at.run()
    runs = at.dataframe[1].value
    first = {e: int(runs.index[runs["experiment"] == e][0]) for e in (a, b, c)}
    at.session_state["exp_runs"] = {"selection": {"rows": [first[a], first[c]], "columns": [],
                                                  "cells": []}}
    at.run()
    curve = at.segmented_control(key="exp_curve")
    assert curve.options == ["loss", "weight w", "intercept b", "gradient norm"]
    assert "different data" not in texts(at.warning)
    curve.set_value("w").run()
    assert not at.exception, at.exception
    chart = at.get("vega_lite_chart")[0]
    spec = json.dumps(json.loads(chart.proto.spec))
    assert "w of the selected runs" in spec and "Loss of" not in spec
    drawn = {n for d in chart.proto.datasets
             for n in pa.ipc.open_stream(d.data.data).read_pandas().get("run", [])}
    assert any(n.startswith(f"#{a} ") for n in drawn) and any(n.startswith(f"#{c} ") for n in drawn)
    at.segmented_control(key="exp_curve").set_value("grad_norm").run()
    assert not at.exception, at.exception
    assert len(at.get("vega_lite_chart")) == 1
    # runs on other data (cars: three weights): only the intercept is common, and it is said
    at.session_state["exp_runs"] = {"selection": {"rows": [first[a], first[b]], "columns": [],
                                                  "cells": []}}
    at.run()
    assert not at.exception, at.exception
    assert at.segmented_control(key="exp_curve").options == ["loss", "intercept b",
                                                            "gradient norm"]
    assert "different data" in texts(at.warning)
