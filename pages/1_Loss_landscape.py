"""Loss landscape: several runs on a 1-D curve or a 2-D surface, stepped through or played,
optimizers beside the reference methods (Armijo line search, damped Newton) with each step's
trial points; the curvature (the Hessian's eigenvalues and directions) and the numeric vs
analytic gradient at the current point; basins of attraction."""

import time

import pandas as pd
import streamlit as st

from ui import fresh  # isort: skip (first of the app's modules)

fresh.modules()  # a source changed under the server: import the app anew (ui/fresh.py)

import gdcore
from lab import landscape as L
from ui import landscape_charts as lc
from ui import nav, render, results, text, version
from ui.classroom import apply_classroom, seeded
from ui.results import start_accelerator
from ui.version import keep_current

st.set_page_config(page_title="Loss landscape · Gradient Descent Lab", page_icon=nav.ICON,
                   layout="wide")
keep_current()  # first: nothing kept under other code reaches this run (ui/version.py)
nav.links()  # named pages (ui/nav.py)
classroom = apply_classroom()
start_accelerator()

FUNCS = ["quadratic", "double_well", "bowl", "rosenbrock", "himmelblau", "saddle"]
DEFAULTS = {  # starts, learning rate, steps
    "quadratic": ("-1, 9.5", 0.1, 40),
    "double_well": ("-3, -0.2, 0.5, 3", 0.01, 80),
    "bowl": ("-2 3; 5.5 3.5", 0.1, 40),
    "rosenbrock": ("-1.5 2; 0 -0.5", 0.001, 400),
    "himmelblau": ("0 0; -1 -4; 1 4", 0.01, 80),
    "saddle": ("1.5 0.001; -1.5 -0.001", 0.1, 80),
}
OPTIMIZERS = list(gdcore.OPTIMIZER_DEFAULTS)
METHODS = list(L.METHOD_RUNS)  # offered beside the optimizers
ENTRY_TITLES = {"line_search": "line search (Armijo)", "newton": "Newton's method"}
ENTRY_HEADINGS = {"line_search": "Line search (Armijo)", "newton": "Newton's method"}
FIRSTS = {"line_search": "first trial step", "newton": "step scale"}  # what their "lr" is
# A method's first trial step is its own setting, not the optimizers' learning rate: on
# Rosenbrock gradient descent needs 0.001 and Newton's full step is 1. The line search starts
# at ten times the function's gradient-descent rate (a few halvings a step: trials to see);
# Newton at its full step.
LS_FIRST = 10.0
METHOD_LABELS = {"c": "Sufficient decrease c", "shrink": "Shrink factor",
                 "max_trials": "Trials per step", "min_curvature": "Smallest curvature kept δ"}
METHOD_BOUNDS = {"c": (1e-6, 0.99), "shrink": (0.05, 0.95), "max_trials": (1, 100),
                 "min_curvature": (0.0, 1e3)}
SETTINGS = "_landscape_settings"  # plain session key: survives classroom mode hiding widgets
H_SETTING = "_landscape_h"
H_CHOICES = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-10]


def table(container, df: pd.DataFrame, formats: dict[str, str] | None = None,
          labels: dict[str, str] | None = None, wide=()) -> None:
    """:func:`ui.results.data_table` in this page's mode, 5 significant digits."""
    results.data_table(container, df, classroom=classroom, formats=formats, labels=labels,
                       wide=wide, digits=5)


def entry_title(entry: str) -> str:
    return ENTRY_TITLES.get(entry, entry)


def run_cfg(lr: float, steps: int) -> dict:
    return {"epochs": steps, "optimizer": {"lr": lr}, "max_points": steps + 2}


@st.cache_data(max_entries=64, show_spinner=False)
def compute_paths(code: str, fn_name: str, starts: tuple, opts: tuple, lr: float, steps: int,
                  method_items: tuple = ()):
    fn = gdcore.FUNCTIONS[fn_name]
    return L.paths(fn, starts, opts, run_cfg(lr, steps), as_settings(method_items))


@st.cache_data(max_entries=256, show_spinner=False)
def compute_trials(code: str, fn_name: str, starts: tuple, opts: tuple, lr: float, steps: int,
                   method_items: tuple, step: int):
    """The trial points of step ``step`` of every line-search and Newton run, replayed by the
    engine (``lab.landscape.step_trials``)."""
    fn = gdcore.FUNCTIONS[fn_name]
    path_df = compute_paths(version.CODE, fn_name, starts, opts, lr, steps, method_items)
    return L.step_trials(fn, path_df, step, run_cfg(lr, steps), as_settings(method_items))


@st.cache_data(max_entries=16, show_spinner=False)
def compute_basins(code: str, fn_name: str, lo: float, hi: float, n: int, opt: str, lr: float,
                   method_items: tuple = ()):
    fn = gdcore.FUNCTIONS[fn_name]
    cfg = L.entry_config(opt, {"epochs": 1000, "tol_grad": 1e-9, "optimizer": {"lr": lr}},
                         as_settings(method_items))
    return L.basins(fn, L.start_grid(lo, hi, n), cfg)


def as_settings(method_items: tuple) -> dict:
    """The methods' settings from their hashable form (((method, ((key, value), ...)), ...)."""
    return {m: dict(items) for m, items in method_items}


def method_defaults(entry: str, lr: float) -> dict:
    """A method's settings on this page before anyone changes them: the engine's defaults and
    its first trial step (line search: ``LS_FIRST`` × the function's learning rate; Newton:
    1, the full step)."""
    first = LS_FIRST * lr if entry == "line_search" else 1.0
    return {"lr": float(first), **gdcore.rules.methods.DEFAULTS[entry]}


def method_inputs(entry: str, kept: dict, d_lr: float) -> dict:
    """The sidebar's inputs for one reference method's settings (their defaults the engine's)."""
    values = {**method_defaults(entry, d_lr), **kept}
    label = ("First trial step (line search)" if entry == "line_search"
             else "Step scale (Newton; 1 = the full step)")
    helptext = ("Each step tries this step length along −gradient first and halves it "
                "until the loss falls enough (Armijo's condition)." if entry == "line_search"
                else "Each step tries this multiple of the Newton step first and halves it "
                "until the loss falls enough.")
    out = {"lr": st.number_input(label, min_value=1e-6, max_value=1e3, format="%.4g",
                                 help=helptext, key=seeded(f"ls_m_{entry}_lr_{fn_name}",
                                                           float(values["lr"])))}
    with st.expander(f"More {entry_title(entry)} settings"):
        for p in gdcore.rules.methods.DEFAULTS[entry]:
            lo, hi = METHOD_BOUNDS[p]
            key = seeded(f"ls_m_{entry}_{p}_{fn_name}", values[p])
            if p == "max_trials":
                out[p] = st.number_input(METHOD_LABELS[p], int(lo), int(hi), step=1, key=key)
            else:
                out[p] = st.number_input(METHOD_LABELS[p], float(lo), float(hi),
                                         format="%.4g", key=key)
    return out


@st.cache_data(max_entries=16, show_spinner=False)
def compute_shape(code: str, fn_name: str):
    fn = gdcore.FUNCTIONS[fn_name]
    shape = L.curve(fn) if fn.dim == 1 else L.surface(fn, 60)
    return shape, L.minima_frame(fn)


st.title("Loss landscape")
fn_name = st.selectbox(
    "Function", FUNCS, key="ls_fn",
    format_func=lambda k: f"{gdcore.FUNCTIONS[k].title}  ({gdcore.FUNCTIONS[k].dim}-D)")
fn = gdcore.FUNCTIONS[fn_name]
d_starts, d_lr, d_steps = DEFAULTS[fn_name]
d_opts = ["sgd", "adam"] if fn.dim == 2 else ["sgd"]
saved = st.session_state.get(SETTINGS, {}).get(fn_name, {})
saved_methods = saved.get("methods", {})

if classroom:  # what is shown, never a control that changes it
    starts_text = saved.get("starts", d_starts)
    opts = saved.get("opts", d_opts)
    lr, steps = saved.get("lr", d_lr), saved.get("steps", d_steps)
    settings = {m: {**method_defaults(m, d_lr), **saved_methods.get(m, {})}
                for m in METHODS if m in opts}
else:
    with st.sidebar:
        st.header("Runs")
        hint = "e.g. -3, 0.5, 3" if fn.dim == 1 else "w1 w2 per point, points split by ';'"
        starts_text = st.text_input("Starting points", help=hint, key=seeded(
            f"ls_starts_{fn_name}", saved.get("starts", d_starts)))
        opts = st.multiselect(
            "Optimizers and methods", OPTIMIZERS + METHODS, format_func=entry_title,
            help="Each is run from every starting point. Beside the optimizers, two reference "
                 "methods that gradient descent is measured against: a backtracking line "
                 "search and Newton's method (both show each step's trial points).",
            key=seeded(f"ls_opts_{fn_name}", saved.get("opts", d_opts)))
        lr = st.number_input("Learning rate", min_value=1e-6, max_value=10.0, format="%.4g",
                             help="The optimizers' learning rate. The line search and "
                                  "Newton's method take their first trial step from their "
                                  "own box below.",
                             key=seeded(f"ls_lr_{fn_name}", float(saved.get("lr", d_lr))))
        steps = st.slider("Steps", 5, 1000, key=seeded(f"ls_nsteps_{fn_name}",
                                                       int(saved.get("steps", d_steps))))
        settings = {}
        for m in METHODS:
            if m in opts:
                st.subheader(ENTRY_HEADINGS[m])
                settings[m] = method_inputs(m, saved_methods.get(m, {}), d_lr)
    kept = st.session_state.setdefault(SETTINGS, {}).setdefault(fn_name, {})
    kept.update(starts=starts_text, opts=opts, lr=lr, steps=steps)
    kept.setdefault("methods", {}).update(settings)
method_items = tuple((m, tuple(sorted(settings[m].items()))) for m in METHODS if m in settings)

try:
    starts = L.parse_points(starts_text, fn.dim)
    if not opts:
        raise gdcore.ConfigError("optimizers and methods: choose at least one")
    path_df = compute_paths(version.CODE, fn_name, tuple(starts), tuple(opts), float(lr), int(steps),
                            method_items)
except gdcore.GDError as err:
    st.error(text.md(err))
    st.stop()
if classroom:  # the settings in use (as numbers: no typed text is shown)
    where = "; ".join("(" + ", ".join(f"{v:g}" for v in p) + ")" for p in starts)
    used = [entry_title(o) + (f" ({FIRSTS[o]} {settings[o]['lr']:g})" if o in settings else "")
            for o in opts]
    st.caption(f"Starting points {where} · {', '.join(used)} · learning rate {float(lr):g} · "
               f"{int(steps)} steps")

shape_df, minima_df = compute_shape(version.CODE, fn_name)
last = int(path_df["step"].max())
height = 560 if classroom else 400
setup_key = render.digest(fn_name, tuple(starts), tuple(opts), float(lr), int(steps),
                          method_items)
has_methods = bool(settings)


DETAIL = "ls_grad_run"  # the run shown in detail (curvature, trials, gradient check): a view
DETAIL_AUTO = "_ls_grad_run_auto"  # the run the page chose itself (not the user)


def detail_run(runs: list[str]) -> str:
    """The run shown in detail: the one the user picked, else the first line-search or Newton
    run (what the detail is most about), else the first run. A run the page chose itself
    gives way when a method is added later."""
    picked = st.session_state.get(DETAIL)
    if picked in runs and picked != st.session_state.get(DETAIL_AUTO):
        return picked
    methods = path_df.loc[path_df["method"] != "gd", "run"]
    first = next((r for r in pd.unique(methods) if r in runs), runs[0])
    st.session_state[DETAIL] = st.session_state[DETAIL_AUTO] = first
    return first


def curvature_lines(cv) -> str:
    """λ1, λ2 (or f″) with their directions, as a markdown list."""
    lines = []
    for i, (lam, vec, bend) in enumerate(zip(cv.values, cv.vectors, cv.bends, strict=True)):
        if fn.dim == 2:
            lines.append(f"- λ{i + 1} = **{lam:.5g}** along ({vec[0]:+.3f}, {vec[1]:+.3f}): "
                         f"{bend}")
        else:
            lines.append(f"- f″({fn.param_names[0]}) = **{lam:.5g}**: {bend}")
    return "\n".join(lines)


def curvature_notes(cv) -> list[str]:
    """What the curvature says, in sentences with its numbers."""
    notes = []
    if fn.dim == 2:
        notes.append(f"**{cv.shape.capitalize()}** — {cv.words.split(': ', 1)[1]}.")
        if cv.kappa < float("inf"):
            notes.append(f"Condition number λ2/λ1 = **{cv.kappa:.4g}**: gradient descent at "
                         "a stable rate shrinks the error along the flattest direction only "
                         "slowly (about that many steps per factor e); Newton's method does "
                         "not depend on it.")
    else:
        notes.append(f"The curve **{cv.words}**.")
    if cv.lr_limit < float("inf"):
        top = "2/λ2" if fn.dim == 2 else "2/f″"
        notes.append(f"Largest stable gradient-descent learning rate here: {top} = "
                     f"**{cv.lr_limit:.4g}** (a larger one overshoots along the steepest "
                     "curvature).")
    return notes


def play_and_step() -> tuple[int, bool]:
    """The step slider and Play/Pause (session state; a frame of Play is a fragment rerun):
    the step to draw, and whether it is playing."""
    # a slider over the step index, and play/pause (session state + a fragment rerun)
    if st.session_state.get("ls_step", last) > last or st.session_state.get("ls_max") != last:
        st.session_state["ls_step"] = last
    st.session_state["ls_max"] = last
    playing = st.session_state.get("ls_playing", False)
    if playing:
        stride = max(1, last // 40)
        st.session_state["ls_step"] = min(last, st.session_state.get("ls_step", 0) + stride)
        if st.session_state["ls_step"] >= last:
            st.session_state["ls_playing"] = playing = False

    c_play, c_slider = st.columns([1, 6], vertical_alignment="bottom")
    with c_play:  # one button whose label follows the state, so no stale twin shows mid-play
        label, icon = ("Pause", ":material/pause:") if playing else ("Play", ":material/play_arrow:")
        if st.button(label, icon=icon, key="ls_play", width="stretch"):
            if playing:
                st.session_state["ls_playing"] = playing = False
            else:
                if st.session_state.get("ls_step", last) >= last:
                    st.session_state["ls_step"] = 0
                st.session_state["ls_playing"] = playing = True
    with c_slider:
        step = st.slider("Step", 0, max(last, 1), key="ls_step")
    return step, playing


@st.fragment
def step_through() -> None:
    """The step slider, Play/Pause and everything drawn at the current step. A fragment: a
    step (or a frame of Play) reruns only this, and each frame's charts are kept once drawn."""
    step, playing = play_and_step()
    upto = L.at_step(path_df, step)
    now = L.current_points(path_df, step)
    runs = list(now["run"])
    detail_run(runs)
    # the chart beside the chosen run's curvature (a map near its true aspect, so the
    # eigenvector directions look as perpendicular as they are); classroom: one under the other
    c_chart, c_side = st.columns([3, 2]) if not classroom else (st.container(),
                                                                st.container())
    with c_side:
        run_name = st.selectbox("Run in detail", runs, key=DETAIL,
                                help="Its curvature (here), its trials and its gradient check "
                                     "(below); on the chart, its curvature directions (2-D) "
                                     "or the parabola that fits at its point (1-D).")
        point = now.loc[now["run"] == run_name, list(fn.param_names)].iloc[0].tolist()
        cv = L.curvature(fn, point)
        where = ", ".join(f"{v:.4g}" for v in point)
        st.markdown(f"**Curvature at its point ({where})** — "
                    + ("the Hessian's eigenvalues λ1 ≤ λ2 and their directions:"
                       if fn.dim == 2 else "the second derivative:"))
        st.markdown(curvature_lines(cv))
        for note in curvature_notes(cv):
            st.markdown(note)
    trials = (compute_trials(version.CODE, fn_name, tuple(starts), tuple(opts), float(lr), int(steps),
                             method_items, int(step)) if has_methods else None)
    view = (setup_key, step, height, classroom, run_name)
    with c_chart:
        if fn.dim == 1:
            model = L.quadratic_model(fn, point)
            render.chart(st, ("ls-curve", *view), lambda: lc.curve_chart(
                shape_df, upto, now, minima_df, x=fn.param_names[0], height=height,
                big=classroom, trials=trials, model=model))
        else:
            axes = L.curvature_axes(fn, point, cv)
            render.chart(st, ("ls-contour", *view),
                         lambda: lc.contour_chart(shape_df, upto, now, minima_df,
                                                  names=fn.param_names, height=height + 60,
                                                  big=classroom, trials=trials, axes=axes))
        st.caption(chart_caption(trials, run_name, step))

    # classroom: one thing across the page at a time (big text needs the width)
    left, right = st.columns(2) if not classroom else (st.container(), st.container())
    with left:
        st.subheader("Loss per step")
        render.chart(st, ("ls-loss", setup_key, step, classroom), lambda: lc.loss_steps_chart(
            path_df, step, height=320 if classroom else 240, big=classroom))
    with right:
        st.subheader(f"Where each run is at step {step}")
        table(st, now[["run", *fn.param_names, "loss", "behaviour"]],
              labels={"behaviour": "the whole run"})
        st.caption("“the whole run”: what the run does over all its steps (converged, "
                   "oscillating or diverging), not the engine's “completed”, which only says "
                   "that it used its step budget.")

    if trials is not None:  # --- the chosen run's trials at this step ---
        st.subheader(f"Trials of step {step}: {run_name}")
        trial_section(trials, run_name, step)

    gradient_section(point, run_name)
    if playing:
        time.sleep(0.12)
        st.rerun(scope="fragment")


def gradient_section(point: list[float], run_name: str) -> None:
    """Numeric against analytic gradient at the chosen run's current point."""
    st.subheader("Numeric vs analytic gradient at the current point")
    g1, g2 = st.columns([3, 1]) if not classroom else (st.container(), st.container())
    if classroom:  # the setting above the table, which gets the page's width
        g1, g2 = g2, g1
    with g2:  # h is a setting: in classroom mode the one last chosen
        if classroom:
            h = st.session_state.get(H_SETTING, 1e-5)
        else:
            h = st.select_slider("Central-difference step h", H_CHOICES,
                                 key=seeded("ls_h", st.session_state.get(H_SETTING, 1e-5)),
                                 format_func=lambda v: f"{v:.0e}")
            st.session_state[H_SETTING] = h
    check = L.gradient_check(fn, point, h)
    with g1:
        where = ", ".join(f"{n} = {v:.6g}" for n, v in zip(fn.param_names, point, strict=True))
        st.caption(f"{run_name}, at {where} — numeric = (f(p + h·e) − f(p − h·e)) / 2h with "
                   f"h = {h:.0e}. "
                   "Error bound: how far central differences can be off at this h (truncation "
                   "h²·|f‴|/6 plus rounding ≈ eps·|f|/h). Verdict: “agree” when the difference "
                   "is within the error bound, “both ≈ 0” when both gradients are (at a "
                   "minimum), “differ” otherwise. Relative difference = |difference| / "
                   "max(|analytic|, |numeric|, error bound): not the meaningless ≈ 1 of two "
                   "gradients that are both ≈ 0.")
        table(st, check, {"analytic": "%.8g", "numeric": "%.8g", "abs_diff": "%.2e",
                          "error_bound": "%.2e", "rel_diff": "%.2e"},
              {"abs_diff": "|difference|", "error_bound": "error bound",
               "rel_diff": "relative difference"})


def chart_caption(trials, run_name: str, step: int) -> str:
    """What the marks on the main chart mean (and which trials fell off it)."""
    parts = []
    if trials is None:
        parts.append("Add “line search (Armijo)” or “Newton's method” to the runs (sidebar) to "
                     "see how each of their steps picks its length.")
    elif step == 0:
        parts.append("Step 0 is the start: move the slider to see a step's trial points.")
    else:
        along = ("the dashed line from the step's start is the sufficient-decrease line (a "
                 "trial is accepted when the curve lies under it)" if fn.dim == 1 else
                 "the dashed segment runs from the step's start along the search direction "
                 "(−gradient for the line search, the Newton direction for Newton)")
        parts.append(f"Trial points of step {step}: × rejected (the loss did not fall enough), "
                     f"● accepted; {along}.")
        off = L.trials_off_window(fn, trials)
        if off:
            parts.append("Off the chart: " + "; ".join(
                f"{n} trial{'s' if n > 1 else ''} of {run}" for run, n in off.items()) + ".")
    if fn.dim == 2:
        parts.append(f"White segments: the directions of the Hessian's eigenvectors at "
                     f"{run_name}'s point, λ1 and λ2 — solid where the loss curves up, dashed "
                     "where it curves down; drawn the same length (the eigenvalues, beside the "
                     "chart, say how strongly).")
    else:
        parts.append(f"Dashed grey: the parabola that fits the curve at {run_name}'s point (its "
                     "value, slope and curvature there), the model Newton's method steps on.")
    return " ".join(parts)


def trial_section(trials, run_name: str, step: int) -> None:
    """The chosen run's trials at this step, or why there are none."""
    method = path_df.loc[path_df["run"] == run_name, "method"].iloc[0]
    if method == "gd":
        st.caption("An optimizer takes its step at the learning rate, without trials: pick a "
                   "line-search or Newton run above.")
        return
    if step == 0:
        st.caption("Step 0 is the start: move the slider to see a step's trials.")
        return
    mine = trials[trials["run"] == run_name]
    if mine.empty:
        st.caption(f"{run_name} had stopped before step {step}.")
        return
    first = mine.iloc[0]
    start = ", ".join(f"{first[f'from_{n}']:.5g}" for n in fn.param_names)
    shown = mine[["trial", "t", *fn.param_names, "loss", "needed", "outcome"]]
    table(st, shown, {"t": "%.4g", "loss": "%.6g", "needed": "%.6g"},
          {"t": "step t", "needed": "needed: loss ≤"})
    armijo = ("loss(p + t·d) ≤ loss(p) + c·t·gᵀd, d = −gradient" if method == "line_search"
              else "loss(p + t·d) ≤ loss(p) + c·t·gᵀd (up to the loss's rounding), d the "
                   "Newton direction")
    note = (f"From ({start}), loss {first['from_loss']:.6g}: each trial is accepted when "
            f"{armijo}; a rejected step t is cut by the shrink factor.")
    if method == "newton":
        at = L.curvature(fn, [float(first[f"from_{n}"]) for n in fn.param_names])
        lams = ", ".join(f"{v:.4g}" for v in at.values)
        name = "the curvatures" if fn.dim == 2 else "f″"
        delta = settings["newton"]["min_curvature"]
        if int(first["changed"]) == 0:
            note += (f" There {name} ({lams}) were all ≥ δ = {delta:g}: d = −H⁻¹·gradient, "
                     "the plain Newton step.")
        else:
            note += (f" There {name} ({lams}) were not all ≥ δ = {delta:g}: a negative one is "
                     "used as |λ| (turned round), a tiny one as δ, so d is not the plain "
                     "Newton step −H⁻¹·gradient (which heads for a saddle or a hilltop, or "
                     "flies off where the curvature is tiny) and still goes downhill.")
    st.caption(note)


step_through()

# --- basins of attraction (1-D) ---
if fn.dim == 1 and len(fn.minima) > 1:
    st.subheader("Basins of attraction")
    st.caption("Every dot is a starting point, coloured by the minimum the chosen optimizer or "
               "method reaches from it (1,000 steps or until the gradient vanishes).")
    lo_w, hi_w = fn.window[0]
    kept = st.session_state.setdefault(SETTINGS, {}).setdefault(fn_name, {})
    basin = {"range": (lo_w, hi_w), "n": 61, "opt": opts[0], **kept.get("basins", {})}
    if basin["opt"] not in opts:
        basin["opt"] = opts[0]
    if classroom:  # the settings last chosen, shown, not editable
        (b_lo, b_hi), n_b, b_opt = basin["range"], basin["n"], basin["opt"]
        rate = (f"learning rate {lr:g}" if b_opt not in settings
                else f"{FIRSTS[b_opt]} {settings[b_opt]['lr']:g}")
        st.caption(f"{n_b} starts from {b_lo:g} to {b_hi:g} · {entry_title(b_opt)} · {rate}")
    else:
        b1, b2, b3 = st.columns(3)
        b_lo, b_hi = b1.slider("Start interval", lo_w, hi_w,
                               key=seeded(f"ls_b_range_{fn_name}", tuple(basin["range"])))
        n_b = b2.slider("Number of starts", 5, 201, key=seeded(f"ls_b_n_{fn_name}", basin["n"]))
        if st.session_state.get("ls_b_opt") not in opts:
            st.session_state["ls_b_opt"] = basin["opt"]
        b_opt = b3.selectbox("Optimizer or method", opts, key="ls_b_opt",
                             format_func=entry_title)
        kept["basins"] = {"range": (b_lo, b_hi), "n": n_b, "opt": b_opt}
    b_lr = float(lr)
    try:
        bas = compute_basins(version.CODE, fn_name, float(b_lo), float(b_hi), int(n_b), b_opt, b_lr,
                             method_items if b_opt in settings else ())
    except gdcore.GDError as err:
        st.error(text.md(err))
    else:
        hump = L.hump(fn)
        b_height = 320 if classroom else 260
        render.chart(st, ("ls-basins", fn_name, float(b_lo), float(b_hi), int(n_b), b_opt, b_lr,
                          method_items if b_opt in settings else (), b_height, classroom),
                     lambda: lc.basin_chart(
            shape_df, bas, minima_df, hump=hump, height=b_height, big=classroom))
        counts = bas["minimum"].value_counts()
        m_g, m_l = (m for m in sorted(fn.minima, key=lambda m: not m.is_global))
        c1, c2, c3 = st.columns(3)  # short labels: a projector's big font must not cut them
        c1.metric("→ global min", int(counts.get("global", 0)),
                  help=f"starts that end at the global minimum, w ≈ {m_g.params[0]:.3f}")
        c2.metric("→ local min", int(counts.get("local", 0)),
                  help=f"starts that end at the local minimum, w ≈ {m_l.params[0]:.3f}")
        c3.metric("→ neither", int(counts.get("none", 0)),
                  help="starts that diverged or stopped away from both minima")
        st.caption(f"Global minimum at w ≈ {m_g.params[0]:.3f}, local minimum at "
                   f"w ≈ {m_l.params[0]:.3f}; the hump between their basins (f′ = 0, a maximum) "
                   f"at w ≈ {hump:.3f}.")

