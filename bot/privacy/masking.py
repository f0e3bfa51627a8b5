"""Masking personal data in stored conversation events.

Rasa keeps every message, bot answer and slot value of a conversation. What
the dialogue still needs (the contact details of an intake not yet sent) is
kept as it is; everything else that identifies a person is replaced with a
placeholder before it is stored: email addresses, phone numbers and Finnish
personal identity codes wherever they appear, the values the customer gave as
their name, email or phone (names also inflected: "Leenalle"), and, where
Voikko is installed, words it knows only as first names or surnames ("olen Outi
Ohikulkija" before any name was asked: the surname right after a first name goes too).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

# Voikko's word classes of a word ("Outi" → {"etunimi"}); see bot.nlu.lemmas.open_word_classes.
WordClasses = Callable[[str], Collection[str]]
PERSON_NAME_CLASSES = frozenset({"etunimi", "sukunimi"})

# Slots that hold personal data, and what stands in their place once masked.
# (An organisation's name can be a person's: "Maija Meikäläinen Tmi".)
PERSONAL_SLOTS: Mapping[str, str] = {
    "contact_name": "[name]",
    "organization": "[organization]",
    "email": "[email]",
    "phone": "[phone]",
}
ID_CODE_MASK = "[id-code]"
# Set by the erasure action: the tracker store then deletes the whole stored conversation.
ERASED_SLOT = "data_erased"

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Finnish personal identity code: birth date, century sign, individual number, check character.
ID_CODE = re.compile(r"(?<!\w)\d{6}[-+A-FU-Y]\d{3}[0-9A-FHJ-NPR-Y](?!\w)", re.IGNORECASE)
# +358 40 123 4567, 040-1234567, 0401234567, (0)5 123 4567: a leading + or 0 and 7-14 digits.
# Case references (FD-2026-00042), years and postal codes do not match.
PHONE = re.compile(r"(?<![\w+-])(?:(?:\+|00)\d{1,3}[ -]?(?:\(0\)[ -]?)?|\(?0)\d{1,3}\)?(?:[ -]?\d){5,10}(?!\w)")
# A name part shorter than this is not searched for on its own ("Li" would mask too much).
MIN_NAME_PART = 3
WORD = re.compile(r"\w+")
# Event types besides "user" and "slot" that can carry what someone wrote or gave.
CARRIES_TEXT = frozenset({"bot", "entities", "user_featurization", "followup", "reminder", "cancel_reminder"})
# Company forms after a name ("Virtanen Oy") are not part of a person's name.
COMPANY_FORMS = frozenset({"Oy", "Oyj", "Ab", "Abp", "Ky", "Ay", "Ry", "Tmi", "Ltd", "Inc", "Ltd."})


def _pattern_for_value(slot: str, value: str) -> re.Pattern[str] | None:
    value = value.strip()
    if len(value) < MIN_NAME_PART or value == "-":
        return None
    if slot != "contact_name":
        return re.compile(re.escape(value), re.IGNORECASE)
    # Each part of a name, with any inflection ending: "Leena Lahtinen" also masks "Leenalle".
    parts = [re.escape(p) for p in re.split(r"[\s,]+", value) if len(p) >= MIN_NAME_PART]
    if not parts:
        return re.compile(re.escape(value), re.IGNORECASE)
    return re.compile(r"(?<!\w)(?:" + "|".join(sorted(parts, key=len, reverse=True)) + r")\w*", re.IGNORECASE)


class Masker:
    """Masks one conversation's events, knowing the personal values it was given."""

    def __init__(self, values: Mapping[str, Iterable[str]] | None = None, word_classes: WordClasses | None = None):
        self._word_classes = word_classes
        self._known: list[tuple[re.Pattern[str], str]] = []
        for slot, slot_values in (values or {}).items():
            for value in slot_values:
                pattern = _pattern_for_value(slot, value)
                if pattern is not None:
                    self._known.append((pattern, PERSONAL_SLOTS.get(slot, "[personal]")))

    @staticmethod
    def patterns(text: str) -> str:
        """``text`` with identity codes, email addresses and phone numbers replaced by placeholders."""
        text = ID_CODE.sub(ID_CODE_MASK, text)
        text = EMAIL.sub(PERSONAL_SLOTS["email"], text)
        return PHONE.sub(PERSONAL_SLOTS["phone"], text)

    def text(self, text: str) -> str:
        """``text`` with personal data replaced by placeholders."""
        text = self.patterns(text)
        for pattern, mask in self._known:
            text = pattern.sub(mask, text)
        return self._names(text) if self._word_classes else text

    def _names(self, text: str) -> str:
        """Capitalised words Voikko knows as people's names, and capitalised words right next to one.

        A word that is also something else ("Anna", "Satu") counts as a name only inside a
        sentence or next to another name; place names ("Kouvola", "Nieminen") never do.
        """
        assert self._word_classes is not None
        words = list(WORD.finditer(text))
        kinds = []  # per word: "name" (only a name), "maybe" (a name among other readings), "other", "never"
        for match in words:
            word = match.group(0)
            classes = set(self._word_classes(word)) if word[:1].isupper() and not word.isupper() else set()
            if not word[:1].isupper() or word.isupper() or "paikannimi" in classes or word in COMPANY_FORMS:
                kinds.append("never")
            elif classes and classes <= PERSON_NAME_CLASSES:
                kinds.append("name")
            elif classes & PERSON_NAME_CLASSES:
                before = text[: match.start()].rstrip()
                kinds.append("maybe" if not before or before[-1] in ".!?:\n" else "name")
            else:
                kinds.append("other")
        masked = [kind == "name" for kind in kinds]
        # Next to a name (only spaces between): a "maybe" is a first name, an "other" an unknown surname.
        changed = True
        while changed:
            changed = False
            for i, kind in enumerate(kinds):
                if masked[i] or kind == "never":
                    continue
                left = i > 0 and masked[i - 1] and text[words[i - 1].end() : words[i].start()].isspace()
                right = i + 1 < len(words) and masked[i + 1] and text[words[i].end() : words[i + 1].start()].isspace()
                if left or (right and kind == "maybe"):
                    masked[i] = changed = True
        pieces, last = [], 0
        for match, mask in zip(words, masked, strict=True):
            pieces += [text[last : match.start()], PERSONAL_SLOTS["contact_name"] if mask else match.group(0)]
            last = match.end()
        pieces.append(text[last:])
        return "".join(pieces)

    def value(self, value: Any) -> Any:
        """Every string inside ``value`` (dicts and lists too) masked."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self.value(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.value(item) for item in value]
        return value

    def event(self, event: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, Any]:
        """A serialised event, masked; a slot value still in use (``live``: the slots' current values) is kept usable."""
        if event.get("event") == "slot":
            name, value = event.get("name"), event.get("value")
            in_use = value == live.get(str(name))
            if name in PERSONAL_SLOTS:
                if value is None or value == "-" or in_use:
                    return dict(event)
                return {**event, "value": PERSONAL_SLOTS[str(name)]}
            # Other slots (the need in the customer's words) reach the case as they are read
            # back: while in use, only what is surely personal is masked, never a guessed name.
            if in_use:
                return {**event, "value": self.patterns(value) if isinstance(value, str) else value}
            return {**event, "value": self.value(value)}
        if event.get("event") == "user":
            # What the customer wrote, and what was read from it; intent names and rankings are the bot's own.
            masked = {**event, **{key: self.value(event[key]) for key in ("text", "metadata") if key in event}}
            parse = event.get("parse_data")
            if isinstance(parse, dict):
                masked["parse_data"] = {**parse, **{key: self.value(parse[key]) for key in ("text", "entities") if key in parse}}
            return masked
        if event.get("event") in CARRIES_TEXT:
            return {key: (item if key in ("event", "timestamp") else self.value(item)) for key, item in event.items()}
        # Actions, loops and session markers: only the bot's own names.
        return dict(event)


def personal_values(events: Iterable[Mapping[str, Any]]) -> dict[str, set[str]]:
    """Every value a personal slot was set to in ``events``, by slot."""
    values: dict[str, set[str]] = {}
    for event in events:
        if event.get("event") == "slot" and event.get("name") in PERSONAL_SLOTS:
            value = event.get("value")
            if isinstance(value, str) and value not in PERSONAL_SLOTS.values():
                values.setdefault(str(event["name"]), set()).add(value)
    return values
