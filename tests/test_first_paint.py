"""A browser's first comparison page stops below its first two charts until they are drawn
(ui/first_paint.py); every other client, and every later run, gets the whole page at once.

AppTest runs no JavaScript and sends no User-Agent, so it gets the whole page; here the
browser check is switched on to see the browser's first run, the button that stands in for
the signal, and the run after it. The signal itself (JavaScript in the page) is tested in
headless Chromium: tests/e2e/test_dashboard_browser.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui import first_paint

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")


def _titles(at: AppTest) -> list[str]:
    import json

    out = []
    for chart in at.get("vega_lite_chart"):
        title = json.loads(chart.proto.spec).get("title")
        out.append(title["text"] if isinstance(title, dict) else title)
    return out


def test_a_client_that_runs_no_javascript_gets_the_whole_page():
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 7
    assert not [b for b in at.button if b.key == first_paint.NOW]


@pytest.fixture
def browser_client(monkeypatch):
    monkeypatch.setattr(first_paint, "_in_a_browser", lambda: True)


@pytest.mark.usefixtures("browser_client")
def test_a_browsers_first_run_stops_below_the_first_charts_and_the_next_draws_the_rest():
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert _titles(at) == ["Loss (full data, MSE)", "Learning rate"]
    assert [b for b in at.button if b.key == first_paint.NOW]
    headers = [h.value for h in at.subheader]
    assert "Results" not in headers and "Share and keep" not in headers

    at.button(key=first_paint.NOW).click().run()  # (what the signal's rerun does)
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 7
    assert not [b for b in at.button if b.key == first_paint.NOW]
    assert {"Results", "Share and keep"} <= {h.value for h in at.subheader}

    at.run()  # every later run of the session draws the whole page at once
    assert len(at.get("vega_lite_chart")) == 7


@pytest.mark.usefixtures("browser_client")
def test_a_view_change_before_the_signal_keeps_the_page_cut_and_the_signal_still_ends_it():
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.toggle(key="log").set_value(False).run()  # in the charts' fragment
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 2
    at.button(key=first_paint.NOW).click().run()
    assert len(at.get("vega_lite_chart")) == 7
