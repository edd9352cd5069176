"""Chart builders for the lessons: tidy DataFrames (from ``gdcore.lessons``) -> alt.Chart.

Only finite numbers reach a spec: rows with a non-finite position are left out, other
non-finite cells become empty."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .charts import (
    DIVERGED_COLOR,
    Chart,
    axis_for,
    clip_paths,
    is_plottable,
    json_safe,
    keep_plottable,
    layer,
    lone_points,
    numeric,
)


def _y_domain(y_domain, log_y: bool) -> list[float] | None:
    """The caller's y range if it can be drawn (finite, low < high, > 0 on a log axis)."""
    if y_domain is None or len(y_domain) != 2:
        return None
    lo, hi = y_domain
    if not (is_plottable(lo, positive=log_y) and is_plottable(hi, positive=log_y)):
        return None
    return [float(lo), float(hi)] if float(lo) < float(hi) else None


def lines_chart(df: pd.DataFrame, x: str, y: str, color: str, *, x_title: str | None = None,
                y_title: str | None = None, log_y: bool = False,
                y_domain: tuple[float, float] | None = None, points: bool = False,
                reference: float | None = None, reference_text: str = "",
                height: int = 300) -> alt.LayerChart:
    """One line per ``color`` group. ``y_domain`` frames the chart: a line is cut at the edge
    where it leaves it, and where it leaves for good a small triangle marks the spot;
    ``log_y`` needs positive values (others are left out); ``reference`` draws a horizontal
    rule."""
    df = keep_plottable(df, [x, y], positive=[y] if log_y else [])
    domain = _y_domain(y_domain, log_y)
    yscale = alt.Scale(type="log") if log_y else alt.Scale(zero=False)
    exits = df.iloc[:0]
    drawn = df
    if domain is not None:
        yscale = alt.Scale(domain=domain, clamp=False, zero=False,
                           type="log" if log_y else "linear")
        if len(df):
            xs = numeric(df[x])
            drawn, exits = clip_paths(df, x, y, (float(xs.min()), float(xs.max()), *domain),
                                      by=color, order=x, log_y=log_y)
    enc = {"x": alt.X(f"{x}:Q", title=x_title or x),
           "y": alt.Y(f"{y}:Q", title=y_title or y, scale=yscale, axis=axis_for(domain)),
           "color": alt.Color(f"{color}:N", title=color, sort=None),
           "tooltip": [f"{color}:N", alt.Tooltip(f"{x}:Q", format=".4g"),
                       alt.Tooltip(f"{y}:Q", format=".6g")]}
    split = {"detail": alt.Detail("piece:N")} if "piece" in drawn.columns else {}
    layers = [Chart(json_safe(drawn)).mark_line(clip=True, strokeWidth=2).encode(
        **enc, **split)]
    real = drawn[~drawn["edge"].astype(bool)] if "edge" in drawn.columns else drawn
    if not points:  # a group of one point draws no line
        real = lone_points(real, by=color)
    if len(real):  # the recorded points only, not the ones put on the edge
        layers.append(Chart(json_safe(real)).mark_point(
            size=25, filled=True, opacity=1, clip=True).encode(**enc))
    if not exits.empty:
        top = numeric(exits[y]) >= domain[1]
        exits = exits.assign(shape=np.where(top, "triangle-up", "triangle-down"),
                             note=[f"leaves the chart after {x} {v:.4g}"
                                   for v in numeric(exits[x])])
        layers.append(Chart(json_safe(exits)).mark_point(
            size=110, filled=True, opacity=1, stroke=DIVERGED_COLOR, strokeWidth=1).encode(
            x=enc["x"], y=enc["y"], color=enc["color"],
            shape=alt.Shape("shape:N", scale=None),
            tooltip=[f"{color}:N", alt.Tooltip("note:N", title="")]))
    if reference is not None and is_plottable(reference, positive=log_y):
        ref = pd.DataFrame({y: [float(reference)], "text": [reference_text]})
        layers.append(Chart(ref).mark_rule(strokeDash=[5, 4], color="#333",
                                               clip=True).encode(
            y=alt.Y(f"{y}:Q", scale=yscale), tooltip=["text:N"]))
    return layer(*layers, height=height)


def cycle_chart(curve_df: pd.DataFrame, steps_df: pd.DataFrame, *,
                height: int = 320) -> alt.LayerChart:
    """The curve (w, loss) and the points visited so far, numbered by step; the newest is red."""
    X = alt.X("w:Q", title="w")
    Y = alt.Y("loss:Q", title="loss")
    curve = keep_plottable(curve_df, ["w", "loss"])
    line = Chart(json_safe(curve)).mark_line(color="#777").encode(x=X, y=Y)
    steps_df = keep_plottable(steps_df, ["step", "w", "loss"])
    pts = steps_df.assign(label=[f"{s:.0f}" for s in steps_df["step"]],
                          newest=steps_df["step"] == steps_df["step"].max())
    pts = json_safe(pts)
    dots = Chart(pts).mark_circle(size=120).encode(
        x=X, y=Y, color=alt.condition("datum.newest", alt.value("#d62728"), alt.value("#4c78a8")),
        tooltip=["step:Q", alt.Tooltip("w:Q", format=".6g"), alt.Tooltip("loss:Q", format=".6g")])
    text = Chart(pts).mark_text(dy=-14, fontSize=13).encode(x=X, y=Y, text="label:N")
    return layer(line, dots, text, height=height)


def plane_chart(df: pd.DataFrame, *, optimum: tuple[float, float] | None = None,
                height: int = 320) -> alt.LayerChart:
    """Paths in the (w, b) plane, one per ``mode``, with the least-squares answer as a cross."""
    X = alt.X("w:Q", title="w", scale=alt.Scale(zero=False))
    Y = alt.Y("b:Q", title="b", scale=alt.Scale(zero=False))
    path = Chart(json_safe(keep_plottable(df, ["step", "w", "b"]))).mark_line(
        point=alt.OverlayMarkDef(size=30)).encode(
        x=X, y=Y, color=alt.Color("mode:N", title="update"), order="step:Q",
        tooltip=["mode:N", "step:Q", alt.Tooltip("w:Q", format=".5g"),
                 alt.Tooltip("b:Q", format=".5g"), alt.Tooltip("loss:Q", format=".5g")])
    layers = [path]
    if optimum is not None and all(is_plottable(v) for v in optimum):
        opt = pd.DataFrame({"w": [float(optimum[0])], "b": [float(optimum[1])],
                            "what": ["least squares"]})
        layers.append(Chart(opt).mark_point(shape="cross", size=300, filled=True,
                                                color="black").encode(x=X, y=Y,
                                                                      tooltip=["what:N"]))
    return layer(*layers, height=height)
