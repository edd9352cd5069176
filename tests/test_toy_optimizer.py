"""An optimizer is one entry in one place (issue 17): two toy optimizers added to
``gdcore/rules/optimizers.py`` alone -- in a copy of the repository, nothing else edited --
are found in the schema, the validation and its limits, the comparison page's optimizer
picker and editor, the compiled loop's verification, and both loops, which agree with each
other bit for bit and with the run each is by definition. One reuses a rule (SGD with
momentum 0.5); the other brings a new rule with a new hyperparameter, ``toy_scale`` (its
Hyper field, its title and bounds, its rule appended to RULES: the accelerator's dispatch
compiles it with no edit there)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

TOY = '''

# toy optimizers, added by tests/test_toy_optimizer.py to a copy of this file
OPTIMIZERS["toy_half"] = Optimizer("toy_half", "Toy: SGD with momentum one half", sgd,
                                   {"lr": 1e-2, "weight_decay": 0.0},
                                   fixed={"momentum": 0.5})


def toy_scaled(p, g, state, t, lr, hp):
    \"\"\"Plain SGD with the step scaled by ``toy_scale``.\"\"\"
    return p - (lr * hp.toy_scale) * g, state


RULES = (*RULES, toy_scaled)
PARAMS.update(declare({"toy_scale": ("Toy step scale", Bound(0.0, 4.0, low_open=True))}))
OPTIMIZERS["toy_scaled"] = Optimizer("toy_scaled", "Toy: scaled SGD", toy_scaled,
                                     {"lr": 1e-2, "toy_scale": 1.0})
'''
FIELD = '''    toy_scale: float = 1.0  # (tests/test_toy_optimizer.py)
'''

CHILD = r'''
import json, logging, sys, warnings
warnings.filterwarnings("ignore"); logging.disable(logging.WARNING)
import gdcore
from gdcore.engine import accel
from streamlit.testing.v1 import AppTest

out = {"registry": "toy_half" in gdcore.OPTIMIZERS,
       "defaults": gdcore.OPTIMIZER_DEFAULTS.get("toy_half")}
data = {"source": "generate", "n": 400, "seed": 1}
scaled = {"name": "scaled", "batch_size": 8, "epochs": 20,
          "optimizer": {"name": "toy_scaled", "lr": 0.02, "toy_scale": 0.5}}
plain = {"name": "plain", "batch_size": 8, "epochs": 20,
         "optimizer": {"name": "sgd", "lr": 0.02 * 0.5}}
try:
    gdcore.parse_run({**scaled, "optimizer": {"name": "toy_scaled", "lr": 0.1, "toy_scale": 9}})
    out["scale_refused"] = None
except gdcore.ConfigError as err:
    out["scale_refused"] = str(err)
run = {"name": "toy", "batch_size": 8, "epochs": 20, "optimizer": {"name": "toy_half",
                                                                   "lr": 0.02}}
same = {"name": "same", "batch_size": 8, "epochs": 20,
        "optimizer": {"name": "momentum", "lr": 0.02, "momentum": 0.5}}
try:
    gdcore.parse_experiment({"data": data, "runs": [{**run, "optimizer": {"name": "toy_half",
                                                                          "lr": -1}}]})
    out["refused"] = None
except gdcore.ConfigError as err:
    out["refused"] = str(err)
try:
    gdcore.parse_experiment({"data": data, "runs": [{**run, "optimizer": {
        "name": "toy_half", "lr": 0.1, "betas": [0.9, 0.99]}}]})
    out["unknown"] = None
except gdcore.ConfigError as err:
    out["unknown"] = str(err)
from gdcore.engine.accel import bridge
from gdcore.engine.plan import make_plan
problem = gdcore.make_problem("linear", gdcore.load_dataset(data))
out["compiles"] = bridge.supports(problem, make_plan(problem, gdcore.parse_run(run)))
out["compiles_scaled"] = bridge.supports(problem, make_plan(problem, gdcore.parse_run(scaled)))
py = gdcore.run_experiment({"data": data, "runs": [run, same, scaled, plain]}, engine="python")
kernel = accel.wait(900)
assert kernel is not None, accel.status()
out["kernel_knows"] = bridge.knows(kernel, make_plan(problem, gdcore.parse_run(scaled)))
from gdcore.engine.accel import verify
out["verified"] = [raw["optimizer"]["name"] for _, raw in verify.cases()]
cc = gdcore.run_experiment({"data": data, "runs": [run, same, scaled, plain]}, engine="compiled")
out["scaled"] = [py.runs[2].history["loss"].tolist(), cc.runs[2].history["loss"].tolist(),
                 py.runs[3].history["loss"].tolist(), cc.runs[3].history["loss"].tolist()]
out["python"] = py.runs[0].history["loss"].tolist()
out["same"] = py.runs[1].history["loss"].tolist()
out["compiled"] = cc.runs[0].history["loss"].tolist()
out["compiled_same"] = cc.runs[1].history["loss"].tolist()
at = AppTest.from_file("dashboard.py", default_timeout=300).run()
at.session_state["run.v0.0.box"] = True  # the first run's form open
at.run()
out["picker"] = [list(s.options) for s in at.selectbox if s.label == "Optimizer"]
from gdcore.spec import share
at = AppTest.from_file("dashboard.py", default_timeout=300)
at.query_params["s"] = share.encode({"data": data, "runs": [scaled, plain]})
at.run()
at.session_state["run.v1.0.box"] = True
at.run()
out["scale_widget"] = [w.value for w in at.number_input if w.label == "Toy step scale"]
out["exception_scaled"] = [str(e.value) for e in at.exception]
out["exception"] = [str(e.value) for e in at.exception]
print(json.dumps(out))
'''


def test_a_toy_optimizer_added_in_its_own_module_is_everywhere(tmp_path):
    tree = tmp_path / "repo"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", "*.pyc", "test-artifacts", ".pytest_cache",
        ".hypothesis", ".ruff_cache"))
    rules = tree / "gdcore" / "rules" / "optimizers.py"
    text = rules.read_text()
    decoupled = "    decoupled: bool = False  # AdamW: decay the parameter, not the gradient\n"
    assert decoupled in text
    rules.write_text(text.replace(decoupled, decoupled + FIELD) + TOY)
    env = {k: v for k, v in os.environ.items() if k != "GDCORE_ENGINE"}
    env["GDCORE_CACHE_DIR"] = str(tmp_path / "cache")
    schema = subprocess.run([sys.executable, "-m", "gdcore", "schema"], cwd=tree, env=env,
                            capture_output=True, text=True, timeout=300)
    assert schema.returncode == 0, schema.stderr
    assert json.loads(schema.stdout)["optimizers"]["toy_half"] == {"lr": 0.01,
                                                                   "weight_decay": 0.0}
    res = subprocess.run([sys.executable, "-c", CHILD], cwd=tree, env=env, capture_output=True,
                         text=True, timeout=1200)
    assert res.returncode == 0, res.stderr[-3000:]
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert json.loads(schema.stdout)["optimizers"]["toy_scaled"] == {"lr": 0.01,
                                                                     "toy_scale": 1.0}
    assert got["registry"] and got["defaults"] == {"lr": 0.01, "weight_decay": 0.0}
    # the new hyperparameter: its declared bounds, the editor's widget with its title, the
    # compiled dispatch (a new rule, no kernel edit), the build's verification, both loops
    assert "toy_scale" in got["scale_refused"] and "greater than 0 and at most 4" in \
        got["scale_refused"], got["scale_refused"]
    assert got["scale_widget"] == [0.5], got["scale_widget"]
    assert got["compiles_scaled"] and got["kernel_knows"]
    assert "toy_scaled" in got["verified"] and "toy_half" in got["verified"]
    py_scaled, cc_scaled, py_plain, cc_plain = got["scaled"]
    assert py_scaled == cc_scaled == py_plain == cc_plain  # lr 0.02 x 0.5 is SGD at lr 0.01
    assert "optimizer.lr" in got["refused"] and "must be" in got["refused"]  # its limits
    assert "betas" in got["unknown"]  # a hyperparameter it does not have is named
    assert got["compiles"]  # the compiled loop takes it (its rule is one the kernel knows)
    assert got["python"] == got["compiled"]  # both loops, bit for bit
    assert got["python"] == got["same"] == got["compiled_same"]  # SGD with momentum 0.5
    assert not got["exception"] and not got["exception_scaled"], (got["exception"],
                                                                 got["exception_scaled"])
    assert got["picker"] and "Toy: SGD with momentum one half" in got["picker"][0], got["picker"]
