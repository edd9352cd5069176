"""The engine against real PyTorch, step for step (float64).

``tests/fixtures/golden.json`` is written by ``tools/make_golden.py`` with ``torch.optim``,
``torch.optim.lr_scheduler`` and ``torch.nn.utils.clip_grad_*``; these tests need no torch. Each
case is an engine run config plus the data; the engine must reproduce torch's parameters, learning
rate, full-data loss, batch loss and pre-clip gradient norm at every step.

Every case runs on both loops (the interpreter's ``gdcore.engine.loop`` and the compiled
``gdcore.engine.accel``), and the two must agree with each other bit for bit; except the logistic
regression cases (``meta.problem == "logistic"``): the compiled loop runs linear regression
only, so they run on the interpreter, and ``gdcore.engine.accel.bridge.supports`` must decline them
(a run that asks for the compiled loop then gets the interpreter's numbers, bit for bit). A
logistic case's accuracy column must equal torch's share of rows with (logit >= 0) == (y == 1)
exactly (the generator keeps every logit at least 1e-9 from 0, so rounding cannot flip a row).

Tolerance against torch: ``rtol = 1e-10``. The engine and torch do the same arithmetic in a
different order (the engine's full-batch gradient and loss come from the data's moments, torch
sums the rows), so they agree to rounding, not bit for bit; any real difference in a rule shows
up many orders of magnitude above 1e-10. ``atol = 1e-12`` only matters for values that pass near
zero (an intercept crossing 0, an lr of exactly eta_min = 0): there the relative error of a
rounding-level difference is meaningless. Every fixture value that is compared this way lives
on a scale of 1e-3 .. 1e2, so 1e-12 absolute is still far below 1e-10 of that scale and cannot
hide a wrong update.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gdcore.engine.accel import bridge
from gdcore.engine.plan import make_plan
from gdcore.engine.runner import run
from gdcore.models import FUNCTIONS, LinearRegression
from gdcore.models.logistic import LogisticRegression
from gdcore.spec.config import CLIP_DEFAULTS, OPTIMIZER_DEFAULTS, SCHEDULE_DEFAULTS, parse_run

FIXTURE = Path(__file__).parent / "fixtures" / "golden.json"
RTOL = 1e-10
ATOL = 1e-12

GOLDEN = json.loads(FIXTURE.read_text())
CASES = GOLDEN["cases"]
LOGISTIC = [c for c in CASES if c["meta"]["problem"] == "logistic"]
# what each loop replays: the compiled loop runs data problems except logistic regression (test
# functions fall back to the interpreter there, as they always have)
RUNS = [(c, engine) for c in CASES
        for engine in (("python",) if c["meta"]["problem"] == "logistic"
                       else ("python", "compiled"))]
COMPILED_CASES = [c for c in CASES if c["data"] is not None and c["meta"]["problem"] != "logistic"]


def _problem(case):
    if case["data"] is None:
        return FUNCTIONS[case["meta"]["problem"]]
    x = np.array(case["data"]["x"], dtype=float)
    y = np.array(case["data"]["y"], dtype=float)
    if case["meta"]["problem"] == "logistic":
        return LogisticRegression(x, y)
    return LinearRegression(x, y)


def _close(name, actual, expected, case_id):
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, f"{case_id}: {name} {actual.shape} != {expected.shape}"
    ok = np.isclose(actual, expected, rtol=RTOL, atol=ATOL)
    if not ok.all():
        bad = np.argwhere(~ok)[0]
        step = int(bad[0])
        raise AssertionError(
            f"{case_id}: {name} differs from torch first at step {step}: "
            f"engine {actual[tuple(bad)]!r}, torch {expected[tuple(bad)]!r} "
            f"({int((~ok).sum())} mismatches)"
        )


@pytest.mark.parametrize("case, engine", RUNS, ids=[f"{c['id']}-{e}" for c, e in RUNS])
def test_matches_torch(case, engine, request):
    """Both loops, the interpreter's and the compiled accelerator's, against torch."""
    if engine == "compiled" and case["data"] is not None:
        request.getfixturevalue("compiled")  # built for this session (fails if it cannot be)
    ref = case["torch"]
    res = run(_problem(case), case["config"], engine=engine)
    hist = res.history
    cid = case["id"]

    # every update is recorded, and the run made exactly as many updates as torch
    assert res.status == "completed", f"{cid}: {res.status} ({res.message})"
    assert res.steps == case["steps"]
    assert len(hist) == case["steps"] + 1
    np.testing.assert_array_equal(hist["step"].to_numpy(), np.arange(case["steps"] + 1))

    names = list(res.history.columns[5: 5 + len(ref["params"][0])])
    assert names == list(_problem(case).param_names)
    _close("params", hist[names].to_numpy(), ref["params"], cid)
    _close("lr", hist["lr"].to_numpy(), ref["lr"], cid)
    _close("loss", hist["loss"].to_numpy(), ref["loss"], cid)
    _close("batch_loss", hist["batch_loss"].to_numpy(), ref["batch_loss"], cid)
    _close("grad_norm", hist["grad_norm"].to_numpy(), ref["grad_norm"], cid)
    # clipping is a yes/no decision; it must be taken at the same steps
    np.testing.assert_array_equal(hist["clipped"].to_numpy(), np.array(ref["clipped"]),
                                  err_msg=f"{cid}: clipped")
    if case["meta"]["problem"] == "logistic":  # a count of rows over n: the same float
        np.testing.assert_array_equal(hist["accuracy"].to_numpy(), np.array(ref["accuracy"]),
                                      err_msg=f"{cid}: accuracy")


@pytest.mark.parametrize("case", LOGISTIC, ids=[c["id"] for c in LOGISTIC])
def test_compiled_loop_declines_logistic(case, compiled):
    """The compiled loop has no cross-entropy: it must say so (``supports`` False), and a run
    that asks for it gets the interpreter's trajectory, bit for bit (the one compared with
    torch above)."""
    problem = _problem(case)
    assert not bridge.supports(problem, make_plan(problem, parse_run(case["config"])))
    asked = run(problem, case["config"], engine="compiled").history
    python = run(problem, case["config"], engine="python").history
    cols = [c for c in python.columns if c != "run"]
    np.testing.assert_array_equal(asked[cols].to_numpy(dtype=float),
                                  python[cols].to_numpy(dtype=float))


@pytest.mark.parametrize("case", COMPILED_CASES, ids=[c["id"] for c in COMPILED_CASES])
def test_compiled_and_interpreter_agree_bit_for_bit(case, compiled):
    from tests.test_engine_paths import assert_same

    assert_same(_problem(case), case["config"], compiled)


def test_fixture_covers_every_name():
    """A new optimizer, schedule or clip mode without golden cases fails here."""
    seen_opt, seen_sched, seen_clip = set(), set(), set()
    pairs = {"opt_sched": set(), "opt_clip": set(), "sched_clip": set()}
    per_batching: dict[str, set] = {"full": set(), "minibatch": set()}
    for case in CASES:
        cfg = case["config"]
        o, s, c = cfg["optimizer"]["name"], cfg["schedule"]["name"], cfg["clip"]["name"]
        batching = "full" if cfg["batch_size"] == "full" else "minibatch"
        seen_opt.add(o)
        seen_sched.add(s)
        seen_clip.add(c)
        for key, pair in (("opt_sched", (o, s)), ("opt_clip", (o, c)), ("sched_clip", (s, c))):
            pairs[key].add(pair)
            per_batching[batching].add((key, pair))
        per_batching[batching].add(("per", (s, cfg["schedule"]["per"])))
    assert seen_opt == set(OPTIMIZER_DEFAULTS), set(OPTIMIZER_DEFAULTS) ^ seen_opt
    assert seen_sched == set(SCHEDULE_DEFAULTS), set(SCHEDULE_DEFAULTS) ^ seen_sched
    assert seen_clip == set(CLIP_DEFAULTS), set(CLIP_DEFAULTS) ^ seen_clip

    want = {
        "opt_sched": {(o, s) for o in OPTIMIZER_DEFAULTS for s in SCHEDULE_DEFAULTS},
        "opt_clip": {(o, c) for o in OPTIMIZER_DEFAULTS for c in CLIP_DEFAULTS},
        "sched_clip": {(s, c) for s in SCHEDULE_DEFAULTS for c in CLIP_DEFAULTS},
    }
    for batching, seen in per_batching.items():
        for key, pairs_wanted in want.items():
            missing = {p for p in pairs_wanted if (key, p) not in seen}
            assert not missing, f"{batching}: no golden case for {key} {sorted(missing)}"
    # mini-batch runs step their schedule both per epoch and per update
    missing = {(s, per) for s in SCHEDULE_DEFAULTS if s != "constant"
               for per in ("epoch", "update") if ("per", (s, per)) not in per_batching["minibatch"]}
    assert not missing, f"minibatch: no golden case for schedule/per {sorted(missing)}"


def test_fixture_covers_sequential_updates():
    """``"update": "sequential"`` (each coordinate from a gradient recomputed, and clipped again,
    after the coordinates before it moved): every optimizer, every clip mode and two-feature data
    in both batchings, mini-batches with a partial last batch and with batch size 1, schedules
    stepped per epoch and per update, a plateau schedule. Every clipped case clips a recomputed
    gradient somewhere (``reclipped``: the component then used changed), so an engine that skips
    that re-clip fails ``test_matches_torch``."""
    seq = [c for c in CASES if c["config"].get("update", "simultaneous") == "sequential"]
    assert seq, "no sequential-update golden case"
    for batching in ("full", "minibatch"):
        cases = [c for c in seq if (c["config"]["batch_size"] == "full") == (batching == "full")]
        opts = {c["config"]["optimizer"]["name"] for c in cases}
        assert opts == set(OPTIMIZER_DEFAULTS), f"{batching}: {set(OPTIMIZER_DEFAULTS) ^ opts}"
        clips = {c["config"]["clip"]["name"] for c in cases}
        assert clips == set(CLIP_DEFAULTS), f"{batching}: {set(CLIP_DEFAULTS) ^ clips}"
        assert any(c["data"] and len(c["data"]["x"][0]) == 2 for c in cases), (
            f"{batching}: no sequential case on two-feature data")
        pers = {c["config"]["schedule"]["per"] for c in cases
                if c["config"]["schedule"]["name"] != "constant"}
        assert pers == {"epoch", "update"}, f"{batching}: schedules only per {pers}"
    for c in seq:
        ref = c["torch"]
        assert len(ref["reclipped"]) == len(ref["clipped"]), c["id"]
        if c["config"]["clip"]["name"] != "none":
            assert any(ref["clipped"]), f"{c['id']}: clipping never bites"
            assert any(ref["reclipped"]), f"{c['id']}: a recomputed gradient is never clipped"
    mb = [c for c in seq if c["config"]["batch_size"] != "full"]
    assert any(len(c["data"]["y"]) % c["config"]["batch_size"] for c in mb), "no partial batch"
    assert any(c["config"]["batch_size"] == 1 for c in mb), "no batch size 1"
    assert all(c["config"]["shuffle"] is False for c in mb)
    assert any(c["config"]["schedule"]["name"] == "plateau" for c in seq), "no plateau schedule"


def test_fixture_exercises_what_it_claims():
    """Partial last batches, multi-feature data, clipping that bites, every test function."""
    mb = [c for c in CASES if c["config"]["batch_size"] != "full"]
    assert any(len(c["data"]["y"]) % c["config"]["batch_size"] for c in mb), "no partial batch"
    assert any(len(c["data"]["x"][0]) > 1 for c in CASES if c["data"]), "no multi-feature data"
    for c in CASES:
        if c["config"]["clip"]["name"] != "none":
            assert any(c["torch"]["clipped"]), f"{c['id']}: clipping never bites"
    def scheduler_steps(c):  # scheduler steps whose lr some update used
        per_update = c["config"]["schedule"]["per"] == "update" or c["data"] is None
        return c["steps"] - 1 if per_update else c["config"]["epochs"] - 1

    for batching in ("full", "minibatch"):
        past = [c for c in CASES if c["meta"]["batching"] == batching
                and c["config"]["schedule"]["name"] == "cosine"
                and c["config"]["schedule"]["T_max"] < scheduler_steps(c)]
        assert past, f"{batching}: no cosine schedule run past T_max"
    assert any(c["config"]["batch_size"] == 1 for c in mb), "no stochastic (batch size 1) case"
    assert {c["meta"]["problem"] for c in CASES if c["data"] is None} == set(FUNCTIONS)


def _strictly_separable(x, y) -> bool:
    """Whether some (w, b) puts every row on its class's side with margin 1: a linear
    feasibility problem (scipy's HiGHS), independent of the engine's own check."""
    from scipy.optimize import linprog

    sign = np.where(np.asarray(y) == 1.0, 1.0, -1.0)
    a = np.column_stack([np.asarray(x), np.ones(len(sign))]) * sign[:, None]
    res = linprog(np.zeros(a.shape[1]), A_ub=-a, b_ub=-np.ones(len(sign)),
                  bounds=[(None, None)] * a.shape[1], method="highs")
    assert res.status in (0, 2), res.message  # 0: feasible, 2: infeasible
    return res.status == 0


@pytest.mark.parametrize("family, problem, features", [
    ("multi", "linear", {3, 5}),
    ("logistic", "logistic", {1, 2, 4}),
])
def test_fixture_covers_multi_feature_and_logistic(family, problem, features):
    """The multi-feature linear regression and logistic regression families (issue 12: "equal
    PyTorch to 1e-10 on golden fixtures for every optimizer"): in each batching (full,
    unshuffled mini-batches) every optimizer meets every clip mode and every schedule meets
    every clip mode, and every schedule is stepped both per epoch and per update; the data
    have the promised numbers of features, mini-batches end on a partial batch somewhere, and
    logistic runs include batch size 1 and data whose classes no line separates."""
    fam = [c for c in CASES if c["id"].startswith(f"{family}-")]
    assert fam, f"no {family} golden case"
    assert {c["meta"]["problem"] for c in fam} == {problem}
    assert {len(c["data"]["x"][0]) for c in fam} == features
    for batching in ("full", "minibatch"):
        cases = [c for c in fam if (c["config"]["batch_size"] == "full") == (batching == "full")]
        o_c = {(c["config"]["optimizer"]["name"], c["config"]["clip"]["name"]) for c in cases}
        s_c = {(c["config"]["schedule"]["name"], c["config"]["clip"]["name"]) for c in cases}
        s_p = {(c["config"]["schedule"]["name"], c["config"]["schedule"]["per"]) for c in cases}
        want_oc = {(o, c) for o in OPTIMIZER_DEFAULTS for c in CLIP_DEFAULTS}
        want_sc = {(s, c) for s in SCHEDULE_DEFAULTS for c in CLIP_DEFAULTS}
        want_sp = {(s, per) for s in SCHEDULE_DEFAULTS if s != "constant"
                   for per in ("epoch", "update")}
        assert want_oc <= o_c, f"{family} {batching}: missing {sorted(want_oc - o_c)}"
        assert want_sc <= s_c, f"{family} {batching}: missing {sorted(want_sc - s_c)}"
        assert want_sp <= s_p, f"{family} {batching}: missing {sorted(want_sp - s_p)}"
        variants = {c["meta"]["optimizer_variant"] for c in cases}
        every = {c["meta"]["optimizer_variant"] for c in CASES if c["id"].startswith("linear-")}
        assert variants == every, f"{family} {batching}: {sorted(variants ^ every)}"
        assert {len(c["data"]["x"][0]) for c in cases} == features, f"{family} {batching}"
    mb = [c for c in fam if c["config"]["batch_size"] != "full"]
    assert all(c["config"]["shuffle"] is False for c in mb)
    assert any(len(c["data"]["y"]) % c["config"]["batch_size"] for c in mb), "no partial batch"
    for c in fam:
        if c["config"]["clip"]["name"] != "none":
            assert any(c["torch"]["clipped"]), f"{c['id']}: clipping never bites"
    if problem == "logistic":
        assert any(c["config"]["batch_size"] == 1 for c in mb), "no batch size 1"
        assert any(c["config"]["batch_size"] == 1 and len(c["data"]["x"][0]) > 1 for c in mb)
        for c in fam:
            assert len(c["torch"]["accuracy"]) == c["steps"] + 1, c["id"]
        for c in {json.dumps(c["data"]["x"]): c for c in fam}.values():  # each data set once
            assert set(c["data"]["y"]) == {0.0, 1.0}, c["id"]
            assert not _strictly_separable(c["data"]["x"], c["data"]["y"]), c["id"]
