from __future__ import annotations

from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.components import VoikkoTokenizer


def _tokens(text: str) -> list[tuple[str, str]]:
    tokenizer = VoikkoTokenizer(VoikkoTokenizer.get_default_config())
    return [(t.text, t.lemma) for t in tokenizer.tokenize(Message({TEXT: text}), TEXT)]


def test_finnish_tokens_carry_lemma_and_compound_parts() -> None:
    tokens = dict(_tokens("Tarvitsemme työpaikkaohjaajakoulutusta Kouvolassa"))
    assert tokens["Kouvolassa"] == "kouvola"
    assert tokens["työpaikkaohjaajakoulutusta"].split()[0] == "työpaikkaohjaajakoulutus"
    assert {"ohjaaja", "koulutus"} <= set(tokens["työpaikkaohjaajakoulutusta"].split())


def test_english_is_read_as_written_not_as_finnish() -> None:
    # Voikko would read "on" as a form of "olla" and "sure" as "surra".
    tokens = dict(_tokens("Sure, we are working on a new apprenticeship"))
    assert tokens["on"] == "on"
    assert tokens["Sure"] == "sure"
    assert tokens["apprenticeship"] == "apprenticeship"


def test_short_finnish_answers_stay_finnish() -> None:
    assert dict(_tokens("kiitos"))["kiitos"] == "kiitos"
    assert dict(_tokens("Haminaan"))["Haminaan"] == "hamina"


def test_person_and_possessive_are_features_of_finnish_words() -> None:
    tokenizer = VoikkoTokenizer(VoikkoTokenizer.get_default_config())
    message = Message({TEXT: "Etsimme työntekijää yritykseemme"})
    tokens = tokenizer.tokenize(message, TEXT)
    morphology = [t.get("morphology") for t in tokens]
    assert morphology[0] is not None and morphology[0].person == "1" and morphology[0].number == "plural"
    assert morphology[2] is not None and morphology[2].possessive == "1p"
