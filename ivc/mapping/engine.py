"""The suggester a process uses: the concept index (loaded once, rebuilt when the frameworks
change) with the learned phrasings as stored. Kept apart from the case services so that a
process that only suggests (``ivc suggest``, the interface's first suggestion) imports no more
than it needs."""

from __future__ import annotations

import threading
from functools import lru_cache

from sqlalchemy import func
from sqlmodel import Session, col, select

from ivc.mapping import dense
from ivc.mapping.analysis import lemmas
from ivc.mapping.index import ConceptIndex, fingerprint, load_or_build
from ivc.mapping.models import LearnedPhrase
from ivc.mapping.suggest import Learned, Result, Suggester
from ivc.text import forbidden_char

_cache: dict[str, ConceptIndex] = {}


def concept_index(session: Session) -> ConceptIndex:
    fp = fingerprint(session)
    index = _cache.get(fp)
    if index is None:
        if dense.available():  # load the encoder's weights while the index is read
            threading.Thread(target=dense.warm_up, daemon=True).start()
        _cache.clear()
        index = _cache[fp] = load_or_build(session)
    return index


@lru_cache(maxsize=4)
def _learned(version: tuple[int, int, int, str]) -> Learned:
    """The active learned phrasings as lemma sequences, read as stored: no analyser is built. Rows
    accepted before lemmas were stored get them here, once, and keep them."""
    from ivc.database.core import session_scope

    learned: Learned = {}
    with session_scope() as session:
        rows = session.exec(
            select(LearnedPhrase.id, LearnedPhrase.concept_key, LearnedPhrase.lemmas).where(
                col(LearnedPhrase.active).is_(True)
            )
        ).all()
        for row_id, key, stored in rows:
            seq = tuple(stored) if stored is not None else _store_lemmas(session, row_id)
            if seq:
                learned.setdefault(seq[0], []).append((seq, key))
    return learned


def _store_lemmas(session: Session, row_id: int | None) -> tuple[str, ...]:
    row = session.get(LearnedPhrase, row_id)
    if row is None:
        return ()
    row.lemmas = lemmas(row.phrase, row.lang)
    session.add(row)
    return tuple(row.lemmas)


def suggester(session: Session) -> Suggester:
    # What identifies the current set of learned phrases: any insert, reactivation or withdrawal
    # changes one of these (the newest time too, since ids may be reused after a purge).
    count, last, newest = session.exec(
        select(func.count(), func.max(LearnedPhrase.id), func.max(LearnedPhrase.created_at))
    ).one()
    active = session.exec(select(func.count()).where(col(LearnedPhrase.active).is_(True))).one()
    return Suggester(concept_index(session), _learned((int(count), int(active), int(last or 0), str(newest))))


def suggest_text(
    session: Session, text: str, *, lang: str = "auto", framework: str | None = None, top: int = 10
) -> Result:
    # Typed or pasted text may carry NUL or lone surrogates, which the analysers cannot encode.
    text = "".join(ch for ch in text if ch in "\n\t" or forbidden_char(ch) is None)
    return suggester(session).suggest(text, lang=lang, framework=framework, top=top)
