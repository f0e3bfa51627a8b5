"""The foresight report's files: one self-contained ``report.html`` (charts as embedded PNG, no
external requests) and a CSV file per table, written from a :class:`bot.insight.report.Report`."""

from __future__ import annotations

import base64
import csv
import html
import io
from collections.abc import Sequence
from pathlib import Path

from bot.insight.report import Report


def _bar_chart(title: str, labels: Sequence[str], values: Sequence[float], *, horizontal: bool = True) -> bytes:
    import matplotlib  # noqa: PLC0415 - loaded only when a report is drawn

    matplotlib.use("Agg")
    from matplotlib import pyplot  # noqa: PLC0415

    figure, axes = pyplot.subplots(figsize=(8, max(2.5, 0.45 * len(labels) + 1)) if horizontal else (9, 4))
    try:
        if horizontal:
            positions = list(range(len(labels)))
            axes.barh(positions, list(values)[::-1], color="#0b3d91")
            axes.set_yticks(positions, list(labels)[::-1])
            for y, value in enumerate(list(values)[::-1]):
                axes.text(value, y, f" {value:g}", va="center", fontsize=9)
        else:
            positions = list(range(len(labels)))
            axes.bar(positions, list(values), color="#0b3d91")
            axes.set_xticks(positions, list(labels), rotation=45, ha="right")
        axes.set_title(title)
        axes.spines[["top", "right"]].set_visible(False)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()
    finally:
        pyplot.close(figure)


def draw(report: Report) -> None:
    """The charts: needs, areas (like the seed's "employers contacted by area"), months, partners."""
    need = report.table("by_need")
    area = report.table("by_area")
    month = report.table("by_month")
    partners = report.table("partners")
    report.charts = [
        (
            "Asiat tarpeittain (%)",
            _bar_chart("Asiat tarpeittain (%)", [r[1] for r in need.rows], [round(r[3] * 100, 1) for r in need.rows]),
        ),
        ("Asiat alueittain", _bar_chart("Asiat alueittain", [str(r[1]) for r in area.rows], [r[2] for r in area.rows])),
        (
            "Asiat kuukausittain",
            _bar_chart("Asiat kuukausittain", [r[0] for r in month.rows], [r[1] for r in month.rows], horizontal=False),
        ),
        (
            "Kumppaneiden vastaanottamat asiat",
            _bar_chart("Kumppaneiden vastaanottamat asiat", [r[1] for r in partners.rows], [r[2] for r in partners.rows]),
        ),
    ]


def write(report: Report, folder: Path) -> Path:
    """``report.html`` and one CSV per table into ``folder``; returns the HTML file."""
    folder.mkdir(parents=True, exist_ok=True)
    for table in report.tables:
        with (folder / f"{table.name}.csv").open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(table.columns)
            writer.writerows(table.rows)
    page = folder / "report.html"
    page.write_text(render_html(report), encoding="utf-8")
    return page


def render_html(report: Report) -> str:
    e = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="fi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Ennakointiraportti – {e(report.network)}</title>",
        "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem 1.5rem;color:#1b1b1b}"
        "table{border-collapse:collapse;margin:0 0 1.5rem}th,td{border:1px solid #c4c9d1;padding:.25rem .5rem;text-align:left}"
        "td.n{text-align:right}img{max-width:100%;height:auto}h1{color:#0b3d91}</style></head><body><main>",
        f"<h1>Ennakointiraportti: {e(report.network)}</h1>",
        f"<p>Aikaväli {e(report.period.label())} · {report.total} asiaa. Luvut ovat etuoven kirjaamista asioista; "
        "CSV-tiedostot ovat raportin vieressä.</p>",
    ]
    for title, png in report.charts:
        data = base64.b64encode(png).decode()
        parts.append(f'<figure><img src="data:image/png;base64,{data}" alt="{e(title)} (luvut taulukossa alla)"></figure>')
    for table in report.tables:
        parts.append(f"<h2>{e(table.title)}</h2><table><thead><tr>")
        parts += [f'<th scope="col">{e(c)}</th>' for c in table.columns]
        parts.append("</tr></thead><tbody>")
        for row in table.rows:
            cells = "".join(
                f'<td class="n">{e(str(v))}</td>' if isinstance(v, int | float) else f"<td>{e(str(v))}</td>" for v in row
            )
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</tbody></table>")
    parts.append("</main></body></html>")
    return "\n".join(parts)
