"""Checking a network file part by part: every problem is collected with where it is, none stops the others.

The file is written by people, so the checks name each problem the way its
writer finds it ("partners[2].needs: unknown need id 'trainig'") and go on,
so that one run reports them all rather than failing on the first or, worse,
routing wrongly.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.contact import check_email
from bot.language import LANGUAGES
from bot.network.model import (
    CHANNEL_KINDS,
    COMPENSATED_ROLES,
    PARTNER_KINDS,
    SHARE_PERIODS,
    UPKEEP_ROLES,
    Area,
    CaseOutcome,
    Channel,
    Compensation,
    Mentor,
    Partner,
    Service,
)
from bot.network.municipalities import Municipalities
from bot.network.needs import Taxonomy


class NetworkChecker:
    """Collects problems while reading the raw YAML of a network file: each method checks one part and returns it."""

    def __init__(self, taxonomy: Taxonomy, municipalities: Municipalities):
        self.taxonomy = taxonomy
        self.municipalities = municipalities
        self.problems: list[str] = []
        self.ids: dict[str, str] = {}

    def problem(self, where: str, text: str) -> None:
        self.problems.append(f"{where}: {text}")

    def text(self, raw: Mapping[str, Any], key: str, where: str, required: bool = True) -> str:
        value = raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(where, f"'{key}' is missing")
            return ""
        if not isinstance(value, (str, int)):
            self.problem(f"{where}.{key}", f"expected text, got {type(value).__name__}")
            return ""
        return str(value).strip()

    def unique_id(self, raw: Mapping[str, Any], where: str) -> str:
        ident = self.text(raw, "id", where)
        if ident:
            if ident in self.ids:
                self.problem(where, f"duplicate id '{ident}' (already used at {self.ids[ident]})")
            else:
                self.ids[ident] = where
        return ident

    def id_list(
        self, raw: Mapping[str, Any], key: str, where: str, known: Mapping[str, Any] | set[str], what: str
    ) -> frozenset[str]:
        values = raw.get(key) or []
        if not isinstance(values, list):
            self.problem(f"{where}.{key}", f"expected a list of {what} ids")
            return frozenset()
        for value in values:
            if value not in known:
                hint = ", ".join(sorted(known))
                self.problem(f"{where}.{key}", f"unknown {what} id '{value}' (known: {hint})")
        return frozenset(str(v) for v in values)

    def mapping_list(self, raw: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
        values = raw.get(key)
        if values is None:
            self.problem(key, "is missing")
            return []
        if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
            self.problem(key, "expected a list of entries")
            return []
        return values

    def channels(self, raw: Mapping[str, Any], where: str) -> tuple[Channel, ...]:
        result: list[Channel] = []
        values = raw.get("channels") or []
        if not isinstance(values, list):
            self.problem(f"{where}.channels", "expected a list like [{email: name@example.org}]")
            return ()
        for i, entry in enumerate(values):
            here = f"{where}.channels[{i}]"
            if not isinstance(entry, dict) or len(entry) != 1:
                self.problem(here, "expected one 'kind: address', e.g. 'email: name@example.org'")
                continue
            ((kind, address),) = entry.items()
            if kind not in CHANNEL_KINDS:
                self.problem(here, f"unknown channel '{kind}' (known: {', '.join(CHANNEL_KINDS)})")
                continue
            if kind == "email" and not check_email(str(address or "")).ok:
                self.problem(here, f"'{address}' is not a valid email address")
                continue
            if kind == "webhook" and not str(address or "").startswith(("http://", "https://")):
                self.problem(here, f"webhook address '{address}' must start with http:// or https://")
                continue
            result.append(Channel(kind=kind, address=None if address is None else str(address)))
        return tuple(result)

    def away(self, raw: Mapping[str, Any], where: str) -> tuple[tuple[date, date], ...]:
        values = raw.get("away") or []
        example = "e.g. 'away: [{from: 2026-12-21, to: 2027-01-06}]'"
        if not isinstance(values, list):
            self.problem(f"{where}.away", f"expected a list of periods, {example}")
            return ()
        periods: list[tuple[date, date]] = []
        for i, entry in enumerate(values):
            here = f"{where}.away[{i}]"
            start = entry.get("from") if isinstance(entry, dict) else None
            end = entry.get("to") if isinstance(entry, dict) else None
            if not isinstance(start, date) or not isinstance(end, date):
                self.problem(here, f"expected dates 'from' and 'to' as YYYY-MM-DD, {example}")
            elif end < start:
                self.problem(here, f"ends ({end}) before it starts ({start})")
            else:
                periods.append((start, end))
        return tuple(periods)

    def service(self, raw: Any) -> Service:
        if raw is None:
            return Service()
        if not isinstance(raw, dict):
            self.problem("service", "expected 'response_hours', 'working_hours' and 'timezone'")
            return Service()
        hours = raw.get("response_hours", 8)
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or hours <= 0:
            self.problem("service.response_hours", f"must be a positive number of working hours, got {hours!r}")
            hours = 8
        starts, ends = time(8, 0), time(16, 0)
        span = str(raw.get("working_hours", "08:00-16:00"))
        try:
            first, last = (time.fromisoformat(part.strip()) for part in span.split("-"))
            if first >= last:
                raise ValueError
            starts, ends = first, last
        except ValueError:
            self.problem("service.working_hours", f"expected a span like '08:00-16:00', got {span!r}")
        zone = str(raw.get("timezone", "Europe/Helsinki"))
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            self.problem("service.timezone", f"unknown time zone {zone!r} (e.g. Europe/Helsinki)")
            zone = "Europe/Helsinki"
        days = raw.get("duplicate_days", 3)
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            self.problem("service.duplicate_days", f"must be a whole number of days (0 turns linking off), got {days!r}")
            days = 3
        retention = raw.get("retention_days", 365)
        if isinstance(retention, bool) or not isinstance(retention, int) or retention < 1:
            self.problem("service.retention_days", f"must be a whole number of days, at least 1, got {retention!r}")
            retention = 365
        followup = raw.get("followup_working_days", 10)
        if isinstance(followup, bool) or not isinstance(followup, int) or not 1 <= followup <= 365:
            self.problem("service.followup_working_days", f"must be a whole number of working days, 1 to 365, got {followup!r}")
            followup = 10
        return Service(
            response_hours=float(hours),
            day_starts=starts,
            day_ends=ends,
            timezone=zone,
            duplicate_days=days,
            retention_days=retention,
            followup_working_days=followup,
        )

    def roles(self, raw: Any, holders: set[str]) -> dict[str, str]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.problem("roles", f"expected a mapping of role to partner or mentor id (roles: {', '.join(UPKEEP_ROLES)})")
            return {}
        result: dict[str, str] = {}
        for role, holder in raw.items():
            if role not in UPKEEP_ROLES:
                self.problem(f"roles.{role}", f"unknown role (known: {', '.join(UPKEEP_ROLES)})")
            elif str(holder) not in holders:
                self.problem(f"roles.{role}", f"'{holder}' is neither a partner nor a mentor of this network")
            else:
                result[str(role)] = str(holder)
        return result

    def languages(self, raw: Mapping[str, Any], where: str) -> frozenset[str]:
        langs = self.id_list(raw, "languages", where, set(LANGUAGES), "language")
        return langs or frozenset({"fi"})

    def mentor(self, raw: Mapping[str, Any], where: str, partners: set[str], partner_required: bool = True) -> Mentor:
        ident = self.unique_id(raw, where)
        partner = self.text(raw, "partner", where, required=partner_required)
        if partner_required and not partner:
            self.problems[-1] = f"{where}: mentor '{ident}' has no partner ('partner' is missing)"
        elif partner and partner not in partners:
            self.problem(f"{where}.partner", f"unknown partner '{partner}'")
        capacity = raw.get("capacity", 20)
        if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1:
            self.problem(f"{where}.capacity", f"must be a whole number of open cases of at least 1, got {capacity!r}")
            capacity = 1
        channels = self.channels(raw, where)
        if not raw.get("channels"):
            self.problem(where, "has no channels: add at least one, e.g. 'channels: [{email: name@example.org}]'")
        return Mentor(
            id=ident,
            name=self.text(raw, "name", where),
            partner=partner,
            needs=self.id_list(raw, "needs", where, self.taxonomy.needs, "need"),
            sectors=self.id_list(raw, "sectors", where, self.taxonomy.sectors, "sector"),
            languages=self.languages(raw, where),
            capacity=capacity,
            channels=channels,
            away=self.away(raw, where),
        )

    def area(self, raw: Mapping[str, Any], where: str, seen: dict[str, str]) -> Area:
        ident = self.unique_id(raw, where)
        names = raw.get("municipalities") or []
        if not isinstance(names, list) or not names:
            self.problem(f"{where}.municipalities", "expected a non-empty list of municipality names")
            names = []
        for name in names:
            if self.municipalities.canonical(str(name)) is None:
                self.problem(f"{where}.municipalities", f"unknown municipality '{name}'")
            elif name in seen:
                self.problem(f"{where}.municipalities", f"'{name}' is already in area '{seen[name]}'")
            else:
                seen[name] = ident
        return Area(
            id=ident, name=self.text(raw, "name", where, required=False) or ident, municipalities=frozenset(map(str, names))
        )

    def head(self, raw: Any) -> tuple[Mapping[str, Any], str]:
        """The ``network`` section (empty if missing) and its contact email."""
        if not isinstance(raw, dict):
            self.problem("network", "is missing: give the network's 'id', 'name' and 'contact_email'")
            raw = {}
        contact_email = self.text(raw, "contact_email", "network")
        if contact_email and not check_email(contact_email).ok:
            self.problem("network.contact_email", f"'{contact_email}' is not a valid email address")
        return raw, contact_email

    def partner(self, raw: Mapping[str, Any], where: str, areas: set[str]) -> Partner:
        kind = self.text(raw, "kind", where)
        if kind and kind not in PARTNER_KINDS:
            self.problem(f"{where}.kind", f"unknown kind '{kind}' (known: {', '.join(PARTNER_KINDS)})")
        needs = self.id_list(raw, "needs", where, self.taxonomy.needs, "need")
        if not needs:
            self.problem(f"{where}.needs", "lists no needs: a partner must offer at least one")
        return Partner(
            id=self.unique_id(raw, where),
            name=self.text(raw, "name", where),
            kind=kind,
            needs=needs,
            sectors=self.id_list(raw, "sectors", where, self.taxonomy.sectors, "sector"),
            areas=self.id_list(raw, "areas", where, areas, "area"),
            languages=self.languages(raw, where),
            sites=self.sites(raw, where),
        )

    def sites(self, raw: Mapping[str, Any], where: str) -> frozenset[str]:
        """The partner's own web origins: scheme and host (and port), nothing more."""
        value = raw.get("sites") or []
        if not isinstance(value, list):
            self.problem(f"{where}.sites", "expected a list of web origins, e.g. [https://www.example.fi]")
            return frozenset()
        origins = set()
        for site in value:
            origin = str(site).strip().rstrip("/").lower()
            scheme, _, rest = origin.partition("://")
            if scheme not in ("http", "https") or not rest or "/" in rest or "?" in rest:
                self.problem(
                    f"{where}.sites", f"'{site}' is not a web origin: give scheme and host only, e.g. https://www.example.fi"
                )
            else:
                origins.add(origin)
        return frozenset(origins)

    def compensation(self, raw: Any) -> Compensation:
        """The ``compensation`` section: points per role (numbers ≥ 0) and the period shares are counted in."""
        if raw is None:
            return Compensation()
        if not isinstance(raw, dict):
            self.problem("compensation", "expected 'points', 'upkeep' and 'period' (see docs/network-file.md)")
            return Compensation()
        points = raw.get("points") or {}
        if not isinstance(points, dict):
            self.problem("compensation.points", f"expected {', '.join(COMPENSATED_ROLES)}")
            points = {}
        for role in points:
            if role not in COMPENSATED_ROLES:
                self.problem(f"compensation.points.{role}", f"unknown role (known: {', '.join(COMPENSATED_ROLES)})")
        delivery = points.get("delivery", {"served": 5})
        if not isinstance(delivery, dict):
            self.problem("compensation.points.delivery", "expected points per outcome, e.g. {served: 5}")
            delivery = {}
        outcomes = [outcome.value for outcome in CaseOutcome]
        # Nothing was delivered when the customer could not be reached or no longer needed it: no points for those.
        unpaid = (CaseOutcome.NOT_REACHABLE.value, CaseOutcome.NO_NEED.value)
        for outcome in delivery:
            if outcome not in outcomes:
                self.problem(f"compensation.points.delivery.{outcome}", f"unknown outcome (known: {', '.join(outcomes)})")
            elif outcome in unpaid:
                self.problem(f"compensation.points.delivery.{outcome}", "nothing is delivered then: give no points for it")
        upkeep = raw.get("upkeep") or {}
        if not isinstance(upkeep, dict):
            self.problem("compensation.upkeep", f"expected points per upkeep role ({', '.join(UPKEEP_ROLES)})")
            upkeep = {}
        for role in upkeep:
            if role not in UPKEEP_ROLES:
                self.problem(f"compensation.upkeep.{role}", f"unknown role (known: {', '.join(UPKEEP_ROLES)})")
        period = str(raw.get("period", "month"))
        if period not in SHARE_PERIODS:
            self.problem("compensation.period", f"unknown period '{period}' (known: {', '.join(SHARE_PERIODS)})")
            period = "month"
        return Compensation(
            first_contact=self.points(points.get("first_contact", 1), "compensation.points.first_contact"),
            mentoring=self.points(points.get("mentoring", 2), "compensation.points.mentoring"),
            delivery={str(k): self.points(v, f"compensation.points.delivery.{k}") for k, v in delivery.items()},
            upkeep={str(k): self.points(v, f"compensation.upkeep.{k}") for k, v in upkeep.items() if k in UPKEEP_ROLES},
            period=period,
        )

    def points(self, value: Any, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            self.problem(where, f"must be a number of points, 0 or more, got {value!r}")
            return 0.0
        return float(value)

    def staffed(self, partners: list[Partner], mentors: list[Mentor]) -> None:
        """Every partner has a mentor: cases routed to one without would reach nobody."""
        for partner in partners:
            if partner.id and not any(m.partner == partner.id for m in mentors):
                self.problem(f"partner '{partner.id}'", "has no mentors: cases routed to it would reach nobody")

    def coordinator(self, raw: Any, partners: set[str]) -> Mentor:
        if not isinstance(raw, dict):
            self.problem("coordinator", "is missing: every network needs a coordinator who gets the cases nobody else can take")
            raw = {"id": "coordinator", "name": "coordinator", "channels": [{"email": "coordinator@example.org"}]}
        return self.mentor(raw, "coordinator", partners, partner_required=False)
