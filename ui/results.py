"""Running experiments from the UI: cached per run, with progress, and tables of results.

Each run is cached on its own JSON plus the data's content hash, so changing one run's
setting reruns only that run. The Dataset is passed as an ``_``-prefixed argument (never
hashed by Streamlit, which samples large arrays); the content hash is the key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

import gdcore
from gdcore.errors import GDError


@st.cache_resource(max_entries=8, show_spinner=False)
def _problem(data_hash: str, _dataset) -> gdcore.LinearRegression:
    problem = gdcore.make_problem("linear", _dataset)
    _ = problem.moments  # computed once, shared by every run on this data
    return problem


@st.cache_resource(show_spinner=False)
def start_accelerator() -> bool:
    """Start getting the engine's compiled accelerator ready in a background thread, once per
    server process. Nothing waits for it: every run works on the interpreter loop, and big runs
    move to the compiled loop once it is ready."""
    gdcore.warm_up(wait=False)
    return True


@st.cache_data(max_entries=256, show_spinner=False)
def _run_cached(run_json: str, data_hash: str, _dataset) -> gdcore.RunResult:
    return gdcore.run(_problem(data_hash, _dataset), json.loads(run_json), dataset=_dataset)


@dataclass
class Outcome:
    """What the page draws: the results that ran, and a message per run that could not."""

    runs: list[gdcore.RunResult]
    errors: list[tuple[str, str]] = field(default_factory=list)
    problem: Any = None
    reference: dict[str, float] = field(default_factory=dict)
    reference_loss: float = float("nan")

    @property
    def history(self) -> pd.DataFrame:
        if not self.runs:
            return pd.DataFrame(columns=["run", "step", "epoch", "samples", "lr", "w", "b",
                                         "loss", "batch_loss", "grad_norm", "clipped"])
        return pd.concat([r.history for r in self.runs], ignore_index=True)

    @property
    def status(self) -> dict[str, str]:
        return {r.name: r.status for r in self.runs}

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.runs]


def run_all(experiment: gdcore.Experiment, dataset) -> Outcome:
    """Run (or fetch from the cache) every run of ``experiment`` on ``dataset``, showing a
    progress bar while it works. A run whose settings do not fit the data (e.g. a batch larger
    than the data) is reported in ``errors`` and left out; the others still run."""
    data_hash = dataset.content_hash()
    problem = _problem(data_hash, dataset)
    bar = st.empty()
    out = Outcome(runs=[], problem=problem)
    total = len(experiment.runs)
    for i, cfg in enumerate(experiment.runs):
        if total > 1:
            bar.progress(i / total, text=f"Running {cfg.name} ({i + 1} of {total})…")
        try:
            out.runs.append(_run_cached(json.dumps(cfg.to_dict(), sort_keys=True), data_hash,
                                        dataset))
        except GDError as err:
            out.errors.append((cfg.name, str(err)))
    bar.empty()
    w, b = problem.least_squares
    out.reference = {"w": float(w[0]), "b": float(b)}
    out.reference_loss = float(problem.min_value)
    return out


def original_reference(dataset, reference: Mapping[str, float]) -> tuple[float, float]:
    """The least-squares (slope, intercept) in the data's original units."""
    slope, intercept = dataset.to_original_units(reference["w"], reference["b"])
    return float(slope), float(intercept)


def fit_lines(outcome: Outcome) -> pd.DataFrame:
    """One row per run: its final slope and intercept in the data's original units."""
    rows = []
    for r in outcome.runs:
        p = r.params_original or r.params
        rows.append({"run": r.name, "slope": p.get("w", float("nan")),
                     "intercept": p.get("b", float("nan")), "status": r.status})
    return pd.DataFrame(rows, columns=["run", "slope", "intercept", "status"])


def clip_thresholds(outcome: Outcome) -> dict[str, float]:
    """run -> clipping threshold (max_norm or clip_value) for runs that clip."""
    out = {}
    for r in outcome.runs:
        clip = r.config.clip
        if clip.name != "none":
            out[r.name] = float(next(iter(clip.params.values())))
    return out


def results_table(outcome: Outcome, dataset) -> pd.DataFrame:
    """The results table: final w and b, distance to least squares, losses, status, time."""
    rows = []
    for r in outcome.runs:
        row: dict[str, Any] = {
            "run": r.name,
            "status": r.status,
            "final w": r.params.get("w"),
            "final b": r.params.get("b"),
        }
        if dataset.standardized and r.params_original:
            row["slope (original units)"] = r.params_original.get("w")
            row["intercept (original units)"] = r.params_original.get("b")
        row.update({
            "distance to least squares": r.distance,
            "final loss": r.final_loss,
            "best loss": r.best_loss,
            "steps to converge": r.steps_to_converge,
            "steps": r.steps,
            "time (ms)": 1000 * r.wall_time,
            "message": r.message,
        })
        rows.append(row)
    return pd.DataFrame(rows)


def histories_csv(outcome: Outcome) -> bytes:
    """All histories as one CSV (one row per recorded step per run)."""
    return outcome.history.to_csv(index=False).encode("utf-8")
