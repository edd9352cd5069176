"""Altair chart builders for the data and the parameter plane (no Streamlit).

* :func:`fit_chart`: the data with each run's fitted line and the least-squares line.
* :func:`loss_surface` + :func:`path_chart`: each run's path across the loss contour in the
  (w, b) plane, the least-squares minimum marked.

Every number that reaches a spec is finite (JSON has no NaN or Infinity: one NaN in a scale
domain and the browser cannot even parse the chart): data with values near 1e150 gives losses
near 1e300 whose squares overflow, so the surface can hold cells whose loss is infinite; they
are drawn in the top colour band and say so in their tooltip.

Column names from uploaded files never become Vega field names (``a.b``, ``e[0]`` or ``x:y``
would be read as nested fields or types): the data is renamed to ``x``/``y`` and the original
names only appear as axis titles, which Vega draws as plain text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd

from ui.chart_parts import Parts, parts
from ui.charts import (
    DIVERGED_COLOR,
    HEIGHT,
    Chart,
    channel,
    clip_paths,
    compact,
    compact_axis,
    downsample,
    is_plottable,
    json_safe,
    keep_plottable,
    layer,
    numeric,
    picked,
    plottable,
    points_per_run,
    run_scale,
    style,
    titled,
    value_range,
)

MAX_DATA_POINTS = 2000
GRID = 48  # cells per side of the loss surface


def _title(name: str, limit: int = 40) -> str:
    name = " ".join(str(name).split())
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _line_in_box(slope: float, intercept: float, x0: float, x1: float, y0: float,
                 y1: float) -> tuple[float, float] | None:
    """The x interval of [x0, x1] where y = slope·x + intercept lies within [y0, y1] (solved for
    x, so a steep line never computes an overflowing y), or None."""
    if slope == 0:
        return (x0, x1) if y0 <= intercept <= y1 else None
    with np.errstate(over="ignore", invalid="ignore"):
        a, b = (y0 - intercept) / slope, (y1 - intercept) / slope
    lo, hi = max(x0, min(a, b)), min(x1, max(a, b))
    return (lo, hi) if lo <= hi else None


def _segment(slope: float, intercept: float, box: tuple[float, float, float, float], /,
             **columns) -> list[dict]:
    """The two ends of the visible part of a fitted line (none when it misses the chart)."""
    x0, x1, y0, y1 = box
    span = _line_in_box(slope, intercept, x0, x1, y0, y1)
    if span is None:
        return []
    with np.errstate(over="ignore", invalid="ignore"):
        ends = [(x, min(max(slope * x + intercept, y0), y1)) for x in span]
    return [{"x": x, "y": y, **columns} for x, y in ends if np.isfinite(y)]


def fit_chart(frame: pd.DataFrame, x_name: str, y_name: str, lines: pd.DataFrame, *,
              reference: tuple[float, float] | None = None, runs: Sequence[str] | None = None,
              height: int = HEIGHT, big: bool = False) -> alt.TopLevelMixin:
    """Scatter of the data (at most :data:`MAX_DATA_POINTS` points) with one fitted line per
    run. ``lines`` has columns ``run, slope, intercept`` (original units); ``reference`` is the
    least-squares (slope, intercept). Lines are cut to the chart (the data's range). A run whose
    ``status`` is "diverged" has no fitted line to show (its last finite slope is huge: drawn, it
    would be a vertical stroke): it is named in the chart's corner, with where it left off."""
    return fit_parts(frame, x_name, y_name, lines, reference=reference, runs=runs,
                     height=height, big=big).chart()


def fit_parts(frame: pd.DataFrame, x_name: str, y_name: str, lines: pd.DataFrame, *,
              reference: tuple[float, float] | None = None, runs: Sequence[str] | None = None,
              height: int = HEIGHT, big: bool = False) -> Parts:
    """:func:`fit_chart` as its parts (ui/chart_parts.py)."""
    data = pd.DataFrame({"x": numeric(frame[x_name]), "y": numeric(frame[y_name])})
    data = keep_plottable(data, ["x", "y"])
    if len(data) > MAX_DATA_POINTS:
        data = data.sample(MAX_DATA_POINTS, random_state=0)
    x0, x1 = value_range(data["x"], pad=0.0, flat=0.1) or [-1.0, 1.0]
    y0, y1 = value_range(data["y"], pad=0.15, flat=0.15) or [-1.0, 1.0]
    box = (x0, x1, y0, y1)
    runs = tuple(runs) if runs is not None else tuple(dict.fromkeys(lines["run"]))
    gone = (lines["status"].eq("diverged") if "status" in lines.columns
            else pd.Series(False, index=lines.index))
    ends = keep_plottable(lines[~gone], ["slope", "intercept"])
    seg = pd.DataFrame([
        row for r in ends.itertuples()
        for row in _segment(r.slope, r.intercept, box, run=r.run, slope=r.slope,
                            intercept=r.intercept)], columns=["x", "y", "run", "slope", "intercept"])
    frames = {"data": data, "seg": json_safe(seg)}
    if reference is not None and all(is_plottable(v) for v in reference):
        s, c = (float(v) for v in reference)
        frames["ref"] = pd.DataFrame(_segment(s, c, box, label="least squares", slope=s,
                                              intercept=c),
                                     columns=["x", "y", "label", "slope", "intercept"])
    if gone.any():
        frames["notes"] = pd.DataFrame({
            "run": lines.loc[gone, "run"].to_numpy(),
            "text": [f"✕ {_title(r, 28)} diverged: no line to draw" for r in lines.loc[gone, "run"]],
            "px": 8 + (22 if big else 17) * np.arange(int(gone.sum()))})  # pixels from the top
    return parts(_fit_compose, frames, {"x": [x0, x1], "y": [y0, y1]}, runs=runs,
                 x_title=_title(x_name), y_title=_title(y_name), compact_x=compact(box[:2]),
                 compact_y=compact(box[2:]), lines=not seg.empty,
                 reference="ref" in frames and not frames["ref"].empty,
                 notes="notes" in frames, height=height, big=big)


def _fit_compose(d, v, *, runs, x_title, y_title, compact_x, compact_y, lines, reference,
                 notes, height, big) -> alt.TopLevelMixin:
    yscale = alt.Scale(domain=v["y"], nice=False)
    xscale = alt.Scale(domain=v["x"], nice=False)
    xt, yt = x_title, y_title
    points = Chart(d["data"]).mark_circle(size=28, color="#666", opacity=0.45).encode(
        x=alt.X("x:Q", title=xt, scale=xscale, axis=compact_axis(compact_x)),
        y=alt.Y("y:Q", title=yt, scale=yscale, axis=compact_axis(compact_y)),
        tooltip=[alt.Tooltip("x:Q", title=xt, format=".4~g"),
                 alt.Tooltip("y:Q", title=yt, format=".4~g")])
    layers: list[alt.Chart] = [points]
    pick = alt.selection_point(fields=["run"], bind="legend", name="pick")
    if lines:
        layers.append(Chart(d["seg"]).mark_line(strokeWidth=2.5, clip=True).encode(
            x=alt.X("x:Q", scale=xscale), y=alt.Y("y:Q", scale=yscale),
            color=alt.Color("run:N", scale=run_scale(runs), title=None),
            opacity=picked(1.0, 0.1),
            tooltip=[alt.Tooltip("run:N"), alt.Tooltip("slope:Q", format=".4~g"),
                     alt.Tooltip("intercept:Q", format=".4~g")],
        ).add_params(pick))
    if reference:
        layers.append(Chart(d["ref"]).mark_line(strokeDash=[6, 4], color="black", clip=True)
                      .encode(x=alt.X("x:Q", scale=xscale), y=alt.Y("y:Q", scale=yscale),
                              tooltip=[alt.Tooltip("label:N", title=""),
                                       alt.Tooltip("slope:Q", format=".4~g"),
                                       alt.Tooltip("intercept:Q", format=".4~g")]))
    if notes:
        layers.append(Chart(d["notes"]).mark_text(
            align="left", baseline="top", color=DIVERGED_COLOR, fontWeight="bold",
            fontSize=16 if big else 12).encode(
            x=channel("x", alt.value(6)),
            y=alt.Y("px:Q", axis=None, scale=None),
            text="text:N", tooltip=[alt.Tooltip("run:N")]))
    chart = layer(*layers, height=height,
                  title="Data and fitted lines (dashed: least squares)")
    return style(chart, big=big)


def _span(values, centre: float) -> tuple[float, float]:
    """(middle, half-width) of the drawable values and the centre (if drawable): finite, and
    without overflow for values up to :data:`ui.charts.MAX_ABS`."""
    v = numeric(values)
    v = np.concatenate([v[plottable(v)], [float(centre)] if is_plottable(centre) else []])
    if not v.size:
        return 0.0, 1.0
    lo, hi = float(v.min()), float(v.max())
    mid = lo / 2 + hi / 2
    scale = abs(float(centre)) if is_plottable(centre) else abs(mid)
    return mid, max(hi / 2 - lo / 2, 0.05 * max(scale, 1.0))


def on_plane(history: pd.DataFrame, u: str, v: str) -> pd.DataFrame:
    """The history seen on the plane of parameters ``u`` and ``v``: their columns renamed to
    ``w`` and ``b``, the names :func:`loss_surface` and :func:`path_chart` draw."""
    hist = history[["run", "step", u, v, "loss"]]
    hist.columns = ["run", "step", "w", "b", "loss"]
    return hist


def loss_surface(problem, history: pd.DataFrame, reference: Mapping[str, float], *,
                 status: Mapping[str, str] | None = None, n: int = GRID,
                 plane: tuple[int, int, Sequence[float]] | None = None) -> pd.DataFrame:
    """The loss on an ``n`` x ``n`` grid of the (w, b) plane, framing the reference point and
    the paths of the runs that did not diverge. Columns: ``w, b, w2, b2`` (cell corners, always
    finite) and ``loss`` (``inf`` where it overflows: data near 1e150 gives losses near 1e300,
    and the frame's far corners square that). ``problem`` is a :class:`gdcore.LinearRegression`
    with one x column; or, with ``plane = (i, j, at)``, any data problem, on the slice through
    the point ``at`` along its parameters ``i`` and ``j`` (``problem.slice``: the history's
    ``w``, ``b`` then hold those two, see :func:`on_plane`)."""
    ok = history if not status else history[~history["run"].map(status).eq("diverged")]
    ok = keep_plottable(ok, ["w", "b"])
    if ok.empty:  # at least the start points
        ok = keep_plottable(history, ["w", "b"]).sort_values("step", kind="stable")
        ok = ok.groupby("run", sort=False).head(1)
    (w_mid, w_half), (b_mid, b_half) = (_span(ok[p], reference.get(p, np.nan)) for p in "wb")
    half = 1.2 * max(w_half, b_half)  # same extent on both axes: true shapes of the contours
    ws = np.linspace(w_mid - half, w_mid + half, n + 1)
    bs = np.linspace(b_mid - half, b_mid + half, n + 1)
    wc, bc = ws[:-1] / 2 + ws[1:] / 2, bs[:-1] / 2 + bs[1:] / 2
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            grid = np.asarray(problem.grid(wc, bc) if plane is None
                              else problem.slice(plane[0], plane[1], wc, bc, plane[2]),
                              dtype=float)  # [i_b, i_w]
    except np.linalg.LinAlgError:  # the data's moments themselves overflowed
        grid = np.full((n, n), np.inf)
    grid = np.where(np.isnan(grid), np.inf, grid)  # inf - inf: too large to compute
    W, B = np.meshgrid(np.arange(n), np.arange(n))
    return pd.DataFrame({"w": ws[W.ravel()], "w2": ws[W.ravel() + 1], "b": bs[B.ravel()],
                         "b2": bs[B.ravel() + 1], "loss": grid.ravel()})


def _frame(surface: pd.DataFrame, history: pd.DataFrame,
           reference: Mapping[str, float]) -> tuple[list[float], list[float]]:
    """The (w, b) extent of the surface's cells, else of the paths and the reference."""
    cells = surface[np.isfinite(surface[["w", "w2", "b", "b2"]].to_numpy(float)).all(axis=1)]
    if len(cells):
        w_dom = [float(cells["w"].min()), float(cells["w2"].max())]
        b_dom = [float(cells["b"].min()), float(cells["b2"].max())]
        if w_dom[0] < w_dom[1] and b_dom[0] < b_dom[1]:
            return w_dom, b_dom
    ref = [reference.get(p) for p in "wb"]
    return tuple(value_range(history[p], extra=[r] if is_plottable(r) else [])  # type: ignore
                 or [-1.0, 1.0] for p, r in zip("wb", ref))


def _bands(surface: pd.DataFrame) -> tuple[pd.DataFrame, list[float]]:
    """The cells with finite corners, ``loss`` finite (an overflowing cell gets the largest
    finite loss: the top band) and ``overflow`` marking those; and the 8 contour levels
    (log-spaced above the minimum), always finite and increasing."""
    cells = surface[np.isfinite(surface[["w", "w2", "b", "b2"]].to_numpy(float)).all(axis=1)]
    loss = numeric(cells["loss"])
    finite = np.isfinite(loss)
    lmin, lmax = (float(loss[finite].min()), float(loss[finite].max())) if finite.any() \
        else (0.0, 1.0)
    half = max(lmax / 2 - lmin / 2, 5e-13)  # half the excess: lmax - lmin may overflow
    levels = [lmin + 2 * (half * f) for f in np.geomspace(2e-3, 1.0, 9)[:-1]]
    top = lmax if finite.any() else 1.0
    cells = cells[["w", "w2", "b", "b2"]].assign(loss=np.where(finite, loss, top),
                                                 overflow=~finite)
    return cells, levels


def path_chart(surface: pd.DataFrame, history: pd.DataFrame, reference: Mapping[str, float], *,
               status: Mapping[str, str] | None = None, runs: Sequence[str] | None = None,
               units: str = "", height: int = HEIGHT, big: bool = False,
               titles: tuple[str, str] = ("w (slope)", "b (intercept)"),
               reference_name: str = "least squares",
               title: str | None = None, subtitle: str | None = None) -> alt.TopLevelMixin:
    """Each run's path over the loss contour (coloured bands, log-spaced levels above the
    minimum), start points as circles, the reference minimum (``reference_name``) as a
    diamond. ``titles`` name the two axes (the history's ``w`` and ``b`` columns). Paths are
    cut where they leave the frame; a diverged run is marked with a cross where it left (or at
    its last finite point when that is inside)."""
    return path_parts(surface, history, reference, status=status, runs=runs, units=units,
                      height=height, big=big, titles=titles, reference_name=reference_name,
                      title=title, subtitle=subtitle).chart()


def path_parts(surface: pd.DataFrame, history: pd.DataFrame, reference: Mapping[str, float], *,
               status: Mapping[str, str] | None = None, runs: Sequence[str] | None = None,
               units: str = "", height: int = HEIGHT, big: bool = False,
               titles: tuple[str, str] = ("w (slope)", "b (intercept)"),
               reference_name: str = "least squares",
               title: str | None = None, subtitle: str | None = None) -> Parts:
    """:func:`path_chart` as its parts (ui/chart_parts.py)."""
    runs = tuple(runs) if runs is not None else tuple(dict.fromkeys(history["run"]))
    w_dom, b_dom = _frame(surface, history, reference)
    cells, levels = _bands(surface)
    hist = keep_plottable(history[["run", "step", "w", "b", "loss"]], ["step", "w", "b"])
    hist = downsample(hist, points_per_run(len(runs), 4000))
    box = (*w_dom, *b_dom)
    drawn, exits = clip_paths(hist, "w", "b", box)
    bad = _diverged_runs(status)
    diverged = drawn["run"].isin(bad)
    starts = hist.sort_values("step", kind="stable").groupby("run", sort=False).head(1)
    starts = starts[_inside(starts, box)]
    frames = {"cells": cells, "path": json_safe(drawn[~diverged]),
              "wild": json_safe(drawn[diverged]), "starts": json_safe(starts)}
    ref_wb = [reference.get(p) for p in "wb"]
    if all(is_plottable(v) for v in ref_wb):
        frames["ref"] = pd.DataFrame({"w": [float(ref_wb[0])], "b": [float(ref_wb[1])],
                                      "label": [reference_name]})
    marks = _divergence_marks(drawn, exits, hist, bad)
    if not marks.empty:
        frames["marks"] = json_safe(marks)
    suffix = f" ({units})" if units else ""
    heading = title or f"Paths across the loss surface (◆ {reference_name}, ○ start)"
    return parts(_path_compose, frames, {"w": list(w_dom), "b": list(b_dom), "levels": levels},
                 runs=runs, w_title=f"{_title(titles[0])}{suffix}",
                 b_title=f"{_title(titles[1])}{suffix}", w_tip=_title(titles[0], 24),
                 b_tip=_title(titles[1], 24), compact_w=compact(w_dom), compact_b=compact(b_dom),
                 reference="ref" in frames, marks="marks" in frames, heading=heading,
                 subtitle=subtitle, height=height, big=big)


def _path_compose(d, v, *, runs, w_title, b_title, w_tip, b_tip, compact_w, compact_b,
                  reference, marks, heading, subtitle, height, big) -> alt.TopLevelMixin:
    xs, ys = alt.Scale(domain=v["w"], nice=False), alt.Scale(domain=v["b"], nice=False)
    bands = alt.Scale(type="threshold", domain=v["levels"], scheme="blues", reverse=True)
    heat = Chart(d["cells"]).transform_calculate(
        loss_text="datum.overflow ? 'too large to compute (overflows)' : "
                  "format(datum.loss, '.4~g')",
    ).mark_rect(opacity=1.0, strokeWidth=0.6).encode(
        x=alt.X("w:Q", scale=xs, title=w_title, axis=compact_axis(compact_w)),
        x2="w2:Q",
        y=alt.Y("b:Q", scale=ys, title=b_title, axis=compact_axis(compact_b)),
        y2="b2:Q",
        color=alt.Color("loss:Q", scale=bands, legend=None),
        stroke=alt.Stroke("loss:Q", scale=bands, legend=None),  # no seams between cells
        tooltip=[alt.Tooltip("loss_text:N", title="loss")])
    scale = run_scale(runs)
    pick = alt.selection_point(fields=["run"], bind="legend", name="pick")
    tips = [alt.Tooltip("run:N"), alt.Tooltip("step:Q", format=",d"),
            alt.Tooltip("w:Q", title=w_tip, format=".4~g"),
            alt.Tooltip("b:Q", title=b_tip, format=".4~g"),
            alt.Tooltip("loss:Q", format=".4~g")]
    enc = {"x": alt.X("w:Q", scale=xs), "y": alt.Y("b:Q", scale=ys), "order": "step:Q",
           "detail": "piece:N", "color": alt.Color("run:N", scale=scale, title=None),
           "tooltip": tips}
    path = Chart(d["path"]).mark_line(strokeWidth=2.5, clip=True).encode(
        **enc, opacity=picked(1.0, 0.1)).add_params(pick)
    wild = Chart(d["wild"]).mark_line(strokeWidth=1, clip=True).encode(
        **{**enc, "color": alt.Color("run:N", scale=scale, legend=None)},
        opacity=picked(0.4, 0.05))
    start = Chart(d["starts"]).mark_point(size=80, filled=False, strokeWidth=2,
                                          clip=True).encode(
        x=alt.X("w:Q", scale=xs), y=alt.Y("b:Q", scale=ys),
        color=alt.Color("run:N", scale=scale, legend=None), tooltip=tips)
    layers = [heat, wild, path, start]
    if reference:
        layers.append(Chart(d["ref"]).mark_point(
            shape="diamond", size=160, filled=True, color="#e45756", stroke="white",
            strokeWidth=1.5, clip=True).encode(
            x=alt.X("w:Q", scale=xs), y=alt.Y("b:Q", scale=ys),
            tooltip=[alt.Tooltip("label:N", title=""), alt.Tooltip("w:Q", format=".5~g"),
                     alt.Tooltip("b:Q", format=".5~g")]))
    if marks:  # not clipped: a cross on the frame's edge is drawn whole
        layers.append(Chart(d["marks"]).mark_point(
            shape="cross", size=200, filled=True, color=DIVERGED_COLOR).encode(
            x=alt.X("w:Q", scale=xs), y=alt.Y("b:Q", scale=ys),
            tooltip=[alt.Tooltip("run:N"), alt.Tooltip("label:N", title="status"),
                     alt.Tooltip("where:N", title="last finite (w, b)"),
                     alt.Tooltip("loss:Q", title="last finite loss", format=".4~g")]))
    chart = layer(*layers, height=height,
                  title=heading if subtitle is None else titled(heading, subtitle))
    return style(chart, big=big)


def _diverged_runs(status: Mapping[str, str] | None) -> set:
    return {r for r, s in (status or {}).items() if s == "diverged"}


def _inside(df: pd.DataFrame, box: tuple[float, float, float, float]) -> np.ndarray:
    w, b = numeric(df["w"]), numeric(df["b"])
    return (w >= box[0]) & (w <= box[1]) & (b >= box[2]) & (b <= box[3])


def _divergence_marks(drawn: pd.DataFrame, exits: pd.DataFrame, hist: pd.DataFrame,
                      bad: set) -> pd.DataFrame:
    """Per diverged run: a cross where its path left the frame for good, or at its last finite
    point when that is inside; the tooltip tells the last finite point itself."""
    ends = drawn[drawn["run"].isin(bad)].sort_values("step", kind="stable")
    ends = pd.concat([ends, exits[exits["run"].isin(bad)]], ignore_index=True)
    ends = ends.groupby("run", sort=False).tail(1)
    if ends.empty:
        return ends
    last = hist[hist["run"].isin(bad)].sort_values("step", kind="stable")
    last = last.groupby("run", sort=False).tail(1).set_index("run").reindex(ends["run"])
    return pd.DataFrame({
        "run": ends["run"].to_numpy(), "w": ends["w"].to_numpy(float),
        "b": ends["b"].to_numpy(float), "loss": numeric(last["loss"]),
        "label": [f"diverged at step {int(s)}" if is_plottable(s) else "diverged"
                  for s in last["step"]],
        "where": [f"({w:.4g}, {b:.4g})" for w, b in zip(last["w"], last["b"])]})
