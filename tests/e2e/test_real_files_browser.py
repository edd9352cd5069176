"""End-to-end (issue 16): three real-shaped files uploaded one after another show the guessed
columns and why, a note where the default runs end far from the reference, and the one-click
fix bringing the runs to it (the note goes; the closest run is then near least squares)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import new_app_page, screenshot, wait_idle
from .test_dashboard_browser import EXCEPTION, charts_drawn

pytestmark = pytest.mark.browser
REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
FILES = [("boston.csv", "medv", "lstat"), ("diamonds.csv", "price", "carat"),
         ("galton.csv", "childHeight", "midparentHeight")]
FAR = "The runs end far from least squares"


def test_three_real_files_guess_say_and_fix(browser, app_server):
    with new_app_page(browser, app_server, height=1800) as page:
        page.get_by_text("Upload a CSV", exact=True).click()
        wait_idle(page)
        upload = page.locator('[data-testid="stSidebar"] input[type="file"]').first
        for name, y, x in FILES:
            upload.set_input_files(files=[{"name": name, "mimeType": "text/csv",
                                           "buffer": (REAL / name).read_bytes()}])
            caption = page.locator('[data-testid="stCaptionContainer"]',
                                   has_text=f"First choice: y = {y},")
            caption.first.wait_for(timeout=120_000)
            assert f"x = {x}," in caption.first.inner_text()
            wait_idle(page)
            assert charts_drawn(page) >= 7, name
            assert page.locator(EXCEPTION).count() == 0, name
            note = page.locator('[data-testid="stAlert"]', has_text=FAR)
            valley = page.locator('[data-testid="stAlert"]', has_text="long, narrow valley")
            assert note.count() + valley.count() >= 1, name  # the page says why
            screenshot(page, f"real-{Path(name).stem}-guessed")
            page.get_by_role("button", name="Standardize x and y").first.click()
            note.first.wait_for(state="detached", timeout=120_000)
            valley.first.wait_for(state="detached", timeout=120_000)
            wait_idle(page)
            assert charts_drawn(page) >= 7, name
            assert page.locator(EXCEPTION).count() == 0, name
            screenshot(page, f"real-{Path(name).stem}-standardized")
            toggle = page.locator('[data-testid="stSidebar"] [data-testid="stCheckbox"]',
                                  has_text="Standardize x and y")
            toggle.locator("label").first.click()  # off again: the next file starts raw
            note.or_(valley).first.wait_for(timeout=120_000)  # raw again: said again
            wait_idle(page)
