"""What the coordinator's pages share: the network's names in the reader's language, and the network's day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.desk.rendering import Desk
from bot.register.lifecycle import today_in


@dataclass(frozen=True)
class Names:
    """Display names by id: mentors (and the coordinator), partners, areas and needs."""

    mentors: dict[str, str]
    partners: dict[str, str]
    areas: dict[str, str]
    needs: dict[str, str]

    def mentor(self, mentor_id: str | None) -> str:
        return self.mentors.get(mentor_id or "", mentor_id or "–")

    def partner(self, partner_id: str | None) -> str:
        return self.partners.get(partner_id or "", partner_id or "–")

    def area(self, area_id: str | None) -> str:
        return self.areas.get(area_id or "", area_id or "–")

    def need(self, need_id: str) -> str:
        return self.needs.get(need_id, need_id)


def names_of(desk: Desk, language: str) -> Names:
    network = desk.frontdoor.network
    people = (network.coordinator, *network.mentors)
    return Names(
        mentors={m.id: m.name for m in people},
        partners={p.id: p.name for p in network.partners},
        areas={a.id: a.name for a in network.areas},
        needs={n.id: n.name(language) for n in desk.frontdoor.taxonomy.needs.values()},
    )


def network_today(desk: Desk) -> date:
    """Today in the network's own time zone (away periods are in local days)."""
    return today_in(desk.frontdoor.clock(), desk.frontdoor.network)
