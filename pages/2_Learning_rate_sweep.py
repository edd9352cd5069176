"""Learning-rate sweep: run every variant × optimizer over a log-spaced range of learning rates,
label each run converged / oscillating / diverged, and mark the largest stable learning rate;
on a test function, linear regression on data or logistic regression on data."""

import json

import numpy as np
import pandas as pd
import streamlit as st

from ui import fresh  # isort: skip (first of the app's modules)

fresh.modules()  # a source changed under the server: import the app anew (ui/fresh.py)

import gdcore
from gdcore.models.logistic import LogisticRegression
from gdcore.spec.export import csv_text
from lab import sweep as S
from ui import nav, render, results, saved, text, version
from ui import sweep_charts as sc
from ui.classroom import apply_classroom, seeded
from ui.results import start_accelerator
from ui.shared import SharedStore
from ui.version import keep_current

st.set_page_config(page_title="Learning-rate sweep · Gradient Descent Lab", page_icon=nav.ICON,
                   layout="wide")
keep_current()  # first: nothing kept under other code reaches this run (ui/version.py)
nav.links()  # named pages (ui/nav.py)
classroom = apply_classroom()
start_accelerator()

DATA = "linear regression on data"
CLASSES = "logistic regression on data"
ON_DATA = {DATA: "linear", CLASSES: "logistic"}  # problem choice -> the data picker's task
PROBLEMS = [DATA, CLASSES, *gdcore.FUNCTIONS]
VARIANTS = {"full batch": {"batch_size": "full"}, "mini-batch": {"batch_size": 32},
            "stochastic (batch 1)": {"batch_size": 1}}
SETTINGS = "_sweep_settings"
DATA_DEFAULT = {"source": "generate", "n": 1000, "slope": 2.0, "intercept": 1.0, "noise": 1.0,
                "outliers": 0.0, "seed": 0}
CLASSES_DEFAULT = {"source": "sample", "name": "breast_cancer", "x": ["mean radius", "mean texture"],
                   "y": "diagnosis", "standardize": True, "positive": "malignant"}
DATA_DEFAULTS = {"linear": DATA_DEFAULT, "logistic": CLASSES_DEFAULT}
DEFAULT = {"problem": "quadratic", "variants": ["full batch"], "optimizers": ["sgd"],
           "lo": 1e-3, "hi": 3.0, "n": 25, "epochs": 200, "batch": 32}


LR_MIN, LR_MAX = 1e-6, 100.0  # the range inputs' bounds


def around(limit: float) -> tuple[float, float]:
    """:func:`lab.sweep.range_around` within the range inputs' bounds."""
    return S.range_around(limit, LR_MIN, LR_MAX)


def cover(limit: float) -> None:
    """Button callback: move the range around ``limit`` (widget keys and the kept settings)."""
    lo, hi = around(limit)
    st.session_state["sw_lo"], st.session_state["sw_hi"] = lo, hi
    st.session_state.setdefault(SETTINGS, {}).update(lo=lo, hi=hi)


def table(container, df: pd.DataFrame, formats: dict[str, str] | None = None,
          labels: dict[str, str] | None = None, wide=()) -> None:
    """:func:`ui.results.data_table` in this page's mode, 4 significant digits."""
    results.data_table(container, df, classroom=classroom, formats=formats, labels=labels,
                       wide=wide, digits=4)


@st.cache_resource(show_spinner=False)
def sweep_store(code: str) -> SharedStore:
    """Finished sweeps, keyed on the settings (JSON) and the data's content hash, shared by
    the server's sessions and each computed once (ui/shared.py). Not st.cache_data: the sweep
    draws a live progress bar, which st.cache_data would record and fail to replay."""
    return SharedStore(32)


def run_sweep(problem, key: str, lrs, variants: dict, optimizers: tuple, progress):
    return sweep_store(version.CODE).get(key, lambda: S.sweep(
        problem, {"epochs": int(cfg["epochs"]), "seed": 0}, lrs, variants=variants,
        optimizers=optimizers, progress=progress)).copy()


st.title("Learning-rate sweep")
st.caption("Every learning rate on a log grid, for every variant and optimizer. Labels: "
           "**diverged** = stopped by the engine or ended with a larger loss than it started "
           "with; **oscillating** = not diverged, but the last third of the steps keeps "
           "reversing direction while still large; **converged** = stable and settling.")

cfg = {**DEFAULT, **st.session_state.get(SETTINGS, {})}
dataset = None
if not classroom:
    with st.sidebar:
        st.header("Sweep")
        cfg["problem"] = st.selectbox("Problem", PROBLEMS, key=seeded("sw_problem", cfg["problem"]))
        if cfg["problem"] in ON_DATA:
            cfg["variants"] = st.multiselect("Variants", list(VARIANTS),
                                             key=seeded("sw_variants", cfg["variants"]))
            if "mini-batch" in cfg["variants"]:
                cfg["batch"] = st.slider("Mini-batch size", 2, 256,
                                         key=seeded("sw_batch", cfg["batch"]))
        cfg["optimizers"] = st.multiselect("Optimizers", list(gdcore.OPTIMIZER_DEFAULTS),
                                           key=seeded("sw_opts", cfg["optimizers"]))
        c1, c2 = st.columns(2)
        cfg["lo"] = c1.number_input("Lowest lr", LR_MIN, LR_MAX, format="%.4g",
                                    key=seeded("sw_lo", float(cfg["lo"])))
        cfg["hi"] = c2.number_input("Highest lr", LR_MIN, LR_MAX, format="%.4g",
                                    key=seeded("sw_hi", float(cfg["hi"])))
        cfg["n"] = st.slider("Learning rates (log-spaced)", 3, 60, key=seeded("sw_n", cfg["n"]))
        cfg["epochs"] = st.slider("Epochs (updates for a test function)", 5, 1000,
                                  key=seeded("sw_epochs", cfg["epochs"]))
    st.session_state[SETTINGS] = cfg

problem_name = cfg["problem"]
data_hash = None
task = ON_DATA.get(problem_name)
if task is not None:
    from ui.widgets import data_source  # the main page's data picker (same sources)

    kept = f"_sweep_dataset.{task}"
    if classroom:  # the data picker is an editing control: reuse the last choice
        dataset = (st.session_state.get(kept)
                   or gdcore.load_dataset(DATA_DEFAULTS[task], problem=task))
    else:
        with st.expander("Data", expanded=True):
            # shows its own st.error for bad input and keeps the previous data
            choice = data_source("sweep", DATA_DEFAULTS[task], problem=task)
        dataset = choice.dataset
        st.session_state[kept] = dataset
    data_hash = dataset.content_hash()
    variants = {v: dict(VARIANTS[v]) for v in cfg["variants"]}
    if "mini-batch" in variants:
        variants["mini-batch"] = {"batch_size": min(int(cfg["batch"]), dataset.n)}
else:
    variants = {"full batch": {"batch_size": "full"}}

bar = None
try:
    if not variants:
        raise gdcore.ConfigError("variants: choose at least one")
    lrs = S.log_lrs(float(cfg["lo"]), float(cfg["hi"]), int(cfg["n"]))
    problem = (gdcore.FUNCTIONS[problem_name] if task is None
               else gdcore.LinearRegression.from_dataset(dataset) if task == "linear"
               else LogisticRegression.from_dataset(dataset))
    key = json.dumps([problem_name, data_hash, cfg["epochs"], list(lrs), variants,
                      cfg["optimizers"]], sort_keys=True)
    bar = st.progress(0.0, text="Running the sweep…")

    def progress(i: int, total: int, name: str) -> None:
        bar.progress(i / total, text=f"Run {i + 1} of {total}: {name}" if i < total else "Done")

    df = run_sweep(problem, key, lrs, variants, tuple(cfg["optimizers"]), progress)
    bar.empty()
except gdcore.GDError as err:
    if bar is not None:  # a refused sweep leaves no "Running the sweep…" above its message
        bar.empty()
    st.error(text.md(err))
    st.stop()

stable = S.largest_stable_lr(df)
theory = S.gd_stability_limit(problem)
if classroom:  # the settings in use, shown (the controls are hidden)
    what = problem_name if task is None else (
        f"{task} regression on {dataset.n:,} rows · " + ", ".join(variants))
    st.caption(f"{what} · {', '.join(cfg['optimizers'])} · {int(cfg['n'])} learning rates from "
               f"{float(cfg['lo']):g} to {float(cfg['hi']):g} · {int(cfg['epochs'])} epochs")

show = st.radio("Show", ["final loss", "best loss", "both"], horizontal=True, key="sw_show")
metrics = {"final loss": ("final",), "best loss": ("best",), "both": ("final", "best")}[show]
sweep_height = 560 if classroom else 400
render.chart(st, ("sweep", key, metrics, sweep_height, classroom), lambda: sc.sweep_chart(
    df, stable, metrics=metrics, theory=theory, height=sweep_height, big=classroom))
if np.isfinite(theory):
    limit = (f"Black rule: the theory limit 2/λmax = {theory:.4g} for plain full-batch "
             "gradient descent (λmax = the largest curvature at the minimum).")
else:
    limit = ("No theory rule: these classes are separable, so the log-loss has no minimum "
             "(it keeps falling as the weights grow) and no curvature there to set a limit.")
st.caption("Both axes are logarithmic. Diverged runs are drawn as triangles on the red dashed "
           "line at the top edge. Dashed vertical rules: each series' largest stable learning "
           f"rate. {limit}")
if np.isfinite(theory) and not float(cfg["lo"]) <= theory <= float(cfg["hi"]) \
        and not classroom:
    lo, hi = around(theory)
    side = "ends below" if theory > float(cfg["hi"]) else "starts above"
    st.info(f"This range {side} the theory limit 2/λmax = {theory:.4g}, so the sweep cannot "
            f"show where training turns unstable. Sweep from {lo:.3g} to {hi:.3g} to see it.")
    st.button(f"Sweep {lo:.3g} … {hi:.3g}", on_click=cover, args=(theory,), key="sw_cover")
if task == "logistic":
    st.caption("The log-loss grows only linearly far from its optimum (the squared error grows "
               "quadratically), so past 2/λmax a run more often bounces or stalls than blows "
               "up: read the oscillating labels as the edge.")

st.subheader("Largest stable learning rate and labels")
table(st, stable.merge(sc.label_counts(df), on="series", how="left"),
      labels={"largest_stable_lr": "largest stable lr", "first_diverged_lr": "first diverged lr"},
      wide=("series",))
st.caption("Per series: the largest learning rate whose run did not diverge, the smallest one "
           "above it that did (the stability edge lies between), and how many runs got each "
           "label.")
if problem_name == "quadratic":
    st.info(f"Theory for plain GD on (w − 4)² + 2: each step multiplies w − 4 by 1 − 2·lr, "
            f"so it diverges exactly when lr > {theory:.4g}. The sweep's edge lies between "
            "the largest stable and the first diverged learning rate above.")

st.subheader("Two settings at once: learning rate × momentum")
st.caption("Full-batch gradient descent with heavy-ball momentum β (PyTorch's SGD: v ← βv + g, "
           "w ← w − lr·v) at every learning rate above and seven momenta, each run labelled "
           "as above. On a quadratic bowl each direction of curvature λ is stable exactly "
           "while lr·λ < 2(1 + β): momentum lets a larger step stay stable, up to twice "
           "plain gradient descent's limit (Goh, \"Why Momentum Really Works\", Distill "
           "2017).")
if not np.isfinite(theory):
    st.info("No map: these classes are separable, so there is no minimum whose curvature "
            "sets a limit.")
else:
    try:
        map_key = json.dumps(["map", problem_name, data_hash, cfg["epochs"], list(lrs)])
        mapped = sweep_store(version.CODE).get(map_key, lambda: S.stability_map(
            problem, {"epochs": int(cfg["epochs"]), "seed": 0}, lrs)).copy()
    except gdcore.GDError as err:
        st.error(text.md(err))
    else:
        render.chart(st, ("stability", map_key, classroom), lambda: sc.stability_chart(
            mapped, height=420 if classroom else 340, big=classroom))
        inside = mapped["lr"] < mapped["limit"]
        conv = mapped["label"] == "converged"
        st.caption(f"{int((conv & inside).sum())} of {int(conv.sum())} converged runs lie "
                   f"left of the theory's line and {int((~conv & ~inside).sum())} of "
                   f"{int((~inside).sum())} runs right of it did not converge (the theory is "
                   "about the quadratic near the minimum: far from it, or with few epochs, "
                   "a run just left of the line may still be oscillating).")

if not classroom:
    with st.expander("All runs"):
        table(st, df, {"lr": "%.4g"}, wide=("series",))
    st.download_button("Download the sweep as CSV", csv_text(df).encode(),
                       file_name="lr_sweep.csv", mime="text/csv", key="sw_download")
    try:
        best = S.best_setup(df, problem=problem_name, variants=variants,
                            data=choice.config if task is not None else None,
                            base_run={"epochs": int(cfg["epochs"]), "seed": 0})
    except gdcore.GDError as err:
        st.caption(f"Nothing to save: {text.md(err)}")
    else:
        for said in best["notes"]:
            st.caption(text.md(said))
        uploaded = task is not None and choice.uploaded
        saved.save_control(
            lambda: gdcore.run_experiment(best["setup"], dataset=dataset), key="sw_save",
            upload=saved.kept_upload("sweep") if uploaded else None,
            label="Save the best runs as an experiment", tags="sweep",
            note=(f"From a learning-rate sweep: {int(cfg['n'])} learning rates from "
                  f"{float(cfg['lo']):g} to {float(cfg['hi']):g}, {int(cfg['epochs'])} "
                  "epochs; each series at the learning rate with its lowest final loss."),
            what=(f"Kept: {len(best['setup']['runs'])} runs, one per series at its best "
                  "learning rate (the lowest final loss of the runs that did not diverge), "
                  "run again in full with their histories. Open them on the Experiments "
                  "page or back in the comparison page."))
