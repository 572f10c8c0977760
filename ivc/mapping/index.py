"""The suggestion index over every loaded framework: concepts (repertory competences, ESCO skills
and occupations), their labels in every language, a BM25 inverted index over labels and
descriptions, a lemma-phrase table for exact phrase matches with spans, dense multilingual
sentence embeddings of each concept's label, and the relations the frameworks hold (an ESCO
occupation's essential skills; the ESCO skills a repertory competence links to, both ways).

Built after a framework import and cached on disk under the data directory, keyed by the loaded
framework versions; a process loads it in well under the 2 s cold-start budget.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import pickle
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlmodel import Session, col, select

from ivc.config import get_settings
from ivc.framework.models import Competence, EscoConcept, EscoRelation, Framework, FrameworkLabel, text_in
from ivc.mapping import dense
from ivc.mapping.analysis import lemmas

INDEX_VERSION = 5
_K1, _B = 1.2, 0.75


@dataclass
class Concept:
    key: str  # competence code, or ESCO URI
    framework: str  # framework code, e.g. "RL" or "ESCO"
    framework_id: int
    entity: str  # competence | skill | occupation
    label: str  # display label (it for the repertory, en for ESCO)
    db_id: int | None = None  # Competence.id for repertory competences
    esco_links: tuple[str, ...] = ()


@dataclass
class ConceptIndex:
    fingerprint: str
    concepts: list[Concept]
    phrases: dict[str, list[tuple[tuple[str, ...], int]]]  # first lemma -> (lemma sequence, concept)
    postings: dict[str, tuple[int, int]]  # lemma -> slice of posting_ids / posting_weights
    posting_ids: np.ndarray  # concept ids of every posting, grouped by lemma
    posting_weights: np.ndarray  # BM25 weight of each posting
    embeddings: np.ndarray | None  # (n concepts, 512) float32, unit length; None without a dense model
    by_key: dict[str, int] = field(default_factory=dict)
    labels_by_lang: dict[str, int] = field(default_factory=dict)
    build_seconds: float = 0.0
    essential: dict[int, tuple[int, ...]] = field(default_factory=dict)  # occupation -> its essential skills
    linked_from: dict[int, tuple[int, ...]] = field(default_factory=dict)  # ESCO skill -> competences linking it

    def __post_init__(self) -> None:
        self.by_key = {c.key: i for i, c in enumerate(self.concepts)}


def fingerprint(session: Session) -> str:
    rows = session.exec(select(Framework.code, Framework.version, Framework.content_sha256)).all()
    text = f"{INDEX_VERSION}|{dense.model_name()}|" + "|".join(sorted("/".join(map(str, r)) for r in rows))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _cache_path(fp: str) -> Path:
    return get_settings().data_dir / "index" / f"concepts-{fp}.pkl"


def _latest_repertories(session: Session) -> list[Framework]:
    latest: dict[str, Framework] = {}
    for fw in session.exec(select(Framework).where(Framework.kind == "repertory")).all():
        if fw.code not in latest or (fw.imported_at, fw.id or 0) > (
            latest[fw.code].imported_at,
            latest[fw.code].id or 0,
        ):
            latest[fw.code] = fw
    return list(latest.values())


def build(session: Session) -> ConceptIndex:
    started = time.perf_counter()
    concepts: list[Concept] = []
    docs: list[list[str]] = []
    label_seqs: list[tuple[tuple[str, ...], int]] = []
    dense_texts: list[str] = []
    per_lang: dict[str, int] = defaultdict(int)

    def add_labels(idx: int, labelled: list[tuple[str, str]]) -> None:
        for lang, text in labelled:
            seq = tuple(lemmas(text, lang))
            if seq:
                label_seqs.append((seq, idx))
                docs[idx].extend(seq)
                per_lang[lang] += 1

    for fw in _latest_repertories(session):
        for comp in session.exec(
            select(Competence).where(Competence.framework_id == fw.id).order_by(col(Competence.code))
        ):
            idx = len(concepts)
            concepts.append(
                Concept(
                    comp.code,
                    fw.code,
                    fw.id or 0,
                    "competence",
                    text_in(comp.title, "it"),
                    comp.id,
                    tuple(comp.esco_skills),
                )
            )
            docs.append([])
            labelled = [(lang, t) for lang, t in comp.title.items()]
            labelled += [(lang, t) for lang, ts in comp.keywords.items() for t in ts]
            add_labels(idx, labelled)
            for item in [comp.description, *comp.abilities, *comp.performance_indicators]:
                for lang, t in item.items():
                    docs[idx].extend(lemmas(t, lang))
            dense_texts.append(text_in(comp.title, "en") or text_in(comp.title, "it"))

    # ESCO: every loaded version, one concept per URI (labels merged across versions).
    esco_ids = [fw.id for fw in session.exec(select(Framework).where(Framework.kind == "esco")).all()]
    if esco_ids:
        seen: dict[str, int] = {}
        for concept in session.exec(select(EscoConcept).where(col(EscoConcept.framework_id).in_(esco_ids))):
            if concept.uri in seen:
                continue
            seen[concept.uri] = len(concepts)
            concepts.append(Concept(concept.uri, "ESCO", concept.framework_id, concept.concept_type, concept.uri))
            docs.append(lemmas(concept.descriptions.get("en", "")[:600], "en") if concept.descriptions else [])
            dense_texts.append("")
        rows = session.exec(
            select(FrameworkLabel.entity_key, FrameworkLabel.lang, FrameworkLabel.kind, FrameworkLabel.text).where(
                col(FrameworkLabel.framework_id).in_(esco_ids)
            )
        ).all()
        for key, lang, kind, text in rows:
            pos = seen.get(key)
            if pos is None:
                continue
            add_labels(pos, [(lang, text)])
            if kind == "preferred" and (lang == "en" or not dense_texts[pos]):
                dense_texts[pos] = text
                if lang == "en" or concepts[pos].label == concepts[pos].key:
                    concepts[pos].label = text

    essential: dict[int, set[int]] = defaultdict(set)
    if esco_ids:
        for occupation, skill in session.exec(
            select(EscoRelation.occupation_uri, EscoRelation.skill_uri).where(
                col(EscoRelation.framework_id).in_(esco_ids), EscoRelation.relation_type == "essential"
            )
        ):
            o, k = seen.get(occupation), seen.get(skill)
            if o is not None and k is not None:
                essential[o].add(k)
    by_uri = {c.key: i for i, c in enumerate(concepts) if c.framework == "ESCO"}
    linked_from: dict[int, set[int]] = defaultdict(set)
    for i, c in enumerate(concepts):
        for uri in c.esco_links:
            if (j := by_uri.get(uri)) is not None:
                linked_from[j].add(i)
    phrases: dict[str, list[tuple[tuple[str, ...], int]]] = defaultdict(list)
    for seq, idx in set(label_seqs):
        phrases[seq[0]].append((seq, idx))
    postings, ids, weights = _bm25(docs)
    embeddings = dense.encode_many(dense_texts) if dense.available() else None
    index = ConceptIndex(
        fingerprint(session),
        concepts,
        dict(phrases),
        postings,
        ids,
        weights,
        embeddings,
        labels_by_lang=dict(per_lang),
        essential={o: tuple(sorted(ks)) for o, ks in essential.items()},
        linked_from={k: tuple(sorted(cs)) for k, cs in linked_from.items()},
    )
    index.build_seconds = time.perf_counter() - started
    return index


def _bm25(docs: list[list[str]]) -> tuple[dict[str, tuple[int, int]], np.ndarray, np.ndarray]:
    n = len(docs)
    avg = sum(len(d) for d in docs) / max(n, 1)
    tf: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for i, doc in enumerate(docs):
        for term in doc:
            tf[term][i] += 1
    postings: dict[str, tuple[int, int]] = {}
    all_ids: list[int] = []
    all_weights: list[float] = []
    for term, counts in tf.items():
        idf = math.log(1 + (n - len(counts) + 0.5) / (len(counts) + 0.5))
        start = len(all_ids)
        for i, c in counts.items():
            all_ids.append(i)
            all_weights.append(idf * c * (_K1 + 1) / (c + _K1 * (1 - _B + _B * len(docs[i]) / max(avg, 1))))
        postings[term] = (start, len(all_ids))
    return postings, np.asarray(all_ids, dtype=np.int32), np.asarray(all_weights, dtype=np.float32)


def load_or_build(session: Session) -> ConceptIndex:
    fp = fingerprint(session)
    path = _cache_path(fp)
    if path.is_file():
        try:
            with path.open("rb") as fh:
                index = pickle.load(fh)
            if isinstance(index, ConceptIndex) and index.fingerprint == fp:
                if index.embeddings is not None:  # stored as float16; BLAS wants float32
                    index.embeddings = index.embeddings.astype(np.float32)
                return index
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
            pass  # a damaged cache is rebuilt
    index = build(session)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    # float16 on disk halves the cache and its load time; the ranking does not notice.
    stored = dataclasses.replace(
        index, embeddings=None if index.embeddings is None else index.embeddings.astype(np.float16)
    )
    with tmp.open("wb") as fh:
        pickle.dump(stored, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    for old in path.parent.glob("concepts-*.pkl"):
        if old != path:
            old.unlink(missing_ok=True)
    return index
