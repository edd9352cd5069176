"""Every chart builder gives a spec that is strict JSON and valid Vega-Lite, whatever the numbers.

A browser parses a chart's spec with ``JSON.parse``, which has no NaN or Infinity: one NaN in a
scale domain (an upload with values near 1e150 made the loss surface overflow) turned the whole
chart into a red error box. These property tests feed every builder of ``ui.charts``,
``ui.charts_space``, ``ui.landscape_charts``, ``ui.sweep_charts`` and ``ui.lesson_charts``
adversarial frames (finite, huge, infinite and NaN values; one row; constant columns; several
runs with mixed statuses; empty frames) and check ``json.dumps(chart.to_dict(),
allow_nan=False)``; ``to_dict`` also validates the spec against the Vega-Lite schema.
"""

from __future__ import annotations

import inspect
import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gdcore
from gdcore.data import sources as gdata
from lab import landscape as L
from lab import sweep as S
from ui import charts, charts_space
from ui import landscape_charts as lc
from ui import lesson_charts as cc
from ui import sweep_charts as sc
from ui.results import Outcome, fit_lines, original_reference

MODULES = (charts, charts_space, lc, sc, cc)
INF, NAN = math.inf, math.nan
SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, 1e-300, 5e-324, 1e150, -1e150, 1.5e150, 1e300, -1e300,
           1.7e308, -1.7e308, INF, -INF, NAN]
STATUSES = ["completed", "converged", "diverged"]
HISTORY_COLUMNS = ["run", "step", "epoch", "samples", "lr", "w", "b", "loss", "batch_loss",
                   "grad_norm", "clipped"]
EXAMPLES = 30  # per property test: the file runs in about 30 s
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

values = st.one_of(st.sampled_from(SPECIAL), st.floats(allow_nan=True, allow_infinity=True),
                   st.floats(-10, 10))
positives = st.one_of(st.sampled_from([5e-324, 1e-300, 1e-3, 0.1, 1.0, 1e150, 1e300, 1.7e308]),
                      st.floats(min_value=1e-300, max_value=1e300))
data_values = st.one_of(st.sampled_from([0.0, 1.0, -1.0, 1e150, -1e150, 3e149, 1e-150]),
                        st.floats(-1e150, 1e150), st.floats(-100, 100))


@st.composite
def columns(draw, n: int, elements=values, blow_up: bool = True) -> list[float]:
    """n values: independent, one constant, or a run blowing up geometrically (to inf)."""
    kind = draw(st.sampled_from(["free", "constant", "blow-up"] if blow_up else ["free",
                                                                              "constant"]))
    if kind == "constant":
        return [draw(elements)] * n
    if kind == "blow-up":
        start = draw(st.sampled_from([1.0, -0.5, 3.0, 1e150]))
        factor = draw(st.sampled_from([-1.1, 2.0, -1e3, 1e50, 1e150]))
        with np.errstate(over="ignore", invalid="ignore"):
            return list(start * np.power(factor, np.arange(n, dtype=float)))
    return draw(st.lists(elements, min_size=n, max_size=n))


@st.composite
def histories(draw, min_runs: int = 0, max_runs: int = 4, max_rows: int = 25):
    """A tidy history like the engine's (some runs of one row) and a run -> status dict."""
    n_runs = draw(st.integers(min_runs, max_runs))
    names = [draw(st.sampled_from(["good", "wild", "a.b[0]:x", "run 3", "späť"])) + f" {i}"
             for i in range(n_runs)]
    frames = []
    for name in names:
        n = draw(st.integers(1, max_rows))
        step = np.arange(n) * draw(st.integers(1, 3))
        batches = draw(st.integers(1, 4))
        frames.append(pd.DataFrame({
            "run": name, "step": step, "epoch": step / batches, "samples": step * 8,
            "lr": draw(columns(n, positives)), "w": draw(columns(n)), "b": draw(columns(n)),
            "loss": draw(columns(n)), "batch_loss": draw(columns(n)),
            "grad_norm": draw(columns(n)),
            "clipped": draw(st.lists(st.booleans(), min_size=n, max_size=n))}))
    hist = (pd.concat(frames, ignore_index=True) if frames
            else pd.DataFrame(columns=HISTORY_COLUMNS))
    status = {name: draw(st.sampled_from(STATUSES)) for name in names}
    return hist, draw(st.sampled_from([status, None, {}])) if status else status


def strict(chart) -> dict:
    """The spec, validated by Altair and dumped as strict JSON (no NaN, no Infinity)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        spec = chart.to_dict()  # validates against the Vega-Lite schema
    json.dumps(spec, allow_nan=False)
    check_domains(spec)
    return spec


def check_domains(node) -> None:
    """Every explicit two-number linear domain is increasing (a zero-width domain draws
    everything on one line)."""
    if isinstance(node, dict):
        scale = node.get("scale")
        if isinstance(scale, dict) and scale.get("type") not in ("threshold", "log"):
            dom = scale.get("domain")
            if isinstance(dom, list) and len(dom) == 2 and all(
                    isinstance(v, int | float) for v in dom):
                assert dom[0] < dom[1], dom
        for value in node.values():
            check_domains(value)
    elif isinstance(node, list):
        for value in node:
            check_domains(value)


# --- ui.charts: run histories --------------------------------------------------------------
@SETTINGS
@given(histories(), st.sampled_from(list(charts.X_FIELDS)), st.booleans(),
       st.sampled_from([0, 1, 5]))
def test_loss_chart(data, x, log, smooth):
    hist, status = data
    strict(charts.loss_chart(hist, x=x, log=log, smooth=smooth, status=status))


@SETTINGS
@given(histories(), st.sampled_from(list(charts.X_FIELDS)))
def test_lr_chart(data, x):
    strict(charts.lr_chart(data[0], x=x))


@SETTINGS
@given(histories(), st.sampled_from(["w", "b"]), st.one_of(st.none(), values),
       st.sampled_from(list(charts.X_FIELDS)))
def test_param_chart(data, param, reference, x):
    hist, status = data
    strict(charts.param_chart(hist, param, reference=reference, x=x, status=status))


@SETTINGS
@given(histories(), st.sampled_from(list(charts.X_FIELDS)), st.data())
def test_grad_chart(data, x, more):
    hist, _ = data
    clip = {r: more.draw(values) for r in dict.fromkeys(hist["run"])}
    strict(charts.grad_chart(hist, clip=clip, x=x))


@SETTINGS
@given(st.integers(0, 8), st.booleans(), st.sampled_from(["final_loss", "best_loss"]),
       st.data())
def test_setting_chart(n, log_x, metric, more):
    frame = pd.DataFrame({
        "run": [f"r{i}" for i in range(n)],
        "optimizer": more.draw(st.lists(st.sampled_from(["sgd", "adam"]), min_size=n,
                                        max_size=n)),
        "value": more.draw(columns(n, positives if log_x else values)),
        "seeds": 5, "diverged": more.draw(st.lists(st.integers(0, 5), min_size=n, max_size=n)),
        "status": more.draw(st.lists(st.sampled_from(["ok", "diverged"]), min_size=n,
                                     max_size=n)),
        **{f"{m}{q}": more.draw(columns(n)) for m in ("final_loss", "best_loss")
           for q in ("", "_lo", "_hi")}})
    strict(charts.setting_chart(frame, "optimizer.lr", metric=metric, log_x=log_x))


# --- ui.charts_space: the data and the (w, b) plane -----------------------------------------
@SETTINGS
@given(st.integers(0, 30), st.data())
def test_fit_chart(n, more):
    frame = pd.DataFrame({"x value": more.draw(columns(n)), "y.v[0]": more.draw(columns(n))})
    k = more.draw(st.integers(0, 4))
    lines = pd.DataFrame({"run": [f"r{i}" for i in range(k)],
                          "slope": more.draw(columns(k)), "intercept": more.draw(columns(k))})
    reference = more.draw(st.one_of(st.none(), st.tuples(values, values)))
    strict(charts_space.fit_chart(frame, "x value", "y.v[0]", lines, reference=reference))


@st.composite
def problems(draw):
    """A one-column LinearRegression from data with values up to 1e150 (their squares reach
    1e300), and a history: the engine's own runs on it, or an adversarial one."""
    n = draw(st.integers(1, 40))
    x = np.array(draw(columns(n, data_values, blow_up=False)), dtype=float)
    y = np.array(draw(columns(n, data_values, blow_up=False)), dtype=float)
    problem = gdcore.LinearRegression(x[:, None], y)
    if draw(st.booleans()):
        runs = [gdcore.run(problem, {"name": f"lr {lr:g}", "epochs": draw(st.integers(1, 6)),
                                     "optimizer": {"name": opt, "lr": lr}})
                for lr, opt in draw(st.lists(st.tuples(st.sampled_from([1e-3, 0.1, 0.9, 3.0]),
                                                       st.sampled_from(["sgd", "adam"])),
                                             min_size=1, max_size=3, unique=True))]
        hist = pd.concat([r.history for r in runs], ignore_index=True)
        status = {r.name: r.status for r in runs}
    else:
        hist, status = draw(histories(min_runs=1))
    return problem, hist, status


@SETTINGS
@given(problems(), st.booleans(), st.data())
def test_loss_surface_and_path_chart(case, own_reference, more):
    problem, hist, status = case
    with np.errstate(all="ignore"):
        w, b = problem.least_squares
    reference = ({"w": float(w[0]), "b": float(b)} if own_reference
                 else {"w": more.draw(values), "b": more.draw(values)})
    surface = charts_space.loss_surface(problem, hist, reference, status=status, n=12)
    corners = surface[["w", "w2", "b", "b2"]].to_numpy()
    assert np.isfinite(corners).all()
    assert (surface["w"] < surface["w2"]).all() and (surface["b"] < surface["b2"]).all()
    assert not surface["loss"].isna().any()  # overflow is inf, never NaN
    strict(charts_space.path_chart(surface, hist, reference, status=status, units="x"))


def test_path_chart_on_a_surface_of_any_numbers():
    """A surface that did not come from loss_surface (NaN corners, all-inf losses, empty)."""
    hist = pd.DataFrame({"run": ["r"] * 3, "step": [0, 1, 2], "w": [0.0, 1e300, INF],
                         "b": [0.0, -1e300, NAN], "loss": [1.0, INF, NAN]})
    for surface in (pd.DataFrame({"w": [NAN, 0.0], "w2": [1.0, INF], "b": [0.0, 0.0],
                                  "b2": [1.0, 1.0], "loss": [INF, NAN]}),
                    pd.DataFrame(columns=["w", "w2", "b", "b2", "loss"])):
        strict(charts_space.path_chart(surface, hist, {"w": NAN, "b": INF},
                                       status={"r": "diverged"}))


# --- ui.landscape_charts ---------------------------------------------------------------------
@st.composite
def path_frames(draw, names=("w",), min_runs: int = 0):
    """A landscape path frame (run, optimizer, start, status, step, params, loss)."""
    hist, status = draw(histories(min_runs=min_runs, max_rows=15))
    out = pd.DataFrame({"run": hist["run"], "optimizer": "sgd", "start": "0",
                        "status": [(status or {}).get(r, "completed") for r in hist["run"]],
                        "step": hist["step"], "loss": hist["loss"],
                        "grad_norm": hist["grad_norm"]})
    for i, name in enumerate(names):
        out[name] = hist["w"] if i == 0 else hist["b"]
    return out


def _now(path_df: pd.DataFrame, step: int) -> pd.DataFrame:
    return L.current_points(path_df, step)


@SETTINGS
@given(path_frames(), st.integers(0, 30), st.integers(0, 20), st.data())
def test_curve_chart(path_df, step, n, more):
    curve = pd.DataFrame({"w": more.draw(columns(n)), "loss": more.draw(columns(n))})
    k = more.draw(st.integers(0, 2))
    minima = pd.DataFrame({"w": more.draw(columns(k)), "loss": more.draw(columns(k)),
                           "kind": ["global", "local"][:k]})
    strict(lc.curve_chart(curve, L.at_step(path_df, step), _now(path_df, step), minima))


@SETTINGS
@given(path_frames(names=("w1", "w2")), st.integers(0, 30), st.integers(0, 25), st.data())
def test_contour_chart(path_df, step, n, more):
    surface = pd.DataFrame({c: more.draw(columns(n)) for c in
                            ("w1", "w2", "loss", "level", "dw1", "dw2")})
    minima = pd.DataFrame({"w1": more.draw(columns(1)), "w2": more.draw(columns(1)),
                           "loss": [0.0], "kind": ["global"]})
    strict(lc.contour_chart(surface, L.at_step(path_df, step), _now(path_df, step), minima))


@SETTINGS
@given(path_frames(), st.one_of(st.integers(0, 30), values))
def test_loss_steps_chart(path_df, step):
    strict(lc.loss_steps_chart(path_df, step))


@SETTINGS
@given(st.integers(0, 20), st.integers(0, 20), st.one_of(st.none(), values), st.data())
def test_basin_chart(n, m, hump, more):
    curve = pd.DataFrame({"w": more.draw(columns(n)), "loss": more.draw(columns(n))})
    basins = pd.DataFrame({"start": more.draw(columns(m)), "start_loss": more.draw(columns(m)),
                           "final_w": more.draw(columns(m)), "final_loss": more.draw(columns(m)),
                           "status": more.draw(st.lists(st.sampled_from(STATUSES), min_size=m,
                                                        max_size=m)),
                           "minimum": more.draw(st.lists(st.sampled_from(
                               ["global", "local", "none"]), min_size=m, max_size=m)),
                           "minimum_w": more.draw(columns(m))})
    minima = pd.DataFrame({"w": more.draw(columns(2)), "loss": more.draw(columns(2)),
                           "kind": ["global", "local"]})
    strict(lc.basin_chart(curve, basins, minima, hump=hump))


def test_landscape_charts_on_real_diverging_runs():
    """The engine's own paths, some diverging to huge values, on every landscape chart."""
    well, rosen = gdcore.FUNCTIONS["double_well"], gdcore.FUNCTIONS["rosenbrock"]
    p1 = L.paths(well, [-3, 0.5, 3], ["sgd", "adam"], {"epochs": 60, "optimizer": {"lr": 0.3}})
    p2 = L.paths(rosen, [(-1.5, 2), (1e3, -1e3)], ["sgd"], {"epochs": 50,
                                                           "optimizer": {"lr": 0.01}})
    assert "diverged" in set(p1["status"]) and "diverged" in set(p2["status"])
    for step in (0, 5, 60):
        strict(lc.curve_chart(L.curve(well), L.at_step(p1, step), _now(p1, step),
                              L.minima_frame(well)))
        strict(lc.contour_chart(L.surface(rosen, 20), L.at_step(p2, step), _now(p2, step),
                                L.minima_frame(rosen), names=rosen.param_names))
        strict(lc.loss_steps_chart(p1, step))
    bas = L.basins(well, L.start_grid(-1e3, 1e3, 9), {"epochs": 50, "optimizer": {"lr": 0.1}})
    strict(lc.basin_chart(L.curve(well), bas, L.minima_frame(well), hump=L.hump(well)))


# --- ui.sweep_charts -------------------------------------------------------------------------
@st.composite
def sweeps(draw):
    n = draw(st.integers(1, 12))
    series = draw(st.lists(st.sampled_from(["sgd", "adam", "mini-batch · sgd"]), min_size=n,
                           max_size=n))
    ref = draw(values)
    final, best, first = (draw(columns(n)) for _ in range(3))
    df = pd.DataFrame({
        "series": series, "variant": "base", "optimizer": "sgd", "lr": draw(columns(n, positives)),
        "label": draw(st.lists(st.sampled_from(list(sc.LABEL_SHAPES)), min_size=n, max_size=n)),
        "status": draw(st.lists(st.sampled_from(STATUSES), min_size=n, max_size=n)),
        "steps": draw(st.lists(st.integers(0, 1000), min_size=n, max_size=n)),
        "initial_loss": first, "final_loss": final, "best_loss": best, "reference_loss": ref})
    with np.errstate(all="ignore"):
        df["final_excess"] = df["final_loss"] - ref
        df["best_excess"] = df["best_loss"] - ref
    return df


@SETTINGS
@given(sweeps(), st.sampled_from([("final",), ("best",), ("final", "best")]),
       st.one_of(st.none(), values), st.booleans())
def test_sweep_chart(df, metrics, theory, own_stable):
    stable = (S.largest_stable_lr(df) if own_stable
              else pd.DataFrame({"series": ["sgd", "adam"], "largest_stable_lr": [INF, -1.0],
                                 "first_diverged_lr": [NAN, 1e308]}))
    pf = sc.plot_frame(df, metrics)
    assert np.isfinite(pf["y"]).all() and (pf["y"] > 0).all()
    strict(sc.sweep_chart(df, stable, metrics=metrics, theory=theory))


@SETTINGS
@given(st.integers(1, 10), st.lists(st.sampled_from([0.0, 0.3, 0.9, 0.95]), min_size=1,
                                    max_size=4, unique=True), st.data())
def test_stability_chart(n, momenta, more):
    lrs = sorted(set(more.draw(st.lists(positives, min_size=n, max_size=n))))
    rows = [{"lr": lr, "momentum": b, "variant": f"momentum {b:g}",
             "label": more.draw(st.sampled_from(list(sc.LABEL_SHAPES))),
             "final_loss": more.draw(values), "steps": more.draw(st.integers(0, 500)),
             "limit": (1 + b) * more.draw(st.one_of(positives, st.just(INF)))}
            for lr in lrs for b in momenta]
    strict(sc.stability_chart(pd.DataFrame(rows)))


# --- ui.lesson_charts ------------------------------------------------------------------------
@SETTINGS
@given(st.integers(0, 25), st.booleans(), st.booleans(),
       st.one_of(st.none(), st.tuples(values, values), st.just((-3.0, 11.0))),
       st.one_of(st.none(), values), st.data())
def test_lines_chart(n, log_y, points, y_domain, reference, more):
    df = pd.DataFrame({"step": np.arange(n),
                       "w": more.draw(columns(n)),
                       "lr": more.draw(st.lists(st.sampled_from(["0.1", "1.05", "run"]),
                                                min_size=n, max_size=n))})
    strict(cc.lines_chart(df, "step", "w", "lr", log_y=log_y, y_domain=y_domain, points=points,
                          reference=reference, reference_text="minimum"))


@SETTINGS
@given(st.integers(0, 20), st.integers(0, 8), st.data())
def test_cycle_chart(n, k, more):
    curve = pd.DataFrame({"w": more.draw(columns(n)), "loss": more.draw(columns(n))})
    steps = pd.DataFrame({"step": np.arange(k), "w": more.draw(columns(k)),
                          "loss": more.draw(columns(k))})
    strict(cc.cycle_chart(curve, steps))


@SETTINGS
@given(st.integers(0, 20), st.one_of(st.none(), st.tuples(values, values)), st.data())
def test_plane_chart(n, optimum, more):
    df = pd.DataFrame({"mode": more.draw(st.lists(st.sampled_from(["simultaneous", "sequential"]),
                                                  min_size=n, max_size=n)),
                       "step": np.arange(n), "w": more.draw(columns(n)),
                       "b": more.draw(columns(n)), "loss": more.draw(columns(n))})
    strict(cc.plane_chart(df, optimum=optimum))


@SETTINGS
@given(st.integers(0, 20), st.integers(0, 3), st.sampled_from(["value", "push"]), st.data())
def test_margin_chart(n, k, y, more):
    losses = ["log-loss", "0/1 loss", "squared error of σ(z)"]
    curves = pd.DataFrame({"margin": more.draw(columns(n)), y: more.draw(columns(n)),
                           "loss": more.draw(st.lists(st.sampled_from(losses), min_size=n,
                                                      max_size=n))})
    at = pd.DataFrame({"margin": [more.draw(values)] * k, y: more.draw(columns(k)),
                       "loss": losses[:k]})
    strict(cc.margin_chart(curves, at, y, y_title=y))


@SETTINGS
@given(st.integers(0, 6), st.integers(0, 20), st.tuples(values, values), st.data())
def test_valley_chart(g, n, minimum, more):
    m = g * g
    surface = pd.DataFrame({"w1": more.draw(columns(m)), "w2": more.draw(columns(m)),
                            "loss": more.draw(columns(m)), "level": more.draw(columns(m)),
                            "dw1": more.draw(columns(m, positives)),
                            "dw2": more.draw(columns(m, positives))})
    paths = pd.DataFrame({"run": more.draw(st.lists(st.sampled_from(["1/λmax", "2/(λ+λ)"]),
                                                    min_size=n, max_size=n)),
                          "step": np.arange(n), "w1": more.draw(columns(n)),
                          "w2": more.draw(columns(n)), "loss": more.draw(columns(n))})
    strict(cc.valley_chart(surface, paths, minimum=minimum))


# --- the reported bug, end to end, and coverage of this file ---------------------------------
def test_upload_reaching_1e150_draws_every_dashboard_chart():
    """The browser session: a CSV whose values reach 1e150, the dashboard's default runs.
    Every chart of the dashboard is strict JSON, and the loss surface's colour levels (the
    NaN domain of the report) are finite."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1e150, 1000)
    y = 1e150 * rng.uniform(0, 1, 1000)
    csv = "x,y\n" + "\n".join(f"{a:.17g},{b:.17g}" for a, b in zip(x, y))
    for standardize in (False, True):
        ds = gdata.load_csv(csv.encode(), standardize=standardize)
        problem = gdcore.LinearRegression.from_dataset(ds)
        runs = [gdcore.run(problem, {"name": name, "epochs": 5,
                                     "optimizer": {"name": opt, "lr": lr}}, dataset=ds)
                for name, opt, lr in (("sgd", "sgd", 0.1), ("fast", "sgd", 1.5),
                                      ("adam", "adam", 0.1))]
        w, b = problem.least_squares
        outcome = Outcome(runs=runs, problem=problem,
                          reference={"w": float(w[0]), "b": float(b)})
        hist, status = outcome.history, outcome.status
        surface = charts_space.loss_surface(problem, hist, outcome.reference, status=status)
        spec = strict(charts_space.path_chart(surface, hist, outcome.reference, status=status,
                                              runs=outcome.names))
        levels = spec["layer"][0]["encoding"]["color"]["scale"]["domain"]
        assert len(levels) == 8 and all(math.isfinite(v) for v in levels)
        strict(charts_space.fit_chart(ds.frame(), ds.x_names[0], ds.y_name, fit_lines(outcome),
                                      reference=original_reference(ds, outcome.reference),
                                      runs=outcome.names))
        for x_axis in charts.X_FIELDS:
            for log in (True, False):
                strict(charts.loss_chart(hist, x=x_axis, log=log, smooth=3, status=status))
            strict(charts.lr_chart(hist, x=x_axis))
            for param in "wb":
                strict(charts.param_chart(hist, param, reference=outcome.reference[param],
                                          x=x_axis, status=status))
            strict(charts.grad_chart(hist, clip={"sgd": 1.0}, x=x_axis))


COVERED = {
    charts: {"loss_chart", "lr_chart", "param_chart", "grad_chart", "setting_chart"},
    charts_space: {"fit_chart", "path_chart"},
    lc: {"curve_chart", "contour_chart", "loss_steps_chart", "basin_chart"},
    sc: {"sweep_chart", "stability_chart"},
    cc: {"lines_chart", "cycle_chart", "plane_chart", "margin_chart", "valley_chart"},
}


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_chart_builder_is_covered(module):
    """A new ``*_chart`` builder must get a property test here."""
    builders = {name for name, fn in inspect.getmembers(module, inspect.isfunction)
                if name.endswith("_chart") and fn.__module__ == module.__name__}
    assert builders == COVERED[module]
