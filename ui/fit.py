"""Runs that suit the data: when the data changes, learning rates chosen for other data are not
left to diverge without a word.

* A preset's runs that nobody edited are rebuilt for the new data (the presets compute their
  learning rates from the data's curvature), with a note saying so.
* Edited runs are left as they are, but any whose learning rate is at or above its stability
  limit for this data is named next to the runs, with the limit, and one click fits the rates
  to the data (``gdcore.presets.fit_learning_rates``).
* Data whose loss surface is a long narrow valley (x in the hundreds, say) gets a note saying
  why plain gradient descent is hopeless on it, with one click to standardize.

The numbers all come from ``gdcore.presets``; this module only decides what to show.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import streamlit as st

from gdcore import presets
from gdcore.errors import GDError
from ui import state
from ui.widgets import escape_md

FIT = "_runs_fit"  # what the current runs' learning rates were chosen for
NOTE = "_runs_fit_note"  # (data hash, text): said after the runs were refitted, for that data


def _kind(setup) -> str:
    """The setup's problem: "linear" or "logistic"."""
    return setup.get("problem", "linear")


def _runs_key(runs) -> str:
    return json.dumps(runs, sort_keys=True)


def remember_preset(key: str, setup: dict[str, Any], dataset) -> None:
    """Call after loading preset ``key`` built on ``dataset``: its runs fit this data."""
    st.session_state[FIT] = {"data": dataset.content_hash(), "preset": key,
                             "runs": _runs_key(setup["runs"]),
                             "curvature": presets.curvature(dataset, _kind(setup))}


def follow_data(setup: dict[str, Any], choice) -> None:
    """On new data: rebuild an unedited preset for it (and rerun), else remember nothing new."""
    if choice.waiting:
        return
    h = choice.dataset.content_hash()
    fit = st.session_state.get(FIT)
    if fit is None:  # first sight (the default preset, or a shared link)
        default = state.normalized(presets.build("lr", data=choice.config, dataset=choice.dataset,
                                                 problem=_kind(setup)))
        same = _runs_key(default["runs"]) == _runs_key(setup["runs"])
        st.session_state[FIT] = {"data": h, "preset": "lr" if same else None,
                                 "runs": _runs_key(setup["runs"]),
                                 "curvature": presets.curvature(choice.dataset, _kind(setup))
                                 if same else None}
        return
    if fit["data"] == h:
        return
    if fit["preset"] and fit["runs"] == _runs_key(setup["runs"]):
        try:
            new = presets.build(fit["preset"], data=choice.config, dataset=choice.dataset,
                                problem=_kind(setup))
        except GDError:  # data the preset cannot be built for: keep the runs, say nothing new
            st.session_state[FIT] = {**fit, "data": h, "preset": None}
            return
        setup = copy.deepcopy(setup) | {"data": choice.config, "runs": new["runs"]}
        state.replace(state.normalized(setup))
        remember_preset(fit["preset"], state.current(), choice.dataset)
        c = st.session_state[FIT]["curvature"]
        st.session_state[NOTE] = (h, (
            f"New data: the preset's learning rates were recomputed for it (they follow its "
            f"curvature: 1/λmax = {c.lr_good:.3g}, stable below 2/λmax = {c.lr_stable:.3g})."))
        st.rerun()


def _fit_now(choice_dataset, old_curvature) -> None:
    setup = copy.deepcopy(state.current())
    new = presets.curvature(choice_dataset, _kind(setup))
    setup["runs"] = presets.fit_learning_rates(setup["runs"], new, old_curvature)
    state.replace(state.normalized(setup))
    st.session_state[FIT] = {"data": choice_dataset.content_hash(), "preset": None,
                             "runs": _runs_key(state.current()["runs"]), "curvature": new}
    st.session_state[NOTE] = (choice_dataset.content_hash(),
                              "The learning rates now suit this data.")


def _standardize_now() -> None:
    setup = copy.deepcopy(state.current())
    setup["data"] = {**setup["data"], "standardize": True}
    state.replace(setup)


def notices(setup: dict[str, Any], choice, *, editable: bool) -> None:
    """What the page says about the runs and this data (above the charts)."""
    if choice.waiting:
        return
    note = st.session_state.get(NOTE)
    if note and note[0] == choice.dataset.content_hash():  # until the data changes again
        st.success(escape_md(note[1]))
    c = presets.curvature(choice.dataset, _kind(setup))
    fit = st.session_state.get(FIT) or {}
    as_built = (fit.get("preset") and fit.get("data") == choice.dataset.content_hash()
                and fit.get("runs") == _runs_key(setup["runs"]))
    # a preset built for this data diverges only where that is its lesson: no warning then
    bad = [] if as_built else presets.unstable_runs(c, setup["runs"])
    if bad:
        # the cross-entropy flattens away from the start: past the limit a run bounces (and
        # may still settle) rather than surely diverging as on the squared error
        fate = "so it will diverge" if c.problem == "linear" else \
            "so its loss will bounce (it may diverge)"
        lines = [f"- **{escape_md(b['run'])}**: lr {b['lr']:.3g} is above {escape_md(b['what'])} "
                 f"= {b['limit']:.3g} for this data, {fate}." for b in bad]
        every = (" Every run will diverge." if len(bad) == len(setup["runs"])
                 and c.problem == "linear" else "")
        with st.container(border=True):
            st.warning("These learning rates are too large for this data." + every + "\n\n"
                       + "\n".join(lines))
            if editable:
                old = fit.get("curvature") if fit.get("data") != choice.dataset.content_hash() \
                    else None
                how = ("rescales every run's rate by how much steeper this data is than the data "
                       "they were chosen for" if old is not None else
                       "sets each of these runs to half its limit; the others keep theirs")
                st.button("Fit the learning rates to this data", type="primary",
                          on_click=_fit_now, args=(choice.dataset, old), help=how.capitalize())
    standardized = bool(choice.config.get("standardize"))
    note = None if standardized else presets.condition_note(c)
    if note:
        with st.container(border=True):
            st.info(escape_md(note))
            if editable:
                st.button("Standardize x and y", on_click=_standardize_now,
                          help="Fit on z-scores; results are also shown in the original units.")
