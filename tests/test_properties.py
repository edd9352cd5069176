"""Property tests over random configurations: nothing crashes, nothing non-finite escapes."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gdcore import FUNCTIONS, LinearRegression, run
from gdcore.spec.config import OPTIMIZER_DEFAULTS

lrs = st.floats(1e-6, 1e3, allow_nan=False).filter(lambda v: v > 0)

schedules = st.one_of(
    st.just({"name": "constant"}),
    st.builds(lambda s, g: {"name": "step", "step_size": s, "gamma": g},
              st.integers(1, 20), st.floats(0.01, 2.0)),
    st.builds(lambda m, g: {"name": "multistep", "milestones": sorted(m), "gamma": g},
              st.lists(st.integers(0, 50), max_size=4), st.floats(0.01, 1.0)),
    st.builds(lambda g: {"name": "exponential", "gamma": g}, st.floats(0.5, 1.5)),
    st.builds(lambda k: {"name": "inverse_time", "k": k}, st.floats(0, 10)),
    st.builds(lambda t, e: {"name": "cosine", "T_max": t, "eta_min": e},
              st.integers(1, 100), st.floats(0, 0.1)),
    st.builds(lambda f, t: {"name": "warmup", "start_factor": f, "total_iters": t},
              st.floats(0.01, 1.0), st.integers(1, 30)),
    st.builds(lambda f, p: {"name": "plateau", "factor": f, "patience": p},
              st.floats(0.01, 0.99), st.integers(0, 5)),
)
clips = st.one_of(
    st.just({"name": "none"}),
    st.builds(lambda c: {"name": "value", "clip_value": c}, st.floats(1e-3, 1e3)),
    st.builds(lambda c: {"name": "norm", "max_norm": c}, st.floats(1e-3, 1e3)),
)


@st.composite
def run_configs(draw, n_rows):
    opt = draw(st.sampled_from(sorted(OPTIMIZER_DEFAULTS)))
    optimizer = {"name": opt, "lr": draw(lrs)}
    if opt in ("sgd", "momentum", "nesterov", "rmsprop"):
        optimizer["weight_decay"] = draw(st.sampled_from([0.0, 0.01]))
    if opt == "adam":
        optimizer["amsgrad"] = draw(st.booleans())
    if opt == "rmsprop":
        optimizer["centered"] = draw(st.booleans())
        optimizer["momentum"] = draw(st.sampled_from([0.0, 0.9]))
    schedule = {**draw(schedules), "per": draw(st.sampled_from(["epoch", "update"]))}
    batch = draw(st.one_of(st.just("full"), st.integers(1, n_rows)))
    return {
        "name": "p",
        "batch_size": batch,
        "shuffle": draw(st.booleans()),
        "epochs": draw(st.integers(1, 30)),
        "seed": draw(st.integers(0, 10)),
        "optimizer": optimizer,
        "schedule": schedule,
        "clip": draw(clips),
        "update": draw(st.sampled_from(["simultaneous", "sequential"])),
        "gradient": draw(st.sampled_from(["analytic", "numeric"])),
        "max_points": draw(st.integers(2, 50)),
    }


def _check(result, cfg):
    h = result.history
    assert result.status in {"converged", "completed", "diverged"}
    assert 1 <= len(h) <= cfg["max_points"]
    numbers = h.select_dtypes("number").to_numpy()
    assert np.isfinite(numbers).all()
    assert np.isfinite(list(result.params.values())).all()
    assert np.all(np.diff(h["step"]) > 0)
    assert h["step"].iloc[0] == 0
    if result.status == "diverged":
        assert result.diverged_at is not None and result.diverged_at >= h["step"].iloc[-1]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), n=st.integers(2, 40), scale=st.floats(1e-3, 1e4), seed=st.integers(0, 99))
def test_random_regression_configs_never_crash_or_leak_nonfinite(data, n, scale, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, scale, size=(n, 1))
    y = 3 * x[:, 0] + rng.normal(0, scale, size=n)
    if np.ptp(x) == 0:
        return
    cfg = data.draw(run_configs(n))
    _check(run(LinearRegression(x, y), cfg), cfg)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), name=st.sampled_from(sorted(FUNCTIONS)),
       start=st.lists(st.floats(-10, 10), min_size=2, max_size=2))
def test_random_function_configs_never_crash_or_leak_nonfinite(data, name, start):
    fn = FUNCTIONS[name]
    cfg = data.draw(run_configs(1))
    cfg["init"] = start[: fn.dim]
    _check(run(fn, cfg), cfg)
