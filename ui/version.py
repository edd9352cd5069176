"""Caches that never hand old objects to new code.

When a source file changes under a running server (a deploy on Streamlit Community Cloud pulls
new commits into the running app), Streamlit drops the app's modules from ``sys.modules`` (or
``ui/fresh.py`` does, when no session was connected to see the change) and the next script run
imports them anew. What ``st.cache_resource`` / ``st.cache_data`` and
``st.session_state`` kept is still there: objects made by the old classes (a problem without
the method the new loop calls: ``'LinearRegression' object has no attribute 'fun'``), chart
specs drawn by the old builders. Every page calls :func:`keep_current` first:

* ``CODE``, drawn when this module is imported (so, anew after every reload: Streamlit drops
  all the app's modules at once), names this import of the code; every cache is keyed on it;
* the first script run under a new ``CODE`` clears every Streamlit cache, once per server;
* each session's first run under a new ``CODE`` drops the session-state values whose class
  is not the class of that name now loaded (the widgets' plain values stay).
"""

from __future__ import annotations

import sys
import threading
import uuid

import streamlit as st

from ui import fresh, memory

_PACKAGES = ("gdcore", "lab", "ui")
_SEEN = "_code_version"  # in session state: the CODE this session's values were made under

# This import of the app's modules. Not a digest of the sources: Streamlit may drop and import
# the modules again with the same sources (one deploy's files noticed one by one), and objects
# of the classes of the previous import fail isinstance tests against the new ones all the same.
CODE = uuid.uuid4().hex[:16]


@st.cache_resource(show_spinner=False)
def _server() -> dict:
    """The server's record of the code its caches were filled under (this holder's key is its
    own source, so it outlives a reload; it is cleared with the rest and made anew)."""
    return {"code": CODE, "lock": threading.Lock()}


def _stale(value: object, depth: int = 0) -> bool:
    """True for an object of an app class that is not the class of that name loaded now (or
    a dict, list or tuple holding one)."""
    if isinstance(value, dict) and depth < 3:
        return any(_stale(v, depth + 1) for v in value.values())
    if isinstance(value, (list, tuple)) and depth < 3:
        return any(_stale(v, depth + 1) for v in value)
    cls = type(value)
    if (getattr(cls, "__module__", "") or "").split(".")[0] not in _PACKAGES:
        return False
    now = sys.modules.get(cls.__module__)
    for part in cls.__qualname__.split("."):
        now = getattr(now, part, None)
    return now is not cls


def keep_current() -> bool:
    """Clear what was kept under other code (see the module's docstring). Call it first on
    every page. Returns True when this run found the code changed."""
    memory.track_session()  # a closed session's memory goes back to the system (ui/memory.py)
    changed = False
    server = _server()
    if server["code"] != CODE:
        with server["lock"]:
            if _server()["code"] != CODE:
                st.cache_data.clear()
                st.cache_resource.clear()
                changed = True
        _server()  # made anew under this code
    if st.session_state.get(_SEEN) != CODE:
        if _SEEN in st.session_state:
            for key in [k for k, v in st.session_state.items() if _stale(v)]:
                del st.session_state[key]
            changed = True
        st.session_state[_SEEN] = CODE
    fresh.record()  # what is loaded now, and when its files were written (ui/fresh.py)
    return changed
