"""``frontdoor catalogue sync``: the partners' education offerings from Opintopolku's public konfo API.

Opetushallitus publishes every Finnish education offering (toteutus) in
konfo-backend's external API, without authentication; callers name
themselves in a ``Caller-Id`` header. The sync asks
``/konfo-backend/external/search/toteutukset-koulutuksittain`` for the
education types each partner offers in the network's municipalities, keeps
the toteutukset of the partner's own institutions, and reads each one's
details from ``/konfo-backend/external/toteutus/{oid}`` (languages, online or
on site, start, cost). The shapes are those of the public source,
Opetushallitus/konfo-backend ``src/konfo_backend/external/schema/``.

Every request has a timeout and is retried with backoff (urllib3's
``Retry``: connection errors, 429 and 5xx). The result replaces the synced
catalogue only when every request succeeded and something changed: an error
or a timeout leaves the last synced catalogue in use, and says so.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, ReadTimeoutError
from urllib3.util.retry import Retry

from bot.paths.catalogue import OfferingRules, read_synced, write_synced
from bot.paths.offerings import Catalogue, KonfoPartner, Offering, SyncPlan

logger = logging.getLogger(__name__)

DEFAULT_URL = "https://opintopolku.fi"
CALLER_ID = "1.2.246.562.10.00000000001.frontdoor"  # not OPH's: names this client in OPH's logs
SEARCH_PATH = "/konfo-backend/external/search/toteutukset-koulutuksittain"
TOTEUTUS_PATH = "/konfo-backend/external/toteutus/{oid}"
PAGE_SIZE = 50
# Seconds to connect; to wait for an answer is the caller's (FRONTDOOR_KONFO_TIMEOUT_SECONDS, default 20).
CONNECT_TIMEOUT = 5.0
RETRIES = 3
# The public page of a toteutus on Opintopolku, in the reader's language.
PAGE_URL = "https://opintopolku.fi/konfo/{language}/toteutus/{oid}"

# konfo's education types → (kind, level, needs) of an offering.
_TYPES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "amm": ("degree_programme", "vocational", ("competence_path", "apprenticeship", "staff_training")),
    "amm-osaamisala": ("continuing_education", "vocational", ("competence_path", "staff_training", "apprenticeship")),
    "amm-tutkinnon-osa": ("continuing_education", "vocational", ("competence_path", "staff_training", "apprenticeship")),
    "amm-muu": ("short_course", "course", ("competence_path", "staff_training")),
    "amk": ("degree_programme", "higher", ("competence_path",)),
    "yo": ("degree_programme", "higher", ("competence_path",)),
    "kk-opintojakso": ("open_studies", "higher", ("competence_path", "staff_training")),
    "kk-opintokokonaisuus": ("open_studies", "higher", ("competence_path", "staff_training")),
    "erikoistumiskoulutus": ("continuing_education", "higher", ("competence_path", "staff_training")),
    "amm-ope-erityisope-ja-opo": ("continuing_education", "higher", ("competence_path", "instructor_training")),
}
_DEFAULT_TYPE = ("short_course", "course", ("competence_path", "staff_training"))
# oppilaitoksenopetuskieli / opetuskieli names → language codes.
_LANGUAGE_NAMES = {"suomi": "fi", "finska": "fi", "finnish": "fi", "ruotsi": "sv", "svenska": "sv", "swedish": "sv"}
_LANGUAGE_NAMES |= {"englanti": "en", "engelska": "en", "english": "en"}
_TAGS = re.compile(r"<[^>]+>")
_SPACE_BEFORE_STOP = re.compile(r"\s+([.,;:!?])")  # left where an inline tag ended a sentence
SUMMARY_LENGTH = 300


class SyncError(RuntimeError):
    """The sync could not finish; the previous catalogue stays in use."""


@dataclass(frozen=True)
class SyncResult:
    """What a sync did."""

    changed: bool
    offerings: int
    by_partner: Mapping[str, int]


def konfo_session(caller_id: str = CALLER_ID, retries: int = RETRIES) -> requests.Session:
    """A session that names the caller and retries connection errors, 429 and 5xx with backoff."""
    session = requests.Session()
    session.headers.update({"Caller-Id": caller_id, "Accept": "application/json"})
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=0.5,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=("GET",),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class KonfoClient:
    """The two read calls of konfo-backend's external API."""

    def __init__(self, session: requests.Session, base_url: str = DEFAULT_URL, read_timeout: float = 20.0):
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.timeout = (CONNECT_TIMEOUT, read_timeout)

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        url = self.base_url + path
        try:
            response = self.session.get(url, params=params, timeout=self.timeout)
        except requests.RequestException as error:
            if _timed_out(error):
                raise SyncError(f"{url}: no answer in {self.timeout[1]:.0f} s ({RETRIES + 1} tries)") from None
            raise SyncError(f"{url}: cannot be reached ({type(error).__name__})") from None
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise SyncError(f"{url}: answered HTTP {response.status_code} ({response.text[:120].strip()})")
        try:
            return response.json()
        except ValueError:
            raise SyncError(f"{url}: the answer is not JSON") from None

    def search(self, education_types: tuple[str, ...], municipalities: tuple[str, ...], keyword: str | None) -> Iterator[Any]:
        """Every hit (a koulutus with its toteutukset) of the search, page by page."""
        page = 1
        seen = 0
        while True:
            params: dict[str, Any] = {
                "koulutustyyppi": ",".join(education_types),
                "sijainti": ",".join(municipalities),
                "lng": "fi",
                "sort": "name",
                "order": "asc",
                "page": page,
                "size": PAGE_SIZE,
            }
            if keyword:
                params["keyword"] = keyword
            body = self._get(SEARCH_PATH, params)
            if not isinstance(body, dict) or not isinstance(body.get("hits"), list):
                raise SyncError(f"{self.base_url}{SEARCH_PATH}: the answer has no 'hits' list")
            yield from body["hits"]
            seen += PAGE_SIZE
            # konfo's total counts koulutukset before it drops those without toteutukset: stop on an empty page too.
            if not body["hits"] or seen >= int(body.get("total") or 0):
                return
            page += 1

    def toteutus(self, oid: str) -> Mapping[str, Any] | None:
        """One toteutus's details; ``None`` if konfo no longer has it."""
        body = self._get(TOTEUTUS_PATH.format(oid=oid))
        if body is not None and not isinstance(body, dict):
            raise SyncError(f"{self.base_url}{TOTEUTUS_PATH.format(oid=oid)}: the answer is not an object")
        return body


def _timed_out(error: requests.RequestException) -> bool:
    """A timeout, also when urllib3 gave up retrying one (requests then raises ConnectionError)."""
    if isinstance(error, requests.Timeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, (ReadTimeoutError, ConnectTimeoutError))


def _words(values: Any) -> dict[str, str]:
    """konfo's ``{fi, sv, en}`` text, without markup, one line."""
    if not isinstance(values, dict):
        return {}
    found = {}
    for language in ("fi", "en", "sv"):
        text = values.get(language)
        if isinstance(text, str) and text.strip():
            plain = " ".join(html.unescape(_TAGS.sub(" ", text)).split())
            found[language] = _SPACE_BEFORE_STOP.sub(r"\1", plain)
    return found


def _with_finnish(words: dict[str, str]) -> dict[str, str]:
    """``words`` with a Finnish entry: Swedish or English where konfo has no Finnish."""
    if words and "fi" not in words:
        return {"fi": words.get("sv") or words.get("en") or next(iter(words.values())), **words}
    return words


def _code(value: Any) -> str:
    return str(value.get("koodiUri") or "").split("#")[0] if isinstance(value, dict) else ""


def _start(teaching: Mapping[str, Any]) -> str | None:
    season = teaching.get("koulutuksenAlkamiskausi") or {}
    exact = season.get("koulutuksenAlkamispaivamaara")
    if isinstance(exact, str):
        try:
            return date.fromisoformat(exact[:10]).isoformat()
        except ValueError:
            pass  # not a date: the season's year below, if any
    year = str(season.get("koulutuksenAlkamisvuosi") or "")
    if year.isdigit():
        # kausi_k is spring (kevät), kausi_s autumn (syksy): the season's usual first month.
        return f"{year}-01-01" if _code(season.get("koulutuksenAlkamiskausi")) == "kausi_k" else f"{year}-08-01"
    return None


def _languages(teaching: Mapping[str, Any]) -> tuple[str, ...]:
    """The teaching languages' codes, in konfo's order, each once."""
    languages: list[str] = []
    for language in teaching.get("opetuskieli") or []:
        name = str((language.get("nimi") or {}).get("fi") or "").lower() if isinstance(language, dict) else ""
        code = _LANGUAGE_NAMES.get(name)
        if code and code not in languages:
            languages.append(code)
    return tuple(languages)


def _format(teaching: Mapping[str, Any]) -> str:
    ways = {_code(way) for way in teaching.get("opetustapa") or []}
    online, on_site = "opetuspaikkakk_2" in ways, "opetuspaikkakk_1" in ways
    return "blended" if online and on_site else "online" if online else "on_site"


def _places(hit_toteutus: Mapping[str, Any]) -> list[str]:
    return [
        str((place.get("nimi") or {}).get("fi"))
        for place in hit_toteutus.get("kunnat") or []
        if isinstance(place, dict) and (place.get("nimi") or {}).get("fi")
    ]


def _cost(teaching: Mapping[str, Any]) -> float | None:
    if teaching.get("maksullisuustyyppi") == "maksuton":
        return 0.0
    if isinstance(teaching.get("maksunMaara"), (int, float)):
        return float(teaching["maksunMaara"])
    return None


def _keywords(metadata: Mapping[str, Any]) -> list[str]:
    return [
        str(item.get("arvo"))
        for key in ("asiasanat", "ammattinimikkeet")
        for item in metadata.get(key) or []
        if isinstance(item, dict) and item.get("arvo")
    ]


def _summary(metadata: Mapping[str, Any]) -> dict[str, str]:
    return {
        lang: text if len(text) <= SUMMARY_LENGTH else text[: SUMMARY_LENGTH - 1] + "…"
        for lang, text in _words(metadata.get("kuvaus")).items()
    }


def to_offering(
    partner: str,
    education_type: str,
    hit_toteutus: Mapping[str, Any],
    details: Mapping[str, Any],
    sector: Callable[[str], str | None],
) -> Offering:
    """An offering from a search hit's toteutus and its details."""
    oid = str(hit_toteutus["toteutusOid"])
    kind, level, needs = _TYPES.get(education_type, _DEFAULT_TYPE)
    metadata = details.get("metadata") or {}
    teaching = metadata.get("opetus") or {}
    format_ = _format(teaching)
    keywords = _keywords(metadata)
    # The catalogue has Finnish always: a toteutus named only in Swedish or English keeps that name as its Finnish one.
    title = _with_finnish(_words(details.get("nimi")) or _words(hit_toteutus.get("toteutusNimi"))) or {"fi": oid}
    found_sector = sector(" ".join([title.get("fi", ""), *keywords]))
    return Offering(
        id=f"konfo:{oid}",
        partner=partner,
        kind=kind,
        level=level,
        title=title,
        link={language: PAGE_URL.format(language=language, oid=oid) for language in ("fi", "en", "sv")},
        needs=needs,
        sectors=(found_sector,) if found_sector else (),
        languages=_languages(teaching) or ("fi",),
        format=format_,
        municipalities=tuple(sorted(set(_places(hit_toteutus)))) if format_ != "online" else (),
        start=_start(teaching),
        cost_eur=_cost(teaching),
        summary=_with_finnish(_summary(metadata)),
        keywords=tuple(sorted(set(keywords))),
        source="konfo",
    )


def _partners_toteutukset(client: KonfoClient, plan: SyncPlan, partner: KonfoPartner) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(education type, toteutus) of the partner's own institutions in the plan's searches, each once."""
    organisations = set(partner.organisations)
    seen: set[str] = set()
    for keyword in plan.keywords or (None,):
        for hit in client.search(partner.education_types, plan.municipality_codes, keyword):
            for toteutus in hit.get("toteutukset") or []:
                oid = toteutus.get("toteutusOid") if isinstance(toteutus, dict) else None
                if oid and toteutus.get("oppilaitosOid") in organisations and oid not in seen:
                    seen.add(oid)
                    yield str(hit.get("koulutustyyppi") or ""), toteutus


def fetch(client: KonfoClient, plan: SyncPlan, sector: Callable[[str], str | None]) -> list[Offering]:
    """Every partner's offerings (at most ``plan.limit`` each), or :class:`SyncError` if any request failed."""
    offerings: dict[str, Offering] = {}
    for partner in plan.partners:
        taken = 0
        try:
            for education_type, toteutus in _partners_toteutukset(client, plan, partner):
                oid = str(toteutus["toteutusOid"])
                details = client.toteutus(oid)
                if details is None:
                    logger.info("konfo: toteutus %s is gone; left out", oid)
                    continue
                offerings[f"konfo:{oid}"] = to_offering(partner.partner, education_type, toteutus, details, sector)
                taken += 1
                if taken >= plan.limit:
                    break  # no further pages or details are asked for
        except (AttributeError, TypeError, KeyError, ValueError) as exc:
            # konfo answered, but not in the published shape: an API change to look at, not a crash.
            raise SyncError(
                f"{client.base_url}: an answer about {partner.partner}'s offerings is not in konfo's published shape "
                f"({type(exc).__name__}: {exc})"
            ) from None
        logger.info("konfo: %d offerings of %s", taken, partner.partner)
    return list(offerings.values())


def sync(
    client: KonfoClient,
    catalogue: Catalogue,
    synced_path: Path,
    sector: Callable[[str], str | None],
    now: datetime,
    *,
    rules: OfferingRules,
) -> SyncResult:
    """Fetch the plan's offerings and replace the synced file if they changed; :class:`SyncError` keeps it.

    What is written has passed the checks the front door reads it with (``rules``), so a sync and the
    next read agree on what changed.
    """
    plan = catalogue.plan
    if not plan.partners:
        raise SyncError("the catalogue file has no 'sync: konfo:' section naming the partners' institutions")
    fetched = rules.check([o.to_json() for o in fetch(client, plan, sector)], client.base_url)
    previous, _synced_at = read_synced(synced_path, rules)
    by_partner: dict[str, int] = {}
    for offering in fetched:
        by_partner[offering.partner] = by_partner.get(offering.partner, 0) + 1
    changed = {o.id: o for o in previous} != {o.id: o for o in fetched}
    if changed:
        try:
            write_synced(synced_path, fetched, now.isoformat(timespec="seconds"))
        except OSError as exc:
            raise SyncError(f"{synced_path} cannot be written ({exc.strerror or type(exc).__name__})") from None
    return SyncResult(changed=changed, offerings=len(fetched), by_partner=by_partner)
