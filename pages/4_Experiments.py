"""Saved experiments: a table of them and of their runs across experiments, runs from different
experiments overlaid, an experiment opened back in the comparison page; rename, tag, delete
(with undo for this session), export and import. The store: gdcore/store.py (ui/saved.py)."""

import json

import pandas as pd
import streamlit as st

from ui import fresh  # isort: skip (first of the app's modules)

fresh.modules()  # a source changed under the server: import the app anew (ui/fresh.py)

import gdcore
from gdcore.store import load_export, shown_url
from ui import charts, nav, render, results, saved, state
from ui.classroom import apply_classroom
from ui.text import escape_md
from ui.version import keep_current

st.set_page_config(page_title="Experiments · Gradient Descent Lab", page_icon=nav.ICON,
                   layout="wide")
keep_current()  # first: nothing kept under other code reaches this run (ui/version.py)
nav.links()  # named pages (ui/nav.py)
classroom = apply_classroom()

UNDO = "experiments_undo"  # this session's deleted experiments (export documents), newest last
OPENED = "opened_from_store"  # the data fingerprint of the experiment opened in the dashboard
OVERLAY_NOT_PARAMS = {"run", "step", "epoch", "samples", "lr", "loss", "batch_loss",
                      "grad_norm", "clipped", "accuracy", "seed", "repeat"}
OVERLAY_NAMES = {"loss": "loss", "b": "intercept b", "grad_norm": "gradient norm"}

st.title("Experiments")
store = saved.store()
if store is None:
    st.stop()
st.caption("Experiments saved from the comparison page or the command line (`python -m gdcore "
           "run setup.json --save NAME`), kept in " + escape_md(shown_url(store.url)) + ". "
           "Select experiments to see their runs, overlay runs from several, open one in the "
           "comparison page, or export them.")


def _undo() -> None:
    kept = st.session_state.get(UNDO) or []
    if kept and store is not None:
        store.import_doc({"format": "gdcore-experiments", "version": 1,
                          "experiments": [kept.pop()]})


try:
    table = store.list()
except gdcore.GDError as err:
    st.error(escape_md(err))
    st.stop()

if st.session_state.get(UNDO):
    last = st.session_state[UNDO][-1]
    st.button(f"Undo: bring back {escape_md(last['name'])}", on_click=_undo,
              icon=":material/undo:",
              key="exp_undo_button")

with st.expander("Import experiments (a JSON file exported here or by the CLI)"):
    up = st.file_uploader("Exported experiments", type=["json"], key="exp_import")
    if up is not None and st.session_state.get("exp_imported") != up.file_id:
        try:
            ids = store.import_doc(load_export(up.getvalue()))
        except gdcore.GDError as err:
            st.error(escape_md(err))
        else:
            st.session_state["exp_imported"] = up.file_id
            st.success(f"Imported {len(ids)} experiment{'s' if len(ids) != 1 else ''}.")
            st.rerun()

if table.empty:
    st.info("No saved experiments yet. On the comparison page, **Save this experiment** (under "
            "Share and keep) keeps the current one here.")
    st.stop()

# --- filters and the experiments table ---------------------------------------------------------
all_runs = store.runs()
all_tags = sorted({t for tags in table["tags"] for t in tags})
c1, c2, c3 = st.columns([2, 1, 2])
want_tags = c1.multiselect("Tags", all_tags, key="exp_tags")
problems = sorted(set(table["problem"]))
want_problem = c2.selectbox("Task", ["any", *problems], key="exp_problem")
needle = c3.text_input("Name contains", key="exp_find", max_chars=200)
c4, c5 = st.columns([3, 2])
want_data = c4.multiselect("Data", sorted(set(table["data"])), key="exp_data",
                           help="Experiments on any of these data sources (a sample, generated "
                                "data, an uploaded file's name).")
optimizers = sorted({o for o in all_runs["optimizer"] if isinstance(o, str)})
want_opt = c5.multiselect("Optimizer", optimizers, key="exp_optimizer",
                          help="Experiments with a run of any of these optimizers; the runs "
                               "table below lists only those runs.")
shown = table
if want_tags:
    shown = shown[shown["tags"].map(lambda ts: all(t in ts for t in want_tags))]
if want_problem != "any":
    shown = shown[shown["problem"] == want_problem]
if needle.strip():
    shown = shown[shown["name"].str.contains(needle.strip(), case=False, regex=False)]
if want_data:
    shown = shown[shown["data"].isin(want_data)]
if want_opt:
    shown = shown[shown["id"].isin(
        set(all_runs.loc[all_runs["optimizer"].isin(want_opt), "experiment"]))]
shown = shown.reset_index(drop=True)
if shown.empty:
    st.info("No saved experiment matches these filters: clear one to see more.")
view = shown.assign(tags=shown["tags"].map(", ".join))
event = st.dataframe(
    view[["id", "name", "tags", "created", "problem", "data", "rows", "runs", "note"]],
    hide_index=True, on_select="rerun", selection_mode="multi-row", key="exp_table",
    column_config={"id": st.column_config.NumberColumn(width=60),
                   "name": st.column_config.TextColumn(width="medium", pinned=True),
                   "note": st.column_config.TextColumn(width="large")})
rows = [i for i in event.selection.rows if 0 <= i < len(shown)]
ids = [int(shown["id"].iloc[i]) for i in rows]
if not ids:
    st.caption("Select one or more experiments (tick their rows) to act on them.")

# --- actions on the selection ------------------------------------------------------------------
if ids:
    a1, a2, a3 = st.columns(3)
    a1.download_button("Download selected (JSON)", json.dumps(store.export(ids)).encode(),
                       file_name="gd-experiments.json", mime="application/json",
                       on_click="ignore", width="stretch")
    if a2.button(f"Delete {len(ids)} selected", key="exp_delete", width="stretch"):
        undo = st.session_state.setdefault(UNDO, [])
        for eid in ids:
            undo.append(store.delete(eid))
        st.rerun()
    if len(ids) == 1 and a3.button("Open in the comparison page", key="exp_open",
                                   type="primary", width="stretch"):
        e = store.get(ids[0])
        state.replace(state.normalized(e["setup"]))
        st.session_state[OPENED] = e["data"]
        if e["data_bytes"] is not None:  # the file was kept with it: the dashboard uses it
            st.session_state["dash.upload_kept"] = (e["data"]["name"] or "upload.csv",
                                                    e["data_bytes"])
        st.switch_page("dashboard.py")
    if len(ids) == 1:
        e = store.get(ids[0])
        with st.expander(f"Rename, tag or note: {escape_md(e['name'])}"):
            new_name = st.text_input("Name", e["name"], max_chars=200, key=f"exp_name.{ids[0]}")
            new_tags = st.text_input("Tags (comma-separated)", ", ".join(e["tags"]),
                                     max_chars=400, key=f"exp_tagtext.{ids[0]}")
            new_note = st.text_area("Note", e["note"], max_chars=5000, key=f"exp_note.{ids[0]}")
            if st.button("Save changes", key=f"exp_change.{ids[0]}"):
                try:
                    store.rename(ids[0], new_name)
                    store.set_tags(ids[0], new_tags)
                    store.set_note(ids[0], new_note)
                except gdcore.GDError as err:
                    st.error(escape_md(err))
                else:
                    st.rerun()
        if e["data"]["source"] and not e["data"]["rows"] == 0:
            kept = "the file is kept with it" if e["data_bytes"] is not None else (
                "only its fingerprint is kept: opening it asks for the same file"
                if e["setup"].get("data", {}).get("source") == "csv" else
                "its setup makes the data again")
            st.caption(f"Data: {escape_md(e['data']['source'])}, {e['data']['rows']:,} rows, "
                       f"columns {escape_md(', '.join(e['data']['columns']))}; {kept}.")

# --- runs across experiments, and the overlay --------------------------------------------------
st.subheader("Runs")
runs = all_runs[all_runs["experiment"].isin(ids or set(shown["id"]))]
if want_opt:
    runs = runs[runs["optimizer"].isin(want_opt)]
runs = runs.reset_index(drop=True)
st.caption("Every run of the selected experiments (of all those listed above, when none is "
           "selected). Select runs to overlay their loss or weight curves; click a header to "
           "sort (by final loss, steps to converge or any setting).")
differ = st.toggle("Only the settings that differ", value=True, key="exp_differ",
                   help="Off: every setting of every run. On: only those that are not the same "
                        "for all the runs listed (the run's name always).")
shown = runs.drop(columns=["optimizer", "lr", "batch_size", "settings"])
settings = (results.settings_frame(list(runs["settings"]), differ_only=differ).drop(
    columns="run") if len(runs) else pd.DataFrame(index=runs.index))
shown = pd.concat([shown[["experiment", "experiment name", "run"]], settings,
                   shown.drop(columns=["experiment", "experiment name", "run"])], axis=1)
picked = st.dataframe(shown, hide_index=True, on_select="rerun", selection_mode="multi-row",
                      key="exp_runs", column_config={
                          "experiment name": st.column_config.TextColumn(width="medium"),
                          "run": st.column_config.TextColumn(width="medium", pinned=True),
                          "final_loss": st.column_config.NumberColumn(format="%.5g")})
chosen = [i for i in picked.selection.rows if 0 <= i < len(runs)]
if chosen:
    frames, status, prints = [], {}, {}
    for i in chosen:
        row = runs.iloc[i]
        e = store.get(int(row["experiment"]))
        r = next(x for x in e["runs"] if x["name"] == row["run"])
        label = f"#{e['id']} {e['name']} · {r['name']}"
        frames.append(r["history"].assign(run=label))
        status[label] = r["summary"].get("status", "")
        prints[e["data"]["hash"]] = e["data"]["source"]
    hist = pd.concat(frames, ignore_index=True)
    # what to overlay: the loss, or a parameter every selected run has (w, b, w2 ...)
    params = [c for c in frames[0].columns if all(c in f.columns for f in frames)
              and c not in OVERLAY_NOT_PARAMS and not c.endswith("_original")]
    curves = ["loss", *params, "grad_norm"]
    if st.session_state.get("exp_curve") not in curves:
        st.session_state["exp_curve"] = "loss"
    curve = st.segmented_control("Overlay", curves, key="exp_curve", required=True,
                                 format_func=lambda c: OVERLAY_NAMES.get(c, f"weight {c}"),
                                 help="The loss, a learned parameter (those every selected "
                                      "run has) or the gradient's norm, per update.")
    look = ("stored-overlay", curve, tuple(sorted(chosen)), tuple(runs["run"]),
            tuple(runs["experiment"]))
    if curve == "loss":
        render.chart(st, look, lambda: charts.loss_chart(
            hist, x="step", log=True, status=status,
            title="Loss of the selected runs (full data)"))
    elif curve == "grad_norm":
        render.chart(st, look, lambda: charts.grad_chart(hist, x="step"))
    else:
        render.chart(st, look, lambda: charts.param_chart(
            hist, curve, x="step", status=status, label=f"{curve} of the selected runs"))
    if len(prints) > 1:
        st.warning("These runs were on different data (" + "; ".join(
            escape_md(v) for v in prints.values()) + "): their losses are not on one scale.")
