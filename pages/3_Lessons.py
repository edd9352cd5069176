"""Lessons: one short page per idea, each with a live demo computed by gdcore (no typed-in
numbers)."""

import pandas as pd
import streamlit as st

import gdcore
from gdcore import landscape as L
from gdcore import lessons as G
from ui import landscape_charts as lc
from ui import lesson_charts as cc
from ui import render, results
from ui.classroom import apply_classroom, seeded
from ui.results import start_accelerator

st.set_page_config(page_title="Lessons · Gradient Descent Lab", layout="wide")
classroom = apply_classroom()
start_accelerator()
H = 420 if classroom else 300
QUAD = gdcore.FUNCTIONS["quadratic"]
WELL = gdcore.FUNCTIONS["double_well"]
SETTINGS = "_lesson_settings"  # plain session key: the values survive classroom mode
LR_STEPS = 50  # lesson 3: updates per run
EPOCHS = 20  # lessons 4 and 7


def control(widget, label, *args, key, default, **kwargs):
    """An editing control; in classroom mode (controls hidden) the value it last had, else
    its default. The value is kept in a plain session key: a widget that is not drawn loses
    its own state."""
    saved = st.session_state.setdefault(SETTINGS, {})
    if classroom:
        return saved.get(key, default)
    value = widget(label, *args, key=seeded(key, saved.get(key, default)), **kwargs)
    saved[key] = value
    return value


def table(df: pd.DataFrame, formats: dict[str, str] | None = None,
          labels: dict[str, str] | None = None, wide=()) -> None:
    """A table: floats with 4 significant digits (``formats``: printf per column), readable
    column names (``labels``), text columns wide enough (``wide``: the widest). In classroom
    mode an HTML table, whose text follows the projector stylesheet."""
    labels = labels or {}
    if classroom:
        st.table(results.rounded(df).rename(columns=labels), hide_index=True)
        return
    config = {}
    for c in df.columns:
        name = labels.get(c, c)
        if pd.api.types.is_bool_dtype(df[c]):
            config[c] = st.column_config.CheckboxColumn(name)
        elif pd.api.types.is_integer_dtype(df[c]):
            config[c] = st.column_config.NumberColumn(name, format="%d")
        elif pd.api.types.is_float_dtype(df[c]):
            config[c] = st.column_config.NumberColumn(name, format=(formats or {}).get(c, "%.4g"))
        else:
            config[c] = st.column_config.TextColumn(name, width="medium" if c in wide else None)
    st.dataframe(df, hide_index=True, width="stretch", column_config=config)


def lesson_cycle() -> None:
    st.markdown("Every step of gradient descent is the same three moves on "
                f"**L(w) = {QUAD.title}**: **1. loss** — evaluate L at w; **2. gradient** — "
                "the slope dL/dw = 2(w − 4); **3. update** — step downhill, w ← w − lr·dL/dw.")
    if classroom:  # the settings as text; wide buttons for the big font
        c1, b1, b2 = st.columns([4, 2, 2], vertical_alignment="bottom")
        w0 = control(st.number_input, "Start w", key="cy_w0", default=-1.0)
        lr = control(st.slider, "Learning rate", 0.01, 1.0, key="cy_lr", default=0.1)
        c1.markdown(f"Start w = **{w0:g}**, learning rate = **{lr:g}**")
    else:
        c1, c2, b1, b2 = st.columns([2, 3, 1, 1], vertical_alignment="bottom")
        with c1:
            w0 = control(st.number_input, "Start w", key="cy_w0", default=-1.0, step=0.5)
        with c2:
            lr = control(st.slider, "Learning rate", 0.01, 1.0, key="cy_lr", default=0.1)
    k = st.session_state.setdefault("cy_k", 1)
    if b1.button("Next step", icon=":material/skip_next:", key="cy_next", width="stretch"):
        k = st.session_state["cy_k"] = min(k + 1, 30)
    if b2.button("Reset", key="cy_reset", width="stretch"):
        k = st.session_state["cy_k"] = 1
    steps = G.cycle_steps(w0, lr, k)
    row = steps.iloc[-1]
    st.markdown(
        f"**Step {int(row.step)}**  \n"
        f"1. loss: L({row.w:.6g}) = ({row.w:.6g} − 4)² + 2 = **{row.loss:.6g}**  \n"
        f"2. gradient: 2·({row.w:.6g} − 4) = **{row.gradient:.6g}**  \n"
        f"3. update: w ← {row.w:.6g} − {lr:g}·({row.gradient:.6g}) = **{row.w_new:.6g}**")
    def draw():
        return cc.cycle_chart(L.curve(QUAD), G.cycle_points(steps), height=H, big=classroom)

    shown = steps[["step", "w", "loss", "gradient", "w_new"]]
    fmt = {c: "%.6g" for c in ("w", "loss", "gradient", "w_new")}
    labels = {"w_new": "new w"}
    if classroom:  # the chart across the page, the table under it
        render.chart(st, ("cycle", w0, lr, k, H, classroom), draw)
        table(shown, fmt, labels)
    else:
        left, right = st.columns([3, 2])
        render.chart(left, ("cycle", w0, lr, k, H, classroom), draw)
        with right:
            table(shown, fmt, labels)
    first = G.first_update(-1.0, 0.1)
    st.success(f"Worked example: from w = {first['w']:g} with lr 0.1 the gradient is "
               f"{first['gradient']:g}, so the first update gives w = {first['w_new']:.1f}.")


def lesson_modes() -> None:
    st.markdown("With two parameters, **simultaneous** update computes both gradients at the old "
                "(w, b), then moves both. **Sequential** moves w first and computes b's gradient "
                "at the *new* w: a different algorithm with a different path.")
    lr = control(st.slider, "Learning rate", 0.005, 0.1, key="md_lr", default=0.05)
    if classroom:
        st.markdown(f"Learning rate **{lr:g}**, full batch, from (w, b) = (0, 0).")
    steps = 30
    first = G.first_step_by_mode(lr)
    table(first, {c: "%.5g" for c in ("grad_w", "grad_b", "w", "b")},
          {"grad_w": "gradient of w", "grad_b": "gradient of b", "w": "new w", "b": "new b"})
    sim, seq = first.iloc[0], first.iloc[1]
    st.markdown(f"From (0, 0) both take w to **{sim.w:.5g}**; b's gradient is "
                f"**{sim.grad_b:.5g}** at the old w but **{seq.grad_b:.5g}** at the new one, "
                f"so b goes to **{sim.b:.5g}** (simultaneous) vs **{seq.b:.5g}** (sequential).")
    paths = G.update_modes(lr, steps)
    optimum = G.demo_optimum()
    render.chart(st, ("modes", lr, H, classroom), lambda: cc.plane_chart(
        paths, optimum=optimum, height=H, big=classroom))
    ends = paths.groupby("mode", sort=False).tail(1).set_index("mode")
    a, b = ends.loc["simultaneous"], ends.loc["sequential"]
    st.caption(f"Framed on the paths after their first step and on the least-squares answer "
               f"(w, b) = ({optimum[0]:.4g}, {optimum[1]:.4g}): the long first step from (0, 0) "
               "comes in from the edge, dashed. After "
               f"{steps} steps simultaneous is at ({a.w:.4g}, {a.b:.4g}) with loss {a.loss:.4g}, "
               f"sequential at ({b.w:.4g}, {b.b:.4g}) with loss {b.loss:.4g}.")


def lesson_lr() -> None:
    st.markdown(f"On **{QUAD.title}** each step multiplies w − 4 by **1 − 2·lr**: too small "
                "crawls, a good one converges fast, a large one overshoots back and forth, "
                "and past lr = 1 every overshoot is bigger than the last.")
    choices = [0.01, 0.05, 0.1, 0.5, 0.9, 1.0, 1.05]
    lrs = control(st.multiselect, "Learning rates", choices, key="lr_pick",
                  default=list(G.LR_EXAMPLES))
    if not lrs:
        st.error("Choose at least one learning rate.")
        return
    lrs = sorted(lrs)
    hist, summary = G.lr_runs(lrs, LR_STEPS)
    render.chart(st, ("lr", tuple(lrs), H, classroom), lambda: cc.lines_chart(
        hist, "step", "w", "lr", y_title="w", y_domain=(-3, 11), points=True, reference=4.0,
        reference_text="minimum w = 4", height=H, big=classroom))
    table(summary[["lr", "factor", "final_w", "behaviour"]],
          {"lr": "%g", "factor": "%g", "final_w": "%.6g"},
          {"factor": "w − 4 is multiplied by", "final_w": f"w after {LR_STEPS} steps"},
          wide=("behaviour",))
    _, ref = G.lr_runs((0.01, 0.9, 1.05), LR_STEPS)
    small, big, wild = ref.iloc[0], ref.iloc[1], ref.iloc[2]
    st.success(f"Worked example, {LR_STEPS} steps from w = −1: lr 0.01 ends at w ≈ {small.final_w:.4f} "
               f"(still far from 4); lr 0.9 multiplies w − 4 by {big.factor:.1f} each step, so "
               f"it {'oscillates around 4' if big.oscillates else 'does not oscillate'} and "
               f"still converges: w = {big.final_w:.6g}. lr 1.05 multiplies it by "
               f"{wild.factor:.2g}: {wild.behaviour}, w = {wild.final_w:.4g} after "
               f"{wild.steps} steps.")


def lesson_batches() -> None:
    st.markdown("The **full batch** gradient is exact; a **mini-batch** estimates it from a few "
                "rows; **stochastic** (one row) is the noisiest. Same epochs, very different "
                "paths: how far the full-data loss is above its minimum after each update.")
    c1, c2 = st.columns(2)
    with c1:
        lr = control(st.slider, "Learning rate", 0.001, 0.05, key="bt_lr", default=0.02,
                     format="%.3f")
    with c2:
        bs = control(st.slider, "Mini-batch size", 2, 50, key="bt_bs", default=10)
    if classroom:
        st.markdown(f"Learning rate **{lr:g}**, mini-batch size **{bs}**, {EPOCHS} epochs.")
    hist = G.batch_noise(lr, EPOCHS, bs)
    render.chart(st, ("batches", lr, bs, H, classroom), lambda: cc.lines_chart(
        hist, "epoch", "excess", "method", log_y=True,
        y_title="loss above the minimum (log)", height=H, big=classroom))
    last = hist.groupby("method", sort=False).tail(1)
    table(last, {"epoch": "%.4g", "loss": "%.5g", "excess": "%.3g"},
          {"step": "updates", "loss": "final loss", "excess": "above the minimum"})


def lesson_restarts() -> None:
    st.markdown(f"**{WELL.title}** has a global minimum and a local one. Gradient descent stops "
                "in whichever basin it starts in; **restarting** from several random points and "
                "keeping the best is a simple cure.")
    c1, c2 = st.columns(2)
    with c1:
        n = control(st.slider, "Restarts", 1, 30, key="rs_n", default=8)
    with c2:
        seed = control(st.number_input, "Seed", 0, 10_000, key="rs_seed", default=0)
    if classroom:
        st.markdown(f"**{n}** random starts (seed {seed}).")
    df = G.restarts(n, seed)
    render.chart(st, ("restarts", n, seed, H, classroom), lambda: lc.basin_chart(
        L.curve(WELL), df, L.minima_frame(WELL), hump=L.hump(WELL), height=H, big=classroom))
    best = df.loc[df["final_loss"].idxmin()]
    hits = int((df["minimum"] == "global").sum())
    st.success(f"{hits} of {len(df)} restarts reached the global minimum; the best ends at "
               f"w = {best.final_w:.4f} with loss {best.final_loss:.4f}.")
    shown = df[["start", "final_w", "final_loss", "minimum", "best"]].sort_values("start")
    table(shown, {"start": "%.3f", "final_w": "%.4f", "final_loss": "%.4f"},
          {"final_w": "ends at w", "final_loss": "final loss", "minimum": "reaches"})


def lesson_clipping() -> None:
    st.markdown(f"On **{WELL.title}** the slope at w = 4 is huge: one plain step flies far past "
                "the minimum, where the slope is even larger, and the run explodes. "
                "**Clipping** caps the gradient's norm, so the first steps are short and safe.")
    max_norm = control(st.slider, "Clip the gradient norm at", 1.0, 50.0, key="cl_c",
                       default=10.0)
    if classroom:
        st.markdown(f"The gradient's norm clipped at **{max_norm:g}**.")
    hist, summary = G.clipping_demo(max_norm)
    render.chart(st, ("clipping", max_norm, H, classroom), lambda: cc.lines_chart(
        hist, "step", "w", "run", y_domain=(-4, 5), points=True,
        y_title="w (clipped to the view)", height=H, big=classroom))
    table(summary[["run", "behaviour", "steps", "final_w"]], {"final_w": "%.5g"},
          {"final_w": "last w"}, wide=("behaviour",))


def lesson_schedules() -> None:
    st.markdown("Stochastic steps never stop jittering with a constant learning rate: the loss "
                "stalls at a noise floor. A **schedule that decays the step** lets the run "
                "settle closer to the minimum. Each point is one epoch: the full-data loss above "
                f"its minimum, averaged over the epoch's {G.demo_data().n} single-row updates "
                "(the jitter averaged out).")
    lr = control(st.slider, "Starting learning rate", 0.005, 0.1, key="sc_lr", default=0.05)
    if classroom:
        st.markdown(f"Starting learning rate **{lr:g}**, batch size 1, {EPOCHS} epochs.")
    per_epoch = G.schedule_epochs(lr, EPOCHS)

    columns = None if classroom else 2  # side by side, each chart is half the page wide

    def draw_loss():
        return cc.lines_chart(per_epoch, "epoch", "mean_excess", "schedule", log_y=True,
                              points=True, y_title="loss above the minimum, epoch mean (log)",
                              height=H, big=classroom, legend_columns=columns)

    def draw_lr():
        return cc.lines_chart(per_epoch, "epoch", "lr", "schedule", log_y=True, points=True,
                              y_title="learning rate (log)", height=H, big=classroom,
                              legend_columns=columns)

    if classroom:
        render.chart(st, ("schedules-excess", lr, H, classroom), draw_loss)
        render.chart(st, ("schedules-lr", lr, H, classroom), draw_lr)
    else:
        c1, c2 = st.columns(2)
        render.chart(c1, ("schedules-excess", lr, H, classroom), draw_loss)
        render.chart(c2, ("schedules-lr", lr, H, classroom), draw_lr)
    summary = G.schedule_summary(per_epoch)
    last = int(summary["epoch"].max()) if len(summary) else EPOCHS
    table(summary.drop(columns="epoch"),
          {"lr": "%.3g", "mean_excess": "%.3g", "vs_constant": "%.3g"},
          {"lr": f"lr in epoch {last}", "mean_excess": f"above the minimum, epoch {last}",
           "vs_constant": "× lower than constant"})
    const = summary[summary["schedule"] == "constant"]
    rest = summary[summary["schedule"] != "constant"]
    if len(const) and len(rest):
        floor = float(const["mean_excess"].iloc[0])
        closer = int((rest["mean_excess"] < floor).sum())
        best = rest.loc[rest["mean_excess"].idxmin()]
        which = ("every decaying schedule is closer" if closer == len(rest)
                 else f"{closer} of {len(rest)} decaying schedules are closer")
        st.success(f"In the last epoch the constant learning rate is still {floor:.3g} above "
                   f"the minimum (its noise floor); {which}, the best, {best.schedule}, at "
                   f"{best.mean_excess:.3g}: {best.vs_constant:.3g} times lower.")


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
