"""The compiled loop's fast paths against its generic ones, the shuffle, and the two ways the
data's moments are computed.

The one-feature regression has its own compiled variant (w and b in local variables, scalar
helpers only). The generic variant (arrays, any number of features) is the reference: on the same
inputs both must produce the same history, bit for bit, for every optimizer, schedule, clip and
batch size.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdcore import LinearRegression, kernel, parse_run, problems
from gdcore.objectives import data_moments, residual_mean_square
from gdcore.runner import kernel_inputs


def _data(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(1.5, 2.0, size=(n, 1))
    return x, -2.0 * x[:, 0] + 0.5 + rng.normal(0.0, 0.7, size=n)


OPTIMIZERS = [
    {"name": "sgd", "lr": 0.02},
    {"name": "sgd", "lr": 0.02, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
    {"name": "adagrad", "lr": 0.3, "lr_decay": 0.01},
    {"name": "rmsprop", "lr": 0.01, "momentum": 0.5, "centered": True},
    {"name": "adam", "lr": 0.05, "amsgrad": True},
    {"name": "adamw", "lr": 0.05, "weight_decay": 0.1},
]
SCHEDULES = [
    {"name": "constant"},
    {"name": "cosine", "per": "update", "T_max": 50},
    {"name": "plateau", "per": "epoch", "patience": 1},
    {"name": "multistep", "per": "update", "milestones": [5, 20], "gamma": 0.5},
]
CLIPS = [{"name": "none"}, {"name": "norm", "max_norm": 0.5}, {"name": "value", "clip_value": 0.3}]
BATCHES = ["full", 1, 7, 40]


def _both_paths(problem, cfg):
    key, args = kernel_inputs(problem, parse_run(cfg))
    assert key["one_feature"]
    fast = kernel.get_loop(**key)(*args)
    generic = kernel.get_loop(**(key | {"one_feature": False}))(*args)
    return fast, generic


@pytest.mark.parametrize("opt, sched, clip, batch", [
    pytest.param(o, s, c, b, id=f"{i}-{o['name']}-{s['name']}-{c['name']}-batch_{b}")
    for i, ((o, s), c, b) in enumerate(zip(
        itertools.product(OPTIMIZERS, SCHEDULES), itertools.cycle(CLIPS), itertools.cycle(BATCHES)))
])
def test_one_feature_fast_path_equals_the_generic_loop_bit_for_bit(opt, sched, clip, batch):
    x, y = _data(40)
    problem = LinearRegression(x, y)
    cfg = {"name": "r", "batch_size": batch, "shuffle": True, "seed": 3, "epochs": 4,
           "init": {"w": 1.0, "b": -1.0}, "optimizer": opt, "schedule": sched, "clip": clip}
    fast, generic = _both_paths(problem, cfg)
    (rec_f, count_f, *rest_f), (rec_g, count_g, *rest_g) = fast, generic
    assert count_f == count_g
    np.testing.assert_array_equal(rec_f[:count_f], rec_g[:count_g])
    for a, b in zip(rest_f, rest_g):
        np.testing.assert_array_equal(a, b)


def test_fast_path_diverges_at_the_same_step_as_the_generic_loop():
    x, y = _data(30)
    cfg = {"name": "r", "batch_size": 1, "epochs": 50, "optimizer": {"name": "sgd", "lr": 3.0}}
    (rec_f, count_f, status_f, last_f, p_f, *_), (rec_g, count_g, status_g, last_g, p_g, *_) = \
        _both_paths(LinearRegression(x, y), cfg)
    assert status_f == status_g == kernel.DIVERGED
    assert last_f == last_g
    np.testing.assert_array_equal(p_f, p_g)
    assert np.isfinite(rec_f[:count_f]).all()


# --- the shuffle ---------------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**64 - 1), st.integers(1, 2**32 - 1))
def test_below_stays_in_range(state, s):
    _, j = kernel.below(np.uint64(state), np.uint64(s))
    assert 0 <= int(j) < s


def test_shuffle_is_a_permutation_and_every_position_is_equally_likely():
    n, draws = 6, 30_000
    counts = np.zeros((n, n))
    state = np.uint64(11)
    for _ in range(draws):
        idx = np.arange(n, dtype=np.int32)
        state = np.uint64(kernel.shuffle_rows(idx, state))
        assert sorted(idx) == list(range(n))
        counts[np.arange(n), idx] += 1
    expected = draws / n
    # chi-square with (n-1)^2 = 25 degrees of freedom: its 99.99th percentile is about 60
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 60, chi2


def test_shuffle_rejection_branch_keeps_values_uniform():
    # s = 3 * 2^30 leaves 2^32 mod s = 2^30: a quarter of the draws land below it and are redrawn
    s = np.uint64(3 * 2**30)
    state = np.uint64(5)
    values = []
    for _ in range(20_000):
        state, j = kernel.below(np.uint64(state), s)  # (a uint64 comes back as an int)
        values.append(int(j))
    thirds = np.bincount(np.array(values) // 2**30, minlength=3)
    assert thirds.min() > 20_000 / 3 * 0.95, thirds


# --- moments: numpy below the threshold, compiled above -----------------------------------------
@pytest.mark.parametrize("d", [1, 3])
def test_numpy_and_compiled_moments_agree(d):
    rng = np.random.default_rng(d)
    x = rng.normal(5.0, 2.0, size=(5_000, d))
    y = x @ np.arange(1.0, d + 1) + 7.0 + rng.normal(size=5_000)
    small = problems._moments(x, y)  # numpy (5,000 rows < COMPILED_FROM)
    compiled = data_moments(x, y)
    assert x.shape[0] < problems.COMPILED_FROM
    for a, b in zip(small, compiled):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    w = np.linalg.lstsq(small[2], small[3], rcond=None)[0]
    np.testing.assert_allclose(problems._residual_mean_square(x, y, small[0], small[1], w),
                               residual_mean_square(x, y, small[0], small[1], w), rtol=1e-12)


def test_large_data_uses_the_compiled_moments(monkeypatch):
    x, y = _data(1_000)
    monkeypatch.setattr(problems, "COMPILED_FROM", 500)
    big = problems._moments(x, y)
    for a, b in zip(big, data_moments(x, y)):
        np.testing.assert_array_equal(a, b)
