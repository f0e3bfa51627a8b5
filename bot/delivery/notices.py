"""What a notification says: the case card mentors see, the customer's news, the coordinator's alert.

Texts are in ``data/notices.yml`` (fi first, en, sv). Everything is rendered at
delivery time from the case as it is then, so the outbox keeps no copy of
personal data. Customer-written text is escaped for Telegram's HTML and
shortened to fit a message. The follow-up's email carries the token of its answer
links that was issued when the customer was asked (kept in its outbox row), so
every delivery attempt carries the same, working link.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy.orm import Session

from bot.delivery.notifiers import Notice
from bot.messages import Catalog
from bot.network.model import Mentor, Network
from bot.network.needs import Taxonomy
from bot.paths.steps import step_line
from bot.register.assignment import case_language
from bot.register.cases import case_fields, drafted_path, path_json
from bot.register.followups import ANSWERS, STOP, callback_data, link_token, of_case
from bot.register.models import AWAITING_STATUSES, OUTCOMES, Case, CaseStatus, OutboxMessage, Verb, utc, wire_time
from bot.settings import DATA_DIR

NOTICES_FILE = DATA_DIR / "notices.yml"
# Customer text in a notice is cut here: a Telegram message holds 4096 characters.
TEXT_LIMIT = 1200
CUSTOMER = "customer"
# Mentor notices that only inform: the case is no longer theirs to act on.
INFORMATIVE_KINDS = frozenset({"case_cancelled", "case_erased", "followup_negative"})
# The kinds that go to the customer rather than to a mentor.
CUSTOMER_KINDS = frozenset({"case_accepted", "followup_asked"})

# The mentors' bot's callback verbs besides the lifecycle's: forward to a chosen partner, show the card again.
FORWARD_TO = "fwd"
CLOSE_AS = "end"
SHOW = "show"
# Which buttons a mentor gets for a case in each status (callback verbs).
ACTIONS_BY_STATUS: dict[str, tuple[Verb, ...]] = {
    **{status: (Verb.ACCEPT, Verb.DECLINE, Verb.FORWARD) for status in AWAITING_STATUSES},
    CaseStatus.ACCEPTED: (Verb.CONTACTED, Verb.FORWARD, Verb.CLOSE),
    CaseStatus.CONTACTED: (Verb.CLOSE, Verb.FORWARD),
}


def mentor_language(mentor: Mentor | None) -> str:
    """Mentors read Finnish first; otherwise their first language."""
    if mentor is None or "fi" in mentor.languages or not mentor.languages:
        return "fi"
    return sorted(mentor.languages)[0]


def _short(text: str, limit: int = TEXT_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Texts:
    """The notices file: headings, labels, names and messages by language."""

    sections: Mapping[str, Mapping[str, Mapping[str, str]]]
    catalog: Catalog

    @classmethod
    def load(cls, path: Path = NOTICES_FILE) -> Texts:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls({k: v for k, v in raw.items() if k != "messages"}, Catalog(raw["messages"]))

    def word(self, section: str, key: str, language: str) -> str:
        names = self.sections[section].get(key) or {}
        return str(names.get(language) or names.get("fi") or key)

    def say(self, key: str, language: str, **values: Any) -> str:
        return self.catalog.render(key, language, **values).text


class NoticeWriter:
    """Renders outbox rows into notices."""

    def __init__(self, taxonomy: Taxonomy, texts: Texts | None = None, *, public_url: str):
        self.taxonomy = taxonomy
        self.texts = texts or Texts.load()
        self.public_url = public_url.rstrip("/")

    def case_url(self, reference: str | None) -> str:
        """The case's page on the desk (a visitor who is not signed in signs in first and comes back to it)."""
        return f"{self.public_url}/desk/cases/{reference or ''}"

    # -- the case card ------------------------------------------------------
    def card_lines(self, case: Case, network: Network, language: str) -> list[tuple[str, str]]:
        """(label, value) pairs describing the case for the person who handles it."""
        t = self.texts
        need = self.taxonomy.needs.get(case.need)
        sector = self.taxonomy.sectors.get(case.sector) if case.sector else None
        customer = t.word("customer_types", case.customer_type, language)
        if case.organization:
            customer = f"{customer} · {case.organization}"
        place = case.municipality or ""
        if case.place_named and case.place_named != case.municipality:
            place = f"{place} ({case.place_named})" if place else case.place_named
        respond_by = ""
        if case.respond_by and case.status in AWAITING_STATUSES:
            local = utc(case.respond_by).astimezone(ZoneInfo(network.service.timezone))
            respond_by = f"{local:%d.%m.%Y %H:%M}"
        rows = [
            ("reference", case.reference or ""),
            ("need", need.name(language) if need else case.need),
            ("customer", customer),
            ("contact_name", case.contact_name or ""),
            ("email", case.email or ""),
            ("phone", case.phone or ""),
            ("place", place),
            ("sector", sector.name(language) if sector else ""),
            ("language", case.language),
            ("status", t.word("statuses", case.status, language)),
            ("respond_by", respond_by),
            ("words", _short(case.need_text) if case.need_text else ""),
        ]
        return [(t.word("labels", key, language), value) for key, value in rows if value]

    def card_html(self, heading: str, lines: list[tuple[str, str]], extra: list[tuple[str, str]] | None = None) -> str:
        body = [f"<b>{html.escape(heading)}</b>"]
        body += [f"<b>{html.escape(label)}:</b> {html.escape(value)}" for label, value in [*lines, *(extra or [])]]
        return "\n".join(body)

    def buttons(self, case: Case, network: Network, language: str) -> tuple[tuple[tuple[str, str], ...], ...]:
        """The actions the case's status allows, as inline button rows."""
        verbs = ACTIONS_BY_STATUS.get(case.status, ())
        row = tuple((self.texts.word("buttons", verb, language), f"{verb}:{case.reference}") for verb in verbs)
        return (row,) if row else ()

    def forward_buttons(self, case: Case, network: Network, language: str) -> tuple[tuple[tuple[str, str], ...], ...]:
        """One button per other partner, and back."""
        rows = tuple(((p.name, f"{FORWARD_TO}:{case.reference}:{p.id}"),) for p in network.partners if p.id != case.partner)
        return (*rows, ((self.texts.word("buttons", "back", language), f"{SHOW}:{case.reference}"),))

    def outcome_buttons(self, case: Case, language: str) -> tuple[tuple[tuple[str, str], ...], ...]:
        """One button per outcome (closing the case with it), and back."""
        rows = tuple(((self.texts.word("outcomes", o, language), f"{CLOSE_AS}:{case.reference}:{o}"),) for o in OUTCOMES)
        return (*rows, ((self.texts.word("buttons", "back", language), f"{SHOW}:{case.reference}"),))

    def mentor_card(self, case: Case, network: Network, language: str, heading_kind: str = "case_assigned") -> Notice:
        """The case as a mentor sees it in Telegram, with its buttons."""
        heading = f"{self.texts.word('headings', heading_kind, language)} {case.reference}"
        lines = self.card_lines(case, network, language)
        return Notice(
            key="",
            kind=heading_kind,
            reference=case.reference or "",
            language=language,
            subject=heading,
            text="\n".join([heading, *(f"{label}: {value}" for label, value in lines)]),
            html=self.card_html(heading, lines),
            partner=case.partner,
            buttons=self.buttons(case, network, language),
        )

    # -- rows of the outbox -------------------------------------------------
    def render(self, row: OutboxMessage, case: Case, network: Network, now: datetime) -> Notice:
        """The notice an outbox row stands for, from the case as it is now."""
        if row.kind == "followup_asked":
            return self._followup(row, case, network)
        if row.kind in CUSTOMER_KINDS:
            return self._customer(row, case, network)
        if row.kind == "delivery_failed":
            return self._alert(row, case, network)
        return self._mentor(row, case, network, now)

    def _mentor(self, row: OutboxMessage, case: Case, network: Network, now: datetime) -> Notice:
        mentor = network.mentor(row.recipient)
        language = mentor_language(mentor)
        t = self.texts
        heading = f"{t.word('headings', row.kind, language)} {case.reference}"
        lines = self.card_lines(case, network, language)
        extra: list[tuple[str, str]] = []
        if row.kind == "human_requested":
            transcript = next((e.detail.get("transcript") for e in reversed(case.events) if e.kind == "human_requested"), None)
            if transcript:
                recent = " / ".join(_short(str(line), 300) for line in transcript)
                extra.append((t.word("labels", "recent", language), recent))
        if row.kind == "case_erased":
            extra.append((t.word("labels", "erased", language), t.say("erased_note", language)))
        elif row.kind == "followup_negative":
            extra += self.followup_lines(case, language)
        elif row.kind == "case_assigned":
            steps = drafted_path(case)
            if steps:
                words = {w: t.word("labels", w, language) for w in ("starts", "online", "finnish_only")}
                lines_of_path = "".join(f"\n  {i}. {step_line(step, language, words)}" for i, step in enumerate(steps, 1))
                extra.append((t.word("labels", "path", language), lines_of_path))
        footer = t.say(
            "email_footer", language, network=network.name, reference=case.reference, url=self.case_url(case.reference)
        )
        text = "\n".join([heading, "", *(f"{label}: {value}" for label, value in [*lines, *extra]), "", footer])
        return self._network_notice(
            row,
            case,
            network,
            language,
            heading,
            text=text,
            markup=self.card_html(heading, lines, extra),
            partner=mentor.partner if mentor else case.partner,
            buttons=self.buttons(case, network, language) if row.kind not in INFORMATIVE_KINDS else (),
            payload=self.payload(row, case, network, now),
        )

    def _customer(self, row: OutboxMessage, case: Case, network: Network) -> Notice:
        language = case_language(case)
        mentor = network.mentor(case.mentor) if case.mentor else None
        partner = network.partner(case.partner) if case.partner else None
        greeting = self.texts.say("greeting_named" if case.contact_name else "greeting", language, name=case.contact_name)
        news = self.texts.say(
            "customer_accepted",
            language,
            mentor=mentor.name if mentor else "",
            partner=partner.name if partner else "",
            reference=case.reference,
            network=network.name,
        )
        text = f"{greeting} {news}"
        return Notice(
            key=row.idempotency_key,
            kind=row.kind,
            reference=case.reference or "",
            language=language,
            subject=self.texts.say("customer_accepted_subject", language, reference=case.reference),
            text=text,
            html=html.escape(text),
        )

    def _followup(self, row: OutboxMessage, case: Case, network: Network) -> Notice:
        """The customer asked, once, whether they got help: buttons in Telegram, links in an email (each link
        opens a page whose button answers; opening it records nothing)."""
        language = case_language(case)
        t = self.texts
        greeting = t.say("greeting_named" if case.contact_name else "greeting", language, name=case.contact_name)
        text = f"{greeting} {t.say('followup_question', language, network=network.name, reference=case.reference)}"
        buttons: tuple[tuple[tuple[str, str], ...], ...] = ()
        session = Session.object_session(case)
        followup = of_case(session, case) if session is not None else None
        if row.channel == "email":
            token = link_token(session, case, row.detail) if session is not None else None
            if token is not None:
                url = f"{self.public_url}/followup/{token}"
                links = {answer: f"{url}?a={answer}" for answer in (*ANSWERS, STOP)}
                text = f"{text}\n\n{t.say('followup_links', language, **links)}"
        elif followup is not None:  # Telegram: yes / partly / no, and "don't ask again" below them
            titles = [(t.word("buttons", f"followup_{a}", language), callback_data(followup.id, a)) for a in (*ANSWERS, STOP)]
            buttons = (tuple(titles[:-1]), (titles[-1],))
        text = f"{text}\n\n{t.say('followup_footer', language, network=network.name)}"
        return Notice(
            key=row.idempotency_key,
            kind=row.kind,
            reference=case.reference or "",
            language=language,
            subject=t.say("followup_subject", language, network=network.name),
            text=text,
            html=html.escape(text),
            buttons=buttons,
        )

    def followup_lines(self, case: Case, language: str) -> list[tuple[str, str]]:
        """The customer's answer to the follow-up and their words, as they are now (erasure removes the words)."""
        session = Session.object_session(case)
        followup = of_case(session, case) if session is not None else None
        if followup is None or followup.answer is None:
            return []
        t = self.texts
        lines = [(t.word("labels", "followup_answer", language), t.word("followup_answers", followup.answer, language))]
        if followup.words:
            lines.append((t.word("labels", "followup_words", language), _short(followup.words)))
        return lines

    def _alert(self, row: OutboxMessage, case: Case, network: Network) -> Notice:
        language = mentor_language(network.coordinator)
        detail = dict(row.detail or {})
        heading = f"{self.texts.word('headings', 'delivery_failed', language)} {case.reference}"
        text = self.texts.say(
            "delivery_failed",
            language,
            kind=detail.get("kind", ""),
            reference=case.reference,
            recipient=detail.get("recipient", ""),
            channel=detail.get("channel", ""),
            attempts=detail.get("attempts", ""),
            error=detail.get("error", ""),
        )
        return self._network_notice(
            row,
            case,
            network,
            language,
            heading,
            text=f"{heading}\n\n{text}",
            markup=f"<b>{html.escape(heading)}</b>\n{html.escape(text)}",
            partner=network.coordinator.partner,
            payload={"event": row.kind, "idempotency_key": row.idempotency_key, "reference": case.reference, **detail},
        )

    def _network_notice(
        self,
        row: OutboxMessage,
        case: Case,
        network: Network,
        language: str,
        heading: str,
        *,
        text: str,
        markup: str,
        partner: str | None,
        payload: Mapping[str, Any],
        buttons: tuple[tuple[tuple[str, str], ...], ...] = (),
    ) -> Notice:
        """A notice to one of the network's people (a mentor, the coordinator): what those share, the row's key
        and kind and a subject tagged with the network's name, is decided in one place."""
        return Notice(
            key=row.idempotency_key,
            kind=row.kind,
            reference=case.reference or "",
            language=language,
            subject=f"[{network.name}] {heading}",
            text=text,
            html=markup,
            partner=partner,
            buttons=buttons,
            payload=payload,
        )

    def payload(self, row: OutboxMessage, case: Case, network: Network, now: datetime) -> dict[str, Any]:
        """The webhook body: the event and the case as a partner's system would file it."""
        return {
            "event": row.kind,
            "idempotency_key": row.idempotency_key,
            "sent_at": wire_time(now),
            "network": network.id,
            "case": {
                **case_fields(case),
                "place_named": case.place_named,
                "respond_by": wire_time(case.respond_by),
                "need_text": case.need_text,
                # The competence path drafted with the case, as the customer saw it (empty: none drafted).
                "path": path_json(case),
                "contact": {
                    "name": case.contact_name,
                    "organization": case.organization,
                    "email": case.email,
                    "phone": case.phone,
                },
            },
        }
