"""How long one visitor waits for the comparison page's first chart, in headless Chromium.

    python -m bench.first_chart [--servers 3]

For each of ``--servers`` fresh servers (a new ``streamlit run dashboard.py`` from a copy of the
repository without bytecode, and an empty compiled cache), a first visit and then a second one
(a new browser context: nothing cached in the browser, everything cached on the server): the
seconds from navigation to the first drawn chart (a canvas or SVG inside a Vega-Lite element)
and to every chart drawn. Targets (issue 15): first chart <= 2 s on a fresh server, <= 1.5 s on
a second visit. The same two visits to a fresh server of ``bench/floor_app.py`` (a title and
one chart, nothing else) give the floor on this machine at this moment: what any Streamlit page
with a chart costs here, printed beside the dashboard's figures and as a ratio to them.
Loopback only; every wait is bounded; a benchmark (exit code 0 either way).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("GDLAB_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
IGNORE = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.pyc", ".pytest_cache",
                                ".hypothesis", ".ruff_cache", "test-artifacts")
FIRST = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                 .some(c => c.querySelector('canvas, svg'))"""
ALL = """(n) => { const c = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
                 return c.length >= n && c.every(e => e.querySelector('canvas, svg')); }"""


def _serve(root: Path, port: int, cache: Path, script: str = "dashboard.py") -> subprocess.Popen:
    env = {**os.environ, "GDCORE_CACHE_DIR": str(cache)}
    env.pop("GDCORE_ENGINE", None)
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(root / script),
         "--server.headless", "true", "--server.port", str(port), "--server.address",
         "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_health(base: str, proc: subprocess.Popen, bound: float = 90) -> None:
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(base + "/_stcore/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not answer /_stcore/health")


def _visit(browser, base: str, charts: int = 7) -> tuple[float, float]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        t0 = time.perf_counter()
        page.goto(base + "/", timeout=120_000)
        page.wait_for_function(FIRST, timeout=120_000, polling="raf")
        first = time.perf_counter() - t0
        page.wait_for_function(ALL, arg=charts, timeout=120_000, polling="raf")
        return first, time.perf_counter() - t0
    finally:
        context.close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--servers", type=int, default=3)
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    rows, floors = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for i in range(args.servers):
                # the floor first, then the dashboard, each on a fresh server: the same moment
                floor = _two_visits(browser, "bench/floor_app.py", 1)
                fresh, again = _two_visits(browser, "dashboard.py", 7)
                floors.append(floor)
                rows.append((fresh, again))
                print(f"server {i + 1}: fresh visit first chart {fresh[0]:.2f} s, all "
                      f"{fresh[1]:.2f} s; second visit first chart {again[0]:.2f} s, all "
                      f"{again[1]:.2f} s; floor (one-chart page) {floor[0][0]:.2f} s / "
                      f"{floor[1][0]:.2f} s  (load {os.getloadavg()[0]:.2f})", flush=True)
        finally:
            browser.close()
    med = statistics.median
    f1, a1 = med(r[0][0] for r in rows), med(r[1][0] for r in rows)
    ff, fa = med(r[0][0] for r in floors), med(r[1][0] for r in floors)
    print(f"median first chart: fresh server {f1:.2f} s (target <= 2 s: "
          f"{'PASS' if f1 <= 2 else 'MISS'}), second visit {a1:.2f} s (target <= 1.5 s: "
          f"{'PASS' if a1 <= 1.5 else 'MISS'})")
    print(f"the floor here (a one-chart Streamlit page, same run): fresh server {ff:.2f} s, "
          f"second visit {fa:.2f} s; the dashboard takes {f1 / ff:.2f}x and {a1 / fa:.2f}x "
          "the floor")
    return 0


def _two_visits(browser, script: str, charts: int):
    """A fresh copy of the repository served fresh; (first visit, second visit) timings."""
    import socket

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "clone"
        shutil.copytree(ROOT, root, ignore=IGNORE)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = _serve(root, port, Path(tmp) / "cache", script)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_health(base, proc)
            return _visit(browser, base, charts), _visit(browser, base, charts)
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    raise SystemExit(main())
