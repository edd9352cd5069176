"""Loss landscape: several runs on a 1-D curve or a 2-D surface, stepped through or played;
basins of attraction; numeric vs analytic gradient at the current point."""

import time

import pandas as pd
import streamlit as st

import gdcore
from gdcore import landscape as L
from ui import landscape_charts as lc
from ui import render, results
from ui.classroom import apply_classroom, seeded
from ui.results import start_accelerator

st.set_page_config(page_title="Loss landscape · Gradient Descent Lab", layout="wide")
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
SETTINGS = "_landscape_settings"  # plain session key: survives classroom mode hiding widgets
H_SETTING = "_landscape_h"
H_CHOICES = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-10]


def table(container, df: pd.DataFrame, formats: dict[str, str] | None = None,
          labels: dict[str, str] | None = None, wide=()) -> None:
    """A table: floats with 5 significant digits (``formats``: printf per column), readable
    column names (``labels``), text columns wide enough (``wide``: the widest). In classroom
    mode an HTML table, whose text follows the projector stylesheet."""
    labels = labels or {}
    if classroom:
        container.table(results.rounded(df).rename(columns=labels), hide_index=True)
        return
    config = {}
    for c in df.columns:
        name = labels.get(c, c)
        if pd.api.types.is_float_dtype(df[c]):
            config[c] = st.column_config.NumberColumn(name, format=(formats or {}).get(c, "%.5g"))
        elif pd.api.types.is_integer_dtype(df[c]):
            config[c] = st.column_config.NumberColumn(name, format="%d")
        else:
            config[c] = st.column_config.TextColumn(name, width="medium" if c in wide else None)
    container.dataframe(df, hide_index=True, width="stretch", column_config=config)


@st.cache_data(max_entries=64, show_spinner=False)
def compute_paths(fn_name: str, starts: tuple, opts: tuple, lr: float, steps: int):
    fn = gdcore.FUNCTIONS[fn_name]
    return L.paths(fn, starts, opts, {"epochs": steps, "optimizer": {"lr": lr},
                                      "max_points": steps + 2})


@st.cache_data(max_entries=16, show_spinner=False)
def compute_basins(fn_name: str, lo: float, hi: float, n: int, opt: str, lr: float):
    fn = gdcore.FUNCTIONS[fn_name]
    return L.basins(fn, L.start_grid(lo, hi, n), {"epochs": 1000, "tol_grad": 1e-9,
                                 "optimizer": {"name": opt, "lr": lr}})


@st.cache_data(max_entries=16, show_spinner=False)
def compute_shape(fn_name: str):
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

if classroom:  # what is shown, never a control that changes it
    starts_text = saved.get("starts", d_starts)
    opts = saved.get("opts", d_opts)
    lr, steps = saved.get("lr", d_lr), saved.get("steps", d_steps)
else:
    with st.sidebar:
        st.header("Runs")
        hint = "e.g. -3, 0.5, 3" if fn.dim == 1 else "w1 w2 per point, points split by ';'"
        starts_text = st.text_input("Starting points", help=hint, key=seeded(
            f"ls_starts_{fn_name}", saved.get("starts", d_starts)))
        opts = st.multiselect("Optimizers", OPTIMIZERS, key=seeded(
            f"ls_opts_{fn_name}", saved.get("opts", d_opts)))
        lr = st.number_input("Learning rate", min_value=1e-6, max_value=10.0, format="%.4g",
                             key=seeded(f"ls_lr_{fn_name}", float(saved.get("lr", d_lr))))
        steps = st.slider("Steps", 5, 1000, key=seeded(f"ls_nsteps_{fn_name}",
                                                       int(saved.get("steps", d_steps))))
    st.session_state.setdefault(SETTINGS, {}).setdefault(fn_name, {}).update(
        starts=starts_text, opts=opts, lr=lr, steps=steps)

try:
    starts = L.parse_points(starts_text, fn.dim)
    if not opts:
        raise gdcore.ConfigError("optimizers: choose at least one")
    path_df = compute_paths(fn_name, tuple(starts), tuple(opts), float(lr), int(steps))
except gdcore.GDError as err:
    st.error(str(err))
    st.stop()
if classroom:  # the settings in use (as numbers: no typed text is shown)
    where = "; ".join("(" + ", ".join(f"{v:g}" for v in p) + ")" for p in starts)
    st.caption(f"Starting points {where} · {', '.join(opts)} · learning rate {float(lr):g} · "
               f"{int(steps)} steps")

shape_df, minima_df = compute_shape(fn_name)
last = int(path_df["step"].max())
height = 560 if classroom else 400
setup_key = render.digest(fn_name, tuple(starts), tuple(opts), float(lr), int(steps))


@st.fragment
def step_through() -> None:
    """The step slider, Play/Pause and everything drawn at the current step. A fragment: a
    step (or a frame of Play) reruns only this, and each frame's charts are kept once drawn."""
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

    upto = L.at_step(path_df, step)
    now = L.current_points(path_df, step)
    if fn.dim == 1:
        render.chart(st, ("ls-curve", setup_key, step, height, classroom), lambda: lc.curve_chart(
            shape_df, upto, now, minima_df, x=fn.param_names[0], height=height, big=classroom))
    else:
        render.chart(st, ("ls-contour", setup_key, step, height, classroom),
                     lambda: lc.contour_chart(shape_df, upto, now, minima_df,
                                              names=fn.param_names, height=height + 60,
                                              big=classroom))

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

    # --- numeric vs analytic gradient at the current point ---
    st.subheader("Numeric vs analytic gradient at the current point")
    g1, g2 = st.columns([3, 1]) if not classroom else (st.container(), st.container())
    if classroom:  # the run picker above the table, which gets the page's width
        g1, g2 = g2, g1
    with g2:  # the run is a view; h is a setting: in classroom mode the one last chosen
        run_name = st.selectbox("Run", list(now["run"]), key="ls_grad_run")
        if classroom:
            h = st.session_state.get(H_SETTING, 1e-5)
        else:
            h = st.select_slider("Central-difference step h", H_CHOICES,
                                 key=seeded("ls_h", st.session_state.get(H_SETTING, 1e-5)),
                                 format_func=lambda v: f"{v:.0e}")
            st.session_state[H_SETTING] = h
    point = now.loc[now["run"] == run_name, list(fn.param_names)].iloc[0].tolist()
    check = L.gradient_check(fn, point, h)
    with g1:
        where = ", ".join(f"{n} = {v:.6g}" for n, v in zip(fn.param_names, point, strict=True))
        st.caption(f"at {where} — numeric = (f(p + h·e) − f(p − h·e)) / 2h with h = {h:.0e}. "
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
    if playing:
        time.sleep(0.12)
        st.rerun(scope="fragment")


step_through()

# --- basins of attraction (1-D) ---
if fn.dim == 1 and len(fn.minima) > 1:
    st.subheader("Basins of attraction")
    st.caption("Every dot is a starting point, coloured by the minimum gradient descent reaches "
               "from it (1,000 steps or until the gradient vanishes).")
    lo_w, hi_w = fn.window[0]
    kept = st.session_state.setdefault(SETTINGS, {}).setdefault(fn_name, {})
    basin = {"range": (lo_w, hi_w), "n": 61, "opt": opts[0], **kept.get("basins", {})}
    if basin["opt"] not in opts:
        basin["opt"] = opts[0]
    if classroom:  # the settings last chosen, shown, not editable
        (b_lo, b_hi), n_b, b_opt = basin["range"], basin["n"], basin["opt"]
        st.caption(f"{n_b} starts from {b_lo:g} to {b_hi:g} · {b_opt} · learning rate {lr:g}")
    else:
        b1, b2, b3 = st.columns(3)
        b_lo, b_hi = b1.slider("Start interval", lo_w, hi_w,
                               key=seeded(f"ls_b_range_{fn_name}", tuple(basin["range"])))
        n_b = b2.slider("Number of starts", 5, 201, key=seeded(f"ls_b_n_{fn_name}", basin["n"]))
        if st.session_state.get("ls_b_opt") not in opts:
            st.session_state["ls_b_opt"] = basin["opt"]
        b_opt = b3.selectbox("Optimizer", opts, key="ls_b_opt")
        kept["basins"] = {"range": (b_lo, b_hi), "n": n_b, "opt": b_opt}
    b_lr = float(lr)
    try:
        bas = compute_basins(fn_name, float(b_lo), float(b_hi), int(n_b), b_opt, b_lr)
    except gdcore.GDError as err:
        st.error(str(err))
    else:
        hump = L.hump(fn)
        b_height = 320 if classroom else 260
        render.chart(st, ("ls-basins", fn_name, float(b_lo), float(b_hi), int(n_b), b_opt, b_lr,
                          b_height, classroom), lambda: lc.basin_chart(
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

