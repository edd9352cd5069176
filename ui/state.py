"""The page's setup (data settings + runs, in the engine's experiment format) in the session
and in the URL.

* ``st.session_state["setup"]`` holds the current setup as an engine experiment dict.
* ``st.session_state["setup_version"]`` counts replacements (preset, JSON import, shared link,
  add/duplicate/remove a run): widget keys include it, so widgets restart from the new setup.
* The URL holds the whole setup in one query parameter, ``?s=<token>`` (see
  :mod:`gdcore.spec.share`), so a copied link reproduces it on another machine.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

import gdcore
from gdcore.errors import GDError
from gdcore.models import DATA_PROBLEMS  # the problems this page runs (the others: landscape)
from gdcore.spec import share

SETUP = "setup"
VERSION = "setup_version"
VALID = "setup_valid"
URL_PARAM = "s"
_APPLIED = "_url_token_applied"
_IMPORTED = "_json_import_digest"
MAX_EDITOR_RUNS = 12  # runs the editor offers (an experiment file may hold up to limits.MAX_RUNS)


def normalized(setup: Mapping[str, Any] | gdcore.Experiment) -> dict[str, Any]:
    """The full engine dict of a setup (defaults filled in); raises GDError if invalid."""
    return gdcore.parse_experiment(setup if isinstance(setup, gdcore.Experiment)
                                   else dict(setup)).to_dict()


def init(default: Callable[[], dict[str, Any]]) -> str | None:
    """Create the session's setup (from ``default()``) and apply a shared link if the URL holds
    a new one. Returns the error message of a broken link (the current setup is kept)."""
    if SETUP not in st.session_state:
        st.session_state[SETUP] = normalized(default())
        st.session_state[VALID] = copy.deepcopy(st.session_state[SETUP])
        st.session_state[VERSION] = 0
    token = st.query_params.get(URL_PARAM)
    if token and token != st.session_state.get(_APPLIED):
        st.session_state[_APPLIED] = token
        try:
            exp = share.decode(token)
        except GDError as err:
            return f"{err} The previous setup is kept."
        if exp.problem not in DATA_PROBLEMS:
            return (f"The shared link holds a setup for the test function {exp.problem!r}; this "
                    "page compares runs on data. Open the Loss landscape page for test "
                    "functions. The previous setup is kept.")
        too_much = _over_budget(exp)
        if too_much:
            return f"The shared link holds a setup that is too much work: {too_much}. " \
                   "The previous setup is kept."
        replace(exp.to_dict())
    return None


def _over_budget(exp: gdcore.Experiment) -> str | None:
    """Why ``exp`` is over the work budget on its own data (generated or sample data; for an
    upload the page checks once the file is there), or None."""
    if exp.data.get("source") not in ("generate", "sample"):
        return None
    try:
        problem = gdcore.make_problem(exp.problem, gdcore.load_dataset(exp.data,
                                                                     problem=exp.problem))
    except GDError:
        return None  # the data picker says what is wrong with the data itself
    return gdcore.engine.runner.over_budget(exp, problem)


def current() -> dict[str, Any]:
    return st.session_state[SETUP]


def version() -> int:
    return int(st.session_state.get(VERSION, 0))


def replace(setup: Mapping[str, Any]) -> None:
    """Replace the whole setup; widgets restart from it."""
    st.session_state[SETUP] = copy.deepcopy(dict(setup))
    st.session_state[VERSION] = version() + 1


def store(setup: Mapping[str, Any]) -> None:
    """Keep the setup the widgets produced on this run (no widget restart)."""
    st.session_state[SETUP] = copy.deepcopy(dict(setup))


def remember_valid(setup: Mapping[str, Any]) -> None:
    st.session_state[VALID] = copy.deepcopy(dict(setup))


def last_valid() -> dict[str, Any]:
    return copy.deepcopy(st.session_state.get(VALID) or current())


def publish(setup: Mapping[str, Any]) -> str | None:
    """Write the setup into the URL (only when it changed). Returns an error message if the
    setup is too large for a link."""
    try:
        token = share.encode(setup)
    except GDError as err:
        return str(err)
    if st.query_params.get(URL_PARAM) != token:
        st.query_params[URL_PARAM] = token
    st.session_state[_APPLIED] = token
    return None


def import_json(raw: bytes | None) -> tuple[bool, str | None]:
    """Load an uploaded experiment JSON, once per file (``None``: the file was removed).
    Returns (replaced, error message); after an error the current setup is kept."""
    if raw is None:
        st.session_state.pop(_IMPORTED, None)
        return False, None
    digest = hashlib.sha256(raw).hexdigest()
    if st.session_state.get(_IMPORTED, (None, None))[0] == digest:
        return False, st.session_state[_IMPORTED][1]
    error = None
    try:
        exp = gdcore.load_experiment_json(raw)
        if exp.problem not in DATA_PROBLEMS:
            error = (f"it is for the test function {exp.problem!r}; this page compares runs "
                     "on data (regression or classification)")
        else:
            error = _over_budget(exp)
    except GDError as err:
        error = str(err)
    if error:
        error = f"Could not load this setup file: {error}. The current setup is kept."
        st.session_state[_IMPORTED] = (digest, error)
        return False, error
    st.session_state[_IMPORTED] = (digest, None)
    replace(exp.to_dict())
    return True, None


# --- run-list callbacks (on_click: they run before the script) ----------------------------
def _unique_name(base: str, taken: list[str]) -> str:
    if base not in taken:
        return base
    k = 2
    while f"{base} ({k})" in taken:
        k += 1
    return f"{base} ({k})"


def add_run() -> None:
    setup = copy.deepcopy(current())
    runs = setup["runs"]
    if len(runs) >= MAX_EDITOR_RUNS:
        return
    names = [r["name"] for r in runs]
    runs.append({"name": _unique_name(f"run {len(runs) + 1}", names), "batch_size": "full",
                 "epochs": 50, "optimizer": {"name": "sgd", "lr": 0.1}})
    replace(setup)


def duplicate_run(i: int) -> None:
    setup = copy.deepcopy(current())
    runs = setup["runs"]
    if len(runs) >= MAX_EDITOR_RUNS or not 0 <= i < len(runs):
        return
    twin = copy.deepcopy(runs[i])
    twin["name"] = _unique_name(f"{runs[i]['name']} copy", [r["name"] for r in runs])
    runs.insert(i + 1, twin)
    replace(setup)


def remove_run(i: int) -> None:
    setup = copy.deepcopy(current())
    if len(setup["runs"]) > 1 and 0 <= i < len(setup["runs"]):
        del setup["runs"][i]
        replace(setup)
