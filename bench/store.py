"""The experiment store and the challenge board (issue 19), measured in one run:

* S1: saving an experiment of 16 runs x 2,000 recorded points on SQLite (median of 9),
  target <= 100 ms;
* S2: the Experiments page with 1,000 saved experiments, the script run that draws its
  tables (AppTest, median of 3), target <= 1 s;
* S3: 30 students submitting to one board at once (30 threads, each its own session): from the
  first click until all 30 are scored by the server and on the leaderboard, target <= 10 s.

    python -m bench.store [--postgres]   (--postgres: S1 and S3 on a throwaway PostgreSQL too)

Every store is a temporary one (a file in a temporary directory, or a database on a server
started for the run by tests/postgres.py); a benchmark: exit code 0 either way.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _big_result():
    """An experiment of 16 runs, each with 2,000 recorded points (generated data)."""
    import gdcore

    runs = [{"name": f"run {i}", "batch_size": 8, "epochs": 100, "max_points": 2001,
             "optimizer": {"name": "adam" if i % 2 else "sgd", "lr": 0.01 * (i + 1)}}
            for i in range(16)]
    result = gdcore.run_experiment({"data": {"source": "generate", "n": 160, "seed": 1},
                                    "runs": runs}, engine="python")
    assert all(len(r.history) >= 2000 for r in result.runs), [len(r.history) for r in result.runs]
    return result


def save_time(url: str, result) -> float:
    from gdcore.store import Store

    store = Store(url)
    times = []
    for i in range(9):
        t0 = time.perf_counter()
        store.save(f"big {i}", result, note="16 runs x 2,000 points")
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def page_time(url: str) -> tuple[float, int]:
    """Script time of the Experiments page over a store of 1,000 experiments (each a preset's
    three runs, as a class saves them)."""
    import logging
    import warnings

    from streamlit.testing.v1 import AppTest

    from gdcore.store import Store

    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    import gdcore
    from lab import presets

    store = Store(url)
    small = gdcore.run_experiment(presets.build("batch"), engine="python")
    for i in range(1000):
        store.save(f"experiment {i}", small, tags=["bench", f"t{i % 7}"])
    os.environ["GDCORE_DB_URL"] = url
    times = []
    for _ in range(3):
        at = AppTest.from_file(str(ROOT / "pages" / "4_Experiments.py"), default_timeout=300)
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
        assert not at.exception, at.exception
    rows = len(at.dataframe[0].value)
    return statistics.median(times), rows


def board_time(url: str) -> tuple[float, int]:
    from gdcore.store import Store
    from lab import challenge as C
    from lab import presets

    store = Store(url)
    code, _ = C.create(store, "bench", presets.build("lr"), allowed=["optimizer.lr"])
    go = threading.Barrier(31)
    errors: list[BaseException] = []

    def student(i: int) -> None:
        go.wait()
        try:
            C.submit(store, code, f"student {i}", {"optimizer.lr": 0.01 * (i + 1)},
                     session=f"tab {i}")
        except BaseException as err:  # noqa: BLE001 (reported below)
            errors.append(err)
    threads = [threading.Thread(target=student, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    go.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join(300)
    shown = len(C.leaderboard(store, code))
    took = time.perf_counter() - t0
    if errors:
        raise SystemExit(f"a submission failed: {errors[0]}")
    return took, shown


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--postgres", action="store_true",
                    help="also S1 and S3 on a throwaway PostgreSQL server")
    args = ap.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    result = _big_result()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        s1 = save_time(f"sqlite:///{tmp}/s1.sqlite", result)
        rows.append(("S1", "save 16 runs x 2,000 points, SQLite (median of 9)", f"{s1 * 1e3:.0f} ms",
                     "<= 100 ms", "met" if s1 <= 0.1 else "MISSED"))
        s2, listed = page_time(f"sqlite:///{tmp}/s2.sqlite")
        rows.append(("S2", f"Experiments page over 1,000 experiments ({listed} listed), script",
                     f"{s2:.2f} s", "<= 1 s", "met" if s2 <= 1.0 else "MISSED"))
        s3, shown = board_time(f"sqlite:///{tmp}/s3.sqlite")
        rows.append(("S3", f"30 submissions at once, scored and on the board ({shown}), SQLite",
                     f"{s3:.2f} s", "<= 10 s", "met" if s3 <= 10 and shown == 30 else "MISSED"))
    if args.postgres:
        from tests.postgres import Server

        pg = Server()  # (fsync off: a throwaway cluster, as the tests run it)
        try:
            p1 = save_time(pg.new_database(), result)
            rows.append(("S1", "save 16 runs x 2,000 points, PostgreSQL (median of 9)",
                         f"{p1 * 1e3:.0f} ms", "(the target is SQLite's)", "info"))
            p3, shown = board_time(pg.new_database())
            rows.append(("S3", f"30 submissions at once, scored and on the board ({shown}), "
                         "PostgreSQL", f"{p3:.2f} s", "<= 10 s",
                         "met" if p3 <= 10 and shown == 30 else "MISSED"))
        finally:
            pg.close()
    for row in rows:
        print("  ".join(row))
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
