"""The experiment store: saved experiments in a real database, through SQLAlchemy.

    store = Store()                          # GDCORE_DB_URL, else an SQLite file (below)
    eid = store.save("lr on cars", result, note="Monday", tags=["lr"])
    store.list(); store.get(eid); store.export([eid]); store.delete(eid)

Where: the SQLAlchemy URL in ``GDCORE_DB_URL`` (``postgresql+psycopg://user:pw@host/db``: the
way to keep experiments on Streamlit Community Cloud, whose disk is wiped on every wake; the
app also reads ``[connections.lab] url`` from ``.streamlit/secrets.toml``), else an SQLite file
in the per-user data directory (``$XDG_DATA_HOME/gdcore/experiments.sqlite``, by default under
``~/.local/share``), opened in WAL mode so one server's sessions write at once, with a 5 s
busy timeout. ``python -m gdcore store status`` prints which.

Stored per experiment: its name, note, tags and time (UTC), the setup in the engine's JSON
format, a fingerprint of the data (source, columns, row count, the content hash), and per run
its summary and its history (at most :data:`HISTORY_ROWS` rows, evenly spread, first and last
kept; floats exact). Uploaded data is stored only when asked (``keep_data`` with the file's
bytes); otherwise reopening it needs the same file, which the fingerprint checks.

The schema is versioned: ``schema_version`` holds the number, and :data:`MIGRATIONS` take an
empty database (or one at any earlier version) to the current one, each step in its own
transaction; a database from a newer program is refused, never changed. Every failure to open,
migrate, read or write (a bad URL, a missing driver, a locked or read-only file, a full disk, a
lost connection) is a :class:`StoreError` with one clear message.

Long because the schema, its migrations and every query live together: a migration and the
query that reads its columns must change in one place.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .checks import valid_text
from .errors import GDError
from .spec.config import _json_depth_problem, parse_experiment

HISTORY_ROWS = 1000  # per run, stored
MAX_NAME_CHARS = 200
MAX_NOTE_CHARS = 5000
MAX_TAGS = 20
MAX_TAG_CHARS = 40
MAX_KEPT_DATA = 20 << 20  # bytes of an upload kept with an experiment
EXPORT_FORMAT = "gdcore-experiments"


class StoreError(GDError):
    """The experiment store cannot do what was asked (the message says why and what to do)."""


def data_dir() -> Path:
    """The per-user data directory: ``$XDG_DATA_HOME/gdcore`` (default ``~/.local/share``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "gdcore"


def default_url() -> str:
    """``GDCORE_DB_URL``, else the per-user SQLite file."""
    return os.environ.get("GDCORE_DB_URL") or f"sqlite:///{data_dir() / 'experiments.sqlite'}"


def shown_url(url: str) -> str:
    """A URL fit to print: any password replaced by ``***``."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


# --- schema and migrations ---------------------------------------------------------------------
def _v1(conn, sa) -> None:
    """Version 1: experiments and their runs."""
    conn.execute(sa.text(
        "CREATE TABLE experiments (id INTEGER PRIMARY KEY {auto}, name VARCHAR(200) NOT NULL, "
        "note TEXT NOT NULL, created VARCHAR(40) NOT NULL, setup TEXT NOT NULL, "
        "problem VARCHAR(40) NOT NULL, data_source TEXT NOT NULL, data_columns TEXT NOT NULL, "
        "data_rows INTEGER NOT NULL, data_hash VARCHAR(64) NOT NULL, data_name TEXT, "
        "data_blob {blob})".format(**_dialect(conn))))
    conn.execute(sa.text(
        "CREATE TABLE runs (id INTEGER PRIMARY KEY {auto}, experiment_id INTEGER NOT NULL "
        "REFERENCES experiments(id) ON DELETE CASCADE, position INTEGER NOT NULL, "
        "name VARCHAR(200) NOT NULL, summary TEXT NOT NULL, history TEXT NOT NULL)"
        .format(**_dialect(conn))))
    conn.execute(sa.text("CREATE INDEX runs_experiment ON runs (experiment_id)"))


def _v2(conn, sa) -> None:
    """Version 2: tags (a JSON list), and an index on the time for the newest-first list."""
    conn.execute(sa.text("ALTER TABLE experiments ADD COLUMN tags TEXT NOT NULL DEFAULT '[]'"))
    conn.execute(sa.text("CREATE INDEX experiments_created ON experiments (created)"))


def _v3(conn, sa) -> None:
    """Version 3: classroom challenge boards and their entries (lab/challenge.py)."""
    conn.execute(sa.text(
        "CREATE TABLE challenges (id INTEGER PRIMARY KEY {auto}, code VARCHAR(40) NOT NULL "
        "UNIQUE, title VARCHAR(200) NOT NULL, goal TEXT NOT NULL, setup TEXT NOT NULL, "
        "allowed TEXT NOT NULL, closes VARCHAR(40), closed INTEGER NOT NULL, "
        "salt VARCHAR(64) NOT NULL, secret VARCHAR(128) NOT NULL, created VARCHAR(40) NOT NULL)"
        .format(**_dialect(conn))))
    conn.execute(sa.text(
        "CREATE TABLE entries (id INTEGER PRIMARY KEY {auto}, challenge_id INTEGER NOT NULL "
        "REFERENCES challenges(id) ON DELETE CASCADE, name VARCHAR(200) NOT NULL, "
        "setup TEXT NOT NULL, score DOUBLE PRECISION, final_loss DOUBLE PRECISION, "
        "steps INTEGER NOT NULL, status VARCHAR(40) NOT NULL, hidden INTEGER NOT NULL, "
        "session VARCHAR(100) NOT NULL, created VARCHAR(40) NOT NULL)"
        .format(**_dialect(conn))))
    conn.execute(sa.text("CREATE INDEX entries_challenge ON entries (challenge_id)"))


MIGRATIONS: tuple[Callable, ...] = (_v1, _v2, _v3)  # MIGRATIONS[k] takes version k to k + 1
SCHEMA_VERSION = len(MIGRATIONS)


def _dialect(conn) -> dict[str, str]:
    if conn.dialect.name == "postgresql":
        return {"auto": "GENERATED BY DEFAULT AS IDENTITY", "blob": "BYTEA"}
    return {"auto": "AUTOINCREMENT" if conn.dialect.name == "sqlite" else "", "blob": "BLOB"}


def _import_sqlalchemy():
    try:
        import sqlalchemy as sa
    except ImportError as err:  # (a requirement: a broken install)
        raise StoreError("the experiment store needs SQLAlchemy: pip install -r "
                         "requirements.txt") from err
    return sa


def _plain_error(err: BaseException) -> str:
    """The database's own reason, in one line."""
    orig = getattr(err, "orig", None) or err
    text = " ".join(str(orig).split())
    return text[:300] or type(orig).__name__


class Store:
    """Saved experiments in the database at ``url`` (:func:`default_url`), migrated on open
    to :data:`SCHEMA_VERSION` (up to ``upto``, for tests of the migrations)."""

    def __init__(self, url: str | None = None, *, upto: int | None = None) -> None:
        sa = self._sa = _import_sqlalchemy()
        self.url = url or default_url()
        try:
            parsed = sa.engine.make_url(self.url)
        except Exception as err:  # noqa: BLE001 (SQLAlchemy raises its own ArgumentError)
            raise StoreError(f"the experiment store URL {shown_url(self.url)!r} is not a "
                             f"database URL ({_plain_error(err)}); set GDCORE_DB_URL to e.g. "
                             "sqlite:///experiments.sqlite or postgresql+psycopg://user@host/db"
                             ) from None
        self.path = None
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                self.path = Path(parsed.database).expanduser()
                try:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as err:
                    raise StoreError(f"cannot create the folder for the experiment store "
                                     f"{str(self.path.parent)!r}: {err.strerror}") from None
            kwargs["connect_args"] = {"timeout": 5.0}
        elif parsed.get_backend_name() == "postgresql":
            kwargs["connect_args"] = {"connect_timeout": 5}
        try:
            self.engine = sa.create_engine(parsed, **kwargs)
        except Exception as err:  # noqa: BLE001 (a missing driver, a bad option)
            raise StoreError(f"cannot use the experiment store at {shown_url(self.url)}: "
                             f"{_plain_error(err)}") from None
        if parsed.get_backend_name() == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self._migrate(SCHEMA_VERSION if upto is None else upto)

    # --- plumbing -----------------------------------------------------------------------------
    def _run(self, what: str, work: Callable[[Any], Any]) -> Any:
        """``work(conn)`` in one transaction; a database error becomes a StoreError."""
        sa = self._sa
        try:
            with self.engine.begin() as conn:
                return work(conn)
        except StoreError:
            raise
        except sa.exc.SQLAlchemyError as err:
            raise StoreError(f"the experiment store at {shown_url(self.url)} could not {what}: "
                             f"{_plain_error(err)}") from None
        except OSError as err:
            raise StoreError(f"the experiment store at {shown_url(self.url)} could not {what}: "
                             f"{err.strerror or err}") from None

    def version(self) -> int:
        """The database's schema version (0: empty)."""
        sa = self._sa

        def read(conn):
            if not sa.inspect(conn).has_table("schema_version"):
                return 0
            return int(conn.execute(sa.text("SELECT version FROM schema_version")).scalar_one())
        return self._run("be read", read)

    def _migrate(self, upto: int) -> None:
        sa = self._sa
        now = self.version()
        if now > SCHEMA_VERSION:
            raise StoreError(f"the experiment store at {shown_url(self.url)} has schema version "
                             f"{now}, newer than this program's {SCHEMA_VERSION}: use a newer "
                             "gdcore, or another GDCORE_DB_URL")
        for k in range(now, upto):
            def step(conn, k=k):
                if k == 0:
                    conn.execute(sa.text("CREATE TABLE schema_version (version INTEGER NOT NULL)"))
                    conn.execute(sa.text("INSERT INTO schema_version (version) VALUES (0)"))
                MIGRATIONS[k](conn, sa)
                conn.execute(sa.text("UPDATE schema_version SET version = :v"), {"v": k + 1})
            self._run(f"be migrated to schema version {k + 1}", step)

    # --- writing ------------------------------------------------------------------------------
    def save(self, name: str, result, *, note: str = "", tags: Sequence[str] = (),
             data_bytes: bytes | None = None, data_name: str | None = None) -> int:
        """Store ``result`` (a :class:`gdcore.ExperimentResult`) and return its id. The data
        itself is kept only when ``data_bytes`` (an upload's file) is given."""
        name, note, tags = _clean_name(name), _clean_note(note), _clean_tags(tags)
        if data_bytes is not None and len(data_bytes) > MAX_KEPT_DATA:
            raise StoreError(f"the data file is {len(data_bytes):,} bytes; at most "
                             f"{MAX_KEPT_DATA:,} are kept with an experiment")
        exp = result.experiment
        ds = result.dataset
        row = {"name": name, "note": note, "tags": json.dumps(tags),
               "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
               "setup": exp.to_json(indent=None), "problem": exp.problem,
               **fingerprint(ds, exp.data), "data_name": data_name,
               "data_blob": data_bytes}
        runs = []
        for i, r in enumerate(result.runs):
            runs.append({"position": i, "name": r.name,
                         "summary": json.dumps(_jsonable(result.run_summary(i)), allow_nan=False),
                         "history": history_json(r.history)})
        sa = self._sa

        def write(conn):
            cols = ", ".join(row)
            marks = ", ".join(f":{k}" for k in row)
            eid = conn.execute(sa.text(f"INSERT INTO experiments ({cols}) VALUES ({marks}) "
                                       "RETURNING id"), row).scalar_one()
            for run in runs:
                conn.execute(sa.text(
                    "INSERT INTO runs (experiment_id, position, name, summary, history) VALUES "
                    "(:e, :position, :name, :summary, :history)"), {"e": eid, **run})
            return int(eid)
        return self._run("save the experiment", write)

    def delete(self, eid: int) -> dict[str, Any]:
        """Delete experiment ``eid`` and its runs; returns what it held (:meth:`export` form),
        so a page can undo."""
        kept = self.export([eid])["experiments"][0]
        sa = self._sa

        def gone(conn):
            conn.execute(sa.text("DELETE FROM runs WHERE experiment_id = :e"), {"e": eid})
            conn.execute(sa.text("DELETE FROM experiments WHERE id = :e"), {"e": eid})
        self._run("delete the experiment", gone)
        return kept

    def rename(self, eid: int, name: str) -> None:
        self._update(eid, name=_clean_name(name))

    def set_note(self, eid: int, note: str) -> None:
        self._update(eid, note=_clean_note(note))

    def set_tags(self, eid: int, tags: Sequence[str]) -> None:
        self._update(eid, tags=json.dumps(_clean_tags(tags)))

    def _update(self, eid: int, **values: Any) -> None:
        self._require(eid)
        sa = self._sa
        sets = ", ".join(f"{k} = :{k}" for k in values)
        self._run("update the experiment", lambda conn: conn.execute(
            sa.text(f"UPDATE experiments SET {sets} WHERE id = :e"), {"e": eid, **values}))

    # --- reading ------------------------------------------------------------------------------
    def list(self) -> pd.DataFrame:
        """One row per experiment, newest first: id, name, note, tags, created, problem, data
        (its source), rows, runs."""
        sa = self._sa

        def read(conn):
            return conn.execute(sa.text(
                "SELECT e.id, e.name, e.note, e.tags, e.created, e.problem, e.data_source, "
                "e.data_rows, (SELECT COUNT(*) FROM runs r WHERE r.experiment_id = e.id) "
                "FROM experiments e ORDER BY e.created DESC, e.id DESC")).all()
        rows = self._run("list the experiments", read)
        return pd.DataFrame(
            [{"id": int(r[0]), "name": r[1], "note": r[2], "tags": json.loads(r[3]),
              "created": r[4], "problem": r[5], "data": r[6], "rows": int(r[7]),
              "runs": int(r[8])} for r in rows],
            columns=["id", "name", "note", "tags", "created", "problem", "data", "rows", "runs"])

    def runs(self) -> pd.DataFrame:
        """Every stored run across experiments: experiment id and name, run, its settings'
        optimizer and learning rate, its summary's final loss, steps to converge, status, and
        ``settings``: the whole run as the setup holds it (the engine's run dict)."""
        sa = self._sa

        def read(conn):
            return conn.execute(sa.text(
                "SELECT e.id, e.name, e.setup, r.position, r.name, r.summary FROM runs r JOIN "
                "experiments e ON e.id = r.experiment_id ORDER BY e.id, r.position")).all()
        out = []
        for eid, ename, setup, pos, rname, summary in self._run("list the runs", read):
            cfg = json.loads(setup)["runs"][pos]
            s = json.loads(summary)
            out.append({"experiment": int(eid), "experiment name": ename, "run": rname,
                        "optimizer": cfg.get("optimizer", {}).get("name"),
                        "lr": cfg.get("optimizer", {}).get("lr"),
                        "batch_size": str(cfg.get("batch_size", "full")),
                        "status": s.get("status"),
                        "final_loss": s.get("final_loss"),
                        "steps_to_converge": s.get("steps_to_converge"), "settings": cfg})
        return pd.DataFrame(out, columns=["experiment", "experiment name", "run", "optimizer",
                                          "lr", "batch_size", "status", "final_loss",
                                          "steps_to_converge", "settings"])

    def get(self, eid: int) -> dict[str, Any]:
        """Experiment ``eid``: its fields, the parsed setup (``experiment``), and ``runs``: per
        run its summary (a dict) and history (a DataFrame)."""
        sa = self._sa

        def read(conn):
            e = conn.execute(sa.text(
                "SELECT id, name, note, tags, created, setup, problem, data_source, "
                "data_columns, data_rows, data_hash, data_name, data_blob FROM experiments "
                "WHERE id = :e"), {"e": eid}).first()
            runs = conn.execute(sa.text(
                "SELECT name, summary, history FROM runs WHERE experiment_id = :e ORDER BY "
                "position"), {"e": eid}).all()
            return e, runs
        e, runs = self._run("read the experiment", read)
        if e is None:
            raise StoreError(f"there is no saved experiment {eid} (python -m gdcore store "
                             "list shows them)")
        return {"id": int(e[0]), "name": e[1], "note": e[2], "tags": json.loads(e[3]),
                "created": e[4], "setup": json.loads(e[5]),
                "experiment": parse_experiment(json.loads(e[5])), "problem": e[6],
                "data": {"source": e[7], "columns": json.loads(e[8]), "rows": int(e[9]),
                         "hash": e[10], "name": e[11]},
                "data_bytes": bytes(e[12]) if e[12] is not None else None,
                "runs": [{"name": n, "summary": json.loads(s), "history": history_frame(h)}
                         for n, s, h in runs]}

    def _require(self, eid: int) -> None:
        sa = self._sa
        found = self._run("read the experiment", lambda conn: conn.execute(
            sa.text("SELECT 1 FROM experiments WHERE id = :e"), {"e": eid}).first())
        if found is None:
            raise StoreError(f"there is no saved experiment {eid} (python -m gdcore store "
                             "list shows them)")

    # --- export and import --------------------------------------------------------------------
    def export(self, ids: Iterable[int]) -> dict[str, Any]:
        """The experiments ``ids`` as one JSON-ready document (kept data as hex)."""
        out = []
        for eid in ids:
            e = self.get(int(eid))
            out.append({"name": e["name"], "note": e["note"], "tags": e["tags"],
                        "created": e["created"], "setup": e["setup"], "data": e["data"],
                        "data_bytes": e["data_bytes"].hex() if e["data_bytes"] else None,
                        "runs": [{"name": r["name"], "summary": r["summary"],
                                  "history": json.loads(history_json(r["history"]))}
                                 for r in e["runs"]]})
        return {"format": EXPORT_FORMAT, "version": 1, "experiments": out}

    def import_doc(self, doc: Any) -> list[int]:
        """Store the experiments of an :meth:`export` document (checked: the setups as any
        setup, names, notes, tags and histories); returns their new ids."""
        if not isinstance(doc, Mapping) or doc.get("format") != EXPORT_FORMAT:
            raise StoreError(f"this is not an export of saved experiments (expected "
                             f"\"format\": \"{EXPORT_FORMAT}\")")
        items = doc.get("experiments")
        if not isinstance(items, list):
            raise StoreError("experiments: expected a list")
        valid_text(doc)
        rows = []
        for i, item in enumerate(items):
            where = f"experiments[{i}]"
            if not isinstance(item, Mapping):
                raise StoreError(f"{where}: expected an object")
            try:
                exp = parse_experiment(item.get("setup"))
            except GDError as err:
                raise StoreError(f"{where}.setup: {err}") from None
            runs = item.get("runs")
            if not isinstance(runs, list) or len(runs) != len(exp.runs):
                raise StoreError(f"{where}.runs: expected one entry per run of the setup")
            data = item.get("data") if isinstance(item.get("data"), Mapping) else {}
            blob = item.get("data_bytes")
            try:
                blob = bytes.fromhex(blob) if isinstance(blob, str) else None
            except ValueError:
                raise StoreError(f"{where}.data_bytes: not hexadecimal") from None
            run_rows = []
            for j, r in enumerate(runs):
                if not isinstance(r, Mapping) or not isinstance(r.get("summary"), Mapping):
                    raise StoreError(f"{where}.runs[{j}]: expected a name, summary, history")
                try:
                    hist = history_json(pd.DataFrame(r.get("history") or {}))
                except (TypeError, ValueError) as err:
                    raise StoreError(f"{where}.runs[{j}].history: {err}") from None
                run_rows.append({"position": j, "name": exp.runs[j].name,
                                 "summary": json.dumps(_jsonable(dict(r["summary"])),
                                                       allow_nan=False), "history": hist})
            rows.append(({
                "name": _clean_name(item.get("name", "imported")),
                "note": _clean_note(item.get("note", "")),
                "tags": json.dumps(_clean_tags(item.get("tags") or [])),
                "created": str(item.get("created") or
                               dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))[:40],
                "setup": exp.to_json(indent=None), "problem": exp.problem,
                "data_source": str(data.get("source", ""))[:500],
                "data_columns": json.dumps([str(c) for c in data.get("columns", [])][:1000]),
                "data_rows": int(data.get("rows", 0) or 0),
                "data_hash": str(data.get("hash", ""))[:64],
                "data_name": (str(data["name"])[:500] if data.get("name") else None),
                "data_blob": blob}, run_rows))
        sa = self._sa

        def write(conn):
            ids = []
            for row, run_rows in rows:
                cols = ", ".join(row)
                marks = ", ".join(f":{k}" for k in row)
                eid = int(conn.execute(sa.text(f"INSERT INTO experiments ({cols}) VALUES "
                                               f"({marks}) RETURNING id"), row).scalar_one())
                for run in run_rows:
                    conn.execute(sa.text(
                        "INSERT INTO runs (experiment_id, position, name, summary, history) "
                        "VALUES (:e, :position, :name, :summary, :history)"), {"e": eid, **run})
                ids.append(eid)
            return ids
        return self._run("import the experiments", write)

    def status(self) -> dict[str, Any]:
        """Where the store is and what it holds."""
        sa = self._sa
        count = self._run("be read", lambda conn: conn.execute(
            sa.text("SELECT COUNT(*) FROM experiments")).scalar_one())
        return {"url": shown_url(self.url), "path": str(self.path) if self.path else None,
                "backend": self.engine.dialect.name, "schema_version": self.version(),
                "experiments": int(count)}


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers and one writer at once, across sessions
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


# --- values ------------------------------------------------------------------------------------
def fingerprint(dataset, data_section: Mapping[str, Any]) -> dict[str, Any]:
    """What identifies the data an experiment ran on (a test function: none)."""
    if dataset is None:
        return {"data_source": "", "data_columns": "[]", "data_rows": 0, "data_hash": ""}
    return {"data_source": str(dataset.source)[:500],
            "data_columns": json.dumps([*dataset.x_names, dataset.y_name]),
            "data_rows": int(dataset.n), "data_hash": dataset.content_hash()}


def same_data(saved: Mapping[str, Any], dataset) -> bool:
    """Whether ``dataset`` is the data a saved experiment ran on (its content hash)."""
    return dataset is not None and saved.get("hash") == dataset.content_hash()


def _spread(n: int, keep: int) -> np.ndarray:
    if n <= keep:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, keep).round().astype(int))


def history_json(history: pd.DataFrame, rows: int = HISTORY_ROWS) -> str:
    """A history as JSON (at most ``rows`` rows, evenly spread, first and last kept): column
    name -> values; floats exactly (Python's repr), booleans and names as they are."""
    h = history.iloc[_spread(len(history), rows)]
    out = {}
    for c in h.columns:
        values = h[c].tolist()
        out[str(c)] = [None if isinstance(v, float) and not math.isfinite(v) else
                       (v.item() if isinstance(v, np.generic) else v) for v in values]
    return json.dumps(out, allow_nan=False)


def history_frame(text: str) -> pd.DataFrame:
    return pd.DataFrame(json.loads(text))


def _jsonable(d: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in d.items():
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, float) and not math.isfinite(v):
            v = None
        out[str(k)] = v
    return out


def _clean_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise StoreError("name: give the experiment a name (at most "
                         f"{MAX_NAME_CHARS} characters)")
    valid_text(name, "name")
    name = " ".join(name.split())
    if len(name) > MAX_NAME_CHARS:
        raise StoreError(f"name: at most {MAX_NAME_CHARS} characters, got {len(name)}")
    return name


def _clean_note(note: Any) -> str:
    if not isinstance(note, str):
        raise StoreError("note: expected text")
    valid_text(note, "note")
    if len(note) > MAX_NOTE_CHARS:
        raise StoreError(f"note: at most {MAX_NOTE_CHARS} characters, got {len(note)}")
    return note


def _clean_tags(tags: Any) -> list[str]:
    if isinstance(tags, str):
        tags = [t for t in tags.split(",")]
    if not isinstance(tags, (list, tuple)):
        raise StoreError("tags: expected a list of words")
    out = []
    for t in tags:
        if not isinstance(t, str):
            raise StoreError("tags: expected a list of words")
        t = " ".join(t.split())
        if not t:
            continue
        valid_text(t, "tags")
        if len(t) > MAX_TAG_CHARS:
            raise StoreError(f"tags: each at most {MAX_TAG_CHARS} characters, got {t[:50]!r}")
        if t not in out:
            out.append(t)
    if len(out) > MAX_TAGS:
        raise StoreError(f"tags: at most {MAX_TAGS}, got {len(out)}")
    return out


MAX_EXPORT_BYTES = 64 << 20


def load_export(text: str | bytes) -> Any:
    """An export document, read with bounds: size, nesting depth, no NaN or Infinity."""
    if len(text) > MAX_EXPORT_BYTES:
        raise StoreError(f"the file is {len(text):,} bytes, more than {MAX_EXPORT_BYTES:,}: "
                         "export fewer experiments at a time")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise StoreError("the file is not UTF-8 text") from None
    deep = _json_depth_problem(text)
    if deep:
        raise StoreError(f"not an export of saved experiments: {deep}")

    def constant(name: str):
        raise StoreError(f"not an export of saved experiments: {name} is not a JSON number")
    try:
        return json.loads(text, parse_constant=constant)
    except ValueError as err:
        raise StoreError(f"not valid JSON: {err}") from None
