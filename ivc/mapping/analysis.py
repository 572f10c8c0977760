"""Tokens and lemmas of a text in any language, with character offsets into the original.

spaCy's rule-based tokenizer for the language (``spacy.blank``; the multi-language one where spaCy
has none) gives tokens and offsets; lemmas come from simplemma's lookup tables (it, en, fr, es, uk,
ar and many more, all offline); everything is folded (case, accents, Arabic vowel marks). Arabic
clitics the tokenizer leaves attached (و, ف, ب, ل, ال) are split off before the lookup.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import simplemma
import spacy
from spacy.language import Language

from ivc.text import STOP_WORDS, fold

_SIMPLEMMA = (
    frozenset(simplemma.supported_languages)
    if hasattr(simplemma, "supported_languages")
    else frozenset(
        {"it", "en", "fr", "es", "uk", "ar", "de", "pt", "ru", "pl", "ro", "nl", "sq", "bn", "fa", "ur", "tr", "sw"}
    )
)
_AR_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل")


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    text: str
    lemma: str  # folded lemma (or folded form where no lemma is known)
    stop: bool


@lru_cache(maxsize=16)
def _nlp(lang: str) -> Language:
    try:
        return spacy.blank(lang)
    except (ImportError, KeyError, ValueError):
        return spacy.blank("xx")


@lru_cache(maxsize=200_000)
def lemma(word: str, lang: str) -> str:
    """Folded lemma of one word (cached: lookups dominate the cost)."""
    if lang == "ar" and len(word) > 4:
        for prefix in _AR_PREFIXES:
            if word.startswith(prefix) and len(word) - len(prefix) >= 3:
                word = word[len(prefix) :]
                break
    if lang in _SIMPLEMMA:
        try:
            word = simplemma.lemmatize(word, lang=lang)
        except (ValueError, KeyError):
            pass
    return fold(word)


def analyse(text: str, lang: str) -> list[Token]:
    """Word tokens (punctuation and numbers dropped) with folded lemmas and offsets into ``text``
    exactly as given (no normalisation first, so offsets hold with combining accents too)."""
    doc = _nlp(lang).make_doc(text)
    out = []
    for t in doc:
        if not any(ch.isalpha() for ch in t.text):
            continue
        low = unicodedata.normalize("NFC", t.text.lower())
        lem = lemma(low, lang)
        out.append(Token(t.idx, t.idx + len(t.text), t.text, lem, fold(low) in STOP_WORDS or lem in STOP_WORDS))
    return out


def lemmas(text: str, lang: str) -> list[str]:
    return [t.lemma for t in analyse(text, lang) if not t.stop]
