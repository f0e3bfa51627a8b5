"""The offerings catalogue: what the network's partners offer, concretely, for a competence path.

Two sources, one catalogue:

- the **curated file** beside the network file (``networks/<name>.catalogue.yml``,
  or ``FRONTDOOR_CATALOGUE``): offerings written by people (employment and
  business services, apprenticeship and workplace-instructor training, demo
  courses), and the ``sync`` section saying which institutions'
  education offerings ``frontdoor catalogue sync`` fetches from Opintopolku;
- the **synced file** (``var/catalogue/<network id>.json``) that the sync
  writes (:mod:`bot.paths.konfo`). The front door works offline on the last synced
  catalogue; a failed sync never touches it.

Like the network file, the curated file is written by people: loading it
checks everything and names every problem with where it is.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bot.network.model import FileProblems, parse_yaml
from bot.network.municipalities import Municipalities
from bot.network.needs import Taxonomy

logger = logging.getLogger(__name__)

LANGUAGES = ("fi", "en", "sv")
KINDS = (
    "degree_programme",
    "continuing_education",
    "short_course",
    "open_studies",
    "apprenticeship_training",
    "instructor_training",
    "employment_service",
    "business_service",
)
# Where an offering sits on a path: a short first step, a vocational or higher-education
# programme, or a service (no studies).
LEVELS = ("course", "vocational", "higher", "service")
FORMATS = ("online", "on_site", "blended")
_ID = re.compile(r"^[a-z0-9][a-z0-9:._-]*$")
_URL = re.compile(r"^https?://\S+$")


def in_language(values: Mapping[str, str], language: str) -> str:
    """``values`` in ``language``, else English, else Finnish (a title or link in the reader's language)."""
    return values.get(language) or values.get("en") or values.get("fi") or next(iter(values.values()), "")


class CatalogueError(FileProblems):
    """The catalogue file cannot be used."""

    what = "catalogue"


@dataclass(frozen=True)
class Offering:
    """One concrete thing a partner offers: a programme, a course, a service."""

    id: str
    partner: str
    kind: str
    level: str
    title: Mapping[str, str]  # by language; Finnish always
    link: Mapping[str, str]  # by language; Finnish always
    needs: tuple[str, ...]
    sectors: tuple[str, ...] = ()  # none: any sector
    languages: tuple[str, ...] = ("fi",)
    format: str = "on_site"
    municipalities: tuple[str, ...] = ()  # where it is held; none: anywhere (online)
    start: str | None = None  # ISO date of the next start; none: continuous or by agreement
    cost_eur: float | None = None  # 0: free; none: not stated
    summary: Mapping[str, str] = field(default_factory=dict)
    keywords: tuple[str, ...] = ()  # extra words customers use for it (Finnish or English)
    source: str = "curated"  # or "konfo" for an offering synced from Opintopolku

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {key: (list(value) if isinstance(value, tuple) else value) for key, value in data.items()}


@dataclass(frozen=True)
class KonfoPartner:
    """Which institutions' education offerings belong to a partner, and of which education types."""

    partner: str
    organisations: tuple[str, ...]  # Opintopolku organisation oids (1.2.246.562.10.…)
    education_types: tuple[str, ...]  # konfo's koulutustyyppi filter values (amm, amk-opintojakso-avoin, …)


@dataclass(frozen=True)
class SyncPlan:
    """What ``frontdoor catalogue sync`` asks Opintopolku for."""

    partners: tuple[KonfoPartner, ...] = ()
    municipality_codes: tuple[str, ...] = ()  # kunta_286, …: where the network is
    keywords: tuple[str, ...] = ()  # none: everything of the education types there
    limit: int = 200  # toteutukset per partner at most


@dataclass(frozen=True)
class Catalogue:
    """The offerings in use: curated and synced, each id once (curated wins)."""

    offerings: tuple[Offering, ...] = ()
    plan: SyncPlan = SyncPlan()
    synced_at: str | None = None

    def __len__(self) -> int:
        return len(self.offerings)

    def get(self, offering_id: str) -> Offering | None:
        return next((o for o in self.offerings if o.id == offering_id), None)


class _Checker:
    def __init__(self, taxonomy: Taxonomy, municipalities: Municipalities, partners: Iterable[str]):
        self.taxonomy = taxonomy
        self.municipalities = municipalities
        self.partners = set(partners)
        self.problems: list[str] = []

    def problem(self, where: str, text: str) -> None:
        self.problems.append(f"{where}: {text}")

    def words(self, raw: Mapping[str, Any], key: str, where: str, *, required: bool) -> dict[str, str]:
        value = raw.get(key)
        if not value and not required:
            return {}
        if isinstance(value, str):
            value = {"fi": value}
        if not isinstance(value, dict) or not isinstance(value.get("fi"), str) or not value["fi"].strip():
            self.problem(f"{where}.{key}", "expected text in Finnish at least, e.g. {fi: …, en: …}")
            return {}
        unknown = set(value) - set(LANGUAGES)
        if unknown:
            self.problem(f"{where}.{key}", f"unknown language(s) {', '.join(sorted(map(str, unknown)))} (known: fi, en, sv)")
        return {lang: " ".join(str(text).split()) for lang, text in value.items() if lang in LANGUAGES and text}

    def choice(self, raw: Mapping[str, Any], key: str, where: str, known: tuple[str, ...], default: str | None = None) -> str:
        value = raw.get(key, default)
        if value not in known:
            self.problem(f"{where}.{key}", f"expected one of {', '.join(known)}, got {value!r}")
            return known[0]
        return str(value)

    def ids(self, raw: Mapping[str, Any], key: str, where: str, known: Iterable[str], what: str) -> tuple[str, ...]:
        value = raw.get(key) or []
        if not isinstance(value, list):
            self.problem(f"{where}.{key}", f"expected a list of {what} ids")
            return ()
        known = set(known)
        for item in value:
            if item not in known:
                self.problem(f"{where}.{key}", f"unknown {what} id '{item}'")
        return tuple(str(v) for v in value if v in known)

    def offering(self, raw: Any, where: str, seen: set[str]) -> Offering | None:
        if not isinstance(raw, dict):
            self.problem(where, "expected a mapping with id, partner, kind, title, link and needs")
            return None
        ident = str(raw.get("id") or "")
        if not _ID.match(ident):
            self.problem(f"{where}.id", f"expected a lower-case id like 'ao-logistiikka', got {raw.get('id')!r}")
        elif ident in seen:
            self.problem(f"{where}.id", f"'{ident}' is used twice")
        seen.add(ident)
        where = f"{where} ({ident})" if ident else where
        partner = str(raw.get("partner") or "")
        if partner not in self.partners:
            self.problem(f"{where}.partner", f"unknown partner '{partner}' (the network's: {', '.join(sorted(self.partners))})")
        link = self.words(raw, "link", where, required=True)
        for lang, url in link.items():
            if not _URL.match(url):
                self.problem(f"{where}.link", f"'{url}' ({lang}) is not an http(s) address")
        needs = self.ids(raw, "needs", where, self.taxonomy.needs, "need")
        if not needs:
            self.problem(f"{where}.needs", "lists no needs: name the needs it answers, e.g. [competence_path]")
        places = raw.get("municipalities") or []
        if not isinstance(places, list):
            self.problem(f"{where}.municipalities", "expected a list of municipality names")
            places = []
        municipalities = []
        for name in places:
            canonical = self.municipalities.canonical(str(name))
            if canonical is None:
                self.problem(f"{where}.municipalities", f"unknown municipality '{name}'")
            else:
                municipalities.append(canonical)
        start = raw.get("start")
        if isinstance(start, date):
            start = start.isoformat()
        elif start is not None:
            try:
                start = date.fromisoformat(str(start)).isoformat()
            except ValueError:
                self.problem(f"{where}.start", f"expected a date like 2027-03-01, got {start!r}")
                start = None
        cost = raw.get("cost_eur")
        if cost is not None and (isinstance(cost, bool) or not isinstance(cost, (int, float)) or cost < 0):
            self.problem(f"{where}.cost_eur", f"expected euros (0 for free), got {cost!r}")
            cost = None
        languages = raw.get("languages") or ["fi"]
        if not isinstance(languages, list) or not set(languages) <= set(LANGUAGES):
            self.problem(f"{where}.languages", f"expected a list of fi, en, sv, got {languages!r}")
            languages = ["fi"]
        keywords = raw.get("keywords") or []
        if not isinstance(keywords, list):
            self.problem(f"{where}.keywords", "expected a list of words")
            keywords = []
        return Offering(
            id=ident,
            partner=partner,
            kind=self.choice(raw, "kind", where, KINDS),
            level=self.choice(raw, "level", where, LEVELS),
            title=self.words(raw, "title", where, required=True),
            link=link,
            needs=needs,
            sectors=self.ids(raw, "sectors", where, self.taxonomy.sectors, "sector"),
            languages=tuple(str(lang) for lang in languages),
            format=self.choice(raw, "format", where, FORMATS, default="on_site"),
            municipalities=tuple(municipalities),
            start=start,
            cost_eur=float(cost) if cost is not None else None,
            summary=self.words(raw, "summary", where, required=False),
            keywords=tuple(str(k) for k in keywords),
            source=str(raw.get("source") or "curated"),
        )

    def plan(self, raw: Any) -> SyncPlan:
        if raw is None:
            return SyncPlan()
        konfo = raw.get("konfo") if isinstance(raw, dict) else None
        if not isinstance(konfo, dict):
            self.problem("sync", "expected 'konfo:' with 'partners' and 'municipalities'")
            return SyncPlan()
        partners = []
        raw_partners = konfo.get("partners") or {}
        if not isinstance(raw_partners, dict):
            self.problem("sync.konfo.partners", "expected partner id: {organisations: [...], education_types: [...]}")
            raw_partners = {}
        for partner, given in raw_partners.items():
            where = f"sync.konfo.partners.{partner}"
            if partner not in self.partners:
                self.problem(where, f"unknown partner '{partner}'")
            body = given if isinstance(given, dict) else {}
            organisations = [str(o) for o in body.get("organisations") or []]
            if not organisations or not all(o.startswith("1.2.246.562.10.") for o in organisations):
                self.problem(f"{where}.organisations", "expected Opintopolku organisation oids like 1.2.246.562.10.12345678901")
            types = [str(t) for t in body.get("education_types") or []]
            if not types:
                self.problem(f"{where}.education_types", "expected konfo education types, e.g. [amm, amk-opintojakso-avoin]")
            partners.append(KonfoPartner(str(partner), tuple(organisations), tuple(types)))
        codes = [str(c) for c in konfo.get("municipalities") or []]
        if not codes or not all(re.fullmatch(r"kunta_\d{3}", c) for c in codes):
            self.problem("sync.konfo.municipalities", "expected municipality codes like kunta_286 (Kouvola)")
        limit = konfo.get("limit", 200)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            self.problem("sync.konfo.limit", f"expected a whole number of at least 1, got {limit!r}")
            limit = 200
        return SyncPlan(
            partners=tuple(partners),
            municipality_codes=tuple(codes),
            keywords=tuple(str(k) for k in konfo.get("keywords") or []),
            limit=limit,
        )


def parse_catalogue(
    raw: Any, path: Path, taxonomy: Taxonomy, municipalities: Municipalities, partners: Iterable[str]
) -> Catalogue:
    """Check the curated file's YAML and build the catalogue, or raise :class:`CatalogueError`."""
    if not isinstance(raw, dict):
        raise CatalogueError(path, ["the file must be a mapping with 'offerings' (and optionally 'sync')"])
    check = _Checker(taxonomy, municipalities, partners)
    offerings_raw = raw.get("offerings") or []
    if not isinstance(offerings_raw, list):
        check.problem("offerings", "expected a list of offerings")
        offerings_raw = []
    seen: set[str] = set()
    offerings = [check.offering(o, f"offerings[{i}]", seen) for i, o in enumerate(offerings_raw)]
    plan = check.plan(raw.get("sync"))
    if check.problems:
        raise CatalogueError(path, check.problems)
    return Catalogue(offerings=tuple(o for o in offerings if o is not None), plan=plan)


def load_curated(path: Path, taxonomy: Taxonomy, municipalities: Municipalities, partners: Iterable[str]) -> Catalogue:
    """Read and check the curated file; a missing file is an empty catalogue (suggestions are off)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Catalogue()
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(path, [f"cannot be read: {exc}"]) from None
    return parse_catalogue(parse_yaml(path, text, CatalogueError), path, taxonomy, municipalities, partners)


@dataclass(frozen=True)
class OfferingRules:
    """What an offering is checked against: the needs and sectors, municipalities and the network's partners."""

    taxonomy: Taxonomy
    municipalities: Municipalities
    partners: frozenset[str]

    def check(self, raws: Iterable[Any], source: object) -> list[Offering]:
        """The offerings that pass the curated file's checks, each id once; the others are logged and left out.

        A synced file is written by a program, not by people: one bad entry (a changed sector list, a
        hand-edited file) must not keep the good ones, or the front door, from working.
        """
        seen: set[str] = set()
        passed: list[Offering] = []
        rejected: list[str] = []  # the first problem of each offering left out
        for i, raw in enumerate(raws):
            if isinstance(raw, Mapping) and raw.get("partner") not in self.partners:
                continue  # a partner that left the network: its offerings go with it
            check = _Checker(self.taxonomy, self.municipalities, self.partners)
            offering = check.offering(raw, f"offerings[{i}]", seen)
            if offering is None or check.problems:
                rejected.append(check.problems[0] if check.problems else f"offerings[{i}]: not an offering")
            else:
                passed.append(offering)
        if rejected:
            logger.warning("%s: %d offerings fail the checks and are left out (first: %s)", source, len(rejected), rejected[0])
        return passed


def read_synced(path: Path, rules: OfferingRules) -> tuple[list[Offering], str | None]:
    """The last synced offerings that pass ``rules``, and when they were synced; none if never synced.

    A damaged file is logged and ignored: suggestions then come from the curated file only.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        raws, synced_at = data["offerings"], data.get("synced_at")
        if not isinstance(raws, list):
            raise TypeError("offerings is not a list")
    except FileNotFoundError:
        return [], None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.error("synced catalogue %s cannot be read (%s); using the curated offerings only", path, type(exc).__name__)
        return [], None
    return rules.check(raws, path), synced_at if isinstance(synced_at, str) else None


def write_synced(path: Path, offerings: Iterable[Offering], synced_at: str) -> None:
    """Replace the synced file atomically: a reader sees the old file or the new one, never half.

    Readable by all (the front door may run as another user than the sync) and on disk before it
    takes the old file's place.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"synced_at": synced_at, "offerings": [o.to_json() for o in sorted(offerings, key=lambda o: o.id)]}
    descriptor, name = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    temporary = Path(name)
    try:
        with open(descriptor, "w", encoding="utf-8") as handle:
            json.dump(body, handle, ensure_ascii=False, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def combine(curated: Catalogue, synced: Iterable[Offering], synced_at: str | None) -> Catalogue:
    """The curated offerings and the synced ones not curated under the same id."""
    ids = {o.id for o in curated.offerings}
    return Catalogue(
        offerings=curated.offerings + tuple(o for o in synced if o.id not in ids), plan=curated.plan, synced_at=synced_at
    )


def synced_path(folder: Path, network_id: str) -> Path:
    """Where the synced catalogue of a network is kept."""
    return folder / f"{network_id}.json"


def load_catalogue(
    curated_path: Path, synced_file: Path | None, taxonomy: Taxonomy, municipalities: Municipalities, partners: Iterable[str]
) -> Catalogue:
    """The curated offerings and the last synced ones of partners still in the network."""
    known = frozenset(partners)
    curated = load_curated(curated_path, taxonomy, municipalities, known)
    offerings, synced_at = read_synced(synced_file, OfferingRules(taxonomy, municipalities, known)) if synced_file else ([], None)
    return combine(curated, offerings, synced_at)
