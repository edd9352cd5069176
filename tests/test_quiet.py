"""Background work waits for a quiet process, and a build under way is paused while the process
serves someone (``gdcore.engine.quiet``, ``gdcore.engine.accel.supervise``).

Measured before this existed (``python -m bench.first_chart``-style visits, 2 cores): a fresh
server's later visits drew their first chart at 5.7-8 s while the build compiled beside them,
4.5 s with no build at all; ``nice 19`` and ``SCHED_IDLE`` both left it at about 6 s.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from gdcore.engine import accel
from gdcore.engine.quiet import Quiet

DEADLINE = 60.0  # seconds allowed for a polled state (never slept for)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_quiet_means_nothing_busy_now_nor_for_the_last_seconds():
    clock = Clock()
    quiet = Quiet(after=5.0, clock=clock)
    assert quiet.is_quiet()  # a process that never marked anything busy (CLI, tests)
    with quiet.busy():
        assert not quiet.is_quiet()
        with quiet.busy():  # overlapping stretches (two sessions' script runs)
            pass
        clock.now += 60
        assert not quiet.is_quiet(), "one stretch ended, the other is still busy"
    assert not quiet.is_quiet(), "just ended"
    clock.now += 4.9
    assert not quiet.is_quiet()
    clock.now += 0.2
    assert quiet.is_quiet()
    quiet.touch()
    assert not quiet.is_quiet(), "a touch is a busy moment"
    clock.now += 5.0
    assert quiet.is_quiet()


def test_a_busy_stretch_ends_even_when_its_block_raises():
    clock = Clock()
    quiet = Quiet(after=1.0, clock=clock)
    with pytest.raises(RuntimeError), quiet.busy():
        raise RuntimeError("a script run that failed")
    clock.now += 1.0
    assert quiet.is_quiet()


def test_wait_returns_once_quiet_and_gives_up_at_its_timeout():
    quiet = Quiet(after=0.0)
    release = threading.Event()
    entered = threading.Event()

    def serve():
        with quiet.busy():
            entered.set()
            release.wait(DEADLINE)

    worker = threading.Thread(target=serve)
    worker.start()
    try:
        assert entered.wait(DEADLINE)
        assert quiet.wait(timeout=0.05, poll=0.01) is False  # still busy: gave up
        done: list[bool] = []
        waiter = threading.Thread(target=lambda: done.append(quiet.wait(DEADLINE, poll=0.01)))
        waiter.start()
        release.set()
        waiter.join(DEADLINE)
        assert done == [True]
    finally:
        release.set()
        worker.join(DEADLINE)


class Switch:
    """A stand-in for the process's Quiet: the test says when it is quiet."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def is_quiet(self) -> bool:
        return self.quiet


def _state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return None


def _poll(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"not within {DEADLINE:.0f} s: {what}")


needs_pause = pytest.mark.skipif(not accel.CAN_PAUSE or not Path("/proc/self/stat").exists(),
                                 reason="pausing a build is Linux-only (needs PR_SET_PDEATHSIG)")


@needs_pause
def test_a_build_is_paused_while_the_process_is_busy_and_goes_on_when_quiet():
    switch = Switch(quiet=False)
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE)
    result: list[object] = []
    supervisor = threading.Thread(target=lambda: result.append(
        accel.supervise(child, timeout=DEADLINE * 4, quiet=switch, poll=0.01)))
    supervisor.start()
    try:
        _poll(lambda: _state(child.pid) == "T", "the child was paused while busy")
        switch.quiet = True
        _poll(lambda: _state(child.pid) in ("S", "R"), "the child went on once quiet")
        switch.quiet = False
        _poll(lambda: _state(child.pid) == "T", "paused again")
        switch.quiet = True
        _poll(lambda: _state(child.pid) in ("S", "R"), "and on again")
        child.stdin.close()  # the child ends by itself: its status is returned
        supervisor.join(DEADLINE)
        assert result == [0]
    finally:
        child.kill()
        supervisor.join(DEADLINE)


@needs_pause
def test_the_timeout_counts_running_time_and_pauses_are_bounded():
    """Never quiet, pauses bounded at 1 s: the child is held 1 s, then runs 0.3 s and is killed
    at the timeout. So it ended at 1.3 s or later (a pause does not count), not at 0.3 s."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    t0 = time.monotonic()
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            accel.supervise(child, timeout=0.3, quiet=Switch(quiet=False), poll=0.01,
                            pause_at_most=1.0)
        assert time.monotonic() - t0 >= 1.3
        assert child.poll() is not None, "the timed-out child was killed (paused or not)"
    finally:
        child.kill()
        child.wait()


def test_a_process_that_is_always_quiet_runs_its_build_straight_through():
    child = subprocess.Popen([sys.executable, "-c", "raise SystemExit(7)"])
    assert accel.supervise(child, timeout=DEADLINE, quiet=Switch(quiet=True)) == 7
