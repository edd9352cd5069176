"""A long interpreter run in a child process, so the process serving pages keeps its GIL.

The interpreter loop is plain Python: a run of several seconds holds the interpreter lock for
all of them, and every other session of the same server (a class of thirty on one link) waits
behind it. The compiled loop releases the lock (``nogil``); the interpreter loop cannot. So a run
that would keep the interpreter busy (``ISOLATE_FROM_SECONDS`` or more by the work budget's cost
model) and would not go to the compiled loop runs in a child process instead, with the same
code and therefore the same numbers bit for bit::

    result = isolated.run(problem, cfg, dataset=dataset, progress=on_progress)

Progress reaches ``progress(done, planned)`` in this process as it does in-process; when it
returns False the child stops at its next check and sends what it did (status "stopped"). An
error in the run is raised here as it would be in-process. Children are forked from a
forkserver that imported the engine once (spawn where there is none) and die with their
parent (a watchdog; a progress message to a gone parent ends them too); where no child can be
started the run happens here, with one log line.
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import logging
import multiprocessing as mp
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping

from ..errors import GDError
from ..spec.config import RunConfig, parse_run
from . import accel, runner
from . import dispatch as engines
from .accel import bridge
from .plan import make_plan

ISOLATE_FROM_SECONDS = 0.5  # estimated interpreter seconds from which a run goes to a child
PROGRESS_EVERY = 0.1  # seconds between the child's progress messages
LAST_CHILD: dict[str, int] = {}  # pid of the last child (for tests and the benchmark)

_LOG = logging.getLogger(__name__)
_LOCK = threading.Lock()
_CONTEXT_LOCK = threading.Lock()
_CONTEXT: list = []


def holds_the_interpreter(problem, cfg: RunConfig | Mapping) -> float:
    """Estimated seconds ``cfg`` would keep this process's interpreter busy (0 when the
    compiled loop, which releases the lock, would take it)."""
    cfg = parse_run(cfg) if isinstance(cfg, Mapping) else cfg
    plan = make_plan(problem, cfg)
    seconds = engines.python_seconds(problem, plan)
    if (engines.choice("auto") != "python" and bridge.supports(problem, plan)
            and bridge.knows(accel.kernel(), plan) and seconds >= engines.COMPILED_FROM_SECONDS):
        return 0.0
    return seconds


@contextlib.contextmanager
def _no_main_module():
    """Start a child without re-running this process's ``__main__`` in it. multiprocessing
    prepares a spawned or forkserver child by importing the parent's main module from its
    path; under Streamlit that module is the page script (``dashboard.py`` would run in the
    child). A main module whose spec is named ``__main__`` is skipped, so it gets one while the
    child starts."""
    with _LOCK:
        main = sys.modules.get("__main__")
        had = main is not None and getattr(main, "__spec__", None) is not None
        if main is not None and not had:
            main.__spec__ = importlib.machinery.ModuleSpec("__main__", None)
        try:
            yield
        finally:
            if main is not None and not had:
                main.__spec__ = None


def _context():
    with _CONTEXT_LOCK:
        if not _CONTEXT:
            try:
                ctx = mp.get_context("forkserver")
                ctx.set_forkserver_preload(["gdcore"])
            except ValueError:  # no forkserver here (Windows)
                ctx = mp.get_context("spawn")
            _CONTEXT.append(ctx)
        return _CONTEXT[0]


def prepare(delay: float = 0.0) -> None:
    """Start the forkserver in the background (it imports the engine once, a second or two),
    so the first long run does not wait for it. Failure is logged once and changes nothing."""
    def start() -> None:
        time.sleep(delay)
        try:
            proc = _context().Process(target=_noop, daemon=True)
            with _no_main_module():
                proc.start()
            proc.join(60)
        except (OSError, ValueError, RuntimeError) as err:
            _LOG.warning("gdcore: no process for long runs (%s); they run in the server", err)

    threading.Thread(target=start, name="gdcore-forkserver", daemon=True).start()


def _noop() -> None:
    return None


def _watch(parent: int) -> None:
    """End this child once the process that asked for the run is gone (its parent is the
    forkserver, so the pid is watched; a send to a dead parent ends it sooner)."""
    while True:
        time.sleep(1.0)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(3)
        except OSError:
            pass


def _child(conn, stop, parent: int, problem, cfg, dataset) -> None:
    """The child's side: run, sending progress now and then and the result (or error) last."""
    threading.Thread(target=_watch, args=(parent,), daemon=True).start()
    os.environ["GDCORE_ENGINE"] = "python"  # the parent chose this process for the interpreter
    last = [0.0]

    def progress(done: int, planned: int) -> bool:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY:
            last[0] = now
            conn.send(("progress", int(done), int(planned)))
        return not stop.is_set()

    try:
        result = runner.run(problem, cfg, dataset=dataset, engine="python", progress=progress)
        conn.send(("result", result))
    except GDError as err:
        conn.send(("error", err))
    except BaseException as err:  # noqa: BLE001 - reported to the parent, which decides
        conn.send(("crash", f"{type(err).__name__}: {err}"))
    finally:
        conn.close()


def run(problem, cfg: RunConfig | Mapping, *, dataset=None,
        progress: Callable[[int, int], bool | None] | None = None):
    """:func:`gdcore.engine.runner.run` in a child process (see the module docstring)."""
    cfg_dict = cfg.to_dict() if isinstance(cfg, RunConfig) else dict(cfg)
    try:
        ctx = _context()
        receive, send = ctx.Pipe(duplex=False)
        stop = ctx.Event()
        proc = ctx.Process(target=_child, daemon=True,
                           args=(send, stop, os.getpid(), problem, cfg_dict, dataset))
        with _no_main_module():
            proc.start()
    except (OSError, ValueError, RuntimeError) as err:  # no child here: run in this process
        _LOG.warning("gdcore: a long run could not start its own process (%s); running it "
                     "here", err)
        return runner.run(problem, cfg, dataset=dataset, progress=progress)
    send.close()
    LAST_CHILD["pid"] = proc.pid
    try:
        while True:
            if receive.poll(PROGRESS_EVERY):
                try:
                    kind, *payload = receive.recv()
                except EOFError:
                    raise RuntimeError(f"the run's process ended without a result (exit code "
                                       f"{proc.join(5) or proc.exitcode})") from None
                if kind == "progress":
                    if progress is not None and progress(*payload) is False:
                        stop.set()  # it stops at its next check and sends what it did
                elif kind == "result":
                    return payload[0]
                elif kind == "error":
                    raise payload[0]
                else:
                    raise RuntimeError(f"the run failed in its process: {payload[0]}")
            elif not proc.is_alive() and not receive.poll(0):
                raise RuntimeError(f"the run's process ended without a result (exit code "
                                   f"{proc.exitcode})")
    except BaseException:
        stop.set()
        raise
    finally:
        receive.close()
        proc.join(timeout=5)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=5)
