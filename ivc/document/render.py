"""Render a document payload to PDF with reportlab: A4, Italian beside a second language,
fonts embedded, fixed metadata so the same payload always gives the same bytes.

Layouts and fixed wording come from ``certificates/texts/<lang>.yaml``.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import yaml
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ivc.config import get_settings
from ivc.framework.models import text_in

_FONT = "IVCSans"
_FONT_BOLD = "IVCSans-Bold"


@lru_cache(maxsize=1)
def _register_fonts() -> None:
    fonts = get_settings().certificates_dir / "fonts"
    pdfmetrics.registerFont(TTFont(_FONT, str(fonts / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(_FONT_BOLD, str(fonts / "DejaVuSans-Bold.ttf")))


@lru_cache(maxsize=16)
def texts(lang: str) -> dict[str, Any]:
    path: Path = get_settings().certificates_dir / "texts" / f"{lang}.yaml"
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def second_language(person_language: str) -> str:
    """The person's language if its texts exist, else English."""
    return person_language if person_language != "it" and texts(person_language) else "en"


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=_FONT, fontSize=9, leading=12)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=10, textColor=colors.HexColor("#444444")),
        "h1": ParagraphStyle("h1", parent=base, fontName=_FONT_BOLD, fontSize=15, leading=19, spaceAfter=2),
        "h1b": ParagraphStyle("h1b", parent=base, fontSize=11, leading=14, textColor=colors.HexColor("#555555")),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=_FONT_BOLD,
            fontSize=11,
            leading=15,
            spaceBefore=8,
            spaceAfter=4,
            textColor=colors.HexColor("#0b4f8a"),
        ),
        "bold": ParagraphStyle("bold", parent=base, fontName=_FONT_BOLD),
    }


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text if text is not None else "—")).replace("\n", "<br/>"), style)


def render_pdf(payload: dict[str, Any], second_lang: str) -> bytes:
    _register_fonts()
    st = _styles()
    doc_type = payload["type"]
    it, other = texts("it"), texts(second_lang) or texts("en")

    def label(key: str) -> str:
        a, b = it.get("labels", {}).get(key, key), other.get("labels", {}).get(key, "")
        return f"{a} / {b}" if b and b != a else a

    buf = io.BytesIO()
    title = it.get(doc_type, {}).get("title", doc_type)
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=26 * mm,
        bottomMargin=18 * mm,
        title=title,
        author=payload["ente_titolare"]["name"],
        subject=payload["number"],
        creator="ivc",
        producer="ivc",
        invariant=1,
    )
    story: list[Any] = [
        _p(title, st["h1"]),
        _p(other.get(doc_type, {}).get("title", ""), st["h1b"]),
        Spacer(1, 4),
        _p(it.get(doc_type, {}).get("legal", ""), st["small"]),
        _p(other.get(doc_type, {}).get("legal", ""), st["small"]),
        Spacer(1, 6),
    ]
    holder = payload["holder"]
    name = f"{holder['given_name']} {holder['family_name']}"
    if holder.get("name_native"):
        name += f" ({holder['name_native']})"
    birth = ", ".join(x for x in (holder.get("birth_date"), holder.get("birth_place")) if x) or None
    act = payload["ente_titolato"]["authorisation_act"]
    rows = [
        [_p(label("number"), st["bold"]), _p(payload["number"], st["base"])],
        [
            _p(label("issued_on"), st["bold"]),
            _p(f"{payload['issued_at'][:10]} — {payload.get('place') or ''}", st["base"]),
        ],
        [_p(label("name"), st["bold"]), _p(name, st["base"])],
        [_p(label("birth"), st["bold"]), _p(birth, st["base"])],
        [_p(label("codice_fiscale"), st["bold"]), _p(holder.get("codice_fiscale"), st["base"])],
        [_p(label("ente_titolare"), st["bold"]), _p(payload["ente_titolare"]["name"], st["base"])],
        [_p(label("ente_titolato"), st["bold"]), _p(payload["ente_titolato"]["name"], st["base"])],
        [
            _p(label("authorisation"), st["bold"]),
            _p(f"{act['number']} ({act['date']})", st["base"]),
        ],
        [_p(label("verification"), st["bold"]), _p(payload["verification_code"], st["bold"])],
    ]
    if payload.get("commission"):
        c = payload["commission"]
        rows.append(
            [
                _p(label("commission"), st["bold"]),
                _p(f"{c['president']}; {c['method_expert']}; {c['sector_expert']}", st["base"]),
            ]
        )
        rows.append([_p(label("exam_date"), st["bold"]), _p(payload.get("exam_date"), st["base"])])
    table = Table(rows, colWidths=[55 * mm, 119 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc")),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f6fa")),
            ]
        )
    )
    story.append(table)

    for q in payload["qualifications"]:
        story.append(_p(f"{label('qualification')}: {q['code']} — {text_in(q['title'], 'it')}", st["h2"]))
        if second_lang != "it":
            story.append(_p(text_in(q["title"], second_lang, "en"), st["h1b"]))
        story.append(_p(text_in(q["description"], "it"), st["base"]))
        refs = [
            f"{label('repertory')}: {payload['framework']['code']} {payload['framework']['version']}",
            f"{label('eqf')}: {q['eqf_level']}",
        ]
        if q.get("ateco"):
            refs.append(f"{label('ateco')}: {', '.join(q['ateco'])}")
        if q.get("cp_istat"):
            refs.append(f"{label('cp_istat')}: {', '.join(q['cp_istat'])}")
        if q.get("ada"):
            refs.append(f"{label('ada')}: {', '.join(q['ada'])}")
        story.append(_p(" · ".join(refs), st["small"]))

    story.append(_p(label("competences"), st["h2"]))
    for c in payload["competences"]:
        line = f"{c['code']} — {text_in(c['title'], 'it')}"
        if second_lang != "it":
            line += f" / {text_in(c['title'], second_lang, 'en')}"
        story.append(_p(line, st["bold"]))
        learned = "; ".join(
            f"{x['what']} ({x.get('where') or ''} {x.get('from') or ''}–{x.get('to') or ''})" for x in c["learned"]
        )
        story.append(_p(f"{label('learned')}: {learned or '—'}", st["base"]))
        assessed = "; ".join(
            f"{a['method']} {a.get('date') or ''} {a.get('outcome') or ''}".strip() for a in c["assessed"]
        )
        story.append(_p(f"{label('assessed')}: {assessed or '—'}", st["base"]))
        refs = []
        if c.get("ada"):
            refs.append(f"{label('ada')}: {', '.join(c['ada'])}")
        if c.get("esco_skills"):
            refs.append(f"{label('esco')}: {', '.join(u.rsplit('/', 1)[-1][:8] for u in c['esco_skills'])}")
        if refs:
            story.append(_p(" · ".join(refs), st["small"]))
        story.append(Spacer(1, 4))

    if payload["type"] == "documento_trasparenza":
        story.append(_p(label("experiences"), st["h2"]))
        for e in payload["experiences"]:
            story.append(
                _p(f"{e['title']} — {e.get('place') or ''} ({e.get('from') or ''}–{e.get('to') or ''})", st["bold"])
            )
            story.append(_p(e.get("text_it") or "", st["base"]))
        story.append(_p(label("evidence"), st["h2"]))
        for ev in payload["evidence"]:
            story.append(_p(f"#{ev['id']} {ev['title']} ({ev['type']}) sha256 {ev['sha256'][:16]}…", st["small"]))

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(_FONT_BOLD, 9)
        canvas.setFillColor(colors.HexColor("#0b4f8a"))
        canvas.drawString(18 * mm, A4[1] - 14 * mm, payload["ente_titolare"]["name"])
        canvas.setFont(_FONT, 8)
        canvas.drawRightString(A4[0] - 18 * mm, A4[1] - 14 * mm, "ALFA Liguria")
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawString(18 * mm, 10 * mm, f"{payload['number']} · {payload['verification_code']}")
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"{label('page')} {document.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
