"""The dashboard with repeats (issue 18): set in the editor, through a link and a JSON import;
the charts draw each run's median with a 10-90 % band; the results table gives the spread and
the diverged count; the verdict names the better run or says there is no clear difference."""

from __future__ import annotations

import json

from gdcore.spec import share
from lab import presets
from tests.test_app_dashboard import app, by_label, ok, results, setup_of, texts

BATCH20 = {**presets.build("batch"), "repeats": {"n": 20}}


def _layers(at, i: int) -> list:
    spec = json.loads(at.get("vega_lite_chart")[i].proto.spec)
    return [layer.get("mark", {}).get("type") for layer in spec.get("layer", [spec])]


def test_a_link_with_repeats_draws_bands_spread_and_a_verdict():
    at = app(s=share.encode(BATCH20))
    ok(at)
    assert setup_of(at)["repeats"]["n"] == 20
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    titled = [s for s in specs if isinstance(s.get("title"), dict)
              and "median of 20 seeds" in s["title"].get("subtitle", "")]
    assert len(titled) == 4  # loss, w, b, gradient norm
    assert all(s["layer"][0]["mark"]["type"] == "area" for s in titled)
    table = results(at)
    assert {"final loss (median)", "final loss 10 %", "final loss 90 %", "diverged"} <= set(
        table.columns)
    assert (table["diverged"] == "0 of 20").all()
    sgd = table.set_index("run").loc["stochastic (1 row)"]
    assert sgd["final loss 10 %"] < sgd["final loss (median)"] < sgd["final loss 90 %"]
    said = texts(at.success)
    assert "ended lower than stochastic (1 row)" in said or "ended lower than mini" in said
    assert "in 20 of 20 paired seeds" in said


def test_verdict_on_two_runs_the_user_picks_and_on_identical_runs():
    twin = {**BATCH20, "runs": [BATCH20["runs"][0], {**BATCH20["runs"][0], "name": "twin"}]}
    at = app(s=share.encode(twin))
    ok(at)
    assert "No clear difference between" in texts(at.info)
    at = app(s=share.encode(BATCH20))
    at.selectbox(key="verdict_a").set_value("stochastic (1 row)")
    at.run()
    ok(at)
    assert "than stochastic (1 row) in 20 of 20" in texts(at.success)


def test_repeats_set_in_the_editor_and_in_a_json_import():
    at = app()
    ok(at)
    assert "One seed per run cannot tell" in texts(at.caption)
    by_label(at.number_input, "Seeds per run").set_value(5)
    at.run()
    ok(at)
    assert setup_of(at)["repeats"] == {"n": 5, "vary": ["shuffle"], "init_spread": 0.0}
    assert share.decode(at.query_params["s"][0] if isinstance(at.query_params["s"], list)
                        else at.query_params["s"]).repeats.n == 5
    assert "diverged in 5 of 5 seeds" in texts(at.caption)  # "lr too large" diverges
    assert "What changes between seeds" in [b.label for b in at.button_group]
    imported = {**presets.build("optimizers"), "repeats": {"n": 3, "vary": ["init"],
                                                         "init_spread": 0.5}}
    by_label(at.file_uploader, "Load a setup (JSON)").set_value(
        ("setup.json", json.dumps(imported).encode(), "application/json"))
    at.run()
    at.run()
    ok(at)
    assert setup_of(at)["repeats"] == {"n": 3, "vary": ["init"], "init_spread": 0.5}
    assert results(at)["diverged"].str.endswith("of 3").all()


def _run_domain(spec) -> list:
    def find(node):
        if isinstance(node, dict):
            if node.get("field") == "run" and isinstance(node.get("scale"), dict):
                return node["scale"].get("domain")
            for v in node.values():
                got = find(v)
                if got is not None:
                    return got
        elif isinstance(node, list):
            for v in node:
                got = find(v)
                if got is not None:
                    return got
        return None
    return find(spec)


def test_runs_table_shows_what_differs_and_its_selection_chooses_the_charts_runs():
    at = app(s=share.encode(presets.build("optimizers")))
    ok(at)
    table = next(d.value for d in at.dataframe if "optimizer" in d.value.columns)
    assert table["run"].tolist() == ["SGD", "Momentum", "Nesterov", "Adagrad", "RMSprop", "Adam"]
    assert "optimizer.lr" in table.columns and "epochs" not in table.columns  # same for all
    at.toggle(key="runs_differ").set_value(False)
    at.run()
    full = next(d.value for d in at.dataframe if "optimizer" in d.value.columns)
    assert {"epochs", "seed", "batch_size", "optimizer.lr"} <= set(full.columns)
    all_runs = _run_domain(json.loads(at.get("vega_lite_chart")[0].proto.spec))
    assert len(all_runs) == 6
    at.session_state["runs_table"] = {"selection": {"rows": [0, 5], "columns": [], "cells": []}}
    at.run()
    ok(at)
    for chart in at.get("vega_lite_chart"):  # every chart draws the two selected runs
        domain = _run_domain(json.loads(chart.proto.spec))
        assert domain is None or domain == ["SGD", "Adam"], domain
    assert "The charts draw the 2 selected runs" in texts(at.caption)
    assert results(at)["run"].tolist() == ["SGD", "Momentum", "Nesterov", "Adagrad", "RMSprop",
                                           "Adam"]  # the results table keeps every run


def test_loss_against_a_setting_draws_each_run_at_its_value():
    exp = {**presets.build("optimizers"), "repeats": {"n": 4, "vary": ["init"],
                                                       "init_spread": 0.5}}
    at = app(s=share.encode(exp))
    ok(at)  # off by default: the page draws its seven charts
    at.toggle(key="vs_on").set_value(True)
    at.run()
    ok(at, charts=8)
    assert at.selectbox(key="vs_setting").value == "optimizer.lr"
    assert {"optimizer.lr", "optimizer.momentum"} <= set(at.selectbox(key="vs_setting").options)
    spec = json.loads(at.get("vega_lite_chart")[-1].proto.spec)
    assert spec["title"]["text"] == "Final loss against optimizer.lr"
    at.selectbox(key="vs_setting").set_value("optimizer.momentum")
    at.run()
    ok(at, charts=8)
    spec = json.loads(at.get("vega_lite_chart")[-1].proto.spec)
    assert spec["title"]["text"] == "Final loss against optimizer.momentum"


def test_by_setting_gives_each_runs_median_and_range():
    import gdcore
    from ui import results as R
    exp = gdcore.parse_experiment({**presets.build("lr"), "repeats": {"n": 3, "vary": ["init"],
                                                                      "init_spread": 0.2}})
    res = gdcore.run_experiment(exp, engine="python")
    outcome = R.Outcome(runs=list(res.runs), repeats=[list(r) for r in res.repeats],
                        n_repeats=3, problem=res.problem)
    frame = R.by_setting(outcome, exp, "optimizer.lr")
    assert frame["value"].tolist() == [r.optimizer.lr for r in exp.runs]
    ok = frame[frame["status"] == "ok"]
    assert (ok["final_loss_lo"] <= ok["final_loss"]).all()
    assert (ok["final_loss"] <= ok["final_loss_hi"]).all()
    assert frame.set_index("run").at["lr too large", "status"] == "diverged"
    assert R.varied_settings(exp) == ["optimizer.lr"]


def _band_rows(at, run: str) -> list[dict]:
    """The loss chart's band rows of ``run`` (lo/hi per step) as the page sent them (the
    chart's named Arrow data sets)."""
    import pyarrow as pa

    for data in at.get("vega_lite_chart")[0].proto.datasets:
        frame = pa.ipc.open_stream(data.data.data).read_pandas()
        if {"lo", "hi", "run"} <= set(frame.columns) and (frame["run"] == run).any():
            return frame[frame["run"] == run].to_dict("records")
    raise AssertionError("no band data in the loss chart")


def test_the_line_and_band_view_options_draw_the_mean_and_the_min_max():
    import numpy as np

    import gdcore

    setup = {**presets.build("batch"), "repeats": {"n": 6}}
    truth = gdcore.run_experiment(setup, engine="python")  # the engine's own runs, repeated
    name = truth.runs[1].name
    losses = np.array([r.history["loss"].to_numpy() for r in truth.repeats[1]])
    steps = truth.repeats[1][0].history["step"].to_numpy()
    at = app(s=share.encode(setup))
    ok(at)
    first = _band_rows(at, name)  # default: 10-90 %
    at.button_group(key="rep_band").set_value("range").run()
    ok(at)
    rows = {int(r["step"]): r for r in _band_rows(at, name)}
    assert rows != {int(r["step"]): r for r in first}
    checked = 0
    for i, step in enumerate(steps):  # every step the chart kept
        if int(step) in rows:
            assert rows[int(step)]["lo"] == losses[:, i].min()
            assert rows[int(step)]["hi"] == losses[:, i].max()
            checked += 1
    assert checked >= 20, checked
    at.button_group(key="rep_line").set_value("mean").run()
    ok(at)
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert any("line: mean of 6 seeds; band: min-max" in json.dumps(s.get("title"))
               for s in specs)
    assert "the lines are means, the bands the min-max range" in texts(at.caption)
    assert at.query_params["band"] in ("range", ["range"])
    assert at.query_params["line"] in ("mean", ["mean"])


def test_every_seed_faintly_draws_each_repeats_own_curve_under_the_line():
    import pyarrow as pa

    import gdcore

    setup = {**presets.build("batch"), "repeats": {"n": 5}}
    truth = gdcore.run_experiment(setup, engine="python")
    at = app(s=share.encode(setup))
    ok(at)
    assert "repeat" not in json.dumps(json.loads(at.get("vega_lite_chart")[0].proto.spec))
    at.toggle(key="rep_seeds").set_value(True).run()
    ok(at)
    chart = at.get("vega_lite_chart")[0].proto
    spec = json.loads(chart.spec)
    details = [ly for ly in spec["layer"] if ly.get("encoding", {}).get("detail", {}).get(
        "field") == "repeat"]
    assert len(details) == 1 and details[0]["mark"]["type"] == "line"
    assert "thin lines: every seed" in json.dumps(spec["title"])
    frames = [pa.ipc.open_stream(d.data.data).read_pandas() for d in chart.datasets]
    seeds = next(f for f in frames if "repeat" in f.columns)
    for i, rs in enumerate(truth.repeats):  # each repeat's own losses, at the steps drawn
        name = truth.runs[i].name
        for j, r in enumerate(rs):
            mine = seeds[(seeds["run"] == name) & (seeds["repeat"] == j)]
            assert len(mine) >= 2, (name, j)
            want = r.history.set_index("step")["loss"]
            assert mine["loss"].tolist() == want.loc[mine["step"]].tolist()
    assert at.query_params["seeds"] in ("1", ["1"])
