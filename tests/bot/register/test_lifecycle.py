"""A case's life on a real SQLite database: transitions, declines, forwarding, load and escalation."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import FrontDoor, create_frontdoor
from bot.register.lifecycle import CaseNotFound, TransitionError
from bot.register.models import Case, OutboxMessage
from bot.settings import PROJECT_ROOT, Settings
from tests.bot.register.test_cases import INTAKE as CASES_INTAKE

# The cases tests' employer, reachable by email only (the phone would join repeated cases).
INTAKE = replace(CASES_INTAKE, phone=None, organization=None, need_text=None, conversation_id=None, privacy_notice_version=None)
# Wednesday 25 November 2026, 10:00 in Helsinki: a working day.
MONDAY_MORNING = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_MORNING)


@pytest.fixture
def app(settings: Settings, clock: Clock) -> Iterator[FrontDoor]:
    frontdoor = create_frontdoor(settings, clock=clock)
    yield frontdoor
    frontdoor.engine.dispose()


def events(app: FrontDoor, reference: str) -> list[tuple[str, str]]:
    shown = app.cases.show_case(reference)
    assert shown is not None
    return [(e["kind"], e["actor"]) for e in shown["events"]]


def test_a_case_goes_from_assigned_to_closed_with_an_event_for_each_step(app: FrontDoor, clock: Clock) -> None:
    reference = app.cases.create_case(INTAKE).reference
    clock.now += timedelta(minutes=30)
    assert app.lifecycle.accept(reference, "ao-marja").status == "accepted"
    clock.now += timedelta(hours=2)
    assert app.lifecycle.contacted(reference, "ao-marja", note="soitettu").status == "contacted"
    assert app.lifecycle.close(reference, "ao-marja", outcome="served").status == "closed"
    assert events(app, reference) == [
        ("created", "frontdoor"),
        ("assigned", "frontdoor"),
        ("path_drafted", "frontdoor"),
        ("accepted", "ao-marja"),
        ("contacted", "ao-marja"),
        ("closed", "ao-marja"),
    ]
    shown = app.cases.show_case(reference)
    assert shown is not None
    assert shown["events"][3]["at"] == "2026-11-23T08:30:00Z"
    assert shown["events"][4]["detail"] == {"note": "soitettu"}


def test_illegal_transitions_are_refused_with_what_is_allowed(app: FrontDoor) -> None:
    reference = app.cases.create_case(INTAKE).reference
    with pytest.raises(TransitionError, match=r"is assigned: it cannot be closed \(only a case that is accepted / contacted\)"):
        app.lifecycle.close(reference, "ao-marja", outcome="served")
    with pytest.raises(TransitionError, match=r"'ty-anna' does not hold case .*only its mentor \(ao-marja\) or the coordinator"):
        app.lifecycle.accept(reference, "ty-anna")
    app.lifecycle.accept(reference, "ao-marja")
    with pytest.raises(TransitionError, match="is accepted: it cannot be accepted"):
        app.lifecycle.accept(reference, "ao-marja")
    app.lifecycle.close(reference, "coordinator", outcome="referred_outside")
    with pytest.raises(TransitionError, match="is closed: it cannot be forwarded"):
        app.lifecycle.forward(reference, "ao-marja", "kymi-tyollisyys")
    with pytest.raises(CaseNotFound, match="no case FD-2026-99999"):
        app.lifecycle.accept("fd-2026-99999", "ao-marja")
    assert events(app, reference)[-1] == ("closed", "coordinator")


def test_a_declined_case_goes_to_the_next_best_and_never_back(app: FrontDoor) -> None:
    reference = app.cases.create_case(INTAKE).reference
    first = app.lifecycle.decline(reference, "ao-marja", reason="lomalla")
    assert (first.status, first.partner, first.mentor) == ("declined", "kymi-ammattiopisto", "ao-pekka")
    assert first.reason is not None and first.reason.endswith("only available mentor, 1 excluded (declined or passed on)")
    second = app.lifecycle.decline(reference, "ao-pekka")
    # Nobody at the college is left: the employment services also offer apprenticeships.
    assert (second.partner, second.mentor) == ("kymi-tyollisyys", "ty-anna")
    third = app.lifecycle.decline(reference, "ty-anna")
    assert third.mentor == "ty-mikko"
    last = app.lifecycle.decline(reference, "ty-mikko")
    assert last.mentor == "coordinator"
    with pytest.raises(TransitionError, match=r"with the coordinator.*forward it to a partner instead"):
        app.lifecycle.decline(reference, "coordinator")
    kinds = [kind for kind, _ in events(app, reference)]
    assert kinds.count("declined") == 4 and kinds.count("assigned") == 5
    with app.sessions.begin() as session:
        notified = session.execute(select(OutboxMessage.recipient)).scalars().all()
    # Each new holder is told once per channel; nobody is told twice.
    assert Counter(notified) == {"ao-marja": 2, "ao-pekka": 1, "ty-anna": 1, "ty-mikko": 1, "coordinator": 1}


def test_a_mentor_forwards_a_case_to_another_partner(app: FrontDoor) -> None:
    reference = app.cases.create_case(replace(INTAKE, need="recruitment", municipality="Kotka", sector="ict")).reference
    assert app.cases.show_case(reference)["mentor"] == "yk-tiina"  # type: ignore[index]
    app.lifecycle.accept(reference, "yk-tiina")
    moved = app.lifecycle.forward(reference, "yk-tiina", "kymi-tyollisyys", note="rekrytointi kuuluu teille")
    assert (moved.status, moved.partner, moved.mentor) == ("forwarded", "kymi-tyollisyys", "ty-anna")
    shown = app.cases.show_case(reference)
    assert shown is not None
    forwarded = next(e for e in shown["events"] if e["kind"] == "forwarded")
    assert forwarded["actor"] == "yk-tiina"
    assert forwarded["detail"] == {
        "from_mentor": "yk-tiina",
        "to_partner": "kymi-tyollisyys",
        "note": "rekrytointi kuuluu teille",
    }
    assert app.lifecycle.accept(reference, "ty-anna").status == "accepted"
    with pytest.raises(TransitionError, match="unknown partner 'tyollisyys' \\(known: kaakko-amk, "):
        app.lifecycle.forward(reference, "ty-anna", "tyollisyys")


def test_fifty_cases_for_one_partner_spread_by_capacity(tmp_path: Path, clock: Clock) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'cases.db'}", network_path=PROJECT_ROOT / "networks" / "oulu.yml")
    app = create_frontdoor(settings, clock=clock)
    try:
        intake = replace(INTAKE, need="instructor_training", municipality="Taivalkoski", sector=None)
        for i in range(50):
            app.cases.create_case(replace(intake, email=f"asiakas{i}@example.org"))
            clock.now += timedelta(minutes=1)
        cases = app.cases.list_cases()
    finally:
        app.engine.dispose()
    assert len(cases) == 50 and all(c["mentor"] and c["status"] == "assigned" for c in cases)
    counts = Counter(c["mentor"] for c in cases)
    # Jaana takes 15 open cases, Ville 10; the coordinator takes the rest.
    assert counts == {"osao-jaana": 15, "osao-ville": 10, "keskus-koordinaattori": 25}
    # While both had room the load stayed even: the first 20 alternate.
    assert Counter(c["mentor"] for c in cases[:20]) == {"osao-jaana": 10, "osao-ville": 10}


def test_a_case_nobody_accepts_in_time_is_escalated_once_even_after_a_restart(settings: Settings, clock: Clock) -> None:
    # Friday 4 December 2026 15:00 in Helsinki; Sunday 6 December is Independence Day.
    clock.now = datetime(2026, 12, 4, 13, 0, tzinfo=timezone.utc)
    first = create_frontdoor(settings, clock=clock)
    reference = first.cases.create_case(INTAKE).reference
    shown = first.cases.show_case(reference)
    assert shown is not None and shown["mentor"] == "ao-marja"
    first.engine.dispose()  # the process stops

    # Monday 7 December 12:59 local: seven working hours have passed, not yet late.
    clock.now = datetime(2026, 12, 7, 10, 59, tzinfo=timezone.utc)
    second = create_frontdoor(settings, clock=clock)
    try:
        assert second.lifecycle.escalate_overdue() == []
        clock.now = datetime(2026, 12, 7, 13, 1, tzinfo=timezone.utc)
        escalated = second.lifecycle.escalate_overdue()
        assert [(o.reference, o.status, o.mentor) for o in escalated] == [(reference, "escalated", "ao-pekka")]
        assert second.lifecycle.escalate_overdue() == []  # once
        kinds = [kind for kind, _ in events(second, reference)]
        assert kinds == ["created", "assigned", "path_drafted", "escalated", "assigned"]
        with second.sessions.begin() as session:
            case = session.execute(select(Case)).scalar_one()
            assert case.respond_by is not None
            # The new mentor gets a working day of their own: 8 working hours from Monday 15:01.
            assert case.respond_by.replace(tzinfo=timezone.utc) == datetime(2026, 12, 8, 13, 1, tzinfo=timezone.utc)
        second.lifecycle.accept(reference, "ao-pekka")
        clock.now += timedelta(days=30)
        assert second.lifecycle.escalate_overdue() == []  # accepted cases never escalate
    finally:
        second.engine.dispose()


def test_an_overdue_case_at_the_coordinator_is_flagged_once(app: FrontDoor, clock: Clock) -> None:
    reference = app.cases.create_case(replace(INTAKE, need="other")).reference
    clock.now += timedelta(days=7)
    flagged = app.lifecycle.escalate_overdue()
    assert [(o.reference, o.mentor) for o in flagged] == [(reference, "coordinator")]
    assert app.lifecycle.escalate_overdue() == []
    assert [kind for kind, _ in events(app, reference)][-1] == "overdue"


def test_the_customer_withdraws_their_case_and_the_mentor_is_told(app: FrontDoor) -> None:
    reference = app.cases.create_case(replace(INTAKE, conversation_id="conv-7")).reference
    assert app.lifecycle.cancel_by_customer(reference, "someone-else") is None
    outcome = app.lifecycle.cancel_by_customer(reference, "conv-7")
    assert outcome is not None and outcome.status == "closed"
    assert app.lifecycle.cancel_by_customer(reference, "conv-7") is None  # already closed
    shown = app.cases.show_case(reference)
    assert shown is not None
    assert shown["events"][-1]["kind"] == "cancelled" and shown["events"][-1]["actor"] == "customer"
    assert shown["events"][-1]["detail"] == {"previous_status": "assigned", "outcome": "no_need"}
    assert shown["outcome"] == "no_need"  # withdrawn: the customer no longer needs it
    told = sorted(n["channel"] for n in shown["notifications"] if n["kind"] == "case_cancelled")
    assert told == ["email", "telegram"]
    assert app.lifecycle.escalate_overdue() == []


def test_each_act_records_the_door_it_came_through_and_every_holder_is_kept(app: FrontDoor) -> None:
    reference = app.cases.create_case(INTAKE).reference
    first = app.cases.show_case(reference)
    assert first is not None
    holder = first["mentor"]
    app.lifecycle.decline(reference, holder, reason="ei meidän alaa", via="desk")
    shown = app.cases.show_case(reference)
    assert shown is not None
    declined = next(e for e in shown["events"] if e["kind"] == "declined")
    assert (
        declined["actor"] == holder and declined["detail"]["via"] == "desk" and declined["detail"]["reason"] == "ei meidän alaa"
    )
    with app.sessions() as session:
        case = session.execute(select(Case).where(Case.reference == reference)).scalar_one()
        assert [h.mentor for h in case.holders] == [holder, shown["mentor"]]


def test_the_coordinator_reassigns_an_open_case_and_the_new_mentor_is_told(app: FrontDoor) -> None:
    reference = app.cases.create_case(INTAKE).reference
    outcome = app.lifecycle.reassign(reference, "coordinator", "ao-pekka", note="Pekka tuntee yrityksen", via="desk")
    assert (outcome.mentor, outcome.status) == ("ao-pekka", "assigned")
    shown = app.cases.show_case(reference)
    assert shown is not None
    reassigned = next(e for e in shown["events"] if e["kind"] == "reassigned")
    assert reassigned["actor"] == "coordinator" and reassigned["detail"]["to_mentor"] == "ao-pekka"
    assert reassigned["detail"]["via"] == "desk"
    assert any(n["recipient"] == "ao-pekka" and n["kind"] == "case_assigned" for n in shown["notifications"])
    with pytest.raises(TransitionError, match="only the coordinator"):
        app.lifecycle.reassign(reference, "ao-pekka", "ao-marja")
    with pytest.raises(TransitionError, match="already with ao-pekka"):
        app.lifecycle.reassign(reference, "coordinator", "ao-pekka")
    with pytest.raises(TransitionError, match="unknown mentor"):
        app.lifecycle.reassign(reference, "coordinator", "nobody")


def test_private_notes_are_kept_for_holders_and_the_coordinator_only(app: FrontDoor) -> None:
    reference = app.cases.create_case(INTAKE).reference
    shown = app.cases.show_case(reference)
    assert shown is not None
    app.lifecycle.note(reference, shown["mentor"], "  soitan huomenna  ", via="desk")
    app.lifecycle.note(reference, "coordinator", "seurataan", via="desk")
    with pytest.raises(TransitionError, match="does not hold"):
        app.lifecycle.note(reference, "ty-anna", "ei minun")
    with pytest.raises(TransitionError, match="empty"):
        app.lifecycle.note(reference, "coordinator", "   ")
    notes = [e["detail"]["note"] for e in app.cases.show_case(reference)["events"] if e["kind"] == "noted"]  # type: ignore[index]
    assert notes == ["soitan huomenna", "seurataan"]
