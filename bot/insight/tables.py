"""What the report's parts share: the table, the days counted, ratios and medians, the SQL that differs
between SQLite and PostgreSQL, and the anonymising of people's words."""

from __future__ import annotations

import csv
import re
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, TextIO

from sqlalchemy import Boolean, and_, func
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.privacy.masking import EMAIL, ID_CODE, PHONE, WORD
from bot.register.models import Case

URL = re.compile(r"https?://\S+|www\.\S+")
# How many texts (unclassified needs, reasons, customers' words) a table lists, newest first.
WORDS_LIMIT = 200


@dataclass(frozen=True)
class Period:
    """Cases created on these days (UTC), both ends included; ``None``: open."""

    start: date | None = None
    end: date | None = None

    def where(self) -> ColumnElement[Boolean]:
        conditions = []
        if self.start:
            conditions.append(Case.created_at >= datetime.combine(self.start, time.min, timezone.utc))
        if self.end:
            conditions.append(Case.created_at < datetime.combine(self.end + timedelta(days=1), time.min, timezone.utc))
        return and_(True, *conditions)

    def label(self) -> str:
        """The days as "2026-10-14 – 2026-11-23"; an end still open (no case to close it) is "…"."""
        return f"{self.start or '…'} – {self.end or '…'}"


@dataclass
class Table:
    """One table of the report: its CSV name, title, columns and rows."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)


# What a spreadsheet reads as the start of a formula (or hides one behind): a text cell starting so is written
# with a leading ' (OWASP's advice for CSV injection), so customers' and mentors' words stay words.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A cell as the CSV files write it: text that a spreadsheet would run as a formula gets a leading ``'``;
    numbers (a negative adjustment too) stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(out: TextIO, table: Table) -> None:
    """The table as CSV into ``out``: a header row, then the rows, every text cell made safe for spreadsheets."""
    writer = csv.writer(out)
    writer.writerow([csv_cell(column) for column in table.columns])
    writer.writerows([csv_cell(value) for value in row] for row in table.rows)


def ratio(count: float, total: float) -> float:
    """``count`` of ``total`` to four decimals; nothing of nothing is 0."""
    return round(count / total, 4) if total else 0.0


def median_of(values: list[float], unit_seconds: float) -> float | str:
    """The median of seconds in the unit (3600: hours, 86400: days), two decimals; none: empty."""
    return round(statistics.median(values) / unit_seconds, 2) if values else ""


def month_of(session: Session, column: Any) -> ColumnElement[Any]:
    """The UTC month of a time as text ('2026-10'); the SQL functions are untyped (NullType) to SQLAlchemy."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


def seconds_between(session: Session, later: Any, earlier: Any) -> ColumnElement[Any]:
    """Seconds from ``earlier`` to ``later``, a number; the SQL functions are untyped (NullType) to SQLAlchemy."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


# Separate from bot.privacy.masking.Masker by design: Finnish tags for the report's readers, URLs too, names by Voikko base form.
def anonymise(text: str, *names: str | None, baseforms: Callable[[str], Iterable[str]] | None = None) -> str:
    """Mask what could identify someone: email, web addresses, identity codes, phone numbers, and the
    person's or organisation's names, inflected too ("Virtaselle" is "Virtanen" to Voikko)."""
    text = EMAIL.sub("[sähköposti]", text)
    text = URL.sub("[osoite]", text)
    text = ID_CODE.sub("[henkilötunnus]", text)
    text = PHONE.sub("[puhelin]", text)
    parts = {part.lower() for name in names for part in WORD.findall(name or "") if len(part) > 1}

    def mask(match: re.Match[str]) -> str:
        word = match.group(0)
        forms = {word.lower(), *(form.lower() for form in (baseforms(word) if baseforms else ()))}
        return "[nimi]" if forms & parts else word

    if parts:
        text = WORD.sub(mask, text)
    return " ".join(text.split())
