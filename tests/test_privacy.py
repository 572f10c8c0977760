"""GDPR operations: a person's export holds everything about them and nothing about anyone else;
erasure removes their rows and unshared files, keeps the register minimum and says why; an
erased holder's certificate still verifies; retention erases only what is due, once."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from sqlalchemy import text, update
from sqlmodel import Session, SQLModel, select

from ivc.audit.models import AuditEvent
from ivc.auth.roles import SYSTEM_ACTOR, Actor, Role
from ivc.case import service as cases
from ivc.case.models import Case
from ivc.case.states import Action, CaseState, DocumentType
from ivc.database.core import get_engine, utcnow
from ivc.decision import service as decisions
from ivc.decision.models import DecisionKind
from ivc.document.models import IssuedDocument
from ivc.document.verify import Verdict, verify_bytes, verify_code
from ivc.errors import DomainError, NotFound, PermissionDenied
from ivc.evidence import service as evidence
from ivc.evidence.models import EvidenceItem, EvidenceType
from ivc.evidence.storage import get_store
from ivc.experience.models import Experience
from ivc.flows.schedules import retention
from ivc.person.models import Person, Vulnerability
from ivc.person.service import get_person, register_person
from ivc.privacy.erasure import delete_pending_blobs, erase_person
from ivc.privacy.export import export_person
from ivc.privacy.models import ErasureRecord

from .helpers import advance_to, new_case, person_in, staff, tiny_pdf

ADMIN = Actor("admin", Role.ADMIN)
SHARED_FILE = tiny_pdf("attestato del corso HACCP (stesso file in due casi)")
OWN_FILE = tiny_pdf("lettera del datore di lavoro di Amina")
OTHER_FILE = tiny_pdf("referto di Yusuf")


def _add(session: Session, case: Case, data: bytes, actor: Actor) -> EvidenceItem:
    return evidence.add_evidence(
        session,
        case,
        data,
        title="Attestato",
        evidence_type=EvidenceType.DOCUMENT,
        media_type="application/pdf",
        actor=actor,
    )


@pytest.fixture()
def two_people(session: Session) -> dict[str, object]:
    """Amina with a certified (closed) case, and Yusuf, someone else, sharing one file with her."""
    actors = staff(session)

    def files(case: Case) -> None:  # evidence is added while the case is open
        _add(session, case, SHARED_FILE, actors["op3"])
        _add(session, case, OWN_FILE, actors["op3"])

    case = advance_to(session, actors, CaseState.CLOSED, during_identification=files)
    amina = session.get(Person, case.person_id)
    assert amina is not None and case.state == CaseState.CLOSED.value
    session.add(
        Vulnerability(person_id=amina.id or 0, kind="other", note="vittima di tratta", territory="3", created_by="op3")
    )
    yusuf = register_person(
        session,
        person_in(
            given_name="Yusuf",
            family_name="Diallo",
            name_native=None,
            birth_date=date(1990, 3, 1),
            birth_place="Dakar",
            citizenship="SN",
            vulnerabilities=[{"kind": "other", "note": "in cura al SerD"}],
        ),
        actors["op3"],
    )
    other_case = cases.open_case(session, yusuf, ["LIG-CUC"], actors["op3"])
    _add(session, other_case, SHARED_FILE, actors["op3"])
    _add(session, other_case, OTHER_FILE, actors["op3"])
    session.commit()
    return {"actors": actors, "case": case, "amina": amina, "yusuf": yusuf, "other_case": other_case}


def _zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_export_holds_everything_about_the_person_and_nothing_about_others(session: Session, two_people: dict) -> None:
    amina, case = two_people["amina"], two_people["case"]
    files = _zip(export_person(session, amina.id, ADMIN, get_store()))
    data = json.loads(files["data.json"])
    assert data["person"]["family_name"] == "Ben Salah"
    assert [v["note"] for v in data["vulnerabilities"]] == ["vittima di tratta"]  # decrypted
    assert data["consents"] and data["experiences"] and data["claims"] and data["assessments"]
    assert data["decisions"] and data["assessment_results"] and data["exam_sessions"] and data["service_agreements"]
    assert {d["doc_type"] for d in data["documents"]} == {t.value for t in DocumentType}
    assert any(e["action"] == "case.opened" or e["case_id"] == case.id for e in data["audit_events"])
    assert any(e["entity"] == "person" and e["action"] == "person.registered" for e in data["audit_events"])
    assert SHARED_FILE in files.values() and OWN_FILE in files.values()
    assert len([n for n in files if n.startswith("documents/")]) == 3
    everything = b"".join(files.values())
    for foreign in (b"Yusuf", b"Diallo", b"SerD", OTHER_FILE):
        assert foreign not in everything
    assert all(e["case_id"] in (None, case.id) for e in data["audit_events"])
    # What the documents in force recognise (not the review's working status): certified, by the certificate.
    certificate = next(d for d in data["documents"] if d["doc_type"] == DocumentType.CERTIFICATE.value)
    recognised = data["recognised_competences"]
    assert recognised and {r["recognised_as"] for r in recognised} == {"certified"}
    assert {r["document"] for r in recognised} == {certificate["number"]}
    assert "Competenze riconosciute dai documenti in vigore" in files["summary.html"].decode()
    # Preferred language Arabic has no translation yet: the summary falls back to Italian.
    assert "I tuoi dati personali" in files["summary.html"].decode()
    assert "vittima di tratta" in files["summary.html"].decode()


def test_the_export_summary_is_in_the_persons_language_and_access_is_checked(
    session: Session, two_people: dict
) -> None:
    yusuf = two_people["yusuf"]
    yusuf.preferred_language = "en"
    session.add(yusuf)
    session.commit()
    summary = _zip(export_person(session, yusuf.id, ADMIN, get_store()))["summary.html"].decode()
    assert "Your personal data" in summary and "in cura al SerD" in summary
    with pytest.raises(PermissionDenied):
        export_person(session, yusuf.id, two_people["actors"]["op1"], get_store())  # other district
    with pytest.raises(PermissionDenied):
        export_person(session, yusuf.id, two_people["actors"]["mon"], get_store())


def _all_rows_text() -> str:
    with get_engine().connect() as conn:
        return "\n".join(
            str(row)
            for table in SQLModel.metadata.sorted_tables
            for row in conn.execute(text(f'SELECT * FROM "{table.name}"'))
        )


def test_erasure_removes_rows_and_unshared_files_and_keeps_the_register_minimum(
    session: Session, two_people: dict
) -> None:
    amina, case, other_case = two_people["amina"], two_people["case"], two_people["other_case"]
    certificate = session.exec(
        select(IssuedDocument).where(IssuedDocument.case_id == case.id, IssuedDocument.doc_type == "certificato")
    ).one()
    holder_copy = get_store().get(certificate.storage_key)  # the PDF the holder keeps
    own_key = next(e.sha256 for e in evidence.evidence_for_case(session, case.id) if e.size == len(OWN_FILE))

    record = erase_person(session, amina.id, ADMIN)
    session.commit()
    assert delete_pending_blobs(session, get_store()) >= 4  # own evidence, three issued PDFs; not the shared one

    store = get_store()
    with pytest.raises(NotFound):
        store.get(own_key)
    assert store.get(evidence.evidence_for_case(session, other_case.id)[0].sha256) in (SHARED_FILE, OTHER_FILE)
    assert SHARED_FILE in {store.get(e.sha256) for e in evidence.evidence_for_case(session, other_case.id)}
    for model in (Experience, EvidenceItem):
        assert not session.exec(select(model).where(model.case_id == case.id)).all()  # type: ignore[attr-defined]
    assert not session.exec(select(Vulnerability).where(Vulnerability.person_id == amina.id)).all()
    session.expire_all()
    shell = session.get(Person, amina.id)
    assert shell is not None and shell.erased_at and shell.given_name == "" and shell.birth_date is None

    dump = _all_rows_text()
    for erased in ("Ben Salah", "Amina", "بن صالح", "vittima di tratta", "1986-04-12", "Sfax"):
        assert erased not in dump
    assert "Diallo" in dump  # the other person is untouched

    docs = session.exec(select(IssuedDocument).where(IssuedDocument.case_id == case.id)).all()
    assert len(docs) == 3 and all(d.payload["erased"] and "holder" not in d.payload for d in docs)
    kept_cert = next(d for d in docs if d.doc_type == "certificato")
    assert kept_cert.payload["qualifications"][0]["code"] == "LIG-CUC" and kept_cert.number == certificate.number
    assert record.removed["experiences"] >= 1 and record.removed["evidence_items"] == 2
    kept = " ".join(k["what"] + k["why"] for k in record.kept)
    assert "register" in kept and "certified" in kept and "art. 17(3)(b)" in kept

    by_code = verify_code(session, certificate.verification_code)
    assert by_code.verdict is Verdict.VALID and by_code.document["holder_erased"]
    assert by_code.document["holder"] == {"name": "—"} and "erased" in by_code.reason
    assert by_code.document["qualifications"][0]["code"] == "LIG-CUC"
    assert verify_bytes(session, holder_copy).verdict is Verdict.VALID

    events = session.exec(select(AuditEvent).where(AuditEvent.action == "person.erased")).all()
    assert len(events) == 1 and "Ben Salah" not in json.dumps(events[0].after)
    with pytest.raises(DomainError, match="already erased"):
        erase_person(session, amina.id, ADMIN)


def test_erasure_is_refused_while_a_case_is_open_and_to_non_admins(session: Session, two_people: dict) -> None:
    yusuf = two_people["yusuf"]
    with pytest.raises(PermissionDenied):
        erase_person(session, yusuf.id, two_people["actors"]["op3"])
    with pytest.raises(DomainError, match="is open"):
        erase_person(session, yusuf.id, ADMIN)
    assert session.get(Person, yusuf.id).family_name == "Diallo"  # type: ignore[union-attr]


def _closed(session: Session, case: Case, years_ago: float) -> None:
    session.execute(
        update(Case).where(Case.id == case.id).values(closed_at=utcnow() - timedelta(days=365.25 * years_ago))
    )


def test_retention_erases_only_what_is_due_and_a_second_run_does_nothing(session: Session) -> None:
    actors = staff(session)
    op = actors["op3"]

    def withdrawn(years: float) -> Case:
        case = new_case(session, actors)
        cases.request_withdrawal(session, case, "motivi di salute", op)
        cases.confirm_withdrawal(session, case, op)
        _closed(session, case, years)
        return case

    def refused(years: float, data: bytes) -> Case:
        case = new_case(session, actors)
        _add(session, case, data, op)
        decisions.record_decision(
            session, case, DecisionKind.ADMISSIBILITY, "non_ammesso", op, comment="percorso non fattibile"
        )
        cases.transition(session, case, Action.REFUSE_ACCESS, op)
        _closed(session, case, years)
        return case

    old_withdrawn, recent_withdrawn = withdrawn(3), withdrawn(1)
    refused_2y, refused_6y = refused(2, b"refused two years ago"), refused(6, b"refused six years ago")
    refused_recent = refused(0.5, b"refused recently")
    certified = advance_to(session, actors, CaseState.CLOSED)
    _closed(session, certified, 10)
    session.commit()

    plan = retention.fn(dry_run=True)
    planned = {(i["case_id"], i["rule"], i["action"]) for i in plan["erased"]}
    assert planned == {
        (old_withdrawn.id, "withdrawn", "erase_case"),
        (refused_6y.id, "closed_without_certificate", "erase_case"),
        (refused_2y.id, "refused_evidence", "erase_evidence"),
    }
    assert session.exec(select(ErasureRecord)).all() == []  # a dry run changes nothing

    done = retention.fn()
    assert {(i["case_id"], i["rule"]) for i in done["erased"]} == {(c, r) for c, r, _ in planned}
    assert done["blobs_deleted"] == 2
    session.expire_all()
    assert session.get(Case, old_withdrawn.id).erased_at is not None  # type: ignore[union-attr]
    assert session.get(Case, old_withdrawn.id).withdrawal_reason is None  # type: ignore[union-attr]
    assert session.get(Person, old_withdrawn.person_id).erased_at is not None  # type: ignore[union-attr]
    assert session.get(Case, refused_2y.id).erased_at is None  # type: ignore[union-attr]
    assert evidence.evidence_for_case(session, refused_2y.id) == []
    assert session.get(Person, refused_2y.person_id).given_name == "Amina"  # type: ignore[union-attr]
    for kept in (recent_withdrawn, refused_recent, certified):
        assert session.get(Case, kept.id).erased_at is None  # type: ignore[union-attr]
    assert evidence.evidence_for_case(session, refused_recent.id)
    assert session.get(Person, certified.person_id).erased_at is None  # type: ignore[union-attr]

    again = retention.fn()
    assert again == {"dry_run": False, "erased": [], "blobs_deleted": 0}
    assert len(session.exec(select(ErasureRecord)).all()) == 3
    assert SYSTEM_ACTOR.username in {r.actor for r in session.exec(select(ErasureRecord))}


def test_the_command_line_exports_erases_and_reports(session: Session, two_people: dict, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from ivc.cli.main import app

    runner = CliRunner()
    amina, yusuf = two_people["amina"], two_people["yusuf"]
    out = tmp_path / "amina.zip"
    result = runner.invoke(app, ["person", "export", str(amina.id), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "data.json" in _zip(out.read_bytes())
    refused = runner.invoke(app, ["person", "erase", str(yusuf.id), "--yes"])
    assert refused.exit_code == 2 and "is open" in refused.output
    erased = runner.invoke(app, ["person", "erase", str(amina.id), "--yes"])
    assert erased.exit_code == 0, erased.output
    assert "removed" in erased.output and "kept: register entry" in erased.output
    plan = runner.invoke(app, ["privacy", "retention", "--dry-run"])
    assert plan.exit_code == 0 and "0 due" in plan.output
    status = runner.invoke(app, ["keys", "status"])
    assert status.exit_code == 0 and "active" in status.output and "plaintext" not in status.output


def test_erasure_also_removes_statements_mediator_notes_and_referrals(session: Session) -> None:
    from ivc.experience.service import ExperienceIn, add_experience
    from ivc.mediation import service as mediation
    from ivc.mediation.models import MediatorNote, Statement
    from ivc.referral import service as referrals
    from ivc.referral.models import Referral
    from ivc.referral.service import ReferralIn

    actors = staff(session)

    def interview(case: Case) -> None:
        exp = add_experience(
            session,
            case,
            ExperienceIn(kind="work", title="Sarta", language="ar", text_original="كنت خياطة", text_it="Ero sarta"),
            actors["op3"],
        )
        mediation.record_statement(
            session, case, actors["med"], language="ar", text_original="كنت خياطة في تونس",
            text_it="Ero sarta in Tunisia", translated_by="med", experience_id=exp.id,
        )  # fmt: skip
        mediation.add_note(session, case, "contesto culturale riservato", actors["med"])
        referrals.send(
            session,
            get_person(session, case.person_id),
            ReferralIn.model_validate(
                {
                    "from_service": "ivc",
                    "to_service": "cpi",
                    "reason": "orientamento",
                    "request": "iscrizione al CPI",
                    "urgency": "normal",
                    "consent_basis": "public_task",
                    "contact_operator": "op3",
                    "case_id": case.id,
                }
            ),
            actors["op3"],
        )

    case = advance_to(session, actors, CaseState.CLOSED, during_identification=interview)
    session.commit()
    from ivc.privacy.export import collect

    held = collect(session, case.person_id)  # the person's copy holds them too, without the mediator's note
    assert [s["text_original"] for s in held["statements"]] == ["كنت خياطة في تونس"]
    assert len(held["referrals"]) == 1 and "contesto culturale riservato" not in json.dumps(held, default=str)
    record = erase_person(session, case.person_id, ADMIN)
    session.commit()
    for model in (Statement, MediatorNote, Referral):
        assert not session.exec(select(model).where(model.case_id == case.id)).all()  # type: ignore[attr-defined]
    assert record.removed["statements"] == 1 and record.removed["mediator_notes"] == 1
    assert record.removed["referrals"] == 1
    dump = _all_rows_text()
    assert "كنت خياطة في تونس" not in dump and "contesto culturale riservato" not in dump
