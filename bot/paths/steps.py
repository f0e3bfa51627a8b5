"""A drafted path's steps: as stored with a case, shown to the customer and sent to the mentor.

Each step carries its offering's titles and links in every language the
offering has; :func:`step_line` shows one in the reader's language, with the
Finnish title and a note where the reader's language has none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.network.model import Network
from bot.paths.offerings import Offering, in_language


@dataclass(frozen=True)
class PathStep:
    """One step of a drafted path, as stored with a case, shown to the customer and sent to the mentor:
    titles and links in every language the offering has."""

    id: str
    partner: str
    partner_name: str
    kind: str
    title: Mapping[str, str]
    link: Mapping[str, str]
    start: str | None = None
    format: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The step as the case's event and the webhook carry it."""
        return {
            "id": self.id,
            "partner": self.partner,
            "partner_name": self.partner_name,
            "kind": self.kind,
            "title": dict(self.title),
            "link": dict(self.link),
            "start": self.start,
            "format": self.format,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> PathStep:
        """A step as :meth:`as_json` wrote it."""
        return cls(
            id=str(raw["id"]),
            partner=str(raw["partner"]),
            partner_name=str(raw.get("partner_name") or raw["partner"]),
            kind=str(raw.get("kind") or ""),
            title={str(k): str(v) for k, v in dict(raw.get("title") or {}).items()},
            link={str(k): str(v) for k, v in dict(raw.get("link") or {}).items()},
            start=str(raw["start"]) if raw.get("start") else None,
            format=str(raw["format"]) if raw.get("format") else None,
        )


def path_step(offering: Offering, network: Network) -> PathStep:
    """One step of ``offering``, named by its partner's name in the network."""
    partner = network.partner(offering.partner)
    return PathStep(
        id=offering.id,
        partner=offering.partner,
        partner_name=partner.name if partner else offering.partner,
        kind=offering.kind,
        title=dict(offering.title),
        link=dict(offering.link),
        start=offering.start,
        format=offering.format,
    )


def step_line(step: PathStep, language: str, words: Mapping[str, str]) -> str:
    """One step as a line: title, organisation, when, link.

    ``words`` are the reader's words "starts", "online" and "finnish_only". The title is the reader's language's;
    where the step has none, the Finnish title followed by the "finnish_only" note ("endast på finska").
    """
    title, link = _title(step, language, words), in_language(step.link, language)
    when = []
    if step.start:
        when.append(f"{words['starts']} {_date(step.start, language)}")
    if step.format == "online":
        when.append(words["online"])
    details = ", ".join([step.partner_name, *when])
    return f"{title} ({details}) {link}"


def _title(step: PathStep, language: str, words: Mapping[str, str]) -> str:
    """The step's title in ``language``, else the Finnish one with the note that it is in Finnish only."""
    if step.title.get(language):
        return step.title[language]
    if step.title.get("fi"):
        return f"{step.title['fi']} – {words['finnish_only']}"
    return in_language(step.title, language)  # a stored step without a Finnish title: whatever it has, no note


def _date(iso: str, language: str) -> str:
    try:
        day = date.fromisoformat(iso)
    except ValueError:
        return iso  # as stored: a step is never lost for its date
    return f"{day:%d %b %Y}" if language == "en" else f"{day.day}.{day.month}.{day.year}"
