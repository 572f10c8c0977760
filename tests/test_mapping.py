"""Suggesting competences from what people say, in their language."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata

import pytest
from sqlmodel import Session, select

from ivc.case.states import CaseState
from ivc.claim import service as claims
from ivc.claim.models import ClaimStatus
from ivc.experience.service import ExperienceIn, add_experience
from ivc.mapping.models import LearnedPhrase
from ivc.mapping.service import qualification_coverage, suggest_for_experience, suggest_text

from .helpers import advance_to, staff


def _ids(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [s.id for s in result.suggestions]


def test_examples_from_the_brief_point_to_the_right_areas(session: Session) -> None:
    cases = {
        "ho lavorato tre anni in un ristorante a Tunisi, pulivo il pesce e preparavo il couscous": "LIG-CUC",
        "I fixed cars in my uncle's garage in Lagos": "LIG-AUT",
        "كنت أعمل في البناء": "LIG-EDI",
        "Я доглядала за літньою жінкою": "LIG-ASF",
    }
    for text, qualification in cases.items():
        result = suggest_text(session, text, framework="RL", top=5)
        assert any(i.startswith(qualification) for i in _ids(result)), (text, _ids(result))
        esco = suggest_text(session, text, framework="esco", top=5)
        assert esco.suggestions and all(s.id.startswith("http://data.europa.eu/esco/") for s in esco.suggestions)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Pulivo il pesce e preparavo il cuscus per i clienti.", "it"),
        ("كنت أنظف السمك وأحضر الكسكسي في المطعم", "ar"),
        (unicodedata.normalize("NFD", "Nel caffè pulivo il pesce, poi lavavo le pentole più grandi."), "it"),
    ],
)
def test_spans_point_at_the_right_characters(session: Session, text: str, lang: str) -> None:
    result = suggest_text(session, text, lang=lang, top=10)
    spans = [sp for s in result.suggestions for sp in s.spans]
    assert spans, "no supporting span"
    for sp in spans:
        assert 0 <= sp.start < sp.end <= len(text)
        assert text[sp.start : sp.end] == sp.text
        assert sp.text.strip() == sp.text and sp.text


def test_an_accepted_phrasing_changes_the_next_ranking_and_can_be_undone(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    phrase = "aggiustavo gli scooter dei vicini"
    before = suggest_text(session, f"Da ragazzo {phrase} nel cortile.", framework="RL", top=10)
    target = "LIG-AUT-UC2"
    rank_before = _ids(before).index(target) if target in _ids(before) else 99
    exp = add_experience(
        session,
        case,
        ExperienceIn(
            kind="informal" if False else "family",
            title="Riparazioni",
            language="it",
            text_original=f"Da ragazzo {phrase} nel cortile.",
        ),
        actors["op3"],
    )
    from ivc.framework.models import Competence

    competence = session.exec(
        select(Competence).where(Competence.code == target, Competence.framework_id == case.framework_id)
    ).one()
    claim, _ = claims.suggest(
        session,
        case,
        competence,
        score=0.2,
        rationale=[{"experience_id": exp.id, "field": "text_it", "start": 11, "end": 11 + len(phrase), "text": phrase}],
        experience_ids=[exp.id or 0],
        actor=actors["op3"],
    )
    claims.review(session, claim, case, ClaimStatus.CONFIRMED, actors["op3"])
    session.commit()
    assert [p.phrase for p in session.exec(select(LearnedPhrase)).all()] == [phrase]
    after = suggest_text(session, f"Mio fratello {phrase}.", framework="RL", top=10)
    assert _ids(after)[0] == target and rank_before > 0
    learned_span = next(s for s in after.suggestions if s.id == target).spans
    assert any(sp.text == phrase for sp in learned_span), learned_span
    claims.review(session, claim, case, ClaimStatus.SUGGESTED, actors["op3"])  # undo
    session.commit()
    assert session.exec(select(LearnedPhrase).where(LearnedPhrase.active == True)).all() == []  # noqa: E712
    undone = suggest_text(session, f"Mio fratello {phrase}.", framework="RL", top=10)
    assert undone.suggestions[0].score < after.suggestions[0].score


def test_a_language_without_labels_reaches_the_repertory_through_esco(session: Session) -> None:
    # No German label exists anywhere: the multilingual encoder bridges to ESCO, and ESCO links
    # lead to the repertory.
    result = suggest_text(
        session, "Ich habe jahrelang in einer Autowerkstatt Autos repariert und Bremsen gewechselt.", top=10
    )
    assert result.language == "de"
    ids = _ids(result)
    assert any(i.startswith("LIG-AUT") for i in ids), ids
    assert any(i.startswith("http://data.europa.eu/esco/") for i in ids)


def test_empty_huge_and_garbage_input_get_a_clear_answer(session: Session) -> None:
    assert suggest_text(session, "").notes == ["empty text: nothing to suggest"]
    assert suggest_text(session, "   \n\t").suggestions == []
    garbage = suggest_text(session, "%%%% 1234 ---- ;;;; \x00\x01 ☃☃☃")
    assert garbage.suggestions == [] and garbage.notes
    huge = suggest_text(session, "pulivo il pesce e lavavo i piatti. " * 30_000)  # ~1 MB
    assert huge.suggestions and "only the beginning" in huge.notes[0]


def test_case_suggestions_are_stored_with_spans_and_coverage(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    from .helpers import EXPERIENCE

    exp = add_experience(session, case, EXPERIENCE, actors["op3"])
    created = suggest_for_experience(session, case, exp, actors["op3"])
    assert created > 0
    stored = claims.claims_for_case(session, case.id or 0)
    assert all(c.status == "suggested" and c.source == "nlp" for c in stored)
    assert any(c.rationale for c in stored)
    for c in stored:
        for r in c.rationale:
            if r.get("match") == "meaning":
                continue
            source = exp.text_it if r["field"] == "text_it" else exp.text_original
            assert source[r["start"] : r["end"]] == r["text"]
    coverage = qualification_coverage(session, case.id or 0)
    assert coverage[0]["code"] == "LIG-CUC" and coverage[0]["target"] and coverage[0]["covered"] >= 1
    assert suggest_for_experience(session, case, exp, actors["op3"]) == 0  # idempotent


def test_the_cli_contract(session: Session) -> None:
    env = dict(os.environ)
    out = subprocess.run(
        [sys.executable, "-m", "ivc.cli.main", "suggest", "--json", "--top", "3", "--framework", "esco"],
        input=b"I fixed cars in my uncle's garage in Lagos",
        capture_output=True,
        env=env,
        timeout=120,
        check=True,
    )
    data = json.loads(out.stdout)
    assert data["language"] == "en" and 0 < len(data["suggestions"]) <= 3
    first = data["suggestions"][0]
    assert set(first) == {"id", "framework", "label", "score", "spans"}
    assert first["framework"] == "ESCO" and first["id"].startswith("http://data.europa.eu/esco/")
    scores = [s["score"] for s in data["suggestions"]]
    assert scores == sorted(scores, reverse=True)
    empty = subprocess.run(
        [sys.executable, "-m", "ivc.cli.main", "suggest", "--json"],
        input=b"",
        capture_output=True,
        env=env,
        timeout=120,
        check=True,
    )
    assert json.loads(empty.stdout)["suggestions"] == []


def test_evidence_text_is_mapped_too(session: Session) -> None:
    from ivc.evidence import service as evidence
    from ivc.evidence.models import EvidenceKind, EvidenceType
    from ivc.mapping.service import suggest_for_evidence

    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    note = "Dichiarazione del titolare: la signora ha lavorato nella nostra officina, riparava i freni delle auto."
    item = evidence.add_evidence(
        session,
        case,
        note.encode(),
        title="Dichiarazione del datore di lavoro",
        evidence_type=EvidenceType.EMPLOYER_STATEMENT,
        media_type="text/plain; charset=utf-8",
        actor=actors["op3"],
        kind=EvidenceKind.NOTE,
    )
    assert suggest_for_evidence(session, case, item, actors["op3"]) > 0
    stored = claims.claims_for_case(session, case.id or 0)
    assert any(c.rationale and c.rationale[0].get("evidence_id") == item.id for c in stored)
    from ivc.errors import ValidationFailed
    from ivc.mapping.service import evidence_text

    with pytest.raises(ValidationFailed) as refused:  # an unreadable PDF never reaches the dossier
        evidence.add_evidence(
            session,
            case,
            b"%PDF-1.4 not really a pdf",
            title="Scansione",
            evidence_type=EvidenceType.DOCUMENT,
            media_type="application/pdf",
            actor=actors["op3"],
        )
    assert refused.value.code == "upload_pdf_broken"
    assert evidence_text(b"%PDF-1.4 not really a pdf", "application/pdf") is None  # and reading one never crashes


def test_accepting_an_esco_suggestion_teaches_and_undo_withdraws(session: Session) -> None:
    from ivc.mapping.models import EscoSuggestion
    from ivc.mapping.service import review_esco_suggestion

    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    phrase = "rammendavo le reti dei pescatori"
    exp = add_experience(
        session,
        case,
        ExperienceIn(kind="work", title="Porto", language="it", text_original=f"Al porto {phrase} ogni inverno."),
        actors["op3"],
    )
    uri = "http://data.europa.eu/esco/skill/530cb489-d900-46ab-9350-4d50ccd49eea"
    row = EscoSuggestion(
        case_id=case.id or 0,
        uri=uri,
        entity="skill",
        label="welding techniques",
        score=0.1,
        rationale=[{"experience_id": exp.id, "field": "text_it", "start": 9, "end": 9 + len(phrase), "text": phrase}],
        experience_ids=[exp.id or 0],
        created_by="op3",
        territory="3",
    )
    session.add(row)
    session.flush()
    review_esco_suggestion(session, row.id or 0, "accepted", actors["op3"])
    session.commit()
    assert suggest_text(session, f"Mio padre {phrase}.", framework="esco", top=3).suggestions[0].id == uri
    review_esco_suggestion(session, row.id or 0, "suggested", actors["op3"])
    session.commit()
    assert session.exec(select(LearnedPhrase).where(LearnedPhrase.active == True)).all() == []  # noqa: E712
    with pytest.raises(Exception, match="does not work in district"):
        review_esco_suggestion(session, row.id or 0, "rejected", actors["op1"])
