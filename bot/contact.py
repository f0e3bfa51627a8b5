"""Checking and normalising the contact details a customer types.

Each check returns a :class:`Checked`: either the normalised value or the
reason it was refused, so the dialogue can re-ask with a clear message instead
of failing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email

MAX_NAME_LENGTH = 120
MAX_ORGANIZATION_LENGTH = 200

# Words a customer uses to leave an optional field empty.
SKIP_WORDS = frozenset(
    {
        "-",
        "ei",
        "ei ole",
        "ei oo",
        "en halua",
        "en halua antaa",
        "ohita",
        "skip",
        "no",
        "none",
        "no thanks",
        "nej",
        "hoppa över",
    }
)


@dataclass(frozen=True)
class Checked:
    """A value that passed a check, or the reason (a message key) it did not."""

    value: str | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def clean_text(text: str, max_length: int) -> str:
    """Collapse whitespace and drop control characters; cut to ``max_length``."""
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in " \t\n")
    return " ".join(text.split())[:max_length]


def is_skip(text: str | None) -> bool:
    """Whether the customer chose to leave an optional field empty."""
    return text is not None and clean_text(text, 40).lower().strip(".!") in SKIP_WORDS


def check_name(text: str) -> Checked:
    """A person's name: some letters, not an email or a number."""
    name = clean_text(text, MAX_NAME_LENGTH)
    if not any(ch.isalpha() for ch in name):
        return Checked(problem="name_invalid")
    if "@" in name or sum(ch.isdigit() for ch in name) > 2:
        return Checked(problem="name_invalid")
    return Checked(value=name)


def check_organization(text: str) -> Checked:
    """An organisation's name: anything with a letter or a digit."""
    org = clean_text(text, MAX_ORGANIZATION_LENGTH)
    if not any(ch.isalnum() for ch in org):
        return Checked(problem="organization_invalid")
    return Checked(value=org)


_EMAIL_IN_TEXT = re.compile(r"[^\s<>()\"',;]+@[^\s<>()\"',;]+")


def check_email(text: str) -> Checked:
    """An email address by its syntax (no DNS look-up), lower-cased domain."""
    candidate = clean_text(text, 320)
    found = _EMAIL_IN_TEXT.search(candidate)
    if found:
        candidate = found.group(0).rstrip(".")
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError:
        return Checked(problem="email_invalid")
    return Checked(value=result.normalized)


_PHONE_IN_TEXT = re.compile(r"\+?\d[\d\s().-]{4,}\d")


def check_phone(text: str) -> Checked:
    """A Finnish phone number in its usual forms, normalised to E.164 (+358…)."""
    candidate = clean_text(text, 60)
    found = _PHONE_IN_TEXT.search(candidate)
    if not found:
        return Checked(problem="phone_invalid")
    raw = found.group(0)
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    try:
        number = phonenumbers.parse(raw, "FI")
    except phonenumbers.NumberParseException:
        return Checked(problem="phone_invalid")
    if not phonenumbers.is_valid_number(number):
        return Checked(problem="phone_invalid")
    return Checked(value=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
