"""The chart view in the link: x axis, what the loss chart shows, log scales, smoothing and the
preset, so a copied link opens on the view that tells its lesson (the batch preset on epochs
with smoothing 20, not steps with none).

Query parameters beside ``s`` (the setup), each written only when it is not the default:
``x`` (step / epoch / samples), ``y`` (loss / excess), ``log`` (1 / 0), ``logx`` (1 / 0),
``smooth`` (0-50 points), with repeats ``line`` (median / mean) and ``band`` (q10: 10-90 % /
range: min-max) and ``seeds`` (1 / 0: every seed's curve, faintly), and ``preset`` (a preset's
key). A new link's values win over the
session's; a value that is not one of the choices is named in a message and left out.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

#: query parameter -> (session key, default, allowed values or an int range)
FIELDS: dict[str, tuple[str, object, object]] = {
    "x": ("x_axis", "step", ("step", "epoch", "samples")),
    "y": ("loss_y", "loss", ("loss", "excess")),
    "log": ("log", True, (True, False)),
    "logx": ("log_x", False, (True, False)),
    "smooth": ("smooth", 0, range(0, 51)),
    "line": ("rep_line", "median", ("median", "mean")),  # with repeats: each run's line
    "band": ("rep_band", "q10", ("q10", "range")),  # and its band
    "seeds": ("rep_seeds", False, (True, False)),  # and every seed's own curve, faintly
}
PRESET = "preset"  # the query parameter and the preset picker's key
LOADED = "_loaded_preset"  # the preset the setup was loaded from (what the link names)
_SEEN = "_url_view_seen"  # the view parameters last read from or written to the URL
_BOOLS = {"1": True, "true": True, "on": True, "0": False, "false": False, "off": False}


def _url_value(name: str, raw: str, allowed) -> tuple[object, str | None]:
    """The session value of query parameter ``name`` and None, or None and why not."""
    text = raw.strip().lower()
    if isinstance(allowed, range):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value not in allowed:
            return None, (f"{name}={raw[:40]!r} is not a whole number from {allowed.start} to "
                          f"{allowed.stop - 1}")
        return value, None
    if allowed == (True, False):
        if text not in _BOOLS:
            return None, f"{name}={raw[:40]!r} is not 1 or 0"
        return _BOOLS[text], None
    if text not in allowed:
        return None, f"{name}={raw[:40]!r} is not one of {', '.join(allowed)}"
    return text, None


def _from_url() -> dict[str, str]:
    names = (*FIELDS, PRESET)
    return {n: st.query_params[n] for n in names if st.query_params.get(n) is not None}


def apply_from_link(presets: Mapping[str, object]) -> list[str]:
    """Put a new link's view into the session before the widgets are drawn. Returns what was
    refused, one phrase each (the rest of the view is still applied)."""
    found = _from_url()
    if not found or found == st.session_state.get(_SEEN):
        return []
    st.session_state[_SEEN] = found
    refused = []
    for name, raw in found.items():
        if name == PRESET:
            if raw in presets:
                st.session_state[PRESET] = st.session_state[LOADED] = raw
            else:
                refused.append(f"preset={raw[:40]!r} is not one of {', '.join(presets)}")
            continue
        key, _, allowed = FIELDS[name]
        value, why = _url_value(name, raw, allowed)
        if why:
            refused.append(why)
        else:
            st.session_state[key] = value
    return refused


def publish(values: Mapping[str, object], preset: str | None) -> None:
    """Write the view into the URL: each field that is not its default, and the preset."""
    wanted: dict[str, str] = {}
    for name, (key, default, _) in FIELDS.items():
        value = values.get(key, default)
        if value != default:
            wanted[name] = ("1" if value else "0") if isinstance(value, bool) else str(value)
    if preset:
        wanted[PRESET] = preset
    for name in (*FIELDS, PRESET):
        if name in wanted:
            if st.query_params.get(name) != wanted[name]:
                st.query_params[name] = wanted[name]
        elif name in st.query_params:
            del st.query_params[name]
    st.session_state[_SEEN] = wanted
