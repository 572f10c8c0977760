"""A new process starts suggesting without building an analyser for every language operators
taught it: learned phrasings are stored already analysed."""

from __future__ import annotations

import json
import subprocess
import sys

from sqlmodel import Session, select

from ivc.mapping.analysis import lemmas
from ivc.mapping.models import LearnedPhrase

PHRASES = {
    "it": "aggiustavo gli scooter dei vicini",
    "en": "I patched up the neighbours' scooters",
    "fr": "je réparais les scooters des voisins",
    "es": "arreglaba las motos de los vecinos",
    "ar": "كنت أصلح دراجات الجيران",
    "uk": "я лагодив скутери сусідів",
}

_CHILD = """
import json
from ivc.database.core import session_scope
from ivc.mapping import analysis, service
with session_scope() as session:
    engine = service.suggester(session)
after_load = sorted(analysis.languages_loaded())
learned = sorted({key for entries in engine.learned.values() for _, key in entries})
result = engine.suggest("Mio fratello aggiustavo gli scooter dei vicini.", lang="it", framework="RL", top=3)
print(json.dumps({"after_load": after_load, "learned": learned, "after_it": sorted(analysis.languages_loaded()),
                  "first": result.suggestions[0].id}))
"""


def _child() -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, check=True, timeout=300)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_a_new_process_loads_learned_phrasings_in_six_languages_without_building_their_analysers(
    session: Session,
) -> None:
    for lang, phrase in PHRASES.items():
        session.add(
            LearnedPhrase(
                concept_key="LIG-AUT-UC2",
                lang=lang,
                phrase=phrase,
                source=f"claim:{lang}",
                created_by="op",
                lemmas=lemmas(phrase, lang),  # as learning.learn stores them when accepted
            )
        )
    session.commit()
    seen = _child()
    assert seen["after_load"] == [], "loading learned phrasings built analysers"
    assert seen["learned"] == ["LIG-AUT-UC2"]
    assert seen["after_it"] == ["it"], "an Italian text builds the Italian analysers only"
    assert seen["first"] == "LIG-AUT-UC2"


def test_phrasings_learned_before_lemmas_were_stored_get_them_once(session: Session) -> None:
    session.add(LearnedPhrase(concept_key="LIG-AUT-UC2", lang="it", phrase=PHRASES["it"], source="x", created_by="op"))
    session.commit()
    _child()
    session.expire_all()
    row = session.exec(select(LearnedPhrase)).one()
    assert row.lemmas == lemmas(PHRASES["it"], "it")
    assert _child()["after_load"] == []
