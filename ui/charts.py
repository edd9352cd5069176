"""Altair chart builders for run histories: plain functions, tidy DataFrame -> ``alt.Chart``.

No Streamlit here. Every builder

* takes the engine's tidy history (columns ``run, step, epoch, samples, lr, w, b, loss,
  batch_loss, grad_norm, clipped``) and draws a bounded number of points per run
  (:func:`downsample`, first and last point always kept);
* keeps log axes honest: only finite values > 0 reach a log scale (a single 0 or inf would
  blank the whole chart);
* gives every run the same colour on every chart (:func:`run_scale`) and lets a click on the
  legend highlight a run;
* draws a diverged run up to its last finite step and marks that step; where a chart's range is
  that of the other runs (linear loss axis, w and b), the diverged run is cut where it leaves
  the chart (:func:`clip_paths`) and marked there, on the edge, rather than drawn as a line
  towards 1e300;
* puts only finite numbers in the spec: the browser parses it with ``JSON.parse``, which has no
  NaN or Infinity (one NaN in a scale domain and the chart becomes an error box). Data cells that
  are not finite are dropped (:func:`keep_plottable`) or emptied (:func:`json_safe`); values
  beyond :data:`MAX_ABS` count as off the chart; domains come from :func:`value_range`.

Charts of the data and of the (w, b) plane are in :mod:`ui.charts_space`.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from ui.chart_parts import Parts, parts

X_FIELDS = {"step": "Step (updates)", "epoch": "Epoch", "samples": "Samples seen"}
PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#ff9da6",
           "#9d755d", "#bab0ac", "#eeca3b", "#1f77b4", "#2ca02c"]
MAX_POINTS = 5000  # per chart, all runs together (also Altair's inline-data limit)
MIN_PER_RUN = 60
HEIGHT = 260  # plot area; title, axes and legend come on top
DIVERGED_COLOR = "#d62728"

MAX_ABS = 1e306  # larger values are off every chart: Vega's own span, padding and tick arithmetic
#                  on them would overflow to Infinity (and JSON has no Infinity or NaN)


def numeric(values) -> np.ndarray:
    """Values as a float array (anything that is not a number becomes NaN)."""
    kind = getattr(getattr(values, "dtype", None), "kind", None)
    if kind in ("f", "i", "u", "b") and isinstance(values, pd.Series | np.ndarray):
        # a numeric column (the usual case): no parsing (nullable ones' NA become NaN)
        return values.to_numpy(dtype=float, na_value=np.nan) if isinstance(values, pd.Series) \
            else values.astype(float)
    return pd.to_numeric(pd.Series(values, dtype=object) if not isinstance(values, pd.Series)
                         else values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def plottable(values, *, positive: bool = False) -> np.ndarray:
    """Which values can go into a chart: finite, within ±:data:`MAX_ABS` (and > 0 for a log
    scale)."""
    v = numeric(values)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(v) & (np.abs(v) <= MAX_ABS)
        return ok & (v > 0) if positive else ok


def is_plottable(value, *, positive: bool = False) -> bool:
    """:func:`plottable` for one value (None and non-numbers are not)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return False
    return math.isfinite(v) and abs(v) <= MAX_ABS and (v > 0 or not positive)


def keep_plottable(df: pd.DataFrame, cols: Sequence[str],
                   positive: Sequence[str] = ()) -> pd.DataFrame:
    """The rows whose ``cols`` can all be drawn (``positive``: on a log scale), those columns
    as floats."""
    mask = np.ones(len(df), dtype=bool)
    for c in cols:
        mask &= plottable(df[c], positive=c in positive)
    out = df[mask]
    return out.assign(**{c: numeric(out[c]) for c in cols}) if len(out) else out


def json_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy in which no cell is an infinite or NaN number (they become empty: null in the
    spec). Altair only does this for float columns; mixed (object) columns keep ``inf``.
    A frame with nothing to change (the usual case) is handed back as a shallow copy: under
    pandas' copy-on-write a change to either never reaches the other."""
    changed: dict[str, Any] = {}
    for c, dtype in zip(df.columns, df.dtypes):
        if dtype.kind in "iub" or isinstance(dtype, pd.StringDtype):
            continue  # (no float in them: a fast skip)
        col = df[c]
        if pd.api.types.is_float_dtype(dtype):
            finite = np.isfinite(col.to_numpy(dtype=float, na_value=np.nan))
            if not finite.all():
                changed[c] = col.where(finite)
        elif col.dtype == object and pd.api.types.infer_dtype(col, skipna=False) not in (
                "string", "boolean", "integer", "bytes"):  # (those hold no float: a fast skip)
            if any(isinstance(v, float | np.floating) and not math.isfinite(v) for v in col):
                changed[c] = [None if isinstance(v, float | np.floating)
                              and not math.isfinite(v) else v for v in col]
    out = df.copy(deep=False)
    for c, values in changed.items():
        out[c] = values
    return out


def value_range(values, *, pad: float = 0.08, flat: float = 0.1,
                extra: Sequence[float] = ()) -> list[float] | None:
    """A finite linear-scale domain [lo, hi], lo < hi, around the drawable values (and
    ``extra``): ``pad`` of the span on each side, or ``flat`` × max(|value|, 1) when the values
    are equal up to rounding. None when there is nothing to draw."""
    v = numeric(values)
    v = np.concatenate([v[plottable(v)], [float(e) for e in extra if is_plottable(e)]])
    if not v.size:
        return None
    lo, hi = float(v.min()), float(v.max())
    # a span below a billionth of the values' scale (at least 1) is rounding noise, e.g. an
    # intercept of 1e-17 on standardized data: shown as flat, not as 0.00000000000000001 ticks
    tiny = not hi - lo > 1e-9 * max(abs(hi), abs(lo), 1.0)
    margin = flat * max(abs(hi), 1.0) if tiny else pad * (hi - lo)
    out = [lo - margin, hi + margin]
    if not out[0] < out[1]:  # a span below the rounding of the values themselves
        margin = flat * max(abs(hi), 1.0)
        out = [lo - margin, hi + margin]
    return out


def compact(domain: Sequence[float] | None) -> bool:
    """Whether a domain reaches 1e21, whose tick values Vega would print with every digit of
    their rounding noise."""
    return domain is not None and max(abs(float(v)) for v in domain) >= 1e21


def compact_axis(on: bool):
    """A compact tick format ("3.4e+299") when ``on``, else the default axis."""
    return alt.Axis(format="~g") if on else alt.Undefined


def axis_for(domain: Sequence[float] | None):
    """The axis for a domain: compact where it reaches 1e21 (see :func:`compact`)."""
    return compact_axis(compact(domain))


def _clip_segment(xa: float, ya: float, xb: float, yb: float,
                  box: tuple[float, float, float, float]) -> tuple[float, float] | None:
    """Liang–Barsky: the part [t0, t1] of the segment a -> b inside the box, or None."""
    x0, x1, y0, y1 = box
    dx, dy = xb - xa, yb - ya
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, xa - x0), (dx, x1 - xa), (-dy, ya - y0), (dy, y1 - ya)):
        if p == 0:
            if q < 0:
                return None
            continue
        r = q / p
        if p < 0:
            t0 = max(t0, r)
        else:
            t1 = min(t1, r)
        if t0 > t1:
            return None
    return t0, t1


def clip_paths(df: pd.DataFrame, x: str, y: str, box: Sequence[float], *, by: str = "run",
               order: str = "step", log_y: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cut every group's path (rows in ``order``, ``x``/``y`` drawable) to the box
    ``(x0, x1, y0, y1)`` so that no drawn coordinate lies far outside the chart (a canvas
    given a point 1e300 pixels away draws a stray line, or nothing).

    Returns ``(lines, exits)``. ``lines``: the rows inside the box plus points interpolated on
    its edge where a path leaves it or comes back (``edge`` True); ``piece`` numbers the
    unbroken stretches (encode it as ``detail`` so that a line does not join them). Up to a
    group's last point inside the box, excursions are cut at the edge; after it the path ends
    where it leaves the box, and that point is the group's row in ``exits``. A group with no
    point inside has no line, and its exit row is its last point pulled onto the nearest edge.
    ``log_y``: the y scale is logarithmic (y > 0; the box's y in data units)."""
    x0, x1, y0, y1 = (float(v) for v in box)
    if log_y:
        y0, y1 = math.log10(y0), math.log10(y1)
    frame = (x0, x1, y0, y1)
    lines, exits, piece = [], [], 0
    for g in groups(df, by):
        g = g.sort_values(order, kind="stable")
        xs = g[x].to_numpy(dtype=float)
        ys = np.log10(g[y].to_numpy(dtype=float)) if log_y else g[y].to_numpy(dtype=float)
        inside = (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)
        if inside.all():
            piece += 1
            lines.append(g.assign(piece=piece, edge=False))
            continue
        path = _Path(g, x, y, order, xs, ys, frame, log_y)
        rows, exit_row, piece = path.cut(inside, piece)
        if rows:
            lines.append(pd.DataFrame(rows))
        if exit_row is not None:
            exits.append(exit_row)
    columns = [*df.columns, "piece", "edge"]
    line_df = pd.concat(lines, ignore_index=True) if lines else pd.DataFrame(columns=columns)
    return line_df, pd.DataFrame(exits, columns=columns)


def groups(df: pd.DataFrame, by: str = "run"):
    """``df``'s rows of each value of ``by`` in turn, in the order the values first appear,
    rows in their order, missing values left out: what ``df.groupby(by, sort=False)`` yields
    (without its per-group cost, a millisecond a chart)."""
    codes, uniques = pd.factorize(df[by])  # a missing value: -1, left out (as groupby does)
    if len(uniques) == 1 and codes.min() == 0:
        yield df
        return
    rows = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[rows], np.arange(len(uniques) + 1))
    for k in range(len(uniques)):
        yield df.iloc[rows[bounds[k]:bounds[k + 1]]]


def _snap(v: float, lo: float, hi: float) -> float:
    """v kept within [lo, hi], and exactly on an edge that rounding missed by a hair."""
    tol = 1e-9 * (hi - lo)
    return lo if v <= lo + tol else hi if v >= hi - tol else v


class _Path:
    """One group's path for :func:`clip_paths` (coordinates in the box's units)."""

    def __init__(self, g: pd.DataFrame, x: str, y: str, order: str, xs: np.ndarray,
                 ys: np.ndarray, frame: tuple[float, float, float, float], log_y: bool):
        self.recs = g.to_dict("records")
        self.x, self.y, self.xs, self.ys, self.frame, self.log_y = x, y, xs, ys, frame, log_y
        self.order = order if order in g.columns and order not in (x, y) else None
        self.steps = numeric(g[order]) if self.order else None

    def at(self, i: int, t: float, rec: dict, piece: int) -> dict:
        """The point a fraction t along segment i -> i+1 (kept on the box), rec's columns."""
        x0, x1, y0, y1 = self.frame
        xs, ys = self.xs, self.ys
        xv = _snap(xs[i] + t * (xs[i + 1] - xs[i]), x0, x1)
        yv = _snap(ys[i] + t * (ys[i + 1] - ys[i]), y0, y1)
        out = {**rec, self.x: xv, self.y: 10.0 ** yv if self.log_y else yv, "piece": piece,
               "edge": True}
        if self.steps is not None and np.isfinite(self.steps[[i, i + 1]]).all():
            out[self.order] = self.steps[i] + t * (self.steps[i + 1] - self.steps[i])
        return out

    def clip(self, i: int) -> tuple[float, float] | None:
        return _clip_segment(self.xs[i], self.ys[i], self.xs[i + 1], self.ys[i + 1], self.frame)

    def cut(self, inside: np.ndarray, piece: int) -> tuple[list[dict], dict | None, int]:
        """(rows to draw, the exit row or None, the last piece number used)."""
        recs = self.recs
        inner = np.flatnonzero(inside)
        j = int(inner[-1]) if inner.size else -1
        out: list[dict] = []
        is_open = False
        for i in range(j + 1):
            if inside[i]:
                if not is_open:
                    piece += 1
                    is_open = True
                out.append({**recs[i], "piece": piece, "edge": False})
            if i == j:
                break
            if inside[i] and inside[i + 1]:
                continue
            t = self.clip(i)
            if inside[i]:  # leaves the box
                out.append(self.at(i, t[1] if t else 0.0, recs[i], piece))
                is_open = False
            elif inside[i + 1]:  # comes back
                piece += 1
                is_open = True
                out.append(self.at(i, t[0] if t else 1.0, recs[i + 1], piece))
            elif t is not None and t[1] > t[0]:  # passes straight through
                piece += 1
                out += [self.at(i, t[0], recs[i], piece), self.at(i, t[1], recs[i + 1], piece)]
        if j == len(recs) - 1:
            return out, None, piece
        if j >= 0:
            t = self.clip(j)
            out.append(self.at(j, t[1] if t else 0.0, recs[j], piece))
            return out, out[-1], piece
        x0, x1, y0, y1 = self.frame
        yv = min(max(self.ys[-1], y0), y1)
        last = {**recs[-1], self.x: min(max(self.xs[-1], x0), x1),
                self.y: 10.0 ** yv if self.log_y else yv, "piece": 0, "edge": True}
        return out, last, piece


def run_names(history: pd.DataFrame) -> tuple:
    """The runs a history holds, in the order they first appear (missing names included)."""
    return tuple(history["run"].unique())


def points_per_run(n_runs: int, total: int = MAX_POINTS) -> int:
    """How many points each run may draw so that a chart stays under ``total`` points."""
    return max(MIN_PER_RUN, total // max(1, n_runs))


def downsample(df: pd.DataFrame, per_run: int, *, by: str = "run",
               order: str = "step") -> pd.DataFrame:
    """At most ``per_run`` rows per run, evenly spread, first and last rows always kept."""
    if len(df) <= per_run or df[by].value_counts(sort=False).max() <= per_run:
        return df  # (the page hands the builders histories it has downsampled once already)
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
    runs = [r for r in dict.fromkeys(runs) if r is not None and r == r]  # no None / NaN
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(runs))]
    return alt.Scale(domain=runs, range=colours)


def _legend_selection() -> alt.Parameter:
    return alt.selection_point(fields=["run"], bind="legend", name="pick")


_CHANNELS: dict[tuple, Any] = {}


def channel(encoding: str, value: Any):
    """The channel object for a dict-valued encoding (``alt.condition``, ``alt.value``), made
    once and reused: given a dict, Altair finds the channel class by trying the JSON schema's
    alternatives on every ``encode``, a third of a chart's build time."""
    key = (encoding, json.dumps(value, sort_keys=True, default=str))
    found = _CHANNELS.get(key)
    if found is None:
        found = _CHANNELS[key] = getattr(alt.Chart().encode(**{encoding: value}).encoding,
                                         encoding)
    return found


def layer(*charts: alt.Chart, **props: Any) -> alt.LayerChart:
    """``alt.layer(*charts).properties(**props)``, made directly. Altair's ``LayerChart``
    constructor deep-copies every layer twice and lifts each layer's parameters to the top,
    naming views by hashing the whole chart (data included): most of a chart's build time.
    Here the layers are used as they are (they are ours and just made) and a parameter stays
    in the unit view that defines it, which Vega-Lite allows; the tests validate every spec
    against the Vega-Lite schema."""
    chart = alt.LayerChart.__new__(alt.LayerChart)
    alt.TopLevelLayerSpec.__init__(chart, layer=list(charts), **props)
    return chart


def titled(text: str, note: str) -> alt.TitleParams:
    """A title with a smaller second line (what the marks mean): a long one-line title is cut
    off on a narrow chart, the two lines fit."""
    return alt.TitleParams(text=text, subtitle=note)


class Chart(alt.Chart):
    """``alt.Chart`` whose ``encode`` turns shorthand strings (``"step:Q"``) and dicts
    (``alt.condition``, ``alt.value``) into channel objects made once and reused (see
    :func:`channel`); everything else is Altair's own."""

    def encode(self, *args: Any, **kwargs: Any) -> Chart:
        fast = {k: channel(k, v) if isinstance(v, (str, dict)) else v for k, v in kwargs.items()}
        return super().encode(*args, **fast)

    def add_params(self, *params: Any) -> Chart:
        """Also name the view (after its first parameter): layering an unnamed view that
        carries a parameter makes Altair name it by hashing the whole chart, data included."""
        chart = super().add_params(*params)
        if chart.name is alt.Undefined and params:
            chart.name = f"view_{getattr(params[0], 'name', 'param')}"
        return chart


@functools.lru_cache(maxsize=64)
def picked(on: float, off: float):
    """Opacity ``on`` for the run picked in the legend (all, when none is), ``off`` for the
    others (the legend selection is the parameter named "pick" on every chart)."""
    return channel("opacity", alt.condition(_legend_selection(), alt.value(on), alt.value(off)))


def _positive_finite(df: pd.DataFrame, col: str) -> pd.DataFrame:
    return keep_plottable(df, [col], positive=[col])


def _finite(df: pd.DataFrame, col: str) -> pd.DataFrame:
    return keep_plottable(df, [col])


def _diverged(status: Mapping[str, str] | None) -> set:
    return {r for r, s in (status or {}).items() if s == "diverged"}


def _x_range(hist: pd.DataFrame, x: str) -> tuple[float, float]:
    xs = numeric(hist[x])
    return (float(xs.min()), float(xs.max())) if len(xs) else (0.0, 1.0)


def cut_runs(df: pd.DataFrame, cut, x: str, y: str, box: Sequence[float], *,
             by: str = "run", order: str = "step") -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`clip_paths` for the rows where ``cut`` is True (e.g. the diverged runs, which the
    chart's range leaves out), the other rows drawn whole. Returns all rows to draw (with
    ``piece``: encode it as ``detail``) and the exits of the cut ones."""
    cut = np.asarray(cut, dtype=bool)
    lines, exits = clip_paths(df[cut], x, y, box, by=by, order=order)
    whole = df[~cut].assign(piece=-1 - pd.factorize(df[~cut][by])[0], edge=False)
    parts = [p for p in (whole, lines) if len(p)]
    return (pd.concat(parts, ignore_index=True) if parts else whole), exits


def first_values(df: pd.DataFrame, y: str, *, by: str = "run",
                 order: str = "step") -> list[float]:
    """Each group's first ``y``: a chart framed on the runs that did not diverge still shows
    where the diverged ones started."""
    if df.empty:
        return []
    rows = np.argsort(df[order].to_numpy(), kind="stable") \
        if df[order].dtype.kind in "fiu" else None  # (numbers: no frame sorted to find them)
    if rows is None:
        firsts = df.sort_values(order, kind="stable").groupby(by, sort=False).head(1)
        return [float(v) for v in numeric(firsts[y])]
    codes, _ = pd.factorize(df[by].iloc[rows])
    _, first = np.unique(codes, return_index=True)
    first = first[codes[first] >= 0]  # a missing name is no group
    return [float(v) for v in numeric(df[y].iloc[rows[first]])]


def lone_points(df: pd.DataFrame, by: str = "run") -> pd.DataFrame:
    """The rows of the groups that have a single row: a line through one point draws nothing,
    so a run that stopped at its first step would not show at all."""
    if df.empty:
        return df
    counts = df[by].value_counts(sort=False)
    if counts.min() > 1:
        return df.iloc[:0]
    return df[df[by].map(counts).to_numpy() == 1]


def _real(hist: pd.DataFrame) -> pd.DataFrame:
    """The recorded rows (not the points clip_paths put on the chart's edge)."""
    return hist[~hist["edge"].astype(bool)] if "edge" in hist.columns else hist


def style(chart: alt.TopLevelMixin, *, big: bool = False) -> alt.TopLevelMixin:
    """Fonts and legend settings shared by all charts (``big``: for a projector). Set on the
    chart the builder just made, in place (``properties``/``configure_*`` would deep-copy the
    whole layered chart once each)."""
    size = 16 if big else 12
    # fit-x: the chart fills the container's width; its height is the plot area's (with
    # Streamlit's default "fit", title, legend and axes would eat into the given height).
    chart.autosize = alt.AutoSizeParams(type="fit-x", contains="padding")
    chart.config = alt.Config(
        axis=alt.AxisConfig(labelFontSize=size, titleFontSize=size + 1),
        # three (projector: two) columns of at most 150 (190) px each: a legend fits the
        # narrowest chart on the page, and a long run name ends in "…" rather than off the edge
        legend=alt.LegendConfig(labelFontSize=size, titleFontSize=size,
                                labelLimit=150 if not big else 190, orient="top",
                                direction="horizontal", columns=3 if not big else 2,
                                symbolStrokeWidth=3, title=None),
        title=alt.TitleConfig(fontSize=size + 3, anchor="start", subtitleFontSize=size,
                              subtitleColor="#555"),
        view=alt.ViewConfig(strokeWidth=0))
    return chart


def _diverged_rows(drawn: pd.DataFrame, recorded: pd.DataFrame,
                   status: Mapping[str, str] | None, y: str,
                   exits: pd.DataFrame | None = None) -> pd.DataFrame:
    """One mark per diverged run: where it leaves the chart (its row in ``exits``, from
    :func:`clip_paths`) or else where its drawn line ends (its last finite point), labelled
    with its last finite step; ``last``: its last finite y."""
    bad = _diverged(status)
    if not bad or recorded.empty:
        return recorded.iloc[:0].assign(label="", last=0.0)
    ends = drawn[drawn["run"].isin(bad)].sort_values("step", kind="stable")
    if exits is not None and not exits.empty:
        ends = pd.concat([ends, exits[exits["run"].isin(bad)]], ignore_index=True)
    ends = ends.groupby("run", sort=False).tail(1)
    last = recorded[recorded["run"].isin(bad)].sort_values("step", kind="stable")
    last = last.groupby("run", sort=False).tail(1).set_index("run")
    steps, values = last["step"].reindex(ends["run"]), last[y].reindex(ends["run"])
    labels = [f"diverged at step {int(s)}" if is_plottable(s) else "diverged" for s in steps]
    return ends.assign(label=labels, last=values.to_numpy(dtype=float))


def band_frame(band: pd.DataFrame | None, column: str, x: str, *, log: bool = False,
               minus: float | None = None, floor: float = 0.0) -> pd.DataFrame | None:
    """The repeats' band of ``column`` (``{column}_lo``, ``{column}_hi`` of
    ``ui.results.bands``) as ``lo``/``hi`` rows a chart can draw (``minus``: drawn above this
    value, as the loss chart's "above best" view), with ``seeds``: how many of the repeats
    reached that step. None without repeats."""
    if band is None or band.empty or f"{column}_lo" not in band.columns:
        return None
    out = band[["run", "step", "epoch", "samples", "count", "repeats"]].assign(
        lo=numeric(band[f"{column}_lo"]), hi=numeric(band[f"{column}_hi"]))
    if minus is not None:
        out = out.assign(lo=np.maximum(out["lo"] - minus, floor),
                         hi=np.maximum(out["hi"] - minus, floor))
    out = keep_plottable(out, [x, "lo", "hi"], positive=["lo", "hi"] if log else [])
    seeds = [f"{int(c)} of {int(n)}" for c, n in zip(out["count"], out["repeats"])]
    return json_safe(out.assign(seeds=seeds)[["run", x, "lo", "hi", "seeds"]])


def band_kind(band: pd.DataFrame) -> str:
    """What a band of ``ui.results.bands`` spans: "10-90 %" or "min-max"."""
    return str(band["spread"].iloc[0]) if "spread" in band.columns else "10-90 %"


_BAND_EDGES = {"10-90 %": ("10 % of seeds", "90 % of seeds"),
               "min-max": ("the lowest seed", "the highest seed")}


def _band_layer(frame, x: str, xenc, yscale, runs, what: str, kind: str) -> alt.Chart:
    """Each run's band over its repeats (``kind``: 10-90 % or min-max), under the lines. It is
    the first layer, so its colour's legend is the chart's: drawn as the lines' (a stroke,
    opaque), not as the band."""
    low, high = _BAND_EDGES.get(kind, _BAND_EDGES["10-90 %"])
    legend = alt.Legend(symbolType="stroke", symbolOpacity=1)
    return Chart(frame).mark_area(opacity=0.2, clip=True).encode(
        x=xenc, y=alt.Y("lo:Q", scale=yscale), y2="hi:Q",
        color=alt.Color("run:N", scale=run_scale(runs), title=None, legend=legend),
        tooltip=[alt.Tooltip("run:N"), alt.Tooltip(f"{x}:Q", format=",.4~g"),
                 alt.Tooltip("lo:Q", title=f"{what}, {low}", format=".4~g"),
                 alt.Tooltip("hi:Q", title=f"{what}, {high}", format=".4~g"),
                 alt.Tooltip("seeds:N", title="seeds reaching this step")])


def band_note(band: pd.DataFrame | None) -> str | None:
    """A title's second line saying what the lines and the band are (None without repeats)."""
    if band is None or band.empty:
        return None
    line = band["line"].iloc[0] if "line" in band.columns else "median"
    return f"line: {line} of {int(band['repeats'].max())} seeds; band: {band_kind(band)}"


def loss_chart(history: pd.DataFrame, *, x: str = "step", log: bool = True, smooth: int = 0,
               status: Mapping[str, str] | None = None, height: int = HEIGHT,
               big: bool = False, title: str = "Loss (full data, MSE)",
               excess_over: float | None = None, log_x: bool = False,
               best_name: str = "the least-squares loss",
               band: pd.DataFrame | None = None) -> alt.TopLevelMixin:
    """Loss curves of all runs on one chart.

    ``x``: "step", "epoch" or "samples"; ``log_x``: a symmetric-log x axis (it shows 0), for
    runs of very different lengths. ``log``: logarithmic y (values <= 0 are left out).
    ``excess_over``: draw the loss above this value (the best possible loss) instead: small
    differences between good runs show on a log axis (a run at the best loss is drawn at the
    rounding floor, 1e-15 of it); ``best_name`` names that value in the title. ``smooth``: a
    centred moving average over up to this many points (see :func:`centred_mean`), drawn
    over the faint raw curve (0 = off).
    ``status``: run -> status, to mark diverged runs.
    On a linear axis the y range is that of the runs that did not diverge: a diverged run is
    cut where it leaves the chart, and marked there.
    """
    return loss_parts(history, x=x, log=log, smooth=smooth, status=status, height=height,
                      big=big, title=title, excess_over=excess_over, log_x=log_x,
                      best_name=best_name, band=band).chart()


def loss_parts(history: pd.DataFrame, *, x: str = "step", log: bool = True, smooth: int = 0,
               status: Mapping[str, str] | None = None, height: int = HEIGHT,
               big: bool = False, title: str = "Loss (full data, MSE)",
               excess_over: float | None = None, log_x: bool = False,
               best_name: str = "the least-squares loss",
               band: pd.DataFrame | None = None,
               seeds: pd.DataFrame | None = None) -> Parts:
    """:func:`loss_chart` as its parts (ui/chart_parts.py). ``band``: with repeats, each run's
    10-90 % band (``ui.results.bands``), drawn under its (median) line; ``seeds``: every
    repeat's own curve (``ui.results.seed_lines``), drawn faintly under it."""
    if x not in X_FIELDS:
        raise ValueError(f"x must be one of {', '.join(X_FIELDS)}, got {x!r}")
    runs = run_names(history)
    cols = ["run", "step", "epoch", "samples", "lr", "w", "b", "loss"]
    hist = history[[c for c in cols if c in history.columns]]
    minus, floor = None, 0.0
    if excess_over is not None and is_plottable(excess_over):
        floor = 1e-15 * max(abs(float(excess_over)), 1e-300)
        minus = float(excess_over)
        hist = hist.assign(loss=np.maximum(numeric(hist["loss"]) - minus, floor))
        title = f"Loss above {best_name} (full data)"
    spread = band_frame(band, "loss", x, log=log, minus=minus, floor=floor)
    faint = None
    if seeds is not None and not seeds.empty:
        faint = seeds[["run", "repeat", x, "loss"]]
        if minus is not None:
            faint = faint.assign(loss=np.maximum(numeric(faint["loss"]) - minus, floor))
        faint = json_safe(keep_plottable(faint, [x, "loss"], positive=["loss"] if log else []))
    hist = keep_plottable(hist, [x, "step", "loss"], positive=["loss"] if log else [])
    hist = downsample(hist, points_per_run(len(runs)))
    recorded, exits = hist, None
    pieces, domain = False, None
    if not log and not hist.empty:
        bad = hist["run"].isin(_diverged(status)).to_numpy(dtype=bool)
        if bad.any() and not bad.all():  # framed on the others; all diverged: all shown
            domain = value_range(hist.loc[~bad, "loss"], extra=first_values(hist[bad], "loss"))
            hist, exits = cut_runs(hist, bad, x, "loss", (*_x_range(hist, x), *domain))
            pieces = True
    smooth = int(smooth) if smooth and smooth > 1 else 0
    if smooth:
        hist = centred_mean(hist, "loss", smooth, x, ["run", "piece"] if pieces else ["run"],
                            log=log)
    marks = _diverged_rows(hist, recorded, status, "loss", exits)
    real = _real(hist)
    lone = lone_points(real)
    frames = {"hist": json_safe(hist), "marks": json_safe(marks), "points": json_safe(real),
              "lone": json_safe(lone)}
    if spread is not None:
        frames["band"] = spread
    if faint is not None:
        frames["seeds"] = faint
    return parts(_loss_compose, frames, {"domain": domain} if domain is not None else {},
                 runs=runs, x=x, log=log, log_x=log_x, smooth=smooth, pieces=pieces,
                 framed=domain is not None, compact_y=compact(domain),
                 what="loss above best" if excess_over is not None else "loss",
                 marks=not marks.empty, lone=not lone.empty,
                 band=band_kind(band) if spread is not None else None,
                 seeds=faint is not None, title=title,
                 note=band_note(band) + "; thin lines: every seed" if faint is not None
                 and band_note(band) else band_note(band), height=height, big=big)


def _loss_compose(d, v, *, runs, x, log, log_x, smooth, pieces, framed, compact_y, what, marks,
                  lone, band, seeds, title, note, height, big) -> alt.TopLevelMixin:
    yscale = (alt.Scale(type="log") if log else
              alt.Scale(domain=v["domain"], nice=False, zero=False) if framed else
              alt.Scale(zero=False))
    pick = _legend_selection()
    colour = alt.Color("run:N", scale=run_scale(runs), title=None,
                       legend=alt.Legend(symbolType="stroke"))
    xscale = alt.Scale(type="symlog") if log_x else alt.Undefined
    xenc = alt.X(f"{x}:Q", title=X_FIELDS[x] + (" (log scale)" if log_x else ""), scale=xscale)
    tips = [alt.Tooltip("run:N", title="run"), alt.Tooltip(f"{x}:Q", title=x, format=",.4~g"),
            alt.Tooltip("loss:Q", title=what, format=".5~g"), alt.Tooltip("lr:Q", format=".4~g"),
            alt.Tooltip("w:Q", format=".4~g"), alt.Tooltip("b:Q", format=".4~g")]
    split = {"detail": alt.Detail("piece:N")} if pieces else {}
    base = Chart(d["hist"]).encode(x=xenc, color=colour, **split)
    raw = base.mark_line(strokeWidth=1.5 if not smooth else 1, interpolate="linear",
                         clip=True).encode(
        y=alt.Y("loss:Q", scale=yscale, title=what + (" (log scale)" if log else ""),
                axis=compact_axis(compact_y)),
        opacity=picked(0.3 if smooth else 1.0, 0.08),
        tooltip=tips,
    ).add_params(pick)
    layers: list[alt.Chart] = [_band_layer(d["band"], x, xenc, yscale, runs, what, band)] \
        if band else []
    if seeds:  # every seed's own curve, faint, under the line that sums them up
        layers.append(Chart(d["seeds"]).mark_line(strokeWidth=0.8, clip=True).encode(
            x=xenc, y=alt.Y("loss:Q", scale=yscale),
            color=alt.Color("run:N", scale=run_scale(runs), legend=None),
            detail=alt.Detail("repeat:N"), opacity=picked(0.25, 0.04)))
    layers.append(raw)
    if smooth:
        sm = base.transform_filter("isValid(datum.smoothed)").mark_line(
            strokeWidth=2.5, clip=True).encode(
            y=alt.Y("smoothed:Q", scale=yscale),
            opacity=picked(1.0, 0.1),
            tooltip=[alt.Tooltip("run:N"), alt.Tooltip(f"{x}:Q", format=",.4~g"),
                     alt.Tooltip("smoothed:Q", title=f"centred mean of up to {smooth} points",
                                 format=".5~g")],
        )
        layers.append(sm)
    if marks:
        layers.extend(_divergence_marks(d["marks"], x, "loss", yscale, xscale))
    points = Chart(d["points"]).mark_point(size=60, opacity=0, clip=True).encode(
        x=xenc, y=alt.Y("loss:Q", scale=yscale), tooltip=tips)  # hover anywhere on a curve
    layers.append(points)
    if lone:
        layers.append(Chart(d["lone"]).mark_point(size=40, filled=True).encode(
            x=xenc, y=alt.Y("loss:Q", scale=yscale),
            color=alt.Color("run:N", scale=run_scale(runs), legend=None), tooltip=tips))
    return style(layer(*layers, height=height, title=titled(title, note) if note else title),
                 big=big)


def centred_mean(frame: pd.DataFrame, column: str, points: int, x: str,
                 groupby: list[str], *, log: bool = False) -> pd.DataFrame:
    """``frame`` with ``smoothed``: the mean of ``column`` over a window of ``points`` points
    centred on each point (so the curve is not shifted: a trailing mean lags by half its
    width), per group, in the order of ``x``. The window is never wider than a third of the
    group's points (a 20-point window on a 30-point run would flatten it), and it shrinks
    symmetrically at the ends (the first point is its own mean), so the smoothed curve
    starts and ends on the raw one. With ``log`` the mean is taken of the logarithms (a
    geometric mean): on a log axis a loss falling exponentially is a straight line, which a
    centred mean then leaves where it is, where an arithmetic mean would lift it."""
    if frame.empty:
        return frame.assign(smoothed=pd.Series(dtype=float))
    out = frame.sort_values([*groupby, x], kind="stable")
    values = pd.to_numeric(out[column], errors="coerce").to_numpy(dtype=float)
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.where(values > 0, np.log(np.where(values > 0, values, 1.0)), np.nan)
    smoothed = np.full(len(out), np.nan)
    keys = [k for k in groupby if k in out.columns]
    groups = out.groupby(keys, sort=False).indices if keys else {None: np.arange(len(out))}
    for rows in groups.values():
        v = values[rows]
        n = len(v)
        half = max(0, min((points - 1) // 2, (n // 3 - 1) // 2))
        if half == 0:
            smoothed[rows] = v
            continue
        finite = np.isfinite(v)
        csum = np.concatenate([[0.0], np.cumsum(np.where(finite, v, 0.0))])
        ccnt = np.concatenate([[0], np.cumsum(finite)])
        i = np.arange(n)
        h = np.minimum(half, np.minimum(i, n - 1 - i))  # symmetric at the ends
        lo, hi = i - h, i + h + 1
        count = ccnt[hi] - ccnt[lo]
        with np.errstate(invalid="ignore", divide="ignore"):
            smoothed[rows] = np.where(count > 0, (csum[hi] - csum[lo]) / count, np.nan)
    if log:
        smoothed = np.exp(smoothed)
    return out.assign(smoothed=smoothed)


def _divergence_marks(marks, x: str, y: str, yscale: alt.Scale,
                      xscale: Any = alt.Undefined) -> list[alt.Chart]:
    """A cross and a label where each diverged run leaves the chart (``marks``: the rows of
    :func:`_diverged_rows`, made JSON-safe)."""
    enc = {"x": alt.X(f"{x}:Q", scale=xscale), "y": alt.Y(f"{y}:Q", scale=yscale)}
    tip = [alt.Tooltip("run:N"), alt.Tooltip("label:N", title="status"),
           alt.Tooltip("last:Q", title=f"last finite {y}", format=".4~g")]
    cross = Chart(marks).mark_point(shape="cross", size=220, filled=True, strokeWidth=1,
                                        color=DIVERGED_COLOR).encode(**enc, tooltip=tip)
    text = Chart(marks).mark_text(align="right", dx=-10, dy=-10, fontWeight="bold",
                                      color=DIVERGED_COLOR).encode(**enc, text="label:N")
    return [cross, text]


def lr_chart(history: pd.DataFrame, *, x: str = "step", height: int = HEIGHT,
             big: bool = False) -> alt.TopLevelMixin:
    """The learning rate each run used (log y when the rates span more than 20x)."""
    return lr_parts(history, x=x, height=height, big=big).chart()


def lr_parts(history: pd.DataFrame, *, x: str = "step", height: int = HEIGHT,
             big: bool = False) -> Parts:
    """:func:`lr_chart` as its parts (ui/chart_parts.py)."""
    runs = run_names(history)
    hist = keep_plottable(history[["run", "step", "epoch", "samples", "lr"]], [x, "lr"],
                          positive=["lr"])
    hist = downsample(hist, points_per_run(len(runs)))
    lrs = hist["lr"]
    log = bool(len(lrs)) and float(lrs.max()) > 20 * float(lrs.min())
    lone = lone_points(hist)
    return parts(_lr_compose, {"hist": json_safe(hist), "lone": json_safe(lone)}, runs=runs,
                 x=x, log=log, lone=not lone.empty, height=height, big=big)


def _lr_compose(d, v, *, runs, x, log, lone, height, big) -> alt.TopLevelMixin:
    pick = _legend_selection()
    chart = Chart(d["hist"]).mark_line(strokeWidth=2, interpolate="step-after").encode(
        x=alt.X(f"{x}:Q", title=X_FIELDS[x]),
        y=alt.Y("lr:Q", title="learning rate" + (" (log scale)" if log else ""),
                scale=alt.Scale(type="log") if log else alt.Scale(zero=True)),
        color=alt.Color("run:N", scale=run_scale(runs), title=None),
        opacity=picked(1.0, 0.1),
        tooltip=[alt.Tooltip("run:N"), alt.Tooltip(f"{x}:Q", format=",.4~g"),
                 alt.Tooltip("lr:Q", title="learning rate", format=".4~g")],
    ).add_params(pick)
    if lone:
        chart = alt.layer(chart, Chart(d["lone"]).mark_point(size=40, filled=True)
                          .encode(x=f"{x}:Q", y="lr:Q",
                                  color=alt.Color("run:N", scale=run_scale(runs), legend=None)))
    return style(chart.properties(height=height, title="Learning rate"), big=big)


def _value_domain(hist: pd.DataFrame, col: str, status: Mapping[str, str] | None,
                  extra: Sequence[float]) -> list[float]:
    """A y range that shows the runs that did not diverge and where the diverged ones started
    (they are cut where they leave it)."""
    bad = hist["run"].isin(_diverged(status))
    extra = [*extra, *first_values(hist[bad], col)]
    return value_range(hist.loc[~bad, col], extra=extra) or value_range(hist[col]) or [-1.0, 1.0]


def param_chart(history: pd.DataFrame, param: str, *, reference: float | None = None,
                x: str = "step", status: Mapping[str, str] | None = None,
                height: int = HEIGHT, big: bool = False, label: str | None = None,
                reference_name: str = "least squares",
                band: pd.DataFrame | None = None) -> alt.TopLevelMixin:
    """One learned parameter (``"w"``, ``"w2"``, ``"b"`` ...) over time per run, with the
    reference value (least squares, the logistic optimum) as a dashed line. ``label`` titles
    it (e.g. the feature the weight belongs to). The y range is that of the runs that did not
    diverge: a diverged run is drawn faint, cut where it leaves the chart and marked there."""
    return param_parts(history, param, reference=reference, x=x, status=status, height=height,
                       big=big, label=label, reference_name=reference_name, band=band).chart()


def param_parts(history: pd.DataFrame, param: str, *, reference: float | None = None,
                x: str = "step", status: Mapping[str, str] | None = None,
                height: int = HEIGHT, big: bool = False, label: str | None = None,
                reference_name: str = "least squares",
                band: pd.DataFrame | None = None) -> Parts:
    """:func:`param_chart` as its parts (ui/chart_parts.py); ``band`` as for
    :func:`loss_parts`."""
    runs = run_names(history)
    hist = keep_plottable(history[["run", "step", "epoch", "samples", param]], [x, "step", param])
    hist = downsample(hist, points_per_run(len(runs)))
    extra = [reference] if is_plottable(reference) else []
    domain = _value_domain(hist, param, status, extra)
    diverged = hist["run"].isin(_diverged(status))
    frames = {"line": json_safe(hist[~diverged])}
    exits = pd.DataFrame()
    if diverged.any():  # drawn faint, cut where its swings leave the chart, marked there
        cut, exits = clip_paths(hist[diverged], x, param, (*_x_range(hist, x), *domain))
        frames["cut"] = json_safe(cut)
        if not exits.empty:
            exits = exits.assign(note=[f"diverged: off the chart after step {int(s)}"
                                       for s in exits["step"]])
            frames["exits"] = json_safe(exits)
    lone = lone_points(hist)
    frames["lone"] = json_safe(lone)
    has_ref = is_plottable(reference)
    if has_ref:
        frames["ref"] = pd.DataFrame({"value": [float(reference)], "label": [reference_name]})
    spread = band_frame(band, param, x)
    if spread is not None:
        frames["band"] = spread
    what = label or f"{'slope' if param.startswith('w') else 'intercept'} {param}"
    return parts(_param_compose, frames, {"domain": domain}, runs=runs, param=param, x=x,
                 band=band_kind(band) if spread is not None else None, note=band_note(band),
                 compact_y=compact(domain), diverged=bool(diverged.any()),
                 exits=not exits.empty, lone=not lone.empty, reference=has_ref, what=what,
                 reference_name=reference_name, height=height, big=big)


def _param_compose(d, v, *, runs, param, x, band, note, compact_y, diverged, exits, lone,
                   reference, what, reference_name, height, big) -> alt.TopLevelMixin:
    yscale = alt.Scale(domain=v["domain"], nice=False)
    pick = _legend_selection()
    enc = {"x": alt.X(f"{x}:Q", title=X_FIELDS[x]),
           "y": alt.Y(f"{param}:Q", title=param, scale=yscale,
                      axis=compact_axis(compact_y)),
           "color": alt.Color("run:N", scale=run_scale(runs), title=None),
           "tooltip": [alt.Tooltip("run:N"), alt.Tooltip(f"{x}:Q", format=",.4~g"),
                       alt.Tooltip(f"{param}:Q", format=".5~g")]}
    line = Chart(d["line"]).mark_line(strokeWidth=2, clip=True).encode(
        **enc, opacity=picked(1.0, 0.1)).add_params(pick)
    layers: list[alt.Chart] = [_band_layer(d["band"], x, enc["x"], yscale, runs, param, band)] \
        if band else []
    layers.append(line)
    if diverged:
        enc["color"] = alt.Color("run:N", scale=run_scale(runs), legend=None)
        layers.append(Chart(d["cut"]).mark_line(strokeWidth=1, clip=True).encode(
            **enc, detail="piece:N",
            opacity=picked(0.35, 0.05)))
        if exits:
            layers.append(Chart(d["exits"]).mark_point(
                shape="cross", size=120, filled=True, color=DIVERGED_COLOR).encode(
                x=enc["x"], y=enc["y"],
                tooltip=[alt.Tooltip("run:N"), alt.Tooltip("note:N", title="status")]))
    if lone:
        layers.append(Chart(d["lone"]).mark_point(size=40, filled=True).encode(
            x=enc["x"], y=enc["y"], tooltip=enc["tooltip"],
            color=alt.Color("run:N", scale=run_scale(runs), legend=None)))
    if reference:
        rule = Chart(d["ref"]).mark_rule(strokeDash=[6, 4], color="black",
                                         strokeWidth=1.5).encode(
            y=alt.Y("value:Q", scale=yscale),
            tooltip=[alt.Tooltip("label:N", title=""),
                     alt.Tooltip("value:Q", title=param, format=".5~g")])
        value_text = Chart(d["ref"]).mark_text(align="right", baseline="bottom", dy=-3,
                                               color="black").encode(
            y=alt.Y("value:Q", scale=yscale), x=channel("x", alt.value("width")),
            text=alt.Text("value:Q", format=".4~g"))
        layers += [rule, value_text]
    chart = layer(*layers, height=height,
                  title=titled(f"Learned {what}", f"dashed: {reference_name}"
                               + (f"; {note}" if note else "")))
    return style(chart, big=big)


def grad_chart(history: pd.DataFrame, *, clip: Mapping[str, float] | None = None,
               x: str = "step", height: int = HEIGHT, big: bool = False,
               band: pd.DataFrame | None = None) -> alt.TopLevelMixin:
    """Gradient norm over time per run (log y), with each run's clipping threshold dashed and
    the clipped steps marked."""
    return grad_parts(history, clip=clip, x=x, height=height, big=big, band=band).chart()


def grad_parts(history: pd.DataFrame, *, clip: Mapping[str, float] | None = None,
               x: str = "step", height: int = HEIGHT, big: bool = False,
               band: pd.DataFrame | None = None) -> Parts:
    """:func:`grad_chart` as its parts (ui/chart_parts.py); ``band`` as for
    :func:`loss_parts`."""
    runs = run_names(history)
    cols = ["run", "step", "epoch", "samples", "grad_norm", "clipped"]
    hist = keep_plottable(history[cols], [x, "grad_norm"], positive=["grad_norm"])
    hist = downsample(hist, points_per_run(len(runs)))
    hist = hist.assign(clipped=hist["clipped"].eq(True).to_numpy(dtype=bool))
    lone = lone_points(hist)
    clipped = hist[hist["clipped"]]
    thresholds = pd.DataFrame(
        [{"run": r, "threshold": float(c)} for r, c in (clip or {}).items()
         if r in runs and is_plottable(c, positive=True)])
    frames = {"hist": json_safe(hist), "lone": json_safe(lone), "clipped": json_safe(clipped),
              "thresholds": thresholds}
    spread = band_frame(band, "grad_norm", x, log=True)
    if spread is not None:
        frames["band"] = spread
    return parts(_grad_compose, frames, runs=runs, x=x, lone=not lone.empty,
                 band=band_kind(band) if spread is not None else None, note=band_note(band),
                 clipped=not clipped.empty, thresholds=not thresholds.empty, height=height,
                 big=big)


def _grad_compose(d, v, *, runs, x, band, note, lone, clipped, thresholds, height,
                  big) -> alt.TopLevelMixin:
    scale = run_scale(runs)
    pick = _legend_selection()
    xenc = alt.X(f"{x}:Q", title=X_FIELDS[x])
    yscale = alt.Scale(type="log")
    yenc = alt.Y("grad_norm:Q", title="gradient norm (log scale)", scale=yscale)
    line = Chart(d["hist"]).mark_line(strokeWidth=1.5).encode(
        x=xenc, y=yenc, color=alt.Color("run:N", scale=scale, title=None),
        opacity=picked(1.0, 0.1),
        tooltip=[alt.Tooltip("run:N"), alt.Tooltip(f"{x}:Q", format=",.4~g"),
                 alt.Tooltip("grad_norm:Q", title="gradient norm", format=".4~g"),
                 alt.Tooltip("clipped:N")],
    ).add_params(pick)
    layers: list[alt.Chart] = [_band_layer(d["band"], x, xenc, yscale, runs,
                                           "gradient norm", band)] if band else []
    layers.append(line)
    if lone:
        layers.append(Chart(d["lone"]).mark_point(size=40, filled=True).encode(
            x=xenc, y=yenc, color=alt.Color("run:N", scale=scale, legend=None)))
    if clipped:
        layers.append(Chart(d["clipped"]).mark_point(size=18, filled=True, opacity=0.7).encode(
            x=xenc, y=yenc, color=alt.Color("run:N", scale=scale, legend=None),
            tooltip=[alt.Tooltip("run:N"), alt.Tooltip(f"{x}:Q", format=",.4~g"),
                     alt.Tooltip("grad_norm:Q", format=".4~g", title="norm before clipping")]))
    if thresholds:
        layers.append(Chart(d["thresholds"]).mark_rule(strokeDash=[6, 4], strokeWidth=2).encode(
            y=alt.Y("threshold:Q", scale=alt.Scale(type="log")),
            color=alt.Color("run:N", scale=scale, legend=None),
            tooltip=[alt.Tooltip("run:N"),
                     alt.Tooltip("threshold:Q", title="clipping threshold", format=".4~g")]))
    title = "Gradient norm (dashed: clipping threshold)"
    chart = layer(*layers, height=height, title=titled(title, note) if note else title)
    return style(chart, big=big)


def setting_chart(frame: pd.DataFrame, setting: str, *, metric: str = "final_loss",
                  log_x: bool = False, height: int = HEIGHT, big: bool = False,
                  title: str | None = None) -> alt.TopLevelMixin:
    """The final (or best) loss of every run against one of its settings (``frame``:
    ``ui.results.by_setting``), one series per optimizer, each point with its repeats' 10-90 %
    range as a vertical bar; runs whose every repeat diverged sit on a red line at the top.
    Log y; ``log_x`` for a learning rate."""
    what = "final loss" if metric == "final_loss" else "best loss"
    df = frame.assign(y=numeric(frame[metric]), lo=numeric(frame[f"{metric}_lo"]),
                      hi=numeric(frame[f"{metric}_hi"]), x=numeric(frame["value"]))
    ok = df[(df["status"] != "diverged") & plottable(df["y"], positive=True)
            & plottable(df["x"], positive=log_x)]
    top = float(ok["hi"].where(plottable(ok["hi"], positive=True)).max()) if len(ok) else 1.0
    top = 10.0 ** (math.ceil(math.log10(top)) + 1) if is_plottable(top, positive=True) else 10.0
    gone = df[(df["status"] == "diverged") & plottable(df["x"], positive=log_x)].assign(y=top)
    bars = ok[plottable(ok["lo"], positive=True) & plottable(ok["hi"], positive=True)]
    optimizers = list(dict.fromkeys(df["optimizer"]))
    colour = alt.Color("optimizer:N", scale=run_scale(optimizers), title=None)
    xscale = alt.Scale(type="log") if log_x else alt.Scale(zero=False)
    xenc = alt.X("x:Q", title=setting + (" (log scale)" if log_x else ""), scale=xscale)
    yscale = alt.Scale(type="log")
    tips = [alt.Tooltip("run:N"), alt.Tooltip("optimizer:N"),
            alt.Tooltip("x:Q", title=setting, format=".4~g"),
            alt.Tooltip("y:Q", title=f"{what} (median)", format=".5~g"),
            alt.Tooltip("lo:Q", title="10 % of seeds", format=".4~g"),
            alt.Tooltip("hi:Q", title="90 % of seeds", format=".4~g"),
            alt.Tooltip("seeds:Q"), alt.Tooltip("diverged:Q", title="seeds diverged")]
    layers: list[alt.Chart] = [
        Chart(json_safe(ok)).mark_line(point=alt.OverlayMarkDef(size=70, filled=True)).encode(
            x=xenc, y=alt.Y("y:Q", scale=yscale, title=f"{what} (log scale)"), color=colour,
            tooltip=tips)]
    if len(bars) and (bars["lo"] < bars["hi"]).any():
        layers.append(Chart(json_safe(bars)).mark_rule(strokeWidth=2, opacity=0.6).encode(
            x=xenc, y=alt.Y("lo:Q", scale=yscale), y2="hi:Q",
            color=alt.Color("optimizer:N", scale=run_scale(optimizers), legend=None),
            tooltip=tips))
    if len(gone):
        layers.append(Chart(json_safe(gone.assign(note="every seed diverged"))).mark_point(
            shape="triangle-down", size=110, filled=True, color=DIVERGED_COLOR).encode(
            x=xenc, y=alt.Y("y:Q", scale=yscale),
            tooltip=[alt.Tooltip("run:N"), alt.Tooltip("x:Q", title=setting, format=".4~g"),
                     alt.Tooltip("note:N", title="")]))
    head = title or f"{what.capitalize()} against {setting}"
    chart = layer(*layers, height=height,
                  title=titled(head, "one line per optimizer; bars: 10-90 % of seeds; "
                                     "▼ every seed diverged"))
    return style(chart, big=big)
