"""End-to-end: the dashboard with several x columns (the cars sample) and with logistic
regression (the breast-cancer sample, and the Task switch), in headless Chromium. Every chart
draws, no error box; screenshots in test-artifacts/models-*.png, looked at."""

from __future__ import annotations

import pytest

from gdcore.spec import share
from lab import presets

from .conftest import new_app_page, screenshot, wait_idle
from .test_dashboard_browser import CHARTS, EXCEPTION, charts_drawn

pytestmark = pytest.mark.browser
ERROR_BOX = '[data-testid="stAlertContentError"]'

CARS = presets.build("methods", data={
    "source": "sample", "name": "cars", "x": ["Horsepower", "Weight_in_lbs", "Acceleration"],
    "y": "Miles_per_Gallon", "standardize": True})
CANCER = presets.build("optimizers", data={
    "source": "sample", "name": "breast_cancer", "x": ["mean radius", "mean texture"],
    "y": "diagnosis", "standardize": True, "positive": "malignant"}, problem="logistic")


def _titles(page) -> str:
    return " | ".join(page.locator(f"{CHARTS} svg .role-title-text, {CHARTS} canvas")
                      .all_inner_texts())


@pytest.mark.parametrize("name, setup, n_charts, words", [
    # loss, lr, surface, weights per feature, w1 w2 w3 b, gradient norm
    ("cars", CARS, 9, ["Final weights per feature", "least squares"]),
    # loss, accuracy, surface, decision boundaries, w1 w2 b, lr, gradient norm
    ("cancer", CANCER, 9, ["Accuracy", "Decision boundaries", "optimum"]),
])
def test_a_shared_setup_draws_every_chart(browser, app_server, name, setup, n_charts, words):
    path = "/?s=" + share.encode(setup)
    with new_app_page(browser, app_server, height=3200, path=path) as page:
        assert charts_drawn(page, at_least=n_charts) == n_charts
        assert page.locator(CHARTS).count() == n_charts
        assert page.locator(EXCEPTION).count() == 0
        assert page.locator(ERROR_BOX).count() == 0
        text = page.inner_text("body")
        for word in words:
            assert word in text, word
        if name == "cars":  # the loader's note about the rows with missing values
            assert "Least squares: w1 =" in text
        else:
            assert "Optimum (Newton" in text and "accuracy" in text
        screenshot(page, f"models-{name}")


def test_switching_to_classification(app_page):
    page = app_page
    page.set_viewport_size({"width": 1400, "height": 3000})
    page.locator('[data-testid="stSidebar"]').get_by_text("Classification (logistic)").click()
    wait_idle(page)
    assert charts_drawn(page, at_least=9) == 9  # two features: the boundary in the plane
    assert page.locator(EXCEPTION).count() == 0
    assert page.locator(ERROR_BOX).count() == 0
    text = page.inner_text("body")
    assert "Log-loss (full data, cross-entropy)" in text or "Log-loss" in text
    assert "generated classes" in text
    screenshot(page, "models-classification-switch")
