"""Asking the customer once whether they got help, on a real SQLite database with a clock moved by hand:
when it is due (working days, or a close that comes first), who is not asked and why, the answer
recorded once, a "no" to the coordinator, "don't ask again" and erasure."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from functools import partial
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.app import FrontDoor, create_frontdoor
from bot.network.loading import NetworkError, load_network
from bot.network.model import Service
from bot.network.municipalities import Municipalities
from bot.network.needs import Taxonomy
from bot.ops.scheduler import start_scheduler
from bot.register.cases import Intake
from bot.register.followups import (
    FOLLOWUP_NOTICE_SINCE,
    TOKEN_DETAIL,
    Answer,
    Answered,
    FollowUps,
    parse_callback,
    working_days_later,
)
from bot.register.models import Case, FollowUp, FollowUpOptOut, OutboxMessage
from bot.register.repositories import CaseRepository
from bot.settings import DEFAULT_NETWORK, PROJECT_ROOT, Settings
from tests.bot.register.test_cases import INTAKE as CASES_INTAKE
from tests.bot.register.test_lifecycle import MONDAY_MORNING, Clock
from tests.waiting import wait

# An employer reachable by email, who consented under the notice that says they may be asked.
INTAKE = replace(
    CASES_INTAKE, phone=None, organization=None, need_text=None, conversation_id=None, privacy_notice_version="2026-12-05"
)
# The coordinator may act on any case (routing spreads the cases among the mentors).
MENTOR = "coordinator"
# Ten working days after Monday 23 November 2026, 10:00 in Helsinki (Independence Day falls on a Sunday).
TEN_WORKING_DAYS_LATER = datetime(2026, 12, 7, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_MORNING)


@pytest.fixture
def app(settings: Settings, clock: Clock) -> Iterator[FrontDoor]:
    frontdoor = create_frontdoor(settings, clock=clock)
    yield frontdoor
    frontdoor.engine.dispose()


def followups(app: FrontDoor) -> FollowUps:
    return FollowUps(app.sessions, app.networks.current, app.clock)


def contacted(app: FrontDoor, intake: Intake = INTAKE) -> str:
    reference = app.cases.create_case(intake).reference
    app.lifecycle.accept(reference, MENTOR)
    app.lifecycle.contacted(reference, MENTOR)
    return reference


def followup_of(app: FrontDoor, reference: str) -> FollowUp:
    with app.sessions() as session:
        case = CaseRepository(session).by_reference(reference)
        assert case is not None
        row = session.execute(select(FollowUp).where(FollowUp.case_id == case.id)).scalar_one()
        session.expunge(row)
        return row


def asked(app: FrontDoor, kind: str = "followup_asked") -> list[OutboxMessage]:
    with app.sessions() as session:
        return list(session.execute(select(OutboxMessage).where(OutboxMessage.kind == kind)).scalars())


def token_of(app: FrontDoor, reference: str) -> str:
    """The token the email's links carry (issued when the customer was asked, kept in the email's outbox row)."""
    with app.sessions() as session:
        case = CaseRepository(session).by_reference(reference)
        assert case is not None
        query = select(OutboxMessage.detail).where(OutboxMessage.case_id == case.id, OutboxMessage.kind == "followup_asked")
        detail = session.execute(query).scalar_one()
    assert detail is not None
    return str(detail[TOKEN_DETAIL])


def kinds(app: FrontDoor, reference: str) -> list[str]:
    shown = app.cases.show_case(reference)
    assert shown is not None
    return [e["kind"] for e in shown["events"]]


def test_working_days_skip_weekends_and_finnish_holidays_and_land_in_working_hours() -> None:
    service = Service()
    # Wednesday 23 December 2026, 10:00: Christmas Eve, Christmas, Boxing Day, New Year and Epiphany are off.
    before_christmas = datetime(2026, 12, 23, 8, 0, tzinfo=timezone.utc)
    assert working_days_later(before_christmas, 10, service) == datetime(2027, 1, 12, 8, 0, tzinfo=timezone.utc)
    # Marked at 22:00 on a Friday: the first working day after it, when the day starts.
    friday_night = datetime(2026, 11, 27, 20, 0, tzinfo=timezone.utc)
    assert working_days_later(friday_night, 1, service) == datetime(2026, 11, 30, 6, 0, tzinfo=timezone.utc)
    assert working_days_later(MONDAY_MORNING, 10, service) == TEN_WORKING_DAYS_LATER


def test_the_customer_is_asked_once_after_the_configured_working_days_even_across_a_restart(
    app: FrontDoor, clock: Clock, settings: Settings
) -> None:
    reference = contacted(app)
    planned = followup_of(app, reference)
    assert (planned.status, planned.due_at.replace(tzinfo=timezone.utc)) == ("planned", TEN_WORKING_DAYS_LATER)
    clock.now = TEN_WORKING_DAYS_LATER - timedelta(minutes=1)
    assert followups(app).send_due() == 0 and asked(app) == []
    clock.now = TEN_WORKING_DAYS_LATER
    assert followups(app).send_due() == 1
    assert followups(app).send_due() == 0
    # A restarted front door on the same database: nothing is due any more.
    again = create_frontdoor(settings, clock=clock)
    try:
        assert followups(again).send_due() == 0
    finally:
        again.engine.dispose()
    [row] = asked(app)
    assert (row.channel, row.address, row.recipient, row.status) == ("email", INTAKE.email, "customer", "pending")
    sent = followup_of(app, reference)
    assert (sent.status, sent.channel) == ("sent", "email")
    assert kinds(app, reference)[-1] == "followup_asked"


# What each privacy notice says of the follow-up: asked once whether they got help, and "don't ask again".
NOTICE_SAYS = {
    "fi": ("kysymme sinulta kerran", "saitko apua", "Älä kysy enää"),
    "en": ("we ask you once", "whether you got help", "Don't ask me again"),
    "sv": ("frågar vi dig en gång", "om du fick hjälp", "Fråga mig inte igen"),
}


def test_consent_is_given_under_notices_that_say_the_customer_may_be_asked() -> None:
    version = Settings().privacy_notice_version
    assert date.fromisoformat(version) >= FOLLOWUP_NOTICE_SINCE
    for language, phrases in NOTICE_SAYS.items():
        notice = (PROJECT_ROOT / "web" / "privacy" / f"{language}.html").read_text(encoding="utf-8")
        assert version in notice, language
        for phrase in phrases:
            assert phrase in notice, (language, phrase)


def test_the_running_front_door_asks_those_due_every_few_minutes(app: FrontDoor, clock: Clock) -> None:
    reference = contacted(app)
    clock.now = TEN_WORKING_DAYS_LATER
    scheduler = start_scheduler(app.lifecycle, every_seconds=3600, followups=followups(app))
    try:
        wait(lambda: asked(app), "the follow-up round")
    finally:
        scheduler.shutdown(wait=False)
    assert followup_of(app, reference).status == "sent"


def test_the_network_file_sets_the_working_days(tmp_path: Path, taxonomy: Taxonomy, municipalities: Municipalities) -> None:
    raw = yaml.safe_load(DEFAULT_NETWORK.read_text(encoding="utf-8"))
    assert load_network(DEFAULT_NETWORK, taxonomy, municipalities).service.followup_working_days == 10
    raw["service"]["followup_working_days"] = 3
    path = tmp_path / "network.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert load_network(path, taxonomy, municipalities).service.followup_working_days == 3
    raw["service"]["followup_working_days"] = "ten"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(NetworkError, match=r"service\.followup_working_days"):
        load_network(path, taxonomy, municipalities)


@pytest.mark.parametrize("outcome", ["served", "referred_outside"])
def test_a_close_that_comes_first_asks_at_the_close(app: FrontDoor, clock: Clock, outcome: str) -> None:
    reference = contacted(app)
    clock.now += timedelta(days=2)
    app.lifecycle.close(reference, MENTOR, outcome=outcome)
    assert followups(app).send_due() == 1
    assert [row.kind for row in asked(app)] == ["followup_asked"]
    # Closed without marking the contact first: asked at the close too.
    other = app.cases.create_case(replace(INTAKE, email="toinen@example.org")).reference
    app.lifecycle.accept(other, MENTOR)
    app.lifecycle.close(other, MENTOR, outcome=outcome)
    assert followups(app).send_due() == 1


@pytest.mark.parametrize("outcome", ["not_reachable", "no_need"])
def test_nobody_is_asked_after_not_reachable_or_no_need(app: FrontDoor, clock: Clock, outcome: str) -> None:
    reference = contacted(app)
    app.lifecycle.close(reference, MENTOR, outcome=outcome)
    assert followup_of(app, reference).status == "cancelled"
    clock.now = TEN_WORKING_DAYS_LATER
    assert followups(app).send_due() == 0 and asked(app) == []


def test_an_outcome_corrected_to_no_need_before_it_is_due_calls_it_off(app: FrontDoor, clock: Clock) -> None:
    reference = contacted(app)
    app.lifecycle.close(reference, MENTOR, outcome="not_offered")
    app.lifecycle.correct_outcome(reference, "coordinator", "no_need")
    assert followup_of(app, reference).status == "cancelled"  # at once, in the correction's transaction
    clock.now = TEN_WORKING_DAYS_LATER
    assert followups(app).send_due() == 0 and asked(app) == []


@pytest.mark.parametrize("outcome", ["not_reachable", "no_need"])
def test_a_close_corrected_to_served_asks_after_all_at_once(app: FrontDoor, clock: Clock, outcome: str) -> None:
    reference = contacted(app)
    app.lifecycle.close(reference, MENTOR, outcome=outcome)
    assert followup_of(app, reference).status == "cancelled"
    clock.now += timedelta(days=1)
    app.lifecycle.correct_outcome(reference, "coordinator", "served")
    revived = followup_of(app, reference)
    assert (revived.status, revived.due_at.replace(tzinfo=timezone.utc)) == ("planned", clock.now)
    assert followups(app).send_due() == 1
    assert followup_of(app, reference).status == "sent" and len(asked(app)) == 1


def test_a_served_close_corrected_to_no_need_calls_the_planned_follow_up_off(app: FrontDoor, clock: Clock) -> None:
    reference = contacted(app)
    app.lifecycle.close(reference, MENTOR, outcome="served")
    assert followup_of(app, reference).status == "planned"
    app.lifecycle.correct_outcome(reference, "coordinator", "no_need")
    assert followup_of(app, reference).status == "cancelled"
    clock.now = TEN_WORKING_DAYS_LATER
    assert followups(app).send_due() == 0 and asked(app) == []


@pytest.mark.parametrize("answer", [None, "yes"])
def test_a_correction_never_touches_a_follow_up_already_sent_or_answered(app: FrontDoor, answer: str | None) -> None:
    reference = contacted(app)
    app.lifecycle.close(reference, MENTOR, outcome="served")
    followups(app).send_due()
    if answer is not None:
        followups(app).answer(token_of(app, reference), answer)
    before = followup_of(app, reference)
    app.lifecycle.correct_outcome(reference, "coordinator", "no_need")
    app.lifecycle.correct_outcome(reference, "coordinator", "served")
    after = followup_of(app, reference)
    assert (after.status, after.answer, after.sent_at) == (before.status, before.answer, before.sent_at)
    assert after.status == ("answered" if answer else "sent") and len(asked(app)) == 1


def test_a_customer_who_cancels_their_case_is_not_asked(app: FrontDoor, clock: Clock) -> None:
    reference = app.cases.create_case(replace(INTAKE, channel="telegram", conversation_id="602")).reference
    app.lifecycle.accept(reference, MENTOR)
    app.lifecycle.contacted(reference, MENTOR)
    assert followup_of(app, reference).status == "planned"
    assert app.lifecycle.cancel_by_customer(reference, "602") is not None
    assert followup_of(app, reference).status == "cancelled"  # at once, not only when it falls due
    clock.now = TEN_WORKING_DAYS_LATER
    assert followups(app).send_due() == 0 and asked(app) == []


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"privacy_notice_version": "2026-11-24"}, "consent"),  # a notice that did not say so
        ({"privacy_notice_version": None}, "consent"),
        ({"privacy_notice_version": "synthetic"}, "consent"),
        ({"email": None, "phone": "+358401234567"}, "no_channel"),  # a phone only
    ],
)
def test_who_is_not_asked_is_recorded_with_the_reason(app: FrontDoor, clock: Clock, changes: dict[str, str], reason: str) -> None:
    reference = contacted(app, replace(INTAKE, **changes))  # type: ignore[arg-type]
    clock.now = TEN_WORKING_DAYS_LATER
    assert followups(app).send_due() == 1
    skipped = followup_of(app, reference)
    assert (skipped.status, skipped.skipped) == ("skipped", reason)
    assert asked(app) == [] and kinds(app, reference)[-1] == "followup_skipped"


def test_a_telegram_customer_is_asked_in_their_chat(app: FrontDoor, clock: Clock) -> None:
    reference = contacted(app, replace(INTAKE, channel="telegram", conversation_id="601"))
    clock.now = TEN_WORKING_DAYS_LATER
    followups(app).send_due()
    [row] = asked(app)
    assert (row.channel, row.address) == ("telegram_customer", "601")
    followup = followup_of(app, reference)
    # Only the chat that was asked can answer.
    assert followups(app).answer_in_chat(followup.id, 999, "yes").result == "unknown"
    assert followups(app).answer_in_chat(followup.id, 601, "partly").result == "recorded"
    assert followups(app).answer_in_chat(followup.id, 601, "no").result == "already"
    assert followup_of(app, reference).answer == "partly"
    assert parse_callback(f"fu:{followup.id}:yes") == (followup.id, "yes")
    assert parse_callback("accept:FD-2026-00001") is None and parse_callback("fu:x:yes") is None


def test_the_answer_is_recorded_once_with_the_words_on_the_follow_up_and_not_in_the_event(app: FrontDoor, clock: Clock) -> None:
    reference = contacted(app)
    clock.now = TEN_WORKING_DAYS_LATER
    followups(app).send_due()
    token = token_of(app, reference)
    assert followups(app).question(token) is not None
    assert followups(app).question("not-a-token") is None
    first = followups(app).answer(token, "yes", "  Pääsin koulutukseen, kiitos!  ")
    second = followups(app).answer(token, "no", "muutin mieleni")
    assert (first.result, first.answer) == ("recorded", "yes")
    assert (second.result, second.answer) == ("already", "yes")
    recorded = followup_of(app, reference)
    assert (recorded.status, recorded.answer, recorded.words) == ("answered", "yes", "Pääsin koulutukseen, kiitos!")
    shown = app.cases.show_case(reference)
    assert shown is not None
    answered = [e for e in shown["events"] if e["kind"] == "followup_answered"]
    assert [(e["actor"], e["detail"]) for e in answered] == [("customer", {"answer": "yes"})]
    assert asked(app, "followup_negative") == []


def test_no_goes_to_the_coordinator(app: FrontDoor, clock: Clock) -> None:
    reference = contacted(app)
    clock.now = TEN_WORKING_DAYS_LATER
    followups(app).send_due()
    assert followups(app).answer(token_of(app, reference), "no", "Kukaan ei soittanut.").result == "recorded"
    [row] = asked(app, "followup_negative")
    assert (row.recipient, row.channel, row.address) == ("coordinator", "email", "koordinaattori@example.org")
    # The words are not copied into the outbox: the notice renders them from the follow-up at delivery.
    assert row.detail is None


def test_dont_ask_again_is_honoured_for_the_next_case(app: FrontDoor, clock: Clock) -> None:
    first = contacted(app)
    clock.now = TEN_WORKING_DAYS_LATER
    followups(app).send_due()
    assert followups(app).answer(token_of(app, first), "stop").answer == "stop"
    assert followup_of(app, first).status == "refused"
    with app.sessions() as session:
        [optout] = session.execute(select(FollowUpOptOut)).scalars().all()
        assert INTAKE.email and INTAKE.email not in optout.address_hash  # a hash, not the address
    # The same customer (any letter case) comes back with another case.
    second = contacted(app, replace(INTAKE, email=str(INTAKE.email).upper(), need="job_search"))
    clock.now += timedelta(days=30)
    assert followups(app).send_due() == 1
    assert followup_of(app, second).skipped == "opted_out"
    assert len(asked(app)) == 1


def test_erasure_removes_the_answers_words_and_the_link_stops_working(app: FrontDoor, clock: Clock) -> None:
    reference = contacted(app)
    clock.now = TEN_WORKING_DAYS_LATER
    followups(app).send_due()
    token = token_of(app, reference)
    followups(app).answer(token, "partly", "Sain vain osan tiedoista; Maija Meikäläinen")
    # Before erasure the customer's export holds what they answered, their own words included.
    (exported,) = [c for c in app.privacy.export(str(INTAKE.email))["cases"] if c["reference"] == reference]
    assert exported["followup"]["answer"] == "partly" and exported["followup"]["words"].startswith("Sain vain osan")
    app.privacy.erase(email=INTAKE.email, actor="coordinator")
    erased = followup_of(app, reference)
    assert (erased.answer, erased.words, erased.token_hash) == ("partly", None, None)
    assert followups(app).question(token) is None
    # A follow-up still waiting is not sent to an erased customer.
    waiting = contacted(app, replace(INTAKE, email="toinen@example.org"))
    app.privacy.erase(email="toinen@example.org", actor="coordinator")
    assert (followup_of(app, waiting).status, followup_of(app, waiting).skipped) == ("skipped", "erased")
    with app.sessions() as session:
        assert session.execute(select(Case.email).where(Case.reference == waiting)).scalar_one() is None


def _at_once(*calls: Callable[[], object]) -> list[object]:
    """Run the calls in threads that start at the same moment (a barrier); what each returned."""
    start = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        start.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_answers_at_the_same_moment_record_one(app: FrontDoor, clock: Clock) -> None:
    """Two presses racing (two tabs, a double click): one answer is recorded, once, on SQLite too."""
    for i in range(5):
        reference = contacted(app, replace(INTAKE, email=f"asiakas{i}@example.org"))
        app.lifecycle.close(reference, MENTOR, outcome="served")  # asked at the close
        assert followups(app).send_due() == 1
        token = token_of(app, reference)
        results = _at_once(
            partial(followups(app).answer, token, Answer.NO, "Kukaan ei soittanut."),
            partial(followups(app).answer, token, Answer.YES, "Sain apua."),
        )
        answered = [r for r in results if isinstance(r, Answered)]
        assert sorted(r.result for r in answered) == ["already", "recorded"], results
        (won,) = [r.answer for r in answered if r.result == "recorded"]
        assert all(r.answer == won for r in answered)  # the one that lost is told what was recorded
        stored = followup_of(app, reference)
        assert (stored.status, stored.answer) == ("answered", won)
        assert stored.words == ("Kukaan ei soittanut." if won == Answer.NO else "Sain apua.")
        assert kinds(app, reference).count("followup_answered") == 1
    negatives = asked(app, "followup_negative")
    with app.sessions() as session:
        said_no = session.execute(select(FollowUp).where(FollowUp.answer == "no")).scalars().all()
    assert sorted(row.case_id for row in negatives) == sorted(f.case_id for f in said_no)


def test_two_rounds_at_the_same_moment_ask_once_and_skip_once(app: FrontDoor, clock: Clock, settings: Settings) -> None:
    """Two web processes' rounds racing: each customer is asked (or recorded as not asked) once."""
    other = create_frontdoor(settings, clock=clock)
    try:
        emailed = contacted(app)
        phoned = contacted(app, replace(INTAKE, email=None, phone="+358401234567"))
        clock.now = TEN_WORKING_DAYS_LATER
        _at_once(followups(app).send_due, followups(other).send_due)
    finally:
        other.engine.dispose()
    assert len(asked(app)) == 1 and followup_of(app, emailed).status == "sent"
    assert kinds(app, emailed).count("followup_asked") == 1
    assert followup_of(app, phoned).skipped == "no_channel" and kinds(app, phoned).count("followup_skipped") == 1
