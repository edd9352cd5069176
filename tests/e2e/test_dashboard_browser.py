"""End-to-end: the real app in headless Chromium. Charts render, an upload works, no error box.

Run with ``pytest -m browser`` (they also run in the default ``pytest``). Screenshots go to
test-artifacts/; with UPDATE_DOCS_SCREENSHOTS=1 the default view is also saved as
docs/screenshot-dashboard.png (README).
"""

from __future__ import annotations

import pytest

from .conftest import ROOT, new_app_page, painted, screenshot, wait_idle

pytestmark = pytest.mark.browser

CHARTS = '[data-testid="stVegaLiteChart"]'
EXCEPTION = '[data-testid="stException"]'
GOOD_CSV = b"hours,score\n1,52\n2,55\n3,61\n4,64\n5,70\n6,71\n7,77\n8,80\n9,83\n10,88\n"


def charts_drawn(page, at_least: int = 7) -> int:
    """Number of Vega charts that drew a canvas or an SVG (waits for them)."""
    page.wait_for_function(
        f"document.querySelectorAll('{CHARTS} canvas, {CHARTS} svg.marks').length >= {at_least}",
        timeout=60_000)
    return page.locator(f"{CHARTS} canvas, {CHARTS} svg.marks").count()


def test_page_opens_with_a_comparison_drawn(browser, app_server):
    with new_app_page(browser, app_server, height=2300) as page:
        assert charts_drawn(page) >= 7  # (waits: a first visit may still be rerunning)
        assert page.locator(CHARTS).count() == 7
        assert page.locator(EXCEPTION).count() == 0
        assert "s=" in page.url  # the setup is in the link
        painted(page)
        screenshot(page, "dashboard-default", also=ROOT / "docs" / "screenshot-dashboard.png")


def test_upload_a_csv(app_page):
    page = app_page
    page.get_by_text("Upload a CSV", exact=True).click()
    wait_idle(page)
    page.locator('[data-testid="stSidebar"] input[type="file"]').first.set_input_files(
        files=[{"name": "scores.csv", "mimeType": "text/csv", "buffer": GOOD_CSV}])
    page.wait_for_selector("text=10 rows", timeout=60_000)
    wait_idle(page)
    assert charts_drawn(page) >= 7
    assert page.locator(EXCEPTION).count() == 0
    assert page.get_by_text("cannot travel in a link").count() >= 1
    screenshot(page, "dashboard-upload")


def test_bad_upload_shows_a_message_not_a_traceback(app_page):
    page = app_page
    page.get_by_text("Upload a CSV", exact=True).click()
    wait_idle(page)
    page.locator('[data-testid="stSidebar"] input[type="file"]').first.set_input_files(
        files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": b"x,y\n1,2\n1,3\n1,4\n"}])
    page.wait_for_selector("text=is constant", timeout=60_000)
    wait_idle(page)
    assert page.locator(EXCEPTION).count() == 0
    assert charts_drawn(page) >= 7  # the previous data is still drawn
    screenshot(page, "dashboard-bad-upload")


def test_linear_scale_and_epochs(app_page):
    page = app_page
    page.get_by_text("Log-scale loss").click()
    wait_idle(page)
    page.locator('[data-testid="stButtonGroup"] button', has_text="Epoch").first.click()
    wait_idle(page)
    assert charts_drawn(page) >= 7
    assert page.locator(EXCEPTION).count() == 0
    screenshot(page, "dashboard-linear-epochs")
