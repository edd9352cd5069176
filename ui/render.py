"""Charts to the page fast: each chart's Vega-Lite spec is built once per input and kept.

    render.chart(st, ("loss", outcome.key, x, log), lambda: charts.loss_chart(...))

The builders stay plain functions returning Altair charts (tested without Streamlit). Building
and converting a layered Altair chart costs tens of milliseconds (deep copies, parameter
merging, schema validation); a page draws seven. So the spec of every chart is kept on a key
that names everything it is drawn from (the runs' settings and results, the data, the view
options): a rerun that changes nothing redraws from the kept specs in a millisecond or two,
and a view change rebuilds only the charts it changes.

The conversion is what ``st.altair_chart`` does, done once: ``to_dict`` under Altair's "none"
theme (Streamlit applies its own), the inline data sets turned into Arrow, and the result
handed to ``st.vega_lite_chart``. It skips Altair's schema validation (a fifth of the cost of
a click): the tests validate every builder's output against the Vega-Lite schema, on
ordinary and adversarial inputs (tests/test_charts.py, tests/test_chart_json.py).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import logging
import threading
from collections.abc import Callable, Hashable
from typing import Any

import altair as alt
import pandas as pd
import pyarrow as pa
import streamlit as st

from ui import version
from ui.chart_parts import Parts, fill
from ui.chart_parts import template as chart_parts_template
from ui.shared import SharedStore, Turns

MAX_SPECS = 512  # kept specs (a few kB each, plus their data as Arrow)
MAX_SPEC_BYTES = 16 << 20  # and at most this much of them
_LOCK = threading.Lock()  # Altair's theme switch is global: one conversion at a time


@st.cache_resource(show_spinner=False)
def _store(code: str) -> SharedStore:
    """Kept specs, shared by the server's sessions and each built once (ui/shared.py), one
    store per code version (ui/version.py): a spec drawn by old builders is never shown by new
    code."""
    return SharedStore(MAX_SPECS, max_bytes=MAX_SPEC_BYTES, size_of=_spec_bytes)


@st.cache_resource(show_spinner=False)
def _turns(code: str) -> Turns:
    return Turns(width=1)


@contextlib.contextmanager
def turn():
    """This session's turn at the server's interpreter (ui/shared.py: first come, first
    served, one session at a time, so a class's sessions finish one after another instead of
    all at the end). The dashboard holds it for its whole script run, its charts' fragment
    for a fragment's run (within the page's turn it is that turn). While it waits, a rerun or
    Stop of this script still ends the wait."""
    placeholder = st.empty()  # an empty delta is where Streamlit delivers a rerun request
    with _turns(version.CODE).turn(placeholder.empty):
        yield


def give_back() -> None:
    """Let the next session go ahead while this one waits for work that does not need the
    interpreter: a long run (a child process, or the compiled loop without the GIL), or
    another session's run of the same setup. The charts' :func:`turn` queues again."""
    _turns(version.CODE).give_back()


def _spec_bytes(value: Any) -> int:
    """About what a kept spec holds: its data sets' Arrow bytes, and a few kB of spec (or a
    kept tuple of data frames: their memory)."""
    if isinstance(value, tuple):
        return 4096 + sum(int(f.memory_usage(index=True).sum()) for f in value
                          if isinstance(f, pd.DataFrame))
    return 4096 + sum(len(b) for b in value.get("datasets", {}).values()
                      if isinstance(b, (bytes, bytearray)))


def _plain_table(frame: pd.DataFrame) -> pa.Table | None:
    """``frame`` as an Arrow table column by column, when every column is a plain number,
    boolean or string column with a unique string name (what the charts draw); else None.
    Half the cost of ``pa.Table.from_pandas`` (which also writes pandas' metadata, which a
    chart does not read): a page converts some thirty frames per rerun. Missing values (NaN,
    None) become nulls, as with ``from_pandas``."""
    names = list(frame.columns)
    if not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
        return None
    arrays = []
    for _, col in frame.items():
        values = col.array
        if isinstance(values, pd.arrays.NumpyExtensionArray):
            if values.dtype.kind not in "fiub":
                return None  # object, dates ...: pandas' own conversion
            arrays.append(pa.array(values.to_numpy(), from_pandas=True))
        elif isinstance(values, pd.arrays.ArrowStringArray):
            arrays.append(pa.array(values))
        else:
            return None
    return pa.Table.from_arrays(arrays, names=names)


def _arrow(frame: pd.DataFrame) -> bytes:
    """A data frame as Arrow IPC bytes, the form Streamlit sends chart data in."""
    table = _plain_table(frame)
    if table is None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.RecordBatchStreamWriter(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _to_named_arrow(data, *, datasets: dict, names: dict):
    """Altair data transformer: a data frame becomes a named data set in Arrow (once per frame
    object), straight from pandas (Altair's own would turn it into JSON records first)."""
    if not isinstance(data, pd.DataFrame):
        return data
    name = names.get(id(data))
    if name is None:
        arrow = _arrow(data)
        # named by content, as Streamlit names them: the page's charts share one namespace
        name = names[id(data)] = hashlib.md5(arrow, usedforsecurity=False).hexdigest()
        datasets[name] = arrow
    return {"name": name}


alt.data_transformers.register("gdlab_arrow", _to_named_arrow)
_LOG = logging.getLogger(__name__)


def to_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The Vega-Lite spec Streamlit would send for ``chart``, its data sets as Arrow."""
    datasets: dict[str, bytes] = {}
    with _LOCK, alt.theme.enable("none"), alt.data_transformers.enable(
            "gdlab_arrow", datasets=datasets, names={}):
        spec = chart.to_dict(validate=False)
    if datasets:
        spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    return spec


def from_parts(chart_parts: Parts) -> dict[str, Any]:
    """The spec of ``chart_parts.chart()``: its data filled into the kept template of its
    structure (ui/chart_parts.py), which is composed with Altair once per structure and
    server, not once per chart. A class changing learning rates redraws every chart with new
    data and the same structure: that is filling a dict, not building an Altair chart."""
    def made() -> dict[str, Any]:
        with alt.utils.schemapi.debug_mode(False):
            return chart_parts_template(chart_parts, to_spec)

    kept = _store(version.CODE).get(("template", chart_parts.form()), made)
    return fill(kept, chart_parts, _arrow)


def spec(key: Hashable, build: Callable[[], alt.TopLevelMixin | Parts]) -> dict[str, Any]:
    """The kept spec for ``key``, built with ``build()`` the first time (a chart, or its
    :class:`~ui.chart_parts.Parts`)."""
    def made() -> dict[str, Any]:
        with alt.utils.schemapi.debug_mode(False):  # no validation while building (see above)
            got = build()
            return from_parts(got) if isinstance(got, Parts) else to_spec(got)

    return _store(version.CODE).get(key, made)


PICK = "pick"  # the legend selection every run chart has (ui/charts.py: _legend_selection)


def with_highlight(found: dict[str, Any], run: str) -> dict[str, Any]:
    """``found`` with its legend selection starting on ``run``: that run drawn in full and the
    others faded, as after a click on its legend entry (a click elsewhere clears it). A chart
    without the selection is left as it is. The kept spec is not changed."""
    out = {k: v for k, v in found.items() if k != "datasets"}
    out = copy.deepcopy(out)

    def visit(node: Any) -> None:
        if not isinstance(node, dict):
            return
        for p in node.get("params") or []:
            if isinstance(p, dict) and p.get("name") == PICK:
                p["value"] = [{"run": run}]
        for part in ("layer", "hconcat", "vconcat", "concat"):
            for child in node.get(part) or []:
                visit(child)
    visit(out)
    if "datasets" in found:
        out["datasets"] = found["datasets"]
    return out


def chart(container, key: Hashable, build: Callable[[], alt.TopLevelMixin | Parts], *,
          highlight: str | None = None, **kwargs) -> None:
    """Draw the chart ``build()`` makes into ``container`` (``st`` or a column), from the kept
    spec when ``key`` was drawn before; ``highlight``: a run drawn in full, the others faded
    (:func:`with_highlight`). A chart that cannot be built says so in its place (and in the
    server's log), never with a traceback, and the page's other charts still draw."""
    try:
        found = spec(key, build)
    except Exception as err:  # a bug in one chart must not take the page down
        _LOG.exception("chart %r could not be built", key[0] if isinstance(key, tuple) else key)
        container.error(f"This chart could not be drawn ({type(err).__name__}). The other "
                        "charts and the results are unaffected; please report this setup "
                        "(Download setup, below) so it can be fixed.")
        return
    if highlight is not None:
        found = with_highlight(found, highlight)
    # st.vega_lite_chart moves the data sets out of the spec it is given: hand it a copy
    given = {**found, "datasets": dict(found["datasets"])} if "datasets" in found else dict(found)
    container.vega_lite_chart(given, width=kwargs.pop("width", "stretch"), **kwargs)


def kept(key: Hashable, compute: Callable[[], Any]) -> Any:
    """A value derived from what charts draw (e.g. repeats' bands), computed once per key and
    server and kept with the chart specs."""
    return _store(version.CODE).get(("kept", key), compute)


def digest(*parts: Any) -> str:
    """A short stable key for values whose repr is stable (run settings, statuses, numbers)."""
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:16]
