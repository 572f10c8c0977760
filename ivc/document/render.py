"""Render a document payload to PDF with reportlab: A4, the Region's and ALFA's header, Italian
beside the person's language (right-to-left where needed), any script for names, a QR code with
the verification link, and the signed JSON twin embedded as an attachment.

Rendering is deterministic: fixed metadata (``invariant``, then the issue date as CreationDate),
fonts subset the same way, and the attachment written by pypdf with the issue date as its only time
stamp — the same payload always gives the same bytes. The result is PDF/A-3b (``ivc.document.pdfa``).
Fixed wording comes from ``certificates/texts/<lang>.yaml``.
"""

from __future__ import annotations

import io
import itertools
import json
from datetime import datetime
from functools import lru_cache
from typing import Any

from pypdf import PdfReader, PdfWriter
from reportlab.graphics.barcode import qrencoder
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ivc.document import pdfa, typography, wording
from ivc.document.credentials import verify_link
from ivc.document.typography import BOLD, REGULAR, fonts, is_rtl, markup, visual, wrap_rtl
from ivc.document.wording import texts
from ivc.framework.models import text_in

BLUE = colors.HexColor("#0b4f8a")
GREY = colors.HexColor("#555555")
LIGHT = colors.HexColor("#eef3f8")
ATTACHMENT = "ivc-document.json"
_WIDTH = A4[0] - 36 * mm
# Tables draw plain-string cells (even empty ones) in their own font, Helvetica unless told.
_TABLE_FONT = [("FONTNAME", (0, 0), (-1, -1), REGULAR)]
_PAD = 12  # a table cell's or the page frame's left and right padding together (6 pt each)
_BODY = _WIDTH - _PAD  # what a paragraph of the page body gets
_LABEL_COL, _HEAD_COL = 58 * mm, _WIDTH - 34 * mm
_VALUE_COL = _WIDTH - _LABEL_COL


def second_language(person_language: str) -> str:
    """The person's language if its texts exist, else English."""
    return person_language if person_language != "it" and texts(person_language) else "en"


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=REGULAR, fontSize=9, leading=12.5)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=10, textColor=GREY),
        "h1": ParagraphStyle("h1", parent=base, fontName=BOLD, fontSize=16, leading=20, textColor=BLUE),
        "h1b": ParagraphStyle("h1b", parent=base, fontSize=11.5, leading=15, textColor=GREY),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=BOLD,
            fontSize=11,
            leading=15,
            spaceBefore=9,
            spaceAfter=3,
            textColor=BLUE,
            keepWithNext=1,
        ),
        "bold": ParagraphStyle("bold", parent=base, fontName=BOLD),
    }


def _para(text: Any, style: ParagraphStyle, bold: bool = False, width: float = _BODY) -> list[Flowable]:
    """One paragraph of any script; right-to-left text is broken into lines that fit ``width``
    (the space the paragraph gets), then each line is shaped and set right to left."""
    value = " ".join(str(text).split()) if text is not None else "—"
    if value and is_rtl(value):
        right = ParagraphStyle(f"{style.name}-rtl", parent=style, alignment=TA_RIGHT)
        lines = wrap_rtl(value, width - 2, style.fontSize, bold or style.fontName == BOLD)
        return [Paragraph(markup(line, bold), right) for line in lines]
    return [Paragraph(markup(value, bold), style)]


@lru_cache(maxsize=256)
def _qr_runs(link: str) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """The QR code of ``link`` (error correction M) as runs of dark modules: (row, column, length).
    Choosing the mask is the slow part of encoding; a document prepared again (a reprint, a
    register number taken by someone else first) reuses the same code."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(link)
    code.make()
    runs = []
    for r, row in enumerate(code.modules):
        c = 0
        for dark, group in itertools.groupby(bool(m) for m in row):
            n = len(list(group))
            if dark:
                runs.append((r, c, n))
            c += n
    return code.getModuleCount(), tuple(runs)


class QrFlowable(Flowable):
    """A QR code drawn straight onto the page, one rectangle per run of dark modules."""

    BORDER = 4  # quiet zone, in modules

    def __init__(self, link: str, size: float) -> None:
        super().__init__()
        self.link, self.width, self.height = link, size, size

    def draw(self) -> None:
        count, runs = _qr_runs(self.link)
        box = self.width / (count + 2 * self.BORDER)
        for r, c, n in runs:
            y = self.height - (r + self.BORDER + 1) * box
            self.canv.rect((c + self.BORDER) * box, y, n * box, box * 1.05, stroke=0, fill=1)


def render_pdf(
    payload: dict[str, Any],
    second_lang: str,
    attachment: dict[str, Any] | None = None,
    *,
    sealed: bool = False,
    demo_seal: bool = False,
) -> bytes:
    """The PDF of a document payload, Italian beside ``second_lang``. ``sealed`` says the PDF will
    carry the body's PAdES seal, ``demo_seal`` that the seal is a demo one (the signature block
    says so)."""
    fonts()
    st = _styles()
    doc_type = payload["type"]
    it, other = texts("it"), texts(second_lang) or texts("en")

    def names(key: str) -> tuple[str, str]:
        a = it.get("labels", {}).get(key, key)
        b = other.get("labels", {}).get(key) or texts("en").get("labels", {}).get(key, "")
        return a, b if b != a else ""

    def label(key: str) -> str:
        a, b = names(key)
        return markup(a, True) + (" / " + markup(b, True) if b else "")

    def cell(key: str, value: Any) -> list[Any]:
        a, b = names(key)
        name_cell: list[Flowable] = [Paragraph(markup(a, True), st["small"])]
        if b:
            name_cell += _para(b, st["small"], width=_LABEL_COL - _PAD)
        return [name_cell, _para(value or "—", st["base"], width=_VALUE_COL - _PAD)]

    def line(key: str, value: Any, style: str = "base") -> Paragraph:
        """One labelled line, the label in Italian (the act's language)."""
        return Paragraph(markup(wording.label(key), True) + ": " + markup(value or "—"), st[style])

    def translation(titles: Any, style: str) -> list[Flowable]:
        found = wording.translated(titles, second_lang)
        if found is None:
            return []
        text, lang = found
        return _para(f"{text} ({wording.label('translation', lang)})", st[style])

    def esco_names(item: dict[str, Any]) -> list[Flowable]:
        """The ESCO concepts aligned to ``item`` named in the person's language, as a translation."""
        if second_lang in ("it", "en"):
            return []
        found = [by_lang[second_lang] for by_lang in (item.get("esco_labels") or {}).values() if second_lang in by_lang]
        if not found:
            return []
        return _para(f"ESCO: {'; '.join(found)} ({wording.label('translation', second_lang)})", st["small"])

    title = it.get(doc_type, {}).get("title", doc_type)
    link = verify_link(payload)
    heading: list[Flowable] = [Paragraph(markup(title, True), st["h1"])]
    heading += _para(other.get(doc_type, {}).get("title", ""), st["h1b"], width=_HEAD_COL - _PAD)
    heading += [Spacer(1, 4), *_para(it.get(doc_type, {}).get("legal", ""), st["small"], width=_HEAD_COL - _PAD)]
    heading += _para(other.get(doc_type, {}).get("legal", ""), st["small"], width=_HEAD_COL - _PAD)
    top = Table(
        [[heading, [QrFlowable(link, 30 * mm), Paragraph(markup(payload["verification_code"], True), st["small"])]]],
        colWidths=[_HEAD_COL, 34 * mm],
    )
    top.setStyle(TableStyle([*_TABLE_FONT, ("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 0), (1, 0), "CENTER")]))
    story: list[Flowable] = [top, Spacer(1, 6)]

    holder = payload["holder"]
    name = f"{holder['given_name']} {holder['family_name']}"
    birth = ", ".join(x for x in (wording.day(holder.get("birth_date")), holder.get("birth_place")) if x) or None
    act = payload["ente_titolato"]["authorisation_act"]
    rows = [
        cell("number", payload["number"]),
        cell("issued_on", wording.day(payload["issued_at"])),
        cell("place", payload.get("place")),
        cell("name", name),
    ]
    if holder.get("name_native"):
        rows.append(["", _para(holder["name_native"], st["base"], width=_VALUE_COL - _PAD)])
    rows += [
        cell("birth", birth),
        cell("codice_fiscale", holder.get("codice_fiscale")),
        cell("ente_titolare", payload["ente_titolare"]["name"]),
        cell("ente_titolato", payload["ente_titolato"]["name"]),
        cell("authorisation", f"{act['number']} ({wording.day(act['date'])})"),
    ]
    if payload.get("commission"):
        c = payload["commission"]
        members = c.get("members") or [
            {"name": c[role], "role": role} for role in ("president", "method_expert", "sector_expert")
        ]
        rows.append(cell("commission", "; ".join(f"{wording.code('roles', m['role'])}: {m['name']}" for m in members)))
        rows.append(cell("exam_date", wording.day(payload.get("exam_date"))))
    table = Table(rows, colWidths=[_LABEL_COL, _VALUE_COL])
    table.setStyle(
        TableStyle(
            [
                *_TABLE_FONT,
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#d5dde6")),
                ("BACKGROUND", (0, 0), (0, -1), LIGHT),
            ]
        )
    )
    story.append(table)

    repertory = wording.repertory(payload["framework"])
    for q in payload["qualifications"]:
        story.append(Paragraph(label("qualification"), st["h2"]))
        story += _para(f"{q['code']} — {text_in(q['title'], 'it')}", st["bold"], bold=True)
        story += translation(q["title"], "h1b")
        story += esco_names(q)
        story.append(line("description", text_in(q["description"], "it")))
        story.append(line("repertory", repertory, "small"))
        story.append(line("eqf", q["eqf_level"], "small"))
        for key in ("ateco", "cp_istat"):
            if q.get(key):
                story.append(line(key, ", ".join(q[key]), "small"))
        if q.get("ada"):
            story.append(line("ada", wording.ada(q["ada"]), "small"))

    story.append(Paragraph(label("competences"), st["h2"]))
    for c in payload["competences"]:
        block: list[Flowable] = _para(f"{c['code']} — {text_in(c['title'], 'it')}", st["bold"], bold=True)
        block += translation(c["title"], "base")
        block += esco_names(c)
        learned = "; ".join(
            ", ".join(
                x
                for x in (
                    e.get("what"),
                    e.get("where"),
                    wording.period(e.get("from"), e.get("to")),
                    wording.code("learning_contexts", e.get("learning_context")),
                )
                if x
            )
            for e in c["learned"]
        )
        block.append(Paragraph(label("learned") + ": " + markup(learned or "—"), st["base"]))
        assessed = "; ".join(
            ", ".join(
                x
                for x in (
                    wording.code("methods", a.get("method")),
                    wording.day(a.get("date")),
                    wording.code("outcomes", a.get("outcome")),
                )
                if x
            )
            for a in c["assessed"]
        )
        block.append(Paragraph(label("assessed") + ": " + markup(assessed or "—"), st["base"]))
        refs = [
            f"{wording.label('qualification')}: {c.get('qualification') or '—'}",
            f"{wording.label('repertory')}: {repertory}",
        ]
        if c.get("ada"):
            refs.append(f"{wording.label('ada')}: {wording.ada(c['ada'])}")
        if c.get("esco_skills"):
            refs.append(f"ESCO: {', '.join(u.rsplit('/', 1)[-1][:8] for u in c['esco_skills'])}")
        block.append(Paragraph(markup(" · ".join(refs)), st["small"]))
        story.append(KeepTogether([*block, Spacer(1, 5)]))

    if doc_type == "documento_trasparenza":
        story.append(Paragraph(label("experiences"), st["h2"]))
        for e in payload["experiences"]:
            block = _para(
                ", ".join(x for x in (e["title"], e.get("place"), wording.period(e.get("from"), e.get("to"))) if x),
                st["bold"],
                bold=True,
            )
            context = wording.code("learning_contexts", e.get("learning_context"))
            kind = wording.code("experience_kinds", e.get("kind"))
            block.append(line("learning_context", f"{context} ({kind})" if kind else context))
            block += _para(e.get("text_it") or "", st["base"])
            if e.get("text_original"):
                block += _para(e["text_original"], st["small"])
            story.append(KeepTogether([*block, Spacer(1, 4)]))
        story.append(Paragraph(label("evidence"), st["h2"]))
        if not payload["evidence"]:
            story.append(Paragraph("—", st["small"]))
        for ev in payload["evidence"]:
            kind = wording.code("evidence_types", ev["type"])
            text = f"#{ev['id']} {ev['title']} — {wording.label('evidence_kind')}: {kind} — sha256 {ev['sha256'][:16]}…"
            story.append(Paragraph(markup(text), st["small"]))

    story.append(signature_block(payload, sealed, st, label, demo_seal))

    hint = f"{it.get('labels', {}).get('verify_hint', '')} · {link}"
    titolato = payload["ente_titolato"]["name"]

    def page(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFillColor(BLUE)
        canvas.rect(0, A4[1] - 8 * mm, A4[0], 8 * mm, stroke=0, fill=1)
        canvas.setFont(BOLD, 10)
        canvas.drawString(18 * mm, A4[1] - 16 * mm, payload["ente_titolare"]["name"])
        canvas.setFont(REGULAR, 7.5)
        canvas.setFillColor(GREY)
        canvas.drawString(18 * mm, A4[1] - 19.5 * mm, wording.label("issuer_role"))
        canvas.setFillColor(BLUE)
        canvas.setFont(BOLD, 10)
        canvas.drawRightString(A4[0] - 18 * mm, A4[1] - 16 * mm, titolato)
        canvas.setFont(REGULAR, 7.5)
        canvas.setFillColor(GREY)
        canvas.drawRightString(A4[0] - 18 * mm, A4[1] - 19.5 * mm, wording.label("awarding_role"))
        canvas.setStrokeColor(colors.HexColor("#d5dde6"))
        canvas.line(18 * mm, 14 * mm, A4[0] - 18 * mm, 14 * mm)
        canvas.setFont(REGULAR, 7)
        canvas.drawString(
            18 * mm, 10 * mm, f"{wording.label('number')} {payload['number']} · {payload['verification_code']}"
        )
        canvas.drawString(18 * mm, 6.5 * mm, visual(hint)[:140])
        canvas.drawRightString(
            A4[0] - 18 * mm, 10 * mm, f"{it.get('labels', {}).get('page', 'Pagina')} {document.page}"
        )
        canvas.restoreState()

    buf = io.BytesIO()
    template = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=26 * mm,
        bottomMargin=20 * mm,
        title=title,
        author=payload["ente_titolare"]["name"],
        subject=payload["number"],
        creator="ivc",
        producer="ivc",
        invariant=1,
        initialFontName=REGULAR,  # not reportlab's Helvetica, which would be referenced unembedded
    )
    typography.build(template, story, onFirstPage=page, onLaterPages=page)
    return pdfa.archival(
        buf.getvalue(),
        title=title,
        author=payload["ente_titolare"]["name"],
        subject=payload["number"],
        created=datetime.fromisoformat(payload["issued_at"]),
        attachment=attachment,
        attachment_name=ATTACHMENT,
    )


def signature_block(
    payload: dict[str, Any], sealed: bool, st: dict[str, ParagraphStyle], label: Any, demo_seal: bool = False
) -> Flowable:
    """Place and date, the signatory's name and role for the issuing body, and the note of the
    electronic signature (and of the PAdES seal when the PDF is sealed)."""
    signer = payload.get("signatory") or {"name": payload.get("issued_by"), "role": None}
    role = wording.code("roles", signer.get("role")) if signer.get("role") else ""
    body = payload["ente_titolato"]["name"]
    note = wording.label("signature_sealed" if sealed else "signature_json")
    where_when = f"{payload.get('place') or ''}, {wording.day(payload['issued_at'])}"
    rows = [
        [Paragraph(label("place_date"), st["small"]), _para(where_when, st["base"], width=_VALUE_COL - _PAD)],
        [
            Paragraph(label("signatory"), st["small"]),
            [
                *_para(signer.get("name") or "—", st["bold"], bold=True, width=_VALUE_COL - _PAD),
                *_para(", ".join(x for x in (role, body) if x), st["base"], width=_VALUE_COL - _PAD),
            ],
        ],
    ]
    table = Table(rows, colWidths=[_LABEL_COL, _VALUE_COL])
    table.setStyle(
        TableStyle(
            [
                *_TABLE_FONT,
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEABOVE", (0, 0), (-1, 0), 0.6, BLUE),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#d5dde6")),
            ]
        )
    )
    notes: list[Flowable] = [Paragraph(markup(note), st["small"])]
    if sealed and demo_seal:
        warning = ParagraphStyle("demo", parent=st["bold"], textColor=colors.HexColor("#b00020"))
        notes.append(Paragraph(markup(wording.label("signature_demo"), True), warning))
    return KeepTogether([Spacer(1, 10), table, Spacer(1, 3), *notes])


def attach_json(pdf: bytes, data: dict[str, Any], name: str = ATTACHMENT) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.add_attachment(name, json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def embedded_json(pdf: bytes, name: str = ATTACHMENT) -> dict[str, Any] | None:
    """The JSON twin embedded in an ivc PDF, or None if there is none or it is not JSON."""
    try:
        attachments = PdfReader(io.BytesIO(pdf)).attachments
        blobs = attachments.get(name)
        if not blobs:
            return None
        data = json.loads(blobs[0])
        return data if isinstance(data, dict) else None
    except Exception:  # a damaged PDF has no trustworthy attachment
        return None
