"""Chart builders for the loss-landscape page: tidy DataFrames (from ``gdcore.landscape``) ->
alt.Chart. 1-D: the curve with every run's steps; 2-D: a log-coloured heatmap with paths and the
known minima; basins of attraction as coloured starting points."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .charts import run_scale

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


def curve_chart(curve_df: pd.DataFrame, path_df: pd.DataFrame, now_df: pd.DataFrame,
                minima_df: pd.DataFrame, *, x: str = "w", height: int = 380) -> alt.LayerChart:
    """1-D: the function, each run's steps so far (dots joined in step order), the current point
    of each run (large) and the known minima (green = global, orange = local)."""
    lo, hi = float(curve_df[x].min()), float(curve_df[x].max())
    ymin, ymax = float(curve_df["loss"].min()), float(curve_df["loss"].max())
    pad = 0.05 * (ymax - ymin)
    xs = alt.Scale(domain=[lo, hi], clamp=True)
    ys = alt.Scale(domain=[ymin - pad, ymax + pad], clamp=True)
    X = alt.X(f"{x}:Q", scale=xs, title=x)
    Y = alt.Y("loss:Q", scale=ys, title="loss")
    line = alt.Chart(curve_df).mark_line(color="#555", strokeWidth=2).encode(x=X, y=Y)
    color = run_color(path_df)
    paths = _thin(path_df)
    trail = alt.Chart(paths).mark_line(point=alt.OverlayMarkDef(size=30), strokeWidth=1,
                                       opacity=0.7).encode(
        x=X, y=Y, color=color, order="step:Q",
        tooltip=["run:N", "step:Q", alt.Tooltip(f"{x}:Q", format=".5g"),
                 alt.Tooltip("loss:Q", format=".5g")])
    now = alt.Chart(now_df).mark_point(size=220, filled=True, stroke="black",
                                       strokeWidth=1).encode(
        x=X, y=Y, color=color,
        tooltip=["run:N", "step:Q", alt.Tooltip(f"{x}:Q", format=".6g"),
                 alt.Tooltip("loss:Q", format=".6g"), "status:N"])
    mins = alt.Chart(minima_df).mark_point(shape="cross", size=260, filled=True).encode(
        x=X, y=Y, fill=alt.Fill("kind:N", scale=MINIMUM_COLORS, title="minimum"),
        tooltip=["kind:N", alt.Tooltip(f"{x}:Q", format=".5g"),
                 alt.Tooltip("loss:Q", format=".5g")])
    return alt.layer(line, trail, now, mins).properties(height=height)


def contour_chart(surface_df: pd.DataFrame, path_df: pd.DataFrame, now_df: pd.DataFrame,
                  minima_df: pd.DataFrame, *, names=("w1", "w2"),
                  height: int = 460) -> alt.LayerChart:
    """2-D: the loss as a heatmap coloured by log10(loss - min) (darker = lower), each run's
    path so far, the current points, and the known minima as white stars."""
    a, b = names
    lo1, hi1 = float(surface_df[a].min()), float(surface_df[a].max())
    lo2, hi2 = float(surface_df[b].min()), float(surface_df[b].max())
    xs = alt.Scale(domain=[lo1, hi1], clamp=True, nice=False)
    ys = alt.Scale(domain=[lo2, hi2], clamp=True, nice=False)
    heat = alt.Chart(surface_df).transform_calculate(
        x1=f"datum['{a}'] - datum.dw1 / 2", x2=f"datum['{a}'] + datum.dw1 / 2",
        y1=f"datum['{b}'] - datum.dw2 / 2", y2=f"datum['{b}'] + datum.dw2 / 2",
    ).mark_rect().encode(
        x=alt.X("x1:Q", scale=xs, title=a), x2="x2:Q",
        y=alt.Y("y1:Q", scale=ys, title=b), y2="y2:Q",
        color=alt.Color("level:Q", scale=alt.Scale(scheme="viridis"),
                        title="log10(loss − min)"),
        tooltip=[alt.Tooltip(f"{a}:Q", format=".3g"), alt.Tooltip(f"{b}:Q", format=".3g"),
                 alt.Tooltip("loss:Q", format=".4g")])
    X = alt.X(f"{a}:Q", scale=xs)
    Y = alt.Y(f"{b}:Q", scale=ys)
    color = run_color(path_df)
    thin = _thin(path_df)
    # a dark outline under each path keeps every run colour readable on the heatmap
    halo = alt.Chart(thin).mark_line(strokeWidth=5.5, color="#222", opacity=0.7).encode(
        x=X, y=Y, detail="run:N", order="step:Q")
    trail = alt.Chart(thin).mark_line(strokeWidth=3, point=alt.OverlayMarkDef(
        size=14)).encode(x=X, y=Y, color=color, order="step:Q",
                         tooltip=["run:N", "step:Q", alt.Tooltip("loss:Q", format=".4g")])
    now = alt.Chart(now_df).mark_point(size=200, filled=True, stroke="white",
                                       strokeWidth=1.5).encode(
        x=X, y=Y, color=color,
        tooltip=["run:N", "step:Q", alt.Tooltip(f"{a}:Q", format=".5g"),
                 alt.Tooltip(f"{b}:Q", format=".5g"), alt.Tooltip("loss:Q", format=".5g")])
    mins = alt.Chart(minima_df).mark_point(shape="diamond", size=260, filled=True,
                                           color="white", stroke="black",
                                           strokeWidth=1.5).encode(
        x=X, y=Y, tooltip=["kind:N", alt.Tooltip(f"{a}:Q", format=".5g"),
                           alt.Tooltip(f"{b}:Q", format=".5g")])
    return alt.layer(heat, halo, trail, now, mins).properties(height=height).resolve_scale(
        color="independent")


def loss_steps_chart(path_df: pd.DataFrame, step: int, *, height: int = 220) -> alt.LayerChart:
    """Loss against step for every run, with a rule at the current step (linear axis: the test
    functions' losses can be negative)."""
    color = run_color(path_df)
    lines = alt.Chart(_thin(path_df)).mark_line().encode(
        x=alt.X("step:Q", title="step"), y=alt.Y("loss:Q", title="loss"), color=color,
        tooltip=["run:N", "step:Q", alt.Tooltip("loss:Q", format=".5g")])
    rule = alt.Chart(pd.DataFrame({"step": [step]})).mark_rule(color="black").encode(x="step:Q")
    return alt.layer(lines, rule).properties(height=height)


def basin_chart(curve_df: pd.DataFrame, basins_df: pd.DataFrame, minima_df: pd.DataFrame,
                *, hump: float | None = None, height: int = 300) -> alt.LayerChart:
    """Each starting point drawn on the curve, coloured by the minimum it reached; the minima
    as crosses and, when given, the hump between the basins as a dashed rule."""
    X = alt.X("w:Q", title="w (starting point)")
    Y = alt.Y("loss:Q", title="loss")
    line = alt.Chart(curve_df).mark_line(color="#555").encode(x=X, y=Y)
    pts = alt.Chart(basins_df.rename(columns={"start": "w", "start_loss": "loss"})).mark_circle(
        size=70, opacity=0.9).encode(
        x=X, y=Y, color=alt.Color("minimum:N", scale=MINIMUM_COLORS, title="reaches"),
        tooltip=[alt.Tooltip("w:Q", title="start", format=".4g"),
                 alt.Tooltip("final_w:Q", format=".5g"), "minimum:N", "status:N"])
    mins = alt.Chart(minima_df).mark_point(shape="cross", size=260, filled=True,
                                           color="black").encode(x=X, y=Y)
    layers = [line, pts, mins]
    if hump is not None:
        layers.append(alt.Chart(pd.DataFrame({"w": [hump]})).mark_rule(
            strokeDash=[4, 4], color="#444").encode(x="w:Q"))
    return alt.layer(*layers).properties(height=height)
