"""Uploads that once took the page minutes: each file goes through the dashboard (Streamlit's
AppTest, the script a browser's upload runs) in a fresh process, and the benchmark prints the
time until the page has settled and how much the process grew while it did, against the file's
size (issue 15, item 6: a one-line 49 MB upload took 90-102 s and the server to 949 MB).

    python -m bench.uploads                  # every case
    python -m bench.uploads --only one-line   # cases whose name contains the text

The growth is the peak resident size during the upload's run (sampled every 5 ms from
/proc/self/statm) minus the size just before it, after the file's bytes were built. It never
fails on time: it prints met / MISSED against the targets below.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 5.0  # "answered within a few seconds"
TARGET_GROWTH = 5.0  # "memory bounded by a small multiple of the file size"

DRIVER = r"""
import json, os, sys, threading, time, warnings
warnings.filterwarnings("ignore")
import logging; logging.disable(logging.WARNING)
import numpy as np
from streamlit.testing.v1 import AppTest

case = sys.argv[1]
MB = 49_000_000
def numbers(sep, n):
    return sep.join(str(i % 97) for i in range(n))[:MB]
if case == "one-line 49 MB, numbers":
    raw = numbers(",", 17_000_000).encode()
elif case == "one-line 49 MB, under a header":
    raw = b"x,y\n" + numbers(",", 17_000_000).encode()
elif case == "one-line 49 MB, spaces":
    raw = numbers(" ", 17_000_000).encode()
elif case == "1,000,000 rows x 2 (20 MB)":
    rng = np.random.default_rng(0)
    x = rng.normal(size=1_000_000)
    raw = ("x,y\n" + "\n".join(f"{a:.6f},{2 * a + b:.6f}" for a, b in
                               zip(x, rng.normal(size=x.size)))).encode()
elif case == "1,000 columns x 2,000 rows":
    rng = np.random.default_rng(0)
    raw = (",".join(f"c{j}" for j in range(1000)) + "\n" + "\n".join(
        ",".join(map(str, rng.integers(0, 100, 1000))) for _ in range(2000))).encode()
else:
    raise SystemExit(f"unknown case {case!r}")

PAGE = os.sysconf("SC_PAGE_SIZE")
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE

at = AppTest.from_file("dashboard.py", default_timeout=600).run()
next(r for r in at.radio if r.label == "Data").set_value("csv")
at.run()
peak = [0]
done = threading.Event()
def sample():
    while not done.is_set():
        peak[0] = max(peak[0], rss())
        time.sleep(0.005)
before = rss()
watcher = threading.Thread(target=sample, daemon=True)
watcher.start()
t0 = time.perf_counter()
next(u for u in at.file_uploader if u.label == "CSV file").set_value(("f.csv", raw, "text/csv"))
at.run()
seconds = time.perf_counter() - t0
done.set(); watcher.join()
peak[0] = max(peak[0], rss())
import re
said = [re.sub(r"\\(.)", r"\1", e.value).replace("\u2060", "") for e in at.error][:1]
print(json.dumps({"seconds": seconds, "bytes": len(raw), "growth": peak[0] - before,
                  "exception": bool(at.exception), "charts": len(at.get("vega_lite_chart")),
                  "message": said[0][:110] if said else ""}))
"""

CASES = ["one-line 49 MB, numbers", "one-line 49 MB, under a header", "one-line 49 MB, spaces",
         "1,000,000 rows x 2 (20 MB)", "1,000 columns x 2,000 rows"]


def measure(case: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", DRIVER, case], cwd=ROOT, capture_output=True,
                          text=True, timeout=1800)
    if proc.returncode != 0:
        raise SystemExit(f"{case}: the driver failed\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    args = parser.parse_args(argv)
    cases = [c for c in CASES if args.only in c]
    if not cases:
        parser.error(f"--only {args.only!r} matches no case; cases: {', '.join(CASES)}")
    print(f"{'case':34} {'file':>8} {'settled':>9} {'growth':>9} {'x file':>7}  verdict")
    bad = 0
    for case in cases:
        r = measure(case)
        ratio = r["growth"] / r["bytes"]
        ok = r["seconds"] <= TARGET_SECONDS and ratio <= TARGET_GROWTH
        bad += r["exception"]
        print(f"{case:34} {r['bytes'] / 1e6:6.1f}MB {r['seconds']:8.2f}s "
              f"{r['growth'] / 1e6:7.0f}MB {ratio:6.1f}x  {'met' if ok else 'MISSED'}"
              f"{'  EXCEPTION' if r['exception'] else ''}")
        print(f"{'':34} charts {r['charts']}; "
              f"{'said: ' + r['message'] if r['message'] else 'read'}")
    print(f"targets: settled <= {TARGET_SECONDS:g} s, growth <= {TARGET_GROWTH:g} x the file")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
