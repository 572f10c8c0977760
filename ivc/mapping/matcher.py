"""A lexical matcher over framework labels and colloquial phrasings, in any loaded language.

It tokenises with spaCy's multi-language tokenizer, compares accent- and case-folded forms, and
combines exact phrase matches (with character spans into the original text) with a stem-overlap
score. It is the baseline the NLP issue builds on; nothing here is tuned to a test set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from ivc.text import STOP_WORDS as _STOP
from ivc.text import fold

STEM = 5  # prefix length standing in for a lemma across inflected forms


@lru_cache(maxsize=1)
def tokenizer() -> Language:
    return spacy.blank("xx")


def doc_of(text: str) -> Doc:
    doc = tokenizer().make_doc(text)
    for token in doc:
        token.norm_ = fold(token.text)
    return doc


def stems(doc: Doc) -> set[str]:
    return {t.norm_[:STEM] for t in doc if t.is_alpha and len(t.norm_) > 2 and t.norm_ not in _STOP}


@dataclass
class Concept:
    key: int
    phrases: list[str]
    vocabulary: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Match:
    key: int
    score: float
    spans: tuple[Span, ...]


class LexicalMatcher:
    """Built once per framework version; ``match`` is cheap."""

    def __init__(self, concepts: list[Concept]) -> None:
        self._matcher = PhraseMatcher(tokenizer().vocab, attr="NORM")
        self._vocab: dict[int, set[str]] = {}
        for concept in concepts:
            patterns = [doc_of(p) for p in concept.phrases if p.strip()]
            if patterns:
                self._matcher.add(str(concept.key), patterns)
            vocab = set(concept.vocabulary)
            for p in patterns:
                vocab |= stems(p)
            self._vocab[concept.key] = vocab

    def match(self, text: str, top: int = 10, min_score: float = 0.15) -> list[Match]:
        if not text.strip():
            return []
        doc = doc_of(text)
        spans: dict[int, list[Span]] = {}
        for match_id, start, end in self._matcher(doc):
            key = int(tokenizer().vocab.strings[match_id])
            span = doc[start:end]
            spans.setdefault(key, []).append(Span(span.start_char, span.end_char, span.text))
        text_stems = stems(doc)
        results = []
        for key, vocab in self._vocab.items():
            overlap = len(text_stems & vocab)
            phrase_hits = len(spans.get(key, []))
            if not overlap and not phrase_hits:
                continue
            score = min(1.0, 0.35 * phrase_hits + overlap / (overlap + 4.0))
            if score >= min_score:
                if not spans.get(key):
                    spans[key] = _overlap_spans(doc, vocab)
                results.append(Match(key, round(score, 4), tuple(spans[key])))
        results.sort(key=lambda m: (-m.score, m.key))
        return results[:top]


def _overlap_spans(doc: Doc, vocab: set[str]) -> list[Span]:
    return [
        Span(t.idx, t.idx + len(t.text), t.text)
        for t in doc
        if t.is_alpha and t.norm_ not in _STOP and t.norm_[:STEM] in vocab and len(t.norm_) > 2
    ]
