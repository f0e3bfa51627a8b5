"""Signing in to the desk without passwords: one-time links and server-side sessions.

A link's token is random (``secrets``), valid for ``link_minutes`` and used up
only when the person presses "Sign in" on the page the link opens (a mail
scanner that merely opens the link uses nothing up). Only SHA-256 hashes of
tokens and session ids are stored. A session ends on sign-out, after
``idle_minutes`` without use, after ``session_hours`` in all, or as soon as
its person is no longer in the network file.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import delete, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, sessionmaker

from bot.desk.people import Person, person
from bot.language import LANGUAGES
from bot.network.model import Network
from bot.register.models import DeskLink, DeskSession, utc
from bot.register.service import RegisterService

logger = logging.getLogger(__name__)

DESK_PATH = "/desk/"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def safe_next(path: str | None) -> str | None:
    """A path inside the desk to go to after signing in, or ``None`` (never another site)."""
    if not path or not path.startswith(DESK_PATH) or "//" in path or "\\" in path or len(path) > 300:
        return None
    return path


class AccessError(ValueError):
    """Nobody can be signed in with this; the message says why."""


@dataclass(frozen=True)
class SignedIn:
    """A live desk session: who, in which language, and the token its forms carry."""

    person: Person
    language: str
    csrf_token: str


@dataclass(frozen=True)
class NewSession:
    """What the browser gets at sign-in: the session id (for the cookie) and where to go."""

    session_id: str
    person: Person
    next_path: str


class DeskAccess(RegisterService):
    """Sign-in links and sessions."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        networks: Callable[[], Network],
        clock: Callable[[], datetime],
        *,
        link_minutes: int = 15,
        idle_minutes: int = 120,
        session_hours: int = 12,
    ):
        super().__init__(sessions, networks, clock)
        self.link_minutes = link_minutes
        self.idle = timedelta(minutes=idle_minutes)
        self.lifetime = timedelta(hours=session_hours)

    def issue_link(self, person_id: str, next_path: str | None = None) -> str:
        """A new one-time token for the person; the sign-in URL is ``/desk/link/<token>``."""
        if person(self.network, person_id) is None:
            known = ", ".join([self.network.coordinator.id, *(m.id for m in self.network.mentors)])
            raise AccessError(f"unknown person '{person_id}': give the id of a mentor or the coordinator ({known})")
        token = secrets.token_urlsafe(24)
        now = self.clock()
        with self.sessions.begin() as session:
            session.add(
                DeskLink(
                    token_hash=digest(token),
                    person=person_id,
                    created_at=now,
                    expires_at=now + timedelta(minutes=self.link_minutes),
                    next_path=safe_next(next_path),
                )
            )
        logger.info("desk sign-in link made for %s", person_id)
        return token

    def link_holder(self, token: str) -> Person | None:
        """Whose link this is, if it can still be used (looking uses nothing up)."""
        with self.sessions() as session:
            link = self._usable(session, token)
            return person(self.network, link.person) if link else None

    def _usable(self, session: Session, token: str) -> DeskLink | None:
        link = session.execute(select(DeskLink).where(DeskLink.token_hash == digest(token))).scalar_one_or_none()
        if link is None or link.used_at is not None or utc(link.expires_at) <= self.clock():
            return None
        return link

    def sign_in(self, token: str, language: str | None = None) -> NewSession:
        """Use the link up and open a session with a new id."""
        now = self.clock()
        refused = AccessError("this sign-in link is used, expired or unknown: ask for a new one")
        with self.sessions.begin() as session:
            # One conditional UPDATE uses the link up: of two presses at once only one changes the row
            # (a SELECT … FOR UPDATE would not hold on SQLite).
            used = cast(
                CursorResult,
                session.execute(
                    update(DeskLink)
                    .where(DeskLink.token_hash == digest(token), DeskLink.used_at.is_(None), DeskLink.expires_at > now)
                    .values(used_at=now)
                    .execution_options(synchronize_session=False)
                ),
            )
            if used.rowcount != 1:
                raise refused
            link = session.execute(select(DeskLink).where(DeskLink.token_hash == digest(token))).scalar_one()
            who = person(self.network, link.person)
            if who is None:
                raise refused
            session_id = secrets.token_urlsafe(32)
            session.add(
                DeskSession(
                    session_hash=digest(session_id),
                    person=who.id,
                    csrf_token=secrets.token_urlsafe(24),
                    language=language if language in LANGUAGES else who.language,
                    created_at=now,
                    seen_at=now,
                )
            )
            next_path = link.next_path or DESK_PATH
        logger.info("desk session opened for %s", who.id)
        return NewSession(session_id, who, next_path)

    def session(self, session_id: str) -> SignedIn | None:
        """The live session with this id (its idle time starts again), or ``None``."""
        now = self.clock()
        with self.sessions.begin() as session:
            row = session.execute(
                select(DeskSession).where(DeskSession.session_hash == digest(session_id), DeskSession.ended_at.is_(None))
            ).scalar_one_or_none()
            if row is None:
                return None
            who = person(self.network, row.person)
            if who is None or utc(row.seen_at) + self.idle <= now or utc(row.created_at) + self.lifetime <= now:
                row.ended_at = now
                return None
            if now - utc(row.seen_at) > timedelta(minutes=1):  # one write a minute at most
                row.seen_at = now
            return SignedIn(who, row.language, row.csrf_token)

    def set_language(self, session_id: str, language: str) -> None:
        if language not in LANGUAGES:
            return
        with self.sessions.begin() as session:
            session.execute(update(DeskSession).where(DeskSession.session_hash == digest(session_id)).values(language=language))

    def sign_out(self, session_id: str) -> None:
        with self.sessions.begin() as session:
            session.execute(
                update(DeskSession)
                .where(DeskSession.session_hash == digest(session_id), DeskSession.ended_at.is_(None))
                .values(ended_at=self.clock())
            )

    def end_sessions_of(self, person_id: str) -> int:
        """End every session of a person (revoked by the coordinator); how many were live."""
        with self.sessions.begin() as session:
            result = cast(
                CursorResult,
                session.execute(
                    update(DeskSession)
                    .where(DeskSession.person == person_id, DeskSession.ended_at.is_(None))
                    .values(ended_at=self.clock())
                ),
            )
            return int(result.rowcount or 0)

    def forget_old(self, days: int = 30) -> int:
        """Delete links that expired and sessions that ended more than ``days`` ago (the nightly round); how many."""
        cutoff = self.clock() - timedelta(days=days)
        with self.sessions.begin() as session:
            links = cast(CursorResult, session.execute(delete(DeskLink).where(DeskLink.expires_at < cutoff)))
            ended = or_(DeskSession.ended_at < cutoff, DeskSession.seen_at < cutoff - self.idle)
            sessions = cast(CursorResult, session.execute(delete(DeskSession).where(ended)))
            return int(links.rowcount or 0) + int(sessions.rowcount or 0)
