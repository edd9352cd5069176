"""Memory a closed session held goes back to the system.

When a tab closes, Streamlit releases the session's ``scope="session"`` caches (the uploaded
tables and data sets, ui/widgets.py) at once and drops the session itself a little later (it
is kept two minutes for a reconnect). Freed Python objects go back to the allocator, but glibc
keeps freed heap pages in its per-thread arenas (each session runs its scripts in threads of
its own), so the server's RSS stays at its peak. :func:`track_session` registers a
session-scoped marker whose release collects garbage and asks glibc to return free pages
(``malloc_trim(0)``), once the session's caches are gone; elsewhere (no glibc) only the
collection happens. Arrow's own allocator (the charts' data sets are written through it)
keeps freed pages too, and is asked to release them as well.
"""

from __future__ import annotations

import ctypes
import gc
import sys
import threading

import streamlit as st

_LOCK = threading.Lock()
_TRIM = []  # libc's malloc_trim, once looked up (or None where there is none)


def _malloc_trim():
    if not _TRIM:
        fn = None
        if sys.platform.startswith("linux"):
            try:
                fn = ctypes.CDLL("libc.so.6").malloc_trim
                fn.argtypes, fn.restype = [ctypes.c_size_t], ctypes.c_int
            except (OSError, AttributeError):
                fn = None
        _TRIM.append(fn)
    return _TRIM[0]


def give_back() -> None:
    """Collect garbage and return free heap pages to the system (one caller at a time)."""
    if not _LOCK.acquire(blocking=False):
        return  # another release is doing it now
    try:
        gc.collect()
        if "pyarrow" in sys.modules:  # (imported by every page that drew a chart)
            sys.modules["pyarrow"].default_memory_pool().release_unused()
        trim = _malloc_trim()
        if trim is not None:
            trim(0)
    finally:
        _LOCK.release()


def _released(_marker) -> None:
    # called where Streamlit releases the session's caches: give the memory back off its path
    threading.Timer(1.0, give_back).start()


@st.cache_resource(scope="session", on_release=_released, show_spinner=False)
def _marker() -> object:
    return object()


def track_session() -> None:
    """Call once per script run: when this session closes, its memory is given back."""
    _marker()
