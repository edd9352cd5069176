"""Sidebar widgets that return gdcore config dicts, and the reusable data-source picker.

    choice = data_source("dash", default=setup["data"])   # -> DataChoice
    choice.dataset, choice.config, choice.uploaded

Text that came from a user (file and column names, messages that quote them) is shown only
through :func:`escape_md` (markdown escaped: no HTML, no links, no formatting), ``st.text``
or ``st.dataframe``. Uploaded bytes stay in memory (``getvalue()``), never on disk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

import gdcore
from gdcore.data import columns as gcolumns
from gdcore.data import sources as gdata
from gdcore.errors import DataError, GDError
from gdcore.limits import LIMITS, MAX_COLUMN_NAME_CHARS
from ui import version as code_version
from ui.text import escape_md

MAX_UPLOAD_MB = 50  # same as server.maxUploadSize in .streamlit/config.toml
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
SOURCES = {"generate": "Generated", "sample": "Sample data set", "csv": "Upload a CSV"}
GENERATED_DEFAULT: dict[str, Any] = {"source": "generate", "n": 200, "slope": 2.0,
                                     "intercept": 1.0, "noise": 1.0, "outliers": 0.0, "seed": 0}
DEFAULT_DATA: dict[str, dict[str, Any]] = {  # each task's first data
    "linear": GENERATED_DEFAULT,
    "logistic": {"source": "classes", **gdata.CLASSES_DEFAULTS},
}
# --- data ----------------------------------------------------------------------------------
@dataclass
class DataChoice:
    """The data a page should use, and how to describe it."""

    dataset: gdata.Dataset
    config: dict[str, Any]  # the experiment's "data" section
    uploaded: bool = False  # uploaded data is in use (or expected): it cannot travel in a URL
    waiting: bool = False  # the setup names an upload that is not here yet
    notes: tuple[str, ...] = ()
    error: str | None = None


@st.cache_data(max_entries=16, show_spinner=False)
def _generated(code: str, key: str, cfg: dict[str, Any], problem: str = "linear") -> gdata.Dataset:
    return gdcore.load_dataset(cfg, problem=problem)


@st.cache_data(max_entries=16, show_spinner=False)
def _sample_table(code: str, name: str) -> pd.DataFrame:
    return gdata.read_table(gdata.SAMPLES[name].path)[0]


# An upload's table and data set are kept for its session only (scope="session": released
# when the tab closes, never handed to another session). A refusal is kept too (its message):
# the uploader holds a bad file until another comes, and each rerun meanwhile (any click)
# would otherwise read all of it again.
@st.cache_data(max_entries=4, show_spinner=False, scope="session")
def _read_upload(code: str, digest: str, _raw: bytes, name: str
                 ) -> tuple[pd.DataFrame | None, tuple[str, ...], str | None]:
    try:
        table, notes = gdata.read_table(_raw, name=name, max_bytes=MAX_UPLOAD_BYTES)
    except DataError as err:
        return None, (), str(err)
    return table, notes, None


def _upload_table(code: str, digest: str, raw: bytes, name: str
                  ) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The uploaded table and the reader's notes; raises the reader's DataError (kept)."""
    table, notes, error = _read_upload(code, digest, raw, name)
    if error is not None:
        raise DataError(error)
    return table, notes


@st.cache_data(max_entries=8, show_spinner=False, scope="session")
def _load_upload(code: str, digest: str, _raw: bytes, name: str, x: str | list[str] | None,
                 y: str | None, standardize: bool, problem: str = "linear",
                 positive: Any = None) -> tuple[gdata.Dataset | None, str | None]:
    try:
        return gdata.load_csv(_raw, x=x, y=y, standardize=standardize, name=name,
                              max_bytes=MAX_UPLOAD_BYTES, problem=problem,
                              positive=positive), None
    except DataError as err:
        return None, str(err)


def _upload_dataset(code: str, digest: str, raw: bytes, name: str, x: str | list[str] | None,
                    y: str | None, standardize: bool, problem: str = "linear",
                    positive: Any = None) -> gdata.Dataset:
    """The upload as a Dataset for these choices; raises the engine's DataError (kept)."""
    ds, error = _load_upload(code, digest, raw, name, x, y, standardize, problem, positive)
    if error is not None:
        raise DataError(error)
    return ds


def load_upload(raw: bytes, name: str, *, x: str | list[str] | None = None, y: str | None = None,
                standardize: bool = False, problem: str = "linear",
                positive: Any = None) -> gdata.Dataset:
    """An uploaded CSV's bytes -> Dataset (raises DataError with the message to show)."""
    if get_script_run_ctx() is None:  # outside a page (a script, a test): no session to keep it
        return gdata.load_csv(raw, x=x, y=y, standardize=standardize, name=name,
                              max_bytes=MAX_UPLOAD_BYTES, problem=problem, positive=positive)
    digest = hashlib.sha256(raw).hexdigest()
    return _upload_dataset(code_version.CODE, digest, raw, name, x, y, standardize, problem,
                           positive)


def _fallback(key_prefix: str, problem: str = "linear") -> DataChoice:
    """The last data that worked for ``problem`` in this session, else the problem's default."""
    last = st.session_state.get(f"{key_prefix}.last_good.{problem}")
    if last is not None:
        return last
    cfg = dict(DEFAULT_DATA[problem])
    return DataChoice(_generated(code_version.CODE, "default", cfg, problem), cfg)


def _num(label: str, key: str, value: float, name: str, **kw: Any) -> float:
    """A number input over the engine's range for ``name`` (``gdcore.limits.LIMITS``)."""
    b = LIMITS[name]
    if b.integer:
        return st.number_input(label, min_value=int(b.low), max_value=int(b.high),
                               value=int(min(max(value, b.low), b.high)), key=key, **kw)
    return st.number_input(label, min_value=float(b.low), max_value=float(b.high),
                           value=float(min(max(value, b.low), b.high)), key=key, format="%g", **kw)


def _generated_widgets(k: str, cfg: Mapping[str, Any]) -> dict[str, Any]:
    d = {**GENERATED_DEFAULT, **{a: b for a, b in cfg.items() if a in GENERATED_DEFAULT}}
    c1, c2 = st.columns(2)
    with c1:
        n = _num("Rows n", f"{k}.n", int(d["n"]), "n", step=50)
        slope = _num("Slope", f"{k}.slope", float(d["slope"]), "slope", step=0.5)
        noise = _num("Noise (std)", f"{k}.noise", float(d["noise"]), "noise", step=0.25)
    with c2:
        seed = _num("Seed", f"{k}.seed", int(d["seed"]), "seed", step=1)
        intercept = _num("Intercept", f"{k}.intercept", float(d["intercept"]), "intercept",
                         step=0.5)
        outliers = _num("Outliers (fraction)", f"{k}.outliers", float(d["outliers"]),
                        "outliers", step=0.05)
    out = {"source": "generate", "n": int(n), "slope": slope, "intercept": intercept,
           "noise": noise, "outliers": outliers, "seed": int(seed)}
    for extra in ("x_mean", "x_spread"):
        if extra in cfg:
            out[extra] = cfg[extra]
    return out


def _classes_widgets(k: str, cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Two clouds of points, one per class (``gdcore.data.sources.generate_classes``)."""
    d = {**gdata.CLASSES_DEFAULTS, **{a: b for a, b in cfg.items()
                                      if a in gdata.CLASSES_DEFAULTS}}
    c1, c2 = st.columns(2)
    with c1:
        n = _num("Rows n", f"{k}.cn", int(d["n"]), "n", step=50)
        separation = _num("Separation", f"{k}.sep", float(d["separation"]), "separation",
                          step=0.5, help="Distance between the two classes' centres, in units "
                                         "of their spread: 2 overlaps a lot; from about 6 a "
                                         "line separates them and the loss has no minimum.")
        seed = _num("Seed", f"{k}.cseed", int(d["seed"]), "seed", step=1)
    with c2:
        features = st.radio("Features", [1, 2], index=int(d["features"]) - 1, key=f"{k}.feat",
                            horizontal=True, help="One x column (a curve) or two (a plane)")
        balance = st.number_input("Share of class 1", min_value=0.05, max_value=0.95,
                                  value=float(min(max(d["balance"], 0.05), 0.95)), step=0.05,
                                  key=f"{k}.bal", format="%g")
    return {"source": "classes", "n": int(n), "features": int(features),
            "separation": float(separation), "balance": float(balance), "seed": int(seed)}


def _positive_picker(k: str, ds: gdata.Dataset, cfg: Mapping[str, Any]) -> Any:
    """Which of the two labels counts as 1 (the class whose probability the model gives)."""
    if ds.classes is None:
        return None
    labels = list(ds.classes)
    now = ds.classes[1]
    chosen = st.radio("Counts as 1 (the class predicted)", labels, index=labels.index(now),
                      key=f"{k}.pos.{ds.y_name}", horizontal=True,
                      format_func=escape_md)  # radio options render markdown
    return chosen


def gdata_show(label: Any) -> str:
    """A class label as text (never markup: radio options are plain text)."""
    from gdcore.data.dataset import show_label

    return show_label(label)


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, str)]
    return []


def _pick_xy(k: str, numeric: list[str], cfg: Mapping[str, Any], default_x: Any,
             default_y: str | None, *, stacked: bool = True,
             y_options: list[str] | None = None) -> tuple[str | list[str], str]:
    """The y column (from ``y_options``, default: the numeric columns) and one or more x
    columns (numeric, not y). Returns x as a name when one is chosen, else a list."""
    y_options = numeric if y_options is None else y_options
    want_x = _as_list(cfg.get("x")) or _as_list(default_x)
    want_y = cfg.get("y") if isinstance(cfg.get("y"), str) else default_y
    asked = [*_as_list(cfg.get("x")), *([cfg["y"]] if isinstance(cfg.get("y"), str) else [])]
    missing = [w for w in asked if w not in numeric and w not in y_options]
    if missing:
        st.warning(f"This setup asked for the column {escape_md(missing[0])}, which this data "
                   "does not have (as a usable column): pick the columns below.")
    yi = (y_options.index(want_y) if want_y in y_options else len(y_options) - 1)
    # one under the other in the narrow sidebar (side by side, long names are cut off)
    c1, c2 = (st.container(), st.container()) if stacked else st.columns([1, 2])
    y = c1.selectbox("y column", y_options, index=max(yi, 0), key=f"{k}.y")
    x_options = [c for c in numeric if c != y]
    chosen = [c for c in want_x if c in x_options] or x_options[:1]
    xs = c2.multiselect("x columns", x_options, default=chosen, key=f"{k}.xs.{y}",
                        help="One column fits a line; several fit a plane (one weight per "
                             "column).")
    if not xs:
        st.warning("Pick at least one x column; until then the first is used.")
        xs = x_options[:1]
    return (xs[0] if len(xs) == 1 else list(xs)), y


def data_source(key_prefix: str, default: Mapping[str, Any] | None = None, *,
                version: int = 0, editable: bool = True, problem: str = "linear") -> DataChoice:
    """Pick generated, sample or uploaded data. Returns the Dataset, the experiment's data
    section and whether uploaded data is in use. A bad upload shows a clear ``st.error`` and
    the previous data stays in place. ``version`` restarts the widgets from ``default``
    (the uploaded file itself is kept). ``editable=False`` (classroom mode) shows what the
    data is, with no control that changes it."""
    cfg = dict(default or DEFAULT_DATA[problem])
    if not editable:
        return _shown_data(key_prefix, cfg, problem)
    k = f"{key_prefix}.v{version}.{problem}"
    source = cfg.get("source", "generate")
    made = "classes" if problem == "logistic" else "generate"
    sources = {made: SOURCES["generate"], "sample": SOURCES["sample"], "csv": SOURCES["csv"]}
    options = list(sources)
    src = st.radio("Data", options, index=options.index(source) if source in sources else 0,
                   format_func=sources.get, key=f"{k}.source", horizontal=True)
    try:
        if src in ("generate", "classes"):
            mine = cfg if source == src else {}
            new = (_generated_widgets(k, mine) if src == "generate"
                   else _classes_widgets(k, mine))
            new["standardize"] = st.toggle(_std_label(problem), key=f"{k}.std.g",
                                           value=bool(cfg.get("standardize", False)))
            if not new["standardize"]:
                del new["standardize"]
            choice = DataChoice(_generated(code_version.CODE, "gen", new, problem), new)
        elif src == "sample":
            choice = _sample_widgets(k, cfg if source == "sample" else {}, problem)
        else:
            choice = _upload_widgets(key_prefix, k, cfg if source == "csv" else {}, problem)
    except GDError as err:
        choice = _fallback(key_prefix, problem)
        choice = DataChoice(choice.dataset, choice.config, choice.uploaded, False, choice.notes,
                            str(err))
        st.error(escape_md(err))
        st.caption("Still using the previous data.")
        return choice
    if choice.error is None and not choice.waiting:
        st.session_state[f"{key_prefix}.last_good.{problem}"] = choice
    ds = choice.dataset
    said = [n for n in choice.notes if ds.classes is not None and "1 = " in n and "0 = " in n]
    if said:  # which label became 1: worth knowing, not a problem with the data
        st.caption("\n\n".join(escape_md(n) for n in said))
    notes = [n for n in choice.notes if n not in said]
    if notes:
        st.warning("\n\n".join(escape_md(n) for n in notes))
    return choice


def _std_label(problem: str) -> str:
    return "Standardize x" if problem == "logistic" else "Standardize x and y"


def choice_from_setup(cfg: Mapping[str, Any], problem: str = "linear") -> DataChoice:
    """The data a setup's generated or sample data section names, without widgets (what
    :func:`data_source` returns for it when its widgets show that section). Raises GDError
    for a section that cannot be loaded; an upload is not in a setup (ValueError)."""
    source = cfg.get("source", "generate")
    if source == "csv":
        raise ValueError("an uploaded file is not in the setup")
    name = "gen" if source in ("generate", "classes") else f"sample:{cfg.get('name')}"
    ds = _generated(code_version.CODE, name, dict(cfg), problem)
    return DataChoice(ds, dict(cfg), notes=tuple(ds.notes) if source == "sample" else ())


def _shown_data(key_prefix: str, cfg: Mapping[str, Any], problem: str = "linear") -> DataChoice:
    """The setup's data without controls: its description, and the Dataset to run on."""
    source = cfg.get("source", "generate")
    try:
        if source == "csv":
            kept = st.session_state.get(_kept(key_prefix))
            if kept is None or kept[0] != cfg.get("path"):
                last = _fallback(key_prefix, problem)
                st.warning(f"This setup uses the uploaded file {escape_md(cfg.get('path', ''))},"
                           " which is not in this session: turn classroom mode off to upload "
                           f"it. The charts show {escape_md(last.dataset.source)}.")
                return DataChoice(last.dataset, dict(cfg), uploaded=False, waiting=True)
            ds = load_upload(kept[1], kept[0], x=cfg.get("x"), y=cfg.get("y"),
                             standardize=bool(cfg.get("standardize", False)), problem=problem,
                             positive=cfg.get("positive"))
            choice = DataChoice(ds, dict(cfg), uploaded=True, notes=tuple(ds.notes))
        else:
            choice = choice_from_setup(cfg, problem)
    except GDError as err:
        st.error(escape_md(err))
        return _fallback(key_prefix, problem)
    ds = choice.dataset
    classes = ("" if ds.classes is None else
               f" (1 = {escape_md(gdata_show(ds.classes[1]))}, "
               f"0 = {escape_md(gdata_show(ds.classes[0]))})")
    st.markdown(f"**{escape_md(ds.source)}**: {ds.n:,} rows, y = {escape_md(ds.y_name)}"
                f"{classes}, x = {escape_md(', '.join(ds.x_names))}"
                + (" (standardized)" if ds.standardized else ""))
    return choice


def _sample_widgets(k: str, cfg: Mapping[str, Any], problem: str = "linear") -> DataChoice:
    names = [n for n, info in gdata.SAMPLES.items() if info.problem == problem]
    want = cfg.get("name")
    if want is not None and want not in names:
        st.warning(f"This setup asked for the sample data set {escape_md(want)}, which this lab "
                   f"does not have for this task: choose one of "
                   f"{', '.join(escape_md(n) for n in names)}. Showing the first until you do.")
    name = st.selectbox("Sample", names, index=names.index(want) if want in names else 0,
                        format_func=lambda s: gdata.SAMPLES[s].title, key=f"{k}.sample")
    info = gdata.SAMPLES[name]
    st.caption(escape_md(info.description))
    table = _sample_table(code_version.CODE, name)
    numeric = gdata.numeric_columns(table)
    kk = f"{k}.{name}"
    mine = cfg if cfg.get("name") == name else {}
    y_options = gdata.class_columns(table) if problem == "logistic" else None
    x, y = _pick_xy(kk, numeric, mine, info.x_columns, info.y, y_options=y_options)
    std = st.toggle(_std_label(problem), value=bool(cfg.get("standardize", True)),
                    key=f"{kk}.std", help="Recommended for columns in the thousands.")
    new: dict[str, Any] = {"source": "sample", "name": name, "x": x, "y": y}
    if std:
        new["standardize"] = True
    if problem == "logistic":
        if mine.get("positive") is not None and mine.get("y") == y:
            new["positive"] = mine["positive"]
        ds = _generated(code_version.CODE, f"sample:{name}", new, problem)
        chosen = _positive_picker(kk, ds, new)
        if chosen is not None and chosen != ds.classes[1]:
            new["positive"] = chosen
            ds = _generated(code_version.CODE, f"sample:{name}", new, problem)
        if ds.classes is not None:
            new["positive"] = ds.classes[1]  # said in the setup: a link keeps it
        return DataChoice(ds, new, notes=tuple(ds.notes))
    return DataChoice(_generated(code_version.CODE, f"sample:{name}", new, problem), new, notes=())


def _kept(key_prefix: str) -> str:
    return f"{key_prefix}.upload_kept"


def _on_upload_change(key_prefix: str) -> None:
    """The uploader changed by the user's hand: keep the new file's bytes for this browser
    session (a page switch empties the uploader widget, not the session), or forget them
    when the file was removed."""
    file = st.session_state.get(f"{key_prefix}.upload")
    if file is None:
        st.session_state.pop(_kept(key_prefix), None)
    else:
        st.session_state[_kept(key_prefix)] = ((file.name or "upload.csv")[:MAX_COLUMN_NAME_CHARS],
                                               file.getvalue())


def _forget_upload(key_prefix: str) -> None:
    st.session_state.pop(_kept(key_prefix), None)


def default_columns(table: pd.DataFrame, numeric: list[str]) -> tuple[str, str]:
    """A first (x, y) for an uploaded table (see :func:`gdcore.data.columns.guess_line`)."""
    guess = gcolumns.guess_line(table, numeric)
    return guess.x, guess.y


def _first_choice(guess: gcolumns.Guess, x: Any, y: str) -> None:
    """The guess and why, under the column pickers (every run: also once the page settled),
    and what it left out; all user text (column names) as text."""
    said = "First choice" if (x, y) == (guess.x, guess.y) else "The first choice was"
    line = (f"{said}: y = {escape_md(guess.y)}, {escape_md(guess.why_y)}; x = "
            f"{escape_md(guess.x)}, {escape_md(guess.why_x)}.")
    if guess.skipped:
        line += " Not guessed: " + "; ".join(f"{escape_md(c)} ({escape_md(why)})"
                                             for c, why in guess.skipped) + "."
    st.caption(line + " Change them above.")
    if guess.note:
        st.caption(escape_md(guess.note))


#: File name endings the uploader offers: CSV and the plain-text tables people find (UCI
#: serves ``.data`` files; ``.dat`` and ``.tsv`` are common too). What is inside decides.
UPLOAD_TYPES = ["csv", "txt", "tsv", "data", "dat"]


def _upload_widgets(key_prefix: str, k: str, cfg: Mapping[str, Any],
                    problem: str = "linear") -> DataChoice:
    file = st.file_uploader(
        "CSV file", type=UPLOAD_TYPES, key=f"{key_prefix}.upload",
        max_upload_size=MAX_UPLOAD_MB, on_change=_on_upload_change, args=(key_prefix,),
        help=f"A table of text, best with a header row: columns separated by commas, "
             f"semicolons, tabs, '|' or lined up with spaces (UCI's .data files); at most "
             f"{MAX_UPLOAD_MB} MB. It stays in memory and is not saved on the server, unless "
             "you save an experiment with 'Keep the data file with it'.")
    kept = st.session_state.get(_kept(key_prefix))
    if file is not None:
        # (cut as a setup keeps it, so the saved path names this file)
        raw, name = file.getvalue(), (file.name or "upload.csv")[:MAX_COLUMN_NAME_CHARS]
        if kept is None or kept[1] != raw:  # (a test or an old session may skip on_change)
            st.session_state[_kept(key_prefix)] = (name, raw)
    elif kept is not None:  # a page switch emptied the uploader: the session still has it
        name, raw = kept
        st.caption(f"Using {escape_md(name)}, uploaded earlier in this session (kept in this "
                   "session's memory only).")
        st.button("Forget this file", key=f"{key_prefix}.forget", on_click=_forget_upload,
                  args=(key_prefix,))
    else:
        last = _fallback(key_prefix, problem)
        shown = escape_md(last.dataset.source)
        if cfg.get("path"):
            st.warning(f"This setup used the uploaded file {escape_md(cfg['path'])}. Uploaded "
                       "data cannot travel in a link: upload that file here. Until then the "
                       f"charts show other data: {shown}.")
            return DataChoice(last.dataset, dict(cfg), uploaded=False, waiting=True)
        st.info(f"Upload a CSV file. Until then the charts show {shown}.")
        return DataChoice(last.dataset, last.config, last.uploaded, waiting=True)
    digest = hashlib.sha256(raw).hexdigest()
    table, notes = _upload_table(code_version.CODE, digest, raw, name)
    with st.expander(f"{len(table):,} rows × {table.shape[1]} columns: first rows",
                     expanded=False):
        st.dataframe(table.head(20), height=180, hide_index=True)
    numeric = gdata.numeric_columns(table)
    same_file = cfg.get("path") == name
    kk = f"{k}.{digest[:8]}"
    if problem == "logistic":
        y_options = gdata.class_columns(table)
        if not y_options or not [c for c in numeric if c not in y_options[-1:]]:
            # the engine's own message says what is missing (no two-class column, no x)
            _upload_dataset(code_version.CODE, digest, raw, name, None, None, False, problem)
            raise DataError(f"{name}: classification needs a column with two classes and a "
                            "numeric column.")
        guess = gcolumns.guess_classes(table, numeric, y_options)
        x, y = _pick_xy(kk, numeric, cfg if same_file else {}, guess.x, guess.y,
                        y_options=y_options)
    else:
        if len(numeric) < 2:
            # the engine's own message says what is missing (no numeric column / only one)
            _upload_dataset(code_version.CODE, digest, raw, name, None, None, False)
            raise DataError(f"{name}: a line needs two numeric columns.")
        guess = gcolumns.guess_line(table, numeric)
        x, y = _pick_xy(kk, numeric, cfg if same_file else {}, guess.x, guess.y)
    _first_choice(guess, x, y)
    std = st.toggle(_std_label(problem), value=bool(cfg.get("standardize", False)),
                    key=f"{kk}.std")
    positive = cfg.get("positive") if same_file and cfg.get("y") == y else None
    ds = _upload_dataset(code_version.CODE, digest, raw, name, x, y, std, problem, positive)
    new: dict[str, Any] = {"source": "csv", "path": name, "x": x, "y": y}
    if std:
        new["standardize"] = True
    if problem == "logistic":
        chosen = _positive_picker(kk, ds, new)
        if chosen is not None and chosen != ds.classes[1]:
            ds = _upload_dataset(code_version.CODE, digest, raw, name, x, y, std, problem, chosen)
        if ds.classes is not None:
            new["positive"] = ds.classes[1]
    return DataChoice(ds, new, uploaded=True, notes=tuple(ds.notes))
