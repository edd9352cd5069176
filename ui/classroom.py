"""Classroom mode: a projector-friendly view that every page turns on the same way.

Every page calls :func:`apply_classroom` first (right after ``st.set_page_config``)::

    from ui.classroom import apply_classroom
    classroom = apply_classroom()      # True: hide editing controls, draw big charts

The mode lives in ``st.session_state`` (so it survives page switches, which clear
``st.query_params``) and in the URL as ``?classroom=1`` (so a teacher can bookmark it). A URL
that says ``classroom=0``/``1`` wins over the session. The stylesheet is a constant string:
no user text is ever injected as HTML.
"""

from __future__ import annotations

import streamlit as st

STATE_KEY = "classroom"
_WIDGET_KEY = "_classroom_toggle"
_SEEN = "_classroom_url_seen"  # the URL value last read or written
_RUNS = "_page_runs"  # full runs of the pages in this session (counted by apply_classroom)
_DRAWN = "_seeded_run."  # + key: the page run that last drew the widget (see seeded)
_KEPT = "_seeded_kept."  # + key: the widget's last good value, in a key no widget owns
_ABSENT = object()
_PARAM = "classroom"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

# Constant stylesheet (never formatted with user data): larger text for a projector.
_CSS = """
<style>
  .stApp [data-testid="stMarkdownContainer"] p,
  .stApp [data-testid="stMarkdownContainer"] li,
  .stApp [data-testid="stCaptionContainer"],
  .stApp [data-testid="stWidgetLabel"] p { font-size: 1.35rem !important; line-height: 1.5; }
  .stApp h1 { font-size: 3rem !important; }
  .stApp h2 { font-size: 2.3rem !important; }
  .stApp h3 { font-size: 1.9rem !important; }
  .stApp [data-testid="stDataFrame"] { font-size: 1.2rem; }
  .stApp [data-testid="stTable"] td, .stApp [data-testid="stTable"] th {
    font-size: 1.25rem !important; }
  .stApp [data-testid="stButtonGroup"] button p { font-size: 1.2rem !important; }
  .stApp [data-testid="stMetricValue"] { font-size: 2.6rem !important; }
  .stApp [data-testid="stSelectbox"] input[role="combobox"],
  .stApp [data-testid="stMultiSelect"] input[role="combobox"],
  .stApp [data-testid="stMultiSelect"] [data-rac] span,
  [role="listbox"] [role="option"] { font-size: 1.3rem !important; }
  .stApp [data-testid="stSelectbox"] [role="group"] { min-height: 3rem; }
</style>
"""


def _on_toggle() -> None:
    st.session_state[STATE_KEY] = bool(st.session_state.get(_WIDGET_KEY, False))


def apply_classroom(*, show_toggle: bool = True) -> bool:
    """Read, keep and apply classroom mode; return True when it is on.

    Call it first on every page. It re-applies the mode after a page switch, mirrors it into
    the URL (``?classroom=1``; a URL value the page did not write itself wins), draws the
    on/off toggle at the top of the sidebar (unless
    ``show_toggle=False``) and, when on, injects the constant projector stylesheet.
    """
    st.session_state[_RUNS] = st.session_state.get(_RUNS, 0) + 1  # for seeded()
    raw = st.query_params.get(_PARAM)
    if raw != st.session_state.get(_SEEN) and raw is not None:  # a new URL: it wins
        if raw.strip().lower() in _TRUE | _FALSE:
            st.session_state[STATE_KEY] = raw.strip().lower() in _TRUE
    st.session_state[_SEEN] = raw
    on = bool(st.session_state.get(STATE_KEY, False))
    if show_toggle:
        st.session_state[_WIDGET_KEY] = on  # set before the widget exists: no value= clash
        st.sidebar.toggle(
            "Classroom mode",
            key=_WIDGET_KEY,
            on_change=_on_toggle,
            help="Big charts and text for a projector; hides the editing controls. "
            "Kept in the link as ?classroom=1.",
        )
        on = bool(st.session_state.get(STATE_KEY, False))
    if on:
        if st.query_params.get(_PARAM) != "1":
            st.query_params[_PARAM] = "1"
        st.session_state[_SEEN] = "1"
        st.html(_CSS)
    else:
        if _PARAM in st.query_params:
            del st.query_params[_PARAM]
        st.session_state[_SEEN] = None
    return on


def _usable(current, default, options) -> bool:
    """Whether ``current`` can be a widget's value where ``default`` is its first: not None
    (unless the default is), of the default's kind, and one of ``options`` when given."""
    if current is None:
        return default is None
    if isinstance(default, bool):
        ok = isinstance(current, bool)
    elif isinstance(default, (int, float)):
        ok = isinstance(current, (int, float)) and not isinstance(current, bool)
    elif isinstance(default, (list, tuple)):
        ok = isinstance(current, (list, tuple))
    elif isinstance(default, str):
        ok = isinstance(current, str)
    else:
        ok = True
    if ok and options is not None:
        items = current if isinstance(current, (list, tuple)) else [current]
        ok = all(item in options for item in items)
    return ok


def seeded(key: str, value, options=None) -> str:
    """Give a widget its remembered value: ``value`` the first time (the widget then owns
    it: settings survive classroom mode, which hides the widgets and so drops their state),
    and its own value again whenever Streamlit has lost it.

    Streamlit loses a widget's value when a run ends early (``st.stop()``, an error) before
    the widget is drawn: the browser drops the widget, mounts it again at its bare default
    (None for a segmented control, False for a toggle) on the next run and sends that back.
    So the last good value is also kept under a plain session key (``_seeded_kept.<key>``,
    no widget's), and on the first run that draws the widget after one that did not (a page
    run is counted by :func:`apply_classroom`) the value is written to the widget again, so
    the browser shows and sends it. A value that cannot be the widget's (None, another
    kind, not one of ``options``) is replaced by the kept one. Returns ``key``.
    """
    state = st.session_state
    run = state.get(_RUNS, 0)
    drawn = state.get(_DRAWN + key)
    gap = drawn is None or drawn < run - 1  # not drawn on the page's previous run
    current = state[key] if key in state else _ABSENT
    if current is _ABSENT:
        want = value
    elif _usable(current, value, options):
        want = current
    else:  # lost: None from a widget that needs a value
        kept = state.get(_KEPT + key, value)
        want = kept if _usable(kept, value, options) else value
    if current is _ABSENT or gap or want is not current:
        state[key] = want
    state[_KEPT + key] = want
    state[_DRAWN + key] = run
    return key
