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

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("GDLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
SERVER_START_TIMEOUT = 90
IDLE_TIMEOUT_MS = 120_000


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


def wait_idle(page, timeout: int = IDLE_TIMEOUT_MS) -> None:
    """Wait until the app has finished its script run (and charts had a moment to draw)."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_timeout(300)  # a rerun may start right after an interaction
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                           timeout=timeout)
    page.wait_for_timeout(500)


def open_page(page, path: str = "/", timeout: int = IDLE_TIMEOUT_MS) -> None:
    """Go to ``path`` of the app (e.g. "/" or "/?s=..." or "/other_page") and wait until idle."""
    base = page.context.app_base_url  # set by the app_page fixture
    page.goto(base + path, timeout=timeout)
    wait_idle(page, timeout)


@contextlib.contextmanager
def new_app_page(browser, app_server, height: int = 1000, path: str = "/"):
    """A fresh browser page (1400 x height) opened on ``path`` of the app, idle; closed after."""
    context = browser.new_context(viewport={"width": 1400, "height": height})
    context.app_base_url = app_server
    page = context.new_page()
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
