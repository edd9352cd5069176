"""The experiment format: round trips, defaults, and one clear message for each bad input."""

from __future__ import annotations

import json

import pytest

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
