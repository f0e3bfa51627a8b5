"""A throw-away PostgreSQL server for tests: the front door's own local server in a temporary
folder (not under pytest's tmp_path: its parents are private to root, and the server runs as
postgres), fsync off, removed at the end."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from bot.ops.localservices import LocalPostgres


class PostgresServer(LocalPostgres):
    """``with PostgresServer() as pg: pg.url``"""

    def __init__(self) -> None:
        super().__init__(Path(tempfile.mkdtemp(prefix="frontdoor-pg-")), durable=False)

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        shutil.rmtree(self.folder, ignore_errors=True)
