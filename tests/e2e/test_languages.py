"""The same conversation in English and in Swedish, and ones that switch language midway."""

from __future__ import annotations

import re

import requests

from tests.e2e.conftest import Conversation, Stack
from tests.e2e.test_mentors import mentor_email
from tests.waiting import wait

REFERENCE = re.compile(r"FD-\d{4}-\d{5}")
FINNISH_MARKERS = ("Kiitos", "Mikä", "Saanko", "Missä", "Tarkistetaan", "Selvä", "asiasi")
# Words of the catalogues' Finnish and English texts that a Swedish answer never has, and Swedish words every one has
# one of (partners', mentors' and offerings' Finnish names are no marker: they are names).
NOT_SWEDISH = (*FINNISH_MARKERS, "sinuun", "yhteyttä", "Kerro", "vain suomeksi", "Thank", "What", "Which", "your", " the ",
               "in Finnish only")  # fmt: skip
SWEDISH_WORDS = {"Tack", "Vad", "Vilken", "Vilket", "Får", "du", "dig", "ditt", "dina", "jag", "Jag", "är", "och", "med",
                 "oss", "inte"}  # fmt: skip


def _english(answer: str) -> None:
    assert answer.strip(), "no answer"
    assert not any(marker in answer for marker in FINNISH_MARKERS), answer


def _swedish(answer: str) -> None:
    assert answer.strip(), "no answer"
    assert not [marker for marker in NOT_SWEDISH if marker in answer], answer
    assert SWEDISH_WORDS & set(re.findall(r"\w+", answer)), answer


def test_an_english_conversation_is_answered_in_english(conversation: Conversation, stack: Stack) -> None:
    answer = conversation.say("Hello, we would need an apprentice for our warehouse in Kotka")
    _english(answer)
    assert "apprentice" in answer.lower() or "Apprenticeship" in answer
    answer = conversation.click(next(t for t in conversation.buttons() if "employer" in t.lower() or "organisation" in t.lower()))
    _english(answer)
    assert "/privacy/en.html" in answer
    for reply in ("yes", "John Smith", "Smith Logistics Ltd", "john@example.org", "skip"):
        _english(conversation.say(reply))
    summary = conversation.last[0]["text"]
    assert "Kotka" in summary and "john@example.org" in summary
    answer = conversation.click(next(t for t in conversation.buttons() if t.lower().startswith("yes")))
    _english(answer)
    reference = REFERENCE.search(answer)
    assert reference
    (case,) = [c for c in stack.cases() if c["reference"] == reference.group(0)]
    assert (case["language"], case["need"], case["municipality"]) == ("en", "apprenticeship", "Kotka")


def test_switching_language_midway(conversation: Conversation) -> None:
    answer = conversation.say("Haluaisin opiskella uuden ammatin, mietin alanvaihtoa")
    assert "Saanko tallentaa" in answer
    assert "Mikä on nimesi" in conversation.say("kyllä")
    answer = conversation.say("Sorry, could we continue in English please?")
    _english(answer)
    answer = conversation.say("Liisa Example")
    _english(answer)
    assert "email" in answer.lower()
    assert "sähköposti" in conversation.say("Voidaanko sittenkin jatkaa suomeksi?").lower()


def test_a_swedish_conversation_is_swedish_from_the_need_to_the_case(conversation: Conversation, stack: Stack) -> None:
    answer = conversation.say("Hej, vi behöver en praktikant till vårt lager i Fredrikshamn")
    _swedish(answer)
    need = "Praktikplats / lärande i arbetet för en studerande"  # the need's Swedish name
    if need in conversation.buttons():  # unsure of the need, the bot asks with the likeliest ones as buttons
        answer = conversation.click(need)
        _swedish(answer)
    assert need in answer, answer
    if "Som arbetsgivare / organisation" in conversation.buttons():
        answer = conversation.click("Som arbetsgivare / organisation")
        _swedish(answer)
    assert "/privacy/sv.html" in answer
    notice = requests.get(f"{stack.web_url}/privacy/sv.html", timeout=30)
    assert notice.status_code == 200 and '<html lang="sv">' in notice.text and "Dataskyddsbeskrivning" in notice.text
    questions = [
        ("Ja, jag ger mitt samtycke", "Vad heter du"),
        ("Anna Andersson", "företag"),
        ("Transport Lindholm Ab", "e-postadress"),
        ("anna at example", "ser inte ut som en e-postadress"),  # re-asked with the reason, in Swedish
        ("anna.andersson@example.org", "telefonnummer"),
        ("12", "känner inte igen telefonnumret"),
    ]
    for reply, expected in questions:
        answer = conversation.click(reply) if reply in conversation.buttons() else conversation.say(reply)
        _swedish(answer)
        assert expected in answer, (reply, answer)
    summary = conversation.say("hoppa över")  # the place and the sector were in the first message
    _swedish(summary)
    assert "Kommun: Hamina" in summary and "Bransch: Logistik och transport" in summary, summary
    assert "anna.andersson@example.org" in summary and "Ärende: Praktikplats" in summary
    answer = conversation.click("Ja, skicka")
    _swedish(answer)
    reference = REFERENCE.search(answer)
    assert reference and "kontaktar dig" in answer, answer
    (case,) = [c for c in stack.cases() if c["reference"] == reference.group(0)]
    assert (case["language"], case["municipality"]) == ("sv", "Hamina")
    assert (case["need"], case["sector"]) == ("learning_placement", "logistics")
    status = conversation.say(f"Hur går det med mitt ärende {reference.group(0)}?")
    _swedish(status)
    assert f"Status för {reference.group(0)}" in status, status

    # The mentor is told that the customer writes Swedish; the customer hears the mentor's acceptance in Swedish.
    told = wait(
        lambda: [m for m in stack.mail.inbox.to(mentor_email(case["mentor"])) if reference.group(0) in str(m["Subject"])],
        "the mentor's email",
    )
    assert re.search(r"^(Kieli|Language|Språk): sv\r?$", told[0].get_content(), re.MULTILINE), told[0].get_content()
    accepted = stack.frontdoor("cases", "accept", reference.group(0), "--as", case["mentor"])
    assert accepted.returncode == 0, accepted.stderr
    news = wait(lambda: stack.mail.inbox.to("anna.andersson@example.org"), "the customer's email")
    _swedish(news[0].get_content())
    assert "har tagit hand om ditt ärende" in news[0].get_content()
    # Done with: the mentors' workload is as the other tests expect it.
    closed = stack.frontdoor("cases", "close", reference.group(0), "--as", case["mentor"], "--outcome", "served")
    assert closed.returncode == 0, closed.stderr


def test_a_swedish_individual_names_the_municipality_in_swedish_and_sees_a_path_in_swedish(
    conversation: Conversation, stack: Stack
) -> None:
    answer = conversation.say("Hej, jag är arbetslös och behöver hjälp med att söka jobb")
    _swedish(answer)
    steps = [line for line in answer.splitlines() if line.startswith("• ")]
    assert len(steps) >= 2, answer
    # Each step by its Swedish title, or by its Finnish one noted as being in Finnish only.
    assert any("endast på finska" not in step for step in steps), steps
    for reply, expected in [("ja", "Vad heter du"), ("Erik Exempel", "e-postadress"), ("erik.exempel@example.org", "telefon")]:
        answer = conversation.say(reply)
        _swedish(answer)
        assert expected in answer, (reply, answer)
    answer = conversation.say("hoppa över")
    _swedish(answer)
    assert "Vilken kommun" in answer, answer
    answer = conversation.say("Uppsala")
    _swedish(answer)
    assert "känner inte igen kommunen" in answer, answer
    summary = conversation.say("Jag bor i Pyttis")
    _swedish(summary)
    assert "Kommun: Pyhtää" in summary, summary
    reference = REFERENCE.search(conversation.click("Ja, skicka"))
    assert reference, conversation.last
    (case,) = [c for c in stack.cases() if c["reference"] == reference.group(0)]
    assert (case["language"], case["municipality"], case["need"]) == ("sv", "Pyhtää", "job_search")
    # Done with: the mentors' workload is as the other tests expect it.
    for change in (["accept"], ["close", "--outcome", "served"]):
        done = stack.frontdoor("cases", change[0], reference.group(0), "--as", case["mentor"], *change[1:])
        assert done.returncode == 0, done.stderr


def test_finnish_then_swedish_then_finnish_each_answer_in_the_language_of_the_moment(conversation: Conversation) -> None:
    answer = conversation.say("Haluaisin opiskella uuden ammatin, mietin alanvaihtoa")
    assert "Saanko tallentaa" in answer
    assert "Mikä on nimesi" in conversation.say("kyllä")
    answer = conversation.say("Kan vi fortsätta på svenska, tack?")
    _swedish(answer)
    assert "Vad heter du" in answer, answer  # the same question again, in Swedish
    answer = conversation.say("Lisa Exempel")
    _swedish(answer)
    assert "e-postadress" in answer
    answer = conversation.say("lisa.exempel@example.org")
    _swedish(answer)
    assert "telefonnummer" in answer
    answer = conversation.say("Voidaanko sittenkin jatkaa suomeksi?")
    assert "puhelinnumero" in answer.lower() and not SWEDISH_WORDS & set(re.findall(r"\w+", answer)), answer
    assert "Missä kunnassa" in conversation.say("ohita")
    summary = conversation.say("Lovisa")  # a Swedish name in a Finnish conversation
    assert "Tarkistetaan" in summary and "Loviisa" in summary, summary
