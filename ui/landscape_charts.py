"""Chart builders for the loss-landscape page: tidy DataFrames (from ``lab.landscape``) ->
alt.Chart. 1-D: the curve with every run's steps; 2-D: a log-coloured heatmap with paths and the
known minima; basins of attraction as starting points marked by the minimum they reach.

Runs are coloured from ``ui.charts.PALETTE`` (the same colour on every chart); the minima and
the basins are never: a global minimum is a black diamond, a local one a white diamond, both
labelled on the chart, and a start is a black dot when it rolls into the global minimum, a
white one when it rolls into the local one. ``big``: fonts for a projector (classroom mode).

Only finite numbers reach a spec (rows with a non-finite position are left out, other
non-finite cells become empty). The curve and contour charts frame the function and clamp:
a run that left the frame is drawn at its edge.

The reference methods' trial points (``lab.landscape.step_trials``) go on both: a rejected
trial is a × in its run's colour, the accepted one a dot with a black ring, joined to the
step's start by a dashed segment along the search direction (on the curve: the
sufficient-decrease line the trials had to get under); trials off the frame are left out,
and the segment is cut at the frame. On the map, the Hessian's eigenvector directions at
one point (``lab.landscape.curvature_axes``) are white segments, solid where the surface
curves up, dashed where it curves down; on the curve, the parabola that fits at one point
(``lab.landscape.quadratic_model``) is a dashed grey line."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .charts import (
    DIVERGED_COLOR,
    Chart,
    _clip_segment,
    axis_for,
    channel,
    cut_runs,
    first_values,
    is_plottable,
    json_safe,
    keep_plottable,
    layer,
    lone_points,
    numeric,
    run_scale,
    style,
    value_range,
)

MIN_LABELS = {"global": "global min", "local": "local min"}
# where each start ends: black = the global minimum, white = the local one (as the minima)
REACHES = {"global": "global min", "local": "local min", "none": "neither"}
REACH_FILL = alt.Scale(domain=list(REACHES.values()), range=["#111111", "#ffffff", "#bbbbbb"])
REACH_SHAPE = alt.Scale(domain=list(REACHES.values()), range=["circle", "circle", "cross"])
MAX_PATH_POINTS = 4000
# a trial point: × where rejected, a dot with a black ring where accepted (or taken when the
# trials ran out); one layer, its look set per outcome (channels made once)
TRIAL_OUTCOMES = ["rejected", "accepted", "taken (out of trials)"]
TRIAL_SHAPE = alt.Shape("outcome:N", legend=None, scale=alt.Scale(
    domain=TRIAL_OUTCOMES, range=["cross", "circle", "circle"]))
TRIAL_SIZE = alt.Size("outcome:N", legend=None, scale=alt.Scale(
    domain=TRIAL_OUTCOMES, range=[150, 90, 90]))
TRIAL_STROKE = alt.StrokeWidth("outcome:N", legend=None, scale=alt.Scale(
    domain=TRIAL_OUTCOMES, range=[0.8, 2, 2]))
TRIAL_ANGLE = alt.Angle("outcome:N", legend=None, scale=alt.Scale(
    domain=TRIAL_OUTCOMES, range=[45, 0, 0]))
TRIAL_TIPS = {"run": alt.Tooltip("run:N"), "trial": alt.Tooltip("trial:Q", title="trial"),
              "t": alt.Tooltip("t:Q", title="step t", format=".4g"),
              "loss": alt.Tooltip("loss:Q", format=".6g"),
              "needed": alt.Tooltip("needed:Q", title="needed (loss ≤)", format=".6g"),
              "outcome": alt.Tooltip("outcome:N")}
AXIS_TIPS = [alt.Tooltip("axis:N", title="direction of"),
             alt.Tooltip("lam:Q", title="eigenvalue", format=".4g"), alt.Tooltip("bend:N")]
# the eigen-directions: solid where the surface curves up, dashed where it curves down
BEND_DASH = alt.StrokeDash("bend:N", legend=None, scale=alt.Scale(
    domain=["curves up", "curves down", "flat"], range=[[1, 0], [7, 4], [2, 3]]))


def styled(chart: alt.TopLevelMixin, *, big: bool = False, label_limit: int | None = None,
           legend: str = "top", columns: int | None = None) -> alt.TopLevelMixin:
    """:func:`ui.charts.style` (the dashboard's fonts and legends; ``big``: for a projector),
    keeping the legends' titles. ``label_limit``: legend labels' width in pixels (0: none);
    ``columns``: of a top legend (a narrow chart needs fewer: columns that run past its edge
    are cut off); ``legend="right"``: one column on the right."""
    style(chart, big=big)
    chart.config.legend.title = alt.Undefined
    if label_limit is not None:
        chart.config.legend.labelLimit = label_limit
    if columns is not None:
        chart.config.legend.columns = int(columns)
    if legend == "right":
        chart.config.legend.orient = "right"
        chart.config.legend.direction = "vertical"
        chart.config.legend.columns = alt.Undefined
    return chart


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


def _minima_marks(mins: pd.DataFrame, X, Y, names, *, dark: bool = False,
                  big: bool = False) -> tuple[list[alt.Chart], list[alt.Chart]]:
    """The known minima as large diamonds (global: black, local: white; fixed colours, no
    scale a run's colour could share) and their labels ("global min" / "local min").
    Returns (diamonds, labels): the diamonds go under the runs' current points (a run that
    reached a minimum still shows the diamond's corners), the labels on top of everything.
    ``dark``: on the heatmap (white outlines)."""
    if mins.empty:
        return [], []
    mins = json_safe(mins.assign(what=[MIN_LABELS.get(k, str(k)) for k in mins["kind"]]))
    tips = ["what:N", *(alt.Tooltip(f"{n}:Q", format=".5g") for n in names),
            alt.Tooltip("loss:Q", format=".5g")]
    diamonds = []
    for kind, fill in (("global", "#111111"), ("local", "#ffffff")):
        part = mins[mins["kind"] == kind]
        if len(part):
            diamonds.append(Chart(part).mark_point(
                shape="diamond", size=520, filled=True, opacity=1, fill=fill,
                stroke="#ffffff" if dark and kind == "global" else "#111111",
                strokeWidth=2).encode(x=X, y=Y, tooltip=tips))
    font = {"dy": -22, "fontWeight": "bold", "fontSize": 16 if big else 13}
    ink, paper = ("#ffffff", "#111111") if dark else ("#111111", "#ffffff")
    halo = Chart(mins).mark_text(**font, color=ink, stroke=paper, strokeWidth=4,
                                 strokeOpacity=0.85).encode(x=X, y=Y, text="what:N")
    text = Chart(mins).mark_text(**font, color=ink).encode(x=X, y=Y, text="what:N")
    return diamonds, [halo, text]  # an outlined label under the label: readable on anything


def _inside(df: pd.DataFrame, a: str, b: str, box) -> pd.DataFrame:
    """The rows of ``df`` whose (a, b) lies within the box (x0, x1, y0, y1)."""
    if df.empty:
        return df
    x, y = numeric(df[a]), numeric(df[b])
    x0, x1, y0, y1 = box
    return df[(x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)]


def _segments(rows: list[tuple[str, float, float, float, float]], a: str, b: str,
              box) -> pd.DataFrame:
    """Segments (key, xa, ya, xb, yb) cut to the box: two rows per segment that shows
    (columns key, end 0/1, a, b); a segment with a non-finite end, or wholly outside, none."""
    out = []
    for key, xa, ya, xb, yb in rows:
        if not all(is_plottable(v) for v in (xa, ya, xb, yb)):
            continue
        part = _clip_segment(xa, ya, xb, yb, box)
        if part is None:
            continue
        for end, t in enumerate(part):
            out.append({"key": key, "end": end, a: xa + t * (xb - xa), b: ya + t * (yb - ya)})
    return pd.DataFrame(out, columns=["key", "end", a, b])


def _trial_marks(trials: pd.DataFrame | None, X, Y, a: str, b: str, box, color,
                 seg_end: tuple[str, str]) -> list[alt.Chart]:
    """The trial points of each line-search / Newton run (columns of
    ``lab.landscape.step_trials``), drawn at (a, b): × where rejected, a ringed dot where
    accepted (or taken), and a dashed segment from the step's start (``from_a``,
    ``from_b``) to the first trial's (``seg_end``) along the search direction."""
    if trials is None or trials.empty or not {a, b, "run"} <= set(trials.columns):
        return []
    pts = _inside(keep_plottable(trials, [a, b]), a, b, box)
    ends = [f"from_{a}", f"from_{b}", *seg_end]
    seg = pd.DataFrame(columns=["run", "end", a, b])
    if set(ends) <= set(trials.columns) and "trial" in trials.columns:
        first = trials.sort_values("trial", kind="stable").groupby("run", sort=False).head(1)
        vals = [numeric(first[c]) for c in ends]
        seg = _segments([(str(run), *(float(v[i]) for v in vals))
                         for i, run in enumerate(first["run"])], a, b,
                        box).rename(columns={"key": "run"})
    marks = []
    if len(seg):
        marks.append(Chart(json_safe(seg)).mark_line(
            strokeWidth=1.5, strokeDash=[5, 3], opacity=0.95).encode(
            x=X, y=Y, color=color, detail="run:N", order="end:Q"))
    tips = [tip for name, tip in TRIAL_TIPS.items() if name in pts.columns]
    if len(pts):  # one layer: × where rejected, a ringed dot where accepted (or taken)
        outcome = (pts["outcome"].where(pts["outcome"].isin(TRIAL_OUTCOMES), "rejected")
                   if "outcome" in pts.columns else "rejected")
        marks.append(Chart(json_safe(pts.assign(outcome=outcome))).mark_point(
            filled=True, opacity=1, stroke="#111111").encode(
            x=X, y=Y, color=color, shape=TRIAL_SHAPE, size=TRIAL_SIZE,
            strokeWidth=TRIAL_STROKE, angle=TRIAL_ANGLE, tooltip=tips))
    return marks


def _axes_marks(axes: pd.DataFrame | None, X, Y, a: str, b: str, box,
                big: bool) -> list[alt.Chart]:
    """The Hessian's eigenvector directions at a point (``lab.landscape.curvature_axes``):
    white segments over a dark outline, solid / dashed as the surface curves up / down, each
    labelled ("λ1", "λ2") at one end, its eigenvalue in the tooltip."""
    if axes is None or axes.empty or not {a, b, "axis", "end"} <= set(axes.columns):
        return []
    rows, info = [], {}
    for axis, g in axes.sort_values("end", kind="stable").groupby("axis", sort=False):
        if len(g) < 2:
            continue
        xs, ys = numeric(g[a]), numeric(g[b])
        rows.append((str(axis), float(xs[0]), float(ys[0]), float(xs[-1]), float(ys[-1])))
        info[str(axis)] = {c: g.iloc[0][c] for c in ("lam", "bend", "label") if c in g.columns}
    seg = _segments(rows, a, b, box).rename(columns={"key": "axis"})
    if seg.empty:
        return []
    for c in ("lam", "bend", "label"):
        seg[c] = [info[k].get(c) for k in seg["axis"]]
    seg = json_safe(seg)
    halo = Chart(seg).mark_line(strokeWidth=6, color="#111111", opacity=0.65).encode(
        x=X, y=Y, detail="axis:N", order="end:Q")
    line = Chart(seg).mark_line(strokeWidth=2.5, color="#ffffff", opacity=1).encode(
        x=X, y=Y, detail="axis:N", order="end:Q", strokeDash=BEND_DASH, tooltip=AXIS_TIPS)
    ends = seg[seg["end"] == 1]
    font = {"align": "left", "dx": 7, "dy": -7, "fontWeight": "bold",
            "fontSize": 15 if big else 12}
    text_halo = Chart(ends).mark_text(**font, color="#111111", stroke="#111111",
                                      strokeWidth=4, strokeOpacity=0.8).encode(
        x=X, y=Y, text="label:N")
    text = Chart(ends).mark_text(**font, color="#ffffff").encode(x=X, y=Y, text="label:N")
    return [halo, line, text_halo, text]


def curve_chart(curve_df: pd.DataFrame, path_df: pd.DataFrame, now_df: pd.DataFrame,
                minima_df: pd.DataFrame, *, x: str = "w", height: int = 380,
                big: bool = False, trials: pd.DataFrame | None = None,
                model: pd.DataFrame | None = None) -> alt.LayerChart:
    """1-D: the function, each run's steps so far (dots joined in step order), the current point
    of each run (large) and the known minima (labelled black / white diamonds). ``trials``:
    the line-search / Newton trials of the current step (x, loss, needed, outcome, ...), with
    the sufficient-decrease line from the step's start; ``model``: the parabola fitted at one
    point (columns x, loss), dashed grey, drawn only inside the frame."""
    curve = keep_plottable(curve_df, [x, "loss"])
    paths = keep_plottable(_thin(path_df), ["step", x, "loss"])
    now = keep_plottable(now_df, [x, "loss"])
    mins = keep_plottable(minima_df, [x, "loss"])
    parts = (paths, now, mins)
    x_dom = _domain(curve[x], *(p[x] for p in parts))
    y_dom = _domain(curve["loss"], *(p["loss"] for p in parts), pad=0.05)
    if len(mins):  # room above the minima's labels... and below the lowest one's diamond
        y_dom = [y_dom[0] - 0.04 * (y_dom[1] - y_dom[0]), y_dom[1]]
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
    tips = ["run:N", "step:Q", alt.Tooltip(f"{x}:Q", format=".6g"),
            alt.Tooltip("loss:Q", format=".6g")]
    if "behaviour" in now.columns:
        tips.append(alt.Tooltip("behaviour:N", title="run"))
    now_mark = Chart(json_safe(now)).mark_point(size=220, filled=True, stroke="black",
                                                strokeWidth=1, opacity=1).encode(
        x=X, y=Y, color=color, tooltip=tips)
    diamonds, labels = _minima_marks(mins, X, Y, [x], big=big)
    box = (*x_dom, *y_dom)
    extra = []
    if model is not None and not model.empty and {x, "loss"} <= set(model.columns):
        fit = _inside(keep_plottable(model, [x, "loss"]), x, "loss", box)
        if len(fit) > 1:
            extra.append(Chart(json_safe(fit)).mark_line(
                color="#333333", strokeWidth=1.8, strokeDash=[6, 4], opacity=0.8).encode(
                x=X, y=Y))
    marks = _trial_marks(trials, X, Y, x, "loss", box, color, (x, "needed"))
    return styled(layer(line, *extra, *diamonds, trail, now_mark, *marks, *labels,
                        height=height), big=big)


def heatmap(surface: pd.DataFrame, names: tuple[str, str], domains: tuple[list, list], *,
            legend: alt.Legend | None = None) -> alt.Chart:
    """A 2-D loss (``lab.landscape.surface``: cell centres ``names``, widths ``dw1``,
    ``dw2``) as filled cells coloured by ``level`` (log10 of the loss above its minimum,
    darker is lower), on clamped scales over ``domains``; a colour legend when ``legend``."""
    a, b = names
    xs = alt.Scale(domain=domains[0], clamp=True, nice=False)
    ys = alt.Scale(domain=domains[1], clamp=True, nice=False)
    return Chart(json_safe(surface)).transform_calculate(
        x1=f"datum['{a}'] - datum.dw1 / 2", x2=f"datum['{a}'] + datum.dw1 / 2",
        y1=f"datum['{b}'] - datum.dw2 / 2", y2=f"datum['{b}'] + datum.dw2 / 2",
    ).mark_rect().encode(
        x=alt.X("x1:Q", scale=xs, title=a, axis=axis_for(domains[0])), x2="x2:Q",
        y=alt.Y("y1:Q", scale=ys, title=b, axis=axis_for(domains[1])), y2="y2:Q",
        fill=alt.Fill("level:Q", scale=alt.Scale(scheme="viridis"),
                      **({"title": "log10(loss − min)", "legend": legend} if legend is not None
                         else {"legend": None})),
        tooltip=[alt.Tooltip(f"{a}:Q", format=".3g"), alt.Tooltip(f"{b}:Q", format=".3g"),
                 alt.Tooltip("loss:Q", format=".4g")])


def contour_chart(surface_df: pd.DataFrame, path_df: pd.DataFrame, now_df: pd.DataFrame,
                  minima_df: pd.DataFrame, *, names=("w1", "w2"),
                  height: int = 460, big: bool = False, trials: pd.DataFrame | None = None,
                  axes: pd.DataFrame | None = None) -> alt.LayerChart:
    """2-D: the loss as a heatmap coloured by log10(loss - min) (darker = lower), each run's
    path so far, the current points, and the known minima as labelled diamonds (global:
    black, local: white). The heatmap is the ``fill`` channel and the runs ``color``: one
    legend for the runs, one colour bar. ``trials``: the line-search / Newton trials of the
    current step; ``axes``: the Hessian's eigenvector directions at one point."""
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
    heat = heatmap(surface, (a, b), (a_dom, b_dom), legend=alt.Legend(orient="bottom"))
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
                                                strokeWidth=1.5, opacity=1).encode(
        x=X, y=Y, color=color,
        tooltip=["run:N", "step:Q", alt.Tooltip(f"{a}:Q", format=".5g"),
                 alt.Tooltip(f"{b}:Q", format=".5g"), alt.Tooltip("loss:Q", format=".5g")])
    diamonds, labels = _minima_marks(mins, X, Y, [a, b], dark=True, big=big)
    box = (*a_dom, *b_dom)
    directions = _axes_marks(axes, X, Y, a, b, box, big)
    marks = _trial_marks(trials, X, Y, a, b, box, color, (a, b))
    return styled(layer(heat, *diamonds, halo, trail, *directions, now_mark, *marks, *labels,
                        height=height), big=big)


def loss_steps_chart(path_df: pd.DataFrame, step: int, *, height: int = 220,
                     big: bool = False) -> alt.LayerChart:
    """Loss against step for every run, with a rule at the current step (linear axis: the test
    functions' losses can be negative). The y range is that of the runs that did not diverge
    (``label`` "diverged", else engine ``status`` "diverged": a run that ends with a larger loss
    than it started with counts, even when the engine let it finish): a diverged run is cut
    where it leaves the chart and marked there with a red cross."""
    color = run_color(path_df)
    data = keep_plottable(_thin(path_df), ["step", "loss"])
    which = "label" if "label" in data.columns else "status" if "status" in data.columns else None
    bad = (data[which].eq("diverged").to_numpy(dtype=bool) if which is not None
           else np.zeros(len(data), dtype=bool))
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
    return styled(layer(*layers, height=height), big=big, legend="right")


def basin_chart(curve_df: pd.DataFrame, basins_df: pd.DataFrame, minima_df: pd.DataFrame,
                *, hump: float | None = None, height: int = 300,
                big: bool = False) -> alt.LayerChart:
    """Each starting point drawn on the curve, marked by the minimum it reached (black dot:
    the global minimum, white dot: the local one, grey cross: neither); the minima as labelled
    diamonds in the same black and white and, when given, the hump between the basins as a
    dashed rule. No colour that a run has on the page's other charts."""
    X = alt.X("w:Q", title="w (starting point)")
    Y = alt.Y("loss:Q", title="loss")
    curve = keep_plottable(curve_df, ["w", "loss"])
    starts = keep_plottable(basins_df.rename(columns={"start": "w", "start_loss": "loss"}),
                            ["w", "loss"])
    starts = starts.assign(reaches=[REACHES.get(m, REACHES["none"]) for m in starts["minimum"]])
    line = Chart(json_safe(curve)).mark_line(color="#777").encode(x=X, y=Y)
    reach = alt.Legend(title="start rolls into", orient="top")
    pts = Chart(json_safe(starts)).mark_point(size=80, filled=True, opacity=1, stroke="#111111",
                                              strokeWidth=1.2).encode(
        x=X, y=Y, fill=alt.Fill("reaches:N", scale=REACH_FILL, legend=reach),
        shape=alt.Shape("reaches:N", scale=REACH_SHAPE, legend=reach),
        tooltip=[alt.Tooltip("w:Q", title="start", format=".4g"),
                 alt.Tooltip("final_w:Q", format=".5g"), alt.Tooltip("reaches:N"),
                 "status:N"])
    layers = [line, pts]
    if hump is not None and is_plottable(hump):
        h = pd.DataFrame({"w": [float(hump)], "text": ["hump"]})
        layers.append(Chart(h).mark_rule(strokeDash=[4, 4], color="#444").encode(x="w:Q"))
        layers.append(Chart(h).mark_text(align="left", dx=4, baseline="top", color="#444",
                                         fontSize=13).encode(
            x="w:Q", y=channel("y", alt.value(2)), text="text:N"))
    diamonds, labels = _minima_marks(keep_plottable(minima_df, ["w", "loss"]), X, Y, ["w"],
                                     big=big)
    layers = [layers[0], *diamonds, *layers[1:], *labels]  # the starts over the diamonds
    return styled(layer(*layers, height=height), big=big)
