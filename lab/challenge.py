"""A classroom challenge board, kept in the experiment store (gdcore/store.py, schema v3).

A teacher turns a setup's first run into a challenge: a **goal**, the **settings** students may
change, an optional **closing time**. :func:`create` returns the board's public code (the
student link) and a secret teacher token, shown once: only a salted hash of it is stored
(PBKDF2-HMAC-SHA256, 200,000 iterations, a 16-byte salt per board), compared in constant time.

Goals (lower scores rank higher):

* ``final_loss``: the lowest final loss (full data) after the run;
* ``updates_to_loss``: the fewest updates until the loss first falls to ``target``
  (a run that never does is listed last, unranked);
* ``loss_within_updates``: the lowest final loss of a run of at most ``budget`` updates.

A student submits settings and a display name; **the server runs the submission itself**, from
the challenge's own data and base run with only the allowed settings changed, and scores what
it ran (nothing a browser sends is a score). A submission is refused with one clear message
when a setting is not allowed, when the board is closed or past its closing time, when the
name is empty, too long or not valid text, or when the same session submitted less than
:data:`MIN_SECONDS` ago or :data:`MAX_PER_SESSION` times already. Names are stored as typed
and shown as text. The teacher can hide an entry, close the board and download every entry as
a formula-safe CSV.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from gdcore.checks import unicode_problem
from gdcore.engine.runner import load_dataset, make_problem, over_budget, run
from gdcore.errors import ConfigError, GDError
from gdcore.limits import updates_per_epoch
from gdcore.spec.config import parse_experiment
from gdcore.spec.export import csv_text
from gdcore.store import Store, StoreError

GOALS = {"final_loss": "lowest final loss",
         "updates_to_loss": "fewest updates to reach the target loss",
         "loss_within_updates": "lowest final loss within a budget of updates"}
#: What a challenge may let students change (a run's field, or its optimizer's).
SETTINGS = ("optimizer.name", "optimizer.lr", "optimizer.momentum", "batch_size", "epochs")
MIN_SECONDS = 10.0  # between two submissions of one session
MAX_PER_SESSION = 30  # submissions of one session to one board
MAX_NAME_CHARS = 40
ITERATIONS = 200_000


class ChallengeError(GDError):
    """A challenge cannot do what was asked (the message says why)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _hash(token: str, salt: bytes) -> str:
    return hashlib.pbkdf2_hmac("sha256", token.encode(), salt, ITERATIONS).hex()


def _get(store: Store, conn, code: str):
    sa = store._sa
    row = conn.execute(sa.text(
        "SELECT id, code, title, goal, setup, allowed, closes, closed, salt, secret FROM "
        "challenges WHERE code = :c"), {"c": code}).first()
    if row is None:
        raise ChallengeError(f"there is no challenge {code!r}: check the link")
    return row


def create(store: Store, title: str, setup: Mapping[str, Any], *, goal: str = "final_loss",
           target: float | None = None, budget: int | None = None,
           allowed: Sequence[str] = ("optimizer.lr",),
           closes: dt.datetime | None = None) -> tuple[str, str]:
    """A new board on ``setup``'s first run; returns (code, teacher token)."""
    exp = parse_experiment(dict(setup))
    if exp.data.get("source") == "csv":
        raise ChallengeError("a challenge runs on data every student's server has: generated or "
                             "sample data, not an uploaded file")
    if goal not in GOALS:
        raise ChallengeError(f"goal: choose one of {', '.join(GOALS)}")
    if goal == "updates_to_loss" and not (target is not None and math.isfinite(target)):
        raise ChallengeError("target: the loss to reach (a number)")
    if goal == "loss_within_updates" and not (budget is not None and int(budget) >= 1):
        raise ChallengeError("budget: the most updates a run may take (a whole number >= 1)")
    bad = [s for s in allowed if s not in SETTINGS]
    if bad or not allowed:
        raise ChallengeError(f"allowed settings: choose from {', '.join(SETTINGS)}")
    if not isinstance(title, str) or not title.strip() or len(title) > 200 or unicode_problem(
            title):
        raise ChallengeError("title: give the challenge a title (at most 200 characters)")
    base = {k: v for k, v in exp.to_dict().items() if k != "repeats"}  # one run, once
    base["runs"] = [exp.runs[0].to_dict()]
    code = secrets.token_urlsafe(9)
    token = secrets.token_urlsafe(24)
    salt = secrets.token_bytes(16)
    row = {"code": code, "title": " ".join(title.split()),
           "goal": json.dumps({"kind": goal, "target": target,
                               "budget": int(budget) if budget is not None else None}),
           "setup": json.dumps(base), "allowed": json.dumps(list(allowed)),
           "closes": closes.astimezone(dt.UTC).isoformat() if closes else None,
           "closed": 0, "salt": salt.hex(), "secret": _hash(token, salt),
           "created": _now().isoformat(timespec="seconds")}
    sa = store._sa
    cols = ", ".join(row)
    marks = ", ".join(f":{k}" for k in row)
    store._run("create the challenge", lambda conn: conn.execute(
        sa.text(f"INSERT INTO challenges ({cols}) VALUES ({marks})"), row))
    return code, token


def info(store: Store, code: str) -> dict[str, Any]:
    """What a student sees of board ``code``: title, goal, allowed settings, base run, state."""
    row = store._run("read the challenge", lambda conn: _get(store, conn, code))
    goal = json.loads(row[3])
    closes = dt.datetime.fromisoformat(row[6]) if row[6] else None
    return {"code": row[1], "title": row[2], "goal": goal, "goal_text": goal_text(goal),
            "setup": json.loads(row[4]), "allowed": json.loads(row[5]), "closes": closes,
            "open": not row[7] and (closes is None or _now() < closes)}


def goal_text(goal: Mapping[str, Any]) -> str:
    kind = goal["kind"]
    if kind == "updates_to_loss":
        return f"Fewest updates until the loss reaches {goal['target']:.6g}."
    if kind == "loss_within_updates":
        return f"Lowest final loss with at most {goal['budget']:,} updates."
    return "Lowest final loss."


def is_teacher(store: Store, code: str, token: str | None) -> bool:
    """Whether ``token`` is board ``code``'s teacher token (constant-time comparison)."""
    if not token or not isinstance(token, str) or len(token) > 200:
        return False
    row = store._run("read the challenge", lambda conn: _get(store, conn, code))
    return hmac.compare_digest(_hash(token, bytes.fromhex(row[8])), row[9])


def _with(base_run: dict[str, Any], changes: Mapping[str, Any],
          allowed: Sequence[str]) -> dict[str, Any]:
    out = json.loads(json.dumps(base_run))
    for key, value in changes.items():
        if key not in allowed:
            raise ChallengeError(f"{key}: this challenge does not let you change it; you may "
                                 f"change {', '.join(allowed)}")
        if key.startswith("optimizer."):
            part = key.split(".", 1)[1]
            if part == "name":
                lr = out["optimizer"].get("lr")
                out["optimizer"] = {"name": value, **({"lr": lr} if lr is not None else {})}
            else:
                out["optimizer"][part] = value
        else:
            out[key] = value
    return out


def submit(store: Store, code: str, name: str, changes: Mapping[str, Any], *,
           session: str) -> dict[str, Any]:
    """Run and score a student's submission; returns its entry (rank not included)."""
    board = info(store, code)
    if not board["open"]:
        raise ChallengeError("this challenge is closed: submissions are no longer taken")
    if not isinstance(name, str) or not name.strip():
        raise ChallengeError("name: give a display name")
    problem_text = unicode_problem(name)
    if problem_text:
        raise ChallengeError(f"name: {problem_text}")
    name = " ".join(name.split())
    if len(name) > MAX_NAME_CHARS:
        raise ChallengeError(f"name: at most {MAX_NAME_CHARS} characters, got {len(name)}")
    sa = store._sa
    cid = store._run("read the challenge", lambda conn: _get(store, conn, code))[0]
    times = store._run("read the entries", lambda conn: conn.execute(sa.text(
        "SELECT created FROM entries WHERE challenge_id = :c AND session = :s ORDER BY created "
        "DESC"), {"c": cid, "s": session}).scalars().all())
    if len(times) >= MAX_PER_SESSION:
        raise ChallengeError(f"you have submitted {MAX_PER_SESSION} times: that is the limit")
    if times:
        waited = (_now() - dt.datetime.fromisoformat(times[0])).total_seconds()
        if waited < MIN_SECONDS:
            raise ChallengeError(f"wait {math.ceil(MIN_SECONDS - waited)} s before submitting "
                                 "again")
    setup = board["setup"]
    run_dict = _with(setup["runs"][0], changes, board["allowed"])
    run_dict["name"] = "submission"
    try:
        exp = parse_experiment({**setup, "runs": [run_dict]})
    except ConfigError as err:
        raise ChallengeError(str(err).replace("runs[0].", "")) from None
    goal = board["goal"]
    if exp.problem in ("linear", "logistic"):
        ds = load_dataset(exp.data, problem=exp.problem)
        problem = make_problem(exp.problem, ds)
    else:
        ds, problem = None, make_problem(exp.problem)
    too_much = over_budget(exp, problem)
    if too_much:
        raise ChallengeError(too_much)
    if goal["kind"] == "loss_within_updates":
        cfg = exp.runs[0]
        rows = getattr(problem, "n", None)
        updates = cfg.epochs * (updates_per_epoch(rows, cfg.batch_size) if rows else 1)
        if updates > goal["budget"]:
            raise ChallengeError(f"this run would take {updates:,} updates; the budget is "
                                 f"{goal['budget']:,}: fewer epochs or a larger batch")
    res = run(problem, exp.runs[0], dataset=ds)
    score = _score(goal, res)
    entry = {"challenge_id": cid, "name": name, "setup": json.dumps(run_dict),
             "score": score, "final_loss": _finite(res.final_loss), "steps": int(res.steps),
             "status": res.status, "hidden": 0, "session": str(session)[:100],
             "created": _now().isoformat(timespec="microseconds")}
    if not _admit(store, cid, entry):  # closed, or this session's limit, meanwhile
        _refusal(store, code, cid, entry["session"])
        raise ChallengeError("the submission was not taken; try again")
    return {**entry, "changes": dict(changes)}


#: the entries table's column types, so a conditional INSERT ... SELECT of bound values types
#: them the same on SQLite and PostgreSQL (a bare NULL parameter has no type there)
_ENTRY_TYPES = {"challenge_id": "INTEGER", "name": "VARCHAR(200)", "setup": "TEXT",
                "score": "DOUBLE PRECISION", "final_loss": "DOUBLE PRECISION",
                "steps": "INTEGER", "status": "VARCHAR(40)", "hidden": "INTEGER",
                "session": "VARCHAR(100)", "created": "VARCHAR(40)"}


def _admit(store: Store, cid: int, entry: Mapping[str, Any]) -> bool:
    """Insert ``entry`` only if, at that moment, the board is open and its session is within
    its limits: one statement, in one transaction that holds the board (PostgreSQL: the
    challenge's row locked; SQLite: one writer at a time), so two submissions of one session
    at once cannot both slip under the limit, and none lands after the teacher closed the
    board. Returns whether it was taken."""
    sa = store._sa
    cutoff = (_now() - dt.timedelta(seconds=MIN_SECONDS)).isoformat(timespec="microseconds")
    cols = ", ".join(entry)
    values = ", ".join(f"CAST(:{k} AS {_ENTRY_TYPES[k]})" for k in entry)

    def write(conn) -> bool:
        if conn.dialect.name == "postgresql":  # one submission to a board at a time
            conn.execute(sa.text("SELECT id FROM challenges WHERE id = :c FOR UPDATE"),
                         {"c": cid})
        # (no wait asked: no time test, whose clocks two threads need not agree on)
        recent = ("" if MIN_SECONDS <= 0 else " AND NOT EXISTS (SELECT 1 FROM entries WHERE "
                  "challenge_id = :c AND session = :session AND created > :cutoff)")
        taken = conn.execute(sa.text(
            f"INSERT INTO entries ({cols}) SELECT {values} WHERE "
            "(SELECT closed FROM challenges WHERE id = :c) = 0 AND (SELECT COUNT(*) FROM "
            "entries WHERE challenge_id = :c AND session = :session) < :most" + recent),
            {**entry, "c": cid, "most": MAX_PER_SESSION, "cutoff": cutoff}).rowcount
        return taken == 1
    return store._run("save the submission", write)


def _refusal(store: Store, code: str, cid: int, session: str) -> None:
    """Raise why a submission was not taken (the board closed, or the session's limit)."""
    if not info(store, code)["open"]:
        raise ChallengeError("this challenge is closed: submissions are no longer taken")
    n = store._run("read the entries", lambda conn: conn.execute(store._sa.text(
        "SELECT COUNT(*) FROM entries WHERE challenge_id = :c AND session = :s"),
        {"c": cid, "s": session}).scalar_one())
    if n >= MAX_PER_SESSION:
        raise ChallengeError(f"you have submitted {MAX_PER_SESSION} times: that is the limit")
    raise ChallengeError(f"wait {math.ceil(MIN_SECONDS)} s before submitting again")


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _score(goal: Mapping[str, Any], res) -> float | None:
    """The score of a run the server made (lower is better; None: unranked)."""
    if res.status == "diverged":
        return None
    if goal["kind"] == "updates_to_loss":
        hist = res.history
        reached = hist.loc[hist["loss"] <= goal["target"], "step"]
        return float(reached.iloc[0]) if len(reached) else None
    return _finite(res.final_loss)


def leaderboard(store: Store, code: str, *, hidden: bool = False) -> pd.DataFrame:
    """The board: rank, name, score, the settings used, status; ranked entries first (lowest
    score), then the unranked (diverged, or never reached the target). ``hidden``: the
    teacher's view, with the hidden entries and an entry id."""
    sa = store._sa
    cid = store._run("read the challenge", lambda conn: _get(store, conn, code))[0]
    rows = store._run("read the entries", lambda conn: conn.execute(sa.text(
        "SELECT id, name, setup, score, final_loss, steps, status, hidden, created FROM entries "
        "WHERE challenge_id = :c"), {"c": cid}).all())
    allowed = info(store, code)["allowed"]
    out = []
    for eid, name, setup, score, final, steps, status, hid, created in rows:
        if hid and not hidden:
            continue
        run_dict = json.loads(setup)
        used = {}
        for key in allowed:
            part = run_dict
            for piece in key.split("."):
                part = part.get(piece) if isinstance(part, Mapping) else None
            used[key] = json.dumps(part) if isinstance(part, (dict, list)) else part
        out.append({"entry": int(eid), "name": name, "score": score, "final loss": final,
                    "updates": steps, "status": status, "hidden": bool(hid),
                    "submitted": created, **used})
    df = pd.DataFrame(out, columns=["entry", "name", "score", "final loss", "updates", "status",
                                    "hidden", "submitted", *allowed])
    df = df.assign(_unranked=df["score"].isna()).sort_values(
        ["_unranked", "score", "submitted"], kind="stable").drop(columns="_unranked")
    ranked = df["score"].notna().to_numpy()
    df.insert(0, "rank", pd.array([i + 1 if ok else None for i, ok in enumerate(ranked)],
                                  dtype="Int64"))  # unranked: empty, not "None"
    if not hidden:
        df = df.drop(columns=["entry", "hidden"])
    return df.reset_index(drop=True)


def _teacher(store: Store, code: str, token: str) -> int:
    if not is_teacher(store, code, token):
        raise ChallengeError("this is not the teacher link of this challenge")
    return store._run("read the challenge", lambda conn: _get(store, conn, code))[0]


def hide(store: Store, code: str, token: str, entry: int, hidden: bool = True) -> None:
    cid = _teacher(store, code, token)
    sa = store._sa
    store._run("hide the entry", lambda conn: conn.execute(sa.text(
        "UPDATE entries SET hidden = :h WHERE id = :e AND challenge_id = :c"),
        {"h": int(hidden), "e": int(entry), "c": cid}))


def close(store: Store, code: str, token: str) -> None:
    cid = _teacher(store, code, token)
    sa = store._sa
    store._run("close the challenge", lambda conn: conn.execute(sa.text(
        "UPDATE challenges SET closed = 1 WHERE id = :c"), {"c": cid}))


def entries_csv(store: Store, code: str, token: str) -> str:
    """Every entry (hidden ones too) as formula-safe CSV, for the teacher."""
    _teacher(store, code, token)
    return csv_text(leaderboard(store, code, hidden=True))


__all__ = ["GOALS", "SETTINGS", "ChallengeError", "StoreError", "close", "create",
           "entries_csv", "goal_text", "hide", "info", "is_teacher", "leaderboard", "submit"]
