"""The experiment format: frozen dataclasses, JSON in and out, validation with clear messages.

One JSON document describes the data and a list of runs. The same document is what the CLI reads,
what the dashboard exports and imports, and what travels in a shareable URL::

    {"version": 1,
     "problem": "linear",                      # or a test function: see gdcore.models.FUNCTIONS
     "data": {"source": "generate", "n": 200, "slope": 2, "intercept": 1, "noise": 1, "seed": 0},
     "runs": [{"name": "Adam", "batch_size": 32, "shuffle": true, "epochs": 50, "seed": 0,
               "init": {"w": 0, "b": 0},
               "optimizer": {"name": "adam", "lr": 0.1, "betas": [0.9, 0.999]},
               "schedule": {"name": "cosine", "per": "epoch", "T_max": 50},
               "clip": {"name": "norm", "max_norm": 1.0}}]}

Hyperparameters use PyTorch's names and defaults. Anything left out takes its default; anything
unknown is an error that names the field and the valid choices.

Long because the format is one document: each section's dataclass sits beside its parser and
the migrations from versions 1 and 2.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ..checks import as_bool, as_mapping, choices, fail, valid_text
from ..errors import ConfigError
from ..limits import MAX_COLUMN_NAME_CHARS, MAX_MILESTONES, MAX_ROWS, MAX_RUNS, _short, check
from ..models import PROBLEMS
from ..rules.methods import DEFAULTS as METHOD_DEFAULTS
from .defaults import (  # noqa: F401  (re-exported: callers read the tables from here too)
    BOOL_PARAMS,
    CLIP_DEFAULTS,
    DATA_SOURCES,
    GRADIENT_MODES,
    INT_PARAMS,
    OPTIMIZER_DEFAULTS,
    SCHEDULE_DEFAULTS,
    SCHEDULE_PER,
    UPDATE_MODES,
)

FORMAT_VERSION = 3  # 3: "repeats"; 2: "logistic" problems, several x columns, runs' "method";
#                    1 and 2 still read (each migration takes a document one version up)
MAX_NAME_CHARS = 100  # a run's name (the editor's text box holds as many)
MAX_JSON_BYTES = 1_000_000  # an experiment file (a setup with every run is a few kB)
MAX_JSON_DEPTH = 20  # the format nests 4 deep


def _named_params(
    raw: Any, where: str, table: dict[str, dict[str, Any]], default_name: str | None = None
) -> tuple[str, dict[str, Any]]:
    """Validate ``{"name": ..., **params}`` against ``table``; return (name, params with defaults)."""
    if isinstance(raw, str):
        raw = {"name": raw}
    if raw is None and default_name is not None:
        raw = {"name": default_name}
    raw = as_mapping(raw, where)
    name = raw.get("name", default_name)
    if not isinstance(name, str):
        raise fail(f"{where}.name", f"expected one of {choices(table)}, got {name!r}")
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key not in table:
        raise fail(f"{where}.name", f"unknown name {name!r}; choose one of {choices(table)}")
    defaults = table[key]
    params = dict(defaults)
    for k, v in raw.items():
        if k in ("name", "per"):
            continue
        if k not in defaults:
            valid = choices(defaults) if defaults else "none"
            raise fail(f"{where}.{k}", f"{key!r} has no parameter {k!r}; its parameters: {valid}")
        params[k] = v
    return key, params


# --- dataclasses ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class OptimizerConfig:
    """An optimizer and its hyperparameters (PyTorch names and defaults)."""

    name: str = "sgd"
    params: dict[str, Any] = field(default_factory=dict)  # full set, defaults filled in

    @property
    def lr(self) -> float:
        return float(self.params["lr"])

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        for k, v in self.params.items():
            out[k] = list(v) if isinstance(v, tuple) else v
        return out


@dataclass(frozen=True)
class ScheduleConfig:
    """A learning-rate schedule, stepped once per ``per`` ("epoch" or "update")."""

    name: str = "constant"
    per: str = "epoch"
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "per": self.per}
        for k, v in self.params.items():
            out[k] = list(v) if isinstance(v, tuple) else v
        return out


@dataclass(frozen=True)
class ClipConfig:
    """Gradient clipping: "none", "value" (clip_value) or "norm" (max_norm, global L2 norm)."""

    name: str = "none"
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, **self.params}


@dataclass(frozen=True)
class MethodConfig:
    """How a step is taken: "gd" (the optimizer), "line_search" (Armijo) or "newton"."""

    name: str = "gd"
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, **self.params}


@dataclass(frozen=True)
class RunConfig:
    """One run: how to batch the data, which optimizer, schedule and clipping, and when to stop."""

    name: str = "run"
    batch_size: int | None = None  # None = full batch; 1 = stochastic; B = mini-batch
    shuffle: bool = True  # reshuffle rows every epoch (seeded); False = file order
    epochs: int = 100  # passes over the data (test functions: number of updates)
    seed: int = 0  # seed of the shuffling generator
    init: tuple[float, ...] | dict[str, float] | None = None  # start point; None = zeros
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    clip: ClipConfig = field(default_factory=ClipConfig)
    update: str = "simultaneous"  # or "sequential": b is computed with the new w
    gradient: str = "analytic"  # or "numeric": central differences with step h
    h: float = 1e-5  # step of the numeric gradient
    tol_grad: float = 0.0  # stop when the full-data gradient norm <= tol_grad (0 = off)
    tol_loss: float = 0.0  # stop when |loss change| <= tol_loss * max(1, |loss|) (0 = off)
    divergence_factor: float = 1e8  # loss > factor * max(initial loss, 1e-12) counts as diverged
    max_points: int = 2000  # recorded history points (first, last and evenly spread ones)
    method: MethodConfig = field(default_factory=MethodConfig)  # (format version 2)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "batch_size": "full" if self.batch_size is None else self.batch_size,
            "shuffle": self.shuffle,
            "epochs": self.epochs,
            "seed": self.seed,
        }
        if self.init is not None:
            out["init"] = dict(self.init) if isinstance(self.init, dict) else list(self.init)
        out["optimizer"] = self.optimizer.to_dict()
        out["schedule"] = self.schedule.to_dict()
        out["clip"] = self.clip.to_dict()
        defaults = RunConfig()
        for key in ("update", "gradient", "h", "tol_grad", "tol_loss", "divergence_factor",
                    "max_points"):
            if getattr(self, key) != getattr(defaults, key):
                out[key] = getattr(self, key)
        if self.method.name != "gd":
            out["method"] = self.method.to_dict()
        return out


VARY = ("shuffle", "init")  # what a repeat changes: the row order, the start point


@dataclass(frozen=True)
class RepeatConfig:
    """Every run repeated over ``n`` seeds (format version 3; see :mod:`gdcore.engine.repeats`).
    ``vary``: "shuffle" (repeat j shuffles the rows with its own seed) and/or "init" (repeat
    j starts at the run's start plus a normal draw of standard deviation ``init_spread`` per
    parameter). Seeds are paired: repeat j of every run with the same seed uses the same."""

    n: int = 1
    vary: tuple[str, ...] = ("shuffle",)
    init_spread: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "vary": list(self.vary), "init_spread": self.init_spread}


@dataclass(frozen=True)
class Experiment:
    """A problem, its data, the runs to compare and how often each is repeated."""

    problem: str = "linear"
    data: dict[str, Any] = field(default_factory=lambda: {"source": "generate"})
    runs: tuple[RunConfig, ...] = ()
    repeats: RepeatConfig = field(default_factory=RepeatConfig)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"version": FORMAT_VERSION, "problem": self.problem}
        if self.problem in ("linear", "logistic"):
            out["data"] = dict(self.data)
        out["runs"] = [r.to_dict() for r in self.runs]
        if self.repeats != RepeatConfig():  # (one sample of each run: said by leaving it out)
            out["repeats"] = self.repeats.to_dict()
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)


# --- parsing -------------------------------------------------------------------------------------
_RUN_KEYS = {f.name for f in fields(RunConfig)}


def parse_optimizer(raw: Any, where: str = "optimizer") -> OptimizerConfig:
    name, params = _named_params(raw, where, OPTIMIZER_DEFAULTS, default_name="sgd")
    clean: dict[str, Any] = {}
    for k, v in params.items():
        w = f"{where}.{k}"
        if k in BOOL_PARAMS:
            clean[k] = as_bool(v, w)
        elif k == "betas":
            if not isinstance(v, (list, tuple)) or len(v) != 2:
                raise fail(w, f"expected two numbers like [0.9, 0.999], got {v!r}")
            clean[k] = tuple(check("beta", b, f"{w}[{i}]") for i, b in enumerate(v))
        else:
            clean[k] = check(k, v, w)
    if name == "sgd" and clean["nesterov"] and (clean["momentum"] <= 0 or clean["dampening"] != 0):
        raise fail(f"{where}.nesterov", "needs momentum > 0 and dampening = 0 (as in PyTorch)")
    if name in ("momentum", "nesterov") and clean["momentum"] <= 0:
        raise fail(f"{where}.momentum", f"{name!r} needs momentum > 0; use 'sgd' for none")
    return OptimizerConfig(name=name, params=clean)


def parse_schedule(raw: Any, where: str = "schedule") -> ScheduleConfig:
    name, params = _named_params(raw, where, SCHEDULE_DEFAULTS, default_name="constant")
    per = raw.get("per", "epoch") if isinstance(raw, dict) else "epoch"
    if per not in SCHEDULE_PER:
        raise fail(f"{where}.per", f"unknown value {per!r}; choose one of {choices(SCHEDULE_PER)}")
    clean: dict[str, Any] = {}
    for k, v in params.items():
        w = f"{where}.{k}"
        if k == "milestones":
            if not isinstance(v, (list, tuple)) or len(v) > MAX_MILESTONES:
                raise fail(w, f"expected a list of at most {MAX_MILESTONES} whole numbers like "
                              f"[30, 80], got {v!r}"[:200])
            ms = tuple(check("milestone", m, f"{w}[{i}]") for i, m in enumerate(v))
            if list(ms) != sorted(ms):
                raise fail(w, f"must be increasing whole numbers >= 0, got {list(ms)}")
            clean[k] = ms
        elif k == "eps":
            clean[k] = check("threshold", v, w)  # the plateau's eps: a small lr change, 0..1
        elif k == "T_max" and v is None:
            clean[k] = None  # the run's length (resolved with the data, see gdcore.engine.plan)
        else:
            clean[k] = check(k, v, w)
    return ScheduleConfig(name=name, per=per, params=clean)


def parse_clip(raw: Any, where: str = "clip") -> ClipConfig:
    if raw is None:
        raw = {"name": "none"}
    name, params = _named_params(raw, where, CLIP_DEFAULTS, default_name="none")
    clean = {k: check(k, v, f"{where}.{k}") for k, v in params.items()}
    return ClipConfig(name=name, params=clean)


def parse_method(raw: Any, where: str = "method") -> MethodConfig:
    name, params = _named_params(raw, where, METHOD_DEFAULTS, default_name="gd")
    return MethodConfig(name=name, params={k: check(k, v, f"{where}.{k}")
                                           for k, v in params.items()})


def parse_run(raw: Any, index: int = 0) -> RunConfig:
    where = f"runs[{index}]"
    raw = as_mapping(raw, where)
    unknown = set(raw) - _RUN_KEYS
    if unknown:
        k = sorted(unknown)[0]
        raise fail(f"{where}.{k}", f"unknown field; valid fields: {choices(sorted(_RUN_KEYS))}")
    d = RunConfig()
    name = raw.get("name", f"run {index + 1}")
    if not isinstance(name, str) or not name.strip():
        raise fail(f"{where}.name", f"expected a non-empty text, got {_short(name)}")
    if len(name.strip()) > MAX_NAME_CHARS:
        raise fail(f"{where}.name", f"at most {MAX_NAME_CHARS} characters, got {len(name):,}")
    bs = raw.get("batch_size", None)
    if bs is None or (isinstance(bs, str) and bs.lower() in ("full", "batch", "all")):
        batch_size = None
    elif isinstance(bs, str):
        raise fail(f"{where}.batch_size", f"expected a whole number or \"full\", got {bs[:40]!r}")
    else:
        batch_size = check("batch_size", bs, f"{where}.batch_size")
    epochs = check("epochs", raw.get("epochs", d.epochs), f"{where}.epochs")
    seed = check("seed", raw.get("seed", d.seed), f"{where}.seed")
    init = raw.get("init", None)
    if init is not None:
        if isinstance(init, dict):
            if len(init) > 64:
                raise fail(f"{where}.init", f"expected at most 64 parameters, got {len(init)}")
            init = {str(k)[:40]: check("init", v, f"{where}.init.{str(k)[:40]}")
                    if not isinstance(v, list) else tuple(
                        check("init", x, f"{where}.init.{str(k)[:40]}") for x in v[:65])
                    for k, v in init.items()}
        elif isinstance(init, (list, tuple)):
            init = tuple(check("init", v, f"{where}.init[{i}]") for i, v in enumerate(init[:65]))
        else:
            init = (check("init", init, f"{where}.init"),)
    update = raw.get("update", d.update)
    if update not in UPDATE_MODES:
        raise fail(f"{where}.update", f"unknown value {update!r}; choose one of {choices(UPDATE_MODES)}")
    gradient = raw.get("gradient", d.gradient)
    if gradient not in GRADIENT_MODES:
        raise fail(f"{where}.gradient",
                    f"unknown value {gradient!r}; choose one of {choices(GRADIENT_MODES)}")
    h = check("h", raw.get("h", d.h), f"{where}.h")
    tol_grad = check("tol_grad", raw.get("tol_grad", d.tol_grad), f"{where}.tol_grad")
    tol_loss = check("tol_loss", raw.get("tol_loss", d.tol_loss), f"{where}.tol_loss")
    div = check("divergence_factor", raw.get("divergence_factor", d.divergence_factor),
                f"{where}.divergence_factor")
    max_points = check("max_points", raw.get("max_points", d.max_points), f"{where}.max_points")
    method = parse_method(raw.get("method", "gd"), f"{where}.method")
    clip = parse_clip(raw.get("clip", "none"), f"{where}.clip")
    if method.name != "gd" and (clip.name != "none" or update != "simultaneous"):
        raise fail(f"{where}.method", f"{method.name!r} takes its own steps: clipping and the "
                                      "sequential update belong to gradient descent (set clip "
                                      "\"none\" and update \"simultaneous\")")
    return RunConfig(
        name=name.strip(),
        batch_size=batch_size,
        shuffle=as_bool(raw.get("shuffle", d.shuffle), f"{where}.shuffle"),
        epochs=epochs,
        seed=seed,
        init=init,
        optimizer=parse_optimizer(raw.get("optimizer", "sgd"), f"{where}.optimizer"),
        schedule=parse_schedule(raw.get("schedule", "constant"), f"{where}.schedule"),
        clip=clip,
        update=update,
        gradient=gradient,
        h=h,
        tol_grad=tol_grad,
        tol_loss=tol_loss,
        divergence_factor=div,
        max_points=max_points,
        method=method,
    )


GENERATE_FIELDS = ("n", "slope", "intercept", "noise", "x_mean", "x_spread", "outliers", "seed")
CLASSES_FIELDS = ("n", "features", "separation", "balance", "seed")  # two clouds (logistic)
DATA_FIELDS = {"generate": set(GENERATE_FIELDS), "classes": set(CLASSES_FIELDS),
               "sample": {"name", "x", "y", "positive"}, "csv": {"path", "x", "y", "positive"},
               "inline": {"x", "y", "positive"}}
MAX_LABEL_CHARS = 200  # a class label ("positive"): a word or a short phrase


def _positive(value: Any, where: str) -> str | int | float:
    """A class label as ``data.positive`` takes it: a non-empty text of at most
    MAX_LABEL_CHARS characters, or a finite number (kept as given)."""
    if isinstance(value, str):
        if not value.strip() or len(value) > MAX_LABEL_CHARS:
            raise fail(where, f"expected a class label (a non-empty text of at most "
                              f"{MAX_LABEL_CHARS} characters, or a number), got {_short(value)}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(where, f"expected a class label (a text or a number), got {_short(value)}")
    if (isinstance(value, int) and value.bit_length() > 64) or not math.isfinite(float(value)):
        raise fail(where, f"expected a class label (a text or a finite number), got "
                          f"{_short(value)}")
    return value


def parse_data(raw: Any) -> dict[str, Any]:
    """Check the ``data`` section: its source, its fields, and every number against the limits
    (``gdcore.limits``); the data module checks what it can only check when it loads (a file
    exists, a column is numeric, ``positive`` is one of the column's two classes).
    ``positive`` (sample, csv and inline data) is read only for the logistic problem."""
    if raw is None:
        return {"source": "generate"}
    raw = as_mapping(raw, "data")
    source = raw.get("source", "generate")
    if source not in DATA_SOURCES:
        raise fail("data.source", f"unknown value {_short(source)}; choose one of "
                                  f"{choices(DATA_SOURCES)}")
    out: dict[str, Any] = {"source": source}
    allowed = DATA_FIELDS[source] | {"standardize"}
    for key, value in raw.items():
        if key == "source":
            continue
        where = f"data.{str(key)[:40]}"
        if key not in allowed:
            raise fail(where, f"unknown field for {source!r} data; valid fields: "
                              f"{choices(sorted(allowed))}")
        if key == "standardize":
            out[key] = as_bool(value, where)
        elif key == "positive":
            out[key] = _positive(value, where)
        elif source in ("generate", "classes"):
            out[key] = check(key, value, where)
        elif source == "inline":
            if not isinstance(value, list) or len(value) > MAX_ROWS:
                raise fail(where, f"expected a list of at most {MAX_ROWS:,} numbers")
            out[key] = value
        elif key in ("x", "y") and isinstance(value, list):
            if not value or len(value) > 1000 or not all(isinstance(v, str) for v in value):
                raise fail(where, "expected a column name, or a list of column names")
            out[key] = [v[:MAX_COLUMN_NAME_CHARS] for v in value]
        elif value is not None and not isinstance(value, str):
            raise fail(where, f"expected a text, got {_short(value)}")
        else:
            out[key] = value if value is None else value[:MAX_COLUMN_NAME_CHARS]
    return out


def _from_v1(raw: dict) -> tuple[dict, int]:
    """Version 1 -> 2. Everything version 1 could say means the same in version 2 (which only
    adds logistic problems, lists of x columns and the runs' "method"): the number changes."""
    return {**raw, "version": 2}, 2


def _from_v2(raw: dict) -> tuple[dict, int]:
    """Version 2 -> 3. Version 3 adds "repeats"; a version 2 document runs each run once."""
    return {**raw, "version": 3}, 3


MIGRATIONS = {1: _from_v1, 2: _from_v2}  # version -> the function taking a document one up


def parse_repeats(raw: Any, where: str = "repeats") -> RepeatConfig:
    """The "repeats" section: ``{"n": 20, "vary": ["shuffle", "init"], "init_spread": 0.5}``
    (each field optional)."""
    if raw is None:
        return RepeatConfig()
    raw = as_mapping(raw, where)
    allowed = {"n", "vary", "init_spread"}
    unknown = set(raw) - allowed
    if unknown:
        raise fail(f"{where}.{sorted(unknown)[0]}",
                   f"unknown field; valid fields: {choices(sorted(allowed))}")
    d = RepeatConfig()
    n = check("repeats", raw.get("n", d.n), f"{where}.n")
    vary = raw.get("vary", list(d.vary))
    if isinstance(vary, str):
        vary = [vary]
    if not isinstance(vary, (list, tuple)) or not vary:
        raise fail(f"{where}.vary", f"expected a list of {choices(VARY)}, got {_short(vary)}")
    for v in vary:
        if v not in VARY:
            raise fail(f"{where}.vary", f"unknown {_short(v)}; choose from {choices(VARY)}")
    spread = check("init_spread", raw.get("init_spread", d.init_spread), f"{where}.init_spread")
    return RepeatConfig(n=n, vary=tuple(v for v in VARY if v in vary), init_spread=spread)


def parse_experiment(raw: Any) -> Experiment:
    """Validate a decoded JSON document (a dict) and return an :class:`Experiment`."""
    if isinstance(raw, Experiment):
        return raw
    if not isinstance(raw, dict):
        raise ConfigError("the experiment must be a JSON object with \"data\" and \"runs\"")
    valid_text(raw)  # before any of it is shown, compared or sent
    allowed = {"version", "problem", "data", "runs", "repeats"}
    unknown = set(raw) - allowed
    if unknown:
        raise ConfigError(
            f"{sorted(unknown)[0]}: unknown top-level field; valid fields: {choices(sorted(allowed))}"
        )
    version = raw.get("version", FORMAT_VERSION)
    if isinstance(version, bool) or (version not in MIGRATIONS and version != FORMAT_VERSION):
        raise ConfigError(f"version: this program reads versions 1 to {FORMAT_VERSION}, got "
                          f"{_short(version)}")
    while version != FORMAT_VERSION:  # each migration takes a document one version up
        raw, version = MIGRATIONS[version](raw)
    problem = raw.get("problem", "linear")
    if problem not in PROBLEMS:
        raise ConfigError(f"problem: unknown name {problem!r}; choose one of {choices(PROBLEMS)}")
    runs = raw.get("runs")
    if not isinstance(runs, list) or not runs:
        raise ConfigError("runs: expected a non-empty list of runs")
    if len(runs) > MAX_RUNS:
        raise ConfigError(f"runs: at most {MAX_RUNS} runs per experiment, got {len(runs)}")
    parsed = tuple(parse_run(r, i) for i, r in enumerate(runs))
    names = [r.name for r in parsed]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup is not None:
        raise ConfigError(f"runs: two runs are named {dup!r}; give each run its own name")
    return Experiment(problem=problem, data=parse_data(raw.get("data")), runs=parsed,
                      repeats=parse_repeats(raw.get("repeats")))


def _json_depth_problem(text: str) -> str | None:
    """Why ``text`` nests deeper than MAX_JSON_DEPTH (scanned before parsing: Python's json
    module would recurse once per level), or None."""
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return (f"it nests more than {MAX_JSON_DEPTH} levels deep (an experiment nests "
                        "4): this is not an experiment file")
        elif ch in "]}":
            depth -= 1
    return None


def _int(digits: str) -> int:
    if len(digits.lstrip("-")) > 19:
        raise ConfigError(f"a whole number with {len(digits.lstrip('-')):,} digits is far outside "
                          "every field's range; check the file")
    return int(digits)


def _constant(name: str) -> float:
    raise ConfigError(f"{name} is not a number this format accepts; use a finite number")


def load_experiment_json(text: str | bytes) -> Experiment:
    """Parse JSON text into an :class:`Experiment` (errors say the line and column). The text's
    size and nesting are checked before parsing, and numbers with absurdly many digits,
    ``NaN`` and ``Infinity`` are refused while parsing."""
    if len(text) > MAX_JSON_BYTES:
        raise ConfigError(f"the experiment file is {len(text):,} bytes, more than the "
                          f"{MAX_JSON_BYTES:,} any experiment needs; check the file")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise ConfigError("the experiment file is not UTF-8 text; save it as UTF-8") from err
    too_deep = _json_depth_problem(text)
    if too_deep:
        raise ConfigError(f"not an experiment: {too_deep}")
    try:
        raw = json.loads(text, parse_int=_int, parse_constant=_constant)
    except json.JSONDecodeError as err:
        raise ConfigError(f"not valid JSON at line {err.lineno}, column {err.colno}: {err.msg}") from err
    except ConfigError:
        raise
    except (RecursionError, ValueError) as err:  # belt and braces: the checks above cover these
        raise ConfigError(f"not a readable experiment file ({type(err).__name__})") from err
    return parse_experiment(raw)


__all__ = [
    "CLIP_DEFAULTS",
    "OPTIMIZER_DEFAULTS",
    "SCHEDULE_DEFAULTS",
    "ClipConfig",
    "Experiment",
    "OptimizerConfig",
    "RunConfig",
    "ScheduleConfig",
    "load_experiment_json",
    "parse_experiment",
    "parse_run",
    "asdict",
]
