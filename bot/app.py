"""The composition root: builds every service of the front door from settings.

Entry points (the action server, the CLI, ``frontdoor run``) call
:func:`create_frontdoor` once; tests call it with their own settings.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.delivery.notices import NoticeWriter
from bot.network.model import Network
from bot.network.municipalities import Lemmatizer, Municipalities
from bot.network.needs import Taxonomy, load_taxonomy
from bot.network.reload import NetworkSource
from bot.nlu.encoder import shared_encoder
from bot.nlu.lemmas import open_morphology
from bot.nlu.morphology import FinnishMorphology
from bot.paths.drafting import PathService, lemma_tokens, plain_tokens
from bot.privacy.service import ConversationLog, PrivacyService
from bot.register.cases import CaseService
from bot.register.database import make_engine, make_sessionmaker, upgrade
from bot.register.lifecycle import Lifecycle
from bot.register.mentors import MentorDirectory
from bot.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrontDoor:
    """Every service, wired together."""

    settings: Settings
    taxonomy: Taxonomy
    morphology: FinnishMorphology | None
    lemmatizer: Lemmatizer | None
    municipalities: Municipalities
    networks: NetworkSource
    engine: Engine
    sessions: sessionmaker[Session]
    cases: CaseService
    lifecycle: Lifecycle
    mentors: MentorDirectory
    notices: NoticeWriter
    privacy: PrivacyService
    paths: PathService
    clock: Callable[[], datetime]

    @property
    def network(self) -> Network:
        """The network as it is now: the file is reloaded when it changes."""
        return self.networks.current()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def create_frontdoor(settings: Settings, *, migrate: bool = True, clock: Callable[[], datetime] = _now) -> FrontDoor:
    """Load the taxonomy and network, open the database (migrated to the newest schema).

    ``clock`` is what every service takes as "now": tests move it forward.
    """
    taxonomy = load_taxonomy()
    morphology = open_morphology()
    lemmatizer = morphology.baseforms if morphology else None
    municipalities = Municipalities.load(lemmatizer=lemmatizer)
    networks = NetworkSource(settings.network_path, taxonomy, municipalities)
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    sessions = make_sessionmaker(engine)
    # Rasa's conversations: the same PostgreSQL database, or a SQLite file of their own (Rasa writes it all the time).
    conversations = engine if settings.conversations_url == settings.database_url else make_engine(settings.conversations_url)
    paths = PathService(
        settings.curated_catalogue,
        settings.catalogue_dir,
        taxonomy=taxonomy,
        municipalities=municipalities,
        networks=networks.current,
        tokens=lemma_tokens(morphology.analyse) if morphology else plain_tokens,
        # Loaded when the first drafter is built (the action server builds it at start), not here.
        encoder=partial(shared_encoder, settings.encoder_threads),
    )
    return FrontDoor(
        settings=settings,
        taxonomy=taxonomy,
        morphology=morphology,
        lemmatizer=lemmatizer,
        municipalities=municipalities,
        networks=networks,
        engine=engine,
        sessions=sessions,
        cases=CaseService(sessions, networks.current, clock, paths=paths),
        lifecycle=Lifecycle(sessions, networks.current, clock),
        mentors=MentorDirectory(sessions, networks.current, clock, invite_days=settings.invite_days),
        notices=NoticeWriter(taxonomy, public_url=settings.public_url),
        privacy=PrivacyService(sessions, networks.current, clock, ConversationLog(conversations)),
        paths=paths,
        clock=clock,
    )
