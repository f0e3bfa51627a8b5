"""A throw-away Redis server for tests: the front door's own local server in a temporary folder."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from bot.ops.localservices import LocalRedis


class RedisServer(LocalRedis):
    """``with RedisServer() as server: server.url``"""

    def __init__(self) -> None:
        super().__init__(Path(tempfile.mkdtemp(prefix="frontdoor-redis-")))

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        shutil.rmtree(self.folder, ignore_errors=True)
