"""Browser end-to-end: open every extra page in headless Chromium, check the charts draw and no
exception shows, and save screenshots (the landscape one also to docs/ when
UPDATE_DOCS_SCREENSHOTS=1).

Screenshots of every page and every lesson, in the default and in classroom mode, at a
projector's 1280×720 and at 1500×1100, go to test-artifacts/ as
``page-<view>-<mode>-<width>.png`` (the whole page: the window is made as tall as the page)
and ``page-<view>-<mode>-<width>-screen.png`` (the first screen, what a projector shows), e.g.
``page-lessons-3-classroom-1280.png``. In classroom mode no editing control may show.
"""

from __future__ import annotations

import contextlib
import time

import pytest

from .conftest import (
    ARTIFACTS,
    ROOT,
    app_context,
    open_page,
    painted,
    screenshot,
    script_runs,
    wait_idle,
    watched_page,
)

PAGES = {  # URL path (Streamlit names pages/ files by their title) -> screenshot name
    "/Loss_landscape": "page-landscape",
    "/Learning_rate_sweep": "page-sweep",
    "/Lessons": "page-lessons",
}
SIZES = {1280: 720, 1500: 1100}  # viewport width -> height
MODES = {"default": "", "classroom": "?classroom=1"}
LANDSCAPE_FUNCTIONS = {"double_well": "w⁴", "himmelblau": "Himmelblau"}  # name -> option text
N_LESSONS = 10
# widgets that edit settings: none may show in classroom mode (the lesson and function pickers,
# the gradient check's run picker, the sweep's view radio and the step slider/Play are views)
EDITING = ['[data-testid="stTextInput"]', '[data-testid="stNumberInput"]',
           '[data-testid="stMultiSelect"]', '[data-testid="stFileUploader"]',
           '[data-testid="stDownloadButton"]']


def check_rendered(page, min_charts: int = 1) -> None:
    """At least ``min_charts`` charts, every one drawn, and no exception box. Waits for that
    state (a busy server sends the charts one by one: counting right after the first one
    appears failed under load), never for a time."""
    page.wait_for_function(
        """n => {
            const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
            return charts.length >= n && charts.every(c => c.querySelector('canvas, svg'));
        }""", arg=min_charts, timeout=120_000)
    assert page.locator('[data-testid="stException"]').count() == 0, \
        page.locator('[data-testid="stException"]').first.inner_text()


def check_classroom(page) -> None:
    """No editing control shows; the only sliders are the landscape's step slider."""
    for sel in EDITING:
        assert page.locator(f'{sel}:visible').count() == 0, sel
    sliders = page.locator('[data-testid="stSlider"]:visible')
    labels = [sliders.nth(i).inner_text() for i in range(sliders.count())]
    assert all(t.strip().startswith("Step") for t in labels), labels


def shots(page, name: str, width: int, height: int) -> None:
    """The first screen (``-screen``) and the whole page: Streamlit scrolls inside its main
    block, so a "full page" screenshot is one screen; the window is made as tall as the
    content for the second one, then put back."""
    painted(page)
    screenshot(page, f"{name}-{width}-screen")
    tall = page.evaluate("""() => Math.max(...[...document.querySelectorAll(
        '[data-testid="stMain"], [data-testid="stSidebarContent"]')].map(e => e.scrollHeight))""")
    page.set_viewport_size({"width": width, "height": max(height, int(tall) + 40)})
    painted(page)  # the charts redraw at the new size
    screenshot(page, f"{name}-{width}")
    page.set_viewport_size({"width": width, "height": height})
    painted(page)


@contextlib.contextmanager
def sized_page(browser, app_server, width: int, height: int):
    context = app_context(browser, app_server, width, height)
    try:
        yield watched_page(context)
    finally:
        context.close()


def pick(page, index: int, option: str) -> None:
    """Choose ``option`` (a part of its text) in the ``index``-th selectbox of the main area."""
    page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').nth(index).click()
    page.get_by_role("option", name=option, exact=False).first.click()
    wait_idle(page)


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
    pick(app_page, 0, "Himmelblau")
    check_rendered(app_page, 2)
    app_page.get_by_role("button", name="Play").click()
    app_page.get_by_role("button", name="Pause").wait_for(timeout=60_000)  # it plays
    app_page.get_by_role("button", name="Play").wait_for(timeout=120_000)  # to the last step
    wait_idle(app_page)
    check_rendered(app_page, 2)
    screenshot(app_page, "page-landscape-2d")


@pytest.mark.browser
@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("width", list(SIZES))
def test_landscape_screenshots(browser, app_server, width, mode):
    height = SIZES[width]
    with sized_page(browser, app_server, width, height) as page:
        open_page(page, "/Loss_landscape" + MODES[mode])
        check_rendered(page, 2)
        if mode == "classroom":
            check_classroom(page)
        shots(page, f"page-landscape-{mode}", width, height)
        for name, option in LANDSCAPE_FUNCTIONS.items():
            pick(page, 0, option)
            check_rendered(page, 2)
            if mode == "classroom":
                check_classroom(page)
            shots(page, f"page-landscape-{name}-{mode}", width, height)


@pytest.mark.browser
@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("width", list(SIZES))
def test_sweep_screenshots(browser, app_server, width, mode):
    height = SIZES[width]
    with sized_page(browser, app_server, width, height) as page:
        open_page(page, "/Learning_rate_sweep" + MODES[mode])
        check_rendered(page)
        if mode == "classroom":
            check_classroom(page)
        shots(page, f"page-sweep-{mode}", width, height)


def _shows(box, option: str) -> bool:
    """Whether the selectbox or multiselect ``box`` has ``option`` chosen."""
    if box.get_attribute("data-testid") == "stMultiSelect":
        return box.locator(".react-aria-ComboBox [data-tag]").filter(
            has_text=option).count() > 0
    return box.locator("input").first.input_value() == option


def choose(page, label: str, *options: str) -> None:
    """Pick ``options`` in the sidebar's selectbox or multiselect labelled ``label`` and wait
    for the runs the picks caused. Each pick is made again until the box shows it (a rerun
    that redraws the list can swallow a click); an option already chosen is left as it is."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    box = sidebar.locator('[data-testid="stSelectbox"], [data-testid="stMultiSelect"]').filter(
        has_text=label).first
    runs, picked = script_runs(page), None
    for option in options:
        for attempt in range(3):
            wait_idle(page, rerun=False)
            if _shows(box, option):
                break
            picked = runs.done if picked is None else picked
            box.locator("input").first.click()
            item = page.get_by_role("option", name=option, exact=True).first
            try:
                item.wait_for(timeout=10_000)
                item.click()
            except Exception:  # noqa: BLE001 - the list was redrawn: open it again
                if attempt == 2:
                    raise
                continue
            deadline = time.monotonic() + 30
            while not _shows(box, option) and time.monotonic() < deadline:
                page.wait_for_timeout(50)  # lets the page take the click and its rerun
        assert _shows(box, option), (label, option)
    page.keyboard.press("Escape")
    if picked is not None:  # at least one run since the first pick (a pick reruns the page)
        runs.seen = picked
        wait_idle(page)
    else:
        wait_idle(page, rerun=False)


@pytest.mark.browser
@pytest.mark.parametrize("width", list(SIZES))
def test_sweep_on_data_with_every_variant(browser, app_server, width):
    """The longest series names ("stochastic (batch 1) · adam") in the legend and the tables,
    then the same sweep in classroom mode (switched on in the sidebar: the settings stay)."""
    height = SIZES[width]
    with sized_page(browser, app_server, width, height) as page:
        open_page(page, "/Learning_rate_sweep")
        choose(page, "Problem", "linear regression on data")
        choose(page, "Variants", "mini-batch", "stochastic (batch 1)")
        choose(page, "Optimizers", "adam")
        check_rendered(page)
        assert page.get_by_text("stochastic (batch 1) · adam").count() >= 1
        shots(page, "page-sweep-data-default", width, height)
        page.locator('[data-testid="stSidebar"]').get_by_text("Classroom mode").click()
        wait_idle(page)
        check_rendered(page)
        check_classroom(page)
        shots(page, "page-sweep-data-classroom", width, height)


@pytest.mark.browser
@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("width", list(SIZES))
def test_every_lesson_screenshots(browser, app_server, width, mode):
    height = SIZES[width]
    with sized_page(browser, app_server, width, height) as page:
        open_page(page, "/Lessons" + MODES[mode])
        for i in range(1, N_LESSONS + 1):
            if i > 1:
                pick(page, 0, f"{i} ·")
            check_rendered(page)
            if mode == "classroom":
                check_classroom(page)
            shots(page, f"page-lessons-{i}-{mode}", width, height)
    assert (ARTIFACTS / f"page-lessons-{N_LESSONS}-{mode}-{width}.png").exists()


@pytest.mark.browser
@pytest.mark.parametrize("path", list(PAGES))
def test_classroom_mode_on_every_page(app_page, path):
    open_page(app_page, path + "?classroom=1")
    check_rendered(app_page)
    assert "classroom=1" in app_page.url
    check_classroom(app_page)
    screenshot(app_page, PAGES[path] + "-classroom")


@pytest.mark.browser
@pytest.mark.parametrize("option", ["Rosenbrock", "double_well"])
def test_landscape_with_line_search_and_newton(app_page, option):
    """The reference methods beside gradient descent: their trial points on the chart, the
    chosen run's trials in a table and the curvature beside the chart; the step slider moved
    to step 3 (a step with trials)."""
    open_page(app_page, "/Loss_landscape")
    pick(app_page, 0, "Rosenbrock" if option == "Rosenbrock" else "w⁴")
    choose(app_page, "Optimizers and methods", "line search (Armijo)", "Newton's method")
    check_rendered(app_page, 2)
    slider = app_page.locator('[data-testid="stMain"] [data-testid="stSlider"]').first
    slider.locator('input[type="range"]').first.focus()
    app_page.keyboard.press("Home")
    for _ in range(3):
        app_page.keyboard.press("ArrowRight")
    wait_idle(app_page)
    check_rendered(app_page, 2)
    assert app_page.get_by_text("Trials of step 3").count() >= 1
    assert app_page.get_by_text("Curvature at its point").count() >= 1
    screenshot(app_page, f"page-landscape-methods-{option}")


@pytest.mark.browser
def test_sweep_on_classes_around_the_theory_limit(app_page):
    """Logistic regression on the breast-cancer sample, the range moved around 2/λmax by the
    page's button: the chart draws with its theory rule, no error box."""
    open_page(app_page, "/Learning_rate_sweep")
    choose(app_page, "Problem", "logistic regression on data")
    check_rendered(app_page)
    app_page.locator('[data-testid="stButton"] button', has_text="Sweep ").first.click()
    wait_idle(app_page)
    check_rendered(app_page)
    assert app_page.locator('[data-testid="stAlertContentError"]').count() == 0
    assert app_page.get_by_text("theory limit 2/λmax").count() >= 1
    screenshot(app_page, "page-sweep-logistic")
