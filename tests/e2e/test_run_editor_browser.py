"""End-to-end: the run editor draws only the open runs' forms (Streamlit's lazy expander).
A closed run shows its header only; clicking it opens its form, an edit there changes that run
(its learning rate reaches the link), and the charts stay drawn."""

from __future__ import annotations

import pytest

from gdcore.spec import share

from .conftest import new_app_page, screenshot
from .test_dashboard_browser import EXCEPTION, charts_drawn

pytestmark = pytest.mark.browser

LR_INPUTS = '[data-testid="stSidebar"] [data-testid="stNumberInput"] input[aria-label="Learning rate"]'


def _link_lrs(page) -> list[float]:
    token = page.evaluate("() => new URLSearchParams(location.search).get('s')")
    return [r.optimizer.lr for r in share.decode(token).runs] if token else []


def test_opening_a_closed_run_shows_its_form_and_an_edit_applies(browser, app_server):
    with new_app_page(browser, app_server, height=1600) as page:
        assert charts_drawn(page) >= 7
        assert page.locator(LR_INPUTS).count() == 1  # only the first run is open
        before = _link_lrs(page)
        assert len(before) == 3
        page.locator('[data-testid="stSidebar"] [data-testid="stExpander"] summary',
                     has_text="2. lr about right").click()
        page.wait_for_function(f"() => document.querySelectorAll('{LR_INPUTS}').length === 2",
                               timeout=60_000)
        token = page.evaluate("() => new URLSearchParams(location.search).get('s')")
        box = page.locator(LR_INPUTS).nth(1)
        box.fill("0.123")
        box.press("Enter")
        # the app rewrites the link when its rerun ends: wait for that state
        page.wait_for_function("(t) => new URLSearchParams(location.search).get('s') !== t",
                               arg=token, timeout=60_000)
        lrs = _link_lrs(page)
        assert lrs == [before[0], 0.123, before[2]]
        assert charts_drawn(page) >= 7
        assert page.locator(EXCEPTION).count() == 0
        screenshot(page, "run-editor-second-open")
