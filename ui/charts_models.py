"""Altair chart builders for models with several features and for classification (no
Streamlit).

* :func:`weights_chart`: every run's final weight per feature beside the reference's.
* :func:`accuracy_chart`: the share of rows classified right, per step.
* :func:`boundary_chart`: the data with each run's decision boundary: for one feature the
  predicted probability σ(w·x + b) over x, for two the line w1·x1 + w2·x2 + b = 0 in the plane.

As in :mod:`ui.charts_space`, column names from uploaded files never become Vega field names:
the data is renamed and the original names appear only in titles (drawn as plain text).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from ui.charts import (
    DIVERGED_COLOR,
    HEIGHT,
    X_FIELDS,
    Chart,
    axis_for,
    channel,
    downsample,
    is_plottable,
    json_safe,
    keep_plottable,
    layer,
    lone_points,
    numeric,
    picked,
    points_per_run,
    run_scale,
    style,
    titled,
    value_range,
)
from ui.charts_space import MAX_DATA_POINTS, _segment, _title

CURVE_POINTS = 120  # points on each run's probability curve
CLASS_COLORS = ("#9a9a9a", "#333333")  # label 0, label 1 (runs have the palette's colours)


def weights_chart(frame: pd.DataFrame, *, runs: Sequence[str] | None = None,
                  reference_name: str = "least squares", height: int = HEIGHT,
                  big: bool = False) -> alt.TopLevelMixin:
    """One row per parameter (``feature``), a dot per run at its final value and a black
    diamond at the reference's. ``frame``: columns ``run, param, feature, value, status,
    reference`` (:func:`ui.results.weights_frame`). The range is that of the runs that did not
    diverge and the reference: a diverged run's weights (near the overflow) are not drawn, it
    is named in the chart's corner instead."""
    runs = list(runs) if runs is not None else list(dict.fromkeys(frame["run"]))
    order = list(dict.fromkeys(frame["feature"]))
    gone = frame["status"].eq("diverged")
    ok = keep_plottable(frame[~gone], ["value"])
    ref = keep_plottable(frame.drop_duplicates("feature")[["feature", "reference"]],
                         ["reference"])
    domain = value_range(pd.concat([ok["value"], ref["reference"]]), pad=0.1) or [-1.0, 1.0]
    xs = alt.Scale(domain=domain, nice=False)
    ys = alt.Y("feature:N", sort=order, title=None,
               axis=alt.Axis(labelLimit=190 if big else 150))
    pick = alt.selection_point(fields=["run"], bind="legend", name="pick")
    zero = Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#bbb").encode(
        x=alt.X("x:Q", scale=xs))
    layers: list[alt.Chart] = [zero] if domain[0] < 0 < domain[1] else []
    layers.append(Chart(json_safe(ok)).mark_point(size=90, filled=True, opacity=0.85,
                                                  clip=True).encode(
        x=alt.X("value:Q", scale=xs, title="final value (model units)", axis=axis_for(domain)),
        y=ys, yOffset=alt.YOffset("run:N", sort=runs, title=None),
        color=alt.Color("run:N", scale=run_scale(runs), title=None),
        opacity=picked(0.9, 0.1),
        tooltip=[alt.Tooltip("run:N"), alt.Tooltip("feature:N"),
                 alt.Tooltip("value:Q", title="final value", format=".5~g")],
    ).add_params(pick))
    if not ref.empty:
        layers.append(Chart(ref.assign(label=reference_name)).mark_point(
            shape="diamond", size=130, filled=False, strokeWidth=2, color="black",
            clip=True).encode(
            x=alt.X("reference:Q", scale=xs), y=ys,
            tooltip=[alt.Tooltip("label:N", title=""), alt.Tooltip("feature:N"),
                     alt.Tooltip("reference:Q", title="value", format=".5~g")]))
    lost = list(dict.fromkeys(frame.loc[gone, "run"]))
    if lost:
        layers.append(_corner_notes([f"✕ {_title(r, 28)} diverged: not drawn" for r in lost],
                                    big))
    chart = layer(*layers, height=max(height, 34 * len(order)),
                  title=titled("Final weights per feature", f"◇ {reference_name}"))
    return style(chart, big=big)


def accuracy_chart(history: pd.DataFrame, *, x: str = "step", height: int = HEIGHT,
                   big: bool = False) -> alt.TopLevelMixin:
    """Share of the rows each run classifies right (probability ≥ ½ predicts 1), per step."""
    runs = list(dict.fromkeys(history["run"]))
    hist = keep_plottable(history[["run", "step", "epoch", "samples", "accuracy"]],
                          [x, "accuracy"])
    hist = downsample(hist, points_per_run(len(runs)))
    enc = {"x": alt.X(f"{x}:Q", title=X_FIELDS[x]),
           "y": alt.Y("accuracy:Q", title="accuracy (share of rows)",
                      scale=alt.Scale(domain=[0.0, 1.0], nice=False),
                      axis=alt.Axis(format=".0%")),
           "color": alt.Color("run:N", scale=run_scale(runs), title=None),
           "tooltip": [alt.Tooltip("run:N"), alt.Tooltip(f"{x}:Q", format=",.4~g"),
                       alt.Tooltip("accuracy:Q", format=".1%")]}
    pick = alt.selection_point(fields=["run"], bind="legend", name="pick")
    line = Chart(json_safe(hist)).mark_line(strokeWidth=2, clip=True).encode(
        **enc, opacity=picked(1.0, 0.1)).add_params(pick)
    layers: list[alt.Chart] = [line]
    lone = lone_points(hist)
    if not lone.empty:
        layers.append(Chart(json_safe(lone)).mark_point(size=40, filled=True).encode(
            **{**enc, "color": alt.Color("run:N", scale=run_scale(runs), legend=None)}))
    return style(layer(*layers, height=height, title="Accuracy (full data)"), big=big)


def _corner_notes(texts: Sequence[str], big: bool) -> alt.Chart:
    notes = pd.DataFrame({"text": list(texts),
                          "px": 8 + (22 if big else 17) * np.arange(len(texts))})
    return Chart(notes).mark_text(
        align="left", baseline="top", color=DIVERGED_COLOR, fontWeight="bold",
        fontSize=16 if big else 12).encode(
        x=channel("x", alt.value(6)), y=alt.Y("px:Q", axis=None, scale=None), text="text:N")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return np.where(z >= 0, 1.0 / (1.0 + np.exp(-np.abs(z))),
                        np.exp(-np.abs(z)) / (1.0 + np.exp(-np.abs(z))))


def _class_points(data: pd.DataFrame, classes: Sequence[str], xs, ys, x_title: str,
                  y_title: str, labels: str) -> list[alt.Chart]:
    """The rows as points: label 1 filled dark, label 0 hollow grey (the runs own colour)."""
    out = []
    for k in (0, 1):
        part = data[data["label"] == k]
        if part.empty:
            continue
        out.append(Chart(part.assign(cls=str(classes[k]))).mark_point(
            size=30, filled=k == 1, opacity=0.55 if k else 0.7, color=CLASS_COLORS[k],
            shape="circle").encode(
            x=alt.X("x:Q", scale=xs, title=x_title, axis=axis_for(xs.domain)),
            y=alt.Y("y:Q", scale=ys, title=y_title, axis=axis_for(ys.domain)),
            tooltip=[alt.Tooltip("x:Q", title=_title(x_title, 24), format=".4~g"),
                     alt.Tooltip(f"{labels}:N", title=_title(y_title, 24) if labels == "y"
                                 else "class"),
                     alt.Tooltip("cls:N", title="class")]))
    return out


def boundary_chart(frame: pd.DataFrame, x_names: Sequence[str], y_name: str,
                   lines: pd.DataFrame, *, classes: Sequence[str] = ("0", "1"),
                   reference: Sequence[float] | None = None,
                   runs: Sequence[str] | None = None, reference_name: str = "optimum",
                   height: int = HEIGHT, big: bool = False) -> alt.TopLevelMixin:
    """The data and each run's decision boundary, in the data's original units.

    ``frame``: the data (original units) with the x columns and a 0/1 label column ``y_name``;
    ``lines``: one row per run with ``run``, ``status`` and its parameters ``w`` (one feature)
    or ``w1, w2`` (two), and ``b``; ``reference``: the optimum's (w.., b), or None (separable
    classes: no finite optimum). One feature: the labels at 0 and 1 and each run's predicted
    probability σ(w·x + b) over x (the boundary is where it crosses ½). Two features: the
    rows in the plane and each run's line w1·x1 + w2·x2 + b = 0."""
    runs = list(runs) if runs is not None else list(dict.fromkeys(lines["run"]))
    d = len(x_names)
    if d not in (1, 2):
        raise ValueError("a decision boundary is drawn for one or two features")
    gone = lines["status"].eq("diverged") if "status" in lines.columns else \
        pd.Series(False, index=lines.index)
    params = ["w", "b"] if d == 1 else ["w1", "w2", "b"]
    ok = keep_plottable(lines[~gone], params)
    label = numeric(frame[y_name])
    if d == 1:
        data = pd.DataFrame({"x": numeric(frame[x_names[0]]), "y": label, "label": label})
    else:
        data = pd.DataFrame({"x": numeric(frame[x_names[0]]), "y": numeric(frame[x_names[1]]),
                             "label": label})
    data = keep_plottable(data, ["x", "y"])
    if len(data) > MAX_DATA_POINTS:
        data = data.sample(MAX_DATA_POINTS, random_state=0)
    x0, x1 = value_range(data["x"], pad=0.04, flat=0.1) or [-1.0, 1.0]
    xs = alt.Scale(domain=[x0, x1], nice=False)
    scale = run_scale(runs)
    pick = alt.selection_point(fields=["run"], bind="legend", name="pick")
    tag = f"● {_title(classes[1], 20)}, ○ {_title(classes[0], 20)}"
    if d == 1:
        ys = alt.Scale(domain=[-0.06, 1.06], nice=False)
        layers = _class_points(data, classes, xs, ys, _title(x_names[0]),
                               f"P({_title(y_name, 24)} = {_title(classes[1], 16)})", "y")
        grid = np.linspace(x0, x1, CURVE_POINTS)
        curves = pd.DataFrame([
            {"run": r.run, "x": float(x), "p": float(p)}
            for r in ok.itertuples() for x, p in zip(grid, _sigmoid(r.w * grid + r.b))],
            columns=["run", "x", "p"])
        if not curves.empty:
            layers.append(Chart(json_safe(curves)).mark_line(strokeWidth=2.5, clip=True).encode(
                x=alt.X("x:Q", scale=xs), y=alt.Y("p:Q", scale=ys),
                color=alt.Color("run:N", scale=scale, title=None), opacity=picked(1.0, 0.1),
                tooltip=[alt.Tooltip("run:N"), alt.Tooltip("x:Q", format=".4~g"),
                         alt.Tooltip("p:Q", title="probability", format=".3f")],
            ).add_params(pick))
        if reference is not None and all(is_plottable(v) for v in reference):
            w, b = (float(v) for v in reference)
            ref = pd.DataFrame({"x": grid, "p": _sigmoid(w * grid + b), "label": reference_name})
            layers.append(Chart(json_safe(ref)).mark_line(
                strokeDash=[6, 4], color="black", clip=True).encode(
                x=alt.X("x:Q", scale=xs), y=alt.Y("p:Q", scale=ys),
                tooltip=[alt.Tooltip("label:N", title=""), alt.Tooltip("x:Q", format=".4~g"),
                         alt.Tooltip("p:Q", title="probability", format=".3f")]))
        half = Chart(pd.DataFrame({"p": [0.5]})).mark_rule(color="#bbb", strokeDash=[2, 3]) \
            .encode(y=alt.Y("p:Q", scale=ys))
        layers.insert(0, half)
        title = titled("Predicted probability per run", f"{tag} · dashed: {reference_name}")
    else:
        y0, y1 = value_range(data["y"], pad=0.04, flat=0.1) or [-1.0, 1.0]
        ys = alt.Scale(domain=[y0, y1], nice=False)
        box = (x0, x1, y0, y1)
        layers = _class_points(data, classes, xs, ys, _title(x_names[0]), _title(x_names[1]),
                               "label")
        segs = pd.DataFrame([row for r in ok.itertuples() for row in _boundary(
            r.w1, r.w2, r.b, box, run=r.run)], columns=["x", "y", "run"])
        if not segs.empty:
            layers.append(Chart(json_safe(segs)).mark_line(strokeWidth=2.5, clip=True).encode(
                x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys), detail="run:N",
                color=alt.Color("run:N", scale=scale, title=None), opacity=picked(1.0, 0.1),
                tooltip=[alt.Tooltip("run:N")]).add_params(pick))
        if reference is not None and all(is_plottable(v) for v in reference):
            w1, w2, b = (float(v) for v in reference)
            ref = pd.DataFrame(_boundary(w1, w2, b, box, label=reference_name),
                               columns=["x", "y", "label"])
            if not ref.empty:
                layers.append(Chart(ref).mark_line(strokeDash=[6, 4], color="black",
                                                   clip=True).encode(
                    x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys),
                    tooltip=[alt.Tooltip("label:N", title="")]))
        title = titled("Decision boundaries", f"{tag} · dashed: {reference_name}")
    lost = list(dict.fromkeys(lines.loc[gone, "run"]))
    if lost:
        layers.append(_corner_notes([f"✕ {_title(r, 28)} diverged: no boundary" for r in lost],
                                    big))
    return style(layer(*layers, height=height, title=title), big=big)


def _boundary(w1: float, w2: float, b: float, box: tuple[float, float, float, float],
              **columns) -> list[dict]:
    """The visible part of the line w1·x + w2·y + b = 0 (none when it misses the box or the
    weights are both 0)."""
    x0, x1, y0, y1 = box
    if w2 != 0 and np.isfinite(-w1 / w2) and np.isfinite(-b / w2):
        return _segment(-w1 / w2, -b / w2, box, **columns)
    if w1 != 0 and np.isfinite(-b / w1):  # vertical: x = -b / w1
        x = -b / w1
        return ([{"x": x, "y": y0, **columns}, {"x": x, "y": y1, **columns}]
                if x0 <= x <= x1 else [])
    return []
