"""The command line: runs the shipped example; bad input gives one line and exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "gdcore", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_runs_the_example_config(tmp_path):
    out = tmp_path / "h.csv"
    res = cli("run", "examples/experiment.json", "--out", str(out))
    assert res.returncode == 0, res.stderr
    lines = [json.loads(line) for line in res.stdout.splitlines()]
    config = json.loads((ROOT / "examples/experiment.json").read_text())
    assert [s["run"] for s in lines] == [r["name"] for r in config["runs"]]
    hist = pd.read_csv(out)
    assert {"run", "step", "epoch", "lr", "w", "b", "loss"} <= set(hist.columns)
    assert hist.notna().all().all()
    statuses = {s["run"]: s["status"] for s in lines}
    assert statuses["too large lr"] == "diverged"


def test_data_override(tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,c\n1,2,3\n2,4.1,5\n3,5.9,7\n4,8.2,9\n")
    res = cli("run", "examples/experiment.json", "--data", str(csv), "--x", "a", "--y", "b")
    assert res.returncode != 0  # the example's batch of 32 is larger than 4 rows
    assert res.stderr.count("\n") == 1 and "batch_size" in res.stderr and "4 rows" in res.stderr
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"runs": [{"name": "r", "epochs": 500,
                                         "optimizer": {"name": "sgd", "lr": 0.02}}]}))
    res = cli("run", str(cfg), "--data", str(csv), "--x", "a", "--y", "b")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["w"] == pytest.approx(2.04, abs=0.05)


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("{", "not valid JSON at line 1"),
        ('{"runs": [{"optimizer": {"name": "adamz"}}]}', "runs[0].optimizer.name: unknown name"),
        ('{"runs": [{"optimizer": {"name": "sgd", "lr": -0.1}}]}', "lr: must be > 0"),
        ('{"runs": [{"batch_size": 0}]}', "batch_size: must be >= 1"),
        ('{"data": {"source": "sample", "name": "nope"}, "runs": [{}]}', "nope"),
    ],
)
def test_bad_config_is_one_clear_line(tmp_path, content, fragment):
    cfg = tmp_path / "bad.json"
    cfg.write_text(content)
    res = cli("run", str(cfg))
    assert res.returncode == 2
    assert res.stderr.startswith("error: ") and res.stderr.count("\n") == 1
    assert fragment in res.stderr
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"", "empty"),
        (b"a,b\nx,y\nz,w\n", "numeric"),
        (b"x,y\n1,2\n", "row"),
        (b"x,y\n3,1\n3,2\n3,5\n", "constant"),
    ],
)
def test_bad_csv_is_one_clear_line(tmp_path, content, fragment):
    csv = tmp_path / "bad.csv"
    csv.write_bytes(content)
    res = cli("run", "examples/experiment.json", "--data", str(csv))
    assert res.returncode == 2, res.stdout
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert fragment in res.stderr.lower()


def test_missing_files_and_flags():
    res = cli("run", "nope.json")
    assert res.returncode == 2 and "not found" in res.stderr
    res = cli("run", "examples/experiment.json", "--x", "a")
    assert res.returncode == 2 and "--data" in res.stderr
    res = cli("run", "examples/experiment.json", "--data", "missing.csv")
    assert res.returncode == 2 and "Traceback" not in res.stderr


def test_schema_lists_everything():
    res = cli("schema")
    doc = json.loads(res.stdout)
    assert "adamw" in doc["optimizers"] and doc["optimizers"]["adamw"]["weight_decay"] == 0.01
