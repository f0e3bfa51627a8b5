from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, select

from bot.app import FrontDoor, create_frontdoor
from bot.register.cases import CaseError, CaseService, Intake, find_reference
from bot.register.models import Case, CaseEvent, OutboxMessage
from bot.settings import Settings

INTAKE = Intake(
    need="apprenticeship",
    customer_type="employer",
    consent=True,
    channel="rest",
    language="fi",
    contact_name="Maija Meikäläinen",
    organization="Kuljetus Virtanen Oy",
    email="maija@example.org",
    phone="+358401234567",
    municipality="Kouvola",
    sector="logistics",
    need_text="Tarvitsemme oppisopimusopiskelijan varastoon",
    conversation_id="conv-1",
    privacy_notice_version="2026-11-24",
)


def test_a_case_its_events_and_its_notification_are_stored_together(frontdoor: FrontDoor) -> None:
    receipt = frontdoor.cases.create_case(INTAKE)
    assert receipt.reference.startswith(f"FD-{datetime.now(timezone.utc).year}-")
    assert receipt.mentor_name == "Marja Oppila" and receipt.partner_name == "Kymen ammattiopisto (demo)"
    with frontdoor.sessions.begin() as session:
        case = session.execute(select(Case)).scalar_one()
        assert (case.partner, case.mentor, case.area, case.status) == ("kymi-ammattiopisto", "ao-marja", "kouvola", "assigned")
        assert case.consent and case.consent_at is not None and case.privacy_notice_version == "2026-11-24"
        assert [e.kind for e in case.events] == ["created", "assigned", "path_drafted"]
        assert "mentor ao-marja" in case.events[1].detail["reason"]
        # The competence path drafted for the mentor, stored with the case, as the receipt gave it.
        steps = case.events[2].detail["steps"]
        assert steps == [step.as_json() for step in receipt.path] and len(steps) >= 2
        assert all(step["link"]["fi"].startswith("https://") and step["partner_name"] for step in steps)
        outbox = session.execute(select(OutboxMessage)).scalars().all()
        # ao-marja has an email and a Telegram channel in the demo network
        assert sorted((m.channel, m.status, m.recipient) for m in outbox) == [
            ("email", "pending", "ao-marja"),
            ("telegram", "pending", "ao-marja"),
        ]
        assert len({m.idempotency_key for m in outbox}) == 2


def test_a_case_keeps_the_path_the_customer_was_shown(frontdoor: FrontDoor) -> None:
    # Shown when the need was named, before the municipality was known; the case may not draft another behind it.
    shown = ("ao-trukkikortti", "amk-avoin-logistiikka", "no-longer-offered")
    fresh = [step.id for step in frontdoor.cases.create_case(replace(INTAKE, email="a@example.org", phone=None)).path]
    receipt = frontdoor.cases.create_case(replace(INTAKE, email="b@example.org", phone=None, path_shown=shown))
    assert [step.id for step in receipt.path] == list(shown[:2]) != fresh
    shown_case = frontdoor.cases.show_case(receipt.reference)
    assert shown_case is not None and [step["id"] for step in shown_case["path"]] == list(shown[:2])


def test_a_case_is_made_in_one_transaction_of_few_statements(frontdoor: FrontDoor) -> None:
    """Each statement is a database round trip inside the customer's last turn: the duplicate check,
    the workload, the case and its reference, its events and the notifications, one commit."""
    frontdoor.cases.create_case(replace(INTAKE, email="ensimmainen@example.org", phone=None))
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement.split(maxsplit=1)[0].upper())

    event.listen(frontdoor.engine, "before_cursor_execute", count)
    try:
        frontdoor.cases.create_case(replace(INTAKE, email="toinen@example.org", phone=None))
    finally:
        event.remove(frontdoor.engine, "before_cursor_execute", count)
    # the duplicate check, the mentors' own capacities and away periods (one UNION), the workload
    assert statements.count("SELECT") == 3, statements
    assert len(statements) <= 10, statements  # ... and the holder row the desk reads
    with frontdoor.sessions.begin() as session:
        case = session.execute(select(Case).where(Case.email == "toinen@example.org")).scalar_one()
        assert [e.kind for e in case.events] == ["created", "assigned", "path_drafted"]


def test_references_are_unique_and_sequential(frontdoor: FrontDoor) -> None:
    first = frontdoor.cases.create_case(INTAKE).reference
    second = frontdoor.cases.create_case(replace(INTAKE, email="toinen@example.org", phone=None)).reference
    assert first != second
    assert int(second.rsplit("-", 1)[1]) == int(first.rsplit("-", 1)[1]) + 1


def test_load_spreads_cases_over_mentors(frontdoor: FrontDoor) -> None:
    mentors = [frontdoor.cases.create_case(replace(INTAKE, email=f"asiakas{i}@example.org", phone=None)) for i in range(2)]
    assert {m.mentor_name for m in mentors} == {"Marja Oppila", "Pekka Sopimus"}


def test_without_consent_nothing_is_stored(frontdoor: FrontDoor) -> None:
    with pytest.raises(CaseError):
        frontdoor.cases.create_case(replace(INTAKE, consent=False))
    with frontdoor.sessions.begin() as session:
        assert session.execute(select(func.count()).select_from(Case)).scalar_one() == 0


def test_a_case_needs_a_way_to_contact(frontdoor: FrontDoor) -> None:
    with pytest.raises(CaseError, match="email address or a phone number"):
        frontdoor.cases.create_case(replace(INTAKE, email=None, phone=None))


def test_a_failed_transaction_leaves_nothing_behind(frontdoor: FrontDoor) -> None:
    broken = CaseService(frontdoor.sessions, frontdoor.network, clock=lambda: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(Exception):  # noqa: B017 - any database error
        broken.create_case(INTAKE)
    with frontdoor.sessions.begin() as session:
        for table in (Case, CaseEvent, OutboxMessage):
            assert session.execute(select(func.count()).select_from(table)).scalar_one() == 0


def test_list_and_show(frontdoor: FrontDoor) -> None:
    reference = frontdoor.cases.create_case(INTAKE).reference
    (listed,) = frontdoor.cases.list_cases()
    assert listed["reference"] == reference
    assert "email" not in listed and "contact_name" not in listed
    assert listed["notifications"][0]["status"] == "pending"
    shown = frontdoor.cases.show_case(reference.lower())
    assert shown is not None
    assert shown["email"] == "maija@example.org"
    assert shown["routing_reason"].startswith("need=apprenticeship")
    assert frontdoor.cases.show_case("FD-1999-99999") is None


def test_a_customer_may_learn_only_the_status(frontdoor: FrontDoor) -> None:
    reference = frontdoor.cases.create_case(INTAKE).reference
    assert find_reference(f"missä mennään asiassa {reference.lower()}?") == reference
    assert find_reference("ei tunnusta") is None
    assert frontdoor.cases.status_for(reference, conversation_id="conv-1") == "assigned"
    assert frontdoor.cases.status_for("FD-2000-00001", conversation_id="conv-1") is None


def test_only_the_owner_learns_the_status(frontdoor: FrontDoor) -> None:
    reference = frontdoor.cases.create_case(INTAKE).reference
    status = frontdoor.cases.status_for
    assert status(reference, conversation_id="someone-else") is None
    assert status(reference, conversation_id=None, email="other@example.org") is None
    assert status(reference, conversation_id="someone-else", email=" MAIJA@example.org ") == "assigned"
    assert status(reference, conversation_id=None, email="") is None


def test_the_same_need_again_from_the_same_person_joins_the_first_case(frontdoor: FrontDoor) -> None:
    first = frontdoor.cases.create_case(INTAKE)
    again = frontdoor.cases.create_case(replace(INTAKE, email=None, need_text="Vieläkin tarvitaan", channel="web"))
    assert again.linked and again.reference == first.reference and again.mentor_name == first.mentor_name
    other_need = frontdoor.cases.create_case(replace(INTAKE, need="staff_training"))
    assert not other_need.linked and other_need.reference != first.reference
    shown = frontdoor.cases.show_case(first.reference)
    assert shown is not None
    repeated = [e for e in shown["events"] if e["kind"] == "repeated"]
    assert [e["detail"] for e in repeated] == [{"channel": "web", "need_text": "Vieläkin tarvitaan"}]
    assert len(frontdoor.cases.list_cases()) == 2


def test_a_closed_or_old_case_is_not_joined(settings: Settings) -> None:
    clock = [datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)]
    app = create_frontdoor(settings, clock=lambda: clock[0])
    try:
        first = app.cases.create_case(INTAKE).reference
        clock[0] += timedelta(days=4)
        later = app.cases.create_case(INTAKE).reference
        assert later != first
        app.lifecycle.accept(later, "coordinator")
        app.lifecycle.close(later, "coordinator", outcome="no_need")
        assert app.cases.create_case(INTAKE).reference not in (first, later)
    finally:
        app.engine.dispose()


def test_asking_for_a_person_tells_the_mentor_with_the_conversation(frontdoor: FrontDoor) -> None:
    reference = frontdoor.cases.create_case(INTAKE).reference
    lines = ("Tarvitsemme oppisopimusopiskelijan", "haluan puhua ihmisen kanssa")
    assert frontdoor.cases.request_human(reference, conversation_id="someone-else", transcript=lines) is None
    contact = frontdoor.cases.request_human(reference, conversation_id="conv-1", transcript=lines)
    assert contact is not None and contact.mentor_name == "Marja Oppila" and contact.reference == reference
    shown = frontdoor.cases.show_case(reference)
    assert shown is not None
    asked = [e for e in shown["events"] if e["kind"] == "human_requested"]
    assert [e["detail"] for e in asked] == [{"transcript": list(lines)}]
    told = [(n["kind"], n["recipient"], n["channel"]) for n in shown["notifications"] if n["kind"] == "human_requested"]
    assert told == [("human_requested", "ao-marja", "email"), ("human_requested", "ao-marja", "telegram")]


def test_a_case_made_after_asking_for_a_person_says_so(frontdoor: FrontDoor) -> None:
    reference = frontdoor.cases.create_case(replace(INTAKE, human_requested=True, transcript=("hei", "ihminen kiitos"))).reference
    shown = frontdoor.cases.show_case(reference)
    assert shown is not None
    assert [e["kind"] for e in shown["events"]] == ["created", "assigned", "human_requested", "path_drafted"]
    assert shown["events"][2]["detail"] == {"transcript": ["hei", "ihminen kiitos"]}
