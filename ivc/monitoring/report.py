"""The monthly monitoring report (PDF): indicators with small cells suppressed, the funnel as a
chart, median days per phase. No person appears in it."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ivc.document import typography
from ivc.document.typography import BOLD, REGULAR, fonts, markup
from ivc.monitoring.service import suppress


def month_bounds(month: str) -> tuple[date, date]:
    year, mon = (int(x) for x in month.split("-"))
    start = date(year, mon, 1)
    end = date(year + (mon == 12), mon % 12 + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def render(figures: dict[str, Any], month: str) -> bytes:
    fonts()
    base = ParagraphStyle("b", fontName=REGULAR, fontSize=9, leading=12)
    h1 = ParagraphStyle("h1", fontName=BOLD, fontSize=15, leading=19, textColor=colors.HexColor("#0b4f8a"))
    h2 = ParagraphStyle("h2", fontName=BOLD, fontSize=11, leading=15, spaceBefore=8)
    story: list[Any] = [
        Paragraph(markup(f"Monitoraggio del servizio IVC — {month}", True), h1),
        Paragraph(markup(f"Persone nel periodo: {suppress(figures['people'])}. Celle sotto 5 soppresse."), base),
        Paragraph(markup("Indicatori", True), h2),
    ]
    rows = [[Paragraph(markup(x, True), base) for x in ("Codice", "Indicatore", "Totale")]]
    rows += [
        [
            Paragraph(markup(i["code"]), base),
            Paragraph(markup(i["label"]["it"]), base),
            Paragraph(markup(suppress(i["total"]) if i.get("unit", "people") == "people" else str(i["total"])), base),
        ]
        for i in figures["indicators"]
    ]
    table = Table(rows, colWidths=[45 * mm, 105 * mm, 20 * mm])
    table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc"))]))
    story += [table, Paragraph(markup("Persone per fase (imbuto)", True), h2)]
    funnel = figures["funnel"]
    drawing = Drawing(170 * mm, 70 * mm)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 45 * mm, 5 * mm, 120 * mm, 60 * mm
    # Small counts are drawn as 0 so a chart never shows a cell the tables suppress.
    chart.data = [[v if v >= 5 else 0 for v in reversed(list(funnel.values()))]]
    chart.categoryAxis.categoryNames = list(reversed(list(funnel)))
    chart.categoryAxis.labels.fontName = REGULAR
    chart.valueAxis.labels.fontName = REGULAR
    chart.bars[0].fillColor = colors.HexColor("#0b4f8a")
    drawing.add(chart)
    story += [drawing, Spacer(1, 4), Paragraph(markup("Giorni mediani per fase", True), h2)]
    story += [Paragraph(markup(f"{k}: {v}"), base) for k, v in figures["median_days"].items()]
    buf = io.BytesIO()
    typography.build(SimpleDocTemplate(buf, pagesize=A4, invariant=1, title=f"Monitoraggio IVC {month}"), story)
    return buf.getvalue()
