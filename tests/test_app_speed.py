"""Click speed without changing what is drawn: the kept chart specs still have their layers,
scales and legend selection and their data; a rerun that changes nothing redraws from the kept
specs; a view change rebuilds only the charts it changes. (Times are in bench/clicks.py: the
machines here are too noisy for timed tests.)"""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui import render

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")
TITLES = ["Loss (full data, MSE)", "Learning rate", "Paths across the loss surface",
          "Data and fitted lines", "Learned slope w", "Learned intercept b", "Gradient norm"]


def specs(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def test_every_dashboard_chart_keeps_its_layers_scales_selection_and_data():
    at = AppTest.from_file(APP, default_timeout=120).run()
    charts = at.get("vega_lite_chart")
    assert len(charts) == 7
    for chart, spec, title in zip(charts, specs(at), TITLES, strict=True):
        heading = spec["title"]["text"] if isinstance(spec["title"], dict) else spec["title"]
        assert heading.startswith(title)
        assert layers(spec), title
        names = {d.name for d in chart.proto.datasets}
        used = {lay["data"]["name"] for lay in [spec, *layers(spec)] if "data" in lay}
        assert used and used <= names, title  # every layer's data is sent, as Arrow
        assert all(d.data.data for d in chart.proto.datasets)
        encodings = [lay.get("encoding", {}) for lay in layers(spec)]
        assert any("scale" in enc.get("y", {}) or "scale" in enc.get("color", {})
                   for enc in encodings), title
        params = [*spec.get("params", []),
                  *(p for lay in layers(spec) for p in lay.get("params", []))]
        pick = [p for p in params if p.get("name") == "pick"]
        assert pick and pick[0]["bind"] == "legend", title  # click the legend: one run
    assert sum(len(layers(spec)) for spec in specs(at)) >= 16  # the references, markers ...
    loss = specs(at)[0]
    assert any(lay.get("encoding", {}).get("y", {}).get("scale", {}).get("type") == "log"
               for lay in layers(loss))


def test_a_plain_rerun_draws_the_kept_specs_and_a_view_change_rebuilds_only_its_charts(
        monkeypatch):
    render._store.clear()  # what earlier tests kept (their chart structures) counts for nothing
    at = AppTest.from_file(APP, default_timeout=120).run()
    built = []
    real = render.to_spec
    monkeypatch.setattr(render, "to_spec", lambda chart: built.append(chart) or real(chart))
    first = specs(at)
    at.run()
    assert built == [] and specs(at) == first  # nothing rebuilt, the same specs drawn
    next(t for t in at.toggle if t.label == "Log-scale loss").set_value(False)
    at.run()
    assert len(built) == 1  # only the loss chart
    assert specs(at)[1:] == first[1:]
    assert specs(at)[0] != first[0]
    next(t for t in at.toggle if t.label == "Log-scale loss").set_value(True)
    at.run()
    assert len(built) == 1 and specs(at) == first  # back: drawn from the kept spec


def test_a_fresh_servers_first_page_does_not_load_streamlits_emoji_catalogue():
    """An emoji favicon made Streamlit load its emoji catalogue and compile its regular
    expression: 0.25 s of a fresh server's first page (the home page, where a shared link
    lands). The favicon is a Material icon (ui/nav.ICON). (An alert whose text is not ASCII
    loads the catalogue too, to look for a leading emoji: the sweep and lessons pages' notes
    do, once per server.) A fresh interpreter draws the page and reports what it imported."""
    import subprocess
    import sys

    code = ("import sys\nfrom streamlit.testing.v1 import AppTest\n"
            "at = AppTest.from_file('dashboard.py', default_timeout=120).run()\n"
            "assert not at.exception, [e.message for e in at.exception]\n"
            "assert len(at.get('vega_lite_chart')) == 7\n"
            "print('streamlit.emojis' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(APP).parent,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["False"]
