"""End-to-end: one browser session uploads malformed and real files one after another. After
each, no exception box and no chart error box (a Vega "SyntaxError ... NaN" box, say); after
each rejected file, the previous data is still in place. Screenshots of the real data go to
test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import new_app_page, screenshot, wait_idle
from .test_dashboard_browser import CHARTS, EXCEPTION, charts_drawn

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "csv"
GOOD = b"hours,score\n1,52\n2,55\n3,61\n4,64\n5,70\n6,71\n7,77\n8,80\n9,83\n10,88\n"
SEQUENCE = [  # (file name, bytes, accepted?)
    ("scores.csv", GOOD, True),
    ("huge.csv", (FIXTURES / "huge_values.csv").read_bytes(), False),
    ("empty.csv", b"", False),
    ("binary.csv", bytes(range(256)) * 4, False),
    ("constant.csv", b"x,y\n1,2\n1,3\n1,4\n", False),
    ("text.csv", b"a,b\nfoo,bar\nbaz,qux\n", False),
    ("ragged.csv", b"x,y\n1,2\n3,4,5,6\n5,6\n", False),
    ("cars.csv", (FIXTURES / "cars_like.csv").read_bytes(), True),
    ("no_header.csv", (FIXTURES / "no_header.csv").read_bytes(), True),
    ("thousands.csv", (FIXTURES / "thousands.csv").read_bytes(), True),
    ("wide.csv", (",".join(f"c{i}" for i in range(10_000)) + "\n"
                  + ",".join("1" for _ in range(10_000)) + "\n").encode(), False),
    ("scores-again.csv", GOOD, True),
]


def _no_error_boxes(page) -> None:
    assert page.locator(EXCEPTION).count() == 0, page.locator(EXCEPTION).first.inner_text()
    text = page.locator(CHARTS).all_inner_texts()
    assert not any("Error" in t for t in text), text  # vega-embed writes its errors in the box


def _rows_caption(page) -> str:
    cap = page.get_by_text("rows ×", exact=False)
    return cap.first.inner_text() if cap.count() else ""


def test_a_session_of_good_and_bad_uploads(browser, app_server):
    with new_app_page(browser, app_server, height=1600) as page:
        page.get_by_text("Upload a CSV", exact=True).click()
        wait_idle(page)
        upload = page.locator('[data-testid="stSidebar"] input[type="file"]').first
        last_good_results = None
        for name, data, accepted in SEQUENCE:
            upload.set_input_files(files=[{"name": name, "mimeType": "text/csv",
                                           "buffer": data}])
            page.wait_for_timeout(500)
            wait_idle(page)
            _no_error_boxes(page)
            assert charts_drawn(page) >= 7, name
            results = page.locator('[data-testid="stCaptionContainer"]',
                                   has_text="Least squares").first.inner_text()
            if accepted:
                assert page.locator('[data-testid="stAlert"]', has_text="cannot").count() == 0 \
                    or "link" in page.content(), name
                last_good_results = results
            else:
                assert page.get_by_text("Still using the previous data").count() >= 1, name
                assert results == last_good_results, name  # the previous data is in place
            screenshot(page, f"upload-{Path(name).stem}")
