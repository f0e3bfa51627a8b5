"""Who may use the desk: the mentors and the coordinator of the network file."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from bot.delivery.notices import mentor_language
from bot.network.model import Mentor, Network


class Role(str, Enum):
    """What a person does on the desk."""

    MENTOR = "mentor"
    COORDINATOR = "coordinator"

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True)
class Person:
    """A person of the network file as the desk sees them."""

    id: str
    name: str
    role: Role
    partner: str | None
    emails: tuple[str, ...]
    language: str

    @property
    def is_coordinator(self) -> bool:
        return self.role is Role.COORDINATOR


def _person(mentor: Mentor, role: Role) -> Person:
    emails = tuple(c.address.strip().lower() for c in mentor.channels if c.kind == "email" and c.address)
    return Person(mentor.id, mentor.name, role, mentor.partner or None, emails, mentor_language(mentor))


def person(network: Network, person_id: str) -> Person | None:
    """The mentor or coordinator with this id, or ``None`` when the network file has nobody by it."""
    if person_id == network.coordinator.id:
        return _person(network.coordinator, Role.COORDINATOR)
    mentor = network.mentor(person_id)
    return _person(mentor, Role.MENTOR) if mentor else None


def person_by_email(network: Network, email: str) -> Person | None:
    """The person whose email channel in the network file is ``email`` (any letter case)."""
    wanted = email.strip().lower()
    for mentor in (network.coordinator, *network.mentors):
        found = person(network, mentor.id)
        if found and wanted in found.emails:
            return found
    return None
