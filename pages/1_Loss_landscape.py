"""Loss landscape: several runs on a 1-D curve or a 2-D surface, stepped through or played;
basins of attraction; numeric vs analytic gradient at the current point."""

import time

import streamlit as st

import gdcore
from gdcore import landscape as L
from ui import landscape_charts as lc
from ui import render
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

if classroom:
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
    st.session_state.setdefault(SETTINGS, {})[fn_name] = {
        "starts": starts_text, "opts": opts, "lr": lr, "steps": steps}

try:
    starts = L.parse_points(starts_text, fn.dim)
    if not opts:
        raise gdcore.ConfigError("optimizers: choose at least one")
    path_df = compute_paths(fn_name, tuple(starts), tuple(opts), float(lr), int(steps))
except gdcore.GDError as err:
    st.error(str(err))
    st.stop()

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
        render.chart(st, ("ls-curve", setup_key, step, height), lambda: lc.curve_chart(
            shape_df, upto, now, minima_df, x=fn.param_names[0], height=height))
    else:
        render.chart(st, ("ls-contour", setup_key, step, height), lambda: lc.contour_chart(
            shape_df, upto, now, minima_df, names=fn.param_names, height=height + 60))

    left, right = st.columns(2)
    with left:
        st.subheader("Loss per step")
        render.chart(st, ("ls-loss", setup_key, step), lambda: lc.loss_steps_chart(
            path_df, step, height=240))
    with right:
        st.subheader(f"Where each run is at step {step}")
        show = now[["run", "status", *fn.param_names, "loss"]]
        st.dataframe(show, hide_index=True, width="stretch", column_config={
            c: st.column_config.NumberColumn(format="%.6g") for c in (*fn.param_names, "loss")})

    # --- numeric vs analytic gradient at the current point ---
    st.subheader("Numeric vs analytic gradient at the current point")
    g1, g2 = st.columns([2, 1])
    with g2:
        run_name = st.selectbox("Run", list(now["run"]), key="ls_grad_run")
        h = st.select_slider("Central-difference step h", [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6,
                                                           1e-7, 1e-8, 1e-10], value=1e-5,
                             key="ls_h", format_func=lambda v: f"{v:.0e}")
    point = now.loc[now["run"] == run_name, list(fn.param_names)].iloc[0].tolist()
    check = L.gradient_check(fn, point, h)
    with g1:
        where = ", ".join(f"{n} = {v:.6g}" for n, v in zip(fn.param_names, point, strict=True))
        st.caption(f"at {where}"
                   + f" — numeric = (f(p + h·e) − f(p − h·e)) / 2h with h = {h:.0e}")
        st.dataframe(check, hide_index=True, width="stretch", column_config={
            "analytic": st.column_config.NumberColumn(format="%.10g"),
            "numeric": st.column_config.NumberColumn(format="%.10g"),
            "abs_diff": st.column_config.NumberColumn(format="%.3e"),
            "rel_diff": st.column_config.NumberColumn(format="%.3e")})
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
    if classroom:
        (b_lo, b_hi), n_b, b_opt, b_lr = (lo_w, hi_w), 61, opts[0], float(lr)
    else:
        b1, b2, b3 = st.columns(3)
        b_lo, b_hi = b1.slider("Start interval", lo_w, hi_w, (lo_w, hi_w), key="ls_b_range")
        n_b = b2.slider("Number of starts", 5, 201, 61, key="ls_b_n")
        b_opt = b3.selectbox("Optimizer", opts, key="ls_b_opt")
        b_lr = float(lr)
    try:
        bas = compute_basins(fn_name, float(b_lo), float(b_hi), int(n_b), b_opt, b_lr)
    except gdcore.GDError as err:
        st.error(str(err))
    else:
        hump = L.hump(fn)
        b_height = 320 if classroom else 260
        render.chart(st, ("ls-basins", fn_name, float(b_lo), float(b_hi), int(n_b), b_opt, b_lr,
                          b_height), lambda: lc.basin_chart(shape_df, bas, minima_df, hump=hump,
                                                            height=b_height))
        counts = bas["minimum"].value_counts()
        m_g, m_l = (m for m in sorted(fn.minima, key=lambda m: not m.is_global))
        c1, c2, c3 = st.columns(3)
        c1.metric(f"→ global minimum (w ≈ {m_g.params[0]:.3f})", int(counts.get("global", 0)))
        c2.metric(f"→ local minimum (w ≈ {m_l.params[0]:.3f})", int(counts.get("local", 0)))
        c3.metric(f"hump (f′ = 0, maximum) at w ≈ {hump:.3f}", int(counts.get("none", 0)),
                  help="the count here is the starts that reached neither minimum")

