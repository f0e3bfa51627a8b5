"""Personal data over the running front door: nothing without consent, masked conversations,
erasure from the chat, Telegram's /delete and the coordinator's command, and the run's logs."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from urllib.parse import urlparse

from bot.settings import PROJECT_ROOT
from tests.e2e.conftest import Conversation, Stack
from tests.e2e.telegram_user import TelegramUser
from tests.e2e.test_mentors import mentor_email
from tests.waiting import wait

REFERENCE = re.compile(r"FD-\d{4}-\d{5}")


def dump(stack: Stack) -> str:
    """Every row of every table: the case register and Rasa's stored conversations."""
    cases = Path(stack.database_url.removeprefix("sqlite:///"))
    texts = []
    for path in (cases, cases.with_name(f"{cases.stem}-conversations.db")):
        assert path.exists(), path
        with sqlite3.connect(path) as db:
            for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                texts += [" ".join(map(str, row)) for row in db.execute(f'SELECT * FROM "{table}"')]
    raw = "\n".join(texts)
    # JSON columns escape non-ASCII letters ("Poistettav\u00e4"): search both spellings.
    return raw + "\n" + raw.encode().decode("unicode_escape", errors="ignore")


def logs(stack: Stack) -> str:
    """What this run wrote: ``frontdoor run``'s own output and every part's log file."""
    port = urlparse(stack.rasa_url).port
    files = sorted((PROJECT_ROOT / "var" / "run").glob(f"*-{port}.*"))
    assert any(f.name.startswith("rasa-") for f in files) and any(f.name.startswith("worker-") for f in files), files
    return "\n".join([*stack.output, *(f.read_text(encoding="utf-8", errors="replace") for f in files)])


def conversations(stack: Stack, sender: str) -> list[dict[str, object]]:
    path = Path(stack.database_url.removeprefix("sqlite:///"))
    with sqlite3.connect(path.with_name(f"{path.stem}-conversations.db")) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,)).fetchall()
    return [json.loads(data) for (data,) in rows]


def make_case(conversation: Conversation, name: str, organization: str, email: str, phone: str) -> str:
    conversation.say("Tarvitsisimme oppisopimusopiskelijan varastoomme")
    assert "Saanko tallentaa" in conversation.click("Työnantajana / organisaationa")
    assert "Mikä on nimesi" in conversation.say("kyllä")
    conversation.say(name)
    conversation.say(organization)
    conversation.say(email)
    conversation.say(phone)
    summary = conversation.say("Kouvolassa")
    assert email in summary
    reference = REFERENCE.search(conversation.click("Kyllä, lähetä"))
    assert reference, conversation.last
    return reference.group(0)


def test_erasing_in_the_chat_leaves_nothing_of_the_person_in_the_database_or_the_logs(
    conversation: Conversation, stack: Stack
) -> None:
    person = ("Ilmari Poistettava", "Poistettavan Puutarha Oy", "ilmari.poistettava@example.org", "040 555 1212")
    reference = make_case(conversation, *person)
    (case,) = [c for c in stack.cases() if c["reference"] == reference]
    mentor = mentor_email(str(case["mentor"]))
    # The mentor has it: the worker has handled the person's data, so its log could hold them.
    wait(lambda: [m for m in stack.mail.inbox.to(mentor) if reference in str(m["Subject"])], "the mentor's email", 90)
    assert "ilmari.poistettava@example.org" in dump(stack)

    question = conversation.say("poista tietoni")
    assert reference in question and "Poistoa ei voi perua" in question
    answer = conversation.click("Kyllä, poista tietoni")
    assert "Tietosi on poistettu" in answer and reference in answer
    # The widget is told to forget its copy too.
    assert {"data": {"frontdoor": "erased"}} in [m.get("custom") for m in conversation.last]

    told = wait(
        lambda: [m for m in stack.mail.inbox.to(mentor) if "Asiakkaan tiedot poistettu" in str(m["Subject"])],
        "the mentor to be told of the erasure",
        90,
    )
    assert reference in str(told[0]["Subject"])
    everything, written = dump(stack).casefold(), logs(stack).casefold()
    for value in (*person, "+358405551212", "Ilmari", "Poistettava"):
        assert value.casefold() not in everything, f"{value!r} is still in the database"
        assert value.casefold() not in written, f"{value!r} is in the logs"
    assert conversations(stack, conversation.sender) == []
    shown = json.loads(stack.frontdoor("cases", "show", reference, "--json").stdout)
    assert (shown["contact_name"], shown["email"], shown["phone"], shown["need_text"]) == (None, None, None, None)
    assert shown["need"] == "apprenticeship" and shown["events"][-1]["kind"] == "erased"
    # The conversation starts afresh.
    assert "Kerro omin sanoin" in conversation.say("Hei")


def test_without_consent_nothing_is_stored_and_a_finished_conversation_is_masked(stack: Stack) -> None:
    refusing = Conversation(stack)
    before = len(stack.cases())
    answer = refusing.say(
        "Haluaisin kouluttaa henkilöstöämme trukinkuljettajiksi, olen Outi Ohikulkija, outi@example.org, 040 999 8877, "
        "hetu 131052-308T"
    )
    if "Saanko tallentaa" not in answer:
        # The details make the classifier unsure: the customer picks the need from the buttons offered.
        answer = refusing.click(next(t for t, payload in refusing.buttons().items() if payload.startswith("/need_")))
    if "Asioitko" in answer:
        answer = refusing.click("Työnantajana / organisaationa")
    assert "Saanko tallentaa" in answer
    assert "en tallenna tietojasi" in refusing.click("En anna lupaa")
    assert len(stack.cases()) == before
    stored = json.dumps(conversations(stack, refusing.sender), ensure_ascii=False)
    assert stored, "the conversation is stored (masked)"
    for value in ("Outi", "Ohikulkija", "outi@example.org", "040 999 8877", "131052-308T"):
        assert value not in stored
    assert "[name] [name]" in stored and "[email]" in stored and "[phone]" in stored and "[id-code]" in stored

    finished = Conversation(stack)
    person = ("Kaisa Kokonainen", "Kokonaisen Kuljetus Oy", "kaisa.kokonainen@example.org", "040 321 7654")
    reference = make_case(finished, *person)
    stored = json.dumps(conversations(stack, finished.sender), ensure_ascii=False)
    for value in (*person, "+358403217654", "Kaisa"):
        assert value not in stored
    slots = {e["name"]: e["value"] for e in conversations(stack, finished.sender) if e["event"] == "slot" and e["value"]}
    assert slots["contact_name"] == "[name]" and slots["email"] == "[email]" and slots["phone"] == "[phone]"
    assert slots["case_reference"] == reference
    # The case itself has the details the customer consented to.
    shown = json.loads(stack.frontdoor("cases", "show", reference, "--json").stdout)
    assert (shown["contact_name"], shown["email"], shown["phone"]) == ("Kaisa Kokonainen", person[2], "+358403217654")
    assert shown["privacy_notice_version"] == "2026-12-05" and shown["consent_at"]


def test_telegram_delete_and_the_coordinators_erase_command(stack: Stack) -> None:
    user = TelegramUser(stack, 811)
    done = user.make_case(
        need="Etsin töitä, olen ollut työttömänä vuoden",
        name="Tuomas Telegrampoisto",
        email="tuomas.poisto@example.org",
        phone="ohita",
        place="Kotkassa",
        municipality="Kotka",
    )
    reference = REFERENCE.search(done["text"])
    assert reference
    question = user.say("/delete", "Poistanko tietosi?")
    assert reference.group(0) in question["text"]
    user.press(question, "Kyllä, poista tietoni", "Tietosi on poistettu")
    assert conversations(stack, "811") == []
    assert "tuomas.poisto@example.org" not in dump(stack) and "Telegrampoisto" not in dump(stack)

    # A coordinator erases by email: a person who wrote to the network instead of the bot.
    other = Conversation(stack)
    person = ("Eeva Sähköpostipoisto", "Sähköpostipoiston Oy", "eeva.poisto@example.org", "040 246 8024")
    reference_two = make_case(other, *person)
    exported = stack.frontdoor("export", "--email", "EEVA.poisto@example.org")
    assert exported.returncode == 0, exported.stderr
    data = json.loads(exported.stdout)
    assert [c["reference"] for c in data["cases"]] == [reference_two] and data["cases"][0]["contact_name"] == person[0]
    erased = stack.frontdoor("erase", "--email", "eeva.poisto@example.org")
    assert erased.returncode == 0, erased.stderr
    assert f"erased: 1 case(s) ({reference_two})" in erased.stdout
    everything = dump(stack)
    for value in (*person, "+358402468024"):
        assert value not in everything
    assert conversations(stack, other.sender) == []
