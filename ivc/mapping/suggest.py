"""Rank framework concepts for a text: exact label phrases (with spans), BM25 over labels and
descriptions, and dense multilingual similarity, fused by reciprocal rank (no weights tuned on any
test set), plus what operators accepted before. Repertory competences also inherit the evidence of
the ESCO skills they link to, which is how a language the repertory lacks reaches it.

Relations reach further, as two more rankings in the same fusion: the essential skills of the
occupations the text is about (ranked as their occupation), and the ESCO skills linked to the
repertory competences it is about. "About" means recognised by the cut below.

The cut (``AGREEMENT``): in reciprocal-rank fusion no concept found by one signal alone can score
more than the first place of that signal, 1/(k+1), a quarter of the best possible score. A score
above that says that at least two independent signals agree (or an operator's phrasing matched):
the same meaning in every text and language, derived from the fusion, fitted to nothing. The
default list is what passes it; the rest stays available."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ivc.mapping import dense
from ivc.mapping.analysis import Token, analyse
from ivc.mapping.index import ConceptIndex
from ivc.mapping.language import detect

MAX_CHARS = 20_000  # longer texts are analysed up to here, and the answer says so
_RRF_K = 60
_DENSE_POOL = 300
_LEARNED_BONUS = 2.0
_BEST_POSSIBLE = 4.0 / (_RRF_K + 1)
AGREEMENT = round((1.0 / (_RRF_K + 1)) / _BEST_POSSIBLE, 4)  # 0.25 on the 0–1 score scale


def agreed(score: float) -> bool:
    """True when a suggestion's score says that more than one signal found it (see module doc)."""
    return score > AGREEMENT + 1e-6


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Suggestion:
    id: str
    framework: str
    label: str
    score: float
    spans: tuple[Span, ...]
    entity: str
    db_id: int | None = None


@dataclass
class Result:
    language: str
    suggestions: list[Suggestion]
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "language": self.language,
            "suggestions": [
                {
                    "id": s.id,
                    "framework": s.framework,
                    "label": s.label,
                    "score": s.score,
                    "spans": [{"start": sp.start, "end": sp.end, "text": sp.text} for sp in s.spans],
                }
                for s in self.suggestions
            ],
        }
        if self.notes:
            out["notes"] = self.notes
        return out


# lemma sequence -> concept key, learned from operators' accepted suggestions
Learned = dict[str, list[tuple[tuple[str, ...], str]]]


class Suggester:
    def __init__(self, index: ConceptIndex, learned: Learned | None = None) -> None:
        self.index = index
        self.learned = learned or {}
        self._links: dict[int, tuple[int, ...]] | None = None

    def suggest(self, text: str, *, lang: str = "auto", framework: str | None = None, top: int = 10) -> Result:
        notes: list[str] = []
        if not isinstance(text, str) or not text.strip():
            return Result("und", [], ["empty text: nothing to suggest"])
        if len(text) > MAX_CHARS:
            notes.append(f"text longer than {MAX_CHARS} characters: only the beginning was analysed")
            text = text[:MAX_CHARS]
        language = detect(text) if lang in ("auto", "", None) else lang
        tokens = [t for t in analyse(text, language if language != "und" else "xx") if not t.stop]
        if not tokens:
            return Result(language, [], [*notes, "no words found: nothing to suggest"])
        n = len(self.index.concepts)
        phrase_score = np.zeros(n, dtype=np.float32)
        spans: dict[int, list[Span]] = {}
        self._phrases(text, tokens, phrase_score, spans)
        bm25 = np.zeros(n, dtype=np.float32)
        for term in {t.lemma for t in tokens}:
            span = self.index.postings.get(term)
            if span is not None:
                bm25[self.index.posting_ids[span[0] : span[1]]] += self.index.posting_weights[span[0] : span[1]]
        fused = np.zeros(n, dtype=np.float64)
        for scores in (phrase_score, bm25):
            hits = np.flatnonzero(scores > 0)
            if hits.size:
                order = hits[np.argsort(-scores[hits], kind="stable")]
                fused[order] += 1.0 / (_RRF_K + 1 + np.arange(order.size))
        if self.index.embeddings is not None and dense.available():
            similarity = self.index.embeddings @ dense.encode(text[:2000])
            pool = np.argpartition(-similarity, min(_DENSE_POOL, n - 1))[:_DENSE_POOL]
            order = pool[np.argsort(-similarity[pool], kind="stable")]
            order = order[similarity[order] > 0.25]
            fused[order] += 1.0 / (_RRF_K + 1 + np.arange(order.size))
        fused += _LEARNED_BONUS * (phrase_score >= 100) / (_RRF_K + 1)
        own = fused.copy()  # the text's own evidence, before any relation
        self._relations(fused)
        # Competences inherit the best own evidence of the ESCO skills they link to (not what a
        # relation added: one hop, no chains).
        for i, concept in enumerate(self.index.concepts):
            if concept.esco_links:
                linked = [own[j] for uri in concept.esco_links if (j := self.index.by_key.get(uri)) is not None]
                if linked and max(linked) * 0.9 > fused[i]:
                    fused[i] = max(linked) * 0.9
                    if i not in spans:
                        best = max(concept.esco_links, key=lambda u: own[self.index.by_key.get(u, 0)])
                        spans[i] = spans.get(self.index.by_key.get(best, -1), [])
        best_possible = _BEST_POSSIBLE
        candidates = np.flatnonzero(fused > 0)
        ranked = candidates[np.argsort(-fused[candidates], kind="stable")]
        out = []
        for i in ranked:
            concept = self.index.concepts[int(i)]
            if framework and concept.framework.lower() != framework.lower():
                continue
            out.append(
                Suggestion(
                    concept.key,
                    concept.framework,
                    concept.label,
                    round(float(min(1.0, fused[i] / best_possible)), 4),
                    tuple(sorted(set(spans.get(int(i), [])), key=lambda s: s.start)),
                    concept.entity,
                    concept.db_id,
                )
            )
            if len(out) >= top:
                break
        return Result(language, out, notes)

    def _relations(self, fused: np.ndarray) -> None:
        """Two more rankings fused in: the essential skills of each recognised occupation, ranked
        as the occupation is; the ESCO skills linked to each recognised repertory competence,
        ranked as the competence is. Computed from the text's own evidence only (no chains)."""
        threshold = (1.0 / (_RRF_K + 1)) + 1e-9
        recognised = np.flatnonzero(fused > threshold)
        if not recognised.size:
            return
        order = recognised[np.argsort(-fused[recognised], kind="stable")]
        for relation in (self.index.essential, self._linked_skills()):
            rank_of: dict[int, int] = {}
            for rank, i in enumerate(order):
                for j in relation.get(int(i), ()):
                    rank_of.setdefault(j, rank)
            extra = np.zeros_like(fused)
            for j, rank in rank_of.items():
                extra[j] = 1.0 / (_RRF_K + 1 + rank)
            fused += extra

    def _linked_skills(self) -> dict[int, tuple[int, ...]]:
        """Repertory competence -> the ESCO skills it links to (index positions)."""
        if self._links is None:
            links: dict[int, list[int]] = {}
            for skill, competences in self.index.linked_from.items():
                for c in competences:
                    links.setdefault(c, []).append(skill)
            self._links = {c: tuple(ks) for c, ks in links.items()}
        return self._links

    def _phrases(self, text: str, tokens: list[Token], score: np.ndarray, spans: dict[int, list[Span]]) -> None:
        lemmas = [t.lemma for t in tokens]
        for pos, lem in enumerate(lemmas):
            candidates: list[tuple[tuple[str, ...], int, float]] = [
                (seq, idx, 1.0) for seq, idx in self.index.phrases.get(lem, ())
            ]
            candidates += [
                (seq, self.index.by_key[key], 100.0)
                for seq, key in self.learned.get(lem, ())
                if key in self.index.by_key
            ]
            for seq, idx, weight in candidates:
                end = pos + len(seq)
                if end <= len(lemmas) and tuple(lemmas[pos:end]) == seq:
                    score[idx] += weight * len(seq) ** 2
                    start_char, end_char = tokens[pos].start, tokens[end - 1].end
                    spans.setdefault(idx, []).append(Span(start_char, end_char, text[start_char:end_char]))
