"""End-to-end: after a widget change the charts are redrawn, and how long that takes in the
browser (from the change to the redrawn chart, idle). Written to test-artifacts/click-times.json
for the README; the assertion is only that the charts changed and nothing broke (times on shared
machines belong in bench/, not in a pass/fail test)."""

from __future__ import annotations

import json
import time

import pytest

from .conftest import ARTIFACTS, new_app_page, painted, screenshot, wait_idle
from .test_dashboard_browser import EXCEPTION, charts_drawn

pytestmark = pytest.mark.browser

SIGNATURE = """(i) => {
  const box = document.querySelectorAll('[data-testid="stVegaLiteChart"]')[i];
  const c = box && box.querySelector('canvas');
  if (c) return c.toDataURL().length + ':' + c.toDataURL().slice(-200);
  const s = box && box.querySelector('svg');
  return s ? s.innerHTML.length + ':' + s.innerHTML.slice(-200) : '';
}"""


def _redrawn(page, index: int, before: str, timeout: float = 30.0) -> float:
    """Seconds until chart ``index`` looks different from ``before`` (and the app is idle)."""
    t0 = time.monotonic()
    page.wait_for_function(f"(b) => ({SIGNATURE})({index}) !== b", arg=before,
                           timeout=timeout * 1000)
    return time.monotonic() - t0


def test_charts_are_redrawn_after_a_view_change_and_an_lr_change(browser, app_server):
    times = {}
    with new_app_page(browser, app_server, height=2300) as page:
        assert charts_drawn(page) >= 7
        painted(page)
        screenshot(page, "clicks-before")
        loss = page.evaluate(SIGNATURE, 0)
        page.get_by_text("Log-scale loss").click()
        times["log toggle: loss chart redrawn"] = round(_redrawn(page, 0, loss), 2)
        wait_idle(page)
        assert page.locator(EXCEPTION).count() == 0

        loss, w_chart = page.evaluate(SIGNATURE, 0), page.evaluate(SIGNATURE, 4)
        box = page.get_by_label("Learning rate").first
        box.fill("0.05")
        box.press("Enter")
        times["lr change: loss chart redrawn"] = round(_redrawn(page, 0, loss), 2)
        times["lr change: w chart redrawn"] = round(_redrawn(page, 4, w_chart), 2)
        wait_idle(page)
        assert page.locator(EXCEPTION).count() == 0
        assert charts_drawn(page) >= 7
        screenshot(page, "clicks-after")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "click-times.json").write_text(json.dumps(times, indent=1))
    print(f"seconds from the change to the redrawn chart: {times}")
