"""A chart drawn from its parts is the chart: ``render.from_parts(parts)`` (the kept template of
its structure, filled with its data, ui/chart_parts.py) equals ``render.to_spec(parts.chart())``
(Altair, from the data itself), exactly, for every builder that returns parts, on the
adversarial histories of tests/test_chart_json.py. Also: a template is composed once per
structure, and a compose function that builds a frame of its own is refused."""

from __future__ import annotations

import warnings

import altair as alt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.test_chart_json import SETTINGS, histories
from ui import chart_parts, charts, charts_space, render
from ui.chart_parts import parts


def same(p: chart_parts.Parts) -> dict:
    """Both ways of drawing ``p``, compared; the spec."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        direct = render.to_spec(p.chart())
        template = chart_parts.template(p, render.to_spec)
        filled = chart_parts.fill(template, p, render._arrow)
    assert filled == direct
    assert chart_parts.TOKEN not in repr(filled)  # no stand-in is left
    return filled


@SETTINGS
@given(histories(), st.sampled_from(list(charts.X_FIELDS)), st.booleans())
def test_lr_parts(data, x, big):
    same(charts.lr_parts(data[0], x=x, big=big))


def test_one_template_per_structure_and_new_data_fills_it():
    hist = pd.DataFrame({"run": ["a"] * 3 + ["b"] * 3, "step": [0, 1, 2] * 2,
                         "epoch": [0, 1, 2] * 2, "samples": [0, 8, 16] * 2,
                         "lr": [0.1] * 3 + [0.2] * 3})
    other = hist.assign(lr=[0.3] * 3 + [0.4] * 3)
    first, second = charts.lr_parts(hist), charts.lr_parts(other)
    assert first.form() == second.form()  # same structure: one template serves both
    a, b = same(first), same(second)
    assert a != b and a["datasets"] != b["datasets"]
    third = charts.lr_parts(hist.assign(lr=[1e-4] * 3 + [1.0] * 3))  # a log axis now
    assert third.form() != first.form()
    same(third)


def test_a_frame_made_inside_compose_is_refused():
    def compose(d, v, *, height):
        return alt.Chart(pd.DataFrame({"x": [v["at"]]})).mark_point().encode(x="x:Q")
    bad = parts(compose, {}, {"at": 1.5}, height=100)
    with pytest.raises(ValueError, match="not one of its frames"):
        chart_parts.template(bad, render.to_spec)


def test_values_are_filled_where_the_compose_put_them():
    def compose(d, v, *, title):
        return alt.Chart(d["pts"]).mark_point().encode(
            x=alt.X("x:Q", scale=alt.Scale(domain=v["dom"])), y="y:Q").properties(title=title)
    frame = pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 4.0]})
    p = parts(compose, {"pts": frame}, {"dom": (0.5, 2.5)}, title="t")
    spec = same(p)
    assert spec["encoding"]["x"]["scale"]["domain"] == [0.5, 2.5]
    with pytest.raises(TypeError):
        parts(compose, {"pts": frame}, {"dom": object()}, title="t")
    with pytest.raises(TypeError):  # a list in the shape is not hashable: refused at once
        parts(compose, {"pts": frame}, {}, title=["t"])


@SETTINGS
@given(histories(), st.sampled_from(list(charts.X_FIELDS)), st.data())
def test_grad_parts(data, x, more):
    hist, _ = data
    clip = {r: more.draw(st.sampled_from([1.0, 0.0, -1.0, float("inf"), float("nan"), 1e300]))
            for r in dict.fromkeys(hist["run"])}
    same(charts.grad_parts(hist, clip=clip, x=x))


@SETTINGS
@given(histories(), st.sampled_from(["w", "b"]),
       st.sampled_from([None, 0.0, 1.5, -2e300, float("nan"), float("inf"), 1e25]),
       st.sampled_from(list(charts.X_FIELDS)))
def test_param_parts(data, param, reference, x):
    hist, status = data
    same(charts.param_parts(hist, param, reference=reference, x=x, status=status,
                            label="weight · a.b[0]", reference_name="least squares"))


@SETTINGS
@given(histories(), st.sampled_from(list(charts.X_FIELDS)), st.booleans(), st.booleans(),
       st.sampled_from([0, 1, 5]), st.sampled_from([None, 0.5, 0.0, float("nan"), 1e300]))
def test_loss_parts(data, x, log, log_x, smooth, excess):
    hist, status = data
    same(charts.loss_parts(hist, x=x, log=log, smooth=smooth, status=status, log_x=log_x,
                           excess_over=excess, title="Loss · a.b[0]"))


@SETTINGS
@given(st.integers(0, 30), st.data())
def test_fit_parts(n, more):
    from tests.test_chart_json import columns, values
    frame = pd.DataFrame({"x value": more.draw(columns(n)), "y.v[0]": more.draw(columns(n))})
    k = more.draw(st.integers(0, 4))
    lines = pd.DataFrame({"run": [f"r{i}" for i in range(k)],
                          "slope": more.draw(columns(k)), "intercept": more.draw(columns(k)),
                          "status": [more.draw(st.sampled_from(["completed", "diverged"]))
                                     for _ in range(k)]})
    reference = more.draw(st.one_of(st.none(), st.tuples(values, values)))
    same(charts_space.fit_parts(frame, "x value", "y.v[0]", lines, reference=reference,
                                big=more.draw(st.booleans())))


@SETTINGS
@given(st.data())
def test_path_parts(more):
    from tests.test_chart_json import problems, values
    problem, hist, status = more.draw(problems())
    own = more.draw(st.booleans())
    with np.errstate(all="ignore"):
        w, b = problem.least_squares
    reference = ({"w": float(w[0]), "b": float(b)} if own
                 else {"w": more.draw(values), "b": more.draw(values)})
    surface = charts_space.loss_surface(problem, hist, reference, status=status, n=12)
    same(charts_space.path_parts(surface, hist, reference, status=status, units="x",
                                 title=more.draw(st.sampled_from([None, "Loss across w2"])),
                                 subtitle=more.draw(st.sampled_from([None, "others at a"]))))


@SETTINGS
@given(histories(min_runs=1), st.sampled_from(list(charts.X_FIELDS)), st.booleans(),
       st.data())
def test_band_parts_equal_altair_and_are_strict_json(data, x, log, more):
    """The repeats' bands (loss, a parameter, the gradient norm) on adversarial numbers."""
    import json

    from tests.test_chart_json import check_domains, values
    hist, status = data
    n = len(hist)
    band = hist[["run", "step", "epoch", "samples"]].assign(
        count=more.draw(st.lists(st.integers(0, 5), min_size=n, max_size=n)), repeats=5,
        **{f"{c}_{q}": more.draw(st.lists(values, min_size=n, max_size=n))
           for c in ("loss", "w", "grad_norm") for q in ("lo", "hi")})
    for p in (charts.loss_parts(hist, x=x, log=log, status=status, band=band),
              charts.param_parts(hist, "w", x=x, status=status, band=band),
              charts.grad_parts(hist, x=x, band=band)):
        spec = same(p)
        json.dumps({k: v for k, v in spec.items() if k != "datasets"}, allow_nan=False)
        check_domains(spec)
        p.chart().to_dict()  # validates against the Vega-Lite schema
        assert spec["layer"][0]["mark"]["type"] == "area"
