"""The work budget bounds time: each update is priced by what it computes on the interpreter loop
(its gradient, the full-data loss it records, line-search trials, Newton's Hessian, a pass over
the rows for the cross-entropy), and an experiment whose estimate passes ``MAX_SECONDS`` is
refused before anything runs. Nothing here times a real run against the limit (machines are
noisy): ``python -m bench.run --only T`` compares the estimate with measured runs."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import gdcore
from gdcore import limits
from gdcore.data import sources as gdata
from gdcore.engine import dispatch as engines
from gdcore.engine import runner
from gdcore.engine.plan import make_plan
from gdcore.spec.config import parse_run
from lab import presets
from lab.sweep import log_lrs, sweep

CARS = {"source": "sample", "name": "cars"}
ISSUE_RUN = {"name": "numeric", "gradient": "numeric", "batch_size": 4, "epochs": 100_000}


def _cars_problem():
    return gdcore.make_problem("linear", gdcore.load_dataset(CARS))


# --- the reviewer's case -----------------------------------------------------------------------
def test_numeric_gradient_batch_4_for_100000_epochs_on_cars_is_refused():
    """Issue: numeric gradient, batch 4, 100,000 epochs on the cars data passed the budget
    (9,800,000 updates, 78,400,000 row visits: under both counts) though the interpreter needs
    minutes for it (each update computes the batch loss 2 x 4 + 1 = 9 times)."""
    exp = gdcore.parse_experiment({"data": CARS, "runs": [ISSUE_RUN]})
    problem = _cars_problem()
    work = runner.experiment_work(exp, problem)
    assert work == limits.Work(9_800_000, 78_400_000)  # the counts, as before: under both caps
    why = runner.over_budget(exp, problem)
    assert why is not None
    assert work.seconds > 4 * limits.MAX_SECONDS
    assert "interpreter" in why and "minutes" in why and "9,800,000 updates" in why
    assert "analytic gradient" in why and "fewer epochs" in why  # what to shrink


def test_the_refusal_comes_before_any_run():
    t0 = time.perf_counter()
    with pytest.raises(gdcore.ConfigError, match="interpreter loop"):
        gdcore.run_experiment({"data": CARS, "runs": [ISSUE_RUN]})
    assert time.perf_counter() - t0 < 5  # refused, not run (the run would take minutes)
    res = gdcore.run_experiment({"data": {**CARS, "standardize": True},
                                 "runs": [{**ISSUE_RUN, "epochs": 2}]})
    assert res.runs[0].steps == 196 and res.runs[0].status == "completed"  # a short one runs


def test_the_same_setup_with_the_analytic_gradient_or_fewer_epochs_is_admitted():
    """9 times cheaper per update with the analytic gradient, yet 100,000 epochs of batch 4
    are still well over a minute (about 9 µs an update); 20,000 are not, nor 5,000 numeric."""
    problem = _cars_problem()

    def exp(**changes):
        return gdcore.parse_experiment({"data": CARS, "runs": [{**ISSUE_RUN, **changes}]})

    assert "fewer epochs" in runner.over_budget(exp(gradient="analytic"), problem)
    assert runner.over_budget(exp(gradient="analytic", epochs=20_000), problem) is None
    assert runner.over_budget(exp(epochs=5_000), problem) is None


def test_a_sweep_over_the_time_budget_is_refused_before_any_run():
    calls = []
    with pytest.raises(gdcore.ConfigError, match="sweep: this setup would take about"):
        sweep(_cars_problem(), {"epochs": 5_000, "batch_size": 4, "gradient": "numeric"},
              log_lrs(1e-4, 1e-2, 10), progress=lambda *a: calls.append(a))
    assert calls == []


@pytest.mark.parametrize("key", list(presets.PRESETS))
def test_presets_are_far_inside_the_budget(key):
    exp = gdcore.parse_experiment(presets.build(key))
    problem = (gdcore.make_problem(exp.problem, gdcore.load_dataset(exp.data,
                                                                    problem=exp.problem))
               if exp.problem in ("linear", "logistic") else gdcore.make_problem(exp.problem))
    assert runner.over_budget(exp, problem) is None
    assert runner.experiment_work(exp, problem).seconds < limits.MAX_SECONDS / 100


def test_line_search_and_newton_count_their_trials_and_hessian():
    base = limits.RunShape(limits.LOGISTIC, 569, 3, None, 100)
    ls = dataclasses.replace(base, method="line_search", max_trials=40)
    newton = dataclasses.replace(ls, method="newton")
    one = limits.update_us(base)  # a full-batch update: one pass over the rows (loss, gradient)
    assert limits.update_us(ls) > 40 * one  # + 40 trials, each a pass
    assert limits.update_us(newton) > limits.update_us(ls)  # + the Hessian, another pass
    assert limits.update_us(dataclasses.replace(ls, max_trials=2)) < 4 * one


def test_logistic_updates_pay_a_pass_over_every_row():
    small = limits.RunShape(limits.LOGISTIC, 1_000, 3, 1, 1)
    big = dataclasses.replace(small, n_rows=100_000)
    assert limits.update_us(big) > 20 * limits.update_us(small)
    linear = dataclasses.replace(big, kind=limits.LINEAR)  # the MSE's loss comes from moments
    assert limits.update_us(linear) == limits.update_us(dataclasses.replace(linear, n_rows=10))


def test_refusal_message_names_the_time_and_what_to_shrink():
    shape = limits.RunShape(limits.LOGISTIC, 569, 3, None, 100_000, method="newton")
    work = limits.shape_work(shape)
    assert work.row_visits < limits.MAX_ROW_VISITS  # within both counts: refused for its time
    why = limits.budget_problem(work)
    assert why.startswith("this setup would take about ")
    assert "minutes" in why and f"limit of {limits.duration(limits.MAX_SECONDS)}" in why
    assert "max_trials" in why and "less data" in why and "fewer epochs" in why
    assert "larger batches" not in why  # it is a full batch already
    assert len(why) < 400


@pytest.mark.parametrize("seconds, said", [(0.2, "1 s"), (45, "45 s"), (60, "1 minute"),
                                           (130, "2 minutes"), (3 * 3600, "3.0 hours"),
                                           (40 * 3600, "40 hours")])
def test_duration_reads_as_people_say_it(seconds, said):
    assert limits.duration(seconds) == said


# --- the property: what the budget admits is within the limit ------------------------------------
OPTIMIZERS = ("sgd", "adam", "rmsprop", "adagrad")


def _dataset(kind: str, n: int, features: int, seed: int):
    if kind == "logistic":
        return gdata.generate_classes(n=n, features=min(features, 2), seed=seed)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features))
    return gdata.inline(x if features > 1 else x[:, 0], x.sum(axis=1) + rng.normal(size=n))


@st.composite
def experiments(draw):
    kind = draw(st.sampled_from(["linear", "logistic"]))
    n = draw(st.integers(4, 400))
    features = draw(st.integers(1, 4))
    runs = []
    for i in range(draw(st.integers(1, 3))):
        method = draw(st.sampled_from(["gd", "gd", "line_search", "newton"]))
        batch = None if method != "gd" else draw(st.one_of(st.none(), st.integers(1, n)))
        run = {"name": f"r{i}", "batch_size": "full" if batch is None else batch,
               "epochs": draw(st.sampled_from([1, 10, 100, 1_000, 10_000, 100_000])
                              | st.integers(1, 100_000)),
               "shuffle": draw(st.booleans()),
               "optimizer": {"name": draw(st.sampled_from(OPTIMIZERS)), "lr": 0.01},
               "gradient": draw(st.sampled_from(["analytic", "numeric"]))}
        if method != "gd":
            run["method"] = {"name": method, "max_trials": draw(st.integers(1, 60))}
        elif draw(st.booleans()):
            run["update"] = "sequential"
        runs.append(run)
    return kind, n, features, draw(st.integers(0, 99)), runs


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(experiments())
def test_every_admitted_experiment_is_estimated_within_the_limit(case):
    kind, n, features, seed, runs = case
    problem = gdcore.make_problem(kind, _dataset(kind, n, features, seed))
    source = "classes" if kind == "logistic" else "generate"  # (the data is the one above)
    exp = gdcore.parse_experiment({"problem": kind, "data": {"source": source}, "runs": runs})
    work = runner.experiment_work(exp, problem)
    why = runner.over_budget(exp, problem)
    over = (work.updates > limits.MAX_UPDATES or work.row_visits > limits.MAX_ROW_VISITS
            or work.seconds > limits.MAX_SECONDS)
    assert (why is not None) == over
    event("refused for its time" if why and "would take" in why else
          "refused for its counts" if why else "admitted")
    if why is None:
        assert work.seconds <= limits.MAX_SECONDS
    # the engine's choice and the budget price a run by the same model
    for cfg in exp.runs:
        plan_s = engines.python_seconds(problem, make_plan(problem, cfg))
        assert plan_s == pytest.approx(limits.loop_seconds(runner.run_shape(cfg, problem)))
    assert work.seconds == pytest.approx(sum(
        limits.run_seconds(runner.run_shape(cfg, problem)) for cfg in exp.runs))


# --- the model's monotonicity: more work never costs less ---------------------------------------
@st.composite
def shapes(draw):
    kind = draw(st.sampled_from([limits.LINEAR, limits.LOGISTIC, limits.FUNCTION]))
    method = draw(st.sampled_from(["gd", "line_search", "newton"]))
    n = draw(st.integers(1, 1_000_000))
    batch = None if method != "gd" else draw(st.one_of(st.none(), st.integers(1, 100_000)))
    dim = draw(st.integers(1, 2) if kind == limits.FUNCTION else st.integers(2, 1_001))
    return limits.RunShape(
        kind=kind, n_rows=n, dim=dim, batch_size=batch,
        epochs=draw(st.integers(1, 100_000)), shuffle=draw(st.booleans()),
        numeric=draw(st.booleans()), sequential=method == "gd" and draw(st.booleans()),
        method=method, max_trials=draw(st.integers(1, 1_000)), clip=draw(st.booleans()),
        tol_grad=draw(st.booleans()))


@settings(max_examples=500, deadline=None)
@given(shapes(), st.integers(1, 1000), st.integers(1, 100_000))
def test_more_epochs_rows_or_parameters_never_cost_less(shape, more, more_rows):
    """More rows never cost less at the same batching (both a full batch, or both
    mini-batches). Across the two, they may, as on the loop: a full batch's MSE comes from the
    moments in O(features²) per loss, a one-row batch's in O(features), so on wide data a
    numeric or sequential gradient of one row is cheaper than one of the full batch."""
    cost = limits.run_seconds(shape)
    assert cost > 0
    assert limits.run_seconds(dataclasses.replace(shape, epochs=shape.epochs + more)) > cost
    bigger = dataclasses.replace(shape, n_rows=shape.n_rows + more_rows)
    if bigger.full == shape.full or not (shape.numeric or shape.sequential):
        assert limits.run_seconds(bigger) >= cost
    assert limits.run_seconds(dataclasses.replace(shape, dim=shape.dim + 1)) > cost
    assert limits.run_seconds(dataclasses.replace(shape, max_trials=shape.max_trials + more)) \
        >= cost


@settings(max_examples=500, deadline=None)
@given(shapes())
def test_dearer_settings_never_cost_less(shape):
    """A numeric gradient, the sequential update, clipping, a gradient tolerance, a line
    search or Newton step in place of plain gradient descent: each costs at least as much."""
    cost = limits.run_seconds(shape)
    analytic = dataclasses.replace(shape, numeric=False)
    assert limits.run_seconds(dataclasses.replace(shape, numeric=True)) >= cost
    assert limits.run_seconds(dataclasses.replace(analytic, numeric=True)) \
        > limits.run_seconds(analytic)
    assert limits.run_seconds(dataclasses.replace(shape, clip=True)) >= cost
    assert limits.run_seconds(dataclasses.replace(shape, tol_grad=True)) >= cost
    if shape.method == "gd":
        assert limits.run_seconds(dataclasses.replace(shape, sequential=True)) >= cost
        if shape.full:
            for method in ("line_search", "newton"):
                assert limits.run_seconds(dataclasses.replace(shape, method=method)) > cost
    if shape.method == "line_search":
        assert limits.run_seconds(dataclasses.replace(shape, method="newton")) > cost


def test_the_model_prices_a_run_from_its_config_and_from_its_plan_alike():
    problem = _cars_problem()
    for raw in (ISSUE_RUN, {"batch_size": 1, "epochs": 3, "clip": {"name": "norm"}},
                {"epochs": 50, "method": "line_search"}, {"epochs": 5, "method": "newton",
                                                          "tol_grad": 1e-6},
                {"batch_size": 8, "update": "sequential", "shuffle": False}):
        cfg = parse_run(raw)
        assert engines.python_seconds(problem, make_plan(problem, cfg)) == pytest.approx(
            limits.loop_seconds(runner.run_shape(cfg, problem)))
