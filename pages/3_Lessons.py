"""Lessons: one short page per idea, each with a live demo computed by gdcore (no typed-in
numbers)."""

import pandas as pd
import streamlit as st

from ui import fresh  # isort: skip (first of the app's modules)

fresh.modules()  # a source changed under the server: import the app anew (ui/fresh.py)

import gdcore
from gdcore.engine.stats import verdict
from lab import landscape as L
from lab import lessons as G
from ui import landscape_charts as lc
from ui import lesson_charts as cc
from ui import nav, render, results, text, version
from ui.classroom import apply_classroom, seeded
from ui.results import start_accelerator
from ui.version import keep_current

st.set_page_config(page_title="Lessons · Gradient Descent Lab", page_icon=nav.ICON,
                   layout="wide")
keep_current()  # first: nothing kept under other code reaches this run (ui/version.py)
nav.links()  # named pages (ui/nav.py)
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
        text.table(st, results.rounded(df).rename(columns=labels), hide_index=True)
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


def side_by_side(key_a: tuple, draw_a, key_b: tuple, draw_b, widths=2) -> None:
    """Two charts (``render.chart`` keys and builders) side by side, or one under the other in
    classroom mode (big text needs the width)."""
    if classroom:
        render.chart(st, key_a, draw_a)
        render.chart(st, key_b, draw_b)
    else:
        left, right = st.columns(widths)
        render.chart(left, key_a, draw_a)
        render.chart(right, key_b, draw_b)


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
    st.markdown("**Noise or a real difference?** The curves above are one shuffle of the rows. "
                "Run both again over many seeds, the same seed for both each time (paired "
                "seeds), and see whether the mini-batch run ends lower than the stochastic one "
                "on most of them, or only on this one.")
    seeds = control(st.slider, "Seeds", 1, 40, key="bt_seeds", default=20)
    per_seed = G.batch_seeds(lr, EPOCHS, bs, seeds)
    render.chart(st, ("batch-seeds", lr, bs, seeds, H, classroom), lambda: cc.lines_chart(
        per_seed, "seed", "excess", "method", log_y=True, points=True,
        x_title="seed (each shuffles both runs the same way)",
        y_title="final loss above the minimum (log)", height=H, big=classroom))
    mini, sgd = (per_seed[per_seed["method"] == m] for m in per_seed["method"].unique())
    found = verdict(mini["method"].iloc[0], "stochastic", mini["final_loss"].tolist(),
                    sgd["final_loss"].tolist(), diverged_a=mini["diverged"].tolist(),
                    diverged_b=sgd["diverged"].tolist())
    (st.success if found.clear else st.info)(text.md(found.text))
    st.caption("With one seed the page cannot tell luck from a real difference; with 20 paired "
               "seeds the sign test and the bootstrap interval can (gdcore.engine.stats). A small "
               "batch's noise is a real effect at a fixed learning rate: it keeps the loss "
               "bouncing above the minimum, seed after seed.")


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

    side_by_side(("schedules-excess", lr, H, classroom), draw_loss,
                 ("schedules-lr", lr, H, classroom), draw_lr)
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


@st.cache_data(show_spinner=False, max_entries=16, ttl=3600)
def measured(code: str, name: str, *args):
    """A ``lab.lessons`` result that includes wall times, kept for an hour: a rerun shows
    the same numbers, and a server's busy spell is not shown for its whole life."""
    return getattr(G, name)(*args)


def lesson_conditioning() -> None:
    st.markdown("How fast plain gradient descent gets there is set by the **condition number** "
                "κ = λmax / λmin, the ratio of the steepest and the flattest curvature of the "
                "loss (the Hessian's largest and smallest eigenvalues). On the valley "
                "**½ (w1²/κ + w2²)** the curvature across it (w2) is 1 and along it (w1) 1/κ. "
                "The learning rate must suit the steep direction (below 2/λmax), so along the "
                "flat one each step shrinks the error by only about 1 − 1/κ.")
    c1, c2 = st.columns(2)
    with c1:
        kappa = control(st.select_slider, "Condition number κ", key="cd_kappa", default=100,
                        options=G.KAPPAS)
    with c2:
        tol = control(st.select_slider, "Stop when the error is this share of the start's",
                      key="cd_tol", default=1e-3, options=G.TOLERANCES,
                      format_func=lambda v: f"{v:g}")
    if classroom:
        st.markdown(f"Condition number κ = **{kappa:g}**; a run has arrived when its distance "
                    f"to the minimum is **{tol:g}** of the start's.")
    hist, summary = G.valley_runs(kappa, tol)
    fn = G.valley(kappa)
    path = G.valley_path(hist)

    def draw_path():
        return cc.valley_chart(L.surface(fn, 60), path, names=fn.param_names,
                               minimum=fn.minima[0].params, height=H, big=classroom,
                               legend_columns=None if classroom else 2)

    def draw_error():
        return cc.lines_chart(hist, "step", "error", "rate", log_y=True,
                              y_title="distance to the minimum ÷ start's (log)",
                              reference=tol, reference_text=f"tolerance {tol:g}", height=H,
                              big=classroom, legend_columns=None if classroom else 2)

    side_by_side(("cond-path", kappa, tol, H, classroom), draw_path,
                 ("cond-error", kappa, tol, H, classroom), draw_error, widths=[3, 2])
    shown = int(path["step"].max())
    where = "Above" if classroom else "Left"
    other = "below" if classroom else "right"
    st.caption(f"{where}: the first {shown} steps of each run over the loss (darker is lower, "
               f"log scale); {other}: every step, until the distance to the minimum is "
               "within the tolerance.")
    table(_counts(summary[["rate", "lr", "factor", "measured_factor", "steps", "predicted"]],
                  ("steps", "predicted"), int(summary["budget"].iloc[0])),
          {"lr": "%.4g", "factor": "%.6g", "measured_factor": "%.6g"},
          {"rate": "learning rate", "factor": "error × per step (theory)",
           "measured_factor": "error × per step (measured)", "steps": "steps (measured)",
           "predicted": "steps (theory)"})
    slow, best = summary.iloc[0], summary.iloc[1]
    st.success(
        f"At κ = {kappa:g}, lr = 1/λmax shrinks the flat direction's error by "
        f"{slow.factor:.4g} per step (measured {slow.measured_factor:.4g}): "
        f"{_steps(slow.steps, slow.budget)} to reach {tol:g}, where the closed form says "
        f"{_steps(slow.predicted, slow.budget)} and the rule of thumb κ·ln(1/tol) = "
        f"{slow.rule:,.0f}. The best fixed rate, 2/(λmax+λmin), zig-zags across the valley "
        f"but shrinks every error by (κ−1)/(κ+1) = {best.factor:.4g}: "
        f"{_steps(best.steps, best.budget)} (theory {_steps(best.predicted, best.budget)}, "
        f"≈ κ/2·ln(1/tol) = {best.rule:,.0f}). Either way the steps grow in proportion to κ.")
    st.markdown("**The everyday cure: standardize the columns.** Data in different units give "
                "a loss whose curvatures differ by the squares of those units. The cars sample "
                "(horsepower, weight in pounds, acceleration → miles per gallon), least squares:")
    cure = G.standardizing("cars", tol)
    table(cure, {"lam_max": "%.3e", "lam_min": "%.3g", "kappa": "%.3e", "lr_limit": "%.3g",
                 "steps": "%.3e"},
          {"lam_max": "λmax", "lam_min": "λmin", "kappa": "κ", "lr_limit": "largest lr (2/λmax)",
           "steps": f"steps to {tol:g} at lr 1/λmax"})
    raw, std = cure.iloc[0], cure.iloc[1]
    a, b, r = G.most_correlated("cars")
    st.success(f"Standardizing takes κ from {raw.kappa:.3g} to {std.kappa:.3g}: from about "
               f"{raw.steps:.2g} steps to about {std.steps:,.0f}. What is left comes from "
               f"columns that move together ({a} and {b}: correlation {r:.2f}), which "
               "rescaling cannot turn apart.")


def _counts(df: pd.DataFrame, columns, budget: int) -> pd.DataFrame:
    """``columns`` (step counts that may be missing) as text: "683", or "not in 300"."""
    return df.assign(**{c: [f"{int(v):,}" if pd.notna(v) else f"not in {budget:,}"
                            for v in df[c]] for c in columns})


def _steps(value, budget: int) -> str:
    """A step count in words ("683 steps"), or that the run's budget ran out first."""
    if value is None or pd.isna(value):
        return f"not within {budget:,} steps"
    return f"{int(value):,} step{'s' if int(value) != 1 else ''}"


def lesson_classification() -> None:
    st.markdown("A classifier gives each row a logit z = x·w + b and the probability σ(z) of "
                "class 1. Write the label as y = ±1: the **margin** m = y·z is positive when "
                "the row is on its own side, and large when the model is sure. Which loss of "
                "the margin should gradient descent follow? The **log-loss** (cross-entropy, "
                "PyTorch's BCEWithLogitsLoss) is softplus(−m) = log(1 + e^−m).")
    m = control(st.slider, "Margin y·z of one row", -5.0, 5.0, key="ce_margin", default=-3.0,
                step=0.5)
    curves = G.margin_curves()
    row = G.row_losses([m])
    st.markdown(f"One row with margin **{m:g}**: the model gives its own class the "
                f"probability σ({m:g}) = **{row['p_own'].iloc[0]:.1%}**.")
    columns = None if classroom else 2

    def draw_value():
        return cc.margin_chart(curves, row, "value", y_title="loss of the row", height=H,
                               big=classroom, legend_columns=columns)

    def draw_push():
        return cc.margin_chart(curves, row, "push",
                               y_title="push on the logit, −dL/dz", height=H, big=classroom,
                               legend_columns=columns)

    side_by_side(("ce-value", m, H, classroom), draw_value,
                 ("ce-push", m, H, classroom), draw_push)
    table(row[["loss", "value", "push"]], {"value": "%.4g", "push": "%.4g"},
          {"value": f"loss at margin {m:g}", "push": "push on the logit (−dL/dz)"},
          wide=("loss",))
    log, zero_one, sq = (row.set_index("loss").loc[name] for name in G.ROW_LOSSES)
    if m < 0:
        ratio = log.push / sq.push if sq.push > 0 else float("inf")
        st.success(f"A row on the wrong side (margin {m:g}): the log-loss pushes its logit "
                   f"with {log.push:.3g}, the squared error of σ(z) with {sq.push:.3g} "
                   f"({ratio:.3g} times weaker: σ is flat out there, so its gradient "
                   f"vanishes) and the 0/1 loss with {zero_one.push:g}: it counts the "
                   "mistake but gives no direction to fix it.")
    else:
        st.success(f"A row on its own side (margin {m:g}): the log-loss still pushes with "
                   f"{log.push:.3g} (it keeps asking for more confidence), the squared error "
                   f"with {sq.push:.3g}, the 0/1 loss with {zero_one.push:g}.")

    st.markdown("**A fit.** Gradient descent on the log-loss, every row each step. Accuracy "
                "counts rows on the right side; the log-loss also counts how sure the model is.")
    c1, c2 = st.columns(2)
    with c1:
        data = control(st.selectbox, "Data", list(G.CLASS_DATA), key="ce_data",
                       default="breast_cancer", format_func=G.CLASS_DATA.get)
    with c2:
        lr = control(st.select_slider, "Learning rate", key="ce_lr", default=1.0,
                     options=[0.1, 0.2, 0.5, 1.0, 2.0, 4.0])
    if classroom:
        st.markdown(f"Data: **{G.CLASS_DATA[data]}**; learning rate **{lr:g}**.")
    hist, fit = G.classification_fit(data, lr)

    def draw_loss():
        return cc.lines_chart(hist, "step", "loss", "run", y_title="log-loss",
                              reference=fit["best_loss"],
                              reference_text="best possible" if not fit["separable"]
                              else "0: approached, never reached",
                              height=H, big=classroom)

    def draw_accuracy():
        return cc.lines_chart(hist, "step", "accuracy", "run", y_title="accuracy",
                              y_format=".0%", height=H, big=classroom)

    side_by_side(("ce-loss", data, lr, H, classroom), draw_loss,
                 ("ce-acc", data, lr, H, classroom), draw_accuracy)
    table(G.fit_table(hist), {"loss": "%.5g", "accuracy": "%.4f", "confidence": "%.4f",
                              "weight_norm": "%.4g"},
          {"loss": "log-loss", "confidence": "mean P(own class)", "weight_norm": "|w|"})
    tail = ("it keeps falling towards 0 without reaching it: no line does better than one "
            "that separates every row, scaled up (|w| grows)" if fit["separable"] else
            f"the best possible is {fit['best_loss']:.4g}")
    st.success(f"Accuracy is within one point of its final {fit['final_accuracy']:.1%} from "
               f"step {fit['plateau_step']} on, while the log-loss keeps falling, from "
               f"{fit['plateau_loss']:.4g} there to {fit['final_loss']:.4g} at step "
               f"{int(hist['step'].iloc[-1])} ({tail}). The later steps make the model surer "
               "of rows it already has right: accuracy cannot see that, the log-loss can.")


def lesson_curvature() -> None:
    st.markdown("Gradient descent uses the slope only. A **line search** (Armijo) picks each "
                "step's length by trying it. **Newton's method** also uses the curvature: it "
                "steps to the minimum of the local quadratic, −H⁻¹∇L, so a long flat valley "
                "costs it no more than a round bowl. Each from the same start, with settings "
                "taken from the curvature there (no hand tuning).")
    key = st.radio("Problem", list(G.RACE_PROBLEMS), key="cv_problem", horizontal=True,
                   format_func=G.RACE_PROBLEMS.get)
    hist, summary = measured(version.CODE, "method_race", key)
    render.chart(st, ("cv-race", key, H, classroom), lambda: cc.lines_chart(
        hist, "step", "excess", "method", log_y=True,
        y_title="loss above the optimum (log)", height=H, big=classroom))
    st.caption("A line that stops has reached the optimum to the last digit (a loss above "
               "it of 0 has no place on a log axis).")
    table(_counts(summary[["method", "lr", "final_excess", "reached", "us_per_step"]],
                  ("reached",), G.RACE_STEPS),
          {"lr": "%.4g", "final_excess": "%.3g", "us_per_step": "%.0f"},
          {"lr": "lr (first trial)", "final_excess": f"above optimum, step {G.RACE_STEPS}",
           "reached": f"steps to {G.TARGET:g}", "us_per_step": "µs per step"},
          wide=("method",))
    digits = G.newton_digits(key)
    quad = G.doubling(digits)
    shown = quad.tail(8)
    st.markdown(f"**Newton's method, step by step** (κ at the optimum = "
                f"{summary['kappa'].iloc[0]:,.3g}): near the optimum the exponent of the "
                "gradient's norm roughly doubles each step — quadratic convergence.")
    shown = shown.assign(ratio=[f"× {r:.2f}" if pd.notna(r) else "" for r in shown["ratio"]])
    table(shown, {"excess": "%.3g", "grad_norm": "%.3g", "exponent": "%.3g"},
          {"excess": "above the optimum", "grad_norm": "‖∇L‖", "exponent": "−log₁₀ ‖∇L‖",
           "ratio": "× the step before's"})
    st.success(_race_sentence(summary, quad))

    st.markdown("**The price: a Hessian per step.** Newton builds the (d+1)×(d+1) Hessian "
                "(about n·d² multiply-adds) and decomposes it (about d³), where a gradient step "
                "reads the data once (about n·d). Wall time per step of the engine's own runs "
                f"on generated logistic data with {G.COST_ROWS:,} rows and d features, "
                "measured on this server (one BLAS thread, the fastest of "
                f"{G.COST_REPEATS} runs: a shared machine only ever makes them slower; "
                "measured again each hour). These are this server's figures; yours differ:")
    cost = measured(version.CODE, "newton_cost")
    render.chart(st, ("cv-cost", H, classroom), lambda: cc.lines_chart(
        cost, "d", "us_per_step", "method", log_x=True, log_y=True, points=True,
        x_title="features d (log)", y_title="µs per step (log)", height=H, big=classroom))
    wide_cost = G.cost_table(cost)
    table(wide_cost, {"gd_us": "%.0f", "newton_us": "%.0f", "ratio": "%.3g"},
          {"gd_us": "gradient step (µs)", "newton_us": "Newton step (µs)",
           "ratio": "Newton ÷ gradient"})
    top, low = wide_cost.iloc[-1], wide_cost.iloc[0]
    st.success(f"At d = {int(top.d)} one Newton step took as long as {top.ratio:.3g} gradient "
               f"steps here (at d = {int(low.d)}: {low.ratio:.3g}). Newton pays when it saves "
               f"more steps than that. {_payoff(summary)} With many thousands of features "
               "(or millions, in a neural network) a Hessian per step is out of reach, and "
               "gradient steps are what is left.")


def _payoff(summary: pd.DataFrame) -> str:
    """What Newton's steps cost and bought in the race above, in time (from its summary)."""
    by = summary.set_index("method")
    gd, nt = by.loc[G.RACE_METHODS[0]], by.loc[G.RACE_METHODS[2]]
    if pd.isna(nt.reached):
        return ""
    done = f"In the race above Newton was done in {int(nt.reached)} steps, {nt.ms:.2g} ms; "
    if pd.isna(gd.reached):
        return done + (f"gradient descent used {gd.ms:.2g} ms for its {G.RACE_STEPS} steps "
                       f"and was still {gd.final_excess:.2g} above the optimum.")
    return done + f"gradient descent in {int(gd.reached)} steps, {gd.ms:.2g} ms."


def _race_sentence(summary: pd.DataFrame, quad: pd.DataFrame) -> str:
    """The lesson's closing sentence from the race's summary and Newton's table."""
    by = summary.set_index("method")
    gd, ls, nt = (by.loc[name] for name in G.RACE_METHODS)
    chain = " → ".join(f"{e:.2g}" for e in quad["exponent"].tail(4))

    def where(row) -> str:
        if pd.isna(row.reached):
            return f"is still {row.final_excess:.2g} above after {G.RACE_STEPS} steps"
        return f"needs {int(row.reached)} steps"

    slow = (f"gradient descent gained {gd.digits:.2g} digits in {G.RACE_STEPS} steps"
            if pd.isna(gd.reached) else f"gradient descent needed {int(gd.reached)} steps")
    return (f"Newton {where(nt)} to come within {G.TARGET:g} of the optimum; gradient descent "
            f"{where(gd)} and the line search {where(ls)}. In Newton's last steps the exponent "
            f"went {chain}: the correct digits nearly double per step, where {slow}.")


LESSONS = {
    "1 · The three-step cycle": lesson_cycle,
    "2 · Simultaneous vs sequential update": lesson_modes,
    "3 · Learning rate: too small, right, too large": lesson_lr,
    "4 · Batch vs stochastic vs mini-batch": lesson_batches,
    "5 · Local minima and restarts": lesson_restarts,
    "6 · Exploding steps tamed by clipping": lesson_clipping,
    "7 · Schedules that decay the step": lesson_schedules,
    "8 · Conditioning: why plain gradient descent zig-zags": lesson_conditioning,
    "9 · Classification: why the log-loss": lesson_classification,
    "10 · What curvature buys: line search and Newton": lesson_curvature,
}

st.title("Lessons")
name = st.selectbox("Lesson", list(LESSONS), key="lesson")
st.header(name.split("·", 1)[1].strip())
try:
    LESSONS[name]()
except gdcore.GDError as err:
    st.error(text.md(err))
