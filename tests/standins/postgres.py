"""A throw-away PostgreSQL server for tests: its own cluster in a temporary folder, on a free
loopback port, stopped at the end. PostgreSQL refuses to run as root, so as root the
server runs as the ``postgres`` system user."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def _binary(name: str) -> str:
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise RuntimeError(f"PostgreSQL's {name} is not installed: install Debian's postgresql package (.ci/run does)")


class PostgresServer:
    """``with PostgresServer() as pg: pg.url``"""

    def __init__(self) -> None:
        # Not under pytest's tmp_path: its parents are private to root, and the server runs as postgres.
        self.folder = Path(tempfile.mkdtemp(prefix="frontdoor-pg-"))
        self.data = self.folder / "data"
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.url = f"postgresql://frontdoor@127.0.0.1:{self.port}/frontdoor"
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            self._as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as_user, *args], check=True, capture_output=True, timeout=120)

    def __enter__(self) -> PostgresServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self._as_user:
            shutil.chown(self.folder, "postgres", "postgres")
            # runuser keeps the working directory: make sure postgres may be in it.
            os.chmod(self.folder, 0o777)
        self._run(_binary("initdb"), "-D", str(self.data), "-U", "frontdoor", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off"
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "start")
        self._run(_binary("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "frontdoor", "frontdoor")
        return self

    def __exit__(self, *exc: object) -> None:
        subprocess.run(
            [*self._as_user, _binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            timeout=60,
            check=False,
        )
        time.sleep(0.1)
        shutil.rmtree(self.folder, ignore_errors=True)
