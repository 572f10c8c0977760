"""Fonts and text for PDFs in any script: per-character font fallback (Latin, Cyrillic, Arabic,
Bengali, Devanagari, Ethiopic, Chinese…), Arabic shaping and right-to-left ordering.

reportlab draws glyphs in the order given and does not shape, so Arabic text is reshaped into
presentation forms (arabic-reshaper) and put in visual order (python-bidi) line by line, after
the line breaks are chosen on the logical text.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import Any
from xml.sax.saxutils import escape

import arabic_reshaper
from bidi import get_display
from bidi.algorithm import get_display as legacy_display
from bidi.mirror import MIRRORED
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from ivc.config import get_settings

REGULAR = "IVCSans"
BOLD = "IVCSans-Bold"
# Fallbacks in order, tried for any character the main font lacks.
_FALLBACK_FILES = (
    ("IVCArabic", "NotoSansArabic-Regular.ttf"),
    ("IVCBengali", "NotoSansBengali-Regular.ttf"),
    ("IVCDevanagari", "NotoSansDevanagari-Regular.ttf"),
    ("IVCEthiopic", "NotoSansEthiopic-Regular.ttf"),
    ("IVCCJK", "DroidSansFallbackFull.ttf"),
)
# reportlab keeps each embedded font's subsets in the font object, shared by every PDF the process
# builds, and does not lock them: two threads building at once (the UI serves each user in a
# thread) could mix their subsets up and fail with a KeyError. Builds take turns; process
# workers are unaffected, and under the GIL threads would not render in parallel anyway.
_BUILD_LOCK = threading.RLock()  # re-entrant: a build may register the fonts on first use


def build(template: Any, story: list[Any], **kwargs: Any) -> None:
    """``template.build(story, **kwargs)``, one build at a time in this process."""
    with _BUILD_LOCK:
        template.build(story, **kwargs)


_RESHAPER = arabic_reshaper.ArabicReshaper({"delete_harakat": False, "support_ligatures": True})


_coverage: list[dict[str, frozenset[int]]] = []


def fonts() -> dict[str, frozenset[int]]:
    """Register the shipped fonts once; returns each font's character coverage."""
    if _coverage:
        return _coverage[0]
    with _BUILD_LOCK:  # once per process, even when two threads render the first PDF together
        if not _coverage:
            directory = get_settings().certificates_dir / "fonts"
            coverage: dict[str, frozenset[int]] = {}
            for name, file in ((REGULAR, "DejaVuSans.ttf"), (BOLD, "DejaVuSans-Bold.ttf"), *_FALLBACK_FILES):
                font = TTFont(name, str(directory / file))
                pdfmetrics.registerFont(font)
                coverage[name] = frozenset(font.face.charToGlyph)
            _coverage.append(coverage)
    return _coverage[0]


def _font_for(ch: str, main: str) -> str:
    cover = fonts()
    if ord(ch) in cover[main] or ch.isspace() or unicodedata.category(ch).startswith("C"):
        return main
    for name, _ in _FALLBACK_FILES:
        if ord(ch) in cover[name]:
            return name
    return main


def is_rtl(text: str) -> bool:
    strong = [unicodedata.bidirectional(ch) for ch in text if unicodedata.bidirectional(ch) in ("L", "R", "AL")]
    return bool(strong) and sum(1 for b in strong if b in ("R", "AL")) > len(strong) / 2


def has_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


_LEVELS = re.compile(r"levels:\s*\[(.*?)\]", re.S)
_LEVEL = re.compile(r"Level\(\s*(\d+)")


def levels(text: str, base: str) -> list[int] | None:
    """The resolved embedding level of each character of one line (Unicode Bidirectional
    Algorithm, paired brackets included), from python-bidi's Rust implementation — which reports
    them per UTF-8 byte in its debug output. None if that output cannot be read."""
    info = str(get_display(text, base_dir=base, debug=True))
    found = _LEVELS.search(info)
    if found is None:
        return None
    per_byte = [int(x) for x in _LEVEL.findall(found.group(1))]
    out: list[int] = []
    offset = 0
    for ch in text:
        if offset >= len(per_byte):
            return None
        out.append(per_byte[offset])
        offset += len(ch.encode("utf-8"))
    return out if offset == len(per_byte) else None


def reorder(text: str, line_levels: list[int]) -> str:
    """Rules L3–L4 and L2 of the UBA for one line: mirror characters at right-to-left levels
    (brackets, «», < >…), then reverse each run at or above every odd level, highest first."""
    chars = [MIRRORED.get(ch, ch) if level % 2 else ch for ch, level in zip(text, line_levels, strict=True)]
    lv = list(line_levels)
    odd = [level for level in lv if level % 2]
    if not odd:
        return "".join(chars)
    for level in range(max(lv), min(odd) - 1, -1):
        i = 0
        while i < len(lv):
            if lv[i] < level:
                i += 1
                continue
            j = i
            while j < len(lv) and lv[j] >= level:
                j += 1
            chars[i:j], lv[i:j] = chars[i:j][::-1], lv[i:j][::-1]
            i = j
    return "".join(chars)


def visual(text: str) -> str:
    """Shape Arabic letters and put one line in display order, brackets mirrored where they are
    set right to left (no-op for left-to-right text). python-bidi's reordering does not mirror,
    so the levels it resolves are applied here (``reorder``)."""
    if not has_rtl(text):
        return text
    shaped = _RESHAPER.reshape(text)
    base = "R" if is_rtl(text) else "L"
    line_levels = levels(shaped, base)
    if line_levels is None:  # an unreadable debug format: the pure-Python algorithm (no paired brackets)
        return str(legacy_display(shaped, base_dir=base))
    return reorder(shaped, line_levels)


def markup(text: object, bold: bool = False) -> str:
    """Paragraph markup for one line of any script: escaped, shaped, with font fallbacks."""
    value = visual(" ".join(str(text).split())) if text is not None else "—"
    main = BOLD if bold else REGULAR
    out: list[str] = []
    current, run = main, ""
    for ch in value:
        font = _font_for(ch, main)
        if font != current and run:
            out.append(run if current == main else f'<font name="{current}">{run}</font>')
            run = ""
        current = font
        run += escape(ch)
    if run:
        out.append(run if current == main else f'<font name="{current}">{run}</font>')
    return "".join(out) or "—"


def width_of(text: str, size: float, bold: bool = False) -> float:
    """The drawn width of one line as ``markup`` sets it: shaped, each character in the font that
    has it (the main font or a fallback)."""
    fonts()
    main = BOLD if bold else REGULAR
    return sum(pdfmetrics.stringWidth(ch, _font_for(ch, main), size) for ch in _RESHAPER.reshape(text))


def wrap_rtl(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """Break right-to-left text into lines that fit ``width`` (measured shaped, in the fonts that
    will draw it), in logical order, so that each line is set whole: the paragraph must not wrap a
    line again, or the words it pushes down would be the line's first, left alone below."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and width_of(candidate, size, bold) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines
