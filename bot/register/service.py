"""What the case register's services share: sessions, the current network and a clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from sqlalchemy.orm import Session, sessionmaker

from bot.network.model import Network


class TransitionError(ValueError):
    """The change is not allowed; the message says why."""


class CaseNotFound(LookupError):
    """No case has this reference."""


class RegisterService:
    """Base of the register's services: a unit of work per call (``with self.sessions.begin()``)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        networks: Callable[[], Network],
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ):
        self.sessions = sessions
        self._networks = networks
        self.clock = clock

    @property
    def network(self) -> Network:
        """The network as it is now (the file may have been reloaded)."""
        return self._networks()
