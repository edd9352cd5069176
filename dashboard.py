"""Gradient Descent Lab: compare gradient-descent runs side by side.

`streamlit run dashboard.py`. All numbers come from gdcore; widgets and charts from ui/.
"""

from __future__ import annotations

import streamlit as st

import gdcore
from gdcore import presets
from ui import charts, charts_space, fit, render, results, state
from ui.classroom import apply_classroom, seeded
from ui.results import start_accelerator
from ui.run_editor import run_editor
from ui.widgets import data_source, escape_md

st.set_page_config(page_title="Gradient Descent Lab", page_icon="📉", layout="wide")
classroom = apply_classroom()
start_accelerator()

def show_view(view) -> None:
    """Open the charts on the view that tells a preset's lesson (its x axis, loss or excess)."""
    st.session_state["x_axis"] = view.get("x", "step")
    st.session_state["loss_y"] = view.get("y", "loss")
    st.session_state["log"] = True
    st.session_state["smooth"] = int(view.get("smooth", 0))


link_error = state.init(lambda: presets.build("lr"))
setup = state.current()
height = 430 if classroom else 300

st.title("Gradient Descent Lab")
st.caption("Several gradient-descent runs on the same data, side by side. Change the data or a "
           "run in the sidebar; the address bar always holds the whole setup, so a copied link "
           "reproduces it.")
if link_error:
    st.error(escape_md(link_error))

# --- sidebar: preset, data, runs, share ---------------------------------------------------
with st.sidebar:
    st.header("Setup")
    load_preset = False
    if classroom:  # what is shown, never a control that changes it
        st.caption("Classroom mode: the setup is shown, not edited. Turn it off to change "
                   "the preset, the data or the runs.")
    else:
        with st.container(border=True):
            preset = st.selectbox("Start from a preset", list(presets.PRESETS),
                                  format_func=lambda k: presets.PRESETS[k].title, key="preset")
            st.caption(escape_md(presets.PRESETS[preset].lesson))
            load_preset = st.button("Load preset", type="primary", width="stretch")
    st.subheader("Data")
    with st.container(border=not classroom):
        choice = data_source("dash", setup["data"], version=state.version(),
                             editable=not classroom)
    if load_preset and not choice.waiting:
        state.replace(state.normalized(
            presets.build(preset, data=choice.config, dataset=choice.dataset)))
        fit.remember_preset(preset, state.current(), choice.dataset)
        show_view(presets.PRESETS[preset].view)
        st.rerun()
    fit.follow_data(setup, choice)
    if classroom:
        runs = setup["runs"]
        st.subheader("Runs")
        for r in runs:
            opt = r.get("optimizer", {})
            st.markdown(f"- **{escape_md(r['name'])}**: {escape_md(opt.get('name', 'sgd'))}, "
                        f"lr {float(opt.get('lr', 0)):.3g}, batch "
                        f"{escape_md(r.get('batch_size', 'full'))}, {r.get('epochs')} epochs")
    else:
        st.subheader("Runs")
        runs = run_editor(setup["runs"], n_rows=choice.dataset.n)

new_setup = {"version": 1, "problem": "linear", "data": choice.config, "runs": runs}
try:
    experiment = gdcore.parse_experiment(new_setup)
    too_much = results.over_budget(experiment, choice.dataset)
    if too_much:
        raise gdcore.ConfigError(too_much[0].upper() + too_much[1:] + ".")
    state.store(experiment.to_dict())
    state.remember_valid(experiment.to_dict())
except gdcore.GDError as err:
    st.error(f"This setup cannot run: {escape_md(err)} Showing the last setup that worked.")
    experiment = gdcore.parse_experiment(state.last_valid())
    if results.over_budget(experiment, choice.dataset):  # it was for other, smaller data
        experiment = gdcore.parse_experiment(
            presets.build("lr", data=choice.config, dataset=choice.dataset))
    state.store(new_setup)

if not choice.waiting and not link_error:
    too_big = state.publish(experiment.to_dict())
    if too_big:
        st.warning(escape_md(too_big))
if choice.uploaded:
    st.info("Uploaded data is in use. It cannot travel in a link: the link keeps the runs and "
            "column choices, and whoever opens it must upload the same file.")

# --- run (cached per run) and draw -----------------------------------------------------------
fit.notices(experiment.to_dict(), choice, editable=not classroom)
outcome = results.run_all(experiment, choice.dataset)
for name, message in outcome.errors:
    st.error(f"Run {escape_md(name)} did not run: {escape_md(message)}")
for r in outcome.runs:
    if r.status == "stopped":
        st.info(f"Run {escape_md(r.name)} was stopped at update {r.steps:,}, as asked: it is "
                "drawn as far as it got. Change any setting to run it again.")
if not outcome.runs:
    st.stop()

units = "standardized" if choice.dataset.standardized else ""
LOSS_SHOWS = {"loss": "Loss", "excess": "Above best"}


@st.fragment
def comparison_charts(outcome: results.Outcome, dataset, *, big: bool, height: int) -> None:
    """The charts and their view controls. A fragment: moving a view control reruns only this,
    and each chart is redrawn from its kept spec unless what it shows changed (ui/render.py)."""
    if big:  # on a projector the text is bigger: the controls take two rows
        c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
        c3, c4 = st.columns([1, 2], vertical_alignment="bottom")
    else:
        c1, c2, c3, c4 = st.columns([4, 3, 2, 3], vertical_alignment="bottom")
    x_axis = c1.segmented_control("x axis", list(charts.X_FIELDS), key=seeded("x_axis", "step"),
                                  format_func=charts.X_FIELDS.get, required=True)
    y_show = c2.segmented_control(
        "Loss chart shows", list(LOSS_SHOWS), format_func=LOSS_SHOWS.get,
        key=seeded("loss_y", "loss"), required=True,
        help="The loss above the least-squares loss (the best any run can reach) shows small "
             "differences between good runs on a log axis.")
    with c3:
        log = st.toggle("Log-scale loss", key=seeded("log", True))
        log_x = st.toggle("Log-scale x", key=seeded("log_x", False),
                          help="A log x axis, for runs of very different lengths.")
    smooth = c4.slider("Smoothing (points averaged)", 0, 50, key=seeded("smooth", 0),
                       help="A moving average drawn over the faint raw curve.")
    hist, status, key = outcome.history, outcome.status, outcome.key
    look = (height, big)
    excess = outcome.reference_loss if y_show == "excess" else None

    left, right = st.columns([3, 2])
    render.chart(left, ("loss", key, x_axis, log, log_x, y_show, smooth, look),
                 lambda: charts.loss_chart(hist, x=x_axis, log=log, smooth=smooth, status=status,
                                           height=height, big=big, excess_over=excess,
                                           log_x=log_x))
    render.chart(right, ("lr", key, x_axis, look), lambda: charts.lr_chart(
        hist, x=x_axis, height=height, big=big))

    left, right = st.columns(2)
    render.chart(left, ("path", key, units, look), lambda: charts_space.path_chart(
        charts_space.loss_surface(outcome.problem, hist, outcome.reference, status=status),
        hist, outcome.reference, status=status, runs=outcome.names, units=units,
        height=height, big=big))
    render.chart(right, ("fit", key, look), lambda: charts_space.fit_chart(
        dataset.frame(), dataset.x_names[0], dataset.y_name, results.fit_lines(outcome),
        reference=results.original_reference(dataset, outcome.reference),
        runs=outcome.names, height=height, big=big))

    left, right = st.columns(2)
    for col, param in ((left, "w"), (right, "b")):
        render.chart(col, ("param", param, key, x_axis, look), lambda param=param: (
            charts.param_chart(hist, param, reference=outcome.reference[param], x=x_axis,
                               status=status, height=height, big=big)))
    render.chart(st, ("grad", key, x_axis, look), lambda: charts.grad_chart(
        hist, clip=results.clip_thresholds(outcome), x=x_axis, height=height, big=big))


comparison_charts(outcome, choice.dataset, big=classroom, height=height)

st.subheader("Results")
st.caption(f"Least squares: w = {outcome.reference['w']:.5g}, b = {outcome.reference['b']:.5g}, "
           f"loss = {outcome.reference_loss:.5g}. Data: {escape_md(choice.dataset.source)}, "
           f"{choice.dataset.n:,} rows.")
table = results.results_table(outcome, choice.dataset)
if classroom:  # an HTML table: its text follows the projector stylesheet
    st.table(results.rounded(table))
else:
    st.dataframe(table, hide_index=True, column_config=results.TABLE_COLUMNS)

# --- share and keep --------------------------------------------------------------------------
st.subheader("Share and keep")
c1, c2, c3 = st.columns(3)
c1.download_button("Download histories (CSV)", lambda: results.histories_csv(outcome),
                   file_name="gd-histories.csv", mime="text/csv", on_click="ignore",
                   width="stretch")
c2.download_button("Download setup (JSON)", experiment.to_json(), file_name="gd-setup.json",
                   mime="application/json", on_click="ignore", width="stretch")
if not classroom:
    with c3:
        setup_file = st.file_uploader("Load a setup (JSON)", type=["json"], key="setup_json")
    replaced, problem = state.import_json(None if setup_file is None else setup_file.getvalue())
    if problem:
        st.error(escape_md(problem))
    if replaced:
        st.rerun()
st.caption("The address bar holds the whole setup: copy it to share or bookmark this "
           "comparison. Uploaded data is not in the link.")
