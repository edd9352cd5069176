"""Screenshots of the comparison page for every preset, in default and classroom mode, at a
projector's 1280x720 and a desk's 1500x1100 (test-artifacts/screen-<preset>-<mode>-<size>.png),
to be looked at; the test checks each one drew every chart, no error box, and that classroom
mode left no editing control on the page."""

from __future__ import annotations

import pytest

from lab import presets

from .conftest import app_context, screenshot, wait_idle, watched_page
from .test_dashboard_browser import EXCEPTION, charts_drawn

pytestmark = pytest.mark.browser
SIZES = {"1280": (1280, 720), "1500": (1500, 1100)}


def _classroom(page, on: bool) -> None:
    """Turn classroom mode on or off and wait until the sidebar shows it (the preset's
    "Load preset" button gone, or back), not for a time: on busy cores a rerun may start
    late, and a click made before it lands on the other mode's sidebar."""
    page.locator('[data-testid="stSidebar"]').get_by_text("Classroom mode", exact=True) \
        .first.click()
    button = page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Load preset")
    button.wait_for(state="detached" if on else "visible", timeout=120_000)
    wait_idle(page)


@pytest.mark.parametrize("size", list(SIZES))
def test_every_preset_in_both_modes(browser, app_server, size):
    width, height = SIZES[size]
    context = app_context(browser, app_server, width, height)
    page = watched_page(context)
    try:
        page.goto(app_server + "/", timeout=120_000)
        wait_idle(page)
        sidebar = page.locator('[data-testid="stSidebar"]')
        for key, preset in presets.PRESETS.items():
            box = sidebar.locator('[data-testid="stSelectbox"]', has_text="Start from a preset")
            box.wait_for(state="visible", timeout=120_000)
            already = box.locator("input").first.input_value() == preset.title  # no run then
            box.click()
            page.get_by_role("option", name=preset.title).click()
            wait_idle(page, rerun=not already)
            page.get_by_role("button", name="Load preset").click()
            wait_idle(page)
            assert charts_drawn(page) >= 7, key
            assert page.locator(EXCEPTION).count() == 0, key
            screenshot(page, f"screen-{key}-default-{size}")
            _classroom(page, True)
            assert charts_drawn(page) >= 7, key
            assert page.locator(EXCEPTION).count() == 0, key
            assert sidebar.locator("input[type=number], textarea").count() == 0, key
            assert sidebar.get_by_role("button", name="Load preset").count() == 0, key
            screenshot(page, f"screen-{key}-classroom-{size}")
            _classroom(page, False)
    finally:
        context.close()
