"""Drafting a competence path: the network's offerings that fit a case, from more than one partner.

Offerings are ranked by the customer's words and by what they mean. Words:
BM25L (``rank_bm25``) over Voikko base forms and compound parts, so
"logistiikkaan", "logistiikan" and "satamalogistiikka" meet "logistiikka";
Swedish and English words are matched as written. Meaning: the sentence
encoder's similarity between the customer's words and each offering's title,
summary and keywords (:mod:`bot.paths.meaning`), so "haluan töihin satamaan"
finds port logistics without a shared word. Each is scaled to the catalogue
(the best offering 1) and the two are summed with weights; without an encoder
the words carry both weights. They are weighed together with what the case
already says: the need (an offering must answer it, and the need's own
service for anyone counts extra), the sector, the customer's area (or
online) and language. Some offerings are never for some customers: training
for a workplace's instructors is not for an individual, nor apprenticeship
training for one who did not ask about apprenticeship.

A path then prefers partners the customer would not have found from one door:
the second pick comes from another partner when one fits nearly as well, an
employer's apprenticeship gets workplace-instructor training beside it, and
an individual's path is ordered short first (a course or guidance, then a
programme). A third or fourth step is shown only if it fits nearly as well as
the first: two good steps are better than two and a filler.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from rank_bm25 import BM25L

from bot.network.files import file_stamp
from bot.network.loading import load_network
from bot.network.model import Network
from bot.network.municipalities import Municipalities
from bot.network.needs import Taxonomy, load_taxonomy
from bot.nlu.encoder import SentenceEncoder
from bot.nlu.lemmas import open_morphology
from bot.nlu.morphology import Analysis
from bot.nlu.sectors import SectorMatcher
from bot.paths.catalogue import load_catalogue, synced_path
from bot.paths.meaning import OfferingMeanings
from bot.paths.offerings import Catalogue, Offering
from bot.paths.steps import PathStep, path_step

logger = logging.getLogger(__name__)

_WORD = re.compile(r"[^\W\d_]{2,}")
# Weights of the parts of an offering's score (docs/paths.md: how they were chosen).
WORDS_WEIGHT = 1.0  # the customer's words (BM25L), the best offering's 1
MEANING_WEIGHT = 2.5  # what they mean (sentence vectors), the closest offering's 1, the farthest's 0
OWN_SERVICE = 2.0  # the need's own service for anyone (see _own_service)
SECTOR_MATCH = 1.0
SECTOR_MISMATCH = -1.5
ELSEWHERE = -2.0  # held on site outside the customer's area
NOT_IN_LANGUAGE = -1.0  # not taught in the customer's language
OTHER_PARTNER = 0.6  # a second partner on the path
COMPANION = 0.8  # instructor training beside an apprenticeship
# A third or fourth step is shown only when it scores within this of the path's first.
SHOWN_WITHIN = 1.0
MIN_SUGGESTIONS = 2
# Path order of an individual: first steps, then programmes.
_STEP = {"service": 0, "course": 1, "vocational": 2, "higher": 3}
MAX_SUGGESTIONS = 4
# Needs whose path the bot shows as soon as the need is named ("what could I study?"); the others see it with the case.
SUGGEST_AT_ONCE = ("competence_path", "job_search")


@dataclass(frozen=True)
class PathRequest:
    """What a case says that a path depends on."""

    need: str
    text: str = ""  # the customer's own words
    customer_type: str | None = None
    sector: str | None = None
    language: str = "fi"
    area: frozenset[str] = frozenset()  # municipalities of the customer's area; none: not known


@dataclass(frozen=True)
class Suggestion:
    """One step of a drafted path."""

    offering: Offering
    score: float


Tokenizer = Callable[[str], list[str]]


def plain_tokens(text: str) -> list[str]:
    """Lower-case words: the tokenizer without Voikko."""
    return [word.lower() for word in _WORD.findall(text)]


def lemma_tokens(analyse: Callable[[str], Analysis]) -> Tokenizer:
    """Words as Voikko's base forms plus their compound parts ("oppisopimuspaikkaa" → oppisopimuspaikka, oppi, sopimus, paikka)."""

    def tokens(text: str) -> list[str]:
        found: list[str] = []
        for word in _WORD.findall(text):
            analysis = analyse(word)
            found.extend((analysis.lemma, *analysis.parts))
        return found

    return tokens


def _for_customer(offering: Offering, request: PathRequest) -> bool:
    """Whether a mentor would put the offering before this customer at all, whatever their words."""
    if request.customer_type == "individual" or request.need in SUGGEST_AT_ONCE:
        if offering.kind == "instructor_training":
            return False  # it trains a workplace's instructors
        if offering.kind == "apprenticeship_training" and request.need != "apprenticeship":
            return False  # an individual who wants a qualification by apprenticeship names that need
    return True


def _own_service(offering: Offering, need: str) -> bool:
    """Whether the offering is the need's own service for anyone: curated, made for the need (listed first), no sector.

    A synced offering's needs follow from its education type, so their order says nothing.
    """
    return offering.source == "curated" and offering.needs[0] == need and not offering.sectors


def _scaled(scores: list[float]) -> list[float]:
    """Scores from 0 (the lowest) to 1 (the highest); all 0 when they are all the same."""
    low, high = min(scores, default=0.0), max(scores, default=0.0)
    return [(score - low) / (high - low) for score in scores] if high > low else [0.0] * len(scores)


def _document(offering: Offering, sector_names: Callable[[str], Iterable[str]]) -> str:
    texts = [*offering.title.values(), *offering.summary.values(), *offering.keywords]
    for sector in offering.sectors:
        texts.extend(sector_names(sector))
    return " ".join(texts)


class PathDrafter:
    """Ranks a catalogue's offerings for a case and drafts a path of two to four."""

    def __init__(
        self,
        catalogue: Catalogue,
        tokens: Tokenizer,
        sector_names: Callable[[str], Iterable[str]] = lambda _s: (),
        encoder: SentenceEncoder | None = None,
    ):
        self.catalogue = catalogue
        self.tokens = tokens
        self.offerings = list(catalogue.offerings)
        corpus = [tokens(_document(o, sector_names)) or ["-"] for o in self.offerings]
        # BM25L, not Okapi: Okapi's idf is zero for a word in half the offerings and floored when in more, so in a
        # small catalogue (a network's first few offerings) the customer's words stop counting.
        self._bm25 = BM25L(corpus) if corpus else None
        # The offerings' vectors, computed here once: the drafter is built when the catalogue (re)loads.
        self._meanings = OfferingMeanings(encoder, self.offerings) if encoder is not None and self.offerings else None

    def rank(self, request: PathRequest) -> list[Suggestion]:
        """Every offering that answers the need, best first."""
        if self._bm25 is None:
            return []
        query = self.tokens(request.text)
        lexical = list(self._bm25.get_scores(query)) if query else [0.0] * len(self.offerings)
        best = max(lexical, default=0.0) or 1.0
        if self._meanings is None:
            words_weight, meaning = WORDS_WEIGHT + MEANING_WEIGHT, [0.0] * len(self.offerings)
        else:
            words_weight, meaning = WORDS_WEIGHT, _scaled(self._meanings.similarities(request.text))
        ranked = []
        for offering, words, close in zip(self.offerings, lexical, meaning, strict=True):
            if request.need not in offering.needs or not _for_customer(offering, request):
                continue
            score = words_weight * words / best + MEANING_WEIGHT * close
            if _own_service(offering, request.need):
                score += OWN_SERVICE
            if request.sector and offering.sectors:
                score += SECTOR_MATCH if request.sector in offering.sectors else SECTOR_MISMATCH
            if request.area and offering.municipalities and not request.area & set(offering.municipalities):
                score += ELSEWHERE
            if request.language not in offering.languages:
                score += NOT_IN_LANGUAGE
            ranked.append(Suggestion(offering, round(score, 4)))
        ranked.sort(key=lambda s: (-s.score, s.offering.id))
        return ranked

    def draft(self, request: PathRequest, size: int = 3) -> list[Suggestion]:
        """A path of two to ``size`` (at most four) offerings, more than one partner where one fits.

        The steps after the second are only those that score within :data:`SHOWN_WITHIN` of the first, and
        workplace-instructor training beside an apprenticeship.
        """
        size = max(1, min(size, MAX_SUGGESTIONS))
        left = self.rank(request)
        path: list[Suggestion] = []
        while left and len(path) < size:
            partners = {s.offering.partner for s in path}
            kinds = {s.offering.kind for s in path}

            def worth(suggestion: Suggestion, partners: set[str] = partners, kinds: set[str] = kinds) -> float:
                bonus = OTHER_PARTNER if path and len(partners) < 2 and suggestion.offering.partner not in partners else 0.0
                if "apprenticeship_training" in kinds and suggestion.offering.kind == "instructor_training":
                    bonus += COMPANION
                return suggestion.score + bonus

            best = max(range(len(left)), key=lambda i: (worth(left[i]), -i))  # ties: the better ranked
            companion = "apprenticeship_training" in kinds and left[best].offering.kind == "instructor_training"
            if len(path) >= MIN_SUGGESTIONS and not companion and worth(left[best]) < path[0].score - SHOWN_WITHIN:
                break  # no filler (instructor training beside an apprenticeship is none)
            path.append(left.pop(best))
        if request.customer_type == "individual" or request.need in SUGGEST_AT_ONCE:
            path.sort(key=lambda s: _STEP.get(s.offering.level, 2))
        return path


@dataclass(frozen=True)
class Drafting:
    """What drafting paths needs, loaded once: the network, its catalogue, Voikko's words, sectors, the sentence encoder."""

    taxonomy: Taxonomy
    municipalities: Municipalities
    network: Network
    catalogue: Catalogue
    tokens: Tokenizer
    sectors: SectorMatcher
    encoder: SentenceEncoder | None = None  # none: offerings ranked by words alone

    def drafter(self) -> PathDrafter:
        return PathDrafter(self.catalogue, self.tokens, self.taxonomy.sector_names, self.encoder)


def load_drafting(
    network_path: Path, curated_path: Path, synced_file: Path | None, encoder: SentenceEncoder | None = None
) -> Drafting:
    """Load the network and its catalogue (curated, plus the synced file if given) with Voikko where installed.

    With ``encoder``, drafters rank offerings by meaning too; without it, by words alone.
    """
    # Here, not at the top: spaCy takes seconds to import, and every command that touches cases imports this module.
    from bot.nlu.entities import EntityFinder  # noqa: PLC0415 - only drafting outside the front door needs spaCy

    taxonomy = load_taxonomy()
    morphology = open_morphology()
    municipalities = Municipalities.load(lemmatizer=morphology.baseforms if morphology else None)
    network = load_network(network_path, taxonomy, municipalities)
    catalogue = load_catalogue(curated_path, synced_file, taxonomy, municipalities, [p.id for p in network.partners])
    finder = EntityFinder.load(morphology, municipalities=municipalities) if morphology else None
    tokens = lemma_tokens(morphology.analyse) if morphology else plain_tokens
    return Drafting(taxonomy, municipalities, network, catalogue, tokens, SectorMatcher.load(taxonomy, finder), encoder)


class PathService:
    """Drafts paths for cases and conversations from the catalogue in use.

    The catalogue is the curated file and the network's last synced one; both
    are read again when they change (a sync while the front door runs is used
    at the next draft). Files that cannot be used are logged once and the
    catalogue in use stays: a broken file never stops the dialogue.

    ``encoder`` gives the sentence encoder when a drafter is first built (it loads the model then, not when the
    service is made: most processes that make one never draft); none: offerings ranked by words alone. The
    offerings' vectors are computed once for each catalogue loaded.
    """

    def __init__(
        self,
        curated: Path,
        synced_dir: Path,
        *,
        taxonomy: Taxonomy,
        municipalities: Municipalities,
        networks: Callable[[], Network],
        tokens: Tokenizer,
        encoder: Callable[[], SentenceEncoder] | None = None,
    ):
        self.curated = curated
        self.synced_dir = synced_dir
        self.taxonomy = taxonomy
        self.municipalities = municipalities
        self.networks = networks
        self.tokens = tokens
        self.encoder = encoder
        self._lock = threading.Lock()
        self._key: tuple[object, ...] | None = None
        self._rejected: tuple[object, ...] | None = None
        self._catalogue = Catalogue()
        self._drafter: PathDrafter | None = None

    def catalogue(self) -> Catalogue:
        """The catalogue in use, read again if its files changed (a file that cannot be used: the one before)."""
        network = self.networks()
        synced = synced_path(self.synced_dir, network.id)
        key = (network.id, tuple(p.id for p in network.partners), file_stamp(self.curated), file_stamp(synced))
        with self._lock:
            if key not in (self._key, self._rejected):
                try:
                    self._catalogue = load_catalogue(
                        self.curated, synced, self.taxonomy, self.municipalities, [p.id for p in network.partners]
                    )
                    self._key, self._rejected = key, None
                except Exception as exc:  # whatever the files hold, the conversation goes on
                    self._rejected = key
                    logger.error("catalogue not (re)loaded, paths use the one before: %s", exc)
            return self._catalogue

    def drafter(self) -> PathDrafter:
        """The drafter of the catalogue in use, built (its offerings' vectors computed) once for each catalogue."""
        catalogue = self.catalogue()
        with self._lock:
            if self._drafter is None or self._drafter.catalogue is not catalogue:
                encoder = self._load_encoder() if len(catalogue) else None
                self._drafter = PathDrafter(catalogue, self.tokens, self.taxonomy.sector_names, encoder)
            return self._drafter

    def _load_encoder(self) -> SentenceEncoder | None:
        """The sentence encoder; one that cannot be loaded is logged once and paths are ranked by words alone."""
        if self.encoder is None:
            return None
        try:
            return self.encoder()
        except Exception as exc:  # the model missing or broken: paths by words, the conversation goes on
            logger.error("sentence encoder not loaded, offerings are ranked by words alone: %s", exc)
            self.encoder = None
            return None

    def draft(
        self,
        *,
        need: str,
        text: str | None,
        customer_type: str | None,
        sector: str | None,
        language: str,
        municipality: str | None,
        place_named: str | None = None,
        size: int = 3,
    ) -> list[PathStep]:
        """The drafted path as steps to store with a case and to show (titles and links in every language)."""
        network = self.networks()
        area = network.area_of(municipality, place_named) if municipality else None
        request = PathRequest(
            need=need,
            text=text or "",
            customer_type=customer_type,
            sector=sector,
            language=language,
            area=frozenset(area.municipalities) if area else frozenset(),
        )
        return [path_step(s.offering, network) for s in self.drafter().draft(request, size=size)]

    def steps(self, offering_ids: Iterable[str]) -> list[PathStep]:
        """The steps of a path drafted before (e.g. the one shown in the dialogue): those still in the catalogue."""
        network = self.networks()
        by_id = {o.id: o for o in self.catalogue().offerings}
        return [path_step(by_id[i], network) for i in offering_ids if i in by_id]
