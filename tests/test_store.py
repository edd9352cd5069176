"""The experiment store (gdcore/store.py) on SQLite and on a real PostgreSQL server
(tests/postgres.py): save, list, read back exactly, rename, tag, delete (with what it held),
export and import; migrations from an empty database and from the previous version; uploaded
data kept only when asked; bad URLs, a database from a newer program, a lost connection and a
locked or read-only file give one clear StoreError; the CLI's run --save and store commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest

import gdcore
from gdcore.store import SCHEMA_VERSION, Store, StoreError, history_frame, history_json
from lab import presets


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'experiments.sqlite'}"
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture(scope="module")
def result():
    return gdcore.run_experiment({**presets.build("batch"), "repeats": {"n": 3}},
                                 engine="python")


def test_save_list_read_back_exactly_and_delete(url, result):
    store = Store(url)
    assert store.status()["schema_version"] == SCHEMA_VERSION
    eid = store.save("batch vs stochastic", result, note="Monday's", tags=["noise", "batch"])
    other = store.save("again", result)
    listed = store.list()
    assert listed["id"].tolist() == [other, eid]  # newest first
    assert listed.set_index("id").at[eid, "tags"] == ["noise", "batch"]
    assert listed.set_index("id").at[eid, "runs"] == 3
    got = store.get(eid)
    assert got["experiment"] == result.experiment
    assert got["data"]["hash"] == result.dataset.content_hash()
    assert got["data"]["columns"] == ["x", "y"] and got["data"]["rows"] == 200
    assert got["data_bytes"] is None  # uploaded data is not kept unless asked
    for saved, run in zip(got["runs"], result.runs):
        assert saved["summary"]["final_loss"] == run.final_loss  # floats exactly
        assert saved["summary"]["repeats"] == 3
        hist = saved["history"]
        assert len(hist) <= 1000 and hist["step"].iloc[-1] == run.history["step"].iloc[-1]
        want = run.history.set_index("step").loc[hist["step"], "loss"].to_numpy()
        np.testing.assert_array_equal(hist["loss"].to_numpy(), want)
    runs = store.runs()
    assert len(runs) == 6 and set(runs["experiment"]) == {eid, other}
    store.rename(eid, "renamed")
    store.set_tags(eid, ["x", "x", " y "])
    store.set_note(eid, "a note")
    got = store.get(eid)
    assert (got["name"], got["tags"], got["note"]) == ("renamed", ["x", "y"], "a note")
    kept = store.delete(eid)
    assert kept["name"] == "renamed" and store.list()["id"].tolist() == [other]
    assert store.import_doc({"format": "gdcore-experiments", "version": 1,
                             "experiments": [kept]})  # undo
    assert len(store.list()) == 2
    with pytest.raises(StoreError, match="no saved experiment 9999"):
        store.get(9999)


def test_export_then_import_into_another_store(url, result, tmp_path):
    a = Store(url)
    ids = [a.save("one", result, tags=["a"]), a.save("two", result)]
    doc = json.loads(json.dumps(a.export(ids)))  # through JSON text
    b = Store(f"sqlite:///{tmp_path / 'other.sqlite'}")
    new = b.import_doc(doc)
    assert len(new) == 2
    for old_id, new_id in zip(ids, new):
        x, y = a.get(old_id), b.get(new_id)
        assert (x["name"], x["tags"], x["experiment"]) == (y["name"], y["tags"], y["experiment"])
        for rx, ry in zip(x["runs"], y["runs"]):
            assert rx["summary"] == ry["summary"]
            pd.testing.assert_frame_equal(rx["history"], ry["history"])
    bad = {**doc, "experiments": [{**doc["experiments"][0], "setup": {"runs": []}}]}
    with pytest.raises(StoreError, match=r"experiments\[0\]\.setup: runs"):
        b.import_doc(bad)
    with pytest.raises(StoreError, match="not an export"):
        b.import_doc({"runs": []})


def test_migrations_from_an_empty_database_and_from_the_previous_version(url, result):
    old = Store(url, upto=SCHEMA_VERSION - 1)  # the previous schema: no tags yet
    assert old.version() == SCHEMA_VERSION - 1
    sa = old._sa
    with old.engine.begin() as conn:  # an experiment written by the previous version
        conn.execute(sa.text(
            "INSERT INTO experiments (name, note, created, setup, problem, data_source, "
            "data_columns, data_rows, data_hash) VALUES ('old', '', '2026-01-01T00:00:00+00:00', "
            ":setup, 'linear', 'generated', '[\"x\", \"y\"]', 200, 'h')"),
            {"setup": result.experiment.to_json(indent=None)})
    new = Store(url)  # opens it: migrated
    assert new.version() == SCHEMA_VERSION
    row = new.list().iloc[0]
    assert (row["name"], row["tags"], row["runs"]) == ("old", [], 0)
    assert new.get(int(row["id"]))["experiment"] == result.experiment
    with new.engine.begin() as conn:  # a newer program's database is refused, not changed
        conn.execute(sa.text("UPDATE schema_version SET version = :v"),
                     {"v": SCHEMA_VERSION + 1})
    with pytest.raises(StoreError, match="newer than this program"):
        Store(url)


def test_kept_data_only_when_asked_and_the_fingerprint_checks_the_file(tmp_path):
    from gdcore.data.sources import load_csv

    def load_upload(raw, name, **cols):
        return load_csv(raw, name=name, **cols)
    csv = b"hours,score\n1,52\n2,55\n3,61\n4,64\n5,70\n"
    ds = load_upload(csv, "scores.csv", x="hours", y="score")
    exp = {**presets.build("lr"), "data": {"source": "csv", "path": "scores.csv", "x": "hours",
                                           "y": "score"}}
    res = gdcore.run_experiment(exp, dataset=ds, engine="python")
    store = Store(f"sqlite:///{tmp_path / 's.sqlite'}")
    plain = store.save("no data", res)
    kept = store.save("with data", res, data_bytes=csv, data_name="scores.csv")
    assert store.get(plain)["data_bytes"] is None
    got = store.get(kept)
    assert got["data_bytes"] == csv and got["data"]["name"] == "scores.csv"
    from gdcore.store import same_data
    assert same_data(got["data"], load_upload(got["data_bytes"], "scores.csv", x="hours",
                                              y="score"))
    other = load_upload(csv.replace(b"70", b"71"), "scores.csv", x="hours", y="score")
    assert not same_data(got["data"], other)


@pytest.mark.parametrize("bad, says", [
    ("not a url", "is not a database URL"),
    ("nosuchdb://x/y", "cannot use the experiment store"),
    ("postgresql+psycopg://u@127.0.0.1:1/db", "could not be read"),
])
def test_bad_urls_give_one_clear_message(bad, says):
    with pytest.raises(StoreError, match=says):
        Store(bad)


def test_a_lost_connection_gives_a_clear_message_and_the_store_recovers(postgres, result):
    store = Store(postgres.new_database())
    store.save("before", result)
    postgres.stop("immediate")
    try:
        with pytest.raises(StoreError, match="could not list the experiments"):
            store.list()
    finally:
        postgres.start()
    assert store.list()["name"].tolist() == ["before"]  # pre-ping: a new connection


def test_a_read_only_file_and_a_long_lock_give_clear_messages(tmp_path, result):
    path = tmp_path / "ro.sqlite"
    Store(f"sqlite:///{path}").save("x", result)
    if os.geteuid() != 0:  # (root ignores file modes)
        path.chmod(0o444)
        with pytest.raises(StoreError, match="could not save"):
            Store(f"sqlite:///{path}").save("y", result)
        path.chmod(0o644)
    import sqlite3
    holder = sqlite3.connect(path, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")  # another program holds the file
    try:
        with pytest.raises(StoreError, match="locked"):
            Store(f"sqlite:///{path}").save("z", result)
    finally:
        holder.rollback()
        holder.close()


def test_one_servers_sessions_write_at_once(tmp_path, result):
    """WAL mode and the busy timeout: eight threads (a server's sessions) saving at once."""
    url = f"sqlite:///{tmp_path / 'busy.sqlite'}"
    Store(url)
    errors: list[BaseException] = []

    def save(i: int) -> None:
        try:
            Store(url).save(f"session {i}", result)
        except BaseException as err:  # noqa: BLE001 (collected for the assertion)
            errors.append(err)
    threads = [threading.Thread(target=save, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(Store(url).list()) == 8


def test_names_notes_and_tags_are_checked(tmp_path, result):
    store = Store(f"sqlite:///{tmp_path / 'n.sqlite'}")
    for bad, says in (("", "give the experiment a name"), ("x" * 201, "at most 200"),
                      ("\udc80", "not valid Unicode")):
        with pytest.raises(gdcore.GDError, match=says):
            store.save(bad, result)
    with pytest.raises(StoreError, match="at most 20"):
        store.save("t", result, tags=[f"t{i}" for i in range(21)])
    eid = store.save("<b>x</b> [a](b)", result, tags="a, b,,a")
    assert store.get(eid)["name"] == "<b>x</b> [a](b)"  # stored as typed
    assert store.get(eid)["tags"] == ["a", "b"]


def test_history_json_is_exact_and_bounded():
    h = pd.DataFrame({"run": ["a"] * 3000, "step": np.arange(3000),
                      "loss": np.random.default_rng(0).random(3000), "clipped": False})
    back = history_frame(history_json(h))
    assert len(back) == 1000 and back["step"].iloc[[0, -1]].tolist() == [0, 2999]
    np.testing.assert_array_equal(back["loss"], h.set_index("step").loc[back["step"], "loss"])


def _cli(*args, env):
    return subprocess.run([sys.executable, "-m", "gdcore", *args], capture_output=True,
                          text=True, env=env, timeout=300)


def test_cli_run_save_and_store_commands(tmp_path):
    env = {**os.environ, "GDCORE_DB_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}"}
    cfg = tmp_path / "exp.json"
    cfg.write_text(json.dumps(presets.build("batch")))
    out = _cli("run", str(cfg), "--save", "from the CLI", "--note", "n", "--tag", "cli",
               env=env)
    assert out.returncode == 0, out.stderr
    assert "saved as experiment 1" in out.stderr
    listed = _cli("store", "list", env=env)
    assert listed.returncode == 0 and "from the CLI" in listed.stdout and "cli" in listed.stdout
    shown = _cli("store", "show", "1", env=env)
    assert shown.returncode == 0 and '"name": "from the CLI"' in shown.stdout
    exported = tmp_path / "out.json"
    assert _cli("store", "export", "1", "--out", str(exported), env=env).returncode == 0
    assert json.loads(exported.read_text())["experiments"][0]["name"] == "from the CLI"
    status = _cli("store", "status", env=env)
    assert status.returncode == 0 and "cli.sqlite" in status.stdout
    assert _cli("store", "delete", "1", env=env).returncode == 0
    assert "no saved experiments" in _cli("store", "list", env=env).stdout
    assert _cli("store", "import", str(exported), env=env).returncode == 0
    assert "from the CLI" in _cli("store", "list", env=env).stdout
    missing = _cli("store", "show", "42", env=env)
    assert missing.returncode == 2 and missing.stderr.startswith("error: there is no saved")
    broken = _cli("store", "list", env={**env, "GDCORE_DB_URL": "not a url"})
    assert broken.returncode == 2 and "is not a database URL" in broken.stderr
    assert "Traceback" not in broken.stderr


KINDS = {  # every kind of experiment the lab saves
    "features": {"data": {"source": "sample", "name": "cars"}, "runs": [
        {"name": "sgd", "epochs": 5}, {"name": "adam", "epochs": 5, "batch_size": 32,
                                        "optimizer": {"name": "adam", "lr": 0.05}}]},
    "logistic": {"problem": "logistic", "data": {"source": "classes", "n": 200, "features": 2,
                                                 "seed": 1},
                 "runs": [{"epochs": 20, "optimizer": {"name": "adam", "lr": 0.1}}]},
    "function": {"problem": "rosenbrock", "runs": [
        {"epochs": 50, "optimizer": {"name": "adam", "lr": 0.01}},
        {"name": "newton", "epochs": 20, "method": {"name": "newton"}}]},
}


def _sweep_setup() -> dict:
    from lab.sweep import best_setup, sweep

    fn = gdcore.FUNCTIONS["quadratic"]
    df = sweep(fn, {"epochs": 30}, [0.01, 0.1, 0.5, 1.5], optimizers=("sgd", "adam"))
    return best_setup(df, problem="quadratic", data=None, base_run={"epochs": 30})["setup"]


@pytest.mark.parametrize("kind", [*KINDS, "sweep"])
def test_every_kind_of_experiment_reads_back_as_it_was(url, kind):
    setup = _sweep_setup() if kind == "sweep" else KINDS[kind]
    result = gdcore.run_experiment(setup, engine="python")
    store = Store(url)
    eid = store.save(kind, result, tags=[kind])
    got = store.get(eid)
    assert got["experiment"] == result.experiment
    for i, (saved, run) in enumerate(zip(got["runs"], result.runs, strict=True)):
        want = json.loads(json.dumps(result.run_summary(i), default=str))
        assert saved["summary"] == {k: v for k, v in want.items() if k in saved["summary"]}
        assert saved["summary"]["final_loss"] == run.final_loss
        steps = saved["history"]["step"]
        np.testing.assert_array_equal(
            saved["history"]["loss"].to_numpy(),
            run.history.set_index("step").loc[steps, "loss"].to_numpy())
    again = gdcore.run_experiment(got["experiment"], engine="python")  # reopened, rerun
    assert [r.final_loss for r in again.runs] == [r.final_loss for r in result.runs]


KILLED = """
import sys, gdcore
from gdcore.store import Store
from lab import presets
store = Store(sys.argv[1])
result = gdcore.run_experiment(presets.build("optimizers"), engine="python")
print("ready", flush=True)
i = 0
while True:
    store.save(f"save {i}", result)
    i += 1
"""


def test_a_process_killed_while_saving_leaves_no_partial_experiment(url):
    import signal
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-c", KILLED, url], cwd=root,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        store = Store(url)
        while len(store.list()) < 5:  # killed between and inside saves, at whatever point
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    listed = store.list()
    per = store.runs().groupby("experiment").size()
    want = len(presets.build("optimizers")["runs"])
    assert len(listed) >= 5
    assert (per.reindex(listed["id"]).fillna(0) == want).all()  # each whole, or not there
    assert set(per.index) == set(listed["id"])


def test_a_full_disk_gives_one_clear_message_and_keeps_what_was_saved(tmp_path, result):
    """SQLite's own "database or disk is full" (SQLITE_FULL), made real with a page limit on
    every connection: the save that does not fit is refused in one message, nothing of it is
    left, what was saved before is intact, and a smaller save still works."""
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'full.sqlite'}"
    store = Store(url)
    first = store.save("fits", result)
    pages = store.engine.connect().exec_driver_sql("PRAGMA page_count").scalar_one()
    store.engine.dispose()

    def cap(dbapi_conn, _record) -> None:  # room for a few more pages, not for a big save
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages + 3}")
    sa.event.listen(store.engine, "connect", cap)
    big = gdcore.run_experiment({"data": {"source": "generate", "n": 100, "seed": 2}, "runs": [
        {"name": f"r{i}", "batch_size": 4, "epochs": 40, "max_points": 1000} for i in range(16)]},
        engine="python")
    with pytest.raises(StoreError, match=r"could not save the experiment: .*full") as said:
        store.save("too big", big)
    assert "\n" not in str(said.value) and "Traceback" not in str(said.value)
    assert str(said.value).startswith("the experiment store at ")
    assert store.list()["name"].tolist() == ["fits"]  # nothing half-written
    assert store.get(first)["experiment"] == result.experiment
    assert len(store.runs()) == len(result.runs)
