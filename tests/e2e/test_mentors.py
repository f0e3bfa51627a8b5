"""The running front door (``frontdoor run`` with its delivery worker) tells the mentor at
once and the customer when the mentor accepts; a mentor links Telegram with an invite."""

from __future__ import annotations

import json
import re

import requests
import yaml

from bot.settings import DEFAULT_NETWORK
from tests.e2e.conftest import MENTOR_BOT, MENTOR_TOKEN, Conversation, Stack
from tests.waiting import wait

REFERENCE = re.compile(r"FD-\d{4}-\d{5}")
MARJA_TELEGRAM = 601


def mentor_email(mentor_id: str) -> str:
    raw = yaml.safe_load(DEFAULT_NETWORK.read_text(encoding="utf-8"))
    mentor = next(m for m in [raw["coordinator"], *raw["mentors"]] if m["id"] == mentor_id)
    return next(c["email"] for c in mentor["channels"] if "email" in c)


def test_a_mentor_links_telegram_with_an_invite_link(stack: Stack) -> None:
    result = stack.frontdoor("mentor", "invite", "ao-marja")
    assert result.returncode == 0, result.stderr
    link = result.stdout.strip()
    assert link.startswith(f"https://t.me/{MENTOR_BOT}?start=")
    stack.telegram.type(MENTOR_TOKEN, MARJA_TELEGRAM, f"/start {link.split('start=')[1]}")
    reply = stack.telegram.wait_for(lambda: stack.telegram.sent_to(MENTOR_TOKEN, MARJA_TELEGRAM), what="the link reply")
    assert "Hei Marja Oppila!" in reply[0]["text"]
    refused = stack.frontdoor("mentor", "invite", "coordinator")
    assert refused.returncode == 2 and "no Telegram channel" in refused.stderr


def test_the_mentor_is_told_at_once_and_the_customer_when_the_mentor_accepts(conversation: Conversation, stack: Stack) -> None:
    conversation.say("Tarvitsisimme oppisopimusopiskelijan varastoomme")
    conversation.click("Työnantajana / organisaationa")
    conversation.say("kyllä")
    conversation.say("Maija Meikäläinen")
    conversation.say("Kuljetus Virtanen Oy")
    conversation.say("maija.e2e@example.org")
    conversation.say("040 123 4567")
    summary = conversation.say("Kouvolassa")
    assert "maija.e2e@example.org" in summary
    reference = REFERENCE.search(conversation.click("Kyllä, lähetä"))
    assert reference, conversation.last
    case = json.loads(stack.frontdoor("cases", "show", reference.group(0), "--json").stdout)
    mentor = case["mentor"]

    # The worker inside `frontdoor run` emails the mentor (every mentor has email).
    told = wait(
        lambda: [m for m in stack.mail.inbox.to(mentor_email(mentor)) if reference.group(0) in str(m["Subject"])],
        "the mentor's email",
    )
    body = told[0].get_content()
    assert "Maija Meikäläinen" in body and "maija.e2e@example.org" in body and "Oppisopimus" in body

    accepted = stack.frontdoor("cases", "accept", reference.group(0), "--as", mentor)
    assert accepted.returncode == 0, accepted.stderr
    news = wait(lambda: stack.mail.inbox.to("maija.e2e@example.org"), "the customer's email")
    assert reference.group(0) in str(news[0]["Subject"]) and "on ottanut asiasi" in news[0].get_content()

    def customer_notifications() -> list[tuple[str, str]]:
        shown = json.loads(stack.frontdoor("cases", "show", reference.group(0), "--json").stdout)
        return [(n["channel"], n["status"]) for n in shown["notifications"] if n["recipient"] == "customer"]

    assert wait(lambda: customer_notifications() == [("email", "delivered")], "the customer's notification marked delivered")


def test_a_linked_mentor_asks_the_mentors_bot_for_a_desk_link_that_signs_them_in(stack: Stack) -> None:
    """``/desk`` in the running worker's mentors' bot gives a one-time link to the running web part's desk."""
    result = stack.frontdoor("mentor", "invite", "ao-marja")  # linked again if the first test did: a new link replaces it
    assert result.returncode == 0, result.stderr
    marja = MARJA_TELEGRAM
    before = len(stack.telegram.sent_to(MENTOR_TOKEN, marja))
    stack.telegram.type(MENTOR_TOKEN, marja, f"/start {result.stdout.strip().split('start=')[1]}")
    stack.telegram.wait_for(lambda: len(stack.telegram.sent_to(MENTOR_TOKEN, marja)) > before, what="the link reply")
    stack.telegram.type(MENTOR_TOKEN, marja, "/desk")
    links = stack.telegram.wait_for(
        lambda: [m for m in stack.telegram.sent_to(MENTOR_TOKEN, marja) if "/desk/link/" in m["text"]], what="the desk link"
    )
    url = re.search(r"https?://\S+/desk/link/[\w-]+", links[0]["text"])
    assert url is not None
    web = requests.Session()
    opened = web.get(url.group(0).replace("localhost", "127.0.0.1"), timeout=10)
    assert opened.status_code == 200 and "Kirjaudu" in opened.text
    token = re.search(r'name="csrf" value="([^"]+)"', opened.text)
    assert token is not None
    signed = web.post(opened.url, data={"csrf": token.group(1)}, timeout=10)
    assert signed.status_code == 200 and "Marja Oppila" in signed.text
