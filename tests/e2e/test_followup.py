"""The running front door asks a Telegram customer, once, whether they got help, and records the button they press
(the worker's Telegram door answers follow-up buttons itself; every other press goes on to Rasa)."""

from __future__ import annotations

from sqlalchemy import select

from bot.register.followups import FollowUps
from bot.register.models import Case, FollowUp
from tests.e2e.conftest import CUSTOMER_TOKEN, Stack
from tests.e2e.desk import frontdoor_of, make_case
from tests.waiting import wait

CHAT = 7301


def test_a_telegram_customer_is_asked_once_after_a_served_close_and_their_press_is_recorded(stack: Stack) -> None:
    register = frontdoor_of(stack)
    # Recruitment in Kouvola's logistics goes to Tiina, who is told by email only: a case's notifications go out
    # in order, and a mentor's Telegram that is not linked yet would hold the question back for a minute.
    reference = make_case(
        stack, channel="telegram", conversation_id=str(CHAT), email=None, phone="+358401112233",
        privacy_notice_version=register.settings.privacy_notice_version,
        need="recruitment", sector="logistics", municipality="Kouvola",
    )  # fmt: skip
    shown = register.cases.show_case(reference)
    assert shown is not None and shown["mentor"] == "yk-tiina"
    register.lifecycle.accept(reference, shown["mentor"])
    register.lifecycle.contacted(reference, shown["mentor"])
    register.lifecycle.close(reference, shown["mentor"], outcome="served")
    followups = FollowUps(register.sessions, register.networks.current, register.clock)
    # Two rounds (other tests' cases on the shared stack may be due too): this customer is asked once.
    followups.send_due()
    followups.send_due()
    shown = register.cases.show_case(reference)
    assert shown is not None
    assert [n["kind"] for n in shown["notifications"]].count("followup_asked") == 1
    asked = stack.telegram.wait_for(
        lambda: [m for m in stack.telegram.sent_to(CUSTOMER_TOKEN, CHAT) if m.get("reply_markup")],
        timeout=60,
        what="the question",
    )
    buttons = [b["callback_data"] for row in asked[-1]["reply_markup"]["inline_keyboard"] for b in row]
    yes = next(data for data in buttons if data.endswith(":yes"))
    stack.telegram.press(CUSTOMER_TOKEN, CHAT, asked[-1], yes)

    def answered() -> str | None:
        with register.sessions() as session:
            case_id = session.execute(select(Case.id).where(Case.reference == reference)).scalar_one()
            return session.execute(select(FollowUp.answer).where(FollowUp.case_id == case_id)).scalar_one()

    assert wait(answered, "the answer recorded", 60) == "yes"
    shown = register.cases.show_case(reference)
    assert shown is not None
    assert [e["detail"].get("answer") for e in shown["events"] if e["kind"] == "followup_answered"] == ["yes"]
