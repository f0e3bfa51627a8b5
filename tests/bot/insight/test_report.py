"""The foresight report from a register with known cases: its CSV figures checked exactly,
its HTML opened in headless Chromium without any external request."""

from __future__ import annotations

import csv
import statistics
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from bot.app import create_frontdoor
from bot.insight.report import Period, ReportBuilder, anonymise
from bot.settings import PROJECT_ROOT, Settings
from tests.bot.cli_run import run
from tests.bot.register.test_cases import INTAKE
from tests.bot.register.test_lifecycle import Clock
from tests.standins.postgres import PostgresServer

MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]
OTHER_TEXT = "Haluaisin vuokrata tilan Maijalle, soita 040 123 4567 tai maija.virtanen@example.org, Virtanen"


def read(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def build(settings: Settings) -> dict[str, list[float]]:
    """Six cases (one in October) with known acceptance and contact times; the seconds to accept by mentor."""
    clock = Clock(datetime(2026, 10, 14, 9, 0, tzinfo=timezone.utc))
    app = create_frontdoor(settings, clock=clock)
    base = replace(INTAKE, phone=None, conversation_id=None)
    october = app.cases.create_case(replace(base, email="lokakuu@example.org", need="recruitment", municipality="Kotka"))
    clock.now = MONDAY
    plan: list[tuple[dict[str, Any], float | None, float | None]] = [
        # (intake changes, hours to accept, hours to contact)
        ({"email": "a@example.org"}, 2.0, 5.0),
        ({"email": "b@example.org", "need": "staff_training", "municipality": "Kotka", "sector": "ict"}, 4.0, None),
        ({"email": "c@example.org", "need": "staff_training"}, None, None),
        (
            {
                "email": "d@example.org",
                "need": "job_search",
                "customer_type": "individual",
                "organization": None,
                "municipality": "Hamina",
                "sector": None,
            },
            6.0,
            None,
        ),
        ({"email": "e@example.org", "need": "other", "need_text": OTHER_TEXT, "contact_name": "Maija Virtanen"}, None, None),
    ]
    to_accept: dict[str, list[float]] = {}
    for changes, accept_after, contact_after in plan:
        clock.now = MONDAY
        reference = app.cases.create_case(replace(base, **changes)).reference
        shown = app.cases.show_case(reference)
        assert shown is not None
        if accept_after is not None:
            clock.now = MONDAY + timedelta(hours=accept_after)
            app.lifecycle.accept(reference, shown["mentor"])
            to_accept.setdefault(shown["mentor"], []).append(accept_after * 3600)
        if contact_after is not None:
            clock.now = MONDAY + timedelta(hours=contact_after)
            app.lifecycle.contacted(reference, shown["mentor"])
    assert october.reference
    app.engine.dispose()
    return to_accept


def report(settings: Settings, out: Path, *period: str) -> subprocess.CompletedProcess[str]:
    result = run("report", "--out", str(out), "--database-url", settings.database_url, *period, timeout=300)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(params=["sqlite", "postgresql"])
def register(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Settings]:
    """The same register on SQLite and on a real PostgreSQL server: the SQL differs (months, durations)."""
    if request.param == "sqlite":
        yield settings
        return
    with PostgresServer() as pg:
        yield replace(settings, database_url=pg.url)


def test_the_reports_figures_are_exact(register: Settings, tmp_path: Path) -> None:
    settings = register
    to_accept = build(settings)
    out = tmp_path / "report"
    report(settings, out)

    summary = {r["measure"]: r["value"] for r in read(out, "summary")}
    # No --from or --to: the period is the first and the last day with a case.
    assert summary["period"] == "2026-10-14 – 2026-11-23"
    assert "Aikaväli 2026-10-14 – 2026-11-23 · 6 asiaa" in (out / "report.html").read_text(encoding="utf-8")
    assert summary["cases"] == "6" and summary["cases_with_concrete_need"] == "5" and summary["concrete_need_share"] == "0.8333"
    needs = {r["need"]: (r["cases"], r["share"]) for r in read(out, "by_need")}
    assert needs == {
        "staff_training": ("2", "0.3333"),
        "apprenticeship": ("1", "0.1667"),
        "job_search": ("1", "0.1667"),
        "other": ("1", "0.1667"),
        "recruitment": ("1", "0.1667"),
    }
    areas = {r["area"]: r["cases"] for r in read(out, "by_area")}
    assert areas == {"kouvola": "3", "kotka-hamina": "3"}
    assert {r["municipality"]: r["cases"] for r in read(out, "by_municipality")} == {"Kouvola": "3", "Kotka": "2", "Hamina": "1"}
    assert {r["customer_type"]: r["cases"] for r in read(out, "by_customer_type")} == {"employer": "5", "individual": "1"}
    assert [(r["month"], r["cases"]) for r in read(out, "by_month")] == [("2026-10", "1"), ("2026-11", "5")]

    mentors = {r["mentor"]: r for r in read(out, "mentors")}
    for mentor, seconds in to_accept.items():
        assert mentors[mentor]["accepted"] == str(len(seconds))
        assert float(mentors[mentor]["median_hours_to_accept"]) == round(statistics.median(seconds) / 3600, 2)
    assert sum(int(r["received"]) for r in mentors.values()) == 6
    assert sum(int(r["accepted"]) for r in mentors.values()) == 3
    contacted = [r for r in mentors.values() if r["median_hours_to_contact"]]
    assert [float(r["median_hours_to_contact"]) for r in contacted] == [5.0]
    partners = read(out, "partners")
    assert sum(int(r["received"]) for r in partners) == 6 and sum(int(r["accepted"]) for r in partners) == 3

    (unclassified,) = read(out, "unclassified")
    text = unclassified["text"]
    # "Maijalle" is Maija inflected: masked too.
    assert "040" not in text and "example.org" not in text and "Virtanen" not in text and "Maija" not in text
    assert "[puhelin]" in text and "[sähköposti]" in text and "[nimi]" in text and "vuokrata tilan" in text

    # A period: October is left out.
    november = tmp_path / "november"
    report(settings, november, "--from", "2026-11-01", "--to", "2026-11-30")
    november_summary = {r["measure"]: r["value"] for r in read(november, "summary")}
    assert (november_summary["cases"], november_summary["period"]) == ("5", "2026-11-01 – 2026-11-30")


def test_an_open_end_of_the_period_is_its_first_or_last_case(settings: Settings) -> None:
    build(settings)
    app = create_frontdoor(settings)
    builder = ReportBuilder(app.sessions, app.networks.current, app.taxonomy)
    assert builder.build(Period(start=date(2026, 11, 1))).period.label() == "2026-11-01 – 2026-11-23"
    assert builder.build(Period(end=date(2026, 10, 31))).period.label() == "2026-10-14 – 2026-10-31"
    # Nothing in the period: no day to show for an open end.
    assert builder.build(Period(start=date(2027, 1, 1))).period.label() == "2027-01-01 – …"
    app.engine.dispose()


def test_the_html_report_opens_offline_in_chromium(settings: Settings, tmp_path: Path) -> None:
    build(settings)
    out = tmp_path / "report"
    report(settings, out)
    page_file = out / "report.html"
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1000, "height": 1400})
        page.on("request", lambda request: requests.append(request.url))
        page.goto(page_file.as_uri())
        page.wait_for_load_state("networkidle")
        images = page.locator("img")
        assert images.count() == 6
        assert all(page.evaluate("(img) => img.naturalWidth > 0", images.nth(i).element_handle()) for i in range(6))
        assert "Ennakointiraportti" in page.title()
        (PROJECT_ROOT / "reports").mkdir(exist_ok=True)
        page.screenshot(path=str(PROJECT_ROOT / "reports" / "report-screenshot.png"), full_page=True)
        browser.close()
    external = [url for url in requests if not url.startswith(("file:", "data:"))]
    assert not external, external


def test_anonymise_masks_contact_details_and_names() -> None:
    masked = anonymise(
        "Soita Kalle Ruotsalaiselle 050-765 4321 / kalle@firma.fi, hetu 010190-123A, www.firma.fi", "Kalle Ruotsalainen"
    )
    assert masked == "Soita [nimi] Ruotsalaiselle [puhelin] / [sähköposti], hetu [henkilötunnus], [osoite]"


def test_demo_data_is_marked_and_real_cases_still_follow(register: Settings) -> None:
    result = run("demo-data", "--cases", "300", "--database-url", register.database_url, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "300 synthetic cases added" in result.stdout
    app = create_frontdoor(register)
    cases = app.cases.list_cases()
    assert len(cases) == 300
    needs = {c["need"] for c in cases}
    assert {"staff_training", "cooperation", "learning_placement", "job_search"} <= needs
    assert all(c["mentor"] for c in cases)
    shown = app.cases.show_case(cases[0]["reference"])
    assert shown is not None
    assert shown["email"].endswith("@example.invalid") and shown["need_text"].startswith("[demo]")
    assert shown["contact_name"].startswith("Synteettinen") and shown["events"][0]["detail"]["synthetic"] is True
    # A real case after them gets the next id (on PostgreSQL the id sequence was moved on).
    reference = app.cases.create_case(replace(INTAKE, phone=None)).reference
    assert reference.endswith("-00301")
    app.engine.dispose()


def test_the_report_over_20000_demo_cases_has_the_shares_the_unmet_demand_and_the_closed_loop(
    settings: Settings, tmp_path: Path
) -> None:
    """``frontdoor demo-data --cases 20000`` then ``frontdoor report``: the shares CSV and chart, the unmet-demand
    section and the closed-loop figures (about 7 s on the development machine, most of it the demo data)."""
    made = run("demo-data", "--cases", "20000", "--database-url", settings.database_url, timeout=300)
    assert made.returncode == 0, made.stderr
    out = tmp_path / "report"
    written = report(settings, out)
    assert "(20000 cases," in written.stdout

    shares = read(out, "shares")
    assert {"period", "partner", "row", "first_contact_cases", "mentoring_cases", "delivery_cases", "points", "share"} <= set(
        shares[0]
    )
    by_period: dict[str, float] = {}
    for row in shares:
        by_period[row["period"]] = by_period.get(row["period"], 0.0) + float(row["share"])
    assert len(by_period) >= 12 and all(abs(total - 1) < 0.001 for total in by_period.values())
    assert sum(int(r["first_contact_cases"]) for r in shares) > 1000  # demo cases come in through partners' sites too
    assert sum(int(r["delivery_cases"]) for r in shares) > 1000
    page_text = (out / "report.html").read_text(encoding="utf-8")
    assert 'alt="Kumppaneiden osuudet, pisteet' in page_text and "Palvelematon kysyntä kuukausittain" in page_text

    months = read(out, "unmet_by_month")
    assert len(months) >= 12 and all(int(r["unmet"]) <= int(r["cases"]) for r in months)
    assert sum(int(r["declined"]) for r in months) > 0 and sum(int(r["answered_no"]) for r in months) > 0
    assert {r["kind"] for r in read(out, "unmet_trend")} == {
        "no_partner", "declined", "escalated", "not_offered", "answered_no", "unmet"
    }  # fmt: skip
    assert read(out, "unmet_needs") and read(out, "unmet_words")
    assert "Mitä verkosto ei (vielä) palvele" in page_text

    loop = {r["partner"]: r for r in read(out, "closed_loop")}
    network = loop["*"]
    assert network["cases"] == "20000" and 0 < float(network["outcome_share"]) < 1
    assert int(network["asked"]) > int(network["answered"]) > int(network["helped"]) > 0
    assert float(network["median_days_to_contact"]) > 0 and float(network["median_days_to_outcome"]) > 0
    assert sum(int(r["cases"]) for r in read(out, "outcomes")) == 20000
