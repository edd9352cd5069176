"""An optimizer is one entry in one place (issue 17): a toy optimizer added to
``gdcore/rules/optimizers.py`` alone -- in a copy of the repository, nothing else edited --
is found in the schema, the validation and its limits, the comparison page's optimizer
picker, and both loops, which agree with each other bit for bit and with the run it is by
definition (SGD with momentum 0.5)."""

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

# a toy optimizer, added by tests/test_toy_optimizer.py to a copy of this file
OPTIMIZERS["toy_half"] = Optimizer("toy_half", "Toy: SGD with momentum one half", sgd,
                                   {"lr": 1e-2, "weight_decay": 0.0},
                                   fixed={"momentum": 0.5})
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
py = gdcore.run_experiment({"data": data, "runs": [run, same]}, engine="python")
assert accel.wait(900) is not None, accel.status()
cc = gdcore.run_experiment({"data": data, "runs": [run, same]}, engine="compiled")
out["python"] = py.runs[0].history["loss"].tolist()
out["same"] = py.runs[1].history["loss"].tolist()
out["compiled"] = cc.runs[0].history["loss"].tolist()
out["compiled_same"] = cc.runs[1].history["loss"].tolist()
at = AppTest.from_file("dashboard.py", default_timeout=300).run()
at.session_state["run.v0.0.box"] = True  # the first run's form open
at.run()
out["picker"] = [list(s.options) for s in at.selectbox if s.label == "Optimizer"]
out["exception"] = [str(e.value) for e in at.exception]
print(json.dumps(out))
'''


def test_a_toy_optimizer_added_in_its_own_module_is_everywhere(tmp_path):
    tree = tmp_path / "repo"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", "*.pyc", "test-artifacts", ".pytest_cache",
        ".hypothesis", ".ruff_cache"))
    rules = tree / "gdcore" / "rules" / "optimizers.py"
    rules.write_text(rules.read_text() + TOY)
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
    assert got["registry"] and got["defaults"] == {"lr": 0.01, "weight_decay": 0.0}
    assert "optimizer.lr" in got["refused"] and "must be" in got["refused"]  # its limits
    assert "betas" in got["unknown"]  # a hyperparameter it does not have is named
    assert got["compiles"]  # the compiled loop takes it (its rule is one the kernel knows)
    assert got["python"] == got["compiled"]  # both loops, bit for bit
    assert got["python"] == got["same"] == got["compiled_same"]  # SGD with momentum 0.5
    assert not got["exception"], got["exception"]
    assert got["picker"] and "Toy: SGD with momentum one half" in got["picker"][0], got["picker"]
