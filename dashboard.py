"""Gradient Descent Lab: compare gradient-descent runs side by side.

`streamlit run dashboard.py`. All numbers come from gdcore; widgets and charts from ui/.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import streamlit as st

from ui import fresh  # isort: skip (first of the app's modules)

fresh.modules()  # a source changed under the server: import the app anew (ui/fresh.py)

import gdcore
from gdcore.spec.config import FORMAT_VERSION
from gdcore.store import same_data
from lab import presets
from ui import (
    charts,
    charts_models,
    charts_space,
    fit,
    nav,
    render,
    results,
    saved,
    state,
    text,
    view,
)
from ui.classroom import apply_classroom, seeded
from ui.results import start_accelerator
from ui.run_editor import repeats_editor, run_editor
from ui.text import escape_md
from ui.version import keep_current
from ui.widgets import DEFAULT_DATA, data_source

st.set_page_config(page_title="Gradient Descent Lab", page_icon=nav.ICON, layout="wide")
keep_current()  # first: nothing kept under other code reaches this run (ui/version.py)
nav.links()  # named pages (ui/nav.py)
classroom = apply_classroom()
start_accelerator()

TASKS = {"linear": "Regression (squared error)", "logistic": "Classification (logistic)"}
LOSS_SHOWS = {"loss": "Loss", "excess": "Above best"}


def show_view(shown: Mapping[str, Any], key: str | None = None) -> None:
    """Open the charts on the view that tells a preset's lesson (its x axis, loss or excess);
    ``key``: the preset loaded (the link names it)."""
    if key is not None:
        st.session_state[view.LOADED] = key
    st.session_state["x_axis"] = shown.get("x", "step")
    st.session_state["loss_y"] = shown.get("y", "loss")
    st.session_state["log"] = True
    st.session_state["smooth"] = int(shown.get("smooth", 0))


def _switch_task() -> None:
    """The task changed: a setup for it (the chosen preset on the task's default data)."""
    new = st.session_state.get("task_choice") or task
    if new == task:
        return
    key = st.session_state.get("preset", "lr")
    key = key if key in presets.PRESETS else "lr"
    data = DEFAULT_DATA[new]
    dataset = gdcore.load_dataset(data, problem=new)  # generated: no file, no error
    state.replace(state.normalized(presets.build(key, data=data, dataset=dataset, problem=new)))
    fit.remember_preset(key, state.current(), dataset)
    show_view(presets.PRESETS[key].view, key)


def _pairs(items, highlight: str | None = None):
    """Charts two per row; an odd one out takes the whole row."""
    for i in range(0, len(items), 2):
        row = items[i:i + 2]
        cols = st.columns(2) if len(row) == 2 else [st]
        for col, (key, build) in zip(cols, row):
            render.chart(col, key, build, highlight=highlight)


def _feature(dataset, param: str) -> str:
    """A parameter's title: its feature for a weight of several (w2 · Horsepower)."""
    if param == "b":
        return "intercept b"
    if param == "w":
        return "slope w" if dataset.d == 1 else "weight w"
    return f"weight {param} · {dataset.x_names[int(param[1:]) - 1]}"


def _plane_controls(outcome: results.Outcome, dataset, big: bool):
    """The two parameters the loss surface is drawn over, and where the others are held."""
    params = list(outcome.params)
    if params == ["w", "b"]:  # the whole plane: the squared error's from its moments
        plane = None if outcome.kind == "linear" else (0, 1, [0.0, 0.0])
        return ("w", "b"), plane, outcome.reference_name
    c1, c2, c3 = st.columns(3)
    u = c1.selectbox("Surface: across", params[:-1], key=seeded("plane_u", params[0]),
                     format_func=lambda p: _feature(dataset, p))
    rest = [p for p in params if p != u]
    v_default = st.session_state.get("plane_v")
    if v_default not in rest:
        st.session_state["plane_v"] = rest[0] if len(params) > 2 else "b"
    v = c2.selectbox("and", rest, key="plane_v", format_func=lambda p: _feature(dataset, p))
    holds = ([outcome.reference_name] if outcome.reference else []) + outcome.names
    if st.session_state.get("plane_at") not in holds:
        st.session_state["plane_at"] = holds[0]
    at_name = c3.selectbox("others held at", holds, key="plane_at",
                           format_func=lambda h: h if h == outcome.reference_name
                           else f"{h}'s last point")
    if at_name == outcome.reference_name:
        at = [outcome.reference[p] for p in params]
    else:
        run = next(r for r in outcome.runs if r.name == at_name)
        at = [run.params[p] for p in params]
    return (u, v), (params.index(u), params.index(v), at), at_name


@st.fragment
def comparison_charts(outcome: results.Outcome, dataset, *, big: bool, height: int) -> None:
    """The charts and their view controls. A fragment: moving a view control reruns only this,
    and each chart is redrawn from its kept spec unless what it shows changed (ui/render.py).
    Drawn in this session's turn (render.turn): a class's sessions take turns, not slices."""
    with render.turn():
        _comparison_charts(outcome, dataset, big=big, height=height)


def _comparison_charts(outcome: results.Outcome, dataset, *, big: bool, height: int) -> None:
    if big:  # on a projector the text is bigger: the controls take two rows
        c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
        c3, c4 = st.columns([1, 2], vertical_alignment="bottom")
    else:
        c1, c2, c3, c4 = st.columns([4, 3, 2, 3], vertical_alignment="bottom")
    x_axis = c1.segmented_control("x axis", list(charts.X_FIELDS),
                                  key=seeded("x_axis", "step", charts.X_FIELDS),
                                  format_func=charts.X_FIELDS.get, required=True)
    logistic = outcome.kind == "logistic"
    best = "the least-squares loss" if not logistic else "the optimum's log-loss"
    y_show = c2.segmented_control(
        "Loss chart shows", list(LOSS_SHOWS), format_func=LOSS_SHOWS.get,
        key=seeded("loss_y", "loss", LOSS_SHOWS), required=True,
        help=f"The loss above {best} (the best any run can reach) shows small "
             "differences between good runs on a log axis.")
    with c3:
        log = st.toggle("Log-scale loss", key=seeded("log", True))
        log_x = st.toggle("Log-scale x", key=seeded("log_x", False),
                          help="A log x axis, for runs of very different lengths.")
    smooth = c4.slider("Smoothing (points averaged)", 0, 50, key=seeded("smooth", 0),
                       help="A moving average centred on each point (so it does not lag), "
                            "drawn over the faint raw curve; at most a third of a run's "
                            "points.")
    line, spread, every = "median", "q10", False
    if outcome.n_repeats > 1:  # what each run's line and band are over its seeds
        r1, r2, r3 = st.columns([2, 2, 3], vertical_alignment="bottom")
        line = r1.segmented_control(
            "Each run's line", list(results.LINES), format_func=results.LINES.get,
            key=seeded("rep_line", "median", results.LINES), required=True,
            help="Over its seeds, at each recorded step: the median (half the seeds above, "
                 "half below) or the mean (pulled by an unusual seed).")
        spread = r2.segmented_control(
            "Band", list(results.SPREADS), format_func=results.SPREADS.get,
            key=seeded("rep_band", "q10", results.SPREADS), required=True,
            help="10-90 %: where the middle 80 % of the seeds are; min-max: every seed, the "
                 "luckiest and the unluckiest.")
        every = r3.toggle("Every seed, faintly (loss chart)", key=seeded("rep_seeds", False),
                          help="Each seed's own loss curve as a thin line under its run's "
                               "line: the noise the band sums up.")
    hl = None
    if len(outcome.names) > 1:  # one run drawn in full in every chart, the others faded
        if st.session_state.get("highlight") not in (None, *outcome.names):
            del st.session_state["highlight"]  # its run left the comparison
        hl = st.columns([2, 3])[0].selectbox("Highlight in every chart", [None, *outcome.names],
                          format_func=lambda n: "no run (all drawn alike)" if n is None else n,
                          key="highlight",
                          help="The same as clicking the run in a chart's legend, in every "
                               "chart at once; a click in a legend changes that chart only.")
    view.publish({"x_axis": x_axis, "loss_y": y_show, "log": log, "log_x": log_x,
                  "smooth": smooth, "rep_line": line, "rep_band": spread,
                  "rep_seeds": every}, st.session_state.get(view.LOADED))
    hist, status, key = outcome.history, outcome.status, outcome.key
    shown_hist, band = results.drawn(outcome, line, spread)
    units = "standardized" if dataset.standardized else ""
    look = (height, big, line, spread)
    excess = outcome.reference_loss if y_show == "excess" else None
    ref_name = outcome.reference_name
    loss_title = "Log-loss (full data, cross-entropy)" if logistic else "Loss (full data, MSE)"
    params = outcome.params

    seeds = results.seed_lines(outcome) if every else None
    loss = (("loss", key, x_axis, log, log_x, y_show, smooth, every, look),
            lambda: charts.loss_parts(shown_hist, x=x_axis, log=log, smooth=smooth,
                                      status=status, height=height, big=big,
                                      excess_over=excess, log_x=log_x, title=loss_title,
                                      best_name=best, band=band, seeds=seeds))
    lr = (("lr", key, x_axis, look), lambda: charts.lr_parts(hist, x=x_axis, height=height,
                                                             big=big))
    grad = (("grad", key, x_axis, look), lambda: charts.grad_parts(
        shown_hist, clip=results.clip_thresholds(outcome), x=x_axis, height=height,
        big=big, band=band))
    first = [loss, (("acc", key, x_axis, look), lambda: charts_models.accuracy_chart(
        hist, x=x_axis, height=height, big=big))] if logistic else [loss, lr]
    _pairs(first, hl)

    # the parameter plane, and the model over the data
    if len(params) > 2:  # which plane: in a popover, so the two charts below stay level
        pop = st.columns([1, 1] if not big else [3, 1])[0].popover(
            "Surface: which two parameters, the others where", width="stretch",
            icon=":material/tune:")
        with pop:
            (u, v), plane, held = _plane_controls(outcome, dataset, big)
    else:
        (u, v), plane, held = _plane_controls(outcome, dataset, big)
    left, right = st.columns(2)
    on = charts_space.on_plane(hist, u, v)
    ref_uv = {"w": outcome.reference.get(u), "b": outcome.reference.get(v)} \
        if outcome.reference else {}
    sliced = plane is not None and len(params) > 2
    plane_title = f"Loss across {u} and {v}" if sliced else None
    plane_note = (f"others at {held}" + ("'s last point" if held != ref_name else "")
                  + f" · ◆ {ref_name}, ○ start") if sliced else None
    render.chart(left, ("path", key, units, u, v, held, json.dumps(plane and plane[2]), look),
                 highlight=hl, build=lambda: charts_space.path_parts(
                     charts_space.loss_surface(outcome.problem, on, ref_uv, status=status,
                                               plane=plane),
                     on, ref_uv, status=status, runs=outcome.names, units=units,
                     height=height, big=big,
                     titles=(_feature(dataset, u), _feature(dataset, v)),
                     reference_name=ref_name, title=plane_title, subtitle=plane_note))
    cond, where = results.conditioning(outcome)
    left.caption(_conditioning_text(cond, where, len(params) > 2, logistic))
    with right:
        if logistic and dataset.d <= 2:
            model_key = ("boundary", key, look)
            model = lambda: charts_models.boundary_chart(  # noqa: E731
                dataset.frame(), dataset.x_names, dataset.y_name, results.final_params(outcome),
                classes=results.class_names(dataset), runs=outcome.names,
                reference=results.original_point(dataset, outcome), reference_name=ref_name,
                height=height, big=big)
        elif dataset.d == 1:
            model_key = ("fit", key, look)
            model = lambda: charts_space.fit_parts(  # noqa: E731
                dataset.frame(), dataset.x_names[0], dataset.y_name, results.fit_lines(outcome),
                reference=results.original_reference(dataset, outcome.reference),
                runs=outcome.names, height=height, big=big)
        else:
            model_key = ("weights", key, look)
            model = lambda: charts_models.weights_chart(  # noqa: E731
                results.weights_frame(outcome, dataset), runs=outcome.names,
                reference_name=ref_name, height=height, big=big)
        render.chart(st, model_key, model, highlight=hl)

    # each parameter over time
    shown = list(params)
    if len(params) > 6:
        shown = st.multiselect("Parameters over time", list(params),
                               default=[*params[:4], params[-1]], key=f"shown.{len(params)}",
                               format_func=lambda p: _feature(dataset, p))
    _pairs([(("param", p, key, x_axis, look), lambda p=p: charts.param_parts(
        shown_hist, p, reference=outcome.reference.get(p), x=x_axis, status=status,
        height=height, big=big, label=_feature(dataset, p), reference_name=ref_name,
        band=band)) for p in shown], hl)
    _pairs([lr, grad] if logistic else [grad], hl)
    if outcome.n_repeats > 1:
        note = results.diverged_note(outcome)
        st.caption(f"Each run over {outcome.n_repeats} paired seeds: the lines are "
                   f"{line}s, the bands the {results.SPREADS[spread]} range; the surface and "
                   "the fitted lines show each run's first seed." + (
                       f" {escape_md(note)} (a diverged seed leaves the band where it "
                       "diverges)." if note else ""))


def _runs_table(experiment, outcome: results.Outcome, classroom: bool) -> results.Outcome:
    """Every run's settings side by side (only what differs, by default); rows selected there
    are the runs the charts draw. Returns the outcome the charts draw."""
    if len(outcome.runs) < 2 or classroom:
        return outcome
    with st.expander("Runs side by side: their settings, and which runs the charts draw",
                     icon=":material/table_rows:"):
        differ = st.toggle("Only the settings that differ", value=True, key="runs_differ")
        table = results.settings_table(experiment, differ_only=differ)
        table = table[table["run"].isin(outcome.names)].reset_index(drop=True)
        event = st.dataframe(table, hide_index=True, on_select="rerun",
                             selection_mode="multi-row", key="runs_table",
                             column_config={"run": st.column_config.TextColumn(pinned=True)})
        rows = [i for i in event.selection.rows if 0 <= i < len(table)]
        if not rows:
            st.caption("Select rows to draw only those runs (click a header to sort).")
            return outcome
        names = [str(table["run"].iloc[i]) for i in rows]
        st.caption(f"The charts draw the {len(names)} selected run"
                   f"{'s' if len(names) != 1 else ''}; clear the selection to draw all.")
    return results.only(outcome, names)


def _against_a_setting(experiment, outcome: results.Outcome, height: int, big: bool) -> None:
    """The final (or best) loss of every run against one setting that varies between them."""
    settings = results.varied_settings(experiment)
    if not settings or not outcome.runs or classroom:
        return
    if not st.toggle("Draw the loss against a setting", key="vs_on",
                     help="Every run's final (or best) loss against one setting that differs "
                          "between the runs (the learning rate, momentum, β₁ …), one line per "
                          "optimizer, with the seeds' 10-90 % range."):
        return
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    if st.session_state.get("vs_setting") not in settings:
        st.session_state["vs_setting"] = ("optimizer.lr" if "optimizer.lr" in settings
                                          else settings[0])
    setting = c1.selectbox("Setting", settings, key="vs_setting",
                           help="A setting that differs between the runs (as the setup's JSON "
                                "names it).")
    metric = c2.segmented_control("Loss", ["final_loss", "best_loss"], default="final_loss",
                                  format_func={"final_loss": "final",
                                               "best_loss": "best"}.get,
                                  key="vs_metric", required=True) or "final_loss"
    frame = results.by_setting(outcome, experiment, setting)
    log_x = results.log_axis(frame["value"], setting)
    render.chart(st, ("vs", outcome.key, setting, metric, height, big), lambda: (
        charts.setting_chart(frame, setting, metric=metric, log_x=log_x, height=height,
                             big=big)))


def _verdict(outcome: results.Outcome) -> None:
    """Is the difference between two runs real? Their paired repeats, in a sentence."""
    names = outcome.names
    if len(names) < 2:
        return
    st.subheader("Is the difference real?")
    pair = results.verdict_pair(outcome)
    if pair is None:  # one seed per run
        st.caption("One seed per run cannot tell whether a difference is real, or luck of the "
                   "row order: set Seeds per run (in the sidebar) to 10 or more to compare "
                   "runs over paired seeds.")
        return
    c1, c2 = st.columns(2)
    a = c1.selectbox("Run", names, index=names.index(pair[0]), key="verdict_a")
    rest = [n for n in names if n != a]
    if st.session_state.get("verdict_b") not in rest:
        st.session_state.pop("verdict_b", None)
    b = c2.selectbox("against", rest, index=rest.index(pair[1]) if pair[1] in rest else 0,
                     key="verdict_b")
    found = results.verdict(outcome, a, b)
    (st.success if found.clear else st.info)(escape_md(found.text))
    st.caption("An exact sign test over the paired seeds and a bootstrap interval of the median "
               "difference of final losses (gdcore.engine.stats). It speaks for these seeds and this "
               "data; twenty seeds find a large, consistent difference, not a small one.")


def _conditioning_text(cond, where: str, sliced: bool, logistic: bool) -> str:
    """What the Hessian's eigenvalues say, in words (the numbers come from the engine)."""
    hessian = ("the Hessian X̃ᵀ diag(σ(1−σ)) X̃ / n" if logistic else
               "the Hessian 2 X̃ᵀX̃ / n, constant")
    head = f"Curvature at the {where} ({hessian}; X̃: the x columns and a column of ones)"
    if not cond.lam_min > 0:
        return (f"{head}: λmax = {cond.lam_max:.3g}, λmin = "
                f"{cond.lam_min:.3g} (not positive: no single minimum there).")
    steps = cond.updates_per_efold
    out = (f"{head}: λmax = {cond.lam_max:.3g}, λmin = {cond.lam_min:.3g}, "
            f"condition number κ = λmax/λmin = {cond.kappa:.3g}. Plain gradient descent is "
            f"stable below lr = 2/λmax = {cond.lr_limit:.3g}; at lr = 1/λmax it needs about "
            f"{steps:,.0f} step{'s' if round(steps) != 1 else ''} to shrink the error along "
            "the flattest direction by a factor e. Newton's method does not depend on κ.")
    if sliced:
        out += (" The surface is a slice through the other parameters' values; the paths "
                 "move in those too, so they are shadows on it.")
    return out


def _sidebar(setup: dict[str, Any], task: str):
    """The sidebar: preset, data and runs. Returns the data choice, the runs and the repeats
    as edited."""
    with st.sidebar:
        st.header("Setup")
        load_preset = False
        if classroom:  # what is shown, never a control that changes it
            st.caption("Classroom mode: the setup is shown, not edited. Turn it off to change "
                       "the preset, the data or the runs.")
            st.markdown(f"**Task**: {TASKS[task]}")
        else:
            st.session_state["task_choice"] = task  # follows the setup (a link, an import)
            st.segmented_control("Task", list(TASKS), format_func=TASKS.get, key="task_choice",
                                 required=True, on_change=_switch_task,
                                 help="Fit a line (or plane) by least squares, or separate two "
                                      "classes by logistic regression (cross-entropy).")
            with st.container(border=True):
                preset = st.selectbox("Start from a preset", list(presets.PRESETS),
                                      format_func=lambda k: presets.PRESETS[k].title, key="preset")
                st.caption(escape_md(presets.PRESETS[preset].lesson_for(task)))
                load_preset = st.button("Load preset", type="primary", width="stretch")
        st.subheader("Data")
        with st.container(border=not classroom):
            choice = data_source("dash", setup["data"], version=state.version(),
                                 editable=not classroom, problem=task)
        if load_preset and not choice.waiting:
            state.replace(state.normalized(
                presets.build(preset, data=choice.config, dataset=choice.dataset, problem=task)))
            fit.remember_preset(preset, state.current(), choice.dataset)
            show_view(presets.PRESETS[preset].view, preset)
            st.rerun()
        fit.follow_data(setup, choice)
        if classroom:
            runs = setup["runs"]
            st.subheader("Runs")
            for r in runs:
                opt = r.get("optimizer", {})
                how = (escape_md(opt.get("name", "sgd")) if (r.get("method") or {}).get(
                    "name", "gd") == "gd" else escape_md(r["method"]["name"].replace("_", " ")))
                st.markdown(f"- **{escape_md(r['name'])}**: {how}, "
                            f"lr {float(opt.get('lr', 0)):.3g}, batch "
                            f"{escape_md(r.get('batch_size', 'full'))}, {r.get('epochs')} epochs")
        else:
            st.subheader("Runs")
            with st.container(border=True):
                repeat = repeats_editor(setup.get("repeats"))
            runs = run_editor(setup["runs"], n_rows=choice.dataset.n,
                              params=results.param_names(choice.dataset))
    if classroom:
        repeat = setup.get("repeats") or {"n": 1}
        if repeat.get("n", 1) > 1:
            st.sidebar.caption(f"Each run over {int(repeat['n'])} paired seeds.")
    return choice, runs, repeat


def _experiment(task: str, choice, runs: list[dict[str, Any]], repeat: dict[str, Any],
                link_error: str | None):
    """The experiment the page runs: the setup as edited, or the last one that worked (with
    the reason it cannot run), stored and written into the link."""
    new_setup = {"version": FORMAT_VERSION, "problem": task, "data": choice.config, "runs": runs,
                 "repeats": repeat}
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
        if experiment.problem != task or results.over_budget(experiment, choice.dataset):
            # it was for another task, or for other, smaller data
            experiment = gdcore.parse_experiment(
                presets.build("lr", data=choice.config, dataset=choice.dataset, problem=task))
        state.store(new_setup)

    if not choice.waiting and not link_error:
        too_big = state.publish(experiment.to_dict())
        if too_big:
            st.warning(escape_md(too_big))
    if choice.uploaded:
        st.info("Uploaded data is in use. It cannot travel in a link: the link keeps the runs and "
                "column choices, and whoever opens it must upload the same file.")
        opened = st.session_state.get("opened_from_store")  # (pages/4_Experiments.py)
        if opened and opened.get("hash") and not choice.waiting:
            if same_data(opened, choice.dataset):
                st.caption("This is the data the saved experiment ran on (its fingerprint "
                           "matches).")
            else:
                st.warning(f"This is not the data the saved experiment ran on: that was "
                           f"{escape_md(opened.get('source', ''))}, {opened.get('rows', 0):,} "
                           f"rows, columns {escape_md(', '.join(opened.get('columns', [])))}. "
                           "Upload that file to compare like with like.")
    return experiment


def _results(experiment, choice, height: int) -> None:
    """The runs, their charts, the results table and the share buttons (the main area)."""
    # --- run (cached per run) and draw -----------------------------------------------------------
    fit.notices(experiment.to_dict(), choice, editable=not classroom)
    outcome = results.run_all(experiment, choice.dataset)
    for name, message in outcome.errors:
        st.error(f"Run {escape_md(name)} did not run: {escape_md(message)}")
    for r in outcome.runs:
        if r.status == "stopped":
            st.info(f"Run {escape_md(r.name)} was stopped at update {r.steps:,}, as asked: it is "
                    "drawn as far as it got. Change any setting to run it again.")
    if not outcome.runs:  # (nothing to draw: the messages above say why)
        return
    fit.far_from_reference(outcome, experiment.to_dict(), choice, editable=not classroom)

    comparison_charts(_runs_table(experiment, outcome, classroom), choice.dataset,
                      big=classroom, height=height)


    st.subheader("Results")
    st.caption(results.reference_text(outcome, choice.dataset))
    table = results.results_table(outcome, choice.dataset)
    if classroom:  # an HTML table: its text follows the projector stylesheet
        shown, messages = results.classroom_table(table)
        text.table(st, shown)
        for run, message in messages:
            st.caption(f"**{escape_md(run)}**: {escape_md(message)}")
    else:
        st.dataframe(table, hide_index=True, column_config=results.TABLE_COLUMNS)

    _verdict(outcome)
    _against_a_setting(experiment, outcome, height, classroom)

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
    if not classroom:
        saved.save_control(lambda: saved.result_of(experiment, outcome, choice.dataset),
                           upload=saved.kept_upload() if choice.uploaded else None)


# --- the page: in this session's turn at the interpreter (ui/render.py: a class's sessions
# take turns by whole script runs, so the first finishes after its own work, the median after
# half the class's; a long run gives its turn back while it waits) -----------------------------
with render.turn():
    link_error = state.init(lambda: presets.build("lr"))
    st.session_state.setdefault(view.LOADED, "lr")  # the default setup is the first preset's
    view_refused = view.apply_from_link(presets.PRESETS)  # the link's chart view (ui/view.py)
    setup = state.current()
    height = 430 if classroom else 300

    st.title("Gradient Descent Lab")
    st.caption("Several gradient-descent runs on the same data, side by side. Change the data or a "
               "run in the sidebar; the address bar always holds the whole setup, so a copied link "
               "reproduces it.")
    if link_error:
        st.error(escape_md(link_error))
    if view_refused:
        st.warning("The link's chart view: " + escape_md("; ".join(view_refused)) + ". Those "
                   "settings are left as they were; the rest of the link is applied.")

    task = setup.get("problem", "linear")

    choice, runs, repeat = _sidebar(setup, task)
    _results(_experiment(task, choice, runs, repeat, link_error), choice, height)
