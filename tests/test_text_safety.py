"""User text is shown as plain text in every element, in both modes (AppTest delta messages),
and text that is not valid Unicode is refused where it enters, with one clear message."""

from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

import gdcore
from gdcore.spec import share
from lab import presets
from tests.text_safety import MARKER, PAYLOADS, markdown_fields, rendered_markup
from ui import state
from ui.text import md, plain_frame

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")


def _app(token: str, classroom: bool) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params[state.URL_PARAM] = token
    if classroom:
        at.query_params["classroom"] = "1"
    return at.run()


def _names_link(names: list[str]) -> str:
    exp = presets.build("lr")
    for run, name in zip(exp["runs"], names):
        run["name"] = name
    return share.encode(exp)


def _raw_token(document: dict) -> str:
    """A link token for any JSON document, as a hand-made link would carry it (no checks)."""
    text = json.dumps(document)  # ASCII: a lone surrogate travels as \\udc80, valid JSON
    packed = zlib.compress(text.encode("utf-8"), 9)
    return share.TOKEN_VERSION + base64.urlsafe_b64encode(packed).decode().rstrip("=")


# --- the checker itself sees markup (so the page tests below can fail) ----------------------
@pytest.mark.parametrize("payload", PAYLOADS)
def test_checker_flags_raw_payload_and_passes_escaped(payload):
    raw = [("markdown.body", f"- **Run**: {payload} diverged")]
    safe = [("markdown.body", f"- **Run**: {md(payload)} diverged")]
    if payload.startswith("# "):  # block syntax takes effect at the start of a line
        raw = [("table", payload)]
    assert rendered_markup(raw, [payload]), payload
    assert not rendered_markup(safe, [payload]), md(payload)


def test_table_cells_headers_and_index_are_escaped():
    import pandas as pd

    df = pd.DataFrame({"run": [PAYLOADS[0], 1.5], PAYLOADS[2]: ["x", "y"]},
                      index=[PAYLOADS[1], "b"])
    out = plain_frame(df)
    texts = [*map(str, out.columns), *map(str, out.index), *map(str, out["run"])]
    assert not rendered_markup([("table", t) for t in texts], PAYLOADS)
    assert out["run"].iloc[1] == 1.5  # numbers are kept


# --- the dashboard, through a link, in both modes -------------------------------------------
names_strategy = st.lists(
    st.builds(lambda parts, tail: (" ".join(parts) + tail)[:100].strip() or MARKER,
              st.lists(st.sampled_from(PAYLOADS), min_size=1, max_size=3),
              st.text(alphabet="ab $*_[]()<>:!#|~`\\", max_size=8)),
    min_size=3, max_size=3, unique=True)


@pytest.mark.parametrize("classroom", [False, True], ids=["default", "classroom"])
@settings(max_examples=5, deadline=None, derandomize=True,
          phases=[Phase.explicit, Phase.generate],  # an AppTest run is seconds: no shrinking
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(names=names_strategy)
def test_run_names_from_a_link_are_never_rendered(classroom, names):
    at = _app(_names_link(names), classroom)
    assert not at.exception, [e.value for e in at.exception]
    fields = markdown_fields(at)
    shown = [t for _, t in fields if MARKER in t]
    assert shown, "the run names should be on the page (results table or runs list)"
    assert not rendered_markup(fields, names), rendered_markup(fields, names)[:3]


@pytest.mark.parametrize("classroom", [False, True], ids=["default", "classroom"])
def test_every_payload_at_once_in_both_modes(classroom):
    names = [" ".join(PAYLOADS[i::3])[:100] for i in range(3)]
    at = _app(_names_link(names), classroom)
    assert not at.exception
    fields = markdown_fields(at)
    tables = [t for w, t in fields if w == "table" and MARKER in t]
    if classroom:
        assert len(tables) == 3  # the results table in classroom mode is an st.table
    assert not rendered_markup(fields, names), rendered_markup(fields, names)[:3]


def test_uploaded_column_and_file_names_are_never_rendered():
    cols = [f"**{MARKER}x** [a](https://example.com/{MARKER})", f"<b>{MARKER}y</b> $$y$$"]
    body = ",".join(f'"{c}"' for c in cols) + "\n" + "".join(
        f"{i},{2 * i + (i % 3)}\n" for i in range(30))
    at = AppTest.from_file(APP, default_timeout=180).run()
    next(r for r in at.radio if r.label == "Data").set_value("csv")
    at.run()
    file_name = f"[{MARKER}f](http://127.0.0.1:9/x).csv"
    next(u for u in at.file_uploader if u.label == "CSV file").set_value(
        (file_name, body.encode(), "text/csv"))
    at.run()
    assert not at.exception
    texts = [*cols, file_name]
    fields = markdown_fields(at)
    assert any(MARKER in t for _, t in fields)
    assert not rendered_markup(fields, texts), rendered_markup(fields, texts)[:3]
    next(t for t in at.toggle if t.label == "Classroom mode").set_value(True)
    at.run()
    assert not at.exception
    fields = markdown_fields(at)
    assert not rendered_markup(fields, texts), rendered_markup(fields, texts)[:3]


# --- text that is not valid Unicode ---------------------------------------------------------
@pytest.mark.parametrize("classroom", [False, True], ids=["default", "classroom"])
def test_lone_surrogate_in_a_link_is_refused_with_a_message(classroom):
    exp = presets.build("lr")
    exp["runs"][1]["name"] = "\udc80"
    at = _app(_raw_token(exp), classroom)
    assert not at.exception, [e.value for e in at.exception]
    errors = " ".join(e.value for e in at.error).replace("\\", "")
    assert "not valid Unicode" in errors and "runs[1].name" in errors
    assert len(at.get("vega_lite_chart")) >= 7  # the default comparison is drawn instead


def test_lone_surrogate_in_an_imported_setup_keeps_the_runs():
    at = AppTest.from_file(APP, default_timeout=180).run()
    before = at.session_state[state.SETUP]["runs"]
    exp = presets.build("lr")
    exp["runs"][0]["name"] = "ok\udc80"
    at.file_uploader(key="setup_json").set_value(("s.json", json.dumps(exp).encode(),
                                                  "application/json"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "not valid Unicode" in " ".join(e.value for e in at.error).replace("\\", "")
    assert at.session_state[state.SETUP]["runs"] == before
    assert len(at.get("vega_lite_chart")) >= 7


@pytest.mark.parametrize("where", ["name", "key", "column"])
def test_engine_refuses_text_that_is_not_unicode(where):
    exp = presets.build("lr")
    if where == "name":
        exp["runs"][0]["name"] = "a\ud800b"
    elif where == "key":
        exp["runs"][0]["optimizer"]["\udcff"] = 1
    else:
        exp["data"] = {"source": "sample", "name": "cars", "x": "\udcff", "y": "mpg"}
    with pytest.raises(gdcore.ConfigError, match="not valid Unicode") as info:
        gdcore.parse_experiment(exp)
    str(info.value).encode("utf-8")  # the message itself can be shown and sent
    with pytest.raises(gdcore.ConfigError, match="not valid Unicode"):
        gdcore.load_experiment_json(json.dumps(exp))
