"""The network file: partners, the areas they serve, their mentors, a coordinator.

The file is written by people, so loading it checks everything and reports
every problem at once with where it is ("partners[2].needs: unknown need id
'trainig'"), rather than failing on the first or, worse, routing wrongly.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.contact import check_email
from bot.network.municipalities import Municipalities
from bot.network.needs import Taxonomy

logger = logging.getLogger(__name__)

PARTNER_KINDS = ("education_provider", "employment_services", "business_services", "coordination", "other")
CHANNEL_KINDS = ("email", "telegram", "webhook")
LANGUAGES = ("fi", "en", "sv")
# Network upkeep, shared out among partners as in the seeds: who coordinates
# the mentor network, who gathers foresight data, who keeps the web service.
UPKEEP_ROLES = ("mentor_network", "foresight", "web_service")


class LanguageCoded(Protocol):
    """Someone whose client names their language, like a Telegram user."""

    @property
    def language_code(self) -> str | None: ...


def language_of(user: LanguageCoded | None) -> str:
    """The language to answer someone in before they have written: their client's (``en-GB`` → ``en``) if the
    front door speaks it, else Finnish. One function, so both Telegram bots greet the same person alike."""
    code = (user.language_code or "")[:2] if user else ""
    return code if code in LANGUAGES else "fi"


class FileProblems(ValueError):
    """A file written by people cannot be used; ``problems`` names each reason with where it is."""

    what = "file"

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{path}: {len(problems)} problem(s) in the {self.what}:\n{lines}")


def parse_yaml(path: Path, text: str, error: type[FileProblems]) -> Any:
    """A people-written file's YAML, or ``error`` naming the line and column where it breaks."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise error(path, [f"{where}not valid YAML ({getattr(exc, 'problem', None) or exc})"]) from None


class NetworkError(FileProblems):
    """The network file cannot be used."""

    what = "network file"


@dataclass(frozen=True)
class Channel:
    """Where a mentor is told about a case: ``kind`` and its address."""

    kind: str
    address: str | None = None


@dataclass(frozen=True)
class Mentor:
    """A person at a partner who takes cases."""

    id: str
    name: str
    partner: str
    needs: frozenset[str] = frozenset()
    sectors: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset({"fi"})
    capacity: int = 20
    channels: tuple[Channel, ...] = ()
    away: tuple[tuple[date, date], ...] = ()

    def available_on(self, day: date) -> bool:
        """Whether the mentor is at work on ``day`` (not inside an away period)."""
        return not any(start <= day <= end for start, end in self.away)

    def handles(self, need: str, sector: str | None) -> bool:
        """Whether the mentor's own focus (if any) covers this case."""
        if self.needs and need not in self.needs:
            return False
        return not (self.sectors and sector and sector not in self.sectors)


@dataclass(frozen=True)
class Partner:
    """An organisation of the network and what it offers where."""

    id: str
    name: str
    kind: str
    needs: frozenset[str]
    sectors: frozenset[str] = frozenset()
    areas: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset({"fi"})


@dataclass(frozen=True)
class Area:
    """A set of municipalities, or of former municipalities within one."""

    id: str
    name: str
    municipalities: frozenset[str]


@dataclass(frozen=True)
class Service:
    """The network's promise: a case is accepted within so many working hours."""

    response_hours: float = 8.0
    day_starts: time = time(8, 0)
    day_ends: time = time(16, 0)
    timezone: str = "Europe/Helsinki"
    # A second request for the same need from the same person within this
    # many days joins the first case.
    duplicate_days: int = 3
    # Personal data of a case closed this many days ago, and conversations idle
    # that long, are erased by the retention purge.
    retention_days: int = 365


@dataclass(frozen=True)
class Network:
    """The whole network as routing sees it."""

    id: str
    name: str
    partners: tuple[Partner, ...]
    mentors: tuple[Mentor, ...]
    areas: tuple[Area, ...]
    coordinator: Mentor
    contact_email: str
    contact_phone: str | None = None
    service: Service = Service()
    roles: Mapping[str, str] = field(default_factory=dict)
    _mentor_index: Mapping[str, Mentor] = field(default_factory=dict, compare=False, repr=False)

    def mentor(self, mentor_id: str) -> Mentor | None:
        if mentor_id == self.coordinator.id:
            return self.coordinator
        return self._mentor_index.get(mentor_id)

    def partner(self, partner_id: str) -> Partner | None:
        return next((p for p in self.partners if p.id == partner_id), None)

    def mentors_of(self, partner_id: str) -> list[Mentor]:
        return [m for m in self.mentors if m.partner == partner_id]

    def area_of(self, municipality: str | None, named: str | None = None) -> Area | None:
        """The area a place belongs to: a former municipality's own area wins."""
        for name in (named, municipality):
            if not name:
                continue
            for area in self.areas:
                if name in area.municipalities:
                    return area
        return None


class _Checker:
    """Collects problems while reading the raw YAML."""

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
        return Service(
            response_hours=float(hours),
            day_starts=starts,
            day_ends=ends,
            timezone=zone,
            duplicate_days=days,
            retention_days=retention,
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


def parse_network(raw: Any, path: Path, taxonomy: Taxonomy, municipalities: Municipalities) -> Network:
    """Check the raw YAML of a network file and build the model, or raise :class:`NetworkError`."""
    if not isinstance(raw, dict):
        raise NetworkError(path, ["the file must be a mapping with 'network', 'coordinator', 'areas', 'partners' and 'mentors'"])
    check = _Checker(taxonomy, municipalities)
    head = raw.get("network")
    if not isinstance(head, dict):
        check.problem("network", "is missing: give the network's 'id', 'name' and 'contact_email'")
        head = {}
    contact_email = check.text(head, "contact_email", "network")
    if contact_email and not check_email(contact_email).ok:
        check.problem("network.contact_email", f"'{contact_email}' is not a valid email address")

    seen_places: dict[str, str] = {}
    areas = [check.area(a, f"areas[{i}]", seen_places) for i, a in enumerate(check.mapping_list(raw, "areas"))]
    area_ids = {a.id for a in areas}

    partners: list[Partner] = []
    for i, p in enumerate(check.mapping_list(raw, "partners")):
        where = f"partners[{i}]"
        kind = check.text(p, "kind", where)
        if kind and kind not in PARTNER_KINDS:
            check.problem(f"{where}.kind", f"unknown kind '{kind}' (known: {', '.join(PARTNER_KINDS)})")
        needs = check.id_list(p, "needs", where, taxonomy.needs, "need")
        if not needs:
            check.problem(f"{where}.needs", "lists no needs: a partner must offer at least one")
        partners.append(
            Partner(
                id=check.unique_id(p, where),
                name=check.text(p, "name", where),
                kind=kind,
                needs=needs,
                sectors=check.id_list(p, "sectors", where, taxonomy.sectors, "sector"),
                areas=check.id_list(p, "areas", where, area_ids, "area"),
                languages=check.languages(p, where),
            )
        )
    partner_ids = {p.id for p in partners}

    mentors = [check.mentor(m, f"mentors[{i}]", partner_ids) for i, m in enumerate(check.mapping_list(raw, "mentors"))]
    for partner in partners:
        if partner.id and not any(m.partner == partner.id for m in mentors):
            check.problem(f"partner '{partner.id}'", "has no mentors: cases routed to it would reach nobody")

    coordinator_raw = raw.get("coordinator")
    if not isinstance(coordinator_raw, dict):
        check.problem("coordinator", "is missing: every network needs a coordinator who gets the cases nobody else can take")
        coordinator_raw = {"id": "coordinator", "name": "coordinator", "channels": [{"email": "coordinator@example.org"}]}
    coordinator = check.mentor(coordinator_raw, "coordinator", partner_ids, partner_required=False)
    service = check.service(raw.get("service"))
    roles = check.roles(raw.get("roles"), partner_ids | {m.id for m in mentors} | {coordinator.id})

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


def file_stamp(path: Path) -> tuple[int, int]:
    """When a file last changed and its size: what tells a running process to read it again ((0, 0): no file)."""
    try:
        info = path.stat()
    except OSError:
        return (0, 0)
    return (info.st_mtime_ns, info.st_size)


class NetworkSource:
    """The network file as running processes see it: reloaded when it changes, never replaced by a broken one.

    Every caller asks :meth:`current` for the network; it looks at the
    file's modification time (one ``stat``) and reloads on a change. A file
    that does not pass the checks is reported once in the log and the last
    working network stays in use.
    """

    def __init__(self, path: Path, taxonomy: Taxonomy, municipalities: Municipalities) -> None:
        self.path = path
        self._taxonomy = taxonomy
        self._municipalities = municipalities
        self._lock = threading.Lock()
        self._stamp = self._stat()
        self._network = load_network(path, taxonomy, municipalities)
        self._rejected: tuple[int, int] | None = None

    def _stat(self) -> tuple[int, int]:
        return file_stamp(self.path)

    def current(self) -> Network:
        """The newest working network."""
        stamp = self._stat()
        if stamp in (self._stamp, self._rejected):
            return self._network
        with self._lock:
            if stamp not in (self._stamp, self._rejected):
                try:
                    self._load(stamp)
                except NetworkError as exc:
                    self._rejected = stamp
                    logger.error("network file not reloaded, the previous one stays in use: %s", exc)
            return self._network

    def reload(self) -> Network:
        """Load the file now; on problems keep the working network and raise :class:`NetworkError`."""
        with self._lock:
            return self._load(self._stat())

    def _load(self, stamp: tuple[int, int]) -> Network:
        network = load_network(self.path, self._taxonomy, self._municipalities)
        self._network, self._stamp, self._rejected = network, stamp, None
        logger.info(
            "network file reloaded: %s (%d partners, %d mentors)", network.id, len(network.partners), len(network.mentors)
        )
        return network
