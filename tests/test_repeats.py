"""Repeats over seeds (gdcore.engine.repeats) and the paired verdict (gdcore.engine.stats).

* N repeats equal N separate runs with the repeats' seeds (and start points), on the
  interpreter and on the compiled loop (every optimizer, batching, clip and schedule of
  tests/test_engine_paths.py);
* along one seed axis (runner.run_repeats, bridge.execute_repeats: one kernel call per share
  of the repeats, every history in one frame) each repeat is exactly its run alone, for any
  number of shares, and on the interpreter; a stop leaves the later repeats out;
* pairing: repeat j of two runs with the same seed sees the same row order and start;
* the sign test equals scipy.stats.binomtest and the bootstrap interval scipy.stats.bootstrap
  (percentile method, to Monte Carlo error) on random inputs;
* the verdict: no clear difference for identical runs, the better run named on a
  constructed case, one seed cannot tell, unpaired seeds said, diverged repeats counted;
* the format: version 2 documents run each run once, "repeats" round-trips through JSON and
  the link, bad values are refused by name, and the work budget counts every repeat.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest
import scipy.stats
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gdcore
from gdcore import ConfigError, parse_experiment, parse_run
from gdcore.engine import repeats, rng, stats
from gdcore.engine.accel import bridge
from gdcore.engine.loop import run_loop
from gdcore.engine.plan import initial_point, make_plan
from gdcore.spec import share
from lab import presets
from tests.test_engine_paths import BATCHES, CLIPS, OPTIMIZERS, SCHEDULES, _data

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def _cfg(i: int, opt, sched, clip, batch) -> dict:
    return {"name": f"r{i}", "batch_size": batch, "epochs": 3, "seed": 11 * i, "init": {"w": 0.5},
            "optimizer": opt, "schedule": sched, "clip": clip}


CASES = [_cfg(i, o, s, c, b) for i, ((o, s), c, b) in enumerate(zip(
    itertools.product(OPTIMIZERS, SCHEDULES), itertools.cycle(CLIPS), itertools.cycle(BATCHES)))]


@pytest.mark.parametrize("cfg", CASES[::3], ids=lambda c: c["name"])
@pytest.mark.parametrize("vary", [("shuffle",), ("shuffle", "init")])
def test_repeats_equal_separate_runs_on_both_loops(cfg, vary, compiled):
    problem = _data(60)
    spec = gdcore.RepeatConfig(n=4, vary=vary, init_spread=0.3)
    reps = repeats.repeat_configs(parse_run(cfg), spec, problem)
    assert len(reps) == 4 and reps[0].seed == cfg["seed"]
    for j, rep in enumerate(reps):
        seed = repeats.repeat_seed(cfg["seed"], j)
        own = dataclasses.replace(parse_run(cfg), seed=seed)
        if "init" in vary:
            start = np.asarray(initial_point(parse_run(cfg), problem)) + repeats.start_offsets(
                seed, problem.dim, 0.3)
            own = dataclasses.replace(own, init=dict(zip(problem.param_names, start.tolist())))
        ref = run_loop(problem, make_plan(problem, own))
        got = run_loop(problem, make_plan(problem, rep))
        np.testing.assert_array_equal(got.history, ref.history)
        fast = bridge.execute(compiled, problem, make_plan(problem, rep))
        np.testing.assert_array_equal(fast.history, ref.history)


def _same_result(a, b) -> None:
    assert a.history.equals(b.history), (a.name, a.config.seed)
    assert (a.status, a.steps, a.params, a.final_loss, a.best_loss, a.steps_to_converge,
            a.distance, a.message) == (b.status, b.steps, b.params, b.final_loss, b.best_loss,
                                       b.steps_to_converge, b.distance, b.message)


@pytest.mark.parametrize("cfg", CASES[1::3], ids=lambda c: c["name"])
def test_repeats_along_a_seed_axis_are_the_runs_alone(cfg, compiled):
    from gdcore.engine import runner

    problem = _data(60)
    spec = gdcore.RepeatConfig(n=5, vary=("shuffle", "init"), init_spread=0.3)
    reps = repeats.repeat_configs(parse_run(cfg), spec, problem)
    alone = [gdcore.run(problem, rep, engine="python") for rep in reps]
    for engine in ("compiled", "python"):
        together = runner.run_repeats(problem, reps, engine=engine)
        assert len(together) == 5
        for a, b in zip(together, alone):
            _same_result(a, b)
    plans = [make_plan(problem, rep) for rep in reps]
    assert bridge.alike(plans)
    for threads in (1, 2, 3, 5):  # however the axis is cut into shares
        traces = bridge.execute_repeats(compiled, problem, plans, threads=threads)
        for t, p in zip(traces, plans):
            ref = bridge.execute(compiled, problem, p)
            assert np.array_equal(t.history, ref.history) and t[1:] == ref[1:]


def test_plans_that_differ_beyond_seed_and_start_are_not_one_axis():
    problem = _data(60)
    a = make_plan(problem, parse_run(CASES[0]))
    b = make_plan(problem, parse_run({**CASES[0], "epochs": 4}))
    c = make_plan(problem, parse_run({**CASES[0], "seed": 5, "init": {"w": -1.0}}))
    assert bridge.alike([a, c]) and not bridge.alike([a, b])


def test_a_stop_along_the_seed_axis_leaves_the_later_repeats_out(compiled):
    from gdcore.engine import runner

    x = np.random.default_rng(1).normal(size=4000)
    problem = gdcore.LinearRegression(x[:, None], 3 * x - 1)
    cfg = parse_run({"name": "long", "batch_size": 1, "epochs": 200, "seed": 3,
                     "optimizer": {"name": "adam", "lr": 1e-3}})
    reps = repeats.repeat_configs(cfg, gdcore.RepeatConfig(n=6), problem)
    seen = []

    def progress(done, planned):
        seen.append((done, planned))
        return done == 0 and len(seen) < 1000  # stop at the first report with work done

    got = runner.run_repeats(problem, reps, engine="compiled", progress=progress)
    assert 1 <= len(got) < 6 and got[-1].status == "stopped"
    assert all(r.status != "stopped" for r in got[:-1])
    assert all(p == 6 * 200 * 4000 for _, p in seen)  # planned: every update of every repeat
    alone = gdcore.run(problem, reps[0], engine="compiled")
    if len(got) > 1:  # a repeat finished before the stop is the run alone
        _same_result(got[0], alone)


def test_run_experiment_keeps_every_repeat_and_repeat_zero_is_the_run():
    exp = presets.build("batch")
    exp["repeats"] = {"n": 5}
    res = gdcore.run_experiment(exp, engine="python")
    once = gdcore.run_experiment(presets.build("batch"), engine="python")
    assert len(res.repeats) == len(res.runs) == len(once.runs)
    for reps, alone, first in zip(res.repeats, once.runs, res.runs):
        assert len(reps) == 5 and reps[0] is first
        assert reps[0].final_loss == alone.final_loss
        losses = {r.final_loss for r in reps}
        assert len(losses) == (1 if alone.config.batch_size is None else 5)  # batch: no order
    assert once.repeats == () and res.spreads[res.runs[1].name].n == 5


@SETTINGS
@given(st.integers(0, 2**31 - 1), st.integers(1, 60))
def test_pairing_same_seed_same_row_order_and_start(seed, n):
    problem = _data(n)
    spec = gdcore.RepeatConfig(n=6, vary=("shuffle", "init"), init_spread=1.0)
    a = repeats.repeat_configs(parse_run({"name": "a", "seed": seed, "batch_size": 1,
                                          "optimizer": {"name": "adam"}}), spec, problem)
    b = repeats.repeat_configs(parse_run({"name": "b", "seed": seed, "batch_size": "full",
                                          "optimizer": {"name": "sgd", "lr": 0.1}}), spec, problem)
    for ra, rb in zip(a, b):
        assert ra.seed == rb.seed and ra.init == rb.init
        order_a, order_b = list(range(n)), list(range(n))
        rng.shuffle(order_a, ra.seed)
        rng.shuffle(order_b, rb.seed)
        assert order_a == order_b
    assert len({r.seed for r in a}) == 6  # the repeats differ from one another
    assert all(0 <= r.seed < 2**31 for r in a)


def test_start_offsets_have_the_stated_spread_and_none_without_it():
    offsets = np.array([repeats.start_offsets(repeats.repeat_seed(3, j), 2, 0.5)
                        for j in range(4000)])
    assert abs(offsets.mean()) < 0.03 and abs(offsets.std() - 0.5) < 0.02
    assert not repeats.start_offsets(5, 3, 0.0).any()
    cfg = parse_run({"name": "a", "init": {"w": 2.0, "b": -1.0}})
    same = repeats.repeat_configs(cfg, gdcore.RepeatConfig(n=3, vary=("init",)), _data(10))
    assert all(r.init == cfg.init and r.seed == cfg.seed for r in same)  # spread 0, no shuffle


@SETTINGS
@given(st.lists(st.one_of(st.floats(-5, 5), st.just(0.0)), min_size=0, max_size=40))
def test_sign_test_is_scipys_exact_binomial_test(diffs):
    k, n, p = stats.sign_test(diffs)
    assert k == sum(d < 0 for d in diffs) and n == sum(d != 0 for d in diffs)
    want = 1.0 if n == 0 else scipy.stats.binomtest(k, n, 0.5).pvalue
    assert p == pytest.approx(want, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("seed", range(6))
def test_bootstrap_interval_agrees_with_scipys_percentile_bootstrap(seed):
    r = np.random.default_rng(seed)
    d = r.normal(r.uniform(-1, 1), r.uniform(0.1, 2), size=int(r.integers(8, 40)))
    lo, hi = stats.bootstrap_median(d, resamples=20_000, seed=seed)
    ref = scipy.stats.bootstrap((d,), np.median, method="percentile", n_resamples=20_000,
                                confidence_level=0.95, random_state=seed + 100)
    width = ref.confidence_interval.high - ref.confidence_interval.low
    assert lo == pytest.approx(ref.confidence_interval.low, abs=0.1 * width)
    assert hi == pytest.approx(ref.confidence_interval.high, abs=0.1 * width)
    assert stats.bootstrap_median(d, seed=1) == stats.bootstrap_median(d, seed=1)  # seeded


def test_verdict_no_clear_difference_for_identical_runs():
    losses = [1.0, 1.2, 0.9, 1.1, 1.05] * 4
    v = stats.verdict("A", "B", losses, list(losses))
    assert not v.clear and v.text.startswith("No clear difference between A and B")
    assert "(20 tied)" in v.text and v.p_value == 1.0


def test_verdict_names_the_better_run_on_a_constructed_case():
    r = np.random.default_rng(0)
    base = r.uniform(1, 2, size=20)
    better = base - 0.1 - r.uniform(0, 0.02, size=20)  # B lower in every pair
    better[3] = base[3] + 0.05  # but one
    v = stats.verdict("A", "B", list(base), list(better))
    assert v.clear and v.b_better == 19 and v.a_better == 1
    assert v.text.startswith("B ended lower than A in 19 of 20 paired seeds")
    assert 0.1 <= abs(v.median_diff) <= 0.12 and v.low > 0 and v.high > 0


def test_verdict_with_one_seed_or_unpaired_seeds_says_so():
    assert "One seed cannot tell" in stats.verdict("A", "B", [1.0], [2.0]).text
    v = stats.verdict("A", "B", [1.0, 2.0], [2.0, 3.0], paired=False)
    assert "not paired" in v.text and not v.clear


def test_diverged_repeats_count_as_worse_and_are_counted_in_the_spread():
    d = stats.paired_differences([1.0, 5.0, 1.0], [2.0, 1.0, 1e300], [False, True, True],
                                 [False, False, True])
    assert d.tolist() == [-1.0, math.inf, 0.0]
    exp = presets.build("lr")  # its "lr too large" run diverges
    exp["repeats"] = {"n": 3}
    res = gdcore.run_experiment(exp, engine="python")
    sp = res.spreads["lr too large"]
    assert sp.diverged == 3 and sp.n == 3 and math.isnan(sp.final_median)
    assert sp.diverged_text() == "diverged in 3 of 3 seeds"
    assert res.spreads["lr about right"].diverged == 0


def test_format_version_2_runs_once_and_repeats_round_trip():
    doc = presets.build("batch")
    v2 = {**doc, "version": 2}
    assert parse_experiment(v2).repeats == gdcore.RepeatConfig()
    assert "repeats" not in parse_experiment(v2).to_dict()
    doc["repeats"] = {"n": 20, "vary": ["init", "shuffle"], "init_spread": 0.25}
    exp = parse_experiment(doc)
    assert exp.repeats == gdcore.RepeatConfig(20, ("shuffle", "init"), 0.25)
    assert parse_experiment(exp.to_dict()) == exp
    assert share.decode(share.encode(exp.to_dict())) == exp
    assert gdcore.load_experiment_json(exp.to_json()) == exp


@pytest.mark.parametrize("bad, says", [
    ({"n": 0}, "repeats.n: must be"), ({"n": 101}, "repeats.n: must be"),
    ({"n": 2.5}, "repeats.n: expected a whole number"), ({"vary": ["rows"]}, "repeats.vary"),
    ({"vary": []}, "repeats.vary"), ({"init_spread": -1}, "repeats.init_spread"),
    ({"seeds": 3}, "repeats.seeds: unknown field"), ([3], "repeats"),
])
def test_bad_repeats_are_refused_by_name(bad, says):
    doc = {**presets.build("batch"), "repeats": bad}
    with pytest.raises(ConfigError, match=says.replace(".", r"\.")):
        parse_experiment(doc)


def test_the_work_budget_counts_every_repeat():
    doc = presets.build("batch")
    exp1 = parse_experiment(doc)
    exp20 = parse_experiment({**doc, "repeats": {"n": 20}})
    problem = gdcore.make_problem("linear", gdcore.load_dataset(exp1.data))
    one, twenty = (gdcore.engine.runner.experiment_work(e, problem) for e in (exp1, exp20))
    assert twenty.updates == 20 * one.updates and twenty.row_visits == 20 * one.row_visits


def test_cli_repeats_prints_each_runs_spread_as_strict_json(tmp_path):
    import json
    import subprocess
    import sys
    cfg = tmp_path / "exp.json"
    cfg.write_text(json.dumps({"version": 3, "data": {"source": "generate", "n": 100}, "runs": [
        {"name": "b1", "batch_size": 1, "epochs": 2, "optimizer": {"name": "sgd", "lr": 0.01}},
        {"name": "big", "batch_size": "full", "epochs": 5,
         "optimizer": {"name": "sgd", "lr": 50.0}}]}))
    out = tmp_path / "h.csv"
    got = subprocess.run([sys.executable, "-m", "gdcore", "run", str(cfg), "--repeats", "4",
                          "--out", str(out)], capture_output=True, text=True, check=True)
    lines = [json.loads(line, parse_constant=lambda c: pytest.fail(f"not JSON: {c}"))
             for line in got.stdout.splitlines()]
    assert [r["repeats"] for r in lines] == [4, 4]
    assert lines[0]["final_loss_p10"] <= lines[0]["final_loss_median"] <= lines[0]["final_loss_p90"]
    assert lines[1]["diverged_repeats"] == 4 and lines[1]["final_loss_median"] is None
    import pandas as pd
    hist = pd.read_csv(out)
    assert sorted(hist["repeat"].unique()) == [0, 1, 2, 3]  # the download carries every repeat
    bad = subprocess.run([sys.executable, "-m", "gdcore", "run", str(cfg), "--repeats", "500"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.strip() == (
        "error: --repeats: must be a whole number from 1 to 100, got 500")
