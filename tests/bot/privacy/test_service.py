"""Erasure, export and the retention purge, on a real SQLite register and Rasa's real tracker store."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.app import FrontDoor, create_frontdoor
from bot.rasa.tracker_store import MaskingTrackerStore
from bot.register.models import Case, OutboxMessage
from bot.settings import PROJECT_ROOT, Settings
from tests.bot.cli_run import run
from tests.bot.register.test_cases import INTAKE

MAIJA = replace(INTAKE, need="staff_training", conversation_id="web-maija", need_text="Soita Maijalle 040 111 2222")
OTHER = replace(
    INTAKE,
    contact_name="Ville Muu",
    organization="Muu Oy",
    email="ville@example.org",
    phone="+358409999999",
    conversation_id="web-ville",
    need_text="Ville tarvitsee oppisopimuksen",
)
MAIJA_DATA = ("Maija", "Meikäläinen", "maija@example.org", "+358401234567", "040 111 2222", "Kuljetus Virtanen")


class Clock:
    """The register's time, moved on by the tests; it starts now, as Rasa's stored conversations do (time.time())."""

    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now


def dump(frontdoor: FrontDoor) -> str:
    """Every row of every table of the register and of Rasa's conversations, as text."""
    texts = []
    for engine in {frontdoor.engine, frontdoor.privacy.conversations.engine}:
        with engine.connect() as connection:
            for table in sa.inspect(engine).get_table_names():
                for row in connection.execute(sa.text(f'SELECT * FROM "{table}"')):
                    texts.append(" ".join(str(v) for v in row))
    raw = "\n".join(texts)
    # JSON columns escape non-ASCII ("Meik\u00e4l\u00e4inen"): read them both ways.
    return raw + "\n" + raw.encode().decode("unicode_escape", errors="ignore")


def converse(settings: Settings, sender: str, *turns: tuple[str, str | None, str | None]) -> None:
    """A conversation stored by Rasa's tracker store: (text, slot, value) per turn."""
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    store = MaskingTrackerStore(domain=domain, host=settings.conversations_url)
    tracker = DialogueStateTracker(sender, domain.slots)
    tracker.update_with_events([ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")], None)
    for text, slot, value in turns:
        tracker.update(UserUttered(text))
        if slot:
            tracker.update(SlotSet(slot, value))
        asyncio.run(store.save(tracker))
    store.engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(settings: Settings, clock: Clock) -> Iterator[FrontDoor]:
    frontdoor = create_frontdoor(settings, clock=clock)
    yield frontdoor
    frontdoor.engine.dispose()


def maija_with_history(app: FrontDoor, settings: Settings) -> str:
    """Maija's case, accepted (her email notification queued), a person asked for, a repeat, and her chat."""
    converse(
        settings,
        "web-maija",
        ("Tarvitsen koulutusta", None, None),
        ("Maija Meikäläinen", "contact_name", "Maija Meikäläinen"),
        ("maija@example.org", "email", "maija@example.org"),
    )
    reference = app.cases.create_case(MAIJA).reference
    app.cases.create_case(replace(MAIJA, need_text="Maija Meikäläinen kysyy uudelleen"))
    app.cases.request_human(reference, conversation_id="web-maija", transcript=("Olen Maija, maija@example.org",))
    with app.sessions.begin() as session:
        mentor = session.execute(sa.select(Case.mentor)).scalar_one()
    app.lifecycle.accept(reference, actor=mentor)
    app.lifecycle.contacted(reference, actor=mentor, note="Soitin Maijalle (Kuljetus Virtanen Oy) numeroon +358401234567")
    app.cases.create_case(OTHER)
    converse(settings, "web-ville", ("Ville Muu", "contact_name", "Ville Muu"))
    return reference


def test_export_gives_everything_kept_about_the_person(app: FrontDoor, settings: Settings) -> None:
    reference = maija_with_history(app, settings)
    result = run("export", "--email", "MAIJA@example.org", "--database-url", settings.database_url)
    assert result.returncode == 0, result.stderr
    exported = json.loads(result.stdout)
    assert [c["reference"] for c in exported["cases"]] == [reference]
    case = exported["cases"][0]
    assert (case["contact_name"], case["email"], case["phone"]) == ("Maija Meikäläinen", "maija@example.org", "+358401234567")
    assert {e["kind"] for e in case["events"]} >= {"created", "repeated", "human_requested", "accepted", "contacted"}
    assert [c["id"] for c in exported["conversations"]] == ["web-maija"]
    # The stored conversation is masked: the export shows it as kept.
    assert exported["conversations"][0]["messages"][0]["text"] == "Tarvitsen koulutusta"
    assert "Ville" not in result.stdout


def test_erasure_leaves_nothing_of_the_person_and_tells_the_mentor(app: FrontDoor, settings: Settings) -> None:
    reference = maija_with_history(app, settings)
    assert all(value in dump(app) for value in ("Maija Meikäläinen", "maija@example.org", "+358401234567"))

    result = run("erase", "--email", "maija@example.org", "--database-url", settings.database_url)
    assert result.returncode == 0, result.stderr
    assert f"erased: 1 case(s) ({reference})" in result.stdout

    everything = dump(app)
    for value in MAIJA_DATA:
        assert value.casefold() not in everything.casefold(), value
    # Someone else's case and conversation are untouched.
    assert "Ville Muu" in everything and "ville@example.org" in everything
    with app.sessions.begin() as session:
        case = session.execute(sa.select(Case).where(Case.reference == reference)).scalar_one()
        assert case.erased_at is not None and case.status == "contacted" and case.need == "staff_training"
        assert [e.kind for e in case.events][-1] == "erased"
        # The mentor's note named her organisation: masked like her name and phone.
        (note,) = [e.detail["note"] for e in case.events if e.kind == "contacted"]
        assert "[organization]" in note and "Virtanen" not in note, note
        told = session.execute(sa.select(OutboxMessage).where(OutboxMessage.kind == "case_erased")).scalars().all()
        assert {m.recipient for m in told} == {case.mentor}
        assert not session.execute(sa.select(OutboxMessage).where(OutboxMessage.recipient == "customer")).scalars().all()
    # The case still counts in the statistics.
    assert len(app.cases.list_cases()) == 2


def test_erasure_from_the_chat_covers_the_cases_made_in_that_conversation(app: FrontDoor, settings: Settings) -> None:
    reference = maija_with_history(app, settings)
    assert app.privacy.cases_of_conversation("web-maija") == [reference]
    erasure = app.privacy.erase(conversation_id="web-maija", actor="customer", via="telegram")
    assert erasure.references == (reference,)
    shown = app.cases.show_case(reference)
    assert shown is not None
    assert [e["detail"] for e in shown["events"] if e["kind"] == "erased"] == [{"reason": "request", "via": "telegram"}]
    assert app.privacy.cases_of_conversation("web-maija") == []
    assert "maija@example.org" not in dump(app)


def test_an_unknown_or_malformed_email_is_answered_clearly(settings: Settings) -> None:
    result = run("erase", "--email", "maija(at)example", "--database-url", settings.database_url)
    assert result.returncode == 2
    assert "not an email address like name@example.fi" in result.stderr
    result = run("erase", "--email", "nobody@example.org", "--database-url", settings.database_url)
    assert result.returncode == 0 and "erased: 0 case(s) (none)" in result.stdout


def test_the_purge_anonymises_cases_closed_longer_than_the_retention_period(
    app: FrontDoor, settings: Settings, clock: Clock
) -> None:
    reference = maija_with_history(app, settings)
    with app.sessions.begin() as session:
        mentor = session.execute(sa.select(Case.mentor).where(Case.reference == reference)).scalar_one()
    app.lifecycle.close(reference, actor=mentor, outcome="served")
    retention = app.network.service.retention_days

    clock.now += timedelta(days=retention - 1)
    assert app.privacy.purge().references == ()
    assert "maija@example.org" in dump(app)

    clock.now += timedelta(days=2)
    purged = app.privacy.purge()
    assert purged.references == (reference,)
    everything = dump(app)
    assert "maija@example.org" not in everything and "Maija Meikäläinen" not in everything
    # Ville's case is open: kept. Both stored conversations are idle past the period: forgotten.
    assert "ville@example.org" in everything
    assert app.privacy.conversations.transcript("web-ville") == []
    assert app.privacy.conversations.transcript("web-maija") == []
    # Nobody is told about routine retention.
    with app.sessions.begin() as session:
        assert not session.execute(sa.select(OutboxMessage).where(OutboxMessage.kind == "case_erased")).scalars().all()
