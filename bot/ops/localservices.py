"""PostgreSQL and Redis on this machine, from Debian's packages, for ``make run-scaled`` and tests.

Each server gets its own data folder and loopback port and is stopped by the ``with`` block that
started it. PostgreSQL refuses to run as root, so as root its server runs as the ``postgres``
system user (the folder is handed to it).
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis

logger = logging.getLogger(__name__)


class ServiceError(RuntimeError):
    """A local server is missing or did not start; the message says what to install or look at."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _postgres_binary(name: str) -> str:
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise ServiceError(f"PostgreSQL's {name} is not installed: install Debian's postgresql package")


class LocalPostgres:
    """``with LocalPostgres(folder, port) as pg: pg.url`` — a cluster in ``folder``, made on first use."""

    def __init__(self, folder: Path, port: int | None = None, *, durable: bool = True):
        self.folder = folder
        self.data = folder / "data"
        self.port = port or free_port()
        self.durable = durable
        self.url = f"postgresql://frontdoor@127.0.0.1:{self.port}/frontdoor"
        self._as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        result = subprocess.run([*self._as_user, *args], capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise ServiceError(f"{Path(args[0]).name} failed: {result.stderr.strip()[-500:]}")

    def __enter__(self) -> LocalPostgres:
        fresh = not (self.data / "PG_VERSION").exists()
        self.folder.mkdir(parents=True, exist_ok=True)
        if self._as_user:
            shutil.chown(self.folder, "postgres", "postgres")
            # runuser keeps the working directory: make sure postgres may be in it.
            os.chmod(self.folder, 0o777)
        if fresh:
            self._run(
                _postgres_binary("initdb"), "-D", str(self.data), "-U", "frontdoor", "--auth=trust", "-E", "UTF8", "--no-sync"
            )
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c max_connections=200"
        if not self.durable:
            options += " -c fsync=off"
        self._run(_postgres_binary("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "start")
        if fresh:
            self._run(_postgres_binary("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "frontdoor", "frontdoor")
        return self

    def __exit__(self, *exc: object) -> None:
        mode = "fast" if self.durable else "immediate"
        subprocess.run(
            [*self._as_user, _postgres_binary("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"],
            capture_output=True,
            timeout=60,
            check=False,
        )


class LocalRedis:
    """``with LocalRedis(folder, port) as redis: redis.url`` — Redis for Rasa's lock store (nothing saved)."""

    def __init__(self, folder: Path, port: int | None = None):
        self.folder = folder
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/1"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> LocalRedis:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(binary).exists():
            raise ServiceError("redis-server is not installed: install Debian's redis-server package")
        self.folder.mkdir(parents=True, exist_ok=True)
        options = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        with (self.folder / "redis.log").open("ab") as log:
            self.process = subprocess.Popen([binary, *options], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not self._answers():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise ServiceError(f"redis-server did not start on port {self.port} (see {self.folder / 'redis.log'})")
            time.sleep(0.05)
        return self

    def _answers(self) -> bool:
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
