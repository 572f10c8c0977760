"""Text helpers shared by search and matching: one folding rule for every language."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+", re.UNICODE)
# Arabic tatweel and the Arabic letter forms that people type interchangeably.
_ARABIC = str.maketrans({"\u0640": None, "أ": "ا", "إ": "ا", "آ": "ا", "ة": "ه", "ى": "ي"})


def fold(text: str) -> str:
    """Case- and accent-insensitive form: NFKD, combining marks (and Arabic vowel marks) removed,
    casefolded. The same function feeds the search index and the queries."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped).translate(_ARABIC)


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


_STOP_LINES = (
    "il lo la i gli le un una uno di a da in con su per tra fra e o ma che del della dei delle al alla",
    "ai agli nel nella sul sulla ho ha hanno avevo era ero sono come anche non piu molto mio mia miei",
    "the a an of to in on at for with and or but i my me was were had have has is are be it this that",
    "le la les un une des de du et ou en au aux je j ai avais etait mon ma mes pour avec dans sur",
    "el la los las un una de del y o en con por para yo mi mis era fue habia",
    "у в на з і та и я мені моя мои був була було це що як для до по від",
    "في من على الى و انا كنت مع عن هذا هذه",
)
# Function words of the languages ivc ships labels in, already folded.
STOP_WORDS = frozenset(word for line in _STOP_LINES for word in line.split())


# Bidi embeddings, overrides and isolates: they change how the text around them is shown
# ("fattura\u202efdp.exe" reads as "fatturaexe.pdf") and no name or note needs them.
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))


def forbidden_char(text: str, allow: str = "") -> str | None:
    """The first character no stored text may hold — a control character (other than those in
    ``allow``), a lone surrogate or a bidi override — or None. NUL and surrogates would not even
    reach PostgreSQL; the others disguise what a reader sees."""
    for ch in text:
        if ch in allow:
            continue
        if unicodedata.category(ch) in ("Cc", "Cs") or ch in BIDI_CONTROLS:
            return ch
    return None


# A BCP 47-style language code as ivc stores it: "ar", "ti", "pt-BR".
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


def clean_line(value: str, field: str, *, required: bool = True, max_length: int = 300) -> str:
    """One line of user text as ivc stores it: NFC, whitespace runs (newlines included) collapsed,
    no control or bidi characters; raises ``ValidationFailed`` naming ``field``."""
    from ivc.errors import ValidationFailed

    text = " ".join(unicodedata.normalize("NFC", value).split())
    bad = forbidden_char(text)
    if bad is not None:
        raise ValidationFailed(f"{field} holds a control character (U+{ord(bad):04X})", field=field)
    if required and not text:
        raise ValidationFailed(f"{field} is required", field=field)
    if len(text) > max_length:
        raise ValidationFailed(f"{field} is longer than {max_length} characters", field=field)
    return text
