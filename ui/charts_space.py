"""Altair chart builders for the data and the parameter plane (no Streamlit).

* :func:`fit_chart`: the data with each run's fitted line and the least-squares line.
* :func:`loss_surface` + :func:`path_chart`: each run's path across the loss contour in the
  (w, b) plane, the least-squares minimum marked.

Column names from uploaded files never become Vega field names (``a.b``, ``e[0]`` or ``x:y``
would be read as nested fields or types): the data is renamed to ``x``/``y`` and the original
names only appear as axis titles, which Vega draws as plain text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd

from ui.charts import (
    DIVERGED_COLOR,
    HEIGHT,
    downsample,
    points_per_run,
    run_scale,
    style,
)

MAX_DATA_POINTS = 2000
GRID = 48  # cells per side of the loss surface


def _title(name: str, limit: int = 40) -> str:
    name = " ".join(str(name).split())
    return name if len(name) <= limit else name[: limit - 1] + "…"


def fit_chart(frame: pd.DataFrame, x_name: str, y_name: str, lines: pd.DataFrame, *,
              reference: tuple[float, float] | None = None, runs: Sequence[str] | None = None,
              height: int = HEIGHT, big: bool = False) -> alt.TopLevelMixin:
    """Scatter of the data (at most :data:`MAX_DATA_POINTS` points) with one fitted line per
    run. ``lines`` has columns ``run, slope, intercept`` (original units); ``reference`` is the
    least-squares (slope, intercept). Lines are clipped to the data's range."""
    data = pd.DataFrame({"x": frame[x_name].to_numpy(float), "y": frame[y_name].to_numpy(float)})
    data = data[np.isfinite(data["x"]) & np.isfinite(data["y"])]
    if len(data) > MAX_DATA_POINTS:
        data = data.sample(MAX_DATA_POINTS, random_state=0)
    x0, x1 = float(data["x"].min()), float(data["x"].max())
    y0, y1 = float(data["y"].min()), float(data["y"].max())
    ypad = 0.15 * (y1 - y0) if y1 > y0 else 1.0
    yscale = alt.Scale(domain=[y0 - ypad, y1 + ypad], nice=False)
    xscale = alt.Scale(domain=[x0, x1], nice=False)
    runs = list(runs) if runs is not None else list(dict.fromkeys(lines["run"]))
    xt, yt = _title(x_name), _title(y_name)
    points = alt.Chart(data).mark_circle(size=28, color="#666", opacity=0.45).encode(
        x=alt.X("x:Q", title=xt, scale=xscale), y=alt.Y("y:Q", title=yt, scale=yscale),
        tooltip=[alt.Tooltip("x:Q", title=xt, format=".4~g"),
                 alt.Tooltip("y:Q", title=yt, format=".4~g")])
    ends = lines[np.isfinite(lines["slope"]) & np.isfinite(lines["intercept"])]
    seg = pd.DataFrame([
        {"run": r.run, "x": x, "y": r.slope * x + r.intercept, "slope": r.slope,
         "intercept": r.intercept}
        for r in ends.itertuples() for x in (x0, x1)])
    layers: list[alt.Chart] = [points]
    pick = alt.selection_point(fields=["run"], bind="legend", name="pick")
    if not seg.empty:
        layers.append(alt.Chart(seg).mark_line(strokeWidth=2.5, clip=True).encode(
            x=alt.X("x:Q", scale=xscale), y=alt.Y("y:Q", scale=yscale),
            color=alt.Color("run:N", scale=run_scale(runs), title=None),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.1)),
            tooltip=[alt.Tooltip("run:N"), alt.Tooltip("slope:Q", format=".4~g"),
                     alt.Tooltip("intercept:Q", format=".4~g")],
        ).add_params(pick))
    if reference is not None and all(np.isfinite(reference)):
        s, c = (float(v) for v in reference)
        ref = pd.DataFrame({"x": [x0, x1], "y": [s * x0 + c, s * x1 + c],
                            "label": "least squares", "slope": s, "intercept": c})
        layers.append(alt.Chart(ref).mark_line(strokeDash=[6, 4], color="black", clip=True)
                      .encode(x=alt.X("x:Q", scale=xscale), y=alt.Y("y:Q", scale=yscale),
                              tooltip=[alt.Tooltip("label:N", title=""),
                                       alt.Tooltip("slope:Q", format=".4~g"),
                                       alt.Tooltip("intercept:Q", format=".4~g")]))
    chart = alt.layer(*layers).properties(
        height=height, title="Data and fitted lines (dashed: least squares)")
    return style(chart, big=big)


def _span(values: pd.Series, centre: float) -> tuple[float, float]:
    """(middle, half-width) of the values and the centre."""
    values = values[np.isfinite(values)]
    lo = min(float(values.min()), centre) if len(values) else centre
    hi = max(float(values.max()), centre) if len(values) else centre
    half = max((hi - lo) / 2, 0.05 * max(abs(centre), 1.0))
    return (hi + lo) / 2, half


def loss_surface(problem, history: pd.DataFrame, reference: Mapping[str, float], *,
                 status: Mapping[str, str] | None = None, n: int = GRID) -> pd.DataFrame:
    """The loss on an ``n`` x ``n`` grid of the (w, b) plane, framing the reference point and
    the paths of the runs that did not diverge. Columns: ``w, b, w2, b2`` (cell corners) and
    ``loss``. ``problem`` is a :class:`gdcore.LinearRegression` with one x column."""
    ok = history if not status else history[~history["run"].map(status).eq("diverged")]
    if ok.empty:
        ok = history.groupby("run", sort=False).head(1)  # at least the start points
    (w_mid, w_half), (b_mid, b_half) = (_span(ok[p], float(reference[p])) for p in "wb")
    half = 1.2 * max(w_half, b_half)  # same extent on both axes: true shapes of the contours
    ws = np.linspace(w_mid - half, w_mid + half, n + 1)
    bs = np.linspace(b_mid - half, b_mid + half, n + 1)
    wc, bc = (ws[:-1] + ws[1:]) / 2, (bs[:-1] + bs[1:]) / 2
    grid = problem.grid(wc, bc)  # [i_b, i_w]
    W, B = np.meshgrid(np.arange(n), np.arange(n))
    return pd.DataFrame({"w": ws[W.ravel()], "w2": ws[W.ravel() + 1], "b": bs[B.ravel()],
                         "b2": bs[B.ravel() + 1], "loss": grid.ravel()})


def path_chart(surface: pd.DataFrame, history: pd.DataFrame, reference: Mapping[str, float], *,
               status: Mapping[str, str] | None = None, runs: Sequence[str] | None = None,
               units: str = "", height: int = HEIGHT, big: bool = False) -> alt.TopLevelMixin:
    """Each run's path over the loss contour (coloured bands, log-spaced levels above the
    minimum), start points as circles, the least-squares minimum as a star. Paths that
    leave the frame (diverged runs) are clipped at its edge."""
    runs = list(runs) if runs is not None else list(dict.fromkeys(history["run"]))
    w_dom = [float(surface["w"].min()), float(surface["w2"].max())]
    b_dom = [float(surface["b"].min()), float(surface["b2"].max())]
    xs, ys = alt.Scale(domain=w_dom, nice=False), alt.Scale(domain=b_dom, nice=False)
    lmin, lmax = float(surface["loss"].min()), float(surface["loss"].max())
    excess = max(lmax - lmin, 1e-12)
    levels = [lmin + excess * f for f in np.geomspace(2e-3, 1.0, 9)[:-1]]
    suffix = f" ({units})" if units else ""
    bands = alt.Scale(type="threshold", domain=levels, scheme="blues", reverse=True)
    heat = alt.Chart(surface).mark_rect(opacity=1.0, strokeWidth=0.6).encode(
        x=alt.X("w:Q", scale=xs, title=f"w (slope){suffix}"), x2="w2:Q",
        y=alt.Y("b:Q", scale=ys, title=f"b (intercept){suffix}"), y2="b2:Q",
        color=alt.Color("loss:Q", scale=bands, legend=None),
        stroke=alt.Stroke("loss:Q", scale=bands, legend=None),  # no seams between cells
        tooltip=[alt.Tooltip("loss:Q", format=".4~g")])
    hist = history[["run", "step", "w", "b", "loss"]]
    hist = hist[np.isfinite(hist["w"]) & np.isfinite(hist["b"])]
    hist = downsample(hist, points_per_run(len(runs), 4000))
    scale = run_scale(runs)
    pick = alt.selection_point(fields=["run"], bind="legend", name="pick")
    tips = [alt.Tooltip("run:N"), alt.Tooltip("step:Q", format=",d"),
            alt.Tooltip("w:Q", format=".4~g"), alt.Tooltip("b:Q", format=".4~g"),
            alt.Tooltip("loss:Q", format=".4~g")]
    diverged = hist["run"].map(status or {}).eq("diverged")
    enc = {"x": alt.X("w:Q", scale=xs), "y": alt.Y("b:Q", scale=ys), "order": "step:Q",
           "color": alt.Color("run:N", scale=scale, title=None), "tooltip": tips}
    path = alt.Chart(hist[~diverged]).mark_line(strokeWidth=2.5, clip=True).encode(
        **enc, opacity=alt.condition(pick, alt.value(1.0), alt.value(0.1))).add_params(pick)
    wild = alt.Chart(hist[diverged]).mark_line(strokeWidth=1, clip=True).encode(
        **{**enc, "color": alt.Color("run:N", scale=scale, legend=None)},
        opacity=alt.condition(pick, alt.value(0.4), alt.value(0.05)))
    starts = hist.sort_values("step").groupby("run", sort=False).head(1)
    start = alt.Chart(starts).mark_point(size=80, filled=False, strokeWidth=2, clip=True).encode(
        x=alt.X("w:Q", scale=xs), y=alt.Y("b:Q", scale=ys),
        color=alt.Color("run:N", scale=scale, legend=None), tooltip=tips)
    ends = hist.sort_values("step").groupby("run", sort=False).tail(1)
    bad = ends[ends["run"].map(status or {}).eq("diverged")]
    ref = pd.DataFrame({"w": [float(reference["w"])], "b": [float(reference["b"])],
                        "label": ["least squares"]})
    star = alt.Chart(ref).mark_point(shape="diamond", size=160, filled=True, color="#e45756",
                                     stroke="white", strokeWidth=1.5).encode(
        x=alt.X("w:Q", scale=xs), y=alt.Y("b:Q", scale=ys),
        tooltip=[alt.Tooltip("label:N", title=""), alt.Tooltip("w:Q", format=".5~g"),
                 alt.Tooltip("b:Q", format=".5~g")])
    layers = [heat, wild, path, start, star]
    if not bad.empty:
        layers.append(alt.Chart(bad).mark_point(shape="cross", size=200, filled=True,
                                                color=DIVERGED_COLOR, clip=True).encode(
            x=alt.X("w:Q", scale=xs), y=alt.Y("b:Q", scale=ys), tooltip=tips))
    chart = alt.layer(*layers).properties(
        height=height, title="Paths across the loss surface (◆ least squares, ○ start)")
    return style(chart, big=big)
