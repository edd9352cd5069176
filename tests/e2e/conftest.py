"""Browser end-to-end fixtures: a real ``streamlit run dashboard.py`` and headless Chromium.

Reusable by every browser test file in this folder::

    @pytest.mark.browser
    def test_my_page(app_page):                 # a Playwright Page, on the app, idle
        open_page(app_page, "/my_page")         # another page of the app (pages/ file)
        wait_idle(app_page)

``app_server`` (session-scoped) starts the server on a free localhost port, polls
``/_stcore/health`` and stops it afterwards; ``browser`` launches Debian's Chromium
(``/usr/bin/chromium``) through Playwright's sync API. Without Chromium the tests skip with a
plain message (``.ci/run`` installs it, so in CI they run).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("GDLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
SERVER_START_TIMEOUT = 90
IDLE_TIMEOUT_MS = int(os.environ.get("GDLAB_IDLE_TIMEOUT_MS", "120000"))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _absent(why: str) -> None:
    """A browser test cannot run here: skipped on a developer's machine (the README says
    how to install what is missing), a failure in CI (``CI`` set), which must run them."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser tests: {why}")
    pytest.skip(why)


def _need_chromium() -> None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _absent(f"Browser tests need Debian's chromium package ({CHROMIUM} is missing); "
                ".ci/run installs it (apt-get install chromium).")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _absent("Browser tests need the playwright Python package "
                "(pip install -r requirements-dev.txt).")


@contextlib.contextmanager
def streamlit_server(root: Path = ROOT, env: dict[str, str] | None = None, log_name: str = "server"):
    """Run ``streamlit run dashboard.py`` from ``root`` on a free port; yields its base URL."""
    port = _free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(root / "dashboard.py"),
           "--server.headless", "true", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"streamlit-{log_name}.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, cwd=root, stdout=log, stderr=subprocess.STDOUT,
                            env=env if env is not None else os.environ.copy())
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with code {proc.returncode}; see {log_path}")
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer /_stcore/health in "
                            f"{SERVER_START_TIMEOUT} s")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


@pytest.fixture(scope="session")
def app_server():
    """Base URL of a running ``streamlit run dashboard.py`` (stopped after the session)."""
    _need_chromium()
    with streamlit_server() as base:
        yield base


@pytest.fixture(scope="session")
def browser(app_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


class _Runs:
    """What a page's websocket said about its script runs: how many finished (successfully,
    whole or fragment) and how many of those a wait has already accounted for."""

    def __init__(self) -> None:
        self.done = 0
        self.seen = 0


def script_runs(page) -> _Runs:
    runs = getattr(page, "_gdlab_runs", None)
    if runs is None:
        raise RuntimeError("open pages with app_context()/watched_page() so their runs are counted")
    return runs


def watch(page):
    """Count the page's finished script runs from the server's own ``script_finished``
    messages (read from the websocket), so a test waits for the run its action caused instead
    of for a time; returns the page."""
    runs = _Runs()
    page._gdlab_runs = runs

    def on_frame(payload) -> None:
        if not isinstance(payload, bytes | bytearray):
            return
        msg = ForwardMsg()
        try:
            msg.ParseFromString(bytes(payload))
        except Exception:  # noqa: BLE001 - not a ForwardMsg: nothing to count
            return
        if msg.WhichOneof("type") == "script_finished" and msg.script_finished in _FINISHED:
            runs.done += 1

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
    return page


# what counts as a finished run: a whole run or a fragment's, not one cut short for a rerun
_FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
             ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}


def app_context(browser, base: str, width: int = 1400, height: int = 1000):
    """A browser context for the app at ``base``; pages from ``watched_page`` count runs."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.app_base_url = base
    return context


def watched_page(context):
    """A new page in ``context`` whose script runs are counted (see ``watch``)."""
    return watch(context.new_page())


_SETTLED = """(timeout) => new Promise((resolve, reject) => {
    // the charts' drawn sizes and the page's height, frame after frame, until three in a row
    // agree with no element still a placeholder (Streamlit draws a skeleton while an element's
    // code loads: a chart's first visit shows grey boxes after the run has finished)
    const look = () => [...document.querySelectorAll('[data-testid="stVegaLiteChart"] svg, '
        + '[data-testid="stVegaLiteChart"] canvas')].map(e => e.getBoundingClientRect().width
        + 'x' + e.getBoundingClientRect().height).join() + '|' + document.body.scrollHeight;
    const loading = () => document.querySelector('[data-testid="stSkeleton"]') !== null;
    const deadline = performance.now() + timeout;
    let last = null, same = 0;
    const tick = () => {
        const now = look();
        same = now === last && !loading() ? same + 1 : 0;
        last = now;
        if (same >= 3) resolve();
        else if (performance.now() > deadline) reject(new Error(
            'the page did not settle within ' + timeout + ' ms' + (loading() ?
            ' (an element is still a placeholder)' : ' (the charts kept changing size)')));
        else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
})"""


def painted(page, timeout: int | None = None) -> None:
    """Wait until what the app sent is on screen: no element is still a placeholder, and the
    charts' drawn sizes and the page's height stay the same over three painted frames (after
    a resize Vega redraws on its own)."""
    page.evaluate(_SETTLED, IDLE_TIMEOUT_MS if timeout is None else timeout)


def wait_idle(page, timeout: int = IDLE_TIMEOUT_MS, *, rerun: bool = True) -> None:
    """Wait until the script run the last action caused has finished and is drawn.

    With ``rerun`` (the default) it waits for a run the server reports finished after the
    previous wait (so a run that has not started yet is not mistaken for idle); pass
    ``rerun=False`` after an action that causes no run. Then it waits for the page to say
    "not running" and to paint."""
    runs = script_runs(page)
    if rerun:
        deadline = time.monotonic() + timeout / 1000
        while runs.done <= runs.seen:
            if time.monotonic() > deadline:
                raise AssertionError(f"no script run finished within {timeout / 1000:.0f} s "
                                     "of the action")
            page.wait_for_timeout(20)  # lets Playwright deliver the websocket's messages
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                           timeout=timeout)
    painted(page, timeout)
    runs.seen = runs.done


def open_page(page, path: str = "/", timeout: int = IDLE_TIMEOUT_MS) -> None:
    """Go to ``path`` of the app (e.g. "/" or "/?s=..." or "/other_page") and wait until its
    first run has finished and is drawn."""
    base = page.context.app_base_url  # set by app_context
    script_runs(page).seen = script_runs(page).done
    page.goto(base + path, timeout=timeout)
    wait_idle(page, timeout)


@contextlib.contextmanager
def new_app_page(browser, app_server, height: int = 1000, path: str = "/"):
    """A fresh browser page (1400 x height) opened on ``path`` of the app, idle; closed after."""
    context = app_context(browser, app_server, 1400, height)
    page = watched_page(context)
    try:
        open_page(page, path)
        yield page
    finally:
        context.close()


@pytest.fixture
def app_page(browser, app_server):
    """A fresh browser page (1400x1000) opened on the app's home page, idle."""
    with new_app_page(browser, app_server) as page:
        yield page


def screenshot(page, name: str, *, also: Path | None = None) -> Path:
    """Save a full-page screenshot to test-artifacts/<name>.png, and to ``also`` (the README's
    pictures in docs/) when UPDATE_DOCS_SCREENSHOTS=1, so a test run leaves tracked files alone."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if also is not None and os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        also.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, also)
    return path
