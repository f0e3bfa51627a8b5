"""Reading a network file: the YAML checked as a whole into a :class:`~bot.network.model.Network`, or every problem at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.network.checking import NetworkChecker
from bot.network.files import FileProblems, parse_yaml
from bot.network.model import Network
from bot.network.municipalities import Municipalities
from bot.network.needs import Taxonomy


class NetworkError(FileProblems):
    """The network file cannot be used."""

    what = "network file"


def parse_network(raw: Any, path: Path, taxonomy: Taxonomy, municipalities: Municipalities) -> Network:
    """Check the raw YAML of a network file and build the model, or raise :class:`NetworkError`."""
    if not isinstance(raw, dict):
        raise NetworkError(path, ["the file must be a mapping with 'network', 'coordinator', 'areas', 'partners' and 'mentors'"])
    check = NetworkChecker(taxonomy, municipalities)
    head, contact_email = check.head(raw.get("network"))
    seen_places: dict[str, str] = {}
    areas = [check.area(a, f"areas[{i}]", seen_places) for i, a in enumerate(check.mapping_list(raw, "areas"))]
    area_ids = {a.id for a in areas}
    partners = [check.partner(p, f"partners[{i}]", area_ids) for i, p in enumerate(check.mapping_list(raw, "partners"))]
    partner_ids = {p.id for p in partners}
    mentors = [check.mentor(m, f"mentors[{i}]", partner_ids) for i, m in enumerate(check.mapping_list(raw, "mentors"))]
    check.staffed(partners, mentors)
    coordinator = check.coordinator(raw.get("coordinator"), partner_ids)
    service = check.service(raw.get("service"))
    roles = check.roles(raw.get("roles"), partner_ids | {m.id for m in mentors} | {coordinator.id})
    compensation = check.compensation(raw.get("compensation"))
    if check.problems:
        raise NetworkError(path, check.problems)
    return Network(
        id=check.text(head, "id", "network"),
        name=check.text(head, "name", "network"),
        partners=tuple(partners),
        mentors=tuple(mentors),
        areas=tuple(areas),
        coordinator=coordinator,
        contact_email=contact_email,
        contact_phone=check.text(head, "contact_phone", "network", required=False) or None,
        service=service,
        roles=roles,
        compensation=compensation,
        _mentor_index={m.id: m for m in mentors},
    )


def load_network(path: Path, taxonomy: Taxonomy, municipalities: Municipalities) -> Network:
    """Read and check a network file; every problem is in the :class:`NetworkError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NetworkError(path, ["file not found: set FRONTDOOR_NETWORK or --network to an existing network file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise NetworkError(path, [f"cannot be read: {exc}"]) from None
    return parse_network(parse_yaml(path, text, NetworkError), path, taxonomy, municipalities)
