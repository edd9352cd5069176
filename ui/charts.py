"""Altair chart builders for run histories: plain functions, tidy DataFrame -> ``alt.Chart``.

No Streamlit here. Every builder

* takes the engine's tidy history (columns ``run, step, epoch, samples, lr, w, b, loss,
  batch_loss, grad_norm, clipped``) and draws a bounded number of points per run
  (:func:`downsample`, first and last point always kept);
* keeps log axes honest: only finite values > 0 reach a log scale (a single 0 or inf would
  blank the whole chart);
* gives every run the same colour on every chart (:func:`run_scale`) and lets a click on the
  legend highlight a run;
* draws a diverged run up to its last finite step and marks that step.

Charts of the data and of the (w, b) plane are in :mod:`ui.charts_space`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd

X_FIELDS = {"step": "Step (updates)", "epoch": "Epoch", "samples": "Samples seen"}
PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#ff9da6",
           "#9d755d", "#bab0ac", "#eeca3b", "#1f77b4", "#2ca02c"]
MAX_POINTS = 5000  # per chart, all runs together (also Altair's inline-data limit)
MIN_PER_RUN = 60
HEIGHT = 260  # plot area; title, axes and legend come on top
DIVERGED_COLOR = "#d62728"


def points_per_run(n_runs: int, total: int = MAX_POINTS) -> int:
    """How many points each run may draw so that a chart stays under ``total`` points."""
    return max(MIN_PER_RUN, total // max(1, n_runs))


def downsample(df: pd.DataFrame, per_run: int, *, by: str = "run",
               order: str = "step") -> pd.DataFrame:
    """At most ``per_run`` rows per run, evenly spread, first and last rows always kept."""
    if df.empty:
        return df
    parts = []
    for _, part in df.groupby(by, sort=False):
        part = part.sort_values(order, kind="stable")
        if len(part) > per_run:
            idx = np.unique(np.linspace(0, len(part) - 1, per_run).round().astype(int))
            part = part.iloc[idx]
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def run_scale(runs: Sequence[str]) -> alt.Scale:
    """A colour scale that gives each run the same colour on every chart."""
    runs = list(dict.fromkeys(runs))
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(runs))]
    return alt.Scale(domain=runs, range=colours)


def _legend_selection() -> alt.Parameter:
    return alt.selection_point(fields=["run"], bind="legend", name="pick")


def _positive_finite(df: pd.DataFrame, col: str) -> pd.DataFrame:
    values = pd.to_numeric(df[col], errors="coerce")
    return df[np.isfinite(values) & (values > 0)]


def _finite(df: pd.DataFrame, col: str) -> pd.DataFrame:
    values = pd.to_numeric(df[col], errors="coerce")
    return df[np.isfinite(values)]


def style(chart: alt.TopLevelMixin, *, big: bool = False) -> alt.TopLevelMixin:
    """Fonts and legend settings shared by all charts (``big``: for a projector)."""
    size = 16 if big else 12
    # fit-x: the chart fills the container's width; its height is the plot area's (with
    # Streamlit's default "fit", title, legend and axes would eat into the given height).
    chart = chart.properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
    return (chart.configure_axis(labelFontSize=size, titleFontSize=size + 1)
            .configure_legend(labelFontSize=size, titleFontSize=size, labelLimit=200,
                              orient="top", direction="horizontal", columns=4 if not big else 3,
                              symbolStrokeWidth=3, title=None)
            .configure_title(fontSize=size + 3, anchor="start")
            .configure_view(strokeWidth=0))


def _diverged_rows(hist: pd.DataFrame, status: Mapping[str, str] | None, x: str,
                   y: str) -> pd.DataFrame:
    """The last finite point of every diverged run, with a label."""
    if not status or hist.empty:
        return hist.iloc[:0].assign(label="")
    bad = [r for r, s in status.items() if s == "diverged"]
    last = hist[hist["run"].isin(bad)].sort_values("step").groupby("run", sort=False).tail(1)
    return last.assign(label=[f"diverged at step {int(s)}" for s in last["step"]])


def loss_chart(history: pd.DataFrame, *, x: str = "step", log: bool = True, smooth: int = 0,
               status: Mapping[str, str] | None = None, height: int = HEIGHT,
               big: bool = False, title: str = "Loss (full data, MSE)") -> alt.TopLevelMixin:
    """Loss curves of all runs on one chart.

    ``x``: "step", "epoch" or "samples". ``log``: logarithmic y (values <= 0 are left out).
    ``smooth``: a trailing moving average over this many points, drawn over the faint raw
    curve (0 = off). ``status``: run -> status, to mark diverged runs.
    """
    if x not in X_FIELDS:
        raise ValueError(f"x must be one of {', '.join(X_FIELDS)}, got {x!r}")
    runs = list(dict.fromkeys(history["run"]))
    cols = ["run", "step", "epoch", "samples", "lr", "w", "b", "loss"]
    hist = history[[c for c in cols if c in history.columns]]
    hist = _positive_finite(hist, "loss") if log else _finite(hist, "loss")
    hist = downsample(hist, points_per_run(len(runs)))
    pick = _legend_selection()
    colour = alt.Color("run:N", scale=run_scale(runs), title=None,
                       legend=alt.Legend(symbolType="stroke"))
    yscale = alt.Scale(type="log") if log else alt.Scale(zero=False)
    xenc = alt.X(f"{x}:Q", title=X_FIELDS[x])
    tips = [alt.Tooltip("run:N", title="run"), alt.Tooltip(f"{x}:Q", title=x, format=",.4~g"),
            alt.Tooltip("loss:Q", format=".5~g"), alt.Tooltip("lr:Q", format=".4~g"),
            alt.Tooltip("w:Q", format=".4~g"), alt.Tooltip("b:Q", format=".4~g")]
    base = alt.Chart(hist).encode(x=xenc, color=colour)
    raw = base.mark_line(strokeWidth=1.5 if not smooth else 1, interpolate="linear").encode(
        y=alt.Y("loss:Q", scale=yscale, title="loss" + (" (log scale)" if log else "")),
        opacity=alt.condition(pick, alt.value(0.3 if smooth else 1.0), alt.value(0.08)),
        tooltip=tips,
    ).add_params(pick)
    layers: list[alt.Chart] = [raw]
    if smooth and smooth > 1:
        sm = base.transform_window(
            smoothed="mean(loss)", frame=[-int(smooth) + 1, 0], groupby=["run"],
            sort=[alt.SortField(x)],
        ).mark_line(strokeWidth=2.5).encode(
            y=alt.Y("smoothed:Q", scale=yscale),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.1)),
            tooltip=[alt.Tooltip("run:N"), alt.Tooltip(f"{x}:Q", format=",.4~g"),
                     alt.Tooltip("smoothed:Q", title=f"mean of last {smooth}", format=".5~g")],
        )
        layers.append(sm)
    layers.extend(_divergence_marks(hist, status, x, "loss", yscale, runs))
    points = alt.Chart(hist).mark_point(size=60, opacity=0).encode(
        x=xenc, y=alt.Y("loss:Q", scale=yscale), tooltip=tips)  # hover anywhere on a curve
    layers.append(points)
    return style(alt.layer(*layers).properties(height=height, title=title), big=big)


def _divergence_marks(hist: pd.DataFrame, status: Mapping[str, str] | None, x: str, y: str,
                      yscale: alt.Scale, runs: Sequence[str]) -> list[alt.Chart]:
    marks = _diverged_rows(hist, status, x, y)
    if marks.empty:
        return []
    enc = {"x": alt.X(f"{x}:Q"), "y": alt.Y(f"{y}:Q", scale=yscale)}
    tip = [alt.Tooltip("run:N"), alt.Tooltip("label:N", title="status"),
           alt.Tooltip(f"{y}:Q", title=f"last finite {y}", format=".4~g")]
    cross = alt.Chart(marks).mark_point(shape="cross", size=220, filled=True, strokeWidth=1,
                                        color=DIVERGED_COLOR).encode(**enc, tooltip=tip)
    text = alt.Chart(marks).mark_text(align="right", dx=-10, dy=-10, fontWeight="bold",
                                      color=DIVERGED_COLOR).encode(**enc, text="label:N")
    return [cross, text]


def lr_chart(history: pd.DataFrame, *, x: str = "step", height: int = HEIGHT,
             big: bool = False) -> alt.TopLevelMixin:
    """The learning rate each run used (log y when the rates span more than 20x)."""
    runs = list(dict.fromkeys(history["run"]))
    hist = _positive_finite(history[["run", "step", "epoch", "samples", "lr"]], "lr")
    hist = downsample(hist, points_per_run(len(runs)))
    lrs = hist["lr"]
    log = bool(len(lrs)) and float(lrs.max()) > 20 * float(lrs.min())
    pick = _legend_selection()
    chart = alt.Chart(hist).mark_line(strokeWidth=2, interpolate="step-after").encode(
        x=alt.X(f"{x}:Q", title=X_FIELDS[x]),
        y=alt.Y("lr:Q", title="learning rate" + (" (log scale)" if log else ""),
                scale=alt.Scale(type="log") if log else alt.Scale(zero=True)),
        color=alt.Color("run:N", scale=run_scale(runs), title=None),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.1)),
        tooltip=[alt.Tooltip("run:N"), alt.Tooltip(f"{x}:Q", format=",.4~g"),
                 alt.Tooltip("lr:Q", title="learning rate", format=".4~g")],
    ).add_params(pick)
    return style(chart.properties(height=height, title="Learning rate"), big=big)


def _value_domain(hist: pd.DataFrame, col: str, status: Mapping[str, str] | None,
                  extra: Sequence[float]) -> list[float]:
    """A y range that shows the runs that did not diverge (diverged ones are clipped)."""
    ok = hist if not status else hist[~hist["run"].map(status).eq("diverged")]
    values = pd.concat([_finite(ok, col)[col], pd.Series(list(extra), dtype=float)])
    values = values[np.isfinite(values)]
    if values.empty:
        values = _finite(hist, col)[col]
    if values.empty:
        return [-1.0, 1.0]
    lo, hi = float(values.min()), float(values.max())
    pad = 0.08 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.1
    return [lo - pad, hi + pad]


def param_chart(history: pd.DataFrame, param: str, *, reference: float | None = None,
                x: str = "step", status: Mapping[str, str] | None = None,
                height: int = HEIGHT, big: bool = False) -> alt.TopLevelMixin:
    """One learned parameter (``"w"`` or ``"b"``) over time per run, with the least-squares
    value as a dashed reference line."""
    runs = list(dict.fromkeys(history["run"]))
    hist = _finite(history[["run", "step", "epoch", "samples", param]], param)
    hist = downsample(hist, points_per_run(len(runs)))
    extra = [] if reference is None else [reference]
    yscale = alt.Scale(domain=_value_domain(hist, param, status, extra), nice=False)
    pick = _legend_selection()
    diverged = hist["run"].map(status or {}).eq("diverged")
    enc = {"x": alt.X(f"{x}:Q", title=X_FIELDS[x]),
           "y": alt.Y(f"{param}:Q", title=param, scale=yscale),
           "color": alt.Color("run:N", scale=run_scale(runs), title=None),
           "tooltip": [alt.Tooltip("run:N"), alt.Tooltip(f"{x}:Q", format=",.4~g"),
                       alt.Tooltip(f"{param}:Q", format=".5~g")]}
    line = alt.Chart(hist[~diverged]).mark_line(strokeWidth=2, clip=True).encode(
        **enc, opacity=alt.condition(pick, alt.value(1.0), alt.value(0.1))).add_params(pick)
    layers: list[alt.Chart] = [line]
    if diverged.any():  # drawn faint: its swings run off the chart (clipped at the edge)
        enc["color"] = alt.Color("run:N", scale=run_scale(runs), legend=None)
        layers.append(alt.Chart(hist[diverged]).mark_line(strokeWidth=1, clip=True).encode(
            **enc, opacity=alt.condition(pick, alt.value(0.35), alt.value(0.05))))
    if reference is not None and np.isfinite(reference):
        ref = pd.DataFrame({"value": [float(reference)], "label": ["least squares"]})
        rule = alt.Chart(ref).mark_rule(strokeDash=[6, 4], color="black", strokeWidth=1.5).encode(
            y=alt.Y("value:Q", scale=yscale),
            tooltip=[alt.Tooltip("label:N", title=""),
                     alt.Tooltip("value:Q", title=param, format=".5~g")])
        label = alt.Chart(ref).mark_text(align="right", baseline="bottom", dy=-3,
                                         color="black").encode(
            y=alt.Y("value:Q", scale=yscale), x=alt.value("width"),
            text=alt.Text("value:Q", format=".4~g"))
        layers += [rule, label]
    what = "slope" if param.startswith("w") else "intercept"
    chart = alt.layer(*layers).properties(
        height=height, title=f"Learned {what} {param} (dashed: least squares)")
    return style(chart, big=big)


def grad_chart(history: pd.DataFrame, *, clip: Mapping[str, float] | None = None,
               x: str = "step", height: int = HEIGHT, big: bool = False) -> alt.TopLevelMixin:
    """Gradient norm over time per run (log y), with each run's clipping threshold dashed and
    the clipped steps marked."""
    runs = list(dict.fromkeys(history["run"]))
    cols = ["run", "step", "epoch", "samples", "grad_norm", "clipped"]
    hist = _positive_finite(history[cols], "grad_norm")
    hist = downsample(hist, points_per_run(len(runs)))
    scale = run_scale(runs)
    pick = _legend_selection()
    xenc = alt.X(f"{x}:Q", title=X_FIELDS[x])
    yenc = alt.Y("grad_norm:Q", title="gradient norm (log scale)", scale=alt.Scale(type="log"))
    line = alt.Chart(hist).mark_line(strokeWidth=1.5).encode(
        x=xenc, y=yenc, color=alt.Color("run:N", scale=scale, title=None),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.1)),
        tooltip=[alt.Tooltip("run:N"), alt.Tooltip(f"{x}:Q", format=",.4~g"),
                 alt.Tooltip("grad_norm:Q", title="gradient norm", format=".4~g"),
                 alt.Tooltip("clipped:N")],
    ).add_params(pick)
    layers: list[alt.Chart] = [line]
    clipped = hist[hist["clipped"].astype(bool)]
    if not clipped.empty:
        layers.append(alt.Chart(clipped).mark_point(size=18, filled=True, opacity=0.7).encode(
            x=xenc, y=yenc, color=alt.Color("run:N", scale=scale, legend=None),
            tooltip=[alt.Tooltip("run:N"), alt.Tooltip(f"{x}:Q", format=",.4~g"),
                     alt.Tooltip("grad_norm:Q", format=".4~g", title="norm before clipping")]))
    thresholds = pd.DataFrame(
        [{"run": r, "threshold": float(c)} for r, c in (clip or {}).items()
         if r in runs and c is not None and np.isfinite(c) and c > 0])
    if not thresholds.empty:
        layers.append(alt.Chart(thresholds).mark_rule(strokeDash=[6, 4], strokeWidth=2).encode(
            y=alt.Y("threshold:Q", scale=alt.Scale(type="log")),
            color=alt.Color("run:N", scale=scale, legend=None),
            tooltip=[alt.Tooltip("run:N"),
                     alt.Tooltip("threshold:Q", title="clipping threshold", format=".4~g")]))
    chart = alt.layer(*layers).properties(
        height=height, title="Gradient norm (dashed: clipping threshold)")
    return style(chart, big=big)
