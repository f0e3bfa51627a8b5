"""Checking offerings and the sync plan as the catalogue file gives them: every problem named with where it is.

The same checks serve the curated file, written by people (every problem
refuses the file), and the synced one, written by the sync (an offering with
a problem is left out, see :class:`~bot.paths.catalogue.OfferingRules`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from bot.language import LANGUAGES
from bot.network.municipalities import Municipalities
from bot.network.needs import Taxonomy
from bot.paths.offerings import FORMATS, KINDS, LEVELS, KonfoPartner, Offering, SyncPlan

_ID = re.compile(r"^[a-z0-9][a-z0-9:._-]*$")
_URL = re.compile(r"^https?://\S+$")


class OfferingChecker:
    """Collects problems while reading offerings and the sync plan: each method checks one part and returns it."""

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
        """One offering, or ``None`` if it is not even a mapping; its problems are in :attr:`problems`."""
        if not isinstance(raw, dict):
            self.problem(where, "expected a mapping with id, partner, kind, title, link and needs")
            return None
        ident = self._id(raw, where, seen)
        where = f"{where} ({ident})" if ident else where
        partner = str(raw.get("partner") or "")
        if partner not in self.partners:
            self.problem(f"{where}.partner", f"unknown partner '{partner}' (the network's: {', '.join(sorted(self.partners))})")
        link = self._link(raw, where)
        needs = self.ids(raw, "needs", where, self.taxonomy.needs, "need")
        if not needs:
            self.problem(f"{where}.needs", "lists no needs: name the needs it answers, e.g. [competence_path]")
        municipalities = self._municipalities(raw, where)
        start = self._start(raw, where)
        cost = self._cost(raw, where)
        languages = self._languages(raw, where)
        keywords = self._keywords(raw, where)
        return Offering(
            id=ident,
            partner=partner,
            kind=self.choice(raw, "kind", where, KINDS),
            level=self.choice(raw, "level", where, LEVELS),
            title=self.words(raw, "title", where, required=True),
            link=link,
            needs=needs,
            sectors=self.ids(raw, "sectors", where, self.taxonomy.sectors, "sector"),
            languages=languages,
            format=self.choice(raw, "format", where, FORMATS, default="on_site"),
            municipalities=municipalities,
            start=start,
            cost_eur=cost,
            summary=self.words(raw, "summary", where, required=False),
            keywords=keywords,
            source=str(raw.get("source") or "curated"),
        )

    def _id(self, raw: Mapping[str, Any], where: str, seen: set[str]) -> str:
        ident = str(raw.get("id") or "")
        if not _ID.match(ident):
            self.problem(f"{where}.id", f"expected a lower-case id like 'ao-logistiikka', got {raw.get('id')!r}")
        elif ident in seen:
            self.problem(f"{where}.id", f"'{ident}' is used twice")
        seen.add(ident)
        return ident

    def _link(self, raw: Mapping[str, Any], where: str) -> dict[str, str]:
        link = self.words(raw, "link", where, required=True)
        for lang, url in link.items():
            if not _URL.match(url):
                self.problem(f"{where}.link", f"'{url}' ({lang}) is not an http(s) address")
        return link

    def _municipalities(self, raw: Mapping[str, Any], where: str) -> tuple[str, ...]:
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
        return tuple(municipalities)

    def _start(self, raw: Mapping[str, Any], where: str) -> str | None:
        start = raw.get("start")
        if isinstance(start, date):
            return start.isoformat()
        if start is None:
            return None
        try:
            return date.fromisoformat(str(start)).isoformat()
        except ValueError:
            self.problem(f"{where}.start", f"expected a date like 2027-03-01, got {start!r}")
            return None

    def _cost(self, raw: Mapping[str, Any], where: str) -> float | None:
        cost = raw.get("cost_eur")
        if cost is not None and (isinstance(cost, bool) or not isinstance(cost, (int, float)) or cost < 0):
            self.problem(f"{where}.cost_eur", f"expected euros (0 for free), got {cost!r}")
            return None
        return float(cost) if cost is not None else None

    def _languages(self, raw: Mapping[str, Any], where: str) -> tuple[str, ...]:
        languages = raw.get("languages") or ["fi"]
        if not isinstance(languages, list) or not set(languages) <= set(LANGUAGES):
            self.problem(f"{where}.languages", f"expected a list of fi, en, sv, got {languages!r}")
            languages = ["fi"]
        return tuple(str(lang) for lang in languages)

    def _keywords(self, raw: Mapping[str, Any], where: str) -> tuple[str, ...]:
        keywords = raw.get("keywords") or []
        if not isinstance(keywords, list):
            self.problem(f"{where}.keywords", "expected a list of words")
            keywords = []
        return tuple(str(k) for k in keywords)

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
