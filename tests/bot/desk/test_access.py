"""Sign-in links and sessions of the desk, at the service: one use, a short life, hashes only, sessions that end."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.app import FrontDoor, create_frontdoor
from bot.desk.access import AccessError, DeskAccess, digest, safe_next
from bot.register.models import DeskLink, DeskSession
from bot.settings import Settings


@dataclass
class Clock:
    """A clock the test moves forward; every service of the front door takes "now" from it."""

    now: datetime = field(default_factory=lambda: datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timed(settings: Settings, clock: Clock) -> Iterator[FrontDoor]:
    """The front door on the test's clock."""
    frontdoor = create_frontdoor(settings, clock=clock)
    yield frontdoor
    frontdoor.engine.dispose()


def access_of(frontdoor: FrontDoor, **limits: int) -> DeskAccess:
    return DeskAccess(frontdoor.sessions, frontdoor.networks.current, frontdoor.clock, **limits)


def test_a_link_signs_in_once_and_the_register_keeps_only_hashes(timed: FrontDoor) -> None:
    access = access_of(timed)
    token = access.issue_link("ao-marja")
    # Looking at the link (a mail scanner, the page before the button) uses nothing up.
    for _ in range(3):
        holder = access.link_holder(token)
        assert holder is not None and holder.id == "ao-marja" and holder.name == "Marja Oppila"
    opened = access.sign_in(token)
    assert opened.person.id == "ao-marja" and opened.next_path == "/desk/"
    assert access.link_holder(token) is None
    with pytest.raises(AccessError, match="used, expired or unknown"):
        access.sign_in(token)
    with timed.sessions() as session:
        link = session.execute(select(DeskLink)).scalar_one()
        stored = session.execute(select(DeskSession)).scalar_one()
    assert link.token_hash == digest(token) and token not in link.token_hash and link.used_at is not None
    assert stored.session_hash == digest(opened.session_id) and stored.person == "ao-marja"
    assert opened.session_id not in stored.session_hash


def test_a_link_expires_after_its_minutes(timed: FrontDoor, clock: Clock) -> None:
    access = access_of(timed, link_minutes=15)
    early, late = access.issue_link("ao-marja"), access.issue_link("ao-marja")
    clock.advance(minutes=14, seconds=59)
    assert access.sign_in(early).person.id == "ao-marja"
    clock.advance(seconds=1)
    assert access.link_holder(late) is None
    with pytest.raises(AccessError):
        access.sign_in(late)


def test_an_unknown_or_tampered_token_signs_nobody_in(timed: FrontDoor) -> None:
    access = access_of(timed)
    token = access.issue_link("ao-marja")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for wrong in (tampered, token.upper(), "", "x" * 400, token + "x"):
        assert access.link_holder(wrong) is None
        with pytest.raises(AccessError):
            access.sign_in(wrong)
    assert access.sign_in(token).person.id == "ao-marja"  # the real one is still good


def test_only_people_of_the_network_file_get_a_link(timed: FrontDoor) -> None:
    access = access_of(timed)
    with pytest.raises(AccessError, match=r"unknown person 'nobody'.*coordinator.*ao-marja"):
        access.issue_link("nobody")
    coordinator = access.sign_in(access.issue_link("coordinator")).person
    assert coordinator.is_coordinator and coordinator.emails == ("koordinaattori@example.org",)


@pytest.mark.parametrize(
    ("asked", "kept"),
    [
        ("/desk/cases/FD-2026-00042", "/desk/cases/FD-2026-00042"),
        ("/desk/all?status=assigned", "/desk/all?status=assigned"),
        ("https://evil.example/desk/", None),
        ("//evil.example/desk/", None),
        ("/desk//evil.example", None),
        ("/desk/\\evil.example", None),
        ("/privacy/fi.html", None),
        ("/desk", None),
        ("/desk/" + "x" * 300, None),
        ("", None),
        (None, None),
    ],
)
def test_only_a_path_inside_the_desk_is_kept_for_after_sign_in(asked: str | None, kept: str | None) -> None:
    assert safe_next(asked) == kept


def test_the_link_takes_its_person_where_it_was_meant_to(timed: FrontDoor) -> None:
    access = access_of(timed)
    assert access.sign_in(access.issue_link("ao-marja", "/desk/cases/FD-2026-00042")).next_path == "/desk/cases/FD-2026-00042"
    assert access.sign_in(access.issue_link("ao-marja", "https://evil.example/")).next_path == "/desk/"


def test_every_sign_in_opens_a_new_session_with_its_own_form_token(timed: FrontDoor) -> None:
    access = access_of(timed)
    first = access.sign_in(access.issue_link("ao-marja"))
    second = access.sign_in(access.issue_link("ao-marja"))
    assert first.session_id != second.session_id and len(first.session_id) >= 40
    one, two = access.session(first.session_id), access.session(second.session_id)
    assert one is not None and two is not None and one.csrf_token != two.csrf_token


def test_the_session_speaks_the_language_asked_for_or_the_persons_own(timed: FrontDoor) -> None:
    access = access_of(timed)
    pekka = access.sign_in(access.issue_link("ao-pekka"), "sv")
    marja = access.sign_in(access.issue_link("ao-marja"), "de")
    assert (access.session(pekka.session_id) or pytest.fail()).language == "sv"
    assert (access.session(marja.session_id) or pytest.fail()).language == "fi"
    access.set_language(marja.session_id, "en")
    access.set_language(pekka.session_id, "xx")
    assert (access.session(marja.session_id) or pytest.fail()).language == "en"
    assert (access.session(pekka.session_id) or pytest.fail()).language == "sv"


def test_a_session_ends_when_left_idle_but_lives_while_used(timed: FrontDoor, clock: Clock) -> None:
    access = access_of(timed, idle_minutes=120, session_hours=12)
    used, left = (access.sign_in(access.issue_link("ao-marja")).session_id for _ in range(2))
    for _ in range(5):  # used every 110 minutes: 9 hours 10 minutes in all
        clock.advance(minutes=110)
        assert access.session(used) is not None
    assert access.session(left) is None
    clock.advance(minutes=100)
    assert access.session(left) is None  # ended stays ended
    with timed.sessions() as session:
        ended = session.execute(select(DeskSession).where(DeskSession.session_hash == digest(left))).scalar_one()
    assert ended.ended_at is not None


def test_a_session_ends_after_its_hours_however_busy(timed: FrontDoor, clock: Clock) -> None:
    access = access_of(timed, idle_minutes=120, session_hours=12)
    session_id = access.sign_in(access.issue_link("ao-marja")).session_id
    for _ in range(11):
        clock.advance(minutes=60)
        assert access.session(session_id) is not None
    clock.advance(minutes=59)
    assert access.session(session_id) is not None
    clock.advance(minutes=1)
    assert access.session(session_id) is None


def test_signing_out_and_revoking_end_sessions_on_the_server(timed: FrontDoor) -> None:
    access = access_of(timed)
    mine = access.sign_in(access.issue_link("ao-marja")).session_id
    access.sign_out(mine)
    assert access.session(mine) is None
    phone, laptop = (access.sign_in(access.issue_link("ao-pekka")).session_id for _ in range(2))
    other = access.sign_in(access.issue_link("ao-marja")).session_id
    assert access.end_sessions_of("ao-pekka") == 2
    assert access.session(phone) is None and access.session(laptop) is None
    assert access.session(other) is not None
    assert access.end_sessions_of("ao-pekka") == 0


def _press_twice_at_once(access: DeskAccess, token: str) -> tuple[list[str], list[str]]:
    """Two threads press "Sign in" with one link at the same moment: the sessions opened, the refusals."""
    start = threading.Barrier(2)
    opened: list[str] = []
    refused: list[str] = []

    def press() -> None:
        start.wait()
        try:
            opened.append(access.sign_in(token).session_id)
        except AccessError as error:
            refused.append(str(error))

    threads = [threading.Thread(target=press) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return opened, refused


def test_a_link_pressed_twice_at_the_same_moment_opens_one_session(timed: FrontDoor) -> None:
    """Two browsers (or a double click) racing with one link: exactly one gets a session, on SQLite too."""
    access = access_of(timed)
    for _ in range(5):
        opened, refused = _press_twice_at_once(access, access.issue_link("ao-marja"))
        assert len(opened) == 1 and len(refused) == 1, (opened, refused)
