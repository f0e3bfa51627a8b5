"""What came of a case: the outcome at close, the partners a served case credits, the coordinator's correction."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import FrontDoor
from bot.register.lifecycle import TransitionError
from tests.bot.register.test_lifecycle import INTAKE, app, clock

__all__ = ["app", "clock"]  # the fixtures this module uses from the lifecycle's tests


def accepted_case(app: FrontDoor) -> tuple[str, str, str]:
    """A case its mentor has accepted: reference, mentor, partner."""
    reference = app.cases.create_case(INTAKE).reference
    shown = shown_case(app, reference)
    app.lifecycle.accept(reference, shown["mentor"])
    return reference, shown["mentor"], shown["partner"]


def shown_case(app: FrontDoor, reference: str) -> dict[str, Any]:
    shown = app.cases.show_case(reference)
    assert shown is not None
    return shown


def test_a_served_case_credits_the_mentors_partner_unless_others_are_named(app: FrontDoor) -> None:
    reference, mentor, partner = accepted_case(app)
    app.lifecycle.close(reference, mentor, outcome="served", via="cli")
    shown = shown_case(app, reference)
    assert (shown["status"], shown["outcome"], shown["delivered_by"]) == ("closed", "served", [partner])
    closed = shown["events"][-1]
    assert (closed["kind"], closed["actor"]) == ("closed", mentor)
    assert closed["detail"] == {"outcome": "served", "delivered_by": [partner], "via": "cli"}


def test_several_partners_may_deliver_and_each_is_credited_once(app: FrontDoor) -> None:
    reference, mentor, partner = accepted_case(app)
    others = [p.id for p in app.network.partners if p.id != partner][:2]
    app.lifecycle.close(reference, mentor, outcome="served", delivered_by=[*others, others[0]])
    assert shown_case(app, reference)["delivered_by"] == others


@pytest.mark.parametrize(
    ("outcome", "delivered_by", "why"),
    [
        ("helped", [], "unknown outcome 'helped'"),
        ("served", ["nobody"], "unknown partner 'nobody'"),
        ("no_need", ["kymi-ammattiopisto"], "only a served case names the partners"),
    ],
)
def test_a_close_that_cannot_be_recorded_is_refused_and_the_case_stays_open(
    app: FrontDoor, outcome: str, delivered_by: list[str], why: str
) -> None:
    reference, mentor, _partner = accepted_case(app)
    with pytest.raises(TransitionError, match=why):
        app.lifecycle.close(reference, mentor, outcome=outcome, delivered_by=delivered_by)
    shown = shown_case(app, reference)
    assert (shown["status"], shown["outcome"]) == ("accepted", None)


def test_the_coordinator_corrects_an_outcome_and_the_correction_is_an_event_of_its_own(app: FrontDoor) -> None:
    reference, mentor, partner = accepted_case(app)
    app.lifecycle.close(reference, mentor, outcome="not_reachable")
    with pytest.raises(TransitionError, match="only the coordinator"):
        app.lifecycle.correct_outcome(reference, mentor, "served")
    app.lifecycle.correct_outcome(reference, "coordinator", "served", note="asiakas soitti itse", via="desk")
    shown = shown_case(app, reference)
    assert (shown["outcome"], shown["delivered_by"]) == ("served", [partner])
    corrected = shown["events"][-1]
    assert (corrected["kind"], corrected["actor"]) == ("outcome_corrected", "coordinator")
    assert corrected["detail"] == {
        "outcome": "served",
        "delivered_by": [partner],
        "from_outcome": "not_reachable",
        "from_delivered_by": None,
        "note": "asiakas soitti itse",
        "via": "desk",
    }
    assert [e["kind"] for e in shown["events"]].count("closed") == 1


def test_only_a_closed_case_has_its_outcome_corrected(app: FrontDoor) -> None:
    reference, _mentor, _partner = accepted_case(app)
    with pytest.raises(TransitionError, match="only a closed case"):
        app.lifecycle.correct_outcome(reference, "coordinator", "no_need")
