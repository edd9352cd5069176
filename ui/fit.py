"""Runs that suit the data: when the data changes, learning rates chosen for other data are not
left to diverge without a word.

* A preset's runs that nobody edited are rebuilt for the new data (the presets compute their
  learning rates from the data's curvature), with a note saying so.
* Edited runs are left as they are, but any whose learning rate is at or above its stability
  limit for this data is named next to the runs, with the limit, and one click fits the rates
  to the data (``lab.presets.fit_learning_rates``).
* Data whose loss surface is a long narrow valley (x in the hundreds, say) gets a note saying
  why plain gradient descent is hopeless on it, with one click to standardize.

The numbers all come from ``lab.presets``; this module only decides what to show.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import streamlit as st

from gdcore.errors import GDError
from gdcore.limits import LIMITS
from lab import presets
from ui import state
from ui.widgets import escape_md

MAX_EPOCHS = int(LIMITS["epochs"].high)
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
    floor = None if standardized else presets.lr_floor_note(c)
    if floor:
        with st.container(border=True):
            st.warning(escape_md(floor))
            if editable:
                st.button("Standardize x and y", on_click=_standardize_now, type="primary",
                          key="standardize_floor",
                          help="Fit on z-scores; results are also shown in the original units.")
        return  # (the narrow-valley note says the same at greater length)
    note = None if standardized else presets.condition_note(c)
    if note:
        with st.container(border=True):
            st.info(escape_md(note))
            if editable:
                st.button("Standardize x and y", on_click=_standardize_now,
                          help="Fit on z-scores; results are also shown in the original units.")


def _more_epochs(factor: int = 10) -> None:
    setup = copy.deepcopy(state.current())
    for run in setup["runs"]:
        run["epochs"] = int(min(int(run.get("epochs", 1)) * factor, MAX_EPOCHS))
    state.replace(setup)


def _fit_to_data(choice_dataset) -> None:
    """Every run at this data's 1/λmax (its own rate otherwise kept)."""
    setup = copy.deepcopy(state.current())
    c = presets.curvature(choice_dataset, _kind(setup))
    for run in setup["runs"]:
        run.setdefault("optimizer", {})["lr"] = float(f"{c.lr_good:.3g}")
    state.replace(state.normalized(setup))


def far_from_reference(outcome, setup: dict[str, Any], choice, *, editable: bool) -> None:
    """When every run that did not diverge ended far from the reference (least squares, the
    optimum), whatever the data's conditioning: say so, with the numbers, and offer the fixes
    (standardize, more epochs, the fitted rate) one click each."""
    if choice.waiting or not outcome.runs:
        return
    short = presets.shortfall(outcome.runs, outcome.reference)
    if short is None:
        return
    ref = outcome.reference_name
    epochs = sorted({int(r.config.epochs) for r in outcome.runs})
    when = f"after {epochs[0]:,} epochs" if len(epochs) == 1 else "by their ends"
    text = (f"The runs end far from {ref} {when}: the closest, {escape_md(short.closest)}, is "
            f"{short.distance:.3g} from it (it started {short.start:.3g} away).")
    whose = f"{ref}'" if ref.endswith("s") else f"{ref}'s"  # least squares', the optimum's
    for name, got, want in short.flipped:
        text += (f" Its {escape_md(name)} is {got:+.3g} where {whose} is {want:+.3g}: the "
                 "fitted line slopes the wrong way.") if name == "w" else (
            f" Its {escape_md(name)} is {got:+.3g} where {whose} is {want:+.3g}.")
    standardized = bool(choice.config.get("standardize"))
    text += (" The loss falls fast along the steep direction and crawls along the flat one; "
             "standardizing makes the two alike, more epochs go further along, and the "
             "fitted rate (1/λmax) is the largest that is safe for plain gradient descent.")
    with st.container(border=True):
        st.info(text)
        if editable:
            cols = st.columns(3)
            valley = presets.condition_note(presets.curvature(choice.dataset, _kind(setup)))
            if not standardized and not valley:  # (else the valley's note above offers it)
                cols[0].button("Standardize x and y", on_click=_standardize_now, key="far_std",
                               help="Fit on z-scores; results are also shown in the original "
                                    "units.")
            cols[1].button("Run 10× the epochs", on_click=_more_epochs, key="far_epochs",
                           help=f"Every run's epochs times 10 (at most {MAX_EPOCHS:,}).")
            cols[2].button("Use the fitted rate (1/λmax)", on_click=_fit_to_data,
                           args=(choice.dataset,), key="far_lr",
                           help="Every run's learning rate set to this data's 1/λmax.")
