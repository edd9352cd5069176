"""Command line: ``python -m gdcore run CONFIG.json [--data FILE.csv --x COL --y COL] --out H.csv``.

Writes every run's history to one CSV (columns run, step, epoch, samples, lr, <parameters>, loss,
batch_loss, grad_norm, clipped) and prints one JSON summary line per run. Bad input exits with
status 2 and one line naming the problem; no traceback.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path

from .engine.dispatch import python_seconds
from .engine.plan import make_plan
from .engine.runner import load_dataset, over_budget, run_experiment, summary_json
from .errors import GDError
from .limits import LIMITS
from .models import PROBLEMS, make_problem
from .rules.methods import DEFAULTS as METHOD_DEFAULTS
from .spec.config import (
    CLIP_DEFAULTS,
    DATA_FIELDS,
    FORMAT_VERSION,
    OPTIMIZER_DEFAULTS,
    SCHEDULE_DEFAULTS,
    VARY,
    RepeatConfig,
    load_experiment_json,
    parse_experiment,
)
from .spec.export import csv_text
from .store import Store, load_export, shown_url


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m gdcore", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run an experiment file and write the histories as CSV")
    r.add_argument("config", help="experiment JSON file (see README: 'The experiment format')")
    r.add_argument("--data", help="CSV file to use instead of the config's data section")
    r.add_argument("--x", action="append", metavar="COL",
                   help="x column of --data; several as --x a --x b or --x a,b (default: the "
                   "config's x, else the first numeric column)")
    r.add_argument("--y", help="y column of --data (default: the config's y, else the last "
                   "numeric column)")
    r.add_argument("--positive", help="with --data for classification: the label that counts "
                   "as 1 (default: the config's, else 1 for 0/1 labels, else the rarer one)")
    r.add_argument("--standardize", action="store_true", help="z-score x and y before fitting")
    r.add_argument("--out", help="where to write the histories CSV (default: do not write)")
    r.add_argument("--repeats", type=int, metavar="N",
                   help="run every run over N paired seeds (1 to 100; default: the config's "
                   "\"repeats\", else 1); the summary gives each run's spread")
    r.add_argument("--force", action="store_true",
                   help="run even if the experiment is over the work budget (see README)")
    r.add_argument("--engine", choices=("auto", "python", "compiled"), default="auto",
                   help="auto (default): the interpreter loop, plus the compiled accelerator for "
                   "runs it would take long on; python: never compile; compiled: compile first")
    r.add_argument("--save", metavar="NAME",
                   help="also keep the experiment in the experiment store under NAME (see "
                   "'python -m gdcore store status')")
    r.add_argument("--note", default="", help="with --save: a note")
    r.add_argument("--tag", action="append", default=[], metavar="TAG",
                   help="with --save: a tag (several: --tag a --tag b)")
    r.add_argument("--keep-data", action="store_true",
                   help="with --save and --data: keep the CSV file itself with the experiment "
                   "(by default only its fingerprint: columns, rows, a content hash)")
    s = sub.add_parser("schema", help="print the problems, data sources, optimizers, schedules, clips and "
                                   "methods with their defaults")
    s.set_defaults()
    st = sub.add_parser("store", help="saved experiments: list, show, export, import, delete, "
                                      "status (GDCORE_DB_URL, else a per-user SQLite file)")
    sts = st.add_subparsers(dest="store_command", required=True)
    sts.add_parser("status", help="where the store is and what it holds")
    sts.add_parser("list", help="the saved experiments, newest first")
    show = sts.add_parser("show", help="one experiment: its setup and each run's summary (JSON)")
    show.add_argument("id", type=int)
    exp = sts.add_parser("export", help="experiments as one JSON file (import reads it)")
    exp.add_argument("ids", type=int, nargs="+")
    exp.add_argument("--out", help="file to write (default: stdout)")
    imp = sts.add_parser("import", help="read experiments exported by 'store export'")
    imp.add_argument("file")
    dele = sts.add_parser("delete", help="delete an experiment and its runs")
    dele.add_argument("id", type=int)
    return p


def _store_command(args: argparse.Namespace) -> int:
    store = Store()
    cmd = args.store_command
    if cmd == "status":
        for k, v in store.status().items():
            print(f"{k}: {v}")
    elif cmd == "list":
        table = store.list()
        if table.empty:
            print(f"no saved experiments in {shown_url(store.url)}")
        for r in table.itertuples():
            tags = f"  [{', '.join(r.tags)}]" if r.tags else ""
            print(f"{r.id:>5}  {r.created}  {r.name}{tags}  ({r.runs} runs, {r.data})")
    elif cmd == "show":
        e = store.get(args.id)
        print(json.dumps({"id": e["id"], "name": e["name"], "note": e["note"],
                          "tags": e["tags"], "created": e["created"], "data": e["data"],
                          "setup": e["setup"],
                          "runs": [r["summary"] for r in e["runs"]]}, indent=2))
    elif cmd == "export":
        text = json.dumps(store.export(args.ids))
        if args.out:
            _writable(Path(args.out))
            Path(args.out).write_text(text, encoding="utf-8")
        else:
            print(text)
    elif cmd == "import":
        ids = store.import_doc(load_export(Path(args.file).read_bytes()))
        print(f"imported {len(ids)} experiment{'s' if len(ids) != 1 else ''}: "
              + ", ".join(map(str, ids)))
    elif cmd == "delete":
        kept = store.delete(args.id)
        print(f"deleted experiment {args.id} ({kept['name']})")
    return 0


class _Progress:
    """A progress bar on stderr for experiments that take a while, and Ctrl-C as a clean stop:
    the first Ctrl-C stops the experiment at the next check (the runs that finished, and the
    one that was stopped, are written); a second one quits at once."""

    def __init__(self, total_runs: int, show: bool) -> None:
        self.total_runs, self.show = total_runs, show
        self.interrupted = False
        self.tty = sys.stderr.isatty()
        self.last_line = 0.0
        self.run_index, self.run_name = 0, ""

    def __enter__(self) -> _Progress:
        self.previous = signal.signal(signal.SIGINT, self._interrupt)
        return self

    def __exit__(self, *exc) -> None:
        signal.signal(signal.SIGINT, self.previous)
        if self.show and self.tty:
            print(file=sys.stderr)

    def _interrupt(self, signum, frame) -> None:
        if self.interrupted:
            raise KeyboardInterrupt
        self.interrupted = True
        print("\nstopping after this step (Ctrl-C again to quit at once)...", file=sys.stderr)

    def before_run(self, i: int, total: int, name: str):
        self.run_index, self.run_name = i, name
        return not self.interrupted

    def during_run(self, name: str, done: int, planned: int):
        if self.show:
            now = time.monotonic()
            if self.tty or now - self.last_line > 5.0:
                self.last_line = now
                share = done / planned if planned else 1.0
                bar = "#" * int(30 * share)
                text = (f"run {self.run_index + 1}/{self.total_runs} {name[:30]}: "
                        f"[{bar:<30}] {done:,}/{planned:,} updates")
                print("\r" + text if self.tty else text, end="" if self.tty else "\n",
                      file=sys.stderr, flush=True)
        return not self.interrupted


def _writable(out: Path) -> None:
    """Refuse an --out path that cannot be written, before anything is computed (a run of
    minutes must not end in 'cannot write')."""
    if out.is_dir():
        raise GDError(f"cannot write {str(out)!r}: it is a folder; give a file name")
    existed = out.exists()
    try:
        with open(out, "a", encoding="utf-8"):
            pass
    except OSError as err:
        raise GDError(f"cannot write {str(out)!r}: {err.strerror}") from err
    if not existed:
        out.unlink(missing_ok=True)


def _x_columns(values: list[str] | None) -> str | list[str] | None:
    """--x a --x b and --x a,b both mean two columns (a name with a comma: use the config)."""
    if not values:
        return None
    cols = [c.strip() for v in values for c in v.split(",") if c.strip()]
    return cols[0] if len(cols) == 1 else cols


def _data_section(args: argparse.Namespace, config_data: dict) -> dict:
    """--data FILE's data section: what the flags say, and what the config's says where no
    flag replaces it: its positive class and standardize, and its x and y when it names a CSV
    file too (the same columns, another file)."""
    keys = ("x", "y", "positive", "standardize") if config_data.get("source") == "csv" \
        else ("positive", "standardize")
    kept = {k: config_data[k] for k in keys if config_data.get(k) is not None}
    data = {"source": "csv", "path": args.data, **kept}
    x = _x_columns(args.x)
    for key, value in (("x", x), ("y", args.y), ("positive", args.positive)):
        if value is not None:
            data[key] = value
    if args.standardize:
        data["standardize"] = True
    return data


def _run(args: argparse.Namespace) -> int:
    path = Path(args.config)
    if not path.is_file():
        raise GDError(f"config file {str(path)!r} not found")
    if args.out:
        _writable(Path(args.out))
    store = Store() if args.save else None  # (opened first: a bad store is said at once)
    exp = load_experiment_json(path.read_bytes())
    if args.repeats is not None:
        try:
            exp = parse_experiment({**exp.to_dict(), "repeats": {**exp.repeats.to_dict(),
                                                                 "n": args.repeats}})
        except GDError as err:
            raise GDError(f"--repeats: {str(err).split(': ', 1)[-1]}") from None
    dataset = None
    if args.data:
        dataset = load_dataset(_data_section(args, exp.to_dict()["data"]), problem=exp.problem)
    elif args.x or args.y or args.positive:
        raise GDError("--x, --y and --positive choose columns of --data FILE.csv; give --data "
                      "too")
    elif exp.problem in ("linear", "logistic"):
        dataset = load_dataset(exp.data, base_dir=path.parent, problem=exp.problem)
    for note in getattr(dataset, "notes", ()) or ():
        print(f"note: {note}", file=sys.stderr)
    problem = make_problem(exp.problem, dataset)
    too_much = None if args.force else over_budget(exp, problem)
    if too_much:
        raise GDError(f"{too_much} (or add --force to run it anyway)")
    engine = args.engine
    seconds = _interpreter_seconds(exp, problem)
    if engine == "auto" and seconds > WAIT_FOR_COMPILER_SECONDS:
        print("note: this experiment is big; getting the compiled loop ready first "
              "(seconds the first time, cached afterwards)", file=sys.stderr)
        engine = "compiled"
    with _Progress(len(exp.runs), show=seconds > 2.0) as progress:
        result = run_experiment(exp, dataset=dataset, engine=engine, force=args.force,
                                progress=progress.before_run, watch=progress.during_run)
    if args.out:
        out = Path(args.out)
        try:
            out.write_text(csv_text(result.history), encoding="utf-8")
        except OSError as err:
            raise GDError(f"cannot write {str(out)!r}: {err.strerror}") from err
    for line in summary_json(result):
        print(line)
    if args.save:
        kept = Path(args.data).read_bytes() if args.keep_data and args.data else None
        if args.keep_data and not args.data:
            print("note: --keep-data keeps a --data CSV file; this experiment's data is its "
                  "own section, saved in its setup", file=sys.stderr)
        eid = store.save(args.save, result, note=args.note, tags=args.tag, data_bytes=kept,
                         data_name=Path(args.data).name if kept else None)
        print(f"saved as experiment {eid} in {shown_url(store.url)}", file=sys.stderr)
    if progress.interrupted:
        print(f"interrupted: {len(result.runs)} of {len(exp.runs)} runs written "
              "(the last one stopped early)", file=sys.stderr)
        return 130
    return 0


WAIT_FOR_COMPILER_SECONDS = 5.0  # an experiment the interpreter needs longer for waits for numba


def _interpreter_seconds(exp, problem) -> float:
    """The interpreter loop's estimated time for every run of ``exp`` (0 when a run is invalid:
    the run itself reports why)."""
    total = 0.0
    for cfg in exp.runs:
        try:
            total += python_seconds(problem, make_plan(problem, cfg))
        except GDError:
            pass
    return total * exp.repeats.n


def _schema() -> int:
    def plain(d):
        return {k: {p: list(v) if isinstance(v, tuple) else v for p, v in ps.items()}
                for k, ps in d.items()}

    print(json.dumps({"version": FORMAT_VERSION, "problems": list(PROBLEMS),
                      "repeats": {**RepeatConfig().to_dict(), "vary_choices": list(VARY),
                                  "max_n": int(LIMITS["repeats"].high)},
                      "data_sources": {k: sorted(v | {"standardize"})
                                       for k, v in DATA_FIELDS.items()},
                      "optimizers": plain(OPTIMIZER_DEFAULTS),
                      "schedules": plain(SCHEDULE_DEFAULTS), "clips": plain(CLIP_DEFAULTS),
                      "methods": plain(METHOD_DEFAULTS)}, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "schema":
            return _schema()
        if args.command == "store":
            return _store_command(args)
        return _run(args)
    except GDError as err:
        print(f"error: {_cut(str(err))}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"error: {err.strerror or err}: {err.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except (RecursionError, MemoryError) as err:
        print(f"error: the input is too large or too deeply nested to read "
              f"({type(err).__name__})", file=sys.stderr)
        return 2
    except Exception as err:  # last resort: one line, never a traceback
        print(f"error: unexpected {type(err).__name__}: {str(err)[:300]} (please report this)",
              file=sys.stderr)
        return 1


MAX_LINE = 600  # an error line's length: a long value it quotes is cut in the middle


def _cut(text: str) -> str:
    if len(text) <= MAX_LINE:
        return text
    half = MAX_LINE // 2
    return f"{text[:half]} … ({len(text) - 2 * half:,} characters left out) … {text[-half:]}"


if __name__ == "__main__":
    sys.exit(main())
