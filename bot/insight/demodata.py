"""Synthetic cases for demos and benchmarks: ``frontdoor demo-data --cases N``.

The mix follows the seed documents (staff competence 23 %, cooperation 23 %,
a place for a learner 22 %, workplace-instructor training and recruitment
recurring; employers contacted mostly in the first area), spread over the last
year, routed by the real routing over the network, and taken through the case
lifecycle with plausible delays: some declined (with a reason) or escalated
on the way, most closed with an outcome (the partners that delivered a served
one), some come in through a partner's own site (``entry_partner``), and the
customers of contacted cases are asked how it went, some of them answering.
Every synthetic case is marked: contact and
organisation "Synteettinen …", email at ``example.invalid``, need text
starting with "[demo]" and ``synthetic: true`` in its ``created``
event. Written with bulk inserts, so 100 000 cases take seconds, not hours.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.network.model import Network
from bot.network.municipalities import Municipalities
from bot.network.needs import Taxonomy
from bot.network.routing import RoutingRequest, Workload, route
from bot.register.cases import reference_for
from bot.register.lifecycle import SYSTEM
from bot.register.models import Case, CaseEvent, FollowUp

logger = logging.getLogger(__name__)

EMPLOYER_NEEDS = {
    "staff_training": 23,
    "cooperation": 23,
    "learning_placement": 22,
    "instructor_training": 10,
    "recruitment": 12,
    "apprenticeship": 7,
    "other": 3,
}
INDIVIDUAL_NEEDS = {"job_search": 40, "competence_path": 32, "apprenticeship": 20, "other": 8}
SECTORS = {"logistics": 18, "ict": 14, "bioeconomy": 14, "technology": 14, "construction": 10, "social_health": 12,
           "hospitality": 6, "commerce": 8, "other": 4}  # fmt: skip
WORDS = {
    "staff_training": "Henkilöstömme tarvitsee koulutusta uusiin järjestelmiin",
    "cooperation": "Haluaisimme tehdä yhteistyötä oppilaitoksen kanssa",
    "learning_placement": "Voisimme tarjota työssäoppimispaikan opiskelijalle",
    "instructor_training": "Työpaikkaohjaajamme tarvitsevat ohjaajakoulutusta",
    "recruitment": "Etsimme uusia työntekijöitä kesäksi",
    "apprenticeship": "Kiinnostaa oppisopimus",
    "competence_path": "Haluaisin vaihtaa alaa ja miettiä opintoja",
    "job_search": "Etsin töitä alueelta",
}
OTHER_WORDS = (
    "Etsimme kumppania kiertotalouden kehityshankkeeseen",
    "Tarvitsisimme tiloja tapahtumaa varten",
    "Kysyisin kansainvälisistä opiskelijavaihdoista",
    "Onko teillä tietoa yrityksen sukupolvenvaihdoksesta",
    "Haluaisin antaa palautetta palvelusta",
)
# What came of a closed case, and how often ("other" needs are mostly not offered).
OUTCOME_WEIGHTS = {"served": 45, "referred_outside": 15, "not_reachable": 10, "no_need": 15, "not_offered": 15}
DECLINE_REASONS = (
    "Emme järjestä tätä koulutusta tällä alueella",
    "Kapasiteetti täynnä tänä keväänä",
    "Ei kuulu meidän palveluihimme, toimiala on meille vieras",
    "Asiakas tarvitsee ruotsinkielistä palvelua",
)
NO_WORDS = (
    "En saanut vastausta kysymykseeni",
    "Koulutus oli jo täynnä, kun pääsin ilmoittautumaan",
    "Tarvitsin apua nopeammin kuin sitä sain",
    "Kukaan ei soittanut takaisin",
)
ANSWERS = {"yes": 60, "partly": 25, "no": 15}
# The customer is asked about 10 working days after the contact, or at a close as served or referred outside.
ASK_AFTER = timedelta(days=14)
CHUNK = 5000


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _hours(rng: random.Random, median: float) -> timedelta:
    return timedelta(hours=rng.lognormvariate(0, 0.8) * median)


class DemoData:
    """Generates synthetic cases into the register."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        networks: Callable[[], Network],
        taxonomy: Taxonomy,
        municipalities: Municipalities,
        clock: Callable[[], datetime],
    ):
        self.sessions = sessions
        self.networks = networks
        self.taxonomy = taxonomy
        self.municipalities = municipalities
        self.clock = clock

    def _place(self, rng: random.Random, network: Network) -> tuple[str, str | None]:
        """(current municipality, former one named or None); areas weighted like the seed's contacts."""
        if rng.random() < 0.04:
            return rng.choice(("Helsinki", "Tampere", "Turku", "Jyväskylä")), None
        area = rng.choices(network.areas, weights=[1 / (i + 1) for i in range(len(network.areas))])[0]
        named = rng.choice(sorted(area.municipalities))
        place = self.municipalities.resolve(named)
        if place is None:
            return named, None
        return place.municipality, place.former

    def generate(self, count: int, seed: int = 42) -> int:
        """Add ``count`` synthetic cases; returns how many were added."""
        rng = random.Random(seed)
        network = self.networks()
        now = self.clock()
        last_assigned: dict[str, datetime] = {}
        with self.sessions.begin() as session:
            next_id = int(session.execute(select(func.coalesce(func.max(Case.id), 0))).scalar_one()) + 1
            first_id = next_id
            for start in range(0, count, CHUNK):
                cases: list[dict[str, Any]] = []
                events: list[dict[str, Any]] = []
                followups: list[dict[str, Any]] = []
                for _ in range(min(CHUNK, count - start)):
                    case, case_events, followup = self._case(rng, network, next_id, now, last_assigned)
                    cases.append(case)
                    events += case_events
                    followups += followup
                    next_id += 1
                session.execute(insert(Case), cases)
                session.execute(insert(CaseEvent), events)
                if followups:
                    session.execute(insert(FollowUp), followups)
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))"))
        logger.info("%s synthetic cases added (ids %s-%s)", count, first_id, next_id - 1)
        return count

    def _request(self, rng: random.Random, network: Network, employer: bool) -> RoutingRequest:
        """What a synthetic customer asks for, from where, in which language."""
        need = _pick(rng, EMPLOYER_NEEDS if employer else INDIVIDUAL_NEEDS)
        sector = _pick(rng, SECTORS) if employer or rng.random() < 0.5 else None
        municipality, former = self._place(rng, network)
        language = "fi" if rng.random() < 0.9 else rng.choice(("en", "sv"))
        return RoutingRequest(need=need, municipality=municipality, place_named=former, sector=sector, language=language)

    def _case(
        self, rng: random.Random, network: Network, case_id: int, now: datetime, last_assigned: dict[str, datetime]
    ) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
        """One synthetic case's row, its events and its follow-up (if any): routed, maybe declined, escalated
        or forwarded, then taken as far as it has got."""
        employer = rng.random() < 0.7
        request = self._request(rng, network, employer)
        created = now - timedelta(seconds=rng.uniform(0, 365 * 86400))
        words = rng.choice(OTHER_WORDS) if request.need == "other" else WORDS[request.need]
        decision = route(network, request, Workload(open_cases={}, last_assigned=last_assigned), created.date())
        last_assigned[decision.mentor] = created
        story = _Story(case_id, created, decision.mentor, decision.partner, decision.area, at=created)
        story.add("created", SYSTEM, {"channel": "web", "synthetic": True})
        story.add("assigned", SYSTEM, story.assigned("assigned", decision.to_coordinator))
        roll = rng.random()
        if roll < 0.05 and len(network.partners) > 1:
            _forward(rng, network, request, story, last_assigned)
        elif roll < 0.09 and story.mentor != network.coordinator.id:
            _hand_on(rng, network, request, story, last_assigned, declined=roll < 0.075)
        if rng.random() < 0.2:
            story.also_delivering = rng.choice(network.partners).id
        if roll < 0.85:
            _progress(rng, story, now, request.need)
        channel = "web" if employer else rng.choice(("telegram", "telegram", "web", "rest"))
        if channel in ("web", "telegram") and rng.random() < 0.3:
            story.entry_partner = rng.choice(network.partners).id
        row = _row(story, request, employer=employer, channel=channel, words=words, reason=decision.reason)
        return row, story.events, _followup(rng, story, now, channel)


@dataclass
class _Story:
    """What happens to one synthetic case: who has it, its status, and its events so far."""

    case_id: int
    created: datetime
    mentor: str
    partner: str | None
    area: str | None
    at: datetime
    status: str = "assigned"
    events: list[dict[str, Any]] = field(default_factory=list)
    outcome: str | None = None
    outcome_at: datetime | None = None
    delivered_by: list[str] = field(default_factory=list)
    entry_partner: str | None = None
    contacted_at: datetime | None = None
    # A second partner that delivers the case with the first, if it is served.
    also_delivering: str | None = None

    def add(self, kind: str, actor: str, detail: dict[str, Any]) -> None:
        """An event at the story's present moment."""
        self.events.append({"case_id": self.case_id, "at": self.at, "kind": kind, "actor": actor, "detail": detail})

    def assigned(self, status: str, to_coordinator: bool) -> dict[str, Any]:
        """An ``assigned`` event's detail, as the lifecycle records it."""
        return {
            "status": status,
            "partner": self.partner,
            "mentor": self.mentor,
            "to_coordinator": to_coordinator,
            "synthetic": True,
        }


def _forward(
    rng: random.Random, network: Network, request: RoutingRequest, story: _Story, last_assigned: dict[str, datetime]
) -> None:
    """Forwarded to another partner (one that serves the need, if there is one), who takes it on."""
    others = [p for p in network.partners if p.id != story.partner and request.need in p.needs] or [
        p for p in network.partners if p.id != story.partner
    ]
    target = rng.choice(others)
    story.at += _hours(rng, 6)
    story.add("forwarded", story.mentor, {"to_partner": target.id})
    again = route(
        network,
        replace(request, exclude=frozenset({story.mentor}), partner=target.id),
        Workload(open_cases={}, last_assigned=last_assigned),
        story.created.date(),
    )
    last_assigned[again.mentor] = story.at
    story.mentor, story.partner, story.area = again.mentor, again.partner, again.area
    story.add("assigned", SYSTEM, story.assigned("forwarded", again.to_coordinator))
    story.status = "forwarded"


def _hand_on(
    rng: random.Random,
    network: Network,
    request: RoutingRequest,
    story: _Story,
    last_assigned: dict[str, datetime],
    *,
    declined: bool,
) -> None:
    """Declined by its mentor (with a reason) or escalated (not accepted in time), and routed to someone else."""
    story.at += _hours(rng, 4 if declined else 10)
    if declined:
        story.add("declined", story.mentor, {"from_mentor": story.mentor, "reason": rng.choice(DECLINE_REASONS)})
    else:
        story.add("escalated", SYSTEM, {"from_mentor": story.mentor})
    status = "declined" if declined else "escalated"
    again = route(
        network,
        replace(request, exclude=frozenset({story.mentor})),
        Workload(open_cases={}, last_assigned=last_assigned),
        story.created.date(),
    )
    last_assigned[again.mentor] = story.at
    story.mentor, story.partner, story.area = again.mentor, again.partner, again.area
    story.add("assigned", SYSTEM, story.assigned(status, again.to_coordinator))
    story.status = status


def _outcome(rng: random.Random, story: _Story, need: str) -> None:
    """What came of a closed case; a served one delivered by the partner that held it (maybe with another)."""
    weights = dict(OUTCOME_WEIGHTS)
    if need == "other":
        weights["not_offered"] *= 6
    if story.contacted_at is None:
        weights["not_reachable"] *= 4
    story.outcome = _pick(rng, weights)
    story.outcome_at = story.at
    delivering = [story.partner, story.also_delivering] if story.outcome == "served" else []
    story.delivered_by = list(dict.fromkeys(p for p in delivering if p))


def _progress(rng: random.Random, story: _Story, now: datetime, need: str) -> None:
    """Accepted, contacted, closed: each with a plausible delay, as far as the case has got by ``now``."""
    for kind, median, chance in (("accepted", 5, 1.0), ("contacted", 20, 0.8), ("closed", 240, 0.85)):
        if rng.random() > chance or story.at + _hours(rng, median) > now:
            break
        story.at += _hours(rng, median)
        detail: dict[str, Any] = {}
        if kind == "contacted":
            story.contacted_at = story.at
        if kind == "closed":
            _outcome(rng, story, need)
            detail = {"outcome": story.outcome, "delivered_by": story.delivered_by}
        story.add(kind, story.mentor, detail)
        story.status = kind


def _followup(rng: random.Random, story: _Story, now: datetime, channel: str) -> list[dict[str, Any]]:
    """The customer asked once, after the contact or at a close as served or referred outside; some answer."""
    due = story.contacted_at + ASK_AFTER if story.contacted_at else None
    if story.outcome in ("served", "referred_outside") and story.outcome_at:
        due = min(due, story.outcome_at) if due else story.outcome_at
    if due is None or story.outcome in ("not_reachable", "no_need"):
        return []
    row: dict[str, Any] = dict.fromkeys(("channel", "sent_at", "answered_at", "answer", "words", "skipped"))
    row.update(case_id=story.case_id, due_at=due, status="planned", token_hash=None)
    if due <= now:
        if rng.random() < 0.1:
            row.update(status="skipped", skipped="no_channel")
        else:
            row.update(status="sent", channel="telegram" if channel == "telegram" else "email", sent_at=due)
            answered = due + _hours(rng, 20)
            if rng.random() < 0.55 and answered <= now:
                answer = _pick(rng, ANSWERS)
                words = rng.choice(NO_WORDS) if answer == "no" and rng.random() < 0.6 else None
                row.update(status="answered", answered_at=answered, answer=answer, words=words)
    return [row]


def _row(story: _Story, request: RoutingRequest, *, employer: bool, channel: str, words: str, reason: str) -> dict[str, Any]:
    """The case's columns: what was asked, where it went, how far it got, and contact details marked synthetic."""
    case_id, created = story.case_id, story.created
    return {
        "id": case_id,
        "reference": reference_for(case_id, created),
        "created_at": created,
        "updated_at": story.at,
        "conversation_id": None,
        "channel": channel,
        "language": request.language,
        "customer_type": "employer" if employer else "individual",
        "need": request.need,
        "need_text": f"[demo] {words}",
        "sector": request.sector,
        "municipality": request.municipality,
        "place_named": request.place_named,
        "area": story.area,
        "partner": story.partner,
        "mentor": story.mentor,
        "status": story.status,
        "routing_reason": reason,
        "assigned_at": created,
        "respond_by": None,
        "consent": True,
        "consent_at": created,
        "privacy_notice_version": "synthetic",
        "contact_name": f"Synteettinen Asiakas {case_id}",
        "organization": f"Synteettinen Oy {case_id}" if employer else None,
        "email": f"synthetic-{case_id}@example.invalid",
        "phone": None,
        "outcome": story.outcome,
        "outcome_at": story.outcome_at,
        "delivered_by": story.delivered_by or None,
        "entry_partner": story.entry_partner,
    }
