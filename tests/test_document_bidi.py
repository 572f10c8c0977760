"""Right-to-left text as it is drawn on the page: mirrored brackets, numbers left to right, mixed
Italian/Arabic lines, wrapping that keeps the first words on the first line. Read back from the
rendered PDF with poppler's ``pdftotext -bbox`` (each drawn word with its position), not only
checked on strings."""

from __future__ import annotations

import copy
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from sqlmodel import Session

from ivc.case import service as cases
from ivc.case.states import CaseState
from ivc.document.models import IssuedDocument
from ivc.document.render import render_pdf
from ivc.document.typography import has_rtl, visual
from ivc.evidence.storage import get_store

from .helpers import advance_to, staff

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")

RIGHT_EDGE = A4[0] - 18 * mm - 6  # the right margin, less the frame's padding
# A paragraph as a person tells it: brackets, numbers, a date, a law, several lines long.
PARAGRAPH = (
    "عملت طباخة (في مطعم للسمك) في صفاقس من 2010 إلى 2016، وفقًا للمرسوم التشريعي 13/2013 "
    "كنت أنظف السمك وأحضر الكسكسي لـ 120 شخصًا كل يوم، وأشرف على مساعدتين (الملحق 6) "
    "وأتحقق من درجة حرارة الثلاجات مرتين في اليوم وأسجلها في دفتر خاص بالمطبخ. "
    "وفي سنة 2017 تعلمت في دورة تكوينية (40 ساعة) قواعد النظافة وسلامة الأغذية، "
    "وحصلت على شهادة من البلدية رقم 4521 ما زلت أحتفظ بنسخة منها في البيت."
)


@pytest.fixture()
def issued(session: Session) -> dict[str, IssuedDocument]:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.CLOSED)
    session.commit()
    return {d.doc_type: d for d in cases.issued_documents(session, case.id or 0)}


def drawn_lines(pdf: bytes, tmp_path: Path) -> list[list[tuple[float, float, str]]]:
    """Each drawn line of the PDF: its words (xMin, xMax, text) left to right. Words of one line
    may sit a little higher or lower (different fonts): those within 4 pt are one line."""
    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, check=True).stdout
    lines: list[list[tuple[float, float, str]]] = []
    for page in ET.fromstring(out).iter("{http://www.w3.org/1999/xhtml}page"):
        words = sorted(
            ((float(w.attrib["yMax"]), float(w.attrib["xMin"]), float(w.attrib["xMax"]), w.text or ""))
            for w in page.iter("{http://www.w3.org/1999/xhtml}word")
        )
        current: list[tuple[float, float, float, str]] = []
        for word in words:
            if current and word[0] - current[0][0] > 4:
                lines.append(sorted((x0, x1, t) for _, x0, x1, t in current))
                current = []
            current.append(word)
        if current:
            lines.append(sorted((x0, x1, t) for _, x0, x1, t in current))
    return lines


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def test_brackets_are_mirrored_and_numbers_read_left_to_right_on_the_page(
    issued: dict[str, IssuedDocument], tmp_path: Path
) -> None:
    # The validation document's legal line in Arabic: "... 13/2013 ... 2015 (الملحق 6)."
    lines = drawn_lines(get_store().get(issued["documento_validazione"].sha256), tmp_path)
    arabic = [" ".join(w for _, _, w in line) for line in lines if any(has_rtl(w) for _, _, w in line)]
    legal = [text for text in arabic if "2015" in text]
    assert legal, arabic
    for text in legal:
        assert _balanced(text), text  # "(" drawn left of ")" — not ")الملحق 6("
    assert any(text.startswith(".(6 ") for text in legal), legal  # the full stop ends the line on the left
    assert any("13/2013" in text for text in arabic) and not any("3102/31" in text for text in arabic)


def test_a_long_arabic_paragraph_wraps_without_leaving_its_first_word_alone(
    issued: dict[str, IssuedDocument], tmp_path: Path
) -> None:
    doc = issued["documento_trasparenza"]
    payload = copy.deepcopy(doc.payload)
    payload["experiences"][0]["text_original"] = PARAGRAPH
    lines = drawn_lines(render_pdf(payload, "ar"), tmp_path)
    words = PARAGRAPH.split()
    first, last = visual(words[0]), visual(words[-1])
    start = next(i for i, line in enumerate(lines) if line[-1][2] == first)
    paragraph = [lines[start]]
    while last not in " ".join(w for _, _, w in paragraph[-1]):
        paragraph.append(lines[start + len(paragraph)])
    assert len(paragraph) >= 3, paragraph  # it does wrap
    for line in paragraph:
        assert abs(line[-1][1] - RIGHT_EDGE) < 3, line  # set flush right
    for line in paragraph[:-1]:
        assert len(line) >= 4, line  # no line of one or two words before the last
    # The words, read right to left and top to bottom, are the paragraph's own order.
    read = [w for line in paragraph for _, _, w in reversed(line)]
    assert len(read) == len(words)
    assert (read[0] == first and read[-1].endswith(last)) or read[-1].startswith(last[:1])
    text = " ".join(" ".join(w for _, _, w in line) for line in paragraph)
    assert "(6 " in text and "2010" in text and "2016" in text and "13/2013" in text and "120" in text
    for line in paragraph:
        joined = " ".join(w for _, _, w in line)
        if "(" in joined and ")" in joined:
            assert joined.index("(") < joined.index(")"), joined


def test_a_mixed_italian_and_arabic_line_keeps_each_script_in_its_direction(
    issued: dict[str, IssuedDocument], tmp_path: Path
) -> None:
    lines = drawn_lines(get_store().get(issued["documento_validazione"].sha256), tmp_path)
    mixed = next(line for line in lines if [w for _, _, w in line[:2]] == ["Come", "è"] and "acquisita" in str(line))
    words = [w for _, _, w in mixed]
    slash = words.index("/")
    assert words[:slash] == ["Come", "è", "stata", "acquisita"]  # Italian left to right
    # "كيف اكتُسبت" right to left: its last word drawn first (leftmost), after the slash.
    assert words[slash + 1] == visual("اكتُسبت") and words[slash + 2].startswith(visual("كيف"))


def test_visual_order_of_single_lines() -> None:
    assert visual("(الملحق 6)").startswith("(6 ") and visual("(الملحق 6)").endswith(")")
    assert "13/2013" in visual("المرسوم التشريعي 13/2013")
    assert visual("Amina Ben Salah") == "Amina Ben Salah"
    assert visual("«نعم»")[0] == "«" and visual("«نعم»")[-1] == "»"
