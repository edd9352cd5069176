"""A class opening one shared link: N sessions on one real ``streamlit run`` server.

    python -m bench.load --sessions 30                 # open + lr change (about 30 s)
    python -m bench.load --sessions 30 --long-run      # + one long run while the others click
    python -m bench.load --sessions 30 --warm-up       # idle measured after one first visit
    python -m bench.load --sessions 2 --long-run --long-seconds 2 --json /tmp/load.json

No browser: each session speaks Streamlit's own websocket protocol with the protobufs shipped in
streamlit (``BackMsg`` up, ``ForwardMsg`` down), as the frontend does:

1. ``GET /?s=<token>`` (the page; its scripts and styles are not fetched), then a websocket to
   ``ws://127.0.0.1:P/_stcore/stream`` (subprotocol ``streamlit``);
2. BackMsg ``rerun_script`` (a ClientState: the link's query string, no widget states, an
   empty page hash = the main page, a ContextInfo like a browser's);
3. ForwardMsgs back: ``new_session`` (the page hash the next reruns name), ``delta``\\ s (the
   elements; ``delta.new_element.vega_lite_chart`` is an ``st.vega_lite_chart``, the form
   ``ui/render.py`` draws every chart in), ``page_info_changed`` (the app wrote the URL: the
   client keeps that query string for its next rerun, as the browser's address bar does) and
   ``script_finished`` (FINISHED_EARLY_FOR_RERUN is not the end of a run).

Measured on the client, with ``time.perf_counter`` from just before the request (the GET, or the
rerun_script), to the arrival of the first chart delta and of ``script_finished``:

* **open**: every session opens the link at once (a four-run setup on 2,000 generated rows);
* **lr change**: every session changes run 1's learning rate (each to its own value, so no
  session reuses another's result; ``--same-lr``: all to one value): a rerun_script whose
  widget_states hold the new value (``double_value``) for the id of the first
  ``number_input`` labelled "Learning rate" in the session's last run (run 1's editor in
  ``ui/run_editor.py``); ``--lr-change link`` sends a new link instead (the setup with that
  lr, encoded with ``gdcore.spec.share.encode``);
* **long run** (``--long-run``): session 1 opens a link whose runs take about ``--long-seconds``
  on the interpreter loop (logistic regression: the compiled accelerator runs only linear
  regression), and once its progress bar shows, the other N−1 change an lr again.

Every change is checked: the link the app writes back (``page_info_changed``) must decode to the
expected setup. The server's RSS (``VmRSS`` of /proc/<pid>/status) is sampled throughout: idle
(before any session; with ``--warm-up`` after one visit to the plain page, once the accelerator
it starts is loaded), peak, and after every websocket closed (polled until it stays within 1 MB
for ``--settle`` seconds, at most ``--settle-bound``); the server's CPU seconds per phase too.
Targets are printed with PASS/MISS; the exit code is 0 whatever the times (1 only if the
benchmark itself could not run: no server, no session at all; 130 when interrupted). Loopback
only; every wait is bounded (``--msg-timeout`` per message, ``--deadline`` in all); the server
is stopped at the end, on Ctrl-C and on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import math
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/load.py` puts bench/ first, not the repo root
    sys.path.insert(0, str(ROOT))

import websockets  # noqa: E402  (a dependency of streamlit >= 1.5x: no new dependency)
from streamlit.proto.Alert_pb2 import Alert  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from streamlit.proto.NumberInput_pb2 import NumberInput  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetStates  # noqa: E402

import gdcore  # noqa: E402
from gdcore.data.sources import CLASSES_DEFAULTS  # noqa: E402
from gdcore.engine import dispatch as engines  # noqa: E402
from gdcore.engine.plan import make_plan  # noqa: E402
from gdcore.limits import LIMITS  # noqa: E402
from gdcore.spec import share  # noqa: E402
from lab import presets  # noqa: E402

URL_PARAM = "s"  # ui/state.py: the whole setup travels in ?s=<gdcore.spec.share token>
LR_LABEL = "Learning rate"  # ui/run_editor.py: LR_LABELS["gd"]
DEFAULT_LINK = "presets-lr-on-2000-generated-rows"
MAX_EPOCHS = int(LIMITS["epochs"].high)
MAX_LONG_RUNS = 12  # ui/state.py MAX_RUNS
FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
            ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
MB = 1024.0  # VmRSS is in kB

# (key, label, target text, verdict function of (median, max)) for every timed column
TIMED = [
    ("open_first_chart", "open: first chart", "median <= 3 s, max <= 5 s",
     lambda med, top: [("median <= 3 s", med <= 3.0), ("max <= 5 s", top <= 5.0)]),
    ("open_finished", "open: script finished", "median <= 4 s",
     lambda med, top: [("median <= 4 s", med <= 4.0)]),
    ("lr_first_chart", "lr change: first chart", "-", lambda med, top: []),
    ("lr_finished", "lr change: script finished", "median <= 2 s, max <= 4 s",
     lambda med, top: [("median <= 2 s", med <= 2.0), ("max <= 4 s", top <= 4.0)]),
    ("long_others_finished", "long run: others' lr change finished", "median <= 3 s",
     lambda med, top: [("median <= 3 s", med <= 3.0)]),
]
RSS_TARGET_MB = 50.0


# --- the setups ----------------------------------------------------------------------------
def link_setup(name: str) -> dict[str, Any]:
    """The experiment dict named ``presets-<preset>-on-<n>-generated-rows``: that preset on
    ``n`` generated rows (lab.presets.DEFAULT_DATA otherwise), made up to four runs with the
    mini-batch run of the "batch" preset (or cut to four)."""
    m = re.fullmatch(r"presets-(?P<key>[a-z_]+)-on-(?P<n>\d+)-generated-rows", name)
    if not m or m["key"] not in presets.PRESETS:
        raise SystemExit(f"--link-setup {name!r}: expected presets-<preset>-on-<n>-generated-rows "
                         f"with a preset of {', '.join(presets.PRESETS)}")
    data = {**presets.DEFAULT_DATA, "n": int(m["n"])}
    exp = presets.build(m["key"], data=data)
    runs = exp["runs"][:4]
    extra = [r for r in presets.build("batch", data=data)["runs"]
             if r["batch_size"] not in ("full", 1)]
    k = 0
    while len(runs) < 4:
        run = copy.deepcopy(extra[k % len(extra)])
        names = {r["name"] for r in runs}
        while run["name"] in names:
            run["name"] += " (2)"
        runs.append(run)
        k += 1
    exp["runs"] = runs
    gdcore.parse_experiment(exp)
    return exp


def long_setup(seconds: float) -> tuple[dict[str, Any], str]:
    """A logistic setup (the interpreter loop only: the compiled accelerator runs linear
    regression) whose full-batch runs take about ``seconds`` on the interpreter by the engine's
    own cost model (``gdcore.engine.dispatch.python_seconds``: the same setup on every run of this
    benchmark, for a given engine), within the app's work budget; and a one-line description
    with the time a probe of the same run takes here, now (a check of the model)."""
    data = {"source": "classes", **CLASSES_DEFAULTS}
    base = presets.build("lr", data=data, problem="logistic")
    dataset = gdcore.load_dataset(data, problem="logistic")
    problem = gdcore.make_problem("logistic", dataset)
    probe_epochs = 4000
    probe = {**base, "runs": [{**base["runs"][1], "epochs": probe_epochs, "tol_grad": 0.0,
                               "tol_loss": 0.0}]}
    per_epoch = engines.python_seconds(
        problem, make_plan(problem, gdcore.parse_experiment(probe).runs[0])) / probe_epochs
    total = max(1, round(seconds / per_epoch))
    n_runs = min(MAX_LONG_RUNS, max(1, math.ceil(total / MAX_EPOCHS)))
    epochs = min(MAX_EPOCHS, max(1, round(total / n_runs)))
    for _ in range(200):  # shrink until the app's own budget check accepts it
        runs = []
        for k in range(n_runs):  # too small / about right in turn: neither stops or diverges
            run = copy.deepcopy(base["runs"][k % 2])
            run.update(name=f"{run['name']} #{k + 1}", epochs=epochs, tol_grad=0.0, tol_loss=0.0)
            runs.append(run)
        exp = {**base, "runs": runs}
        parsed = gdcore.parse_experiment(exp)
        if gdcore.engine.runner.over_budget(parsed, problem) is None or epochs == 1:
            break
        epochs = max(1, int(epochs * 0.9))
    est = sum(engines.python_seconds(problem, make_plan(problem, r)) for r in parsed.runs)
    took = min(_timed(lambda: gdcore.run_experiment(probe, engine="python")) for _ in range(3))
    measured = took / probe_epochs * epochs * n_runs
    return exp, (f"logistic regression on {dataset.n} generated rows, {n_runs} full-batch "
                 f"run(s) × {epochs:,} epochs: {est:.1f} s on the interpreter by the engine's "
                 f"estimate ({measured:.1f} s by a probe timed here, best of 3)")


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def with_lr(exp: dict[str, Any], run: int, lr: float) -> dict[str, Any]:
    out = copy.deepcopy(exp)
    out["runs"][run]["optimizer"]["lr"] = lr
    return out


def token_of(query: str) -> str | None:
    values = parse_qs(query).get(URL_PARAM)
    return values[0] if values else None


def sig(x: float, digits: int = 4) -> float:
    return float(f"{x:.{digits}g}")


# --- the server -----------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def read_rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / MB
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` (all its threads) so far."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The other processes in ``pid``'s process group (the server was started as a group
    leader: whatever it starts, e.g. the accelerator's build, is in it), but the forkserver."""
    out: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == pid:
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[2] == str(pid) and fields[0] != "Z" \
                and not _stays(entry):
            out.append(int(entry))
    return out


def _stays(pid: str) -> bool:
    """The forkserver long runs are forked from (gdcore/engine/isolated.py) and multiprocessing's
    resource tracker stay for the server's life: they are not work in progress (counting the
    tracker made the warm-up wait its whole bound)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read()
    except OSError:
        return False
    return b"multiprocessing.forkserver" in cmd or b"multiprocessing.resource_tracker" in cmd


def driver_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Server:
    """``streamlit run dashboard.py`` in a subprocess (its own process group, so whatever it
    starts, e.g. the accelerator's build, ends with it)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.log = tempfile.NamedTemporaryFile(prefix="bench-load-server-", suffix=".log",
                                               delete=False)
        self.proc: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        cmd = [sys.executable, "-m", "streamlit", "run", "dashboard.py",
               "--server.headless", "true", "--server.port", str(self.port),
               "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)

    def wait_ready(self, timeout: float) -> float:
        t0 = time.perf_counter()
        url = f"http://127.0.0.1:{self.port}/_stcore/health"
        for _ in range(int(timeout / 0.2) + 1):
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited (code {self.proc.returncode}):\n"
                                   + self.log_tail())
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        return time.perf_counter() - t0
            except OSError:
                pass
            if time.perf_counter() - t0 > timeout:
                break
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer {url} within {timeout:.0f} s:\n"
                           + self.log_tail())

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(Path(self.log.name).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM to the server's process group, SIGKILL after ``timeout``; its exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        try:  # anything left in its group (a build child), and the server if it hung
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self.log.close()
        return self.proc.returncode


class RssSampler(threading.Thread):
    """The server's RSS every ``interval`` seconds (bounded: stops at ``max_seconds``)."""

    def __init__(self, pid: int, interval: float = 0.1, max_seconds: float = 3600.0) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.max_seconds = pid, interval, max_seconds
        self.samples: list[tuple[float, float]] = []
        self._halt = threading.Event()

    def run(self) -> None:
        t0 = time.perf_counter()
        while not self._halt.is_set() and time.perf_counter() - t0 < self.max_seconds:
            rss = read_rss_mb(self.pid)
            if rss is not None:
                self.samples.append((time.perf_counter(), rss))
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join(5)

    def peak(self, start: float = -math.inf, end: float = math.inf) -> float | None:
        vals = [v for t, v in list(self.samples) if start <= t <= end]
        return max(vals) if vals else None


# --- one session ----------------------------------------------------------------------------
@dataclass
class RunTimes:
    first_chart: float | None = None
    finished: float | None = None
    charts: int = 0
    progress_seen: float | None = None
    problems: list[str] = field(default_factory=list)


class Session:
    """One browser tab: a websocket, the query string in its address bar, the page hash the
    server named, and the widgets of its last run."""

    def __init__(self, index: int, port: int, query: str, msg_timeout: float) -> None:
        self.index, self.port, self.query = index, port, query
        self.msg_timeout = msg_timeout
        self.page_hash = ""
        self.ws = None
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.reader: asyncio.Task | None = None
        self.lr_widget: tuple[str, float, int] | None = None  # (id, value, data_type)
        self.n_lr_widgets = 0
        self.base: dict[str, Any] | None = None  # the setup it holds (for a change by link)
        self.errors: list[str] = []

    async def get_page(self, timeout: float) -> None:
        """``GET /?<query>`` as a browser's first request (the HTML only)."""
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", self.port), timeout)
        try:
            writer.write((f"GET /?{self.query} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                          "Accept: text/html\r\nConnection: close\r\n\r\n").encode())
            await writer.drain()
            head = await asyncio.wait_for(reader.readline(), timeout)
            parts = head.split()
            if len(parts) < 2 or parts[1] != b"200":
                raise RuntimeError(f"GET / answered {head!r}")
            await asyncio.wait_for(reader.read(), timeout)  # the page, until the server closes
        finally:
            writer.close()

    async def connect(self, timeout: float) -> None:
        self.ws = await websockets.connect(
            f"ws://127.0.0.1:{self.port}/_stcore/stream", subprotocols=["streamlit"],
            max_size=None, ping_interval=None, open_timeout=timeout, close_timeout=10)
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                self.inbox.put_nowait((time.perf_counter(), raw))
        except websockets.ConnectionClosed:
            pass
        finally:
            self.inbox.put_nowait((time.perf_counter(), None))

    async def send_rerun(self, *, query: str | None = None,
                         widgets: WidgetStates | None = None) -> None:
        if query is not None:
            self.query = query
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query
        cs.page_script_hash = self.page_hash
        if widgets is not None:
            cs.widget_states.CopyFrom(widgets)
        ci = cs.context_info
        ci.timezone, ci.timezone_offset, ci.locale = "UTC", 0, "en-US"
        ci.url = f"http://127.0.0.1:{self.port}/?{self.query}"
        ci.is_embedded, ci.color_scheme = False, "light"
        await self.ws.send(msg.SerializeToString())

    async def until_finished(self, t0: float, deadline: float,
                             progress: asyncio.Event | None = None) -> RunTimes:
        """Read ForwardMsgs until ``script_finished`` (a finish, not FINISHED_EARLY_FOR_RERUN),
        timing them from ``t0``. Bounded: ``msg_timeout`` per message, ``deadline`` in all."""
        out = RunTimes()
        lr_widgets: list[tuple[str, float, int]] = []
        for _ in range(1_000_000):
            left = min(self.msg_timeout, deadline - time.perf_counter())
            if left <= 0:
                out.problems.append("no script_finished before the deadline")
                break
            try:
                t, raw = await asyncio.wait_for(self.inbox.get(), left)
            except TimeoutError:
                out.problems.append(f"no message for {left:.0f} s")
                break
            if raw is None:
                out.problems.append("the server closed the websocket")
                break
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.page_hash = msg.new_session.page_script_hash
            elif kind == "page_info_changed":
                self.query = msg.page_info_changed.query_string
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                el = msg.delta.new_element
                what = el.WhichOneof("type")
                if what == "vega_lite_chart":
                    out.charts += 1
                    if out.first_chart is None:
                        out.first_chart = t - t0
                elif what == "number_input" and el.number_input.label == LR_LABEL:
                    ni = el.number_input
                    lr_widgets.append((ni.id, ni.value if ni.HasField("value") else ni.default,
                                       ni.data_type))
                elif what == "progress" and out.progress_seen is None:
                    out.progress_seen = t - t0
                    if progress is not None:
                        progress.set()
                elif what == "exception":
                    out.problems.append(f"exception: {el.exception.type}: "
                                        f"{el.exception.message[:200]}")
                elif what == "alert" and el.alert.format == Alert.ERROR:
                    out.problems.append(f"error shown: {el.alert.body[:200]}")
            elif kind == "script_finished" and msg.script_finished in FINISHED:
                out.finished = t - t0
                if msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    out.problems.append("the script did not compile")
                break
        if out.finished is not None:
            self.n_lr_widgets = len(lr_widgets)
            self.lr_widget = lr_widgets[0] if lr_widgets else None
        self.errors.extend(f"session {self.index + 1}: {p}" for p in out.problems)
        return out

    async def close(self) -> None:
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 15)
            except (TimeoutError, OSError, websockets.WebSocketException):
                pass
        if self.reader is not None:
            try:
                await asyncio.wait_for(self.reader, 5)
            except (TimeoutError, asyncio.CancelledError):
                self.reader.cancel()


# --- the phases -----------------------------------------------------------------------------
async def open_one(s: Session, deadline: float) -> RunTimes:
    t0 = time.perf_counter()
    try:
        left = max(1.0, min(s.msg_timeout, deadline - t0))
        await s.get_page(left)
        await s.connect(left)
        await s.send_rerun()
    except (OSError, TimeoutError, RuntimeError, websockets.WebSocketException) as err:
        s.errors.append(f"session {s.index + 1}: could not open: {type(err).__name__}: {err}")
        return RunTimes(problems=[str(err)])
    return await s.until_finished(t0, deadline)


async def change_lr(s: Session, lr: float, base: dict[str, Any], how: str, deadline: float,
                    checks: list[bool]) -> RunTimes:
    """Change run 1's learning rate to ``lr``: by its widget's state, or by a new link."""
    if s.ws is None:
        return RunTimes(problems=["not open"])
    t0 = time.perf_counter()
    if how == "widget":
        wid, _, dtype = s.lr_widget
        states = WidgetStates()
        w = states.widgets.add()
        w.id = wid
        if dtype == NumberInput.INT:  # (the lr input is a float one: kept for completeness)
            w.int_value = int(lr)
        else:
            w.double_value = lr
        await s.send_rerun(widgets=states)
    else:
        await s.send_rerun(query=urlencode({URL_PARAM: share.encode(with_lr(base, 0, lr))}))
    out = await s.until_finished(t0, deadline)
    checks.append(_link_has_lr(s.query, lr))
    return out


def _link_setup(query: str) -> dict[str, Any] | None:
    """The setup the link in ``query`` holds (full engine dict), or None."""
    token = token_of(query)
    try:
        return share.decode(token).to_dict() if token else None
    except gdcore.GDError:
        return None


def _link_has_lr(query: str, lr: float) -> bool:
    got = _link_setup(query)
    return got is not None and math.isclose(float(got["runs"][0]["optimizer"]["lr"]), lr,
                                            rel_tol=1e-12)


def _link_is(query: str, exp: dict[str, Any]) -> bool:
    got = _link_setup(query)
    return got is not None and got == gdcore.parse_experiment(exp).to_dict()


def stats(values: list[float | None]) -> tuple[float, float, int]:
    """(median, max, count measured); a session without a value counts as infinitely slow."""
    vals = [math.inf if v is None else v for v in values]
    if not vals:
        return math.nan, math.nan, 0
    return statistics.median(vals), max(vals), sum(v is not None for v in values)


async def settle_rss(pid: int, *, quiet: float, bound: float) -> tuple[float | None, float]:
    """Poll the server's RSS until it has stayed within 1 MB for ``quiet`` seconds (it stopped
    falling, or rising), at most ``bound`` seconds; (last RSS, seconds waited)."""
    t0 = time.perf_counter()
    ref = last = read_rss_mb(pid)
    since = t0
    for _ in range(int(bound / 0.5) + 2):
        await asyncio.sleep(0.5)
        last = read_rss_mb(pid)
        now = time.perf_counter()
        if last is None:
            break
        if ref is None or abs(last - ref) > 1.0:
            ref, since = last, now
        if now - since >= quiet or now - t0 >= bound:
            break
    return last, time.perf_counter() - t0


async def drive(args: argparse.Namespace, server: Server, sampler: RssSampler,
                res: dict[str, Any]) -> None:
    deadline = res["t_start"] + args.deadline
    base = link_setup(args.link_setup)
    token = share.encode(base)
    query = urlencode({URL_PARAM: token})
    n = args.sessions
    res["link"] = {"name": args.link_setup, "runs": len(base["runs"]),
                   "rows": base["data"]["n"], "token_chars": len(token)}
    if args.long_run:  # (timed here, before any session: it is the driver's own work)
        long_exp, res["long_setup"] = long_setup(args.long_seconds)
    sessions = [Session(i, server.port, query, args.msg_timeout) for i in range(n)]
    marks = res["phase_marks"]

    def stamp(phase: str) -> None:
        marks.setdefault(phase, []).append(
            (time.perf_counter(), cpu_seconds(server.pid), driver_cpu()))

    if args.warm_up:  # one visit to the plain page before the class (not timed)
        stamp("warm-up")
        first = Session(-1, server.port, "", args.msg_timeout)
        r = await open_one(first, deadline)
        await first.close()
        if r.finished is None:
            res["notes"].append("the warm-up visit did not finish: " + "; ".join(r.problems))
        # the visit starts the accelerator (results.ACCELERATOR_DELAY = 3 s later: a build in
        # a child process, or a load from the cache): wait for it, then for RSS to settle
        t_w = time.perf_counter()
        await asyncio.sleep(4.0)
        for _ in range(int(args.warm_up_bound) + 1):
            if not children(server.pid) or time.perf_counter() - t_w > args.warm_up_bound:
                break
            await asyncio.sleep(1.0)
        if children(server.pid):
            res["notes"].append(f"warm-up: the server still had a child process (the "
                                f"accelerator's build?) after {args.warm_up_bound:.0f} s")
        await settle_rss(server.pid, quiet=args.settle, bound=args.settle_bound)
        stamp("warm-up")
    t_idle = time.perf_counter()  # idle: the server up, no session open
    await asyncio.sleep(2.0)
    idle = [v for t, v in list(sampler.samples) if t >= t_idle]
    res["rss_idle_mb"] = statistics.median(idle) if idle else read_rss_mb(server.pid)
    res["rss_idle_is"] = "after one warm-up visit" if args.warm_up else "before any session"
    try:
        # phase 1: N students open the link at once
        stamp("open")
        opened = await asyncio.gather(*(open_one(s, deadline) for s in sessions))
        stamp("open")
        res["open_first_chart"] = [r.first_chart for r in opened]
        res["open_finished"] = [r.finished for r in opened]
        res["open_charts"] = [r.charts for r in opened]
        res["open_link_applied"] = sum(
            r.finished is not None and s.n_lr_widgets >= 1
            and _link_is(s.query, base) for s, r in zip(sessions, opened))
        ready = [s for s, r in zip(sessions, opened) if r.finished is not None]
        if not ready:
            raise RuntimeError("no session opened the page")

        # phase 2: every session changes run 1's learning rate (each to its own value)
        how = args.lr_change
        if how == "widget" and any(s.lr_widget is None for s in ready):
            how = "link"  # no "Learning rate" input found: fall back to a new link
            res["notes"].append("no 'Learning rate' number_input in some session's deltas: "
                                "the lr change was sent as a new link")
        res["lr_change_method"] = how
        lr0 = base["runs"][0]["optimizer"]["lr"]
        spread = 0.0 if args.same_lr else 0.01  # each session its own lr, or all the same

        def new_lr(s: Session, times: float) -> float:
            return sig(lr0 * (times + spread * s.index))

        checks: list[bool] = []
        stamp("lr change")
        changed = await asyncio.gather(*(
            change_lr(s, new_lr(s, 2), base, how, deadline, checks)
            if s in ready else _none() for s in sessions))
        stamp("lr change")
        res["lr_first_chart"] = [r.first_chart for r in changed]
        res["lr_finished"] = [r.finished for r in changed]
        res["lr_change_applied"] = sum(checks)
        for s in ready:  # the setup each session now holds (for a link-based change)
            s.base = with_lr(base, 0, new_lr(s, 2))

        # phase 3: one long run, and meanwhile the others change an lr again
        if args.long_run:
            long_s, others = sessions[0], [s for s in sessions[1:] if s in ready]
            if long_s not in ready:
                raise RuntimeError("session 1 did not open: no long run")
            started = asyncio.Event()
            stamp("long run")
            t0 = time.perf_counter()
            await long_s.send_rerun(query=urlencode({URL_PARAM: share.encode(long_exp)}))
            long_task = asyncio.create_task(long_s.until_finished(t0, deadline, started))
            try:
                await asyncio.wait_for(started.wait(), min(30.0, max(1.0, deadline - t0)))
            except TimeoutError:
                res["notes"].append("the long run showed no progress bar within 30 s; the "
                                    "others started anyway")
            res["long_progress_after"] = time.perf_counter() - t0
            checks3: list[bool] = []
            again = await asyncio.gather(*(
                change_lr(s, new_lr(s, 3), s.base, how, deadline, checks3)
                for s in others))
            t_others = time.perf_counter()
            long_r = await long_task
            stamp("long run")
            res["long_others_finished"] = [r.finished for r in again]
            res["long_others_first_chart"] = [r.first_chart for r in again]
            res["long_run_finished"] = long_r.finished
            res["long_run_link_applied"] = _link_is(long_s.query, long_exp)
            res["long_others_applied"] = sum(checks3)
            res["long_overlap"] = (long_r.finished is not None
                                   and t_others - t0 < long_r.finished)
    finally:
        # close every websocket, then wait for the server's RSS to settle
        stamp("close")
        await asyncio.gather(*(s.close() for s in sessions))
        res["errors"] = [e for s in sessions for e in s.errors][:50]
        task = asyncio.current_task()
        if task is not None and task.cancelling():  # interrupted: no waiting for RSS
            res["rss_after_close_mb"], res["close_wait_s"] = read_rss_mb(server.pid), 0.0
        else:
            res["rss_after_close_mb"], res["close_wait_s"] = await settle_rss(
                server.pid, quiet=args.settle, bound=args.settle_bound)
        stamp("close")


async def _none() -> RunTimes:
    return RunTimes(problems=["not open"])


# --- report ---------------------------------------------------------------------------------
def fmt_s(v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    return "timeout" if math.isinf(v) else f"{v:.2f} s"


def report(res: dict[str, Any]) -> list[tuple[str, bool]]:
    """Print the table; return (target, met) for every target."""
    verdicts: list[tuple[str, bool]] = []
    n = res["sessions"]
    print(f"\n{n} sessions on one `streamlit run dashboard.py` (127.0.0.1:{res['port']}, "
          f"server pid {res.get('server_pid', 'n/a')}); {os.cpu_count()} cores")
    print(f"load average at start: {res['load_start']}; at end: {res['load_end']}")
    link = res.get("link") or {}
    if link:
        print(f"link: {link['name']} ({link['runs']} runs, {link['rows']:,} rows, ?s= token of "
              f"{link['token_chars']} characters); lr change by "
              f"{'widget state' if res.get('lr_change_method') == 'widget' else 'new link'}, "
              f"{'the same lr in every session' if res.get('same_lr') else 'each session its own lr'}")
    if res.get("long_setup"):
        print(f"long run: {res['long_setup']}; its run took {fmt_s(res.get('long_run_finished'))}"
              f" to finish; the others all finished while it ran: "
              f"{'yes' if res.get('long_overlap') else 'NO'}")
    w = 40
    print(f"\n{'measure':<{w}} {'median':>9} {'max':>9} {'done':>7}  {'target':<27} verdict")
    for key, label, target, judge in TIMED:
        if key not in res:
            print(f"{label:<{w}} {'-':>9} {'-':>9} {'-':>7}  {target:<27} not run")
            continue
        med, top, done = stats(res[key])
        count = len(res[key])
        got = judge(med, top) if count else []
        verdicts += [(f"{label}: {t}", ok) for t, ok in got]
        verdict = ", ".join(("PASS" if ok else "MISS") for _, ok in got) or "-"
        print(f"{label:<{w}} {fmt_s(med):>9} {fmt_s(top):>9} {done:>3}/{count:<3}  "
              f"{target:<27} {verdict}")
    idle, peak, after = res.get("rss_idle_mb"), res.get("rss_peak_mb"), res.get("rss_after_close_mb")
    rss = " / ".join("n/a" if v is None else f"{v:.0f}" for v in (idle, peak, after))
    ok = idle is not None and after is not None and after - idle <= RSS_TARGET_MB
    verdicts.append(("RSS after close within 50 MB of idle", ok))
    print(f"{'RSS idle / peak / after close (MB)':<{w}} {rss:>27}  "
          f"{'after close <= idle + 50 MB':<27} {'PASS' if ok else 'MISS'}")
    if after is not None and idle is not None:
        print(f"  idle: {res.get('rss_idle_is')}; after close = idle + {after - idle:.0f} MB, "
              f"read {res['close_wait_s']:.1f} s after the last websocket closed (when RSS "
              "had stayed within 1 MB for the --settle time, or at --settle-bound)")
    for phase, ph in (res.get("phases") or {}).items():
        cpu = ph["server_cpu_s"]
        cores = "" if cpu is None or ph["seconds"] <= 0 else f" = {cpu / ph['seconds']:.2f} cores"
        peak_mb = ph["rss_peak_mb"]
        print(f"  {phase + ':':<10} {ph['seconds']:6.1f} s wall, server CPU "
              f"{'n/a' if cpu is None else f'{cpu:.1f} s'}{cores}, this driver's CPU "
              f"{ph['driver_cpu_s']:.1f} s, server RSS peak "
              f"{'n/a' if peak_mb is None else f'{peak_mb:.0f} MB'}")
    checks = [("open", "open_link_applied", "open_finished"),
              ("lr change", "lr_change_applied", "lr_finished"),
              ("long run: others", "long_others_applied", "long_others_finished")]
    seen = [f"{name} {res[key]}/{len(res[of])}" for name, key, of in checks if key in res]
    if seen:
        print("setup checked in the link the app wrote back: " + ", ".join(seen)
              + ("" if "long_run_link_applied" not in res else
                 f", long run {'yes' if res['long_run_link_applied'] else 'NO'}"))
    for note in res["notes"]:
        print(f"note: {note}")
    if res.get("errors"):
        print(f"{len(res['errors'])} session problem(s), first ones:")
        for e in res["errors"][:10]:
            print(f"  {e}")
    met = sum(ok for _, ok in verdicts)
    print(f"\n{met} of {len(verdicts)} targets met (a benchmark: the exit code does not depend "
          "on them)")
    return verdicts


def load_avg() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=30, help="concurrent sessions (default 30)")
    ap.add_argument("--port", type=int, default=None, help="server port (default: a free one)")
    ap.add_argument("--link-setup", default=DEFAULT_LINK,
                    help=f"the shared link: presets-<preset>-on-<n>-generated-rows "
                         f"(default {DEFAULT_LINK})")
    ap.add_argument("--long-run", action="store_true",
                    help="phase 3: one session starts a long run while the others change an lr")
    ap.add_argument("--long-seconds", type=float, default=20.0,
                    help="the long run's length by the engine's estimate (default 20 s)")
    ap.add_argument("--lr-change", choices=("widget", "link"), default="widget",
                    help="send the lr change as a widget state (default) or as a new link")
    ap.add_argument("--same-lr", action="store_true",
                    help="every session changes to the same lr (default: each its own)")
    ap.add_argument("--deadline", type=float, default=600.0,
                    help="overall bound in seconds (default 600)")
    ap.add_argument("--msg-timeout", type=float, default=120.0,
                    help="longest wait for one message (default 120 s)")
    ap.add_argument("--settle", type=float, default=5.0,
                    help="after close: RSS must not fall for this long (default 5 s)")
    ap.add_argument("--settle-bound", type=float, default=60.0,
                    help="after close: wait at most this long (default 60 s)")
    ap.add_argument("--warm-up", action="store_true",
                    help="one visit to the plain page first (imports, accelerator), then idle")
    ap.add_argument("--warm-up-bound", type=float, default=180.0,
                    help="warm-up: wait at most this long for the accelerator (default 180 s)")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = ap.parse_args(argv)
    if not 1 <= args.sessions <= 500:
        ap.error("--sessions: 1 to 500")
    if not 0.1 <= args.long_seconds <= 120:
        ap.error("--long-seconds: 0.1 to 120")
    port = args.port or free_port()
    if port_in_use(port):
        ap.error(f"port {port} is in use")

    res: dict[str, Any] = {"sessions": args.sessions, "port": port, "notes": [],
                           "same_lr": args.same_lr,
                           "t_start": time.perf_counter(), "load_start": load_avg(),
                           "phase_marks": {}}
    print(f"load average at start: {res['load_start']} ({os.cpu_count()} cores)", flush=True)
    server = Server(port)
    sampler: RssSampler | None = None
    rc = 0

    def _terminate(signum, frame):  # Ctrl-C's twin: the finally below stops the server
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, _terminate)
    try:
        server.start()
        res["server_pid"] = server.pid
        ready_s = server.wait_ready(min(120.0, args.deadline))
        print(f"server up in {ready_s:.1f} s (pid {server.pid})", flush=True)
        sampler = RssSampler(server.pid, max_seconds=args.deadline + 120)
        sampler.start()
        asyncio.run(asyncio.wait_for(drive(args, server, sampler, res), args.deadline + 90))
    except KeyboardInterrupt:
        res["notes"].append("interrupted")
        print("\ninterrupted: stopping the server", flush=True)
        rc = 130
    except (RuntimeError, OSError, TimeoutError) as err:
        res["notes"].append(f"the benchmark could not complete: {type(err).__name__}: {err}")
        rc = 1
    finally:
        try:
            if sampler is not None:
                sampler.stop()
                peaks = [v for v in (sampler.peak(), res.get("rss_after_close_mb")) if v is not None]
                res["rss_peak_mb"] = max(peaks) if peaks else None
                res["phases"] = {}
                for k, v in res["phase_marks"].items():
                    if len(v) == 2:
                        (t0, c0, d0), (t1, c1, d1) = v
                        res["phases"][k] = {
                            "seconds": t1 - t0, "rss_peak_mb": sampler.peak(t0, t1),
                            "server_cpu_s": None if c0 is None or c1 is None else c1 - c0,
                            "driver_cpu_s": d1 - d0}
        finally:
            res["server_exit_code"] = server.stop()
            signal.signal(signal.SIGTERM, old)
        res["server_stopped"] = server.proc is not None and server.proc.poll() is not None
        res["load_end"] = load_avg()
        try:
            os.unlink(server.log.name)
        except OSError:
            pass
    verdicts = report(res)
    res["verdicts"] = [{"target": t, "met": ok} for t, ok in verdicts]
    print(f"server stopped: {'yes' if res['server_stopped'] else 'NO'}")
    if args.json:
        out = {k: v for k, v in res.items() if k not in ("t_start", "phase_marks")}
        args.json.write_text(json.dumps(out, indent=1, default=str))
    if rc == 0 and not res.get("open_finished"):
        rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
