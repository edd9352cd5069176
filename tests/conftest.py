"""Test-session setup: compiled code goes to a fresh per-session cache directory, so every run
of the suite builds the accelerator from nothing (a green run can never be testing stale
machine code) and leaves nothing behind."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

if not os.environ.get("GDCORE_KEEP_CACHE_DIR"):
    _CACHE = tempfile.mkdtemp(prefix="gdcore-test-cache-")
    os.environ["GDCORE_CACHE_DIR"] = _CACHE
else:  # pragma: no cover - opt-in for quick local reruns
    _CACHE = None


def pytest_sessionfinish(session, exitstatus):
    if _CACHE:
        shutil.rmtree(_CACHE, ignore_errors=True)


@pytest.fixture(scope="session")
def compiled():
    """The verified compiled loop (built in a child process into the session's cache). A test
    that needs it fails, never skips, when it cannot be built."""
    from gdcore.engine import accel

    kernel = accel.wait(timeout=900)
    assert kernel is not None, f"the compiled accelerator is not available: {accel.status()}"
    return kernel


@pytest.fixture(scope="session")
def postgres():
    """One real PostgreSQL server for the session's store and challenge tests
    (tests/postgres.py); each test takes its own database from it."""
    from tests.postgres import Server

    server = Server()
    yield server
    server.close()
