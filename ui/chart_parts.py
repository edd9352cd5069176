"""A chart as its parts: what it draws (data frames, and numbers found in the data) apart from
how it draws them (its structure). No Streamlit here.

Building a layered Altair chart and turning it into a Vega-Lite spec costs tens of
milliseconds; a page draws seven, and a class of thirty sessions each changing one learning
rate asks for 210 of them, every one with new data and the same structure. So a builder
returns :class:`Parts`:

* ``frames``: the data frames its layers draw (named by role: ``"hist"``, ``"lone"`` ...);
* ``values``: numbers (or lists of numbers) computed from the data that the spec holds, such
  as a scale's domain or contour levels;
* ``shape``: everything else the chart is drawn from (the view options, the run names, which
  layers there are), hashable;
* ``compose(frames, values, **shape)``: the Altair chart. It only passes frames and values
  on to Altair, never looks inside them: every decision is taken in the builder and handed
  over in ``shape``, and every data frame comes in ``frames``.

``parts.chart()`` is the chart itself (what the builders' plain functions return, and what
the tests validate). :func:`template` composes the chart once per structure with stand-ins,
frames as named data sets and values as marker strings, and :func:`fill` puts the data into
that spec: the spec ``render.to_spec(parts.chart())`` would give, without Altair
(``tests/test_chart_parts.py`` checks they are equal, on ordinary and adversarial histories).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

# stand-ins are unguessable: no user text (a run name in a title) can be taken for one
TOKEN = f"gdlab-{uuid.uuid4().hex}"


def _plain(value: Any) -> Any:
    """A value as the JSON-plain Python value Altair would write (numpy scalars become
    Python numbers, tuples lists)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if value is None or isinstance(value, (str, int, float)):
        return value
    raise TypeError(f"a chart value must be a number, a string or a list of them, "
                    f"not {type(value).__name__}")


def _form(value: Any) -> Hashable:
    """What a value's stand-in looks like: one marker, or a list of so many."""
    return ("list", tuple(_form(v) for v in value)) if isinstance(value, list) else "one"


def _marker(name: str, value: Any) -> Any:
    if isinstance(value, list):
        return [_marker(f"{name}.{i}", v) for i, v in enumerate(value)]
    return f"{TOKEN}:v:{name}"


def _frame_name(name: str) -> str:
    return f"{TOKEN}:d:{name}"


@dataclass(frozen=True, eq=False)
class Parts:
    """A chart's data, data-derived values and structure (see the module's doc)."""

    compose: Callable[..., alt.TopLevelMixin]
    frames: Mapping[str, pd.DataFrame]
    values: Mapping[str, Any]
    shape: Mapping[str, Hashable]

    def chart(self) -> alt.TopLevelMixin:
        """The chart, drawn from the data itself."""
        return self.compose(dict(self.frames), dict(self.values), **self.shape)

    def form(self) -> Hashable:
        """A key for the structure: the charts of equal forms differ only in their data and
        values."""
        return (self.compose.__module__, self.compose.__qualname__,
                tuple(sorted(self.shape.items())), tuple(sorted(self.frames)),
                tuple((k, _form(v)) for k, v in sorted(self.values.items())))

    def stand_in(self) -> alt.TopLevelMixin:
        """The chart drawn from stand-ins: each frame a named data set, each value a marker."""
        frames = {k: alt.NamedData(name=_frame_name(k)) for k in self.frames}
        values = {k: _marker(k, v) for k, v in self.values.items()}
        return self.compose(frames, values, **self.shape)


def parts(compose: Callable[..., alt.TopLevelMixin], frames: Mapping[str, pd.DataFrame],
          values: Mapping[str, Any] | None = None, **shape: Hashable) -> Parts:
    """:class:`Parts`, its values made JSON-plain and its shape checked hashable."""
    hash(tuple(shape.items()))  # (a list in the shape is a bug: TypeError here, not later)
    return Parts(compose, dict(frames), {k: _plain(v) for k, v in (values or {}).items()},
                 dict(shape))


def template(chart_parts: Parts, to_spec: Callable[[alt.TopLevelMixin], dict]) -> dict:
    """The spec of ``chart_parts`` drawn from stand-ins (see :func:`fill`)."""
    spec = to_spec(chart_parts.stand_in())
    if spec.get("datasets"):  # a frame made inside compose would hold stand-ins, not data
        raise ValueError(f"{chart_parts.compose.__qualname__} draws a data frame that is not "
                         "one of its frames")
    return spec


def _flat(name: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, list):
        for i, v in enumerate(value):
            _flat(f"{name}.{i}", v, out)
    else:
        out[f"{TOKEN}:v:{name}"] = value


def fill(spec: dict, chart_parts: Parts, arrow: Callable[[pd.DataFrame], bytes]) -> dict:
    """The template ``spec`` with ``chart_parts``' data in it: each stand-in data set named by
    its frame's content (the MD5 of its Arrow bytes, as ``render.to_spec`` names them) and
    held in ``datasets``, each marker replaced by its value. A fresh dict: the template is
    not changed."""
    frames = {_frame_name(k): f for k, f in chart_parts.frames.items()}
    names: dict[str, str] = {}  # stand-in -> content name, for the frames the spec draws
    datasets: dict[str, bytes] = {}

    def named(stand_in: str) -> str:
        if stand_in not in names:
            data = arrow(frames[stand_in])
            names[stand_in] = hashlib.md5(data, usedforsecurity=False).hexdigest()
            datasets[names[stand_in]] = data
        return names[stand_in]

    values: dict[str, Any] = {}
    for key, value in chart_parts.values.items():
        _flat(key, value, values)

    def put(node: Any) -> Any:
        if isinstance(node, dict):
            if len(node) == 1 and isinstance(node.get("name"), str) and node["name"] in frames:
                return {"name": named(node["name"])}
            return {k: put(v) for k, v in node.items()}
        if isinstance(node, list):
            return [put(v) for v in node]
        if isinstance(node, str) and node.startswith(TOKEN):
            return values[node]  # (a marker with no value: a bug, KeyError)
        return node

    out = put(spec)
    if datasets:
        out["datasets"] = datasets
    return out
