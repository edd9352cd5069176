"""End-to-end: a long run shows a progress bar and a Stop button; Stop ends it at once and the
page draws what it did, marked "stopped". (The server runs the interpreter loop only, so the
run is long for sure.)"""

from __future__ import annotations

import os
import re
import time

import pytest

from gdcore.spec import share

from .conftest import ROOT, app_context, screenshot, streamlit_server, wait_idle, watched_page
from .test_dashboard_browser import EXCEPTION, charts_drawn

pytestmark = pytest.mark.browser

LONG = {"data": {"source": "generate", "n": 5000, "seed": 1},
        "runs": [{"name": "quick", "epochs": 20, "optimizer": {"name": "sgd", "lr": 0.1}},
                 {"name": "long", "batch_size": 1, "epochs": 2000,
                  "optimizer": {"name": "sgd", "lr": 0.001}}]}


def test_stop_ends_a_long_run_and_shows_what_it_did(browser):
    env = {**os.environ, "GDCORE_ENGINE": "python"}
    with streamlit_server(ROOT, env, log_name="stop") as base:
        context = app_context(browser, base, 1400, 1400)
        page = watched_page(context)
        try:
            page.goto(f"{base}/?s={share.encode(LONG)}", timeout=120_000)
            # (the page's own button, not the Stop in Streamlit's header)
            stop = page.locator('[data-testid="stBaseButton-secondary"]:visible', has_text="Stop").first
            stop.wait_for(timeout=60_000)
            page.get_by_text("Running long", exact=False).first.wait_for(timeout=30_000)
            # the state the assertion below needs: the progress bar past 40,000 updates
            page.wait_for_function(r"""() => {
                const text = [...document.querySelectorAll('[data-testid="stProgress"]')]
                    .map(e => e.innerText).join(' ');
                const m = text.match(/Running long[^:]*: ([\d,]+) of/);
                return m !== null && Number(m[1].replace(/,/g, '')) > 40000;
            }""", timeout=60_000)
            t0 = time.monotonic()
            stop.click()
            wait_idle(page)
            stopped_after = time.monotonic() - t0
            assert page.locator(EXCEPTION).count() == 0
            assert charts_drawn(page) >= 7
            note = page.get_by_text("was stopped at update", exact=False)
            assert note.count() == 1
            updates = int(re.search(r"stopped at update ([\d,]+)", note.inner_text())
                          .group(1).replace(",", ""))
            # what it had done when Stop was pressed (a second of the interpreter: hundreds of
            # thousands of updates), not a restart stopped at its first check (2,048)
            assert updates > 20_000, updates
            assert stopped_after < 20, stopped_after  # not the ~40 s the whole run takes
            screenshot(page, "dashboard-stopped")
            # a rerun with nothing changed (Streamlit's "R") keeps what Stop left: the note says
            # "Change any setting to run it again", and the run does not start by itself
            page.locator("body").press("r")
            wait_idle(page)
            assert page.get_by_text("was stopped at update", exact=False).count() == 1
            assert page.locator('[data-testid="stProgress"]').count() == 0
            assert charts_drawn(page) >= 7
        finally:
            context.close()
