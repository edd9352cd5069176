"""A real PostgreSQL server for the tests: Debian's ``postgresql`` package, a cluster made with
``initdb`` in a temporary directory, started with ``pg_ctl`` on a free loopback port, trust
authentication, stopped and removed at the end of the test session. As root (CI), the server
runs as the package's ``postgres`` user (PostgreSQL refuses to run as root).

On a developer's machine without PostgreSQL the tests that need it are skipped with how to
install it (README: "Tests"); under CI (``CI`` set) they fail: CI must run them (.ci/run
installs the package).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def absent(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the PostgreSQL tests: {why}")
    pytest.skip(why)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One running PostgreSQL cluster; :meth:`new_database` gives each test its own."""

    def __init__(self) -> None:
        initdb, self.pg_ctl = _binary("initdb"), _binary("pg_ctl")
        if not initdb or not self.pg_ctl:
            absent("PostgreSQL is not installed (apt-get install postgresql; .ci/run does)")
        self.root = Path(tempfile.mkdtemp(prefix="gdcore-pg-"))
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            if not shutil.which("runuser"):
                absent("runuser is needed to start PostgreSQL as its own user")
            try:
                shutil.chown(self.root, user="postgres", group="postgres")
            except (LookupError, PermissionError) as err:
                absent(f"the postgres user of Debian's package is missing ({err})")
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self.data = self.root / "data"
        self.port = _free_port()
        self._run([initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                   "--locale", "C"])
        self._run([self.pg_ctl, "-D", str(self.data), "-l", str(self.root / "server.log"), "-w",
                   "-t", "120", "-o", f"-c listen_addresses=127.0.0.1 -p {self.port} "
                   f"-k {self.root} -c fsync=off -c full_page_writes=off", "start"])
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, cmd: list[str], check: bool = True) -> subprocess.CompletedProcess:
        out = subprocess.run(self.prefix + cmd, capture_output=True, text=True, timeout=180)
        if check and out.returncode:
            log = self.root / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{cmd[0]} failed ({out.returncode}): {out.stderr[-2000:]}\n{tail}")
        return out

    def new_database(self) -> str:
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self, mode: str = "fast") -> None:
        self._run([self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "stop"], check=False)

    def start(self) -> None:
        self._run([self.pg_ctl, "-D", str(self.data), "-l", str(self.root / "server.log"), "-w",
                   "-t", "120", "-o", f"-c listen_addresses=127.0.0.1 -p {self.port} "
                   f"-k {self.root} -c fsync=off", "start"])

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
