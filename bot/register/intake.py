"""The intake dialogue's rules: which details to ask, how to check each answer,
and how the collected slots become a case.

Kept apart from Rasa so that the rules can be read and tested on their own; the
form action in ``actions/`` only passes slots in and events out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.contact import check_email, check_name, check_organization, check_phone, clean_text, is_skip
from bot.messages import Catalog
from bot.network.municipalities import Municipalities
from bot.network.needs import OTHER, Taxonomy
from bot.nlu.sectors import SectorMatcher
from bot.register.cases import Intake

# An optional detail the customer chose not to give. Not ``None``: the form
# would ask again for a slot that is ``None``.
SKIPPED = "-"

# The slots that carry a case's fields, in the order they are asked.
CONTACT_FIELDS = ("contact_name", "organization", "email", "phone", "municipality", "sector")
CORRECTABLE = (*CONTACT_FIELDS, "customer_type")

INPUT_CHANNELS = {"rest": "rest", "socketio": "web", "telegram": "telegram", "telegram_bridge": "telegram", "web": "web"}
MAX_NEED_TEXT = 1000


@dataclass(frozen=True)
class FieldResult:
    """The slots to set after checking one answer, or why it was refused."""

    slots: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None


def given(value: Any) -> bool:
    """Whether a slot holds a real value (not empty, not skipped)."""
    return value is not None and value not in (SKIPPED, "")


class IntakeRules:
    """What the intake form asks and accepts."""

    def __init__(
        self, taxonomy: Taxonomy, municipalities: Municipalities, sectors: SectorMatcher, catalog: Catalog | None = None
    ):
        self.taxonomy = taxonomy
        self.municipalities = municipalities
        self.sectors = sectors
        self.catalog = catalog or Catalog.load()

    def required_slots(self, slots: Mapping[str, Any]) -> list[str]:
        """The slots still to fill, in order; stops at consent until it is given."""
        required = ["customer_type", "consent"]
        if slots.get("consent") is not True:
            return required
        required.append("contact_name")
        if slots.get("customer_type") == "employer":
            required.append("organization")
        required += ["email", "phone", "municipality"]
        if slots.get("customer_type") == "employer":
            required.append("sector")
        return required

    def missing(self, slots: Mapping[str, Any]) -> list[str]:
        """The required slots not filled yet (a skipped one is filled)."""
        return [slot for slot in self.required_slots(slots) if slots.get(slot) is None]

    def check(self, slot: str, value: Any, slots: Mapping[str, Any]) -> FieldResult:
        """Check an answer for ``slot``; the problem is a response name suffix."""
        if slot in ("customer_type", "consent"):
            return FieldResult({slot: value})
        text = clean_text(str(value or ""), 2000)
        if slot == "contact_name":
            if is_skip(text):
                return FieldResult(problem="name_invalid")
            checked = check_name(text)
        elif slot == "organization":
            checked = check_organization(text)
        elif slot == "email":
            if is_skip(text):
                return FieldResult({"email": SKIPPED})
            checked = check_email(text)
        elif slot == "phone":
            if is_skip(text):
                if not given(slots.get("email")):
                    return FieldResult(problem="email_or_phone_required")
                return FieldResult({"phone": SKIPPED})
            checked = check_phone(text)
        elif slot == "municipality":
            return self._check_municipality(text, slots.get("place_named"))
        elif slot == "sector":
            return self._check_sector(text)
        else:
            raise KeyError(f"no check for slot '{slot}'")
        if not checked.ok:
            return FieldResult(problem=checked.problem)
        return FieldResult({slot: checked.value})

    def _check_municipality(self, text: str, named: Any) -> FieldResult:
        """The current municipality, and the former municipality or district the customer named.

        The NLU fills ``municipality`` with the current name ("Haukiputaalla" →
        Oulu) and ``place_named`` with the place as named (Haukipudas), so the
        answer may come here as either; the former name is kept when it lies in
        the municipality found.
        """
        place = self.municipalities.resolve(text)
        if place is None:
            return FieldResult(problem="municipality_unknown")
        former = place.former or self.former_place(place.municipality, named)
        return FieldResult({"municipality": place.municipality, "place_named": former})

    def former_place(self, municipality: Any, named: Any) -> str | None:
        """``named`` if it is a former municipality or district of ``municipality`` ("Haukipudas" of Oulu)."""
        if not given(municipality) or not given(named):
            return None
        place = self.municipalities.resolve(str(named))
        if place is None or place.former is None or place.municipality != municipality:
            return None
        return place.former

    def _check_sector(self, text: str) -> FieldResult:
        if is_skip(text):
            return FieldResult({"sector": OTHER})
        sector = self.sectors.match(text)
        if sector is None:
            return FieldResult(problem="sector_unknown")
        return FieldResult({"sector": sector})

    def likely_needs(self, ranked_intents: list[str], limit: int) -> list[str]:
        """The needs among the NLU's ranked intents, most likely first (``other`` left out)."""
        needs = [need.id for intent in ranked_intents if (need := self.taxonomy.need_for_intent(intent)) and need.id != OTHER]
        for need_id in self.taxonomy.needs:  # too few ranked: fill in taxonomy order
            if len(needs) >= limit:
                break
            if need_id not in needs and need_id != OTHER:
                needs.append(need_id)
        return needs[:limit]

    def summary(self, slots: Mapping[str, Any], language: str) -> dict[str, str]:
        """The collected details as text for the confirmation message."""
        missing = self.catalog.word("not_given", language)
        need = self.taxonomy.needs.get(str(slots.get("need") or OTHER)) or self.taxonomy.needs[OTHER]
        sector_id = slots.get("sector")
        sector = self.taxonomy.sectors.get(str(sector_id)) if given(sector_id) else None
        customer_type = str(slots.get("customer_type"))
        customer = self.catalog.word(customer_type, language) if customer_type in ("employer", "individual") else None

        def show(name: str) -> str:
            value = slots.get(name)
            return str(value) if given(value) else missing

        municipality = show("municipality")
        former = self.former_place(slots.get("municipality"), slots.get("place_named"))
        if former:
            municipality = f"{municipality} ({former})"

        return {
            "need_name": need.name(language),
            "customer_type_name": customer or show("customer_type"),
            "contact_name": show("contact_name"),
            "organization": show("organization"),
            "email": show("email"),
            "phone": show("phone"),
            "municipality": municipality,
            "sector_name": sector.name(language) if sector else missing,
        }

    def to_intake(
        self,
        slots: Mapping[str, Any],
        *,
        channel: str | None,
        conversation_id: str,
        privacy_notice_version: str,
        transcript: Sequence[str] = (),
        entry_partner: str | None = None,
    ) -> Intake:
        """The case to create from the confirmed slots."""

        def value(name: str) -> str | None:
            raw = slots.get(name)
            return str(raw) if given(raw) else None

        need = value("need") or OTHER
        need_text = value("need_text")
        return Intake(
            need=need if need in self.taxonomy.needs else OTHER,
            customer_type=value("customer_type") or "individual",
            consent=slots.get("consent") is True,
            channel=INPUT_CHANNELS.get(channel or "rest", "rest"),
            language=value("language") or "fi",
            contact_name=value("contact_name") or "",
            organization=value("organization") if slots.get("customer_type") == "employer" else None,
            email=value("email"),
            phone=value("phone"),
            municipality=value("municipality"),
            place_named=self.former_place(slots.get("municipality"), slots.get("place_named")),
            sector=value("sector"),
            need_text=need_text[:MAX_NEED_TEXT] if need_text else None,
            conversation_id=conversation_id,
            human_requested=slots.get("human_requested") is True,
            transcript=tuple(transcript),
            privacy_notice_version=privacy_notice_version,
            path_shown=tuple(str(i) for i in slots.get("path_shown") or () if isinstance(i, str)),
            entry_partner=entry_partner,
        )
