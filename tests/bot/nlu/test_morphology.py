from __future__ import annotations

import pytest

from bot.nlu.morphology import FinnishMorphology


@pytest.mark.parametrize(
    ("word", "lemma_string"),
    [
        ("Kouvolassa", "kouvola"),
        ("Haminaan", "hamina"),
        ("oppisopimuspaikkaa", "oppisopimuspaikka oppi sopimus paikka"),
        ("työpaikkaohjaajakoulutusta", "työpaikkaohjaajakoulutus työ paikka ohjaaja koulutus"),
        ("tyopaikkaohjaaja", "työpaikkaohjaaja työ paikka ohjaaja"),
        ("paivakotiin", "päiväkoti päivä koti"),
        ("voisinko", "voida"),
        ("haluamme", "haluta"),
    ],
)
def test_lemmas_with_compound_parts(morphology: FinnishMorphology, word: str, lemma_string: str) -> None:
    assert morphology.analyse(word).lemma_string == lemma_string


@pytest.mark.parametrize("word", ["tarttis", "oon", "olisko", "Excel-koulutusta"])
def test_unknown_words_keep_their_surface_form(morphology: FinnishMorphology, word: str) -> None:
    analysis = morphology.analyse(word)
    assert analysis.lemma == word.lower()
    assert not analysis.known


def test_person_and_number_tell_we_from_i(morphology: FinnishMorphology) -> None:
    we, i = morphology.analyse("etsimme"), morphology.analyse("etsin")
    assert we.lemma == i.lemma == "etsiä"
    assert (we.person, we.number) == ("1", "plural")
    assert (i.person, i.number) == ("1", "singular")
    assert morphology.analyse("itselleni").possessive == "1s"
