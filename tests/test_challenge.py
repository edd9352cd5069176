"""The classroom challenge board (lab/challenge.py) on SQLite and a real PostgreSQL: the
server re-runs and scores every submission itself (a score cannot be sent), ranks the board,
refuses settings that are not allowed, closed or expired boards, bad names and too-fast
resubmissions; the teacher token is stored only as a salted hash and checked in constant
time; the teacher hides entries, closes the board and downloads formula-safe CSV. And the page,
in AppTest: a student submits, the teacher hides and closes."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from streamlit.testing.v1 import AppTest

import gdcore
from gdcore.store import Store
from lab import challenge as C
from lab import presets

SETUP = presets.build("lr")  # run 1: "lr too small" (sgd, full batch) on generated data


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        return Store(f"sqlite:///{tmp_path / 'board.sqlite'}")
    return Store(request.getfixturevalue("postgres").new_database())


@pytest.fixture(autouse=True)
def no_wait(monkeypatch):
    monkeypatch.setattr(C, "MIN_SECONDS", 0.0)


def test_the_server_scores_what_it_ran_and_ranks_the_board(store):
    code, token = C.create(store, "lowest loss", SETUP, allowed=["optimizer.lr", "epochs"])
    a = C.submit(store, code, "Ada", {"optimizer.lr": 0.5}, session="s1")
    b = C.submit(store, code, "Bo", {"optimizer.lr": 0.01}, session="s2")
    c = C.submit(store, code, "Cy", {"optimizer.lr": 5.0}, session="s3")  # diverges
    exp = gdcore.parse_experiment({**SETUP, "runs": [{**SETUP["runs"][0],
                                                      "optimizer": {"name": "sgd", "lr": 0.5}}]})
    own = gdcore.run_experiment(exp, engine="python").runs[0]
    assert a["score"] == own.final_loss  # the server's own run, exactly
    assert c["score"] is None and c["status"] == "diverged"
    board = C.leaderboard(store, code)
    assert board["name"].tolist() == ["Ada", "Bo", "Cy"]
    assert board["rank"].tolist()[:2] == [1, 2] and board["rank"].isna().tolist()[2]
    assert str(board["rank"].dtype) == "Int64"  # an unranked entry shows empty, not "None"
    assert board["optimizer.lr"].tolist() == [0.5, 0.01, 5.0]
    assert b["score"] > a["score"]


def test_fewest_updates_to_a_target_loss(store):
    code, _ = C.create(store, "race", SETUP, goal="updates_to_loss", target=1.2,
                       allowed=["optimizer.lr"])
    fast = C.submit(store, code, "fast", {"optimizer.lr": 0.5}, session="a")
    slow = C.submit(store, code, "slow", {"optimizer.lr": 0.05}, session="b")
    never = C.submit(store, code, "never", {"optimizer.lr": 1e-6}, session="c")
    assert fast["score"] < slow["score"] and never["score"] is None
    assert C.leaderboard(store, code)["name"].tolist() == ["fast", "slow", "never"]


def test_refusals_name_what_is_wrong(store):
    code, token = C.create(store, "lr only", SETUP, goal="loss_within_updates", budget=30,
                           allowed=["optimizer.lr", "epochs"])
    with pytest.raises(C.ChallengeError, match="does not let you change it"):
        C.submit(store, code, "x", {"batch_size": 1}, session="a")
    with pytest.raises(C.ChallengeError, match="the budget is 30"):
        C.submit(store, code, "x", {"epochs": 31}, session="a")
    with pytest.raises(gdcore.GDError, match="optimizer.lr: must be"):
        C.submit(store, code, "x", {"optimizer.lr": -1.0}, session="a")
    with pytest.raises(C.ChallengeError, match="display name"):
        C.submit(store, code, "  ", {"optimizer.lr": 0.1}, session="a")
    with pytest.raises(C.ChallengeError, match="not valid Unicode"):
        C.submit(store, code, "\udc80", {"optimizer.lr": 0.1}, session="a")
    with pytest.raises(C.ChallengeError, match="at most 40"):
        C.submit(store, code, "n" * 41, {"optimizer.lr": 0.1}, session="a")
    with pytest.raises(C.ChallengeError, match="no challenge"):
        C.submit(store, "nope", "x", {}, session="a")
    with pytest.raises(C.ChallengeError, match="uploaded file"):
        C.create(store, "t", {**SETUP, "data": {"source": "csv", "path": "a.csv"}})
    C.close(store, code, token)
    with pytest.raises(C.ChallengeError, match="closed"):
        C.submit(store, code, "late", {"optimizer.lr": 0.1}, session="b")
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    expired, _ = C.create(store, "over", SETUP, closes=past)
    with pytest.raises(C.ChallengeError, match="closed"):
        C.submit(store, expired, "late", {"optimizer.lr": 0.1}, session="b")


def test_submissions_are_rate_limited_per_session(store, monkeypatch):
    code, _ = C.create(store, "limits", SETUP)
    monkeypatch.setattr(C, "MIN_SECONDS", 60.0)
    C.submit(store, code, "me", {"optimizer.lr": 0.1}, session="same")
    with pytest.raises(C.ChallengeError, match="wait .* s before submitting again"):
        C.submit(store, code, "me", {"optimizer.lr": 0.2}, session="same")
    C.submit(store, code, "you", {"optimizer.lr": 0.2}, session="other")  # another session
    monkeypatch.setattr(C, "MIN_SECONDS", 0.0)
    monkeypatch.setattr(C, "MAX_PER_SESSION", 2)
    C.submit(store, code, "me", {"optimizer.lr": 0.3}, session="same")
    with pytest.raises(C.ChallengeError, match="that is the limit"):
        C.submit(store, code, "me", {"optimizer.lr": 0.4}, session="same")


def test_the_teacher_token_is_a_salted_hash_and_unlocks_the_teachers_actions(store):
    code, token = C.create(store, "secret", SETUP)
    code2, token2 = C.create(store, "other", SETUP)
    sa = store._sa
    with store.engine.begin() as conn:
        rows = conn.execute(sa.text("SELECT code, salt, secret FROM challenges")).all()
    stored = " ".join(" ".join(r) for r in rows)
    assert token not in stored and token2 not in stored  # never the token itself
    assert len({r[1] for r in rows}) == 2  # a salt per board
    assert C.is_teacher(store, code, token) and not C.is_teacher(store, code, token2)
    assert not C.is_teacher(store, code, "") and not C.is_teacher(store, code, None)
    entry = C.submit(store, code, "=cmd|' /C calc'!A0", {"optimizer.lr": 0.1}, session="s")
    with pytest.raises(C.ChallengeError, match="not the teacher link"):
        C.close(store, code, token2)
    full = C.leaderboard(store, code, hidden=True)
    eid = int(full["entry"].iloc[0])
    C.hide(store, code, token, eid)
    assert C.leaderboard(store, code).empty and len(C.leaderboard(store, code, hidden=True)) == 1
    csv = C.entries_csv(store, code, token)
    assert "'=cmd" in csv and "\n=cmd" not in csv  # formula-safe
    assert entry["name"] == "=cmd|' /C calc'!A0"  # stored as typed


def test_the_page_student_submits_and_teacher_hides_and_closes(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'page.sqlite'}"
    monkeypatch.setenv("GDCORE_DB_URL", url)
    store = Store(url)
    code, token = C.create(store, "**bold** title", SETUP, allowed=["optimizer.lr"])
    at = AppTest.from_file("../pages/5_Challenge.py", default_timeout=120)
    at.query_params["c"] = code
    at.run()
    assert not at.exception, at.exception
    assert "\\*\\*bold\\*\\*" in at.subheader[0].value  # the title shown as typed
    at.number_input(key="ch_lr").set_value(0.5)
    at.text_input(key="ch_name").set_value("Ada").run()
    at.button(key="ch_submit").click().run()
    assert not at.exception, at.exception
    assert "the server ran it" in at.success[0].value
    assert C.leaderboard(store, code)["name"].tolist() == ["Ada"]
    teacher = AppTest.from_file("../pages/5_Challenge.py", default_timeout=120)
    teacher.query_params["c"] = code
    teacher.query_params["t"] = token
    teacher.run()
    assert "Teacher view" in " ".join(c.value for c in teacher.caption)
    entry = int(C.leaderboard(store, code, hidden=True)["entry"].iloc[0])
    teacher.number_input(key="ch_entry").set_value(entry)
    teacher.button(key="ch_hide").click().run()
    assert C.leaderboard(store, code).empty
    teacher.button(key="ch_close").click().run()
    assert not C.info(store, code)["open"]
    wrong = AppTest.from_file("../pages/5_Challenge.py", default_timeout=120)
    wrong.query_params["c"] = code
    wrong.query_params["t"] = "guess"
    wrong.run()
    assert "Teacher view" not in " ".join(c.value for c in wrong.caption)


def test_a_board_made_from_the_page(tmp_path, monkeypatch):
    monkeypatch.setenv("GDCORE_DB_URL", f"sqlite:///{tmp_path / 'made.sqlite'}")
    at = AppTest.from_file("../dashboard.py", default_timeout=120).run()
    at.switch_page("pages/5_Challenge.py").run()
    assert not at.exception, at.exception
    at.text_input(key="ch_title").set_value("class race").run()
    at.button(key="ch_create").click().run()
    assert not at.exception, at.exception
    links = [t.value for t in at.text]
    student = next(v for v in links if v.startswith("Student link"))
    assert "?c=" in student and any("&t=" in v for v in links)
    store = Store(f"sqlite:///{tmp_path / 'made.sqlite'}")
    code = student.split("?c=")[1].strip()
    assert C.info(store, code)["title"] == "class race"
    assert json.loads(json.dumps(C.info(store, code)["setup"]))["runs"][0]["name"] == "lr too small"


def _together(n: int, work) -> list:
    """``work(i)`` in ``n`` threads started at once; what each returned or raised."""
    import threading

    out: list = [None] * n
    go = threading.Barrier(n)

    def one(i: int) -> None:
        go.wait()
        try:
            out[i] = work(i)
        except BaseException as err:  # noqa: BLE001 (collected for the assertions)
            out[i] = err
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return out


CHILD = """
import sys, threading
from gdcore.store import Store
from lab import challenge as C
C.MIN_SECONDS = 0.0
url, code, who = sys.argv[1], sys.argv[2], sys.argv[3]
store = Store(url)
go = threading.Barrier(6)
def one(i):
    go.wait()
    C.submit(store, code, f"{who}-{i}", {"optimizer.lr": 0.01 * (i + 1)}, session=f"{who}-{i}")
threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
[t.start() for t in threads]
[t.join(120) for t in threads]
"""


def test_thirty_submitters_at_once_threads_and_processes_nothing_lost_or_doubled(store):
    import subprocess
    import sys
    from pathlib import Path

    code, _ = C.create(store, "class", SETUP, allowed=["optimizer.lr"])
    got = _together(30, lambda i: C.submit(store, code, f"student {i}",
                                           {"optimizer.lr": 0.01 * (i + 1)},
                                           session=f"tab {i}"))
    assert not [g for g in got if isinstance(g, BaseException)], got
    root = Path(__file__).resolve().parents[1]
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, store.url, code, f"p{k}"],
                              cwd=root, stderr=subprocess.PIPE, text=True) for k in range(5)]
    for p in procs:
        assert p.wait(180) == 0, p.stderr.read()[-2000:]
    board = C.leaderboard(store, code)
    names = board["name"].tolist()
    want = {f"student {i}" for i in range(30)} | {f"p{k}-{i}" for k in range(5) for i in range(6)}
    assert len(names) == 60 and set(names) == want  # every one, once
    own = gdcore.run_experiment({**SETUP, "runs": [{**SETUP["runs"][0], "optimizer": {
        "name": "sgd", "lr": 0.01 * 7}}]}, engine="python").runs[0]
    row = board.set_index("name").loc["student 6"]
    assert row["score"] == own.final_loss  # scored by the server's own run


def test_one_session_submitting_many_at_once_gets_its_limit_not_more(store, monkeypatch):
    code, token = C.create(store, "limit", SETUP, allowed=["optimizer.lr"])
    monkeypatch.setattr(C, "MAX_PER_SESSION", 3)
    got = _together(12, lambda i: C.submit(store, code, "me", {"optimizer.lr": 0.01 * (i + 1)},
                                           session="one tab"))
    taken = [g for g in got if isinstance(g, dict)]
    refused = [g for g in got if isinstance(g, C.ChallengeError)]
    assert len(taken) == 3 and len(refused) == 9, got
    assert all("that is the limit" in str(e) for e in refused)
    assert len(C.leaderboard(store, code)) == 3
    # and a board the teacher closes while submissions run takes none after it
    C.close(store, code, token)
    late = _together(4, lambda i: C.submit(store, code, f"late {i}", {"optimizer.lr": 0.1},
                                           session=f"s{i}"))
    assert all(isinstance(g, C.ChallengeError) and "closed" in str(g) for g in late)
    assert len(C.leaderboard(store, code)) == 3


def test_classroom_mode_shows_the_board_and_no_form(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'room.sqlite'}"
    monkeypatch.setenv("GDCORE_DB_URL", url)
    store = Store(url)
    code, _ = C.create(store, "projected", SETUP, allowed=["optimizer.lr"])
    C.submit(store, code, "<i>Bo</i>", {"optimizer.lr": 0.5}, session="s")
    at = AppTest.from_file("../pages/5_Challenge.py", default_timeout=120)
    at.query_params["c"] = code
    at.query_params["classroom"] = "1"
    at.run()
    assert not at.exception, at.exception
    assert not at.text_input and not at.number_input and not at.button  # nothing to edit
    board = at.dataframe[0].value
    assert board["name"].tolist() == ["<i>Bo</i>"]  # a cell: plain text
    assert "Classroom mode: the board" in " ".join(c.value for c in at.caption)
