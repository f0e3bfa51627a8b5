"""Live reload: running processes follow the network file as it changes, and never take a broken one."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from bot.network.files import file_stamp
from bot.network.loading import NetworkError, load_network
from bot.network.model import Network
from bot.network.municipalities import Municipalities
from bot.network.needs import Taxonomy

logger = logging.getLogger(__name__)


class NetworkSource:
    """The network file as running processes see it: reloaded when it changes, never replaced by a broken one.

    Every caller asks :meth:`current` for the network; it looks at the
    file's modification time (one ``stat``) and reloads on a change. A file
    that does not pass the checks is reported once in the log and the last
    working network stays in use.
    """

    def __init__(self, path: Path, taxonomy: Taxonomy, municipalities: Municipalities) -> None:
        self.path = path
        self._taxonomy = taxonomy
        self._municipalities = municipalities
        self._lock = threading.Lock()
        self._stamp = self._stat()
        self._network = load_network(path, taxonomy, municipalities)
        self._rejected: tuple[int, int] | None = None

    def _stat(self) -> tuple[int, int]:
        return file_stamp(self.path)

    def current(self) -> Network:
        """The newest working network."""
        stamp = self._stat()
        if stamp in (self._stamp, self._rejected):
            return self._network
        with self._lock:
            if stamp not in (self._stamp, self._rejected):
                try:
                    self._load(stamp)
                except NetworkError as exc:
                    self._rejected = stamp
                    logger.error("network file not reloaded, the previous one stays in use: %s", exc)
            return self._network

    def reload(self) -> Network:
        """Load the file now; on problems keep the working network and raise :class:`NetworkError`."""
        with self._lock:
            return self._load(self._stat())

    def _load(self, stamp: tuple[int, int]) -> Network:
        network = load_network(self.path, self._taxonomy, self._municipalities)
        self._network, self._stamp, self._rejected = network, stamp, None
        logger.info(
            "network file reloaded: %s (%d partners, %d mentors)", network.id, len(network.partners), len(network.mentors)
        )
        return network
