"""The experiment format: round trips, defaults, and one clear message for each bad input."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

import gdcore.spec.config
from gdcore import ConfigError, load_experiment_json, parse_experiment, run_experiment

BASE = {"data": {"source": "generate", "n": 50, "seed": 3},
        "runs": [{"name": "a", "optimizer": {"name": "sgd", "lr": 0.1}, "epochs": 5}]}


def _with_run(**changes):
    run = {**BASE["runs"][0], **changes}
    return {**BASE, "runs": [run]}


def test_round_trip_is_stable():
    exp = parse_experiment({
        **BASE,
        "runs": [{"name": "x", "batch_size": 8, "epochs": 3, "init": {"w": 1, "b": 2},
                  "optimizer": {"name": "adam", "lr": 0.1, "betas": [0.8, 0.9], "amsgrad": True},
                  "schedule": {"name": "multistep", "per": "update", "milestones": [2, 5]},
                  "clip": {"name": "norm", "max_norm": 2}, "update": "sequential"}],
    })
    again = load_experiment_json(exp.to_json())
    assert again.to_dict() == exp.to_dict()
    assert json.loads(exp.to_json())["runs"][0]["optimizer"]["betas"] == [0.8, 0.9]


@pytest.mark.parametrize(
    "changes, fragment",
    [
        ({"optimizer": {"name": "adamx"}},
         "runs[0].optimizer.name: unknown name 'adamx'; choose one of 'sgd'"),
        ({"optimizer": {"name": "sgd", "lr": -1}},
         "runs[0].optimizer.lr: must be a number from 1e-9 to 1,000,000, got -1"),
        ({"optimizer": {"name": "sgd", "lr": 0}}, "runs[0].optimizer.lr: must be a number from 1e-9"),
        ({"optimizer": {"name": "sgd", "lr": "fast"}}, "runs[0].optimizer.lr: expected a number"),
        ({"optimizer": {"name": "sgd", "betas": [0.9, 0.9]}}, "'sgd' has no parameter 'betas'"),
        ({"optimizer": {"name": "adam", "betas": [0.9]}}, "expected two numbers"),
        ({"optimizer": {"name": "sgd", "nesterov": True}}, "needs momentum > 0"),
        ({"batch_size": 0}, "runs[0].batch_size: must be a whole number from 1 to 1,000,000"),
        ({"batch_size": -3}, "runs[0].batch_size: must be a whole number from 1"),
        ({"epochs": 0}, "runs[0].epochs: must be a whole number from 1 to 100,000, got 0"),
        ({"schedule": {"name": "cosine", "T_max": 0}},
         "runs[0].schedule.T_max: must be a whole number from 1 to"),
        ({"schedule": {"name": "step", "per": "week"}}, "runs[0].schedule.per: unknown value 'week'"),
        ({"schedule": {"name": "multistep", "milestones": [5, 2]}}, "must be increasing"),
        ({"clip": {"name": "norm", "max_norm": 0}}, "runs[0].clip.max_norm: must be a number greater than 0"),
        ({"clip": {"name": "global"}}, "runs[0].clip.name: unknown name 'global'"),
        ({"update": "async"}, "runs[0].update: unknown value 'async'"),
        ({"lr": 0.1}, "runs[0].lr: unknown field"),
    ],
)
def test_bad_run_fields_name_the_field_and_the_fix(changes, fragment):
    with pytest.raises(ConfigError) as err:
        parse_experiment(_with_run(**changes))
    assert fragment in str(err.value)


def test_top_level_errors():
    with pytest.raises(ConfigError, match="runs: expected a non-empty list"):
        parse_experiment({"data": {}, "runs": []})
    with pytest.raises(ConfigError, match="problem: unknown name 'banana'"):
        parse_experiment({**BASE, "problem": "banana"})
    with pytest.raises(ConfigError, match="unknown top-level field"):
        parse_experiment({**BASE, "extra": 1})
    with pytest.raises(ConfigError, match="two runs are named 'a'"):
        parse_experiment({**BASE, "runs": BASE["runs"] * 2})
    with pytest.raises(ConfigError, match="line 1, column"):
        load_experiment_json("{not json")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_experiment_json(b"\xff\xfe\x00{")
    with pytest.raises(ConfigError, match="data.source: unknown value 'ftp'"):
        parse_experiment({**BASE, "data": {"source": "ftp"}})


def test_batch_larger_than_the_data_is_refused_before_running():
    with pytest.raises(ConfigError, match=r"batch_size: 80 is larger than the data \(50 rows\)"):
        run_experiment(_with_run(batch_size=80))


def test_init_names_must_match_the_problem():
    with pytest.raises(ConfigError, match="init.c: this problem has no parameter 'c'"):
        run_experiment(_with_run(init={"c": 1}))
    with pytest.raises(ConfigError, match=r"init: expected 2 numbers \(w, b\), got 3"):
        run_experiment(_with_run(init=[1, 2, 3]))


def test_unknown_generator_field():
    with pytest.raises(ConfigError, match="data.slop: unknown field"):
        run_experiment({**BASE, "data": {"source": "generate", "slop": 2}})


def test_function_problem_needs_no_data():
    res = run_experiment({"problem": "rosenbrock",
                          "runs": [{"name": "r", "epochs": 10, "optimizer": {"name": "adam"}}]})
    assert list(res.history.columns[5:7]) == ["w1", "w2"]
    assert res.reference == {"w1": 1.0, "w2": 1.0}


# --- runs' "method" (format version 2) -----------------------------------------------------------
@pytest.mark.parametrize(
    "changes, fragment",
    [
        ({"method": "bfgs"},
         "runs[0].method.name: unknown name 'bfgs'; choose one of 'gd', 'line_search', 'newton'"),
        ({"method": {"name": "newton", "step": 1}},
         "runs[0].method.step: 'newton' has no parameter 'step'; its parameters: 'min_curvature'"),
        ({"method": {"name": "gd", "c": 0.1}}, "runs[0].method.c: 'gd' has no parameter 'c'"),
        ({"method": {"name": "line_search", "c": 1.5}},
         "runs[0].method.c: must be a number greater than 0 and less than 1, got 1.5"),
        ({"method": {"name": "line_search", "shrink": 1}}, "runs[0].method.shrink: must be"),
        ({"method": {"name": "line_search", "max_trials": 0}},
         "runs[0].method.max_trials: must be a whole number from 1"),
        ({"method": {"name": "newton", "min_curvature": -1}}, "runs[0].method.min_curvature"),
        ({"method": 5}, "runs[0].method: expected an object"),
        ({"method": "newton", "clip": {"name": "norm", "max_norm": 1}},
         "runs[0].method: 'newton' takes its own steps: clipping and the sequential update"),
        ({"method": "line_search", "clip": {"name": "value", "clip_value": 1}},
         "runs[0].method: 'line_search' takes its own steps"),
        ({"method": "newton", "update": "sequential"}, "set clip \"none\" and update \"simultaneous\""),
    ],
)
def test_bad_methods_name_the_field(changes, fragment):
    with pytest.raises(ConfigError) as err:
        parse_experiment(_with_run(**changes))
    assert fragment in str(err.value)


@pytest.mark.parametrize("method", ["newton", "line_search"])
def test_a_method_on_mini_batches_is_refused_before_running(method):
    # (named by its place, as every refusal names a run: issue 16, item 14)
    with pytest.raises(ConfigError, match=r"runs\[0\]\.method: .* works on the whole data: "
                                          r"use batch_size \"full\""):
        run_experiment(_with_run(method=method, batch_size=10))


def test_method_names_are_read_as_people_write_them():
    exp = parse_experiment({**BASE, "runs": [
        {"name": "a", "method": "Line search"}, {"name": "b", "method": {"name": "NEWTON"}},
        {"name": "c", "method": None}, {"name": "d"}]})
    assert [r.method.name for r in exp.runs] == ["line_search", "newton", "gd", "gd"]
    # the parameters every method takes, with their defaults filled in (Armijo's c = 1e-4 and
    # halving are the textbook choice: Nocedal & Wright, Numerical Optimization, 3.1)
    assert exp.runs[0].method.params == {"c": 1e-4, "shrink": 0.5, "max_trials": 40}
    # Newton: the smallest curvature kept, and the backtracking that damps its step
    assert exp.runs[1].method.params == {"min_curvature": 1e-6, "c": 1e-4, "shrink": 0.5,
                                         "max_trials": 40}
    assert "method" not in exp.runs[3].to_dict()  # gradient descent is the default: left out


# --- format versions -----------------------------------------------------------------------------
# Version-1 documents as people wrote them (the README's example, a test function, sample and
# inline data), typed in by hand.
V1_DOCUMENTS = [
    """{"version": 1,
        "problem": "linear",
        "data": {"source": "generate", "n": 500, "slope": 2, "intercept": -1, "noise": 1,
                 "x_spread": 2, "outliers": 0, "seed": 0},
        "runs": [{"name": "Adam + cosine + clip",
                  "batch_size": 32, "shuffle": true, "epochs": 20, "seed": 0,
                  "init": {"w": 0, "b": 0},
                  "optimizer": {"name": "adam", "lr": 0.1, "betas": [0.9, 0.999], "eps": 1e-8,
                                "weight_decay": 0, "amsgrad": false},
                  "schedule": {"name": "cosine", "per": "epoch", "T_max": 20, "eta_min": 0},
                  "clip": {"name": "norm", "max_norm": 1.0}},
                 {"name": "batch GD", "batch_size": "full", "epochs": 200,
                  "optimizer": {"name": "sgd", "lr": 0.05}, "tol_grad": 1e-6}]}""",
    """{"version": 1, "problem": "rosenbrock",
        "runs": [{"name": "momentum", "epochs": 300, "init": {"w1": -1.5, "w2": 2},
                  "optimizer": {"name": "sgd", "lr": 0.0005, "momentum": 0.9},
                  "clip": {"name": "value", "clip_value": 50}},
                 {"name": "rmsprop + step", "epochs": 300,
                  "optimizer": {"name": "rmsprop", "lr": 0.01},
                  "schedule": {"name": "step", "step_size": 100, "gamma": 0.5}}]}""",
    """{"version": 1, "problem": "linear",
        "data": {"source": "sample", "name": "anscombe", "x": "x1", "y": "y1",
                 "standardize": true},
        "runs": [{"name": "sgd rows", "batch_size": 1, "epochs": 30, "seed": 4,
                  "optimizer": {"name": "sgd", "lr": 0.01},
                  "schedule": {"name": "inverse_time", "per": "update", "k": 0.01}},
                 {"name": "sequential", "update": "sequential", "epochs": 50,
                  "optimizer": {"name": "sgd", "lr": 0.1}}]}""",
    """{"version": 1,
        "data": {"source": "inline", "x": [1, 2, 3, 4, 5, 6], "y": [2.1, 3.9, 6.2, 7.8, 10.1, 12.2]},
        "runs": [{"name": "adagrad", "epochs": 100, "optimizer": {"name": "adagrad", "lr": 0.5},
                  "gradient": "numeric", "h": 1e-4}]}""",
]


@pytest.mark.parametrize("text", V1_DOCUMENTS)
def test_version_1_setups_load_and_run_as_before(text):
    old = load_experiment_json(text)
    doc = json.loads(text)
    assert doc["version"] == 1
    new = load_experiment_json(json.dumps({**doc, "version": 2}))
    assert old.to_dict() == new.to_dict()
    assert old.to_dict()["version"] == gdcore.spec.config.FORMAT_VERSION == 3
    assert all(r.method.name == "gd" for r in old.runs)
    # what the document says survived the migration
    for raw, run in zip(doc["runs"], old.runs):
        assert run.name == raw["name"] and run.epochs == raw["epochs"]
        assert run.optimizer.name == raw["optimizer"]["name"]
        assert run.optimizer.lr == raw["optimizer"]["lr"]
    a, b = run_experiment(old), run_experiment(new)
    pd.testing.assert_frame_equal(a.history, b.history)
    cols = [c for c in a.summary.columns if c != "time_s"]
    pd.testing.assert_frame_equal(a.summary[cols], b.summary[cols])


def test_other_versions_are_refused_with_a_message():
    for version, shown in ((4, "4"), (0, "0"), ("1", "'1'"), (True, "True"), (None, "None")):
        with pytest.raises(ConfigError) as err:
            parse_experiment({**BASE, "version": version})
        assert str(err.value) == f"version: this program reads versions 1 to 3, got {shown}"


LOGISTIC = {
    "version": 2,
    "problem": "logistic",
    "data": {"source": "inline", "x": [[0.5, 1.0], [1.5, -0.5], [2.0, 0.3], [3.0, 1.2],
                                       [0.2, -1.0], [2.5, 0.0], [1.0, 0.8], [1.8, -1.4]],
             "y": [0, 1, 0, 1, 0, 1, 1, 0]},
    "runs": [{"name": "newton", "epochs": 12, "optimizer": {"name": "sgd", "lr": 1.0},
              "method": {"name": "newton", "min_curvature": 0.01}},
             {"name": "armijo", "epochs": 40, "optimizer": {"name": "sgd", "lr": 4.0},
              "method": {"name": "line_search", "c": 0.3, "shrink": 0.7, "max_trials": 12}},
             {"name": "adam", "batch_size": 4, "epochs": 30,
              "optimizer": {"name": "adam", "lr": 0.05}, "clip": {"name": "norm", "max_norm": 1}}],
}


def test_logistic_experiment_with_methods_round_trips():
    exp = parse_experiment(LOGISTIC)
    doc = exp.to_dict()
    assert doc["problem"] == "logistic" and doc["data"] == LOGISTIC["data"]
    assert [r.get("method") for r in doc["runs"]] == [
        {"name": "newton", "min_curvature": 0.01, "c": 1e-4, "shrink": 0.5, "max_trials": 40},
        {"name": "line_search", "c": 0.3, "shrink": 0.7, "max_trials": 12}, None]
    again = load_experiment_json(exp.to_json())
    assert again.to_dict() == doc
    pd.testing.assert_frame_equal(run_experiment(again).history, run_experiment(exp).history)


def test_a_setting_without_a_bound_is_named():
    # issue 17: a new hyperparameter without a Bound raised a bare KeyError
    from gdcore import limits

    with pytest.raises(LookupError, match=r"LIMITS has no Bound for 'new_beta' \(checked at "
                                          r"runs\[0\]\.optimizer\.new_beta\)"):
        limits.check("new_beta", 0.5, "runs[0].optimizer.new_beta")


@pytest.mark.parametrize("n, batch, want", [(10, 3, 4), (10, 10, 1), (10, 32, 1), (10, None, 1),
                                            (1, 1, 1), (1_000_001, 32, 31_251)])
def test_updates_per_epoch_is_the_ceiling(n, batch, want):
    from gdcore.limits import updates_per_epoch

    assert updates_per_epoch(n, batch) == want == math.ceil(n / min(batch or n, n))
