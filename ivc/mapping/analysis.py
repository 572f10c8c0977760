"""Tokens and lemmas of a text in any language, with character offsets into the original.

spaCy's rule-based tokenizer for the language (``spacy.blank``; the multi-language one where spaCy
has none) gives tokens and offsets; lemmas come from simplemma's lookup tables (it, en, fr, es, uk,
ar and many more, all offline); everything is folded (case, accents, Arabic vowel marks). Arabic
clitics the tokenizer leaves attached (و, ف, ب, ل, ال) are split off before the lookup.

Nothing is built before a text in a language arrives: the tokenizer and the lemma dictionary of a
language are made on first use. simplemma's dictionaries are decoded once into the data directory
(``marshal``, about 3× faster to load than the shipped compressed form).
"""

from __future__ import annotations

import marshal
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import simplemma
import spacy
from spacy.language import Language

from ivc.mapping.unpacked import cache_dir, write_atomic
from ivc.text import STOP_WORDS, fold
from ivc.textruns import segments

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


_LOADED: set[str] = set()  # languages whose tokenizer or lemma dictionary this process built


def languages_loaded() -> frozenset[str]:
    """The languages whose analysers this process has built so far."""
    return frozenset(_LOADED)


@lru_cache(maxsize=16)
def _nlp(lang: str) -> Language:
    _LOADED.add(lang)
    try:
        return spacy.blank(lang)
    except (ImportError, KeyError, ValueError):
        return spacy.blank("xx")


def _decoded_dictionary(lang: str) -> Mapping[str, str]:
    """simplemma's dictionary for ``lang``, read from its decoded copy (made on first use)."""
    from simplemma.strategies.dictionaries import dictionary_factory as factory

    _LOADED.add(lang)
    source = factory.DATA_FOLDER / f"{lang}.plzma"
    path = cache_dir("simplemma", source, getattr(simplemma, "__version__", "0")) / f"{lang}.marshal"
    table: dict[bytes, bytes] | None = None
    if path.is_file():
        try:
            loaded = marshal.loads(path.read_bytes())
            table = loaded if isinstance(loaded, dict) else None
        except (OSError, ValueError, EOFError, TypeError):
            table = None
    if table is None:
        table = factory._load_dictionary_from_disk(lang)
        try:
            write_atomic(path, marshal.dumps(table))
        except OSError:
            pass  # a read-only data directory: decode every time, as simplemma does
    return factory.MappingStrToByteString(table)


@lru_cache(maxsize=1)
def _lemmatizer() -> Callable[[str, str], str]:
    """simplemma's default lemmatizer over the decoded dictionaries, or simplemma's own when its
    internals are not the ones this was written for."""
    try:
        from simplemma import Lemmatizer
        from simplemma.strategies import DefaultStrategy
        from simplemma.strategies.dictionaries import dictionary_factory as factory

        class Decoded(factory.CachingDictionaryFactory):
            __slots__ = ()

            def _get_dictionary_uncached(self, lang: str) -> Mapping[str, str]:
                if lang not in factory.SUPPORTED_LANGUAGES:
                    raise ValueError(f"Unsupported language: {lang}")
                return _decoded_dictionary(lang)

        return Lemmatizer(lemmatization_strategy=DefaultStrategy(dictionary_factory=Decoded())).lemmatize
    except (ImportError, AttributeError, TypeError):
        return simplemma.lemmatize


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
            word = _lemmatizer()(word, lang)
        except (ValueError, KeyError):
            pass
    return fold(word)


def analyse(text: str, lang: str) -> list[Token]:
    """Word tokens (punctuation and numbers dropped) with folded lemmas and offsets into ``text``
    exactly as given (no normalisation first, so offsets hold with combining accents too)."""
    nlp = _nlp(lang)
    out = []
    # Long runs without spaces reach the tokenizer in pieces: its cost grows faster than their
    # length (ivc.textruns); ordinary text is one piece.
    for offset, piece in segments(text):
        for t in nlp.make_doc(piece):
            if not any(ch.isalpha() for ch in t.text):
                continue
            low = unicodedata.normalize("NFC", t.text.lower())
            lem = lemma(low, lang)
            start = offset + t.idx
            out.append(Token(start, start + len(t.text), t.text, lem, fold(low) in STOP_WORDS or lem in STOP_WORDS))
    return out


def lemmas(text: str, lang: str) -> list[str]:
    return [t.lemma for t in analyse(text, lang) if not t.stop]
