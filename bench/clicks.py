"""Workload H: what a click costs. The pages are driven by Streamlit's AppTest (in a fresh
process per tree) and each interaction's script time is timed, median of N:

* dashboard, default preset, everything cached: a plain rerun; view-only changes (the log
  toggle, the smoothing slider, the x axis); one run's learning rate changed (that run is
  recomputed, every chart redrawn);
* the landscape page (2-D Himmelblau): one step of the step slider; a plain rerun;
* the sweep page: a view change (final / best loss).

The same driver runs on this tree and on a baseline commit checked out with ``git worktree``
(by default the commit before the click-speed work), so "today's figures" are measured in
the same run, on the same machine, under the same load. AppTest reruns the whole script for
every change (it does not run fragments on their own), so these are upper bounds for what a
browser pays: there a view change reruns only the charts' fragment.

    python -m bench.clicks [--repeats 5] [--baseline REV | --no-baseline]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "bf3d08e"  # the last commit before the click-speed work (README figures of 2026-11-30)
TARGETS_MS = {"dash: plain rerun": 150, "dash: log toggle": 150, "dash: smoothing": 150,
              "dash: x axis": 150, "dash: one run's lr": 300, "landscape: one step": 100}

DRIVER = r"""
import json, statistics, sys, time, warnings
warnings.filterwarnings("ignore")
import logging; logging.disable(logging.WARNING)
from streamlit.testing.v1 import AppTest
repeats = int(sys.argv[1])

def ms(at):
    t0 = time.perf_counter(); at.run(); return (time.perf_counter() - t0) * 1000

def pick(elements, label):
    return next(e for e in elements if e.label == label)

out = {}
at = AppTest.from_file("dashboard.py", default_timeout=300).run()
at.run()
rows = {"dash: plain rerun": [], "dash: log toggle": [], "dash: smoothing": [],
        "dash: x axis": [], "dash: one run's lr": []}
axes = ["epoch", "samples", "step"]
for i in range(repeats):
    rows["dash: plain rerun"].append(ms(at))
    tog = pick(at.toggle, "Log-scale loss"); tog.set_value(not tog.value)
    rows["dash: log toggle"].append(ms(at))
    pick(at.slider, "Smoothing (points averaged)").set_value(3 + i)
    rows["dash: smoothing"].append(ms(at))
    at.button_group(key="x_axis").set_value(axes[i % 3])
    rows["dash: x axis"].append(ms(at))
    pick(at.number_input, "Learning rate").set_value(0.0101 + 0.0013 * i)
    rows["dash: one run's lr"].append(ms(at))
    assert not at.exception, [e.value for e in at.exception]
out.update(rows)

at = AppTest.from_file("pages/1_Loss_landscape.py", default_timeout=300).run()
pick(at.selectbox, "Function").set_value("himmelblau")
at.run(); at.run()
rows = {"landscape: plain rerun": [], "landscape: one step": []}
for i in range(repeats):
    rows["landscape: plain rerun"].append(ms(at))
    sl = pick(at.slider, "Step"); sl.set_value(max(0, sl.value - 1 - i))
    rows["landscape: one step"].append(ms(at))
    assert not at.exception, [e.value for e in at.exception]
out.update(rows)

at = AppTest.from_file("pages/2_Learning_rate_sweep.py", default_timeout=300).run()
at.run()
rows = {"sweep: view change": []}
shows = ["best loss", "both", "final loss"]
for i in range(repeats):
    pick(at.radio, "Show").set_value(shows[i % 3])
    rows["sweep: view change"].append(ms(at))
    assert not at.exception, [e.value for e in at.exception]
out.update(rows)
print("RESULT " + json.dumps({k: statistics.median(v) for k, v in out.items()}))
"""


def drive(tree: Path, repeats: int, cache: Path) -> dict[str, float]:
    """Median milliseconds per interaction, driving ``tree``'s pages in a fresh process."""
    env = {**os.environ, "GDCORE_CACHE_DIR": str(cache), "PYTHONPATH": str(tree)}
    env.pop("GDCORE_ENGINE", None)
    proc = subprocess.run([sys.executable, "-c", DRIVER, str(repeats)], cwd=tree, env=env,
                          capture_output=True, text=True, timeout=1800, check=False)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"the click driver failed in {tree}: "
                           f"{(proc.stderr or proc.stdout).strip().splitlines()[-1:]}")
    return json.loads(line[len("RESULT "):])


def baseline_tree(rev: str, where: Path) -> Path | None:
    """``rev`` checked out into ``where`` (a git worktree), or None if git cannot."""
    proc = subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where),
                           rev], capture_output=True, text=True, check=False)
    return where if proc.returncode == 0 else None


def measure(repeats: int = 5, baseline: str | None = BASELINE) -> dict:
    """{"now": {...}, "baseline": {...} or None, "baseline_rev": ...} in milliseconds."""
    tmp = Path(tempfile.mkdtemp(prefix="gdcore-clicks-"))
    try:
        now = drive(ROOT, repeats, tmp / "cache-now")
        before = None
        if baseline:
            tree = baseline_tree(baseline, tmp / "baseline")
            if tree is not None:
                try:
                    before = drive(tree, repeats, tmp / "cache-baseline")
                finally:
                    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                    str(tree)], capture_output=True, check=False)
        return {"now": now, "baseline": before, "baseline_rev": baseline}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def lines(res: dict) -> list[str]:
    base = res["baseline"] or {}
    out = [f"{'interaction (AppTest script time, median)':<44}{'now':>10}{'before':>10}"
           f"{'target':>10}  verdict", "-" * 84]
    for key, value in res["now"].items():
        target = TARGETS_MS.get(key)
        before = f"{base[key]:.0f} ms" if key in base else "-"
        verdict = "-" if target is None else ("met" if value <= target else "MISSED")
        out.append(f"{key:<44}{value:>7.0f} ms{before:>10}"
                   f"{(f'<= {target} ms' if target else '(report)'):>10}  {verdict}")
    if res["baseline"] is None and res["baseline_rev"]:
        out.append(f"(baseline {res['baseline_rev']} could not be checked out: git worktree)")
    elif res["baseline_rev"]:
        out.append(f"before = commit {res['baseline_rev']}, the same driver in the same run")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.clicks", description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--baseline", default=BASELINE, help="commit to compare with")
    ap.add_argument("--no-baseline", action="store_true")
    args = ap.parse_args(argv)
    res = measure(args.repeats, None if args.no_baseline else args.baseline)
    for line in lines(res):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
