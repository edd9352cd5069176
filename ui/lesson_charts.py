"""Chart builders for the lessons: tidy DataFrames (from ``lab.lessons``) -> alt.Chart.

Groups (a learning rate, a method, a schedule) get the dashboard's palette in the order they
come (not the theme's shades of one hue); ``big``: fonts for a projector (classroom mode).

Only finite numbers reach a spec: rows with a non-finite position are left out, other
non-finite cells become empty."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .charts import (
    DIVERGED_COLOR,
    PALETTE,
    Chart,
    axis_for,
    channel,
    clip_paths,
    is_plottable,
    json_safe,
    keep_plottable,
    layer,
    lone_points,
    numeric,
    value_range,
)
from .landscape_charts import heatmap, styled


def group_scale(groups) -> alt.Scale:
    """Distinct colours for the groups, in the order they come."""
    groups = [g for g in dict.fromkeys(groups) if g is not None and g == g]
    return alt.Scale(domain=groups, range=[PALETTE[i % len(PALETTE)] for i in range(len(groups))])


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
                height: int = 300, big: bool = False,
                legend_columns: int | None = None, log_x: bool = False,
                y_format: str | None = None) -> alt.LayerChart:
    """One line per ``color`` group. ``y_domain`` frames the chart: a line is cut at the edge
    where it leaves it, and where it leaves for good a small triangle marks the spot;
    ``log_y`` / ``log_x`` need positive values (others are left out); ``reference`` draws a
    horizontal rule, labelled with ``reference_text``; ``legend_columns``: fewer for a narrow
    chart; ``y_format``: the y axis's tick format (d3, e.g. ".0%")."""
    df = keep_plottable(df, [x, y], positive=[c for c, on in ((x, log_x), (y, log_y)) if on])
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
    yaxis = alt.Axis(format=y_format) if y_format else axis_for(domain)
    enc = {"x": alt.X(f"{x}:Q", title=x_title or x,
                      scale=alt.Scale(type="log", nice=False, padding=12) if log_x
                      else alt.Undefined),
           "y": alt.Y(f"{y}:Q", title=y_title or y, scale=yscale, axis=yaxis),
           "color": alt.Color(f"{color}:N", title=color, scale=group_scale(df[color])),
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
        if reference_text:
            layers.append(Chart(ref).mark_text(align="right", baseline="bottom", dy=-3,
                                               color="#333", fontSize=13).encode(
                y=alt.Y(f"{y}:Q", scale=yscale), x=channel("x", alt.value("width")),
                text="text:N"))
    return styled(layer(*layers, height=height), big=big, columns=legend_columns)


def cycle_chart(curve_df: pd.DataFrame, steps_df: pd.DataFrame, *,
                height: int = 320, big: bool = False) -> alt.LayerChart:
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
    text = Chart(pts).mark_text(dy=-14, fontSize=16 if big else 13).encode(
        x=X, y=Y, text="label:N")
    return styled(layer(line, dots, text, height=height), big=big)


def plane_frame(df: pd.DataFrame, optimum=None) -> tuple[list[float], list[float]]:
    """The (w, b) ranges :func:`plane_chart` shows: the paths after their first step (where
    they differ) and the optimum, padded; points whose loss is above the start's (a path that
    blows up) are left out of the frame. Everything when that leaves nothing."""
    pts = keep_plottable(df, ["step", "w", "b"])
    keep = pts["step"] > pts["step"].min() if len(pts) else pts["step"].astype(bool)
    if "loss" in pts.columns and len(pts):
        loss = numeric(pts["loss"])
        start = loss[numeric(pts["step"]) == float(pts["step"].min())]
        start = float(np.nanmax(start)) if np.isfinite(start).any() else np.inf
        with np.errstate(invalid="ignore"):
            keep &= ~(loss > start)
    ws, bs = list(pts.loc[keep, "w"]), list(pts.loc[keep, "b"])
    if optimum is not None and all(is_plottable(v) for v in optimum):
        ws.append(float(optimum[0]))
        bs.append(float(optimum[1]))
    if len(ws) < 2:
        ws, bs = list(pts["w"]), list(pts["b"])
    w_dom = value_range(ws, pad=0.12) or [-1.0, 1.0]
    b_dom = value_range(bs, pad=0.12) or [-1.0, 1.0]
    return w_dom, b_dom


def plane_chart(df: pd.DataFrame, *, optimum: tuple[float, float] | None = None,
                height: int = 320, big: bool = False) -> alt.LayerChart:
    """Paths in the (w, b) plane, one per ``mode``, with the least-squares answer as a cross.

    Framed on where the paths go after their first step and on the optimum
    (:func:`plane_frame`): the first, long step from the start is drawn dashed and comes in
    from the chart's edge (a path is cut where it leaves the frame, a triangle marks where it
    leaves for good); each path's first and last steps are labelled."""
    pts = keep_plottable(df, ["step", "w", "b"])
    w_dom, b_dom = plane_frame(pts, optimum)
    X = alt.X("w:Q", title="w", scale=alt.Scale(domain=w_dom, nice=False, zero=False),
              axis=axis_for(w_dom))
    Y = alt.Y("b:Q", title="b", scale=alt.Scale(domain=b_dom, nice=False, zero=False),
              axis=axis_for(b_dom))
    color = alt.Color("mode:N", title="update", scale=group_scale(pts["mode"]))
    lines, exits = (clip_paths(pts, "w", "b", (*w_dom, *b_dom), by="mode") if len(pts)
                    else (pts.assign(piece=0, edge=False), pts))
    tips = ["mode:N", "step:Q", alt.Tooltip("w:Q", format=".5g"),
            alt.Tooltip("b:Q", format=".5g"), alt.Tooltip("loss:Q", format=".5g")]
    step = numeric(lines["step"])
    first = float(pts["step"].min()) + 1 if len(pts) else 1.0  # where the first step ends
    enc = {"x": X, "y": Y, "color": color, "order": "step:Q", "detail": "piece:N"}
    layers = [
        Chart(json_safe(lines[step <= first])).mark_line(
            strokeWidth=1.5, strokeDash=[5, 4], opacity=0.7, clip=True).encode(**enc),
        Chart(json_safe(lines[step >= first])).mark_line(strokeWidth=2.5, clip=True).encode(
            **enc)]
    real = lines[~lines["edge"].astype(bool)] if "edge" in lines.columns else lines
    layers.append(Chart(json_safe(real)).mark_point(size=40, filled=True, opacity=1,
                                                    clip=True).encode(x=X, y=Y, color=color,
                                                                      tooltip=tips))
    if len(real):
        s = numeric(real["step"])
        ends = real.assign(s=s).groupby("mode", sort=False)["s"].transform("max")
        marked = real[((s == first) | (s == ends.to_numpy())) & (s > first - 1)]
        marked = marked.assign(label=[f"step {v:.0f}" for v in numeric(marked["step"])])
        layers.append(Chart(json_safe(marked)).mark_text(
            dx=8, dy=-10, align="left", fontWeight="bold", fontSize=15 if big else 12,
            clip=True).encode(x=X, y=Y, color=color, text="label:N"))
    if not exits.empty:
        exits = exits.assign(note=[f"leaves the chart after step {v:.4g}"
                                   for v in numeric(exits["step"])])
        layers.append(Chart(json_safe(exits)).mark_point(
            shape="triangle-up", size=110, filled=True, opacity=1, stroke=DIVERGED_COLOR,
            strokeWidth=1).encode(x=X, y=Y, color=color,
                                  tooltip=["mode:N", alt.Tooltip("note:N", title="")]))
    if optimum is not None and all(is_plottable(v) for v in optimum):
        opt = pd.DataFrame({"w": [float(optimum[0])], "b": [float(optimum[1])],
                            "what": ["least squares"]})
        layers.append(Chart(opt).mark_point(shape="cross", size=300, filled=True,
                                            color="black").encode(x=X, y=Y,
                                                                  tooltip=["what:N"]))
        layers.append(Chart(opt).mark_text(dy=-16, fontWeight="bold",
                                           fontSize=15 if big else 12).encode(
            x=X, y=Y, text="what:N"))
    return styled(layer(*layers, height=height), big=big)


DASHES = ([1, 0], [8, 4], [2, 3])  # solid, dashed, dotted: the curves apart without colour


def _dashes(groups) -> alt.Scale:
    """A dash pattern per group, in the order they come (the first solid)."""
    groups = list(dict.fromkeys(groups))
    return alt.Scale(domain=groups, range=[DASHES[i % len(DASHES)] for i in range(len(groups))])


def margin_chart(curves: pd.DataFrame, at: pd.DataFrame, y: str, *, y_title: str,
                 height: int = 300, big: bool = False,
                 legend_columns: int | None = None) -> alt.LayerChart:
    """Each per-row loss (``loss`` groups of ``lab.lessons.row_losses``) against the margin
    y·z: column ``y`` ("value" or "push") of ``curves``, a dashed rule at the margin of the
    row in ``at`` (the same columns, one margin) and its values as large dots. The wrong side
    (margin < 0) is shaded."""
    curves = keep_plottable(curves, ["margin", y])
    at = keep_plottable(at, ["margin", y])
    X = alt.X("margin:Q", title="margin y·z  (< 0: wrong side, > 0: right side)")
    Y = alt.Y(f"{y}:Q", title=y_title)
    # a stroke in the legend, dashed as its line (the dots would turn it into a blob)
    color = alt.Color("loss:N", title="loss", scale=group_scale(curves["loss"]),
                      legend=alt.Legend(symbolType="stroke"))
    lo = float(curves["margin"].min()) if len(curves) else -1.0
    wrong = pd.DataFrame({"a": [lo], "b": [0.0]})
    layers = [
        Chart(wrong).mark_rect(color="#d62728", opacity=0.06).encode(
            x=alt.X("a:Q"), x2="b:Q"),
        Chart(json_safe(curves)).mark_line(strokeWidth=2.5).encode(
            x=X, y=Y, color=color,
            strokeDash=alt.StrokeDash("loss:N", title="loss", scale=_dashes(curves["loss"]),
                                      legend=alt.Legend(symbolType="stroke")),
            tooltip=["loss:N", alt.Tooltip("margin:Q", format=".3g"),
                     alt.Tooltip(f"{y}:Q", format=".4g")])]
    if len(at):
        layers += [
            Chart(json_safe(at.iloc[:1])).mark_rule(color="#333", strokeDash=[5, 4]).encode(
                x="margin:Q"),
            Chart(json_safe(at)).mark_point(size=140, filled=True, opacity=1, stroke="#111",
                                            strokeWidth=1).encode(
                x=X, y=Y, color=color,
                tooltip=["loss:N", alt.Tooltip("margin:Q", format=".3g"),
                         alt.Tooltip(f"{y}:Q", format=".4g")])]
    return styled(layer(*layers, height=height), big=big, columns=legend_columns)


def valley_chart(surface_df: pd.DataFrame, path_df: pd.DataFrame, *,
                 names: tuple[str, str] = ("w1", "w2"), minimum: tuple[float, float] = (0, 0),
                 height: int = 300, big: bool = False,
                 legend_columns: int | None = None) -> alt.LayerChart:
    """A 2-D loss (``lab.landscape.surface``: the heatmap's colour is log10 of the loss
    above its minimum, darker is lower; no colour bar, the caption says so: the chart keeps
    its width) with each run's path (``run``, ``step`` and the two parameters), every step
    drawn (a zig-zag thinned to every other step would vanish), the start and the minimum
    marked and labelled."""
    a, b = names
    surface = keep_plottable(surface_df, [a, b, "dw1", "dw2", "level"])
    paths = keep_plottable(path_df, ["step", a, b])
    a_dom = value_range(surface[a], pad=0.0) or [-1.0, 1.0]
    b_dom = value_range(surface[b], pad=0.0) or [-1.0, 1.0]
    xs = alt.Scale(domain=a_dom, clamp=True, nice=False)
    ys = alt.Scale(domain=b_dom, clamp=True, nice=False)
    heat = heatmap(surface, (a, b), (a_dom, b_dom))
    X, Y = alt.X(f"{a}:Q", scale=xs), alt.Y(f"{b}:Q", scale=ys)
    color = alt.Color("run:N", title="rate", scale=group_scale(paths["run"]))
    layers = [heat]
    # the first run on top: a later run's zig-zag would hide a path along the valley floor
    for run in reversed(list(dict.fromkeys(paths["run"]))):
        data = json_safe(paths[paths["run"] == run])
        layers.append(Chart(data).mark_line(strokeWidth=4, color="#222", opacity=0.6).encode(
            x=X, y=Y, order="step:Q"))
        layers.append(Chart(data).mark_line(
            strokeWidth=2, point=alt.OverlayMarkDef(size=10)).encode(
            x=X, y=Y, color=color, order="step:Q",
            tooltip=["run:N", "step:Q", alt.Tooltip(f"{a}:Q", format=".4g"),
                     alt.Tooltip(f"{b}:Q", format=".4g"), alt.Tooltip("loss:Q", format=".4g")]))
    marks = []
    if len(paths):
        first = paths[paths["step"] == paths["step"].min()].iloc[:1]
        marks.append({a: float(first[a].iloc[0]), b: float(first[b].iloc[0]), "what": "start"})
    if all(is_plottable(v) for v in minimum):
        marks.append({a: float(minimum[0]), b: float(minimum[1]), "what": "minimum"})
    if marks:
        spots = pd.DataFrame(marks)
        font = {"dy": -16, "fontWeight": "bold", "fontSize": 16 if big else 13}
        layers += [
            Chart(spots).mark_point(shape="diamond", size=260, filled=True, fill="#111",
                                    stroke="#fff", strokeWidth=2, opacity=1).encode(
                x=X, y=Y, tooltip=["what:N"]),
            Chart(spots).mark_text(**font, color="#fff", stroke="#111", strokeWidth=4,
                                   strokeOpacity=0.85).encode(x=X, y=Y, text="what:N"),
            Chart(spots).mark_text(**font, color="#fff").encode(x=X, y=Y, text="what:N")]
    return styled(layer(*layers, height=height), big=big, columns=legend_columns)
