"""Chart builders for the lessons: tidy DataFrames (from ``gdcore.lessons``) -> alt.Chart."""

from __future__ import annotations

import altair as alt
import pandas as pd


def lines_chart(df: pd.DataFrame, x: str, y: str, color: str, *, x_title: str | None = None,
                y_title: str | None = None, log_y: bool = False,
                y_domain: tuple[float, float] | None = None, points: bool = False,
                reference: float | None = None, reference_text: str = "",
                height: int = 300) -> alt.LayerChart:
    """One line per ``color`` group. ``y_domain`` clips (marks outside are cut at the edge);
    ``log_y`` needs positive values (the caller filters); ``reference`` draws a horizontal rule."""
    if log_y:
        df = df[df[y] > 0]
    yscale = alt.Scale(type="log") if log_y else alt.Scale(zero=False)
    if y_domain is not None:
        yscale = alt.Scale(domain=list(y_domain), clamp=False, zero=False,
                           type="log" if log_y else "linear")
    enc = {"x": alt.X(f"{x}:Q", title=x_title or x),
           "y": alt.Y(f"{y}:Q", title=y_title or y, scale=yscale),
           "color": alt.Color(f"{color}:N", title=color, sort=None),
           "tooltip": [f"{color}:N", alt.Tooltip(f"{x}:Q", format=".4g"),
                       alt.Tooltip(f"{y}:Q", format=".6g")]}
    mark = alt.Chart(df).mark_line(clip=True, point=alt.OverlayMarkDef(size=25, clip=True)
                                   if points else False, strokeWidth=2)
    layers = [mark.encode(**enc)]
    if reference is not None:
        ref = pd.DataFrame({y: [reference], "text": [reference_text]})
        layers.append(alt.Chart(ref).mark_rule(strokeDash=[5, 4], color="#333").encode(
            y=alt.Y(f"{y}:Q"), tooltip=["text:N"]))
    return alt.layer(*layers).properties(height=height)


def cycle_chart(curve_df: pd.DataFrame, steps_df: pd.DataFrame, *,
                height: int = 320) -> alt.LayerChart:
    """The curve (w, loss) and the points visited so far, numbered by step; the newest is red."""
    X = alt.X("w:Q", title="w")
    Y = alt.Y("loss:Q", title="loss")
    line = alt.Chart(curve_df).mark_line(color="#777").encode(x=X, y=Y)
    pts = steps_df.assign(label=steps_df["step"].astype(str),
                          newest=steps_df["step"] == steps_df["step"].max())
    dots = alt.Chart(pts).mark_circle(size=120).encode(
        x=X, y=Y, color=alt.condition("datum.newest", alt.value("#d62728"), alt.value("#4c78a8")),
        tooltip=["step:Q", alt.Tooltip("w:Q", format=".6g"), alt.Tooltip("loss:Q", format=".6g")])
    text = alt.Chart(pts).mark_text(dy=-14, fontSize=13).encode(x=X, y=Y, text="label:N")
    return alt.layer(line, dots, text).properties(height=height)


def plane_chart(df: pd.DataFrame, *, optimum: tuple[float, float] | None = None,
                height: int = 320) -> alt.LayerChart:
    """Paths in the (w, b) plane, one per ``mode``, with the least-squares answer as a cross."""
    X = alt.X("w:Q", title="w", scale=alt.Scale(zero=False))
    Y = alt.Y("b:Q", title="b", scale=alt.Scale(zero=False))
    path = alt.Chart(df).mark_line(point=alt.OverlayMarkDef(size=30)).encode(
        x=X, y=Y, color=alt.Color("mode:N", title="update"), order="step:Q",
        tooltip=["mode:N", "step:Q", alt.Tooltip("w:Q", format=".5g"),
                 alt.Tooltip("b:Q", format=".5g"), alt.Tooltip("loss:Q", format=".5g")])
    layers = [path]
    if optimum is not None:
        opt = pd.DataFrame({"w": [optimum[0]], "b": [optimum[1]], "what": ["least squares"]})
        layers.append(alt.Chart(opt).mark_point(shape="cross", size=300, filled=True,
                                                color="black").encode(x=X, y=Y,
                                                                      tooltip=["what:N"]))
    return alt.layer(*layers).properties(height=height)
