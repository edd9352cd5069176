"""End-to-end: the "batch vs stochastic vs mini-batch" preset over 20 paired seeds draws a band
in the loss, weight and gradient-norm charts (one area path per run in their SVG, none
without repeats), with no error box; the verdict and the stability map show. Screenshots in
test-artifacts/ (repeats-bands.png, stability-map.png)."""

from __future__ import annotations

import pytest

from gdcore.spec import share
from lab import presets

from .conftest import new_app_page, open_page, screenshot
from .test_dashboard_browser import EXCEPTION, charts_drawn

pytestmark = pytest.mark.browser

MAIN = '[data-testid="stMain"] [data-testid="stVegaLiteChart"]'
# Vega draws these charts as SVG: an area mark is a group "mark-area" holding its paths
AREAS = """() => [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stVegaLiteChart"]')]
  .map(e => e.querySelectorAll('g.mark-area path').length)"""


def _band_paths(page) -> list[int]:
    """Each main-area chart's drawn area paths, once every one of them has drawn."""
    page.wait_for_function(f"() => {{ const c = [...document.querySelectorAll('{MAIN}')];"
                           " return c.length >= 7 && c.every(e => e.querySelector('svg.marks, "
                           "canvas')); }", timeout=60_000)
    return page.evaluate(AREAS)


def test_twenty_seeds_draw_bands_and_one_seed_none(browser, app_server):
    exp = {**presets.build("batch"), "repeats": {"n": 20}}
    with new_app_page(browser, app_server, height=2600,
                      path="/?s=" + share.encode(exp)) as page:
        assert charts_drawn(page) >= 7
        assert page.locator(EXCEPTION).count() == 0
        page.get_by_text("Each run over 20 paired seeds").first.wait_for(timeout=60_000)
        page.get_by_text("in 20 of 20 paired seeds").first.wait_for(timeout=60_000)
        with_bands = _band_paths(page)
        screenshot(page, "repeats-bands")
        one = presets.build("batch")
        open_page(page, "/?s=" + share.encode(one))
        assert charts_drawn(page) >= 7
        without = _band_paths(page)
    # charts in page order: loss, lr, path, fit, w, b, gradient norm
    banded = [i for i, n in enumerate(with_bands) if n > 0]
    assert banded == [0, 4, 5, 6], with_bands  # one band per run in each
    assert all(with_bands[i] == 3 for i in banded), with_bands
    assert not any(without), without


def test_stability_map_draws_on_the_sweep_page(browser, app_server):
    with new_app_page(browser, app_server, height=2400, path="/Learning_rate_sweep") as page:
        assert charts_drawn(page, at_least=2) >= 2
        assert page.locator(EXCEPTION).count() == 0
        page.get_by_text("converged runs lie left of the theory's line").wait_for(
            timeout=60_000)
        screenshot(page, "stability-map")
