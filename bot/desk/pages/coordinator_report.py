"""``/desk/report``: the foresight report for a period, as tables in the page and its CSV files to download;
closing a period of the partners' shares.

The report is :class:`bot.insight.report.ReportBuilder`'s, the one
``frontdoor report`` writes (the partners' shares and the closed-loop figures
among its tables); the CSV files are the same tables, made in memory and sent
as attachments. Days are UTC days of the cases' creation, both ends included;
with no days given the page shows the last 365 days.

Closing a period takes two steps, like erasing: the first POST shows the
period's figures as they would be kept and asks to confirm; the second closes
it with :meth:`bot.insight.shares.Shares.close_period`.
"""

from __future__ import annotations

import asyncio
import io
from datetime import date, timedelta
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.desk.access import SignedIn
from bot.desk.rendering import Desk, back_to, checked_form, coordinator, desk_of, page
from bot.insight.closedloop import NETWORK_ROW
from bot.insight.periods import Span
from bot.insight.report import Period, Report, ReportBuilder
from bot.insight.shares import CannotClose, PeriodShares, Shares, shares_table
from bot.insight.tables import write_csv

# What the page shows when no days are asked for.
DEFAULT_DAYS = 365


class BadPeriod(ValueError):
    """The days asked for are not a period; the value is the text key saying why."""


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadPeriod("coord_report_bad_date") from None


def asked_period(request: Request, today: date) -> Period:
    """The period of ``?from=&to=``; neither given: the last :data:`DEFAULT_DAYS` days; one empty: open at that end."""
    query = request.query_params
    if "from" not in query and "to" not in query:
        return Period(today - timedelta(days=DEFAULT_DAYS - 1), today)
    period = Period(_day(query.get("from")), _day(query.get("to")))
    if period.start and period.end and period.start > period.end:
        raise BadPeriod("coord_report_backwards")
    return period


def _build(desk: Desk, period: Period) -> Report:
    frontdoor = desk.frontdoor
    return ReportBuilder(frontdoor.sessions, frontdoor.networks.current, frontdoor.taxonomy, frontdoor.lemmatizer).build(period)


def _shares(desk: Desk) -> Shares:
    frontdoor = desk.frontdoor
    return Shares(frontdoor.sessions, frontdoor.networks.current, frontdoor.clock)


def _loop(report: Report) -> dict[str, Any] | None:
    """The whole network's closed-loop figures (the ``*`` row of ``closed_loop``), by column."""
    table = report.table("closed_loop")
    row = next((r for r in table.rows if r[0] == NETWORK_ROW), None)
    return dict(zip(table.columns, row, strict=True)) if row else None


def _build_page(desk: Desk, period: Period) -> tuple[Report, list[Span]]:
    return _build(desk, period), _shares(desk).closable()


def _today(desk: Desk) -> date:
    return desk.frontdoor.clock().date()  # UTC, as the report's days are


async def report_page(request: Request) -> Response:
    """``GET /desk/report?from=YYYY-MM-DD&to=YYYY-MM-DD``."""
    signed = await coordinator(request)
    desk = desk_of(request)
    try:
        period = asked_period(request, _today(desk))
    except BadPeriod as bad:
        query = request.query_params
        return page(
            request,
            "coord_report.html",
            signed,
            status_code=400,
            error=str(bad),
            report=None,
            start=query.get("from", ""),
            end=query.get("to", ""),
            days="",
        )
    report, closable = await asyncio.to_thread(_build_page, desk, period)
    start, end = (period.start.isoformat() if period.start else ""), (period.end.isoformat() if period.end else "")
    return page(
        request,
        "coord_report.html",
        signed,
        error=None,
        report=report,
        start=start,
        end=end,
        days=f"from={start}&to={end}",
        closable=closable,
        figures=_loop(report),
    )


def _confirm_page(request: Request, signed: SignedIn, figures: PeriodShares, start: str, end: str) -> Response:
    """What closing would keep: each partner's points and share of the period, and the button that closes it."""
    table = shares_table([figures], desk_of(request).frontdoor.network)
    column = {name: i for i, name in enumerate(table.columns)}
    rows = [[r[column[c]] for c in ("name", "row", "corrects", "points", "share")] for r in table.rows]
    return page(
        request, "coord_report.html", signed, error=None, report=None, start=start, end=end, days="", confirm=figures, rows=rows
    )


async def close_period(request: Request) -> Response:
    """``POST /desk/report/close``: without ``confirm``, the period's figures to check; with it, close the period."""
    signed = await coordinator(request)
    form = await checked_form(request, signed)
    desk = desk_of(request)
    shares = _shares(desk)
    start, end = str(form.get("from") or ""), str(form.get("to") or "")
    days = {key: value for key, value in (("from", start), ("to", end)) if value}
    try:
        starts = date.fromisoformat(str(form.get("starts") or ""))
    except ValueError:
        return back_to("/desk/report", "coord_said_period_not_a_period", **days)
    span = await asyncio.to_thread(shares.closing_span, starts)
    if span is None:
        return back_to("/desk/report", "coord_said_period_not_a_period", **days)
    if form.get("confirm") != "yes":
        return _confirm_page(request, signed, await asyncio.to_thread(shares.figures, span), start, end)
    try:
        await asyncio.to_thread(shares.close_period, starts, span.ends, signed.person.id)
    except CannotClose as refused:
        return back_to("/desk/report", f"coord_said_period_{refused.reason}", **days)
    return back_to("/desk/report", "coord_said_period_closed", **days)


def csv_text(report: Report, name: str) -> str:
    """One table of the report as ``frontdoor report`` writes it: a header row, then the rows."""
    table = next((t for t in report.tables if t.name == name), None)
    if table is None:
        raise HTTPException(404)
    out = io.StringIO()
    write_csv(out, table)
    return out.getvalue()


async def report_csv(request: Request) -> Response:
    """``GET /desk/report/{name}.csv?from=&to=``: one of the report's CSV files, as a download."""
    await coordinator(request)
    desk = desk_of(request)
    name = request.path_params["name"]
    try:
        period = asked_period(request, _today(desk))
    except BadPeriod:
        raise HTTPException(400) from None
    report = await asyncio.to_thread(_build, desk, period)
    days = "-".join(d.isoformat() for d in (report.period.start, report.period.end) if d)
    filename = f"{name}-{days}.csv" if days else f"{name}.csv"
    return Response(
        csv_text(report, name),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


routes: list[BaseRoute] = [
    Route("/desk/report", report_page, methods=["GET"]),
    Route("/desk/report/{name}.csv", report_csv, methods=["GET"]),
    Route("/desk/report/close", close_period, methods=["POST"]),
]
