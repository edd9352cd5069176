"""The command line: runs the shipped example; bad input gives one line and exit status 2."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import gdcore

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
        ('{"runs": [{"optimizer": {"name": "sgd", "lr": -0.1}}]}', "lr: must be a number from"),
        ('{"runs": [{"batch_size": 0}]}', "batch_size: must be a whole number from 1"),
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
    assert doc["version"] == gdcore.spec.config.FORMAT_VERSION
    assert "logistic" in doc["problems"] and "positive" in doc["data_sources"]["csv"]
    assert doc["methods"]["newton"]["min_curvature"] == 1e-6
    assert set(doc["data_sources"]["classes"]) == {"n", "features", "separation", "balance",
                                                   "seed", "standardize"}


# --- inputs that used to escape as internal errors (issue: own data, links and imports) -------
def _deep(levels: int) -> str:
    return '{"runs": [{"init": ' + "[" * levels + "]" * levels + "}]}"


BIG_INPUTS = {
    "seed 2^64": '{"runs": [{"seed": 18446744073709551616}]}',
    "5,000-digit integer": '{"runs": [{"epochs": ' + "9" * 5000 + "}]}",
    "nested 100,000 deep": _deep(100_000),
    "max_points 1e6 on 64 runs": json.dumps({"runs": [{"name": f"r{i}", "max_points": 1_000_000}
                                                      for i in range(64)]}),
    "n 1e7, batch 1, 1e6 epochs": json.dumps({"data": {"source": "generate", "n": 10_000_000},
                                              "runs": [{"batch_size": 1, "epochs": 1_000_000}]}),
    "64 runs x 1e6 epochs of batch 1": json.dumps({"runs": [
        {"name": f"r{i}", "batch_size": 1, "epochs": 1_000_000} for i in range(64)]}),
    "within limits, over the budget": json.dumps({"data": {"source": "generate", "n": 200_000},
                                                  "runs": [{"batch_size": 1, "epochs": 200}]}),
    "NaN": '{"runs": [{"optimizer": {"name": "sgd", "lr": NaN}}]}',
    "Infinity slope": '{"data": {"source": "generate", "slope": Infinity}, "runs": [{}]}',
    "lr 1e308": '{"runs": [{"optimizer": {"name": "sgd", "lr": 1e308}}]}',
    "init 1e300": '{"runs": [{"init": {"w": 1e300}}]}',
}


@pytest.mark.parametrize("label", list(BIG_INPUTS))
def test_absurd_inputs_get_one_clear_line_and_exit_2_fast(tmp_path, label):
    cfg = tmp_path / "c.json"
    cfg.write_text(BIG_INPUTS[label])
    t0 = time.monotonic()
    res = cli("run", str(cfg), "--out", str(tmp_path / "h.csv"))
    elapsed = time.monotonic() - t0
    assert res.returncode == 2, res.stderr
    assert res.stderr.startswith("error: ") and res.stderr.count("\n") == 1, res.stderr
    assert "unexpected" not in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr) < 400
    assert not (tmp_path / "h.csv").exists()
    assert elapsed < 30  # (a process start; the refusal itself takes milliseconds)


def test_over_budget_message_says_how_much_and_how_to_shrink(tmp_path):
    cfg = tmp_path / "c.json"
    cfg.write_text(BIG_INPUTS["within limits, over the budget"])
    res = cli("run", str(cfg))
    assert "40,000,000 updates" in res.stderr and "fewer epochs" in res.stderr
    assert "--force" in res.stderr


def test_force_skips_the_budget_but_not_the_limits(monkeypatch):
    from gdcore import limits, run_experiment

    monkeypatch.setattr(limits, "MAX_UPDATES", 100)
    exp = {"data": {"source": "generate", "n": 50}, "runs": [{"batch_size": 1, "epochs": 3}]}
    with pytest.raises(gdcore.ConfigError, match="150 updates"):
        run_experiment(exp)
    assert run_experiment(exp, force=True).runs[0].steps == 150
    with pytest.raises(gdcore.ConfigError, match="epochs"):
        run_experiment({**exp, "runs": [{"epochs": 200_000}]}, force=True)


def test_logistic_updates_count_a_pass_over_every_row():
    """The cross-entropy's full-data loss reads every row at every update (no summary of the
    data), and a Newton step reads them again: the budget counts it, from the same numbers."""
    from gdcore import limits
    from gdcore.engine import runner

    data = {"source": "classes", "n": 500, "seed": 3}
    runs = [{"name": "sgd", "batch_size": 1, "epochs": 4, "shuffle": False},
            {"name": "newton", "epochs": 10, "method": {"name": "newton"}}]
    exp = gdcore.parse_experiment({"problem": "logistic", "data": data, "runs": runs})
    problem = gdcore.make_problem("logistic", gdcore.load_dataset(data, problem="logistic"))
    work = runner.experiment_work(exp, problem)
    # sgd: 2,000 updates, each its row + all 500; newton: 10 updates, each 1 + 2 x 500
    assert work == limits.Work(2_000 + 10, 2_000 * (1 + 500) + 10 * (1 + 2 * 500))
    linear = gdcore.parse_experiment({"data": {"source": "generate", "n": 500}, "runs": runs})
    lin_problem = gdcore.make_problem("linear", gdcore.load_dataset({"source": "generate",
                                                                     "n": 500}))
    assert runner.experiment_work(linear, lin_problem) == limits.Work(2_010, 2_000 + 10)
    big = gdcore.parse_experiment({"problem": "logistic", "data": {**data, "n": 20_000},
                                   "runs": [{"batch_size": 1, "epochs": 1}]})
    big_problem = gdcore.make_problem("logistic", gdcore.load_dataset(
        {**data, "n": 20_000}, problem="logistic"))
    assert "rows in all" in runner.over_budget(big, big_problem)  # 20,000 x 20,001 > 2e8


def test_histories_csv_neutralises_formulas(tmp_path):
    cfg = tmp_path / "c.json"
    names = ['=HYPERLINK("http://evil","x")', "+1", "-2", "@SUM(A1)", "\tt", "plain"]
    cfg.write_text(json.dumps({"data": {"source": "generate", "n": 20},
                               "runs": [{"name": n, "epochs": 2} for n in names]}))
    out = tmp_path / "h.csv"
    res = cli("run", str(cfg), "--out", str(out))
    assert res.returncode == 0, res.stderr
    hist = pd.read_csv(out, keep_default_na=False)
    runs = list(dict.fromkeys(hist["run"]))
    # (run names are stripped of surrounding spaces and tabs when the config is read)
    assert runs == ['\'=HYPERLINK("http://evil","x")', "'+1", "'-2", "'@SUM(A1)", "t", "plain"]
    assert all(not r.startswith(("=", "+", "-", "@", "\t")) for r in runs)
    assert hist["loss"].dtype.kind == "f" and (hist["step"] >= 0).all()  # numbers untouched


def test_ctrl_c_stops_cleanly_and_writes_what_finished(tmp_path):
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"data": {"source": "generate", "n": 100_000}, "runs": [
        {"name": "quick", "epochs": 3},
        {"name": "long", "batch_size": 1, "epochs": 100},
        {"name": "never", "epochs": 3}]}))
    out = tmp_path / "h.csv"
    proc = subprocess.Popen([sys.executable, "-m", "gdcore", "run", str(cfg), "--out", str(out),
                             "--engine", "python"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(4.0)  # well into the long run (about 20 s on the interpreter)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    summaries = [json.loads(line) for line in stdout.splitlines()]
    assert [s["run"] for s in summaries] == ["quick", "long"]
    assert [s["status"] for s in summaries] == ["completed", "stopped"]
    assert set(pd.read_csv(out)["run"]) == {"quick", "long"}


def test_logistic_config_with_newton_and_line_search(tmp_path):
    """A classification setup from a CSV next to the config: the histories CSV carries the
    accuracy column (a count over the file's rows at each recorded point) and Newton ends on
    the optimum scipy's BFGS finds."""
    import numpy as np
    from scipy.optimize import minimize
    from scipy.special import expit

    rng = np.random.default_rng(12)
    x = rng.normal(size=(120, 2)) * [2.0, 1.0] + [5.0, 0.0]
    y = (rng.random(120) < expit(0.8 * (x[:, 0] - 5.0) - 1.2 * x[:, 1])).astype(int)
    pd.DataFrame({"hours": x[:, 0], "score": x[:, 1], "passed": y}).to_csv(
        tmp_path / "exam.csv", index=False)
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({
        "version": 2, "problem": "logistic",
        "data": {"source": "csv", "path": "exam.csv", "x": ["hours", "score"], "y": "passed"},
        "runs": [{"name": "newton", "epochs": 15, "optimizer": {"name": "sgd", "lr": 1.0},
                  "method": {"name": "newton"}},
                 {"name": "line search", "epochs": 60, "optimizer": {"name": "sgd", "lr": 4.0},
                  "method": {"name": "line_search", "c": 0.1}},
                 {"name": "adam", "batch_size": 16, "epochs": 20,
                  "optimizer": {"name": "adam", "lr": 0.05}}]}))
    out = tmp_path / "h.csv"
    res = cli("run", str(cfg), "--out", str(out), "--engine", "python")
    assert res.returncode == 0, res.stderr
    summaries = {s["run"]: s for s in map(json.loads, res.stdout.splitlines())}
    assert list(summaries) == ["newton", "line search", "adam"]
    hist = pd.read_csv(out)
    assert {"run", "step", "lr", "w1", "w2", "b", "loss", "accuracy"} <= set(hist.columns)
    assert hist.notna().all().all()
    data = pd.read_csv(tmp_path / "exam.csv")
    z = np.outer(data["hours"], hist["w1"]) + np.outer(data["score"], hist["w2"]) + hist["b"].to_numpy()
    counted = ((z >= 0) == (data["passed"].to_numpy() == 1)[:, None]).mean(axis=0)
    np.testing.assert_allclose(hist["accuracy"], counted, rtol=0, atol=1e-12)

    a = np.column_stack([x, np.ones(len(y))])

    def loss(p):
        return float(np.mean(y * np.logaddexp(0, -a @ p) + (1 - y) * np.logaddexp(0, a @ p)))

    best = minimize(loss, np.zeros(3), jac=lambda p: a.T @ (expit(a @ p) - y) / len(y),
                    method="BFGS", options={"gtol": 1e-12}).x
    newton = summaries["newton"]
    np.testing.assert_allclose([newton["w1"], newton["w2"], newton["b"]], best, rtol=0, atol=1e-7)
    assert newton["distance_to_reference"] < 1e-7
    ls = hist[hist["run"] == "line search"]
    assert (ls["loss"].diff().dropna() <= 0).all()


# --- issue 16, item 14: a CLI without surprises ---------------------------------------------
def _cars_config(tmp_path, **data):
    cfg = {"version": 2, "problem": "logistic" if "positive" in data else "linear",
           "data": {"source": "sample", "name": "cars", **data},
           "runs": [{"name": "gd", "epochs": 3, "optimizer": {"name": "sgd", "lr": 0.01}}]}
    path = tmp_path / "c.json"
    path.write_text(json.dumps(cfg))
    return path


def test_an_unwritable_out_is_refused_before_anything_runs(tmp_path):
    blocked = tmp_path / "a-file"  # (the tests run as root: a read-only folder would not do)
    blocked.write_text("not a folder")
    slow = {"version": 2, "data": {"source": "generate", "n": 20000},
            "runs": [{"name": "long", "epochs": 400, "batch_size": 1}]}
    cfg = tmp_path / "slow.json"
    cfg.write_text(json.dumps(slow))
    t0 = time.monotonic()
    for out in (blocked / "h.csv", tmp_path / "missing" / "h.csv", tmp_path):
        res = cli("run", str(cfg), "--out", str(out), "--engine", "python")
        assert res.returncode == 2 and "cannot write" in res.stderr, res.stderr
        assert res.stdout == ""  # nothing ran: no summary lines
    assert not (tmp_path / "missing").exists()
    assert time.monotonic() - t0 < 120  # (8M updates would take minutes on the interpreter)


def test_several_x_columns_both_ways(tmp_path):
    csv = ROOT / "data" / "cars.csv"
    cfg = _cars_config(tmp_path)
    cols = pd.read_csv(csv).select_dtypes("number").columns[:3].tolist()
    a = cli("run", str(cfg), "--data", str(csv), "--x", cols[0], "--x", cols[1], "--y", cols[2])
    b = cli("run", str(cfg), "--data", str(csv), "--x", f"{cols[0]},{cols[1]}", "--y", cols[2])
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    summary = json.loads(a.stdout.splitlines()[0])
    assert {"w1", "w2", "b"} <= set(summary) and "w3" not in summary  # both columns fitted
    def same(out):
        return [{k: v for k, v in json.loads(line).items() if k != "time_s"}
                for line in out.splitlines()]

    assert same(a.stdout) == same(b.stdout)


def test_data_keeps_the_configs_positive_class_and_takes_positive(tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("x,label\n" + "".join(f"{i},{'yes' if i % 3 else 'no'}\n" for i in range(30)))
    cfg = tmp_path / "l.json"
    first = tmp_path / "first.csv"
    first.write_text(csv.read_text())
    cfg.write_text(json.dumps({"version": 2, "problem": "logistic",
                               "data": {"source": "csv", "path": str(first), "y": "label",
                                        "positive": "no"},
                               "runs": [{"name": "gd", "epochs": 2}]}))
    res = cli("run", str(cfg), "--data", str(csv), "--y", "label")
    assert res.returncode == 0, res.stderr
    other = cli("run", str(cfg), "--data", str(csv), "--y", "label", "--positive", "yes")
    assert other.returncode == 0, other.stderr
    assert res.stdout != other.stdout  # the positive class decides the sign of the weights
    w_no = json.loads(res.stdout.splitlines()[0])["w"]
    w_yes = json.loads(other.stdout.splitlines()[0])["w"]
    assert w_no == pytest.approx(-w_yes, rel=1e-9, abs=1e-12)


def test_a_long_value_in_an_error_is_cut(tmp_path):
    cfg = tmp_path / "long.json"
    cfg.write_text(json.dumps({"version": 2, "data": {"source": "generate"},
                               "runs": [{"name": "gd", "optimizer": {"name": "x" * 5000}}]}))
    res = cli("run", str(cfg))
    assert res.returncode == 2
    assert len(res.stderr) < 800 and "characters left out" in res.stderr


def test_schema_lists_standardize_for_every_data_source():
    res = cli("schema")
    assert res.returncode == 0
    sources = json.loads(res.stdout)["data_sources"]
    assert all("standardize" in fields for fields in sources.values())


def test_refusals_name_a_run_one_way():
    # issue 16, item 14: a setup's checks said runs[1].epochs, the plan's said runs['b'].init.w
    import gdcore

    data = {"source": "generate", "n": 20, "seed": 0}
    with pytest.raises(gdcore.ConfigError) as plan_err:
        gdcore.run_experiment({"data": data, "runs": [
            {"name": "a"}, {"name": "b", "init": {"w": [1.0, 2.0, 3.0]}}]})
    with pytest.raises(gdcore.ConfigError) as config_err:
        gdcore.run_experiment({"data": data, "runs": [{"name": "a"}, {"name": "b", "epochs": 0}]})
    assert str(config_err.value).startswith("runs[1].epochs:")
    assert str(plan_err.value).startswith("runs[1].init.w: expected one number, got [1.0, 2.0, 3.0]")
