"""Chart builders for the learning-rate sweep: tidy DataFrame (from ``lab.sweep``) -> alt.Chart.

Both axes are true log scales. Nothing zero, negative or infinite reaches them: values are floored
at a small positive number, and diverged runs (whatever their last loss) and values too large to
draw are drawn at the top edge with their own mark and legend entry instead of being dropped.
Every number in the spec is finite (JSON has no NaN or Infinity).
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from .charts import MAX_ABS, PALETTE, Chart, json_safe, keep_plottable, layer, numeric
from .landscape_charts import styled

LABEL_SHAPES = {"converged": "circle", "oscillating": "diamond", "diverged": "triangle-down"}
TOP_EDGE = "diverged (drawn at the top edge)"
METRICS = {"final": "final loss", "best": "best loss"}


def use_excess(df: pd.DataFrame) -> bool:
    """Plot the loss above the minimum when the loss itself can be zero or negative."""
    return not bool((df["reference_loss"] > 0).all())


def plot_frame(df: pd.DataFrame, metrics=("final",), excess: bool | None = None) -> pd.DataFrame:
    """Long form for plotting: one row per run × metric with a finite, positive ``y``; diverged
    runs (final metric) and values that are not finite or too large to draw (beyond
    ``ui.charts.MAX_ABS``) sit at ``top``, a decade above the largest value."""
    excess = use_excess(df) if excess is None else excess
    rows = []
    for m in metrics:
        col = f"{m}_excess" if excess else f"{m}_loss"
        part = df[["series", "lr", "label", "status", "steps", col]].rename(columns={col: "value"})
        part = part.assign(metric=METRICS[m], value=numeric(part["value"]))
        with np.errstate(invalid="ignore"):
            part["off_scale"] = ~(np.abs(part["value"]) <= MAX_ABS) | (
                (part["label"] == "diverged") & (m == "final"))
        rows.append(part)
    out = pd.concat(rows, ignore_index=True)
    ok = out.loc[~out["off_scale"] & (out["value"] > 0), "value"]
    lo = float(ok.min()) if len(ok) else 1e-12
    hi = float(ok.max()) if len(ok) else 1.0
    floor = max(lo / 10.0, 1e-300)
    top = 10.0 ** (math.ceil(math.log10(hi)) + 1)  # hi <= MAX_ABS: at most 1e307
    out["y"] = out["value"].where(out["value"] > floor, floor)
    out.loc[out["off_scale"], "y"] = top
    out["shown_as"] = np.where(out["off_scale"], TOP_EDGE, out["label"])
    out["value_text"] = [f"{v:.6g}" for v in out["value"]]
    out.attrs["top"] = top
    out.attrs["floor"] = floor
    return out


def sweep_chart(df: pd.DataFrame, stable: pd.DataFrame | None = None, *, metrics=("final",),
                theory: float | None = None, height: int = 380,
                big: bool = False) -> alt.LayerChart:
    """Loss against learning rate, log-log, one line per series (the dashboard's palette);
    point shape = label. The series' legend sits above the chart, the labels' and metrics'
    under it (side by side they ran past the chart's edge and were cut off), their text never
    cut short (a series is "stochastic (batch 1) · momentum"); ``big``: fonts for a
    projector."""
    excess = use_excess(df)
    pf = plot_frame(df, metrics, excess)
    top = pf.attrs["top"]
    pf = json_safe(keep_plottable(pf, ["lr", "y"], positive=["lr", "y"]))
    ytitle = "loss above the minimum" if excess else "loss"
    x = alt.X("lr:Q", scale=alt.Scale(type="log"), title="learning rate (log scale)")
    y = alt.Y("y:Q", scale=alt.Scale(type="log", domainMax=top), title=f"{ytitle} (log scale)")
    series = [s for s in dict.fromkeys(df["series"]) if isinstance(s, str)]
    color = alt.Color("series:N", title="variant · optimizer", scale=alt.Scale(
        domain=series, range=[PALETTE[i % len(PALETTE)] for i in range(len(series))]))
    shown = [METRICS[m] for m in metrics if m in METRICS]
    dashes = {"final loss": [1, 0], "best loss": [4, 3]}
    dash = alt.StrokeDash("metric:N", title="metric",
                          scale=alt.Scale(domain=shown, range=[dashes[m] for m in shown]),
                          legend=alt.Legend(orient="bottom") if len(shown) > 1 else None)
    tooltip = [alt.Tooltip("series:N"), alt.Tooltip("lr:Q", format=".4g"),
               alt.Tooltip("label:N"), alt.Tooltip("metric:N"),
               alt.Tooltip("value_text:N", title="value"), alt.Tooltip("steps:Q")]
    base = Chart(pf)
    lines = base.transform_filter("!datum.off_scale").mark_line(strokeWidth=2, opacity=0.8).encode(
        x=x, y=y, color=color, strokeDash=dash, detail="metric:N")
    present = set(pf["shown_as"])
    legend = [(k, v) for k, v in [*LABEL_SHAPES.items(), (TOP_EDGE, "triangle-up")]
              if k in present]
    shapes = alt.Scale(domain=[k for k, _ in legend], range=[v for _, v in legend])
    points = base.mark_point(size=90, filled=True, opacity=0.95).encode(
        x=x, y=y, color=color, shape=alt.Shape("shown_as:N", title="label", scale=shapes,
                                               legend=alt.Legend(orient="bottom")),
        tooltip=tooltip)
    edge = Chart(pd.DataFrame({"y": [top]})).mark_rule(
        color="#b00", strokeDash=[2, 2], opacity=0.5).encode(y=alt.Y("y:Q"))
    layers = [edge, lines, points]
    st_df = (keep_plottable(stable, ["largest_stable_lr"], positive=["largest_stable_lr"])
             if stable is not None else None)
    if st_df is not None and len(st_df):
        layers.append(Chart(json_safe(st_df)).mark_rule(strokeWidth=2,
                                                            strokeDash=[6, 3]).encode(
            x=alt.X("largest_stable_lr:Q"), color=color,
            tooltip=[alt.Tooltip("series:N"),
                     alt.Tooltip("largest_stable_lr:Q", title="largest stable lr",
                                 format=".4g")]))
    if theory is not None and 0 < theory <= MAX_ABS:
        th = pd.DataFrame({"lr": [float(theory)], "text": [f"theory 2/λmax = {theory:.4g}"]})
        layers.append(Chart(th).mark_rule(color="black", strokeWidth=1).encode(
            x="lr:Q", tooltip=["text:N"]))
        layers.append(Chart(th).mark_text(align="left", dx=4, baseline="top",
                                          fontSize=15 if big else 12).encode(
            x="lr:Q", y=alt.value(22), text="text:N"))
    chart = layer(*layers, height=height).resolve_scale(color="shared")
    return styled(chart, big=big, label_limit=0)


def label_counts(df: pd.DataFrame) -> pd.DataFrame:
    """How many runs of each series got each label (a small table)."""
    t = df.pivot_table(index="series", columns="label", values="lr", aggfunc="count",
                       fill_value=0)
    return t.reindex(columns=list(LABEL_SHAPES), fill_value=0).reset_index()


LABEL_COLOURS = {"converged": "#54a24b", "oscillating": "#f2a93b", "diverged": "#d62728"}


def _edges(values) -> np.ndarray:
    """Cell edges around sorted grid values: midpoints between neighbours (geometric for the
    log-spaced learning rates: ``log``), the outer cells as wide as their neighbours."""
    v = np.asarray(sorted(set(float(x) for x in values)), dtype=float)
    if v.size == 1:
        return np.array([v[0] / 1.5, v[0] * 1.5]) if v[0] > 0 else np.array([v[0] - 0.5,
                                                                              v[0] + 0.5])
    mid = (v[:-1] + v[1:]) / 2
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])


def stability_chart(df: pd.DataFrame, *, height: int = 360, big: bool = False) -> alt.LayerChart:
    """The learning rate × momentum map (``lab.sweep.stability_map``): one cell per run,
    coloured by its label, and the theory's boundary lr = 2(1 + β)/λmax as a black line
    (stable to its left). Log learning-rate axis; the cells' edges lie halfway between the
    grid's rates (geometrically) and momenta."""
    lrs = sorted(set(df["lr"]))
    with np.errstate(over="ignore"):  # (edges are kept within what a spec can hold)
        log_edges = np.exp(np.clip(_edges(np.log(lrs)), math.log(1e-300), math.log(MAX_ABS)))
    beta_edges = np.clip(_edges(df["momentum"]), 0.0, 1.0)  # (momentum lies in [0, 1))
    betas = sorted(set(df["momentum"]))
    li, bi = {v: i for i, v in enumerate(lrs)}, {v: i for i, v in enumerate(betas)}
    cells = df.assign(
        lr0=[log_edges[li[v]] for v in df["lr"]], lr1=[log_edges[li[v] + 1] for v in df["lr"]],
        b0=[beta_edges[bi[v]] for v in df["momentum"]],
        b1=[beta_edges[bi[v] + 1] for v in df["momentum"]],
        loss_text=[f"{v:.4g}" if np.isfinite(v) else "not finite" for v in
                   numeric(df["final_loss"])])
    cells = json_safe(cells[["lr", "momentum", "label", "lr0", "lr1", "b0", "b1",
                             "loss_text", "steps"]])
    xs = alt.Scale(type="log", domain=[float(log_edges[0]), float(log_edges[-1])], nice=False)
    ys = alt.Scale(domain=[float(beta_edges[0]), float(beta_edges[-1])], nice=False)
    x = alt.X("lr0:Q", scale=xs, title="learning rate (log scale)")
    y = alt.Y("b0:Q", scale=ys, title="momentum β")
    heat = Chart(cells).mark_rect(stroke="white", strokeWidth=0.5).encode(
        x=x, x2="lr1:Q", y=y, y2="b1:Q",
        color=alt.Color("label:N", title=None,
                        scale=alt.Scale(domain=list(LABEL_COLOURS),
                                        range=list(LABEL_COLOURS.values())),
                        legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("lr:Q", title="learning rate", format=".4g"),
                 alt.Tooltip("momentum:Q", title="momentum β", format=".3g"),
                 alt.Tooltip("label:N"), alt.Tooltip("loss_text:N", title="final loss"),
                 alt.Tooltip("steps:Q", format=",d")])
    layers = [heat]
    base = numeric(df["limit"] / (1.0 + df["momentum"]))
    base = base[np.isfinite(base) & (base > 0)]
    if base.size:
        b = np.linspace(float(beta_edges[0]), float(beta_edges[-1]), 60)
        b = b[(b >= 0) & (b < 1)]
        with np.errstate(over="ignore"):
            line = pd.DataFrame({"lr": float(base[0]) * (1.0 + b), "momentum": b})
        line = line[(line["lr"] >= log_edges[0]) & (line["lr"] <= log_edges[-1])]
        if len(line):
            line = line.assign(text="theory: lr = 2(1 + β)/λmax")
            layers.append(Chart(line).mark_line(color="black", strokeWidth=2.5).encode(
                x=alt.X("lr:Q", scale=xs), y=alt.Y("momentum:Q", scale=ys),
                order="momentum:Q", tooltip=[alt.Tooltip("text:N", title="")]))
    chart = layer(*layers, height=height,
                  title=alt.TitleParams("Learning rate × momentum: where full-batch heavy-ball "
                                        "gradient descent is stable",
                                        subtitle="black line: the theory's edge 2(1 + β)/λmax "
                                                 "(stable to its left)"))
    return styled(chart, big=big, label_limit=0)
