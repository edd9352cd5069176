"""Lessons: one short page per idea, each with a live demo computed by gdcore (no typed-in
numbers)."""

import streamlit as st

import gdcore
from gdcore import landscape as L
from gdcore import lessons as G
from ui import landscape_charts as lc
from ui import lesson_charts as cc
from ui import render
from ui.classroom import apply_classroom
from ui.results import start_accelerator

st.set_page_config(page_title="Lessons · Gradient Descent Lab", layout="wide")
classroom = apply_classroom()
start_accelerator()
H = 420 if classroom else 300
QUAD = gdcore.FUNCTIONS["quadratic"]
WELL = gdcore.FUNCTIONS["double_well"]


def control(widget, label, *args, key, default, **kwargs):
    """An editing control, or its default in classroom mode (controls hidden)."""
    if classroom:
        return default
    return widget(label, *args, value=default, key=key, **kwargs)


def lesson_cycle() -> None:
    st.markdown("Every step of gradient descent is the same three moves on "
                f"**L(w) = {QUAD.title}**: **1. loss** — evaluate L at w; **2. gradient** — "
                "the slope dL/dw = 2(w − 4); **3. update** — step downhill, w ← w − lr·dL/dw.")
    c1, c2, b1, b2 = st.columns([2, 3, 1, 1], vertical_alignment="bottom")
    with c1:
        w0 = control(st.number_input, "Start w", key="cy_w0", default=-1.0, step=0.5)
    with c2:
        lr = control(st.slider, "Learning rate", 0.01, 1.0, key="cy_lr", default=0.1)
    k = st.session_state.setdefault("cy_k", 1)
    if b1.button("Next step ▶", key="cy_next"):
        k = st.session_state["cy_k"] = min(k + 1, 30)
    if b2.button("Reset", key="cy_reset"):
        k = st.session_state["cy_k"] = 1
    steps = G.cycle_steps(w0, lr, k)
    row = steps.iloc[-1]
    st.markdown(
        f"**Step {int(row.step)}**  \n"
        f"1. loss: L({row.w:.6g}) = ({row.w:.6g} − 4)² + 2 = **{row.loss:.6g}**  \n"
        f"2. gradient: 2·({row.w:.6g} − 4) = **{row.gradient:.6g}**  \n"
        f"3. update: w ← {row.w:.6g} − {lr:g}·({row.gradient:.6g}) = **{row.w_new:.6g}**")
    left, right = st.columns([3, 2])
    with left:
        render.chart(st, ("cycle", w0, lr, k, H),
                     lambda: cc.cycle_chart(L.curve(QUAD), G.cycle_points(steps), height=H))
    with right:
        st.dataframe(steps, hide_index=True, width="stretch")
    first = G.first_update(-1.0, 0.1)
    st.success(f"Worked example: from w = {first['w']:g} with lr 0.1 the gradient is "
               f"{first['gradient']:g}, so the first update gives w = {first['w_new']:.1f}.")


def lesson_modes() -> None:
    st.markdown("With two parameters, **simultaneous** update computes both gradients at the old "
                "(w, b), then moves both. **Sequential** moves w first and computes b's gradient "
                "at the *new* w: a different algorithm with a different path.")
    lr = control(st.slider, "Learning rate", 0.005, 0.1, key="md_lr", default=0.05)
    first = G.first_step_by_mode(lr)
    st.dataframe(first, hide_index=True, width="stretch")
    sim, seq = first.iloc[0], first.iloc[1]
    st.markdown(f"From (0, 0) both take w to **{sim.w:.5g}**; b's gradient is "
                f"**{sim.grad_b:.5g}** at the old w but **{seq.grad_b:.5g}** at the new one, "
                f"so b goes to **{sim.b:.5g}** (simultaneous) vs **{seq.b:.5g}** (sequential).")
    render.chart(st, ("modes", lr, H), lambda: cc.plane_chart(
        G.update_modes(lr, 30), optimum=G.demo_optimum(), height=H))


def lesson_lr() -> None:
    st.markdown(f"On **{QUAD.title}** each step multiplies w − 4 by **1 − 2·lr**: too small "
                "crawls, a good one converges fast, a large one overshoots back and forth, "
                "and past lr = 1 every overshoot is bigger than the last.")
    choices = [0.01, 0.05, 0.1, 0.5, 0.9, 1.0, 1.05]
    lrs = (G.LR_EXAMPLES if classroom else
           st.multiselect("Learning rates", choices, default=[0.01, 0.1, 0.9, 1.05], key="lr_pick"))
    if not lrs:
        st.error("Choose at least one learning rate.")
        return
    hist, summary = G.lr_runs(lrs, 50)
    render.chart(st, ("lr", tuple(lrs), H), lambda: cc.lines_chart(
        hist, "step", "w", "lr", y_title="w", y_domain=(-3, 11), points=True, reference=4.0,
        reference_text="minimum w = 4", height=H))
    st.dataframe(summary, hide_index=True, width="stretch")
    _, ref = G.lr_runs((0.01, 0.9), 50)
    small, big = ref.iloc[0], ref.iloc[1]
    st.success(f"Worked example, 50 steps from w = −1: lr 0.01 ends at w ≈ {small.final_w:.4f} "
               f"(still far from 4); lr 0.9 multiplies w − 4 by {big.factor:.1f} each step, so "
               f"it {'oscillates around 4' if big.oscillates else 'does not oscillate'} and "
               f"still converges: w = {big.final_w:.6g}.")


def lesson_batches() -> None:
    st.markdown("The **full batch** gradient is exact; a **mini-batch** estimates it from a few "
                "rows; **stochastic** (one row) is the noisiest. Same epochs, very different "
                "paths: the full-data loss after each update.")
    c1, c2 = st.columns(2)
    with c1:
        lr = control(st.slider, "Learning rate", 0.001, 0.05, key="bt_lr", default=0.02,
                     format="%.3f")
    with c2:
        bs = control(st.slider, "Mini-batch size", 2, 50, key="bt_bs", default=10)
    hist = G.batch_noise(lr, 20, bs)
    render.chart(st, ("batches", lr, bs, H), lambda: cc.lines_chart(
        hist, "epoch", "loss", "method", log_y=True, y_title="full-data loss (log)", height=H))
    st.dataframe(hist.groupby("method", sort=False).tail(1), hide_index=True, width="stretch")


def lesson_restarts() -> None:
    st.markdown(f"**{WELL.title}** has a global minimum and a local one. Gradient descent stops "
                "in whichever basin it starts in; **restarting** from several random points and "
                "keeping the best is a simple cure.")
    c1, c2 = st.columns(2)
    with c1:
        n = control(st.slider, "Restarts", 1, 30, key="rs_n", default=8)
    with c2:
        seed = control(st.number_input, "Seed", 0, 10_000, key="rs_seed", default=0)
    df = G.restarts(n, seed)
    render.chart(st, ("restarts", n, seed, H), lambda: lc.basin_chart(
        L.curve(WELL), df, L.minima_frame(WELL), hump=L.hump(WELL), height=H))
    best = df.loc[df["final_loss"].idxmin()]
    hits = int((df["minimum"] == "global").sum())
    st.success(f"{hits} of {len(df)} restarts reached the global minimum; the best ends at "
               f"w = {best.final_w:.4f} with loss {best.final_loss:.4f}.")
    st.dataframe(df, hide_index=True, width="stretch")


def lesson_clipping() -> None:
    st.markdown(f"On **{WELL.title}** the slope at w = 4 is huge: one plain step flies far past "
                "the minimum, where the slope is even larger, and the run explodes. "
                "**Clipping** caps the gradient's norm, so the first steps are short and safe.")
    max_norm = control(st.slider, "Clip the gradient norm at", 1.0, 50.0, key="cl_c",
                       default=10.0)
    hist, summary = G.clipping_demo(max_norm)
    render.chart(st, ("clipping", max_norm, H), lambda: cc.lines_chart(
        hist, "step", "w", "run", y_domain=(-4, 5), points=True,
        y_title="w (clipped to the view)", height=H))
    st.dataframe(summary, hide_index=True, width="stretch")


def lesson_schedules() -> None:
    st.markdown("Stochastic steps never stop jittering with a constant learning rate: the loss "
                "stalls at a noise floor. A **schedule that decays the step** lets the run "
                "settle closer to the minimum.")
    lr = control(st.slider, "Starting learning rate", 0.005, 0.1, key="sc_lr", default=0.05)
    hist = G.schedule_demo(lr, 20)
    c1, c2 = st.columns(2)
    with c1:
        render.chart(st, ("schedules-excess", lr, H), lambda: cc.lines_chart(
            hist, "epoch", "excess", "schedule", log_y=True,
            y_title="loss above the minimum (log)", height=H))
    with c2:
        render.chart(st, ("schedules-lr", lr, H), lambda: cc.lines_chart(
            hist, "epoch", "lr", "schedule", log_y=True, y_title="learning rate (log)",
            height=H))
    st.dataframe(hist.groupby("schedule", sort=False).tail(1), hide_index=True, width="stretch")


LESSONS = {
    "1 · The three-step cycle": lesson_cycle,
    "2 · Simultaneous vs sequential update": lesson_modes,
    "3 · Learning rate: too small, right, too large": lesson_lr,
    "4 · Batch vs stochastic vs mini-batch": lesson_batches,
    "5 · Local minima and restarts": lesson_restarts,
    "6 · Exploding steps tamed by clipping": lesson_clipping,
    "7 · Schedules that decay the step": lesson_schedules,
}

st.title("Lessons")
name = st.selectbox("Lesson", list(LESSONS), key="lesson")
st.header(name.split("·", 1)[1].strip())
try:
    LESSONS[name]()
except gdcore.GDError as err:
    st.error(str(err))
