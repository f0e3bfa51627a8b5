from __future__ import annotations

import pytest

from bot.network.municipalities import Municipalities
from bot.network.needs import Taxonomy
from bot.nlu.entities import EntityFinder
from bot.nlu.morphology import FinnishMorphology
from bot.nlu.sectors import SectorMatcher
from bot.register.intake import SKIPPED, IntakeRules


@pytest.fixture(scope="module")
def rules(taxonomy: Taxonomy, municipalities: Municipalities, morphology: FinnishMorphology) -> IntakeRules:
    finder = EntityFinder.load(morphology, municipalities=municipalities)
    return IntakeRules(taxonomy, municipalities, SectorMatcher.load(taxonomy, finder))


def test_nothing_personal_is_asked_before_consent(rules: IntakeRules) -> None:
    assert rules.required_slots({}) == ["customer_type", "consent"]
    assert rules.required_slots({"customer_type": "employer", "consent": False}) == ["customer_type", "consent"]


def test_employers_are_asked_organisation_and_sector(rules: IntakeRules) -> None:
    employer = rules.required_slots({"customer_type": "employer", "consent": True})
    individual = rules.required_slots({"customer_type": "individual", "consent": True})
    assert employer == ["customer_type", "consent", "contact_name", "organization", "email", "phone", "municipality", "sector"]
    assert individual == ["customer_type", "consent", "contact_name", "email", "phone", "municipality"]


def test_email_or_phone_may_be_skipped_but_not_both(rules: IntakeRules) -> None:
    assert rules.check("email", "ohita", {}).slots == {"email": SKIPPED}
    assert rules.check("phone", "ohita", {"email": SKIPPED}).problem == "email_or_phone_required"
    assert rules.check("phone", "ohita", {"email": "a@example.org"}).slots == {"phone": SKIPPED}


def test_invalid_answers_name_the_problem(rules: IntakeRules) -> None:
    assert rules.check("email", "maija at example", {}).problem == "email_invalid"
    assert rules.check("phone", "12", {}).problem == "phone_invalid"
    assert rules.check("municipality", "Atlantis", {}).problem == "municipality_unknown"
    assert rules.check("sector", "zzzz", {}).problem == "sector_unknown"


def test_answers_are_normalised(rules: IntakeRules) -> None:
    assert rules.check("phone", "040 123 4567", {}).slots == {"phone": "+358401234567"}
    assert rules.check("municipality", "Haukiputaalla", {}).slots == {"municipality": "Oulu", "place_named": "Haukipudas"}
    assert rules.check("municipality", "Kouvolassa", {}).slots == {"municipality": "Kouvola", "place_named": None}


@pytest.mark.parametrize(
    ("typed", "sector"),
    [
        ("logistiikka", "logistics"),
        ("varastossa", "logistics"),
        ("trukkikuski", "logistics"),
        ("metsäkoneet", "bioeconomy"),
        ("koodari", "ict"),
        ("lähihoitaja", "social_health"),
        ("ravintola-ala", "hospitality"),
        ("ohita", "other"),
        ("logistikka", "logistics"),
        ("Sosiaali- ja terveysala", "social_health"),
        ("hoitoalalla", "social_health"),
        ("IT-ala", "ict"),
        ("we run a paper mill", "bioeconomy"),
    ],
)
def test_sectors_from_everyday_words(rules: IntakeRules, typed: str, sector: str) -> None:
    assert rules.check("sector", typed, {}).slots == {"sector": sector}


@pytest.mark.parametrize("typed", ["sähköposti", "sähköpostilla", "career services", "portfolio"])
def test_words_that_only_look_like_sectors_are_not_taken(rules: IntakeRules, typed: str) -> None:
    assert rules.check("sector", typed, {}).problem == "sector_unknown"


def test_the_summary_shows_what_was_given(rules: IntakeRules) -> None:
    summary = rules.summary(
        {"need": "apprenticeship", "customer_type": "employer", "contact_name": "Maija", "email": SKIPPED, "sector": "logistics"},
        "fi",
    )
    assert summary["need_name"] == "Oppisopimus"
    assert summary["customer_type_name"] == "työnantaja"
    assert summary["email"] == "ei annettu"
    assert summary["sector_name"] == "Logistiikka ja kuljetus"


def test_slots_become_an_intake(rules: IntakeRules) -> None:
    intake = rules.to_intake(
        {
            "need": "job_search",
            "customer_type": "individual",
            "consent": True,
            "contact_name": "Eino",
            "organization": "ignored for individuals",
            "email": SKIPPED,
            "phone": "+358401234567",
            "municipality": "Kotka",
            "need_text": "x" * 5000,
        },
        channel="socketio",
        conversation_id="abc",
        privacy_notice_version="v1",
    )
    assert intake.channel == "web"
    assert intake.email is None and intake.organization is None
    assert intake.need_text is not None and len(intake.need_text) == 1000


@pytest.mark.parametrize(
    ("answer", "named", "expected"),
    [
        # The NLU gives the current municipality and, beside it, the place as named.
        ("Oulu", "Haukipudas", {"municipality": "Oulu", "place_named": "Haukipudas"}),
        ("Haukipudas", None, {"municipality": "Oulu", "place_named": "Haukipudas"}),
        ("Haukipuads", None, {"municipality": "Oulu", "place_named": "Haukipudas"}),
        ("Oulu", "Oulu", {"municipality": "Oulu", "place_named": None}),
        # A place named in another municipality is not this answer's.
        ("Kouvola", "Haukipudas", {"municipality": "Kouvola", "place_named": None}),
        ("Oulu", "Kuusankoski", {"municipality": "Oulu", "place_named": None}),
    ],
)
def test_the_former_municipality_named_is_kept(
    rules: IntakeRules, answer: str, named: str | None, expected: dict[str, str | None]
) -> None:
    assert rules.check("municipality", answer, {"place_named": named}).slots == expected


def test_the_summary_and_the_case_keep_the_place_named(rules: IntakeRules) -> None:
    slots = {
        "need": "recruitment",
        "customer_type": "employer",
        "consent": True,
        "contact_name": "Maija",
        "organization": "Puu Oy",
        "email": "maija@example.org",
        "phone": SKIPPED,
        "municipality": "Oulu",
        "place_named": "Haukipudas",
        "sector": "bioeconomy",
    }
    assert rules.summary(slots, "fi")["municipality"] == "Oulu (Haukipudas)"
    intake = rules.to_intake(slots, channel="rest", conversation_id="abc", privacy_notice_version="v1")
    assert (intake.municipality, intake.place_named) == ("Oulu", "Haukipudas")
    # The place as named with no former name in it (or one of another municipality) is not kept.
    for named in ("Oulu", "Kuusankoski", None):
        changed = {**slots, "place_named": named}
        assert rules.summary(changed, "fi")["municipality"] == "Oulu"
        assert rules.to_intake(changed, channel="rest", conversation_id="abc", privacy_notice_version="v1").place_named is None


def test_missing_details_follow_the_role(rules: IntakeRules) -> None:
    individual = {
        "customer_type": "individual",
        "consent": True,
        "contact_name": "Eino",
        "email": SKIPPED,
        "phone": "+358401234567",
        "municipality": "Kotka",
    }
    assert rules.missing(individual) == []
    # The same details from an employer lack the organisation and the sector.
    assert rules.missing({**individual, "customer_type": "employer"}) == ["organization", "sector"]
    assert rules.missing({}) == ["customer_type", "consent"]


@pytest.mark.parametrize(
    ("answer", "municipality"),
    [("Fredrikshamn", "Hamina"), ("i Pyttis", "Pyhtää"), ("Lovisas", "Loviisa"), ("Fredrikshamns kommun", "Hamina")],
)
def test_the_municipality_question_takes_swedish_names(rules: IntakeRules, answer: str, municipality: str) -> None:
    assert rules.check("municipality", answer, {}).slots == {"municipality": municipality, "place_named": None}


@pytest.mark.parametrize(
    ("answer", "sector"),
    [
        ("Logistik och transport", "logistics"),
        ("lagret", "logistics"),
        ("vi är ett åkeri", "logistics"),
        ("vården", "social_health"),
        ("sjukvård", "social_health"),
        ("byggbranschen", "construction"),
        ("träindustri", "bioeconomy"),
        ("Turism och restaurang", "hospitality"),
    ],
)
def test_the_sector_question_takes_swedish_words(rules: IntakeRules, answer: str, sector: str) -> None:
    assert rules.check("sector", answer, {}).slots == {"sector": sector}
