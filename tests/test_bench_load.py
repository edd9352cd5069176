"""Smoke test of the load driver (bench/load.py) with two sessions and a short long run.

It starts a real ``streamlit run`` server on a free loopback port, speaks Streamlit's websocket
protocol, and must produce a number for every column of the table and stop the server. No time
is asserted: on a shared machine two sessions' timings are noise. (About 15-25 s.)
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
from pathlib import Path

from bench import load

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = 2


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - a pid reused by another user's process
        return True
    try:  # a zombie is not a running server
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_two_sessions_give_every_column_and_stop_the_server(tmp_path):
    out = tmp_path / "load.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.load", "--sessions", str(SESSIONS), "--long-run",
         "--long-seconds", "1", "--settle", "2", "--settle-bound", "20", "--deadline", "240",
         "--msg-timeout", "60", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    res = json.loads(out.read_text())

    expected = {"open_first_chart": SESSIONS, "open_finished": SESSIONS,
                "lr_first_chart": SESSIONS, "lr_finished": SESSIONS,
                "long_others_finished": SESSIONS - 1}
    assert [key for key, *_ in load.TIMED] == list(expected)
    for key, count in expected.items():
        values = res[key]
        assert len(values) == count and all(_is_number(v) and v > 0 for v in values), (key, values)
    for key in ("rss_idle_mb", "rss_peak_mb", "rss_after_close_mb"):
        assert _is_number(res[key]) and res[key] > 0, (key, res[key])
    assert res["rss_peak_mb"] >= max(res["rss_idle_mb"], res["rss_after_close_mb"])
    for key in ("load_start", "load_end"):
        assert len(res[key].split()) == 3
    # the protocol did what it claims: the link opened, the widget change and the long run
    # reached the app (it wrote each new setup back into the URL)
    assert res["open_link_applied"] == SESSIONS
    assert res["lr_change_method"] == "widget" and res["lr_change_applied"] == SESSIONS
    assert res["long_others_applied"] == SESSIONS - 1 and res["long_run_link_applied"]
    assert _is_number(res["long_run_finished"])
    assert not res["errors"], res["errors"]
    # every target got a verdict (PASS or MISS: not asserted)
    assert len(res["verdicts"]) == 7
    for _, label, *_ in load.TIMED:
        assert label in proc.stdout
    assert "PASS" in proc.stdout or "MISS" in proc.stdout

    # the server is gone, and its port is free again
    assert res["server_stopped"] is True
    assert not _alive(res["server_pid"])
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1.0)
        assert s.connect_ex(("127.0.0.1", res["port"])) != 0


def test_link_setup_has_four_runs_on_2000_rows():
    exp = load.link_setup(load.DEFAULT_LINK)
    assert len(exp["runs"]) == 4 and exp["data"]["n"] == 2000
    assert len({r["name"] for r in exp["runs"]}) == 4
    token = load.share.encode(exp)
    assert load.share.decode(token).to_dict() == load.gdcore.parse_experiment(exp).to_dict()
