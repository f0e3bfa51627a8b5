"""The foresight report's files: one self-contained ``report.html`` (charts as embedded PNG, no
external requests) and a CSV file per table, written from a :class:`bot.insight.report.Report`."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from pathlib import Path

from bot.insight.report import Report, Table
from bot.insight.tables import write_csv

SHARE_ROLES = ("first_contact", "mentoring", "delivery", "upkeep")
ROLE_NAMES = {"first_contact": "ensikontakti", "mentoring": "mentorointi", "delivery": "toteutus", "upkeep": "ylläpito"}
PART_COLOURS = ("#0b3d91", "#3f7fbf", "#f2a900", "#7a7a7a")


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


def _stacked_chart(title: str, labels: Sequence[str], series: dict[str, list[float]]) -> bytes:
    """Horizontal bars made of parts (e.g. points by role), a legend naming the parts."""
    import matplotlib  # noqa: PLC0415 - loaded only when a report is drawn

    matplotlib.use("Agg")
    from matplotlib import pyplot  # noqa: PLC0415

    figure, axes = pyplot.subplots(figsize=(8, max(2.5, 0.5 * len(labels) + 1.5)))
    try:
        positions = list(range(len(labels)))
        left = [0.0] * len(labels)
        for (name, values), colour in zip(series.items(), PART_COLOURS, strict=False):
            shown = [max(0.0, v) for v in values][::-1]
            axes.barh(positions, shown, left=left[::-1], color=colour, label=name)
            left = [a + b for a, b in zip(left, shown[::-1], strict=True)]
        for y, total in enumerate(left[::-1]):
            axes.text(total, y, f" {total:g}", va="center", fontsize=9)
        axes.set_yticks(positions, list(labels)[::-1])
        axes.margins(x=0.12)
        axes.legend(loc="lower right", fontsize=8, frameon=False)
        axes.set_title(title)
        axes.spines[["top", "right"]].set_visible(False)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()
    finally:
        pyplot.close(figure)


def _shares_chart(report: Report) -> tuple[str, bytes]:
    """Each partner's points over the report's periods, by role (adjustments included in their role)."""
    table = report.table("shares")
    column = {name: i for i, name in enumerate(table.columns)}
    partners: dict[str, str] = {}
    points: dict[str, dict[str, float]] = {}
    for row in table.rows:
        partners[row[column["partner"]]] = str(row[column["name"]])
        own = points.setdefault(row[column["partner"]], dict.fromkeys(SHARE_ROLES, 0.0))
        for role in SHARE_ROLES:
            own[role] += float(row[column[f"{role}_points"]])
    title = (
        f"Kumppaneiden osuudet, pisteet ({report.shares[0].span.label} – {report.shares[-1].span.label})"
        if report.shares
        else "Kumppaneiden osuudet, pisteet"
    )
    series = {ROLE_NAMES[role]: [round(points[p][role], 2) for p in partners] for role in SHARE_ROLES}
    return title, _stacked_chart(title, list(partners.values()), series)


def draw(report: Report) -> None:
    """The charts: needs, areas (like the seed's "employers contacted by area"), months, partners, their
    shares, and what the network does not serve, month by month."""
    need = report.table("by_need")
    area = report.table("by_area")
    month = report.table("by_month")
    partners = report.table("partners")
    unmet = report.table("unmet_by_month")
    unmet_column = unmet.columns.index("unmet")
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
        _shares_chart(report),
        (
            "Palvelematon kysyntä kuukausittain",
            _bar_chart(
                "Palvelematon kysyntä kuukausittain (asiat)",
                [r[0] for r in unmet.rows],
                [r[unmet_column] for r in unmet.rows],
                horizontal=False,
            ),
        ),
    ]


def write(report: Report, folder: Path) -> Path:
    """``report.html`` and one CSV per table into ``folder``; returns the HTML file."""
    folder.mkdir(parents=True, exist_ok=True)
    for table in report.tables:
        with (folder / f"{table.name}.csv").open("w", encoding="utf-8", newline="") as out:
            write_csv(out, table)
    page = folder / "report.html"
    page.write_text(render_html(report), encoding="utf-8")
    return page


# The report's sections: the table each begins with, its heading and what it says.
SECTIONS = {
    "summary": ("Kysyntä ja työ", "Mitä asiakkaat tarvitsivat, mistä, ja kuka asiat otti."),
    "closed_loop": (
        "Silmukan sulkeminen",
        "Mitä asioista seurasi, vastasivatko kysytyt asiakkaat ja saivatko he apua (kyllä tai osittain), ja montako päivää "
        "asian tulosta kului yhteydenottoon ja tulokseen; kumppani on se, jolla asia oli viimeksi.",
    ),
    "shares": (
        "Kumppaneiden osuudet",
        "Pisteet verkostotiedoston compensation-osiosta: ensikontakti, mentorointi, toteutus ja ylläpito kausittain. "
        "Suljetun kauden luvut ovat sellaiset kuin ne suljettaessa olivat; myöhempi korjaus näkyy oikaisurivinä (row = "
        "adjustment) kaudella, jona korjaus tehtiin. Sama taulukko on tiedostossa shares.csv.",
    ),
    "unmet_by_month": (
        "Mitä verkosto ei (vielä) palvele",
        "Asiat, joita mikään kumppani ei voinut ottaa, joista mentori kieltäytyi, joita ei hyväksytty ajoissa, joiden tulos "
        'oli "verkosto ei tarjoa" tai joiden asiakas vastasi, ettei saanut apua; kukin kerran asiaa kohden, asian '
        "kuukaudella. Sanat on anonymisoitu.",
    ),
}
STYLE = (
    "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem 1.5rem;color:#1b1b1b}"
    "table{border-collapse:collapse;margin:0 0 1.5rem}th,td{border:1px solid #c4c9d1;padding:.25rem .5rem;text-align:left}"
    "td.n{text-align:right}img{max-width:100%;height:auto}h1,h2{color:#0b3d91}.wrap{overflow-x:auto}</style>"
)


def _table_html(table: Table) -> list[str]:
    e = html.escape
    parts = [f'<h3>{e(table.title)}</h3><div class="wrap"><table><thead><tr>']
    parts += [f'<th scope="col">{e(c)}</th>' for c in table.columns]
    parts.append("</tr></thead><tbody>")
    for row in table.rows:
        cells = "".join(f'<td class="n">{e(str(v))}</td>' if isinstance(v, int | float) else f"<td>{e(str(v))}</td>" for v in row)
        parts.append(f"<tr>{cells}</tr>")
    parts.append("</tbody></table></div>")
    return parts


def render_html(report: Report) -> str:
    e = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="fi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Ennakointiraportti – {e(report.network)}</title>",
        f"{STYLE}</head><body><main>",
        f"<h1>Ennakointiraportti: {e(report.network)}</h1>",
        f"<p>Aikaväli {e(report.period.label())} · {report.total} asiaa. Luvut ovat etuoven kirjaamista asioista; "
        "CSV-tiedostot ovat raportin vieressä.</p>",
    ]
    for title, png in report.charts:
        data = base64.b64encode(png).decode()
        parts.append(f'<figure><img src="data:image/png;base64,{data}" alt="{e(title)} (luvut taulukossa alla)"></figure>')
    for table in report.tables:
        if table.name in SECTIONS:
            heading, intro = SECTIONS[table.name]
            parts.append(f"<h2>{e(heading)}</h2><p>{e(intro)}</p>")
        parts += _table_html(table)
    parts.append("</main></body></html>")
    return "\n".join(parts)
