"""The experiment store from the pages: which database (the app's secrets, ``GDCORE_DB_URL``,
else the per-user SQLite file; gdcore/store.py), one :class:`gdcore.store.Store` per server, and
the "Save this experiment" control. A store that cannot be opened or written says so once, on
the page; the page keeps working without it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

import gdcore
from gdcore.engine.runner import ExperimentResult
from gdcore.store import Store, StoreError, default_url
from ui.text import escape_md

SAVED_NOTE = "saved_note"  # the last save's message, shown after the rerun it causes


def url() -> str:
    """The store's URL: ``[connections.lab] url`` in the app's secrets (how a Community Cloud
    app names its PostgreSQL database), else ``GDCORE_DB_URL``, else the per-user SQLite
    file."""
    try:
        lab = st.secrets.get("connections", {}).get("lab", {})
        found = lab.get("url") if hasattr(lab, "get") else None
    except Exception:  # noqa: BLE001 (no secrets file, or an unreadable one: not a store URL)
        found = None
    return str(found) if found else default_url()


@st.cache_resource(show_spinner=False)
def _store(where: str) -> Store:
    return Store(where)


def store() -> Store | None:
    """The server's store, or None after saying on the page why it cannot be used."""
    try:
        return _store(url())
    except StoreError as err:
        st.error(f"The experiment store cannot be used: {escape_md(err)} The lab works "
                 "without it; experiments are not saved.")
        return None


def result_of(experiment: gdcore.Experiment, outcome, dataset) -> ExperimentResult:
    """The page's outcome as the engine's :class:`ExperimentResult` (what the store keeps)."""
    repeats = tuple(tuple(rs) for rs in outcome.repeats) if outcome.n_repeats > 1 else ()
    return ExperimentResult(experiment, outcome.problem, dataset, tuple(outcome.runs),
                            dict(outcome.reference), float(outcome.reference_loss), repeats)


def save_control(make_result: Callable[[], ExperimentResult], *,
                 upload: tuple[str, bytes] | None, key: str = "save", label: str =
                 "Save this experiment", tags: str = "", note: str = "",
                 what: str | None = None) -> None:
    """A popover: name, note, tags, and (with uploaded data) whether to keep the file with it;
    one click saves what ``make_result()`` returns (called only then). ``upload``: the uploaded
    file's name and bytes, when the data is one; ``key`` prefixes the widgets' keys (one
    control per page); ``tags`` and ``note`` prefill; ``what`` says what is kept."""
    said = st.session_state.pop(f"{key}.{SAVED_NOTE}", None)
    if said:
        st.success(escape_md(said))
    with st.popover(label, icon=":material/save:", width="stretch"):
        if what:
            st.caption(escape_md(what))
        name = st.text_input("Experiment name", max_chars=200, key=f"{key}_name",
                             placeholder="e.g. learning rates on my data")
        note = st.text_area("Note", value=note, max_chars=5000, key=f"{key}_note", height=80)
        tags = st.text_input("Tags (comma-separated)", value=tags, max_chars=400,
                             key=f"{key}_tags")
        keep = False
        if upload is not None:
            keep = st.checkbox("Keep the data file with it", value=False, key=f"{key}_keep",
                               help="Off: only the data's fingerprint is kept (its columns, "
                                    "row count and a content hash), and reopening the "
                                    "experiment asks for the same file. On: the file itself "
                                    "is stored in the experiment store too.")
            st.caption(f"Uploaded data: {escape_md(upload[0])}; " + (
                "the file is stored with the experiment." if keep else
                "only its fingerprint is stored."))
        if st.button("Save", type="primary", key=f"{key}_go", disabled=not name.strip()):
            where = store()
            if where is None:
                return
            try:
                eid = where.save(name, make_result(), note=note, tags=tags,
                                 data_bytes=upload[1] if keep and upload else None,
                                 data_name=upload[0] if keep and upload else None)
            except gdcore.GDError as err:
                st.error(escape_md(err))
                return
            st.session_state[f"{key}.{SAVED_NOTE}"] = (
                f"Saved as experiment {eid} ({' '.join(name.split())}): see the Experiments "
                "page.")
            st.rerun()


def kept_upload(prefix: str = "dash") -> tuple[str, Any] | None:
    """The upload a page's data source kept in this session (its name and bytes), or None."""
    kept = st.session_state.get(f"{prefix}.upload_kept")
    return (str(kept[0]), bytes(kept[1])) if kept else None
