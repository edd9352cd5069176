"""Chart builders for the loss-landscape page: tidy DataFrames (from ``gdcore.landscape``) ->
alt.Chart. 1-D: the curve with every run's steps; 2-D: a log-coloured heatmap with paths and the
known minima; basins of attraction as coloured starting points.

Only finite numbers reach a spec (rows with a non-finite position are left out, other
non-finite cells become empty). The curve and contour charts frame the function and clamp:
a run that left the frame is drawn at its edge."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .charts import (
    DIVERGED_COLOR,
    Chart,
    axis_for,
    cut_runs,
    first_values,
    is_plottable,
    json_safe,
    keep_plottable,
    layer,
    lone_points,
    numeric,
    run_scale,
    value_range,
)

MINIMUM_COLORS = alt.Scale(domain=["global", "local", "none"],
                           range=["#2ca02c", "#ff7f0e", "#999999"])
MAX_PATH_POINTS = 4000


def run_color(path_df: pd.DataFrame) -> alt.Color:
    """One colour per run, the same on every chart of the page (in the order the runs come)."""
    return alt.Color("run:N", title="run", scale=run_scale(pd.unique(path_df["run"]).tolist()))


def _thin(path_df: pd.DataFrame) -> pd.DataFrame:
    """Keep at most MAX_PATH_POINTS rows, evenly per run, always keeping each run's last row."""
    if len(path_df) <= MAX_PATH_POINTS:
        return path_df
    per = max(2, MAX_PATH_POINTS // max(1, path_df["run"].nunique()))
    parts = []
    for _, g in path_df.groupby("run", sort=False):
        k = max(1, len(g) // per)
        parts.append(pd.concat([g.iloc[::k], g.iloc[[-1]]]).drop_duplicates())
    return pd.concat(parts)


def _domain(primary: pd.Series, *others: pd.Series, pad: float = 0.0) -> list[float]:
    """A finite scale domain: around ``primary`` (the function's own grid), else around the
    other values, else [-1, 1]."""
    rest = np.concatenate([numeric(o) for o in others]) if others else []
    return value_range(primary, pad=pad, flat=0.1) or value_range(rest, pad=0.05) or [-1.0, 1.0]


def curve_chart(curve_df: pd.DataFrame, path_df: pd.DataFrame, now_df: pd.DataFrame,
                minima_df: pd.DataFrame, *, x: str = "w", height: int = 380) -> alt.LayerChart:
    """1-D: the function, each run's steps so far (dots joined in step order), the current point
    of each run (large) and the known minima (green = global, orange = local)."""
    curve = keep_plottable(curve_df, [x, "loss"])
    paths = keep_plottable(_thin(path_df), ["step", x, "loss"])
    now = keep_plottable(now_df, [x, "loss"])
    mins = keep_plottable(minima_df, [x, "loss"])
    parts = (paths, now, mins)
    x_dom = _domain(curve[x], *(p[x] for p in parts))
    y_dom = _domain(curve["loss"], *(p["loss"] for p in parts), pad=0.05)
    xs, ys = alt.Scale(domain=x_dom, clamp=True), alt.Scale(domain=y_dom, clamp=True)
    X = alt.X(f"{x}:Q", scale=xs, title=x, axis=axis_for(x_dom))
    Y = alt.Y("loss:Q", scale=ys, title="loss", axis=axis_for(y_dom))
    line = Chart(json_safe(curve)).mark_line(color="#555", strokeWidth=2).encode(x=X, y=Y)
    color = run_color(path_df)
    trail = Chart(json_safe(paths)).mark_line(point=alt.OverlayMarkDef(size=30),
                                                  strokeWidth=1, opacity=0.7).encode(
        x=X, y=Y, color=color, order="step:Q",
        tooltip=["run:N", "step:Q", alt.Tooltip(f"{x}:Q", format=".5g"),
                 alt.Tooltip("loss:Q", format=".5g")])
    now_mark = Chart(json_safe(now)).mark_point(size=220, filled=True, stroke="black",
                                                    strokeWidth=1).encode(
        x=X, y=Y, color=color,
        tooltip=["run:N", "step:Q", alt.Tooltip(f"{x}:Q", format=".6g"),
                 alt.Tooltip("loss:Q", format=".6g"), "status:N"])
    min_marks = Chart(json_safe(mins)).mark_point(shape="cross", size=260,
                                                      filled=True).encode(
        x=X, y=Y, fill=alt.Fill("kind:N", scale=MINIMUM_COLORS, title="minimum"),
        tooltip=["kind:N", alt.Tooltip(f"{x}:Q", format=".5g"),
                 alt.Tooltip("loss:Q", format=".5g")])
    return layer(line, trail, now_mark, min_marks, height=height)


def contour_chart(surface_df: pd.DataFrame, path_df: pd.DataFrame, now_df: pd.DataFrame,
                  minima_df: pd.DataFrame, *, names=("w1", "w2"),
                  height: int = 460) -> alt.LayerChart:
    """2-D: the loss as a heatmap coloured by log10(loss - min) (darker = lower), each run's
    path so far, the current points, and the known minima as white stars."""
    a, b = names
    surface = keep_plottable(surface_df, [a, b, "dw1", "dw2", "level"])
    thin = keep_plottable(_thin(path_df), ["step", a, b])
    now = keep_plottable(now_df, [a, b])
    mins = keep_plottable(minima_df, [a, b])
    parts = (thin, now, mins)
    a_dom = _domain(surface[a], *(p[a] for p in parts))
    b_dom = _domain(surface[b], *(p[b] for p in parts))
    xs = alt.Scale(domain=a_dom, clamp=True, nice=False)
    ys = alt.Scale(domain=b_dom, clamp=True, nice=False)
    heat = Chart(json_safe(surface)).transform_calculate(
        x1=f"datum['{a}'] - datum.dw1 / 2", x2=f"datum['{a}'] + datum.dw1 / 2",
        y1=f"datum['{b}'] - datum.dw2 / 2", y2=f"datum['{b}'] + datum.dw2 / 2",
    ).mark_rect().encode(
        x=alt.X("x1:Q", scale=xs, title=a, axis=axis_for(a_dom)), x2="x2:Q",
        y=alt.Y("y1:Q", scale=ys, title=b, axis=axis_for(b_dom)), y2="y2:Q",
        color=alt.Color("level:Q", scale=alt.Scale(scheme="viridis"),
                        title="log10(loss − min)"),
        tooltip=[alt.Tooltip(f"{a}:Q", format=".3g"), alt.Tooltip(f"{b}:Q", format=".3g"),
                 alt.Tooltip("loss:Q", format=".4g")])
    X = alt.X(f"{a}:Q", scale=xs)
    Y = alt.Y(f"{b}:Q", scale=ys)
    color = run_color(path_df)
    thin = json_safe(thin)
    # a dark outline under each path keeps every run colour readable on the heatmap
    halo = Chart(thin).mark_line(strokeWidth=5.5, color="#222", opacity=0.7).encode(
        x=X, y=Y, detail="run:N", order="step:Q")
    trail = Chart(thin).mark_line(strokeWidth=3, point=alt.OverlayMarkDef(
        size=14)).encode(x=X, y=Y, color=color, order="step:Q",
                         tooltip=["run:N", "step:Q", alt.Tooltip("loss:Q", format=".4g")])
    now_mark = Chart(json_safe(now)).mark_point(size=200, filled=True, stroke="white",
                                                    strokeWidth=1.5).encode(
        x=X, y=Y, color=color,
        tooltip=["run:N", "step:Q", alt.Tooltip(f"{a}:Q", format=".5g"),
                 alt.Tooltip(f"{b}:Q", format=".5g"), alt.Tooltip("loss:Q", format=".5g")])
    min_marks = Chart(json_safe(mins)).mark_point(shape="diamond", size=260, filled=True,
                                                      color="white", stroke="black",
                                                      strokeWidth=1.5).encode(
        x=X, y=Y, tooltip=["kind:N", alt.Tooltip(f"{a}:Q", format=".5g"),
                           alt.Tooltip(f"{b}:Q", format=".5g")])
    return layer(heat, halo, trail, now_mark, min_marks, height=height).resolve_scale(
        color="independent")


def loss_steps_chart(path_df: pd.DataFrame, step: int, *, height: int = 220) -> alt.LayerChart:
    """Loss against step for every run, with a rule at the current step (linear axis: the test
    functions' losses can be negative). The y range is that of the runs that did not diverge:
    a diverged run is cut where it leaves the chart and marked there with a red cross."""
    color = run_color(path_df)
    data = keep_plottable(_thin(path_df), ["step", "loss"])
    bad = (data["status"].eq("diverged").to_numpy(dtype=bool) if "status" in data.columns
           else pd.Series(False, index=data.index).to_numpy(dtype=bool))
    domain = None  # framed on the runs that did not diverge (if all did: on all of them)
    if bad.any() and not bad.all():
        domain = value_range(data.loc[~bad, "loss"], pad=0.05,
                             extra=first_values(data[bad], "loss"))
    y = alt.Y("loss:Q", title="loss")
    exits = data.iloc[:0]
    split = {}
    if domain is not None:
        steps = data["step"]
        data, exits = cut_runs(data, bad, "step", "loss",
                               (float(steps.min()), float(steps.max()), *domain))
        y = alt.Y("loss:Q", title="loss", scale=alt.Scale(domain=domain, nice=False, zero=False),
                  axis=axis_for(domain))
        split = {"detail": alt.Detail("piece:N")}
    lines = Chart(json_safe(data)).mark_line(clip=True).encode(
        x=alt.X("step:Q", title="step"), y=y, color=color, **split,
        tooltip=["run:N", "step:Q", alt.Tooltip("loss:Q", format=".5g")])
    layers = [lines]
    lone = lone_points(data[~data["edge"].astype(bool)] if "edge" in data.columns else data)
    if not lone.empty:  # a run of one step draws no line
        layers.append(Chart(json_safe(lone)).mark_point(size=40, filled=True).encode(
            x="step:Q", y=y, color=color))
    if is_plottable(step):
        layers.append(Chart(pd.DataFrame({"step": [float(step)]})).mark_rule(
            color="black").encode(x="step:Q"))
    if not exits.empty:
        exits = exits.assign(note=[f"diverged: off the chart after step {s:.0f}"
                                   for s in exits["step"]])
        layers.append(Chart(json_safe(exits)).mark_point(
            shape="cross", size=150, filled=True, color=DIVERGED_COLOR).encode(
            x="step:Q", y=y, tooltip=["run:N", alt.Tooltip("note:N", title="status")]))
    return layer(*layers, height=height)


def basin_chart(curve_df: pd.DataFrame, basins_df: pd.DataFrame, minima_df: pd.DataFrame,
                *, hump: float | None = None, height: int = 300) -> alt.LayerChart:
    """Each starting point drawn on the curve, coloured by the minimum it reached; the minima
    as crosses and, when given, the hump between the basins as a dashed rule."""
    X = alt.X("w:Q", title="w (starting point)")
    Y = alt.Y("loss:Q", title="loss")
    curve = keep_plottable(curve_df, ["w", "loss"])
    starts = keep_plottable(basins_df.rename(columns={"start": "w", "start_loss": "loss"}),
                            ["w", "loss"])
    line = Chart(json_safe(curve)).mark_line(color="#555").encode(x=X, y=Y)
    pts = Chart(json_safe(starts)).mark_circle(size=70, opacity=0.9).encode(
        x=X, y=Y, color=alt.Color("minimum:N", scale=MINIMUM_COLORS, title="reaches"),
        tooltip=[alt.Tooltip("w:Q", title="start", format=".4g"),
                 alt.Tooltip("final_w:Q", format=".5g"), "minimum:N", "status:N"])
    mins = Chart(json_safe(keep_plottable(minima_df, ["w", "loss"]))).mark_point(
        shape="cross", size=260, filled=True, color="black").encode(x=X, y=Y)
    layers = [line, pts, mins]
    if hump is not None and is_plottable(hump):
        layers.append(Chart(pd.DataFrame({"w": [float(hump)]})).mark_rule(
            strokeDash=[4, 4], color="#444").encode(x="w:Q"))
    return layer(*layers, height=height)
