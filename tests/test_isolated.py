"""gdcore.engine.isolated: a long interpreter run in a child process gives the same numbers as in
this process, reports progress, stops when asked and raises the run's own errors."""

from __future__ import annotations

import os

import pytest

import gdcore
from gdcore.engine import isolated
from lab import presets


@pytest.fixture(scope="module")
def setup():
    exp = gdcore.parse_experiment(presets.build("lr"))
    dataset = gdcore.load_dataset(exp.data)
    problem = gdcore.make_problem("linear", dataset)
    cfg = {**exp.runs[1].to_dict(), "epochs": 400, "batch_size": 8}
    return problem, dataset, cfg


def test_same_numbers_bit_for_bit_from_another_process(setup):
    problem, dataset, cfg = setup
    here = gdcore.run(problem, cfg, dataset=dataset, engine="python")
    seen = []
    there = isolated.run(problem, cfg, dataset=dataset, progress=lambda d, p: seen.append(d))
    assert isolated.LAST_CHILD["pid"] != os.getpid()
    assert there.history.equals(here.history)
    assert there.params == here.params and there.status == here.status
    assert seen == sorted(seen)  # progress arrived, in order


def test_logistic_run_in_a_child_too():
    exp = gdcore.parse_experiment(presets.build("lr", problem="logistic",
                                                data={"source": "classes", "n": 120}))
    dataset = gdcore.load_dataset(exp.data, problem="logistic")
    problem = gdcore.make_problem("logistic", dataset)
    cfg = exp.runs[0].to_dict()
    here = gdcore.run(problem, cfg, dataset=dataset, engine="python")
    assert isolated.run(problem, cfg, dataset=dataset).history.equals(here.history)


def test_progress_false_stops_the_child_with_what_it_did(setup):
    problem, dataset, cfg = setup
    cfg = {**cfg, "epochs": 100_000}
    stopped = isolated.run(problem, cfg, dataset=dataset, progress=lambda done, planned: False)
    assert stopped.status == "stopped"
    assert 0 < stopped.steps < 100_000 * 25


def test_the_runs_own_error_is_raised_here(setup):
    problem, dataset, cfg = setup
    with pytest.raises(gdcore.GDError) as here:
        gdcore.run(problem, {**cfg, "batch_size": 10_000}, dataset=dataset)
    with pytest.raises(type(here.value), match="batch"):
        isolated.run(problem, {**cfg, "batch_size": 10_000}, dataset=dataset)


def test_only_runs_that_would_hold_the_interpreter_go_to_a_child(setup, monkeypatch):
    monkeypatch.setenv("GDCORE_ENGINE", "python")  # (the compiled loop would take them)
    problem, _, cfg = setup
    short = isolated.holds_the_interpreter(problem, {**cfg, "epochs": 2})
    long = isolated.holds_the_interpreter(problem, {**cfg, "epochs": 20_000})
    assert short < isolated.ISOLATE_FROM_SECONDS <= long


def test_a_long_run_on_the_page_runs_in_a_child_and_draws():
    """Under Streamlit the main module is the page script: the child must not run it (it did,
    and every long run on the page failed with 'ended without a result')."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from bench.load import long_setup
    from gdcore.spec import share

    setup, _ = long_setup(4.0)  # each run over isolated.ISOLATE_FROM_SECONDS
    isolated.LAST_CHILD.clear()
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "dashboard.py"),
                           default_timeout=180)
    at.query_params["s"] = share.encode(setup)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert isolated.LAST_CHILD.get("pid") not in (None, os.getpid())
    assert len(at.get("vega_lite_chart")) >= 7
