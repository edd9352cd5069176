"""End-to-end: a copied link opens on the chart view it was copied from (issue 16, item 11):
the batch preset's epochs and smoothing 20, and the preset picker on that preset."""

from __future__ import annotations

import pytest

from lab import presets

from .conftest import new_app_page, screenshot, wait_idle
from .test_dashboard_browser import charts_drawn

pytestmark = pytest.mark.browser


def _checked(page, group: str) -> str:
    return page.get_by_role("radiogroup", name=group).get_by_role("radio", checked=True) \
        .inner_text()


def test_a_copied_link_opens_on_its_view(browser, app_server):
    with new_app_page(browser, app_server, height=1600) as page:
        box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]',
                           has_text="Start from a preset")
        box.click()
        page.get_by_role("option", name="Batch vs stochastic", exact=False).first.click()
        wait_idle(page)
        page.get_by_role("button", name="Load preset").click()
        page.wait_for_url("**preset=batch**", timeout=120_000)  # the link has the view
        wait_idle(page)
        link = page.url
        assert "x=epoch" in link and "smooth=20" in link
    with new_app_page(browser, app_server, height=1600, path=link[len(app_server):]) as shared:
        assert charts_drawn(shared) >= 7
        assert _checked(shared, "x axis") == "Epoch"
        slider = shared.locator('[data-testid="stSlider"]', has_text="Smoothing")
        assert slider.get_by_test_id("stSliderThumbValue").inner_text().strip() == "20"
        lesson = presets.PRESETS["batch"].lesson_for("linear")  # the picker's caption
        assert shared.locator('[data-testid="stSidebar"]').get_by_text(lesson[:30]).count() == 1
        screenshot(shared, "link-opens-on-its-view")


def test_the_pages_have_names_in_the_navigation(browser, app_server):
    # issue 16, item 13: the home page's link read "dashboard" (its file's name)
    with new_app_page(browser, app_server, height=900) as page:
        side = page.locator('[data-testid="stSidebar"]')
        links = side.locator('[data-testid="stPageLink"]')
        links.nth(5).wait_for(timeout=120_000)  # (the state: every link drawn; a busy CI
        #                                          machine read them before they were)
        names = [t.split("\n")[-1].strip() for t in links.all_inner_texts()]  # (after the icon)
        assert names == ["Compare runs", "Loss landscape", "Learning rate sweep", "Lessons",
                         "Experiments", "Challenge"]
        assert side.get_by_text("dashboard", exact=True).count() == 0
        links.nth(3).click()
        page.get_by_role("heading", name="Lessons").first.wait_for(timeout=120_000)
        wait_idle(page)
        page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]').first.click()
        page.get_by_role("heading", name="Gradient Descent Lab").wait_for(timeout=120_000)
