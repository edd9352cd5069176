"""The two loops give the same numbers: the interpreter loop (``gdcore.engine.loop``, the reference)
and the compiled accelerator (``gdcore.engine.accel``), bit for bit, on the golden fixtures (see
test_golden.py), on every optimizer x schedule x clip x batching here, and on random configs
(hypothesis). Also: the two copies of the shuffle, and the path choice."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gdcore import LinearRegression, parse_run
from gdcore.engine import accel, rng
from gdcore.engine import dispatch as engines
from gdcore.engine.accel import bridge
from gdcore.engine.loop import run_loop
from gdcore.engine.plan import make_plan
from tests.test_properties import run_configs


def _data(n: int, d: int = 1, seed: int = 0):
    r = np.random.default_rng(seed)
    x = r.normal(1.5, 2.0, size=(n, d))
    return LinearRegression(x, x @ np.linspace(-2.0, 1.0, d) + 0.5 + r.normal(0.0, 0.7, size=n))


def assert_same(problem, cfg, kernel):
    plan = make_plan(problem, parse_run(cfg))
    ref = run_loop(problem, plan)
    got = bridge.execute(kernel, problem, plan)
    np.testing.assert_array_equal(got.history, ref.history)
    assert (got.status, got.steps, got.within) == (ref.status, ref.steps, ref.within)
    assert got.params == ref.params
    assert (got.final_loss, got.best_loss) == (ref.final_loss, ref.best_loss)
    return ref


OPTIMIZERS = [
    {"name": "sgd", "lr": 0.02},
    {"name": "sgd", "lr": 0.02, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
    {"name": "momentum", "lr": 0.01, "dampening": 0.3},
    {"name": "adagrad", "lr": 0.3, "lr_decay": 0.01, "initial_accumulator_value": 0.1},
    {"name": "rmsprop", "lr": 0.01, "momentum": 0.5, "centered": True},
    {"name": "adam", "lr": 0.05, "amsgrad": True},
    {"name": "adamw", "lr": 0.05, "weight_decay": 0.1},
]
SCHEDULES = [
    {"name": "constant"},
    {"name": "cosine", "per": "update", "T_max": 50},
    {"name": "plateau", "per": "epoch", "patience": 1},
    {"name": "multistep", "per": "update", "milestones": [5, 20], "gamma": 0.5},
    {"name": "warmup", "per": "epoch", "total_iters": 2},
]
CLIPS = [{"name": "none"}, {"name": "norm", "max_norm": 0.5}, {"name": "value", "clip_value": 0.3}]
BATCHES = ["full", 1, 7, 40]


@pytest.mark.parametrize("opt, sched, clip, batch, d, update", [
    pytest.param(o, s, c, b, d, u, id=f"{i}-{o['name']}-{s['name']}-{c['name']}-{b}-d{d}-{u}")
    for i, ((o, s), c, b, d, u) in enumerate(zip(
        itertools.product(OPTIMIZERS, SCHEDULES), itertools.cycle(CLIPS), itertools.cycle(BATCHES),
        itertools.cycle([1, 1, 2]), itertools.cycle(["simultaneous"] * 3 + ["sequential"])))
])
def test_compiled_equals_interpreter_bit_for_bit(opt, sched, clip, batch, d, update, compiled):
    cfg = {"name": "r", "batch_size": batch, "shuffle": True, "seed": 3, "epochs": 4,
           "update": update, "optimizer": opt, "schedule": sched, "clip": clip, "max_points": 37}
    assert_same(_data(40, d), cfg, compiled)


def test_both_diverge_at_the_same_step(compiled):
    cfg = {"name": "r", "batch_size": 1, "epochs": 50, "optimizer": {"name": "sgd", "lr": 3.0}}
    ref = assert_same(_data(30), cfg, compiled)
    assert ref.status == 2 and np.isfinite(ref.history).all()


def test_both_stop_at_the_same_tolerance(compiled):
    cfg = {"name": "r", "epochs": 500, "tol_grad": 1e-6, "optimizer": {"name": "sgd", "lr": 0.05}}
    assert assert_same(_data(30), cfg, compiled).status == 1


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), n=st.integers(2, 40), d=st.integers(1, 3), scale=st.floats(1e-2, 1e3),
       seed=st.integers(0, 99))
def test_random_configs_agree_bit_for_bit(data, n, d, scale, seed, compiled):
    r = np.random.default_rng(seed)
    x = r.normal(0, scale, size=(n, d))
    y = x.sum(axis=1) * 3 + r.normal(0, scale, size=n)
    cfg = data.draw(run_configs(n))
    cfg["gradient"] = "analytic"  # the accelerator runs analytic gradients only
    assert_same(LinearRegression(x, y), cfg, compiled)


# --- the shuffle: the interpreter's and the compiled copy ---------------------------------------
@settings(max_examples=60, deadline=None)
@given(state=st.integers(0, 2**64 - 1), n=st.integers(1, 300))
def test_the_two_shuffles_give_the_same_permutation(state, n, compiled):
    order = list(range(n))
    new_state = rng.shuffle(order, state)
    arr = np.arange(n, dtype=np.int64)
    compiled_state = compiled.shuffle(arr, np.uint64(state))
    assert arr.tolist() == order
    assert int(compiled_state) == new_state


def _state_that_redraws(n: int) -> int:
    """A seed whose shuffle of n rows takes Lemire's redraw branch (found by a vectorised scan:
    the first draws line up with positions n-1, n-2, ... until the first redraw)."""
    sizes = np.arange(n, 1, -1, dtype=np.uint64)
    thresholds = (np.uint64(2**32) - sizes) % sizes
    with np.errstate(over="ignore"):
        for base in range(0, 2_000_000, 4000):
            states = np.arange(base, base + 4000, dtype=np.uint64)[:, None]
            s = states + np.arange(1, n, dtype=np.uint64)[None, :] * np.uint64(rng.GOLDEN)
            z = (s ^ (s >> np.uint64(30))) * np.uint64(rng.MIX1)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(rng.MIX2)
            z = z ^ (z >> np.uint64(31))
            low = ((z >> np.uint64(32)) * sizes) & np.uint64(rng.LOW32)
            hit = (low < thresholds).any(axis=1)
            if hit.any():
                return int(states[np.argmax(hit), 0])
    raise AssertionError("no seed with a redraw found")


def test_shuffles_agree_when_redraws_happen(compiled):
    n = 1000
    state = _state_that_redraws(n)
    order = list(range(n))
    new_state = rng.shuffle(order, state)
    assert new_state != (state + (n - 1) * rng.GOLDEN) & rng.MASK64  # it drew more than n - 1
    arr = np.arange(n, dtype=np.int64)
    assert int(compiled.shuffle(arr, np.uint64(state))) == new_state
    assert arr.tolist() == order


def test_shuffle_is_a_permutation_and_every_position_is_equally_likely():
    n, trials = 6, 30_000
    counts = np.zeros((n, n))
    state = 11
    for _ in range(trials):
        order = list(range(n))
        state = rng.shuffle(order, state)
        assert sorted(order) == list(range(n))
        counts[np.arange(n), order] += 1
    expected = trials / n
    # chi-square with (n-1)^2 = 25 degrees of freedom: its 99.99th percentile is about 60
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 60, chi2


# --- which loop runs ---------------------------------------------------------------------------
def test_auto_uses_the_interpreter_for_small_runs_and_the_accelerator_for_big_ones(compiled,
                                                                               monkeypatch):
    monkeypatch.delenv("GDCORE_ENGINE", raising=False)
    problem = _data(2000)
    small = make_plan(problem, parse_run({"epochs": 5}))
    big = make_plan(problem, parse_run({"epochs": 20, "batch_size": 1}))
    assert engines.python_seconds(problem, small) < engines.COMPILED_FROM_SECONDS
    assert engines.python_seconds(problem, big) > engines.COMPILED_FROM_SECONDS
    calls = []
    monkeypatch.setattr(bridge, "execute",
                        lambda k, p, plan, progress: calls.append(plan) or run_loop(p, plan))
    engines.execute(problem, small, "auto")
    engines.execute(problem, big, "auto")
    assert calls == [big]


def test_a_failing_compiled_run_falls_back_to_the_interpreter(compiled, monkeypatch, caplog):
    from gdcore.engine import accel

    problem = _data(50)
    plan = make_plan(problem, parse_run({"epochs": 3}))

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(bridge, "execute", broken)
    for attr in ("status", "detail", "kernel"):  # put the accelerator back afterwards
        monkeypatch.setattr(accel._STATE, attr, getattr(accel._STATE, attr))
    with caplog.at_level("WARNING", logger="gdcore.engine.accel"):
        trace = engines.execute(problem, plan, "compiled")
    np.testing.assert_array_equal(trace.history, run_loop(problem, plan).history)
    assert "accelerator off" in caplog.text and "boom" in caplog.text
    assert accel.kernel() is None  # switched off for the rest of the process


def test_a_rule_the_kernel_does_not_know_runs_on_the_interpreter(monkeypatch):
    # issue 17: numba_loop.update ran Adam for any rule index it did not know (failed open).
    # Now its dispatch has a slot per rule of the build; a rule added since runs on the
    # interpreter (and an empty slot would give NaN, never another rule's numbers).
    from gdcore.engine.accel import numba_loop
    from gdcore.rules import optimizers

    x = np.random.default_rng(0).normal(size=50)
    problem = LinearRegression(x[:, None], 2 * x + 1)
    cfg = parse_run({"name": "r", "epochs": 2, "optimizer": {"name": "sgd", "lr": 0.1}})
    plan = make_plan(problem, cfg)
    kernel = accel.wait(timeout=900)
    assert kernel is not None, accel.status()
    assert bridge.supports(problem, plan) and bridge.knows(kernel, plan)
    assert kernel.RULE_NAMES == tuple(r.__name__ for r in optimizers.RULES)

    def new_rule(p, g, state, t, lr, hp):  # a rule added after the kernel was built
        return p - 0.5 * lr * g, state

    monkeypatch.setattr(optimizers, "RULES", (*optimizers.RULES, new_rule))
    unknown = plan._replace(opt=plan.opt._replace(rule=len(optimizers.RULES) - 1))
    assert not bridge.knows(kernel, unknown)
    ran = engines.execute(problem, unknown, "compiled")  # on the interpreter, as new_rule
    ref = run_loop(problem, unknown)
    assert np.array_equal(ran.history, ref.history) and np.isfinite(ran.final_loss)
    # an empty slot of the dispatch: NaN (the run diverges), not the last rule's numbers
    assert numba_loop.SLOTS > len(kernel.RULE_NAMES)
    p, state = numba_loop.update(1.0, 0.5, (0.0, 0.0, 0.0), 1, 0.1,
                                 plan.opt._replace(rule=numba_loop.SLOTS - 1))
    assert np.isnan(p) and all(np.isnan(state))


def test_the_compiled_dispatch_is_every_rule_bit_for_bit():
    # each slot of numba_loop.update is its rule of optimizers.RULES, compiled as it is
    from gdcore.engine.accel import numba_loop
    from gdcore.rules import optimizers

    rng = np.random.default_rng(3)
    for name, opt in optimizers.OPTIMIZERS.items():
        hp = opt.hyper({k: v for k, v in opt.defaults.items()})
        for _ in range(20):
            p, g = rng.normal(size=2) * 10.0 ** rng.integers(-3, 3, size=2)
            state = tuple(float(v) for v in np.abs(rng.normal(size=3)))
            t = int(rng.integers(1, 50))
            want = optimizers.RULES[hp.rule](float(p), float(g), state, t, 0.01, hp)
            got = numba_loop.update(float(p), float(g), state, t, 0.01, hp)
            assert (got[0], tuple(got[1])) == (want[0], tuple(want[1])), name
