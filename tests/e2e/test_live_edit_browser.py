"""End-to-end: an engine file edited under a running ``streamlit run`` (what a deploy on
Streamlit Community Cloud does) leaves every open and every new session working.

A copy of the repository is served with the file watcher on (``poll``) and run-on-save, as a
deployed app watches its files. A session is open; then the engine changes in a way old
objects cannot follow (a new method on the problem class, called on every rerun, and a new
data description): before ui/version.py, the open session's rerun met its cached problem of
the old class (``AttributeError``) and every later session did too, until a restart.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import ARTIFACTS, ROOT, _free_port, _need_chromium

pytestmark = pytest.mark.browser

DRAWN = """(words) => {
  const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
  const text = document.body.innerText;
  return document.querySelector('[data-testid="stException"]')
    || text.includes('could not be drawn')
    || (charts.length >= 7 && charts.every(c => c.querySelector('canvas, svg'))
        && text.includes(words)
        && document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]'));
}"""
PROBLEM_EDIT = ('class RowModel:\n', 'class RowModel:\n    def edited_marker(self) -> int:\n'
                '        """Added while the server runs."""\n        return 1\n\n')
RUNNER_EDIT = ('    the global one)."""\n', '    the global one)."""\n'
               '    if hasattr(problem, "x"):  # a row model: the method the edit added\n'
               '        problem.edited_marker()\n')
DATA_EDIT = ('source=f"generated (n={n}, seed {seed})"', 'source=f"made (n={n}, seed {seed})"')


def _copy_repository(dest: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new))


def _wait_drawn(page, words: str) -> None:
    page.wait_for_function(DRAWN, arg=words, timeout=180_000)
    assert page.locator('[data-testid="stException"]').count() == 0, \
        page.locator('[data-testid="stException"]').first.inner_text()
    assert "could not be drawn" not in page.inner_text("body")


def test_sessions_survive_an_engine_edit_under_a_running_server(browser, tmp_path):
    _need_chromium()
    app = tmp_path / "app"
    _copy_repository(app)
    port = _free_port()
    env = {**os.environ, "GDCORE_ENGINE": "python", "GDCORE_CACHE_DIR": str(tmp_path / "c")}
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "streamlit-live-edit.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(app / "dashboard.py"),
         "--server.headless", "true", "--server.port", str(port), "--server.address",
         "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "poll", "--server.runOnSave", "true"],
        cwd=app, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, "streamlit exited; see test-artifacts"
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "no /_stcore/health in 90 s"
                time.sleep(0.3)
        contexts = []
        try:
            before = browser.new_context(viewport={"width": 1400, "height": 2300})
            contexts.append(before)
            page = before.new_page()
            page.goto(base + "/", timeout=120_000)
            _wait_drawn(page, "generated (n=200")

            _edit(app / "gdcore" / "models" / "rows.py", *PROBLEM_EDIT)
            _edit(app / "gdcore" / "engine" / "runner.py", *RUNNER_EDIT)
            _edit(app / "gdcore" / "data" / "sources.py", *DATA_EDIT)

            _wait_drawn(page, "made (n=200")  # the open session reran on the new code
            page.get_by_text("Log-scale x").click()  # and keeps working
            _wait_drawn(page, "made (n=200")
            after = browser.new_context(viewport={"width": 1400, "height": 2300})
            contexts.append(after)
            fresh = after.new_page()
            fresh.goto(base + "/", timeout=120_000)  # a session opened after the edit
            _wait_drawn(fresh, "made (n=200")
        finally:
            for context in contexts:
                context.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_a_deploy_while_nobody_is_connected_reaches_the_next_visitor(browser, tmp_path):
    """The edit lands while no session is open, on a server whose file watcher is off: no
    session's watcher evicts the old modules, and before ui/fresh.py every later visitor got
    the old code until a restart (a chart builder's label, the engine's data description)."""
    _need_chromium()
    app = tmp_path / "app"
    _copy_repository(app)
    port = _free_port()
    env = {**os.environ, "GDCORE_ENGINE": "python", "GDCORE_CACHE_DIR": str(tmp_path / "c")}
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "streamlit-deploy-edit.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(app / "dashboard.py"),
         "--server.headless", "true", "--server.port", str(port), "--server.address",
         "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=app, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, "streamlit exited; see test-artifacts"
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "no /_stcore/health in 90 s"
                time.sleep(0.3)
        first = browser.new_context(viewport={"width": 1400, "height": 2300})
        page = first.new_page()
        page.goto(base + "/", timeout=120_000)
        _wait_drawn(page, "generated (n=200")
        axis = 'radiogroup', "x axis"
        assert page.get_by_role(axis[0], name=axis[1]).get_by_role(
            "radio", name="Step (updates)").count() == 1
        first.close()  # nobody is connected now

        _edit(app / "gdcore" / "data" / "sources.py", *DATA_EDIT)
        _edit(app / "ui" / "charts.py", '"step": "Step (updates)"', '"step": "Step (edited)"')

        later = browser.new_context(viewport={"width": 1400, "height": 2300})
        try:
            fresh = later.new_page()
            fresh.goto(base + "/", timeout=120_000)
            _wait_drawn(fresh, "made (n=200")  # the engine's new code
            assert fresh.get_by_role(axis[0], name=axis[1]).get_by_role(
                "radio", name="Step (edited)").count() == 1  # the ui's new code too
        finally:
            later.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
