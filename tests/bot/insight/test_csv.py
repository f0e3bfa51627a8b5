"""The report's CSV files go to the partners' accountants' spreadsheets: a customer's or mentor's words that
start like a formula are written as text (a leading '), numbers stay numbers."""

from __future__ import annotations

import csv
import io

from bot.insight.tables import Table, csv_cell, write_csv

WORDS = ['=HYPERLINK("http://evil.example","apua")', "+358 40 123", "-2+3", "@SUM(A1)", "\tsarkain", "\rrivi", "Ei auttanut"]


def test_text_that_starts_like_a_formula_is_written_as_text() -> None:
    table = Table("unmet_words", "Sanat", ["kind", "words", "points"])
    table.rows = [["declined", words, -2.5] for words in WORDS]
    out = io.StringIO()
    write_csv(out, table)
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert rows[0] == ["kind", "words", "points"]
    assert [row[1] for row in rows[1:]] == [
        '\'=HYPERLINK("http://evil.example","apua")',
        "'+358 40 123",
        "'-2+3",
        "'@SUM(A1)",
        "'\tsarkain",
        "'\rrivi",
        "Ei auttanut",
    ]
    assert {row[2] for row in rows[1:]} == {"-2.5"}  # a negative adjustment is a number, not text


def test_only_text_cells_are_touched() -> None:
    assert csv_cell(-1) == -1 and csv_cell(-0.5) == -0.5 and csv_cell("") == "" and csv_cell("2026-11") == "2026-11"
