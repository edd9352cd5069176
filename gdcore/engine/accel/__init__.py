"""The compiled accelerator: the run loop compiled by numba, for big work only, never in the way.

Nothing needs it. Every run works on the interpreter loop (``gdcore.engine.loop``); once the accelerator
is ready, ``gdcore.engine.dispatch`` sends it the runs that would take the interpreter long. Getting it
ready happens off the request path::

    accel.start()         # returns at once; a background thread does the rest
    accel.kernel()        # the compiled module when it is ready and verified, else None
    accel.wait(timeout)   # block until it is ready or has failed (CLI, tests, benchmark)

What the background thread does, and why each step is there:

1. **A cache directory keyed on everything the machine code depends on**: the text of every
   engine source file, numba, llvmlite, numpy and Python versions, the CPU. Any edit to any
   engine file gives a new directory, so compiled code can never be stale (numba's own cache
   tracks only the file a function is defined in, not the functions it calls). The directory is
   per user (``$GDCORE_CACHE_DIR``, else ``$XDG_CACHE_HOME/gdcore`` or ``~/.cache/gdcore``, else
   the temp directory), never inside the source tree: a read-only checkout, a packaged install
   and Streamlit Community Cloud (where the repository is not kept) all work.
2. **One builder at a time** (an exclusive file lock per key). The build runs in a child
   process (``python -m gdcore.engine.accel build``) at low priority, writes into a fresh temporary
   directory (``loop-<key>.building-<pid of the process that started it>``), checks every
   compiled result against the interpreter loop bit for bit, and only then renames the
   directory into place. A build that is killed leaves no half-written cache, only a temporary
   directory: every start (and ``clear``) removes those whose process is gone.
   **The child never outlives its parent**: on Linux it asks the kernel to SIGKILL it when the
   parent dies (prctl PR_SET_PDEATHSIG), elsewhere a watchdog thread notices within a second,
   so a server that exits or is killed takes its build with it (it would otherwise compile on
   at nice 19 for minutes with parent 1, for nobody).
3. **Load, then verify before trusting, and never compile**: the process loads the compiled
   loop from that directory (still holding the lock, so no process ever reads a directory being
   written), runs the verification cases again and compares them with the interpreter loop bit
   for bit. Then it switches compiling off, so nothing can compile on a request later. Loading
   is load-or-refuse: if anything would compile in this process (a build that does not hold
   this machine's code), it refuses, logs one line and has the child build it again; a process
   that serves pages never compiles. The build is found the same from every checkout of the
   same sources (``numba_loop.PackageLocator``).
4. **Any failure** (no writable directory, build error or timeout, a mismatch, an exception)
   logs one line and leaves the accelerator off; the interpreter carries on.

Root cause of the old "'descr' is NULL" crash (kept here so it stays fixed): the previous engine
compiled several variants of one *closure*, which all share a qualified name and argument types.
numba names a compiled function's environment (its table of constants) after the qualified name
and a per-process counter; a process that loaded variant X from the cache and then compiled
variant Y gave Y the same environment name, so Y reused X's live environment and was cached
pointing at a constant slot that a later process (loading X, then Y) did not have. This module
compiles no closures: one top-level loop function, one signature, in a directory of its own.

Long because the cache's lifetime is one story (key, lock, build child, verify, load, clear)
whose steps share their failure handling.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import logging
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

LOG = logging.getLogger("gdcore.engine.accel")
PACKAGE = Path(__file__).resolve().parents[2]  # the gdcore package
BUILD_TIMEOUT = 900.0  # seconds a child build may take before it is abandoned
READY = "READY.json"
PARENT_ENV = "GDCORE_ACCEL_PARENT"  # the pid a build child must not outlive
KEEP_BUILDS = 4  # builds for other sources/versions kept beside the current one (newest first)
LAYOUT = "2"  # bump when the directory layout or the kernel's calling convention changes


# --- where compiled code is kept ----------------------------------------------------------------
def _writable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".probe-"):
            pass
        return True
    except OSError:
        return False


def cache_root() -> Path | None:
    """The per-user directory that holds compiled code (None if nothing is writable)."""
    env = os.environ.get("GDCORE_CACHE_DIR")
    if env:
        candidates = [Path(env)]
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = Path(xdg) if xdg else Path.home() / ".cache"
        uid = getattr(os, "getuid", lambda: "user")()
        candidates = [base / "gdcore", Path(tempfile.gettempdir()) / f"gdcore-{uid}"]
    for path in candidates:
        if _writable(path):
            return path
    return None


#: Where the compiled code comes from: the accelerator's own modules. Its key covers these and
#: every engine module they import, directly or not (read from the sources' import lines), so
#: an edit to anything the kernel compiles or calls gives a new key, while rewording a lesson,
#: a preset or the CSV reader does not force the 9 s rebuild.
TOP = PACKAGE / "__init__.py"
KERNEL_ROOTS = tuple(f"engine/accel/{name}" for name in (
    "__init__.py", "numba_loop.py", "bridge.py", "verify.py"))


# Import statements, read as text: not with ``ast``, whose parser is not thread-safe on
# Python 3.11 (a key computed in a background thread while Streamlit parsed a page raised
# "SystemError: AST constructor recursion depth mismatch" in the page's thread).
_FROM = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^#\n]+)", re.M)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([^#\n]+)", re.M)


def _engine_imports(path: Path) -> set[Path]:
    """The engine modules (files under PACKAGE) that the module at ``path`` imports (an
    import inside a string or a docstring counts too: the key can only grow by it)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return set()
    found: set[Path] = set()

    def add(base: Path, dotted: str) -> None:
        target = base.joinpath(*dotted.split(".")) if dotted else base
        for candidate in (target.with_suffix(".py"), target / "__init__.py"):
            if candidate.is_file() and PACKAGE in candidate.parents and candidate != TOP:
                found.add(candidate)

    for dots, module, names in _FROM.findall(text):
        if dots:
            base = path.parent
            for _ in range(len(dots) - 1):
                base = base.parent
        elif module.split(".")[0] == PACKAGE.name:
            base = PACKAGE.parent
        else:
            continue
        add(base, module)
        for name in names.strip("()").replace("\n", " ").split(","):
            name = name.split(" as ")[0].strip()
            if name.isidentifier():  # from .. import optimizers: a module, maybe
                add(base, f"{module}.{name}" if module else name)
    for names in _IMPORT.findall(text):
        for name in names.split(","):
            name = name.split(" as ")[0].strip()
            if name.split(".")[0] == PACKAGE.name:
                add(PACKAGE.parent, name)
    return found


def kernel_sources() -> list[Path]:
    """The accelerator's modules and every engine module they import, transitively."""
    todo = [PACKAGE / r for r in KERNEL_ROOTS]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        todo.extend(_engine_imports(path) - seen)
        if path.name != "__init__.py" and path.parent != PACKAGE:  # its package's __init__
            todo.append(path.parent / "__init__.py")  # runs too (the engine's public API,
            # gdcore/__init__.py, re-exports the app side: it is not what the kernel runs)
    return sorted(seen)


def source_digest() -> str:
    """sha256 of the sources the compiled code depends on (:func:`kernel_sources`: path and
    text), so an edit to any of them gives a new key."""
    h = hashlib.sha256()
    for path in kernel_sources():
        h.update(path.relative_to(PACKAGE).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def _cpu() -> str:
    """The processor's model and feature flags (what the machine code was compiled for)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    first = text.split("\n\n", 1)[0]
    wanted = [line for line in first.splitlines()
              if line.split(":")[0].strip() in ("model name", "flags", "Features", "CPU part")]
    return hashlib.sha256("\n".join(wanted).encode()).hexdigest()[:16]


def key_parts() -> dict[str, str]:
    """Everything the compiled code depends on. Reads versions from the installed packages'
    metadata, so the parent process does not import numba before there is code to load."""
    from importlib.metadata import version

    return {"layout": LAYOUT, "sources": source_digest(), "numba": version("numba"),
            "llvmlite": version("llvmlite"), "numpy": version("numpy"),
            "python": sys.version, "machine": platform.machine(), "cpu": _cpu()}


def cache_dir(root: Path, parts: dict[str, str]) -> Path:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:20]
    return root / f"loop-{digest}"


@contextlib.contextmanager
def file_lock(path: Path, wait: bool = True):
    """An exclusive lock between processes (flock; released if the holder dies). Yields whether
    it is held (``wait=False``: False at once when another process holds it)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: one process at a time is not enforced
        yield True
        return
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# --- the state of this process's accelerator -------------------------------------------------------
class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.done = threading.Event()
        self.kernel = None
        self.status = "off"  # off -> preparing -> ready | failed
        self.detail = ""
        self.seconds = 0.0


_STATE = _State()


def status() -> tuple[str, str]:
    """("off" | "preparing" | "ready" | "failed", a one-line detail)."""
    return _STATE.status, _STATE.detail


def kernel():
    """The verified compiled kernel module, or None while it is not ready."""
    return _STATE.kernel if _STATE.status == "ready" else None


def start(delay: float = 0.0) -> None:
    """Start getting the accelerator ready in a background thread (once per process), after
    ``delay`` seconds (the app waits a moment so a first page is drawn before anything else
    wants a core)."""
    with _STATE.lock:
        if _STATE.thread is not None or _STATE.status != "off":
            return
        if os.environ.get("GDCORE_ENGINE", "").strip().lower() == "python":
            _STATE.status, _STATE.detail = "failed", "switched off by GDCORE_ENGINE=python"
            _STATE.done.set()
            return
        _STATE.status = "preparing"
        _STATE.thread = threading.Thread(target=_prepare, args=(delay,), name="gdcore-accel",
                                         daemon=True)
        _STATE.thread.start()


def wait(timeout: float | None = None):
    """Start if needed and wait until the accelerator is ready or has failed; the kernel or None."""
    start()
    _STATE.done.wait(timeout)
    return kernel()


def fail(reason: str) -> None:
    """Switch the accelerator off for this process, with one log line."""
    _STATE.kernel = None
    _STATE.status, _STATE.detail = "failed", reason
    LOG.warning("gdcore: compiled accelerator off (%s); runs use the interpreter loop", reason)
    _STATE.done.set()


def _prepare(delay: float = 0.0) -> None:
    if delay > 0:
        time.sleep(delay)
    t0 = time.perf_counter()
    try:
        root = cache_root()
        if root is None:
            raise RuntimeError("no writable cache directory (set GDCORE_CACHE_DIR)")
        sweep(root)
        parts = key_parts()
        target = cache_dir(root, parts)
        with file_lock(root / f"{target.name}.lock"):
            if not (target / READY).is_file():
                _build(root, target)
            module = _load_or_rebuild(root, target)
            os.utime(target / READY)  # most recently used: kept when old builds are pruned
        _STATE.kernel = module
        _STATE.seconds = time.perf_counter() - t0
        _STATE.status, _STATE.detail = "ready", f"ready in {_STATE.seconds:.1f} s ({target})"
        LOG.info("gdcore: compiled accelerator %s", _STATE.detail)
        _STATE.done.set()
    except Exception as err:  # any failure: one line, and the interpreter carries on
        fail(f"{type(err).__name__}: {err}".splitlines()[0][:300])


def _build(root: Path, target: Path) -> None:
    """Compile in a child process into a fresh directory, then move it into place (under the lock)."""
    sweep(root)  # (a builder that died while this one waited for the lock left its folder)
    tmp = root / f"{target.name}.building-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)  # named after this process: left by a dead one
    try:
        code, output = _run_child(tmp)
    except subprocess.TimeoutExpired:
        shutil.rmtree(tmp, ignore_errors=True)
        raise RuntimeError(f"build timed out after {BUILD_TIMEOUT:.0f} s") from None
    if code != 0 or not (tmp / READY).is_file():
        shutil.rmtree(tmp, ignore_errors=True)
        last = (output or "").strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"build failed (exit {code}): {last[0]}")
    if target.exists():
        shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)
    _prune(root, target)


def _run_child(tmp: Path) -> tuple[int, str]:
    """Run ``python -m gdcore.engine.accel build tmp`` at the lowest priority; (exit status, output).

    The child is told this process's pid and dies with it (see :func:`die_with_parent`). It
    inherits no descriptor (no stdin, no lock, no listening socket of the server), and this
    thread is a daemon, so nothing here keeps a finished server or its port alive."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE.parent), env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep)
    env[PARENT_ENV] = str(os.getpid())
    nice = shutil.which("nice")  # lowest priority from the start (the child also lowers itself)
    command = [sys.executable, "-m", "gdcore.engine.accel", "build", str(tmp)]
    proc = subprocess.run([nice, "-n", "19", *command] if nice else command, env=env,
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, close_fds=True,
                          timeout=BUILD_TIMEOUT, check=False)
    return proc.returncode, proc.stdout


# --- the build child never outlives its parent ----------------------------------------------------
def die_with_parent(parent: int, use_prctl: bool = True) -> None:
    """(At the very start of the build child) end this process as soon as ``parent`` is gone:
    a build nobody will load must not compile on at low priority for minutes with parent 1.

    Linux kills it with SIGKILL when the parent dies (prctl; set first, then the parent is
    checked, so a parent that died before prctl ran is caught too); elsewhere, or if prctl
    fails, a watchdog thread looks at the parent pid every second."""
    if not (use_prctl and _kill_me_with_parent()):
        threading.Thread(target=_watch_parent, args=(parent,), name="gdcore-accel-watchdog",
                         daemon=True).start()
    if os.getppid() != parent:
        _stop(parent)


def _stop(parent: int) -> None:
    """End the child at once (no cleanup to wait for: the next start sweeps its folder)."""
    with contextlib.suppress(OSError):  # nobody may be reading any more
        print(f"the process that started this build ({parent}) is gone; stopped", flush=True)
    os._exit(3)


def _kill_me_with_parent() -> bool:
    """prctl(PR_SET_PDEATHSIG, SIGKILL): whether the kernel now ends this process with its
    parent (the thread that started it, which waits for it to the end)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(1, 9, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    """The portable fallback: poll the parent pid (a dead parent's children get a new one)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    _stop(parent)


# --- what killed builders leave behind --------------------------------------------------------
def _builder(path: Path) -> int | None:
    """The pid in a ``loop-<key>.building-<pid>`` name (None for any other name)."""
    _, sep, pid = path.name.rpartition(".building-")
    return int(pid) if sep and pid.isdigit() else None


def _alive(pid: int) -> bool:
    """Whether a process with this pid exists (kept when unsure: never remove a live build)."""
    if os.name != "posix":
        return True  # os.kill(pid, 0) is not a probe on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process: it exists
        return True
    return True


def sweep(root: Path) -> list[Path]:
    """Remove the temporary folders of builders that are gone (a lock holder killed during its
    build leaves one); never one whose process is alive. Returns what was removed."""
    removed = []
    for path in sorted(root.glob("loop-*.building-*")):
        pid = _builder(path)
        if pid is not None and not _alive(pid):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _prune(root: Path, keep: Path) -> None:
    """Remove all but the most recently used builds of other sources or versions (each edit of
    an engine file makes a new one). A process using a removed build keeps its loaded code."""
    others = [p for p in root.glob("loop-*") if p.is_dir() and p != keep
              and ".building-" not in p.name]
    others.sort(key=lambda p: (p / READY).stat().st_mtime if (p / READY).exists() else 0.0,
                reverse=True)
    for old in others[KEEP_BUILDS:]:
        with file_lock(root / f"{old.name}.lock", wait=False) as held:
            if held:  # skip a build that another process is using right now
                shutil.rmtree(old, ignore_errors=True)


def _use_dir(directory: Path):
    """Point numba's cache at ``directory`` and import the kernel (once per process)."""
    import numba

    if "gdcore.engine.accel.numba_loop" in sys.modules:
        if Path(numba.config.CACHE_DIR or "") != directory:
            raise RuntimeError("the compiled loop was already imported from another cache directory")
    numba.config.CACHE_DIR = str(directory)
    from . import numba_loop as module

    return module


class WouldCompile(RuntimeError):
    """Loading a build would compile in this process (the build does not hold the code)."""


@contextlib.contextmanager
def _refusing_to_compile():
    """Make numba raise :class:`WouldCompile` instead of compiling anything in this process
    meanwhile (its ``numba:compile`` event starts every compilation, and a cache hit fires none)."""
    from numba.core import event

    class Refuse(event.Listener):
        def on_start(self, ev):
            name = getattr(getattr(ev.data.get("dispatcher"), "py_func", None), "__qualname__",
                           "a function")
            raise WouldCompile(f"loading the build would compile {name} in this process")

        def on_end(self, ev):
            pass

    with event.install_listener("numba:compile", Refuse()):
        yield


def _load(directory: Path):
    """Load the compiled loop from a finished directory and verify it before trusting it. Only
    loads: compiling here (in a process that serves pages, at full priority) raises WouldCompile."""
    module = _use_dir(directory)
    from .verify import check

    with _refusing_to_compile():
        check(module)
    module.run_linear.disable_compile()  # a call that does not match raises, never compiles
    module.run_linear_repeats.disable_compile()
    return module


def _load_or_rebuild(root: Path, target: Path):
    """Load ``target``; if that would compile here, build it again in the child and load that."""
    try:
        return _load(target)
    except WouldCompile as err:
        LOG.warning("gdcore: %s; rebuilding %s in a child process (the interpreter loop runs "
                    "meanwhile)", err, target.name)
    _build(root, target)
    return _load(target)


def build(directory: Path) -> dict:
    """(In the child process) compile the loop into ``directory``, verify it, mark it ready."""
    with contextlib.suppress(OSError, AttributeError):
        os.nice(19)  # a build must not slow down the pages being served meanwhile
    directory.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    module = _use_dir(directory)
    from .verify import check

    cases = check(module)
    info = {"seconds": round(time.perf_counter() - t0, 2), "verified_cases": cases,
            **key_parts()}
    (directory / READY).write_text(json.dumps(info, indent=1))
    return info


def clear() -> list[Path]:
    """Remove every compiled loop from the cache root, and the folders of dead builders; returns
    what was removed. A build under way (its builder alive, its lock held) is left to finish."""
    root = cache_root()
    if root is None:
        return []
    removed = sweep(root)
    for path in sorted(root.glob("loop-*")):
        pid = _builder(path)
        if pid is not None and _alive(pid):
            continue  # a live builder's folder: it renames or removes it itself
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        elif path.suffix == ".lock":
            with file_lock(path, wait=False) as held:
                if not held:
                    continue  # held by a builder: removing it would let a second one in
                path.unlink(missing_ok=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed
