"""Browser end-to-end: open every extra page in headless Chromium, check the charts draw and no
exception shows, and save a screenshot of each (the landscape one also to docs/ when
UPDATE_DOCS_SCREENSHOTS=1)."""

from __future__ import annotations

import pytest

from .conftest import ROOT, open_page, screenshot, wait_idle

PAGES = {  # URL path (Streamlit names pages/ files by their title) -> screenshot name
    "/Loss_landscape": "page-landscape",
    "/Learning_rate_sweep": "page-sweep",
    "/Lessons": "page-lessons",
}


def check_rendered(page, min_charts: int = 1) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, \
        page.locator('[data-testid="stException"]').first.inner_text()
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    charts.first.wait_for(timeout=60_000)
    assert charts.count() >= min_charts
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                 .every(c => c.querySelector('canvas, svg'))""", timeout=60_000)


@pytest.mark.browser
@pytest.mark.parametrize("path", list(PAGES))
def test_page_renders(app_page, path):
    open_page(app_page, path)
    check_rendered(app_page, 2 if path == "/Loss_landscape" else 1)
    also = ROOT / "docs" / "screenshot-landscape.png" if path == "/Loss_landscape" else None
    screenshot(app_page, PAGES[path], also=also)


@pytest.mark.browser
def test_landscape_2d_and_step_slider(app_page):
    open_page(app_page, "/Loss_landscape")
    app_page.get_by_test_id("stSelectbox").first.click()
    app_page.get_by_role("option", name="Himmelblau", exact=False).click()
    wait_idle(app_page)
    check_rendered(app_page, 2)
    app_page.get_by_role("button", name="Play").click()
    app_page.wait_for_timeout(1500)
    wait_idle(app_page)
    check_rendered(app_page, 2)
    screenshot(app_page, "page-landscape-2d")


@pytest.mark.browser
def test_every_lesson_renders(app_page):
    open_page(app_page, "/Lessons")
    box = app_page.get_by_test_id("stSelectbox").first
    for i in range(2, 8):
        box.click()
        app_page.get_by_role("option", name=f"{i} ·", exact=False).click()
        wait_idle(app_page)
        check_rendered(app_page)
    screenshot(app_page, "page-lessons-schedules")


@pytest.mark.browser
@pytest.mark.parametrize("path", list(PAGES))
def test_classroom_mode_on_every_page(app_page, path):
    open_page(app_page, path + "?classroom=1")
    check_rendered(app_page)
    assert "classroom=1" in app_page.url
    screenshot(app_page, PAGES[path] + "-classroom")
