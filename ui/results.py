"""Running experiments from the UI: kept per run, with progress and a Stop button, and tables
of results.

Each finished run is kept on its own JSON plus the data's content hash (computed here: Streamlit
samples large arrays when it hashes them), so changing one run's setting reruns only that run.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

import gdcore
import gdcore.engine.repeats
import gdcore.engine.stats
import gdcore.rules.methods
from gdcore.engine import isolated
from gdcore.engine.plan import at_index
from gdcore.errors import GDError
from gdcore.spec.export import csv_text
from ui import charts, render, text, version
from ui.shared import SharedStore


@st.cache_resource(max_entries=8, show_spinner=False)
def _problem(code: str, data_hash: str, kind: str, _dataset):
    """The problem on this data: a LinearRegression (its moments computed once, shared by
    every run) or a LogisticRegression (its reference optimum computed once). Keyed on the
    code version (ui/version.py): an object of a class the server has since reloaded is never
    handed to the new code."""
    problem = gdcore.make_problem(kind, _dataset)
    if kind == "logistic":
        _ = problem.optimum
    else:
        _ = problem.moments
    return problem


def param_names(dataset) -> tuple[str, ...]:
    """The model's parameters on this data: w, b (one x column) or w1 .. wd, b."""
    return tuple(gdcore.LinearRegression.from_dataset(dataset).param_names)


def problem_for(kind: str, dataset):
    """The (shared, cached) problem object of ``kind`` on ``dataset``."""
    return _problem(version.CODE, dataset.content_hash(), kind, dataset)


def start_accelerator() -> bool:
    """See :func:`_accelerator` (once per server and code version: a reloaded engine has its
    own accelerator state)."""
    return _accelerator(version.CODE)


@st.cache_resource(show_spinner=False)
def _accelerator(code: str) -> bool:
    """Start getting the engine's compiled accelerator ready in a background thread, once per
    server process. Nothing waits for it: every run works on the interpreter loop, and big runs
    move to the compiled loop once it is ready."""
    gdcore.warm_up(wait=False, delay=ACCELERATOR_DELAY)
    isolated.prepare(delay=ACCELERATOR_DELAY)  # the process long runs are forked from
    return True


@st.cache_resource(show_spinner=False)
def _run_store(code: str) -> SharedStore:
    """Finished runs, keyed on (run JSON, data hash), shared by the server's sessions and each
    computed once however many sessions ask at once (ui/shared.py). Not st.cache_data: a run
    draws a live progress bar, and a stopped run must not be remembered as if it had finished."""
    return SharedStore(STORE_SIZE, max_bytes=STORE_BYTES,
                       size_of=lambda r: int(r.history.memory_usage(index=True).sum()))


STORE_SIZE = 256
STORE_BYTES = 16 << 20  # and at most this much history kept (a class's runs fit many times)
ACCELERATOR_DELAY = 3.0  # seconds after the first visit: its page is drawn first
STOP = "_stop_requested"  # the setup (as JSON) whose runs the user asked to stop
STOPPED = "_stopped_runs"  # (setup JSON, {run JSON: result}): what Stop left, until a change
HANDOVER_SECONDS = 5.0  # how long a rerun after Stop waits for the stopped run's result


@st.cache_resource(show_spinner=False)
def _handover() -> dict:
    """Per session: the run computing now and what a stopped run did. Streamlit starts the
    rerun that a click causes while the interrupted script is still finishing, and session
    state written by that script is not seen by the new one, so the two meet here."""
    return {"lock": threading.Lock(), "sessions": {}}


def _session_slot() -> dict:
    ctx = get_script_run_ctx()
    store = _handover()
    with store["lock"]:
        return store["sessions"].setdefault(ctx.session_id if ctx else "", {})


def request_stop(setup_json: str) -> None:
    """The Stop button's callback: runs of this setup stop at their next progress check."""
    st.session_state[STOP] = setup_json


def _fetch_or_run(cfg: gdcore.RunConfig, run_json: str, data_hash: str, problem, dataset,
                  on_progress, still_wanted):
    """The finished run from the shared store, or computed here (or by the session already
    computing it: then waited for, while ``still_wanted()``; None if it is not). ``cfg`` is the
    validated run as the setup holds it; ``run_json`` (its JSON) only names it in the store."""
    def compute():
        if isolated.holds_the_interpreter(problem, cfg) >= isolated.ISOLATE_FROM_SECONDS:
            # a long interpreter run goes to a child process: the other sessions keep the GIL
            return isolated.run(problem, cfg, dataset=dataset, progress=on_progress)
        return gdcore.run(problem, cfg, dataset=dataset, progress=on_progress)

    return _run_store(version.CODE).get((run_json, data_hash), compute,
                                        keep=lambda result: result.status != "stopped",
                                        still_wanted=still_wanted)


@dataclass
class Outcome:
    """What the page draws: the results that ran, and a message per run that could not.
    ``key`` names all of it (each run's settings, data and result): charts are kept on it."""

    runs: list[gdcore.RunResult]
    errors: list[tuple[str, str]] = field(default_factory=list)
    problem: Any = None
    reference: dict[str, float] = field(default_factory=dict)  # parameter -> value ({}: none)
    reference_loss: float = float("nan")
    key: str = ""
    kind: str = "linear"  # or "logistic"
    repeats: list[list[gdcore.RunResult]] = field(default_factory=list)  # per run, with repeats
    n_repeats: int = 1
    repeats_vary: tuple[str, ...] = ("shuffle",)

    @property
    def spreads(self) -> dict[str, gdcore.engine.repeats.Spread]:
        """Per run name, what its repeats did (empty without repeats)."""
        return {rs[0].name: gdcore.engine.repeats.spread(rs) for rs in self.repeats
                if self.n_repeats > 1 and rs}

    @property
    def params(self) -> tuple[str, ...]:
        """The model's parameter names: w, b (one x column) or w1 .. wd, b."""
        return tuple(self.problem.param_names)

    @property
    def reference_name(self) -> str:
        return "least squares" if self.kind == "linear" else "optimum"

    @cached_property
    def history(self) -> pd.DataFrame:
        """All histories, each downsampled once to what a chart can show (the builders keep
        at most ``charts.MAX_POINTS`` points in all)."""
        if not self.runs:
            return pd.DataFrame(columns=["run", "step", "epoch", "samples", "lr", "w", "b",
                                         "loss", "batch_loss", "grad_norm", "clipped"])
        per_run = charts.points_per_run(len(self.runs))
        return pd.concat([charts.downsample(r.history, per_run) for r in self.runs],
                         ignore_index=True)

    @property
    def full_history(self) -> pd.DataFrame:
        """Every recorded step of every run (for the download); with repeats, of every
        repeat, numbered in ``repeat``."""
        if not self.runs:
            return self.history
        if self.n_repeats > 1:
            return pd.concat([r.history.assign(repeat=j) for rs in self.repeats
                              for j, r in enumerate(rs)], ignore_index=True)
        return pd.concat([r.history for r in self.runs], ignore_index=True)

    @property
    def shown_history(self) -> pd.DataFrame:
        """What the charts draw as each run's line: its history, or with repeats the median
        over its repeats at each recorded step (:func:`bands`)."""
        if self.n_repeats <= 1 or not self.runs:
            return self.history
        return bands(self)[0]

    @property
    def band(self) -> pd.DataFrame | None:
        """With repeats, each run's 10-90 % band per recorded step (:func:`bands`)."""
        return None if self.n_repeats <= 1 or not self.runs else bands(self)[1]

    @property
    def status(self) -> dict[str, str]:
        return {r.name: r.status for r in self.runs}

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.runs]


def run_all(experiment: gdcore.Experiment, dataset) -> Outcome:
    """Run (or fetch from the store) every run of ``experiment`` on ``dataset``.

    A run that takes a while shows a progress bar and a Stop button (the stopped run is shown
    with what it did so far, marked "stopped"; later runs are left out); a rerun of the page
    (a changed setting, a closed tab) ends it at once. A run whose settings do not fit the
    data (e.g. a batch larger than the data) is reported in ``errors``; the others still run.
    """
    data_hash = dataset.content_hash()
    kind = experiment.problem
    problem = _problem(version.CODE, data_hash, kind, dataset)
    setup_json = experiment.to_json(indent=None)
    stop_asked = st.session_state.get(STOP) == setup_json
    slot = _session_slot()
    if stop_asked:  # Streamlit starts this run while the stopped one is still handing over
        deadline = time.monotonic() + HANDOVER_SECONDS
        while slot.get("running") and time.monotonic() < deadline:
            time.sleep(0.02)
    partial = slot.pop("partial", {}) if stop_asked else {}
    slot.pop("partial", None)
    kept = st.session_state.get(STOPPED)
    if not stop_asked and kept is not None:  # what Stop left stays until a setting changes
        if kept[0] == setup_json:
            partial = dict(kept[1])
        else:
            del st.session_state[STOPPED]
    ran: dict[str, gdcore.RunResult] = {}
    box = st.empty()
    out = Outcome(runs=[], problem=problem, kind=kind)
    total = len(experiment.runs)
    bar: list = []
    interrupted: list = []

    spec = experiment.repeats
    for i, cfg in enumerate(experiment.runs):
        mine: list[gdcore.RunResult] = []
        try:
            reps = gdcore.engine.repeats.repeat_configs(cfg, spec, problem)
        except GDError as err:
            out.errors.append((cfg.name, str(at_index(err, cfg, i))
                               if isinstance(err, gdcore.ConfigError) else str(err)))
            continue
        for j, rep in enumerate(reps):
            def on_progress(done: int, planned: int, name: str = cfg.name, i: int = i,
                            j: int = j) -> bool:
                if stop_asked:
                    return False
                try:
                    if not bar:  # this run takes a while: show where it is, and a way out
                        render.give_back()  # and let the class go ahead meanwhile
                        with box.container():
                            bar.append(st.progress(0.0))
                            st.button("Stop", key="stop_runs", on_click=request_stop,
                                      args=(setup_json,), icon=":material/stop_circle:",
                                      help="Stop the computation and show what it has done so "
                                           "far.")
                    part = (j + min(done / max(planned, 1), 1.0)) / spec.n
                    seeds = f", seed {j + 1} of {spec.n}" if spec.n > 1 else ""
                    bar[0].progress((i + part) / total,
                                    text=f"Running {name} ({i + 1} of {total}{seeds}): "
                                         f"{done:,} of {planned:,} updates")
                except ScriptControlException as request:  # Stop, a new setting, a closed tab
                    interrupted.append(request)
                    return False  # end the run here; the request goes on once it has returned
                return True

            def still_wanted() -> bool:
                """(Waiting for another session's identical run) False once this script is
                asked to stop or rerun: an empty delta is where Streamlit delivers that."""
                render.give_back()  # waiting needs no turn: the next session goes ahead
                try:
                    box.empty()
                except ScriptControlException as request:
                    interrupted.append(request)
                    return False
                return True

            key = json.dumps(rep.to_dict(), sort_keys=True)
            try:
                if key in partial:
                    result = partial[key]
                else:
                    slot["running"] = key
                    try:
                        result = _fetch_or_run(rep, key, data_hash, problem, dataset,
                                               on_progress, still_wanted)
                        if interrupted and result is not None:  # keep it, in case of Stop
                            slot["partial"] = {key: result}
                    finally:
                        slot.pop("running", None)
            except GDError as err:  # named by its place, as the setup's checks name a run
                out.errors.append((cfg.name, str(at_index(err, cfg, i))
                                   if isinstance(err, gdcore.ConfigError) else str(err)))
                break
            if interrupted:
                raise interrupted[0]
            ran[key] = result
            mine.append(result)
            if result.status == "stopped":
                break
        if not mine:
            continue
        out.runs.append(mine[0])
        out.repeats.append(mine)
        if mine[-1].status == "stopped":
            break
    box.empty()
    if stop_asked:
        st.session_state.pop(STOP, None)
        st.session_state[STOPPED] = (setup_json, ran)
    ref = gdcore.engine.runner.reference_point(problem)
    out.reference = ({} if ref is None else
                     {nm: float(v) for nm, v in zip(problem.param_names, ref)})
    out.reference_loss = float(problem.min_value)
    out.n_repeats, out.repeats_vary = spec.n, spec.vary
    out.key = render.digest(data_hash, [[(json.dumps(r.config.to_dict(), sort_keys=True),
                                          r.status, r.steps) for r in rs] for rs in out.repeats])
    return out


def over_budget(experiment: gdcore.Experiment, dataset) -> str | None:
    """Why ``experiment`` is too much work on ``dataset`` (see ``gdcore.limits``), or None."""
    return gdcore.engine.runner.over_budget(
        experiment, _problem(version.CODE, dataset.content_hash(), experiment.problem, dataset))


def original_reference(dataset, reference: Mapping[str, float]) -> tuple[float, float] | None:
    """The reference (slope, intercept) of one x column in the data's original units (None
    when there is no reference: separable classes)."""
    if "w" not in reference:
        return None
    slope, intercept = dataset.to_original_units(reference["w"], reference["b"])
    return float(slope), float(intercept)


def weights_frame(outcome: Outcome, dataset) -> pd.DataFrame:
    """One row per (run, weight): the final weights (and b), with the reference's, in model
    units: what the weights-by-feature chart draws."""
    names = outcome.params
    labels = ([*dataset.x_names, "b (intercept)"] if len(names) == len(dataset.x_names) + 1
              else list(names))
    rows = []
    for r in outcome.runs:
        for nm, label in zip(names, labels):
            rows.append({"run": r.name, "param": nm, "feature": label,
                         "value": r.params.get(nm, float("nan")), "status": r.status})
    frame = pd.DataFrame(rows, columns=["run", "param", "feature", "value", "status"])
    ref = pd.DataFrame({"param": list(names), "feature": labels,
                        "reference": [outcome.reference.get(nm, float("nan")) for nm in names]})
    return frame.merge(ref, on=["param", "feature"], how="left")


def final_params(outcome: Outcome) -> pd.DataFrame:
    """One row per run: its status and final parameters in the data's original units."""
    names = outcome.params
    rows = [{"run": r.name, "status": r.status,
             **{nm: (r.params_original or r.params).get(nm, float("nan")) for nm in names}}
            for r in outcome.runs]
    return pd.DataFrame(rows, columns=["run", "status", *names])


def original_point(dataset, outcome: Outcome) -> list[float] | None:
    """The reference point (w.., b) in the data's original units, or None (no reference)."""
    if not outcome.reference:
        return None
    names = outcome.params
    w = [outcome.reference[nm] for nm in names[:-1]]
    slope, intercept = dataset.to_original_units(np.asarray(w), outcome.reference["b"])
    return [*np.atleast_1d(slope).tolist(), float(intercept)]


def conditioning(outcome: Outcome):
    """The curvature at the reference point (at the zero start when there is none), as
    :class:`gdcore.rules.methods.Conditioning`, and where it was taken."""
    problem = outcome.problem
    if outcome.reference:
        at = [outcome.reference[nm] for nm in outcome.params]
        where = "least-squares answer" if outcome.kind == "linear" else "optimum"
    else:
        at, where = [0.0] * len(outcome.params), "start (0)"
    return gdcore.rules.methods.conditioning(problem.hessian(np.asarray(at, dtype=float))), where


def fit_lines(outcome: Outcome) -> pd.DataFrame:
    """One row per run: its final slope and intercept in the data's original units."""
    rows = []
    for r in outcome.runs:
        p = r.params_original or r.params
        rows.append({"run": r.name, "slope": p.get("w", float("nan")),
                     "intercept": p.get("b", float("nan")), "status": r.status})
    return pd.DataFrame(rows, columns=["run", "slope", "intercept", "status"])


def clip_thresholds(outcome: Outcome) -> dict[str, float]:
    """run -> max_norm, for runs that clip by the gradient's norm: the threshold belongs on the
    gradient-norm chart. (Clipping by value caps each component, not the norm; its clipped
    steps are marked on the chart instead.)"""
    return {r.name: float(r.config.clip.params["max_norm"]) for r in outcome.runs
            if r.config.clip.name == "norm"}


def results_table(outcome: Outcome, dataset) -> pd.DataFrame:
    """The results table: final parameters, distance to the reference (least squares, or the
    logistic optimum), losses (and accuracy), status, time."""
    rows = []
    one = outcome.params == ("w", "b")
    for r in outcome.runs:
        row: dict[str, Any] = {"run": r.name, "status": r.status}
        row.update({f"final {nm}": r.params.get(nm) for nm in outcome.params})
        if dataset.standardized and r.params_original and one:
            row["slope (original units)"] = r.params_original.get("w")
            row["intercept (original units)"] = r.params_original.get("b")
        if outcome.kind == "logistic":
            row["accuracy"] = float(r.history["accuracy"].iloc[-1])
        spread = outcome.spreads.get(r.name)
        if spread is not None:  # the repeats: the median and range first, then seed 1's
            row.update({
                "final loss (median)": spread.final_median,
                "final loss 10 %": spread.final_low,
                "final loss 90 %": spread.final_high,
                "diverged": f"{spread.diverged} of {spread.n}",
                "converged": f"{spread.converged} of {spread.n}",
                "steps to converge (median)": spread.steps_median,
            })
        row.update({
            f"distance to {outcome.reference_name}": r.distance,
            "final loss": r.final_loss,
            "best loss": r.best_loss,
            "steps to converge": r.steps_to_converge,
            "loss settled at": r.steps_to_loss,
            "steps": r.steps,
            "time (ms)": 1000 * r.wall_time,
            "message": r.message,
        })
        rows.append(row)
    return pd.DataFrame(rows)


# wide enough for "-3.3306e-16" (%.5g at its longest): a narrower column cut numbers from the
# left ("3306e-16"); the run's name stays pinned while the table scrolls sideways
NUMBER_WIDTH = 112


def _width(header: str, least: int = NUMBER_WIDTH) -> int:
    """Pixels for a column: its numbers, and its header in full (about 7.5 px a character)."""
    return max(least, int(7.5 * len(header)) + 28)


def _number(header: str, fmt: str = "%.5g", least: int = NUMBER_WIDTH, **kw):
    return st.column_config.NumberColumn(format=fmt, width=_width(header, least), **kw)


TABLE_COLUMNS = {
    "run": st.column_config.TextColumn(width="medium", pinned=True),
    "status": st.column_config.TextColumn(width=_width("search failed", 80)),
    **{c: _number(c) for c in ("final w", "final b", "slope (original units)",
                               "intercept (original units)", "distance to least squares",
                               "distance to optimum", "final loss", "best loss",
                               *(f"final w{j}" for j in range(1, 65)))},
    "accuracy": _number("accuracy", "percent", 80),
    "steps to converge": _number(
        "steps to converge", "%d", 80,
        help="The first step from which the loss stayed within 0.1% of its starting gap to the "
             "best loss *and* the weights stayed within 1% of their starting distance to the "
             "reference (least squares, or the optimum). Empty: not by the end of the run."),
    "loss settled at": _number(
        "loss settled at", "%d", 80,
        help="The first step from which the loss alone stayed within 0.1% of its starting "
             "gap. In a long narrow valley this comes long before the weights are near the "
             "answer: compare with steps to converge."),
    "steps": _number("steps", "%d", 80),
    "time (ms)": _number("time (ms)", "%.3g", 80),
    "final loss (median)": _number(
        "final loss (median)",
        help="With several seeds per run: the median final loss of the repeats that did not "
             "diverge (the other columns are the first seed's)."),
    "final loss 10 %": _number("final loss 10 %"),
    "final loss 90 %": _number("final loss 90 %"),
    "diverged": st.column_config.TextColumn(width=_width("diverged", 80),
                                            help="Repeats that diverged, of all seeds."),
    "converged": st.column_config.TextColumn(
        width=_width("converged", 80), help="Repeats that reached steps to converge."),
    "steps to converge (median)": _number(
        "steps to converge (median)", "%d", help="Median over the repeats that converged."),
    "message": st.column_config.TextColumn(width="large"),
}


#: What the projector's table shows (messages go under it: a long one made its row three
#: times taller, and the columns past the screen's width were cut off at 1280 × 720).
CLASSROOM_DROP = ("best loss", "loss settled at", "steps", "time (ms)", "message")


def classroom_table(table: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """The results table for classroom mode (fewer columns, one line a run) and the runs'
    messages, (run, message), to show under it. With more than three parameters only the
    distance and losses stay: the weights are in the charts."""
    keep = table.drop(columns=[c for c in CLASSROOM_DROP if c in table.columns])
    finals = [c for c in keep.columns if c.startswith("final ") and c != "final loss"]
    if len(finals) > 3:
        keep = keep.drop(columns=finals)
    messages = [(str(r), str(m)) for r, m in zip(table["run"], table.get("message", []))
                if isinstance(m, str) and m]
    return rounded(keep), messages


def rounded(table: pd.DataFrame) -> pd.DataFrame:
    """The results table as text with 5 significant digits (for st.table, which shows numbers
    as they are)."""
    out = table.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = [("" if pd.isna(v) else f"{v:.5g}") for v in out[col]]
    return out



def data_table(container, df: pd.DataFrame, *, classroom: bool,
               formats: Mapping[str, str] | None = None,
               labels: Mapping[str, str] | None = None, wide=(), digits: int = 4) -> None:
    """A table for the further pages: floats with ``digits`` significant digits
    (``formats``: printf per column), readable column names (``labels``), text columns wide
    enough (``wide``: the widest). In classroom mode an HTML table (:func:`rounded`), whose
    text follows the projector stylesheet."""
    labels = dict(labels or {})
    if classroom:
        text.table(container, rounded(df).rename(columns=labels), hide_index=True)
        return
    config = {}
    for c in df.columns:
        name = labels.get(c, c)
        if pd.api.types.is_float_dtype(df[c]):
            config[c] = st.column_config.NumberColumn(
                name, format=(formats or {}).get(c, f"%.{digits}g"))
        elif pd.api.types.is_integer_dtype(df[c]):
            config[c] = st.column_config.NumberColumn(name, format="%d")
        else:
            config[c] = st.column_config.TextColumn(name, width="medium" if c in wide else None)
    container.dataframe(df, hide_index=True, width="stretch", column_config=config)

BAND_COLUMNS = ("loss", "grad_norm")  # and the parameters
LINES = {"median": "median", "mean": "mean"}  # what a run's line is over its repeats
SPREADS = {"q10": "10-90 %", "range": "min-max"}  # what its band is


def _bands(outcome: Outcome, line: str = "median",
           spread: str = "q10") -> tuple[pd.DataFrame, pd.DataFrame]:
    columns = [*BAND_COLUMNS, *outcome.params]
    medians, spreads = [], []
    per_run = charts.points_per_run(len(outcome.runs))
    for rs in outcome.repeats:
        first = charts.downsample(rs[0].history, per_run)
        every = pd.concat([r.history[["step", *columns]].assign(repeat=j)
                           for j, r in enumerate(rs)], ignore_index=True)
        every = every[every["step"].isin(first["step"])]
        stats = {}
        for c in columns:
            wide = every.pivot_table(index="step", columns="repeat", values=c, aggfunc="first")
            wide = wide.reindex(first["step"].to_numpy())
            values = wide.to_numpy(dtype=float)
            values = np.where(np.isfinite(values), values, np.nan)
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # (a step no repeat reached)
                if spread == "range":
                    lo, hi = np.nanmin(values, axis=1), np.nanmax(values, axis=1)
                else:
                    lo, hi = np.nanquantile(values, [0.1, 0.9], axis=1)
                mid = (np.nanmean(values, axis=1) if line == "mean"
                       else np.nanmedian(values, axis=1))
            stats[c] = (lo, mid, hi)
            if c == "loss":
                count = np.isfinite(values).sum(axis=1)
        median = first.assign(**{c: np.where(np.isfinite(stats[c][1]), stats[c][1], first[c])
                                 for c in columns})
        medians.append(median)
        spreads.append(pd.DataFrame({
            "run": rs[0].name, "step": first["step"].to_numpy(),
            "epoch": first["epoch"].to_numpy(), "samples": first["samples"].to_numpy(),
            "count": count, "repeats": len(rs), "line": LINES[line], "spread": SPREADS[spread],
            **{f"{c}_lo": stats[c][0] for c in columns},
            **{f"{c}_hi": stats[c][2] for c in columns}}))
    return pd.concat(medians, ignore_index=True), pd.concat(spreads, ignore_index=True)


def bands(outcome: Outcome, line: str = "median",
          spread: str = "q10") -> tuple[pd.DataFrame, pd.DataFrame]:
    """With repeats: (each run's line: its repeat 0's recorded steps, the loss, gradient norm
    and parameters replaced by their median (``line="mean"``: mean) over the repeats that
    reached that step; and each run's band: per step the 10 % and 90 % quantiles of each
    (``spread="range"``: the smallest and largest; ``loss_lo``, ``loss_hi`` ...) and
    ``count``, how many of its ``repeats`` had a finite loss there: a diverged repeat leaves
    the band where it diverged, and is counted, never dropped silently). Computed once per
    outcome, view and server (kept with the chart specs)."""
    if line not in LINES or spread not in SPREADS:
        raise ValueError(f"bands: line {line!r} / spread {spread!r}")
    return render.kept(("bands", outcome.key, line, spread),
                       lambda: _bands(outcome, line, spread))


SEED_POINTS = 80  # points each seed's faint line keeps (evenly spread, first and last kept)


def seed_lines(outcome: Outcome) -> pd.DataFrame | None:
    """Every repeat's own loss curve (``run``, ``repeat``, step, epoch, samples, loss), each
    downsampled to :data:`SEED_POINTS`, for the charts' faint per-seed lines; None without
    repeats. Computed once per outcome and server."""
    if outcome.n_repeats <= 1 or not outcome.runs:
        return None

    def make() -> pd.DataFrame:
        parts = []
        for rs in outcome.repeats:
            for j, r in enumerate(rs):
                h = r.history[["run", "step", "epoch", "samples", "loss"]]
                parts.append(charts.downsample(h, SEED_POINTS).assign(repeat=j))
        return pd.concat(parts, ignore_index=True)
    return render.kept(("seed_lines", outcome.key), make)


def drawn(outcome: Outcome, line: str = "median",
          spread: str = "q10") -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """What the charts draw: (each run's line, its band or None) -- the histories and no band
    for one seed a run, else :func:`bands` in the view chosen."""
    if outcome.n_repeats <= 1 or not outcome.runs:
        return outcome.history, None
    return bands(outcome, line, spread)


def _flat(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flat(f"{prefix}.{k}" if prefix else k, v, out)
    elif isinstance(value, (list, tuple)):
        out[prefix] = ", ".join(str(v) for v in value)
    else:
        out[prefix] = value


def settings_table(experiment: gdcore.Experiment, *, differ_only: bool = False) -> pd.DataFrame:
    """One row per run, one column per setting (``optimizer.lr``, ``schedule.name`` ...), as
    the engine's format names them. ``differ_only``: only the settings that are not the same
    for every run (the run's name always)."""
    return settings_frame([cfg.to_dict() for cfg in experiment.runs], differ_only=differ_only)


def settings_frame(run_dicts: list[dict[str, Any]], *, differ_only: bool = False) -> pd.DataFrame:
    """:func:`settings_table` of runs given as the engine's run dicts (e.g. from the store,
    across experiments): ``run``, ``optimizer``, then one column per setting."""
    rows = []
    for raw in run_dicts:
        row: dict[str, Any] = {}
        _flat("", raw, row)
        row.pop("optimizer.name", None)
        rows.append({"run": raw.get("name"), "optimizer": (raw.get("optimizer") or {}).get("name"),
                     **{k: v for k, v in row.items() if k != "name"}})
    # one column per setting any run has, in the order they first appear; a setting one run
    # has and another lacks is shown empty there, not as a number; a column of mixed kinds
    # ("full" and 32) is shown as text (a table column has one type). Built in Python: a
    # handful of runs, and pandas' per-column work costs more than the table (every rerun)
    columns: dict[str, list[Any]] = {}
    text: set[str] = set()
    for c in dict.fromkeys(k for row in rows for k in row):
        values = [None if _absent(row.get(c)) else row.get(c) for row in rows]
        kinds = {type(v) for v in values if v is not None}
        if len(kinds) > 1 and not kinds <= {int, float}:
            values = [None if v is None else str(v) for v in values]
            text.add(c)
        columns[c] = values
    if differ_only and len(rows) > 1:
        columns = {c: v for i, (c, v) in enumerate(columns.items())
                   if i == 0 or len({repr(x) for x in v}) > 1}
    return pd.DataFrame({c: pd.Series(v, dtype=None if c in text else object)
                         for c, v in columns.items()}, index=pd.RangeIndex(len(rows)))


def _absent(value: Any) -> bool:
    """A cell pandas counts as missing (None, NaN, pd.NA), shown empty."""
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def only(outcome: Outcome, names: list[str]) -> Outcome:
    """``outcome`` with the runs ``names`` only (those the runs table has selected)."""
    keep = [i for i, r in enumerate(outcome.runs) if r.name in names]
    if len(keep) == len(outcome.runs):
        return outcome
    return dataclasses.replace(
        outcome, runs=[outcome.runs[i] for i in keep],
        repeats=[outcome.repeats[i] for i in keep] if outcome.repeats else [],
        key=render.digest(outcome.key, tuple(names)))


def varied_settings(experiment: gdcore.Experiment) -> list[str]:
    """The numeric settings (``optimizer.lr``, ``batch_size``, ``optimizer.betas.0`` ...) that
    take at least two values across the runs: what the final loss can be drawn against."""
    table = settings_table(experiment)
    out = []
    for c in table.columns[2:]:
        values = pd.to_numeric(table[c].map(_number_or_none), errors="coerce")
        if values.notna().sum() >= 2 and values.nunique() >= 2:
            out.append(c)
    return out


def _number_or_none(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str) and v == "full":
        return None
    return None


def by_setting(outcome: Outcome, experiment: gdcore.Experiment, setting: str) -> pd.DataFrame:
    """One row per run that has ``setting``: its value, the run's optimizer, and its final and
    best loss (median, 10 % and 90 % over its repeats; one seed: the run's own, as all three).
    ``status``: diverged when every repeat diverged (drawn at the top edge)."""
    table = settings_table(experiment).set_index("run")
    by_name = {rs[0].name: rs for rs in outcome.repeats} or {r.name: [r] for r in outcome.runs}
    rows = []
    for name, reps in by_name.items():
        value = _number_or_none(table.at[name, setting]) if name in table.index else None
        if value is None:
            continue
        ok = [r for r in reps if r.status != "diverged"]
        row = {"run": name, "optimizer": table.at[name, "optimizer"], "value": value,
               "seeds": len(reps), "diverged": len(reps) - len(ok),
               "status": "diverged" if not ok else "ok"}
        for metric in ("final_loss", "best_loss"):
            lo, mid, hi = gdcore.engine.repeats.quantiles([getattr(r, metric) for r in ok])
            row.update({f"{metric}": mid, f"{metric}_lo": lo, f"{metric}_hi": hi})
        rows.append(row)
    return pd.DataFrame(rows, columns=["run", "optimizer", "value", "seeds", "diverged",
                                       "status", "final_loss", "final_loss_lo",
                                       "final_loss_hi", "best_loss", "best_loss_lo",
                                       "best_loss_hi"])


def log_axis(values, setting: str) -> bool:
    """Whether a setting's values read best on a log axis: a learning rate, or positive values
    spanning more than 20x."""
    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    return bool(len(v)) and bool((v > 0).all()) and (setting.endswith(".lr")
                                                     or v.max() > 20 * v.min())


def verdict_pair(outcome: Outcome) -> tuple[str, str] | None:
    """The default pair to compare: the run with the lowest median final loss and the
    runner-up (runs whose every repeat diverged come last). None with fewer than two runs."""
    spreads = outcome.spreads
    if len(spreads) < 2:
        return None
    def rank(name: str) -> tuple:
        sp = spreads[name]
        return (sp.diverged == sp.n, sp.final_median if np.isfinite(sp.final_median)
                else np.inf, sp.diverged)
    order = sorted(spreads, key=rank)
    return order[0], order[1]


def verdict(outcome: Outcome, a: str, b: str) -> gdcore.engine.stats.Verdict:
    """The paired comparison of runs ``a`` and ``b`` over their repeats (gdcore.engine.stats)."""
    by_name = {rs[0].name: rs for rs in outcome.repeats}
    ra, rb = by_name[a], by_name[b]
    n = min(len(ra), len(rb))  # (a stopped run may have fewer)
    ra, rb = ra[:n], rb[:n]
    return gdcore.engine.stats.verdict(
        a, b, [r.final_loss for r in ra], [r.final_loss for r in rb],
        diverged_a=[r.status == "diverged" for r in ra],
        diverged_b=[r.status == "diverged" for r in rb],
        paired=ra[0].config.seed == rb[0].config.seed)


def diverged_note(outcome: Outcome) -> str:
    """Which runs' repeats diverged, counted (the bands leave them out where they diverge)."""
    said = [f"{name} diverged in {sp.diverged} of {sp.n} seeds"
            for name, sp in outcome.spreads.items() if sp.diverged]
    return "; ".join(said)


def histories_csv(outcome: Outcome) -> bytes:
    """All histories as one CSV (one row per recorded step per run), safe to open in a
    spreadsheet (run names that look like formulas are neutralised)."""
    return csv_text(outcome.full_history).encode("utf-8")


def class_names(dataset) -> tuple[str, str]:
    """The labels that became 0 and 1 (as the data named them), or "0" and "1"."""
    classes = getattr(dataset, "classes", None)
    if classes and len(classes) == 2:
        return str(classes[0]), str(classes[1])
    return "0", "1"


def reference_text(outcome: Outcome, dataset) -> str:
    """The reference answer and the data, in one line (the numbers from the engine). Markdown
    escaped: the data's description may hold a file name."""
    data = f"Data: {text.md(dataset.source)}, {dataset.n:,} rows."
    values = ", ".join(f"{nm} = {outcome.reference[nm]:.5g}" for nm in outcome.params
                       if nm in outcome.reference)
    if outcome.kind == "linear":
        return f"Least squares: {values}, loss = {outcome.reference_loss:.5g}. {data}"
    if not outcome.reference and getattr(outcome.problem, "quasi_separable", False):
        return ("No optimum: a line (or plane) puts every row on its own class's side or on "
                "the line itself, where rows of both classes meet (quasi-complete separation), "
                f"so the log-loss keeps falling towards {outcome.reference_loss:.5g} (the best "
                "fit of the rows on the line) as the weights grow along it, and never reaches "
                "it: there is no reference point, and no run's weights settle. A second x "
                f"column, or fewer distinct values per class, may give one. {data}")
    if not outcome.reference:
        return ("The two classes can be separated by a line (or plane): the log-loss has no "
                "minimum, it keeps falling towards 0 as the weights grow, so there is no "
                f"reference point and the runs' weights keep growing. {data}")
    point = np.asarray([outcome.reference[nm] for nm in outcome.params])
    acc = outcome.problem.accuracy(point)
    return (f"Optimum (Newton's method run to convergence, as IRLS): {values}, log-loss = "
            f"{outcome.reference_loss:.5g}, accuracy = {acc:.1%}. {data}")
