"""The hostile corpus through the services: intake, interviews, evidence, consent, vacancies,
framework search and suggestions. Each case is refused clearly or stored exactly; afterwards the
database and the evidence store are consistent."""

from __future__ import annotations

import io
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from ivc.auth.roles import Actor
from ivc.case.models import Case
from ivc.case.states import CaseState
from ivc.consent import service as consents
from ivc.consent.models import ConsentPurpose, ConsentRecord
from ivc.database.core import session_scope
from ivc.errors import ValidationFailed
from ivc.evidence import service as evidence
from ivc.evidence.models import EvidenceItem, EvidenceType
from ivc.evidence.safety import ALLOWED, clean_title
from ivc.evidence.storage import get_store
from ivc.experience.models import Experience
from ivc.experience.service import ExperienceIn, add_experience, clean_text
from ivc.framework.search import search
from ivc.mapping.service import suggest_text
from ivc.matching import service as matching
from ivc.matching.models import Vacancy
from ivc.person.models import Person
from ivc.person.service import register_person
from ivc.text import forbidden_char

from ..helpers import advance_to, person_in, staff
from .corpus import (
    BIRTH_DATES,
    EXPERIENCE_DATES,
    FILES,
    STRINGS,
    VACANCY_CSVS,
    Probe,
    same,
)


def _world(session: Session) -> tuple[dict[str, Actor], Case]:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    session.commit()
    return actors, case


def _single_line(value: str) -> str | None:
    return " ".join(value.split()) or None


PERSON_FIELDS = ("given_name", "family_name", "name_native", "birth_place", "phone", "email", "guardian_name")


def test_hostile_text_in_every_intake_field(session: Session) -> None:
    actors = staff(session)
    session.commit()
    op = actors["op3"]
    probe = Probe("person")
    stored = 0
    for field in PERSON_FIELDS:
        for label, value in STRINGS:

            def action(s: Session, field: str = field, value: str = value) -> tuple[Any, int]:
                data = person_in(**{field: value})
                return data, register_person(s, data, op).id or 0

            def verify(s: Session, result: tuple[Any, int], field: str = field, value: str = value) -> None:
                data, person_id = result
                row = s.get(Person, person_id)
                assert row is not None
                same(getattr(row, field), getattr(data, field), field)
                same(getattr(data, field), _single_line(value), f"{field} as accepted")
                assert forbidden_char(getattr(row, field) or "") is None

            stored += probe.run(f"{field} ← {label}", action, verify) == "stored"
    for label, value in STRINGS:

        def note(s: Session, value: str = value) -> int:
            return register_person(s, person_in(vulnerabilities=[{"kind": "other", "note": value}]), op).id or 0

        stored += probe.run(f"vulnerability note ← {label}", note) == "stored"
    probe.consistent()
    probe.finish()
    with session_scope() as s:
        assert len(s.exec(select(Person.id)).all()) == stored  # refused intakes left no row behind


def test_absurd_dates_and_duplicated_identities(session: Session) -> None:
    actors = staff(session)
    session.commit()
    op = actors["op3"]
    probe = Probe("identity")
    for label, born, expected in BIRTH_DATES:
        probe.run(
            f"birth date {label}",
            lambda s, born=born: register_person(s, person_in(birth_date=born), op),
            expect=expected,
        )
    cf = "BNSMNA86D52Z352L"
    probe.run("codice fiscale, first", lambda s: register_person(s, person_in(codice_fiscale=cf), op), expect="stored")
    probe.run(
        "same codice fiscale again",
        lambda s: register_person(s, person_in(given_name="Altra", codice_fiscale=cf), op),
        expect="refused",
    )
    probe.run(
        "same codice fiscale, lower case and spaces",
        lambda s: register_person(s, person_in(codice_fiscale=f"  {cf.lower()} "), op),
        expect="refused",
    )
    probe.run(
        "same codice fiscale from another district",
        lambda s: register_person(s, person_in("1", codice_fiscale=cf), actors["op1"]),
        expect="refused",
    )
    probe.run(
        "provisional code twice",
        lambda s: [register_person(s, person_in(codice_fiscale="12345678901"), op) for _ in range(2)],
        expect="refused",
    )
    probe.run("codice fiscale with SQL", lambda s: register_person(s, person_in(codice_fiscale="' OR 1=1 --"), op))
    # The same name and birth date is shown as a likely existing person first; homonyms exist, so
    # once the operator confirms a different person it is stored (no codice fiscale).
    probe.run(
        "same name and birth date, not confirmed",
        lambda s: register_person(s, person_in(), op),
        expect="refused",
    )
    probe.run(
        "same name and birth date twice, confirmed as different people",
        lambda s: [register_person(s, person_in(), op, confirmed_new=True) for _ in range(2)],
        lambda s, rows: same(len(s.exec(select(Person).where(Person.family_name == "Ben Salah")).all()), 4, "rows"),
        expect="stored",
    )
    probe.consistent()
    probe.finish()
    with session_scope() as s:
        assert len(s.exec(select(Person).where(Person.codice_fiscale == cf)).all()) == 1
        assert len(s.exec(select(Person).where(Person.codice_fiscale == "12345678901")).all()) == 0


def test_hostile_interviews(session: Session) -> None:
    actors, case = _world(session)
    op = actors["op3"]
    probe = Probe("experience")
    for field in ("title", "place", "text_original", "text_it", "translated_by"):
        for label, value in STRINGS:

            def action(s: Session, field: str = field, value: str = value) -> tuple[ExperienceIn, int]:
                base: dict[str, Any] = {"kind": "work", "title": "Cuoco", "language": "ar", "text_original": "نص"}
                base[field] = value
                if field != "text_original":  # a distinct text per case: the same text is the same record
                    base["text_original"] = f"نص {field} {value[:50]}"
                if field == "translated_by":  # kept only with a translation
                    base["text_it"] = "Testo tradotto"
                data = ExperienceIn.model_validate(base)
                return data, add_experience(s, case, data, op).id or 0

            def verify(s: Session, result: tuple[ExperienceIn, int], field: str = field, value: str = value) -> None:
                data, exp_id = result
                row = s.get(Experience, exp_id)
                assert row is not None
                accepted = getattr(data, field)
                same(getattr(row, field), accepted or None if field == "text_it" else accepted, field)
                if field == "translated_by":
                    same(accepted, " ".join(clean_text(value).split())[:64] or None, f"{field} as accepted")
                else:
                    same(accepted, clean_text(value), f"{field} as accepted")
                assert forbidden_char(getattr(row, field) or "", allow="\n\t") is None

            probe.run(f"{field} ← {label}", action, verify)
    for label, value in STRINGS[:12]:
        probe.run(
            f"language ← {label}",
            lambda s, value=value: add_experience(
                s, case, ExperienceIn(kind="work", title="T", language=value, text_original=f"lang {value}"), op
            ),
            expect="refused",
        )
    for label, started, ended, expected in EXPERIENCE_DATES:
        probe.run(
            f"dates: {label}",
            lambda s, started=started, ended=ended, label=label: add_experience(
                s,
                case,
                ExperienceIn(
                    kind="work", title="Date", language="it", text_original=label, started_on=started, ended_on=ended
                ),
                op,
            ),
            expect=expected,
        )
    probe.consistent()
    probe.finish()


def test_hostile_uploads(session: Session) -> None:
    actors, case = _world(session)
    op = actors["op3"]
    probe = Probe("evidence")
    for label, content, declared, filename, expected in FILES:

        def action(s: Session, content: Any = content, declared: str = declared, filename: str = filename) -> int:
            item = evidence.add_evidence(
                s,
                case,
                content(),
                title="Documento",
                evidence_type=EvidenceType.DOCUMENT,
                media_type=declared,
                actor=op,
                filename=filename,
            )
            return item.id or 0

        def verify(s: Session, item_id: int) -> None:
            item = s.get(EvidenceItem, item_id)
            assert item is not None and item.media_type in ALLOWED, item
            name = item.display_name or ""
            assert "/" not in name and "\\" not in name and name not in (".", "..") and len(name) <= 200, name
            assert forbidden_char(name) is None
            get_store().get(item.sha256)

        probe.run(f"file: {label}", action, verify, expect=expected)
    for i, (label, value) in enumerate(STRINGS):

        def titled(s: Session, value: str = value, i: int = i) -> int:
            item = evidence.add_evidence(
                s,
                case,
                f"nota {i}".encode(),
                title=value,
                evidence_type=EvidenceType.INTERVIEW_NOTE,
                media_type="text/plain",
                actor=op,
            )
            return item.id or 0

        def verify_title(s: Session, item_id: int, value: str = value) -> None:
            item = s.get(EvidenceItem, item_id)
            assert item is not None
            same(item.title, clean_title(value), "title")
            assert forbidden_char(item.title) is None

        probe.run(f"title ← {label}", titled, verify_title)
    other = advance_to(session, actors, CaseState.IDENTIFICATION)
    session.commit()
    foreign = add_experience(
        session, other, ExperienceIn(kind="work", title="Altro", language="it", text_original="altro caso"), op
    )
    session.commit()
    for label, ids in (("missing experience", [987654]), ("another case's experience", [foreign.id or 0])):
        probe.run(
            f"link to {label}",
            lambda s, ids=ids, label=label: evidence.add_evidence(
                s,
                case,
                f"collegata a {label}".encode(),
                title="Nota",
                evidence_type=EvidenceType.INTERVIEW_NOTE,
                media_type="text/plain",
                actor=op,
                experience_ids=ids,
            ),
            expect="refused",
        )
    probe.consistent()
    probe.finish()


def test_hostile_consent(session: Session) -> None:
    actors, case = _world(session)
    op = actors["op3"]
    probe = Probe("consent")
    purposes = [p for p in ConsentPurpose if p is not ConsentPurpose.IVC_SERVICE]

    def person(s: Session) -> Person:
        row = s.get(Person, case.person_id)
        assert row is not None
        return row

    for label, value in STRINGS:
        probe.run(
            f"language ← {label}",
            lambda s, value=value: consents.give_consent(s, person(s), purposes[0], value, op),
            expect="refused",
        )

        def explained(s: Session, value: str = value) -> tuple[int, str | None]:
            consents.withdraw_consent(s, person(s), purposes[1], op) if consents.active_consent(
                s, case.person_id, purposes[1]
            ) else None
            record = consents.give_consent(s, person(s), purposes[1], "ar", op, explained_by=value)
            return record.id or 0, _single_line(value)

        def verify(s: Session, result: tuple[int, str | None]) -> None:
            record = s.get(ConsentRecord, result[0])
            assert record is not None
            same(record.explained_by, result[1], "explained_by")

        probe.run(f"explained_by ← {label}", explained, verify)

        def withdrawn(s: Session, value: str = value) -> int:
            if consents.active_consent(s, case.person_id, purposes[2]) is None:
                consents.give_consent(s, person(s), purposes[2], "it", op)
            return consents.withdraw_consent(s, person(s), purposes[2], op, reason=value).id or 0

        probe.run(f"withdrawal reason ← {label}", withdrawn)
    probe.run(
        "expires in the past",
        lambda s: consents.give_consent(
            s, person(s), purposes[3], "it", op, expires_at=datetime.now(UTC) - timedelta(days=1)
        ),
        expect="refused",
    )
    probe.run(
        "expiry without time zone",
        lambda s: consents.give_consent(s, person(s), purposes[3], "it", op, expires_at=datetime(2099, 1, 1)),
        expect="refused",
    )
    probe.run(
        "expiry in 2099 UTC",
        lambda s: consents.give_consent(
            s, person(s), purposes[3], "it", op, expires_at=datetime(2099, 1, 1, tzinfo=UTC)
        ),
        lambda s, record: same(consents.active_consent(s, case.person_id, purposes[3]) is not None, True, "active"),
        expect="stored",
    )
    probe.consistent()
    probe.finish()


def test_hostile_vacancies(session: Session, tmp_path: Path) -> None:
    actors, _ = _world(session)
    cpi = actors["cpi3"]
    probe = Probe("vacancy")
    for field in ("reference", "title", "employer"):
        for i, (label, value) in enumerate(STRINGS):
            fields: dict[str, Any] = {"reference": f"H-{field}-{i}", "title": "Cuoco", "employer": "Ditta"}
            fields[field] = value

            def action(s: Session, fields: dict[str, Any] = fields) -> tuple[int, dict[str, Any]]:
                row = matching.create_vacancy(s, cpi, district="3", essential=["LIG-CUC-UC1"], **fields)
                return row.id or 0, fields

            def verify(s: Session, result: tuple[int, dict[str, Any]]) -> None:
                row = s.get(Vacancy, result[0])
                assert row is not None
                for name, value in result[1].items():
                    same(getattr(row, name), " ".join(value.split()), name)

            probe.run(f"create: {field} ← {label}", action, verify)
    for label, value in STRINGS[:10]:
        probe.run(
            f"create: district ← {label}",
            lambda s, value=value, label=label: matching.create_vacancy(
                s, cpi, reference=f"D-{label}", title="T", employer="E", district=value, essential=[]
            ),
            expect="refused",
        )
        probe.run(
            f"create: overlong skill key ← {label}",
            lambda s, value=value, label=label: matching.create_vacancy(
                s, cpi, reference=f"K-{label}", title="T", employer="E", district="3", essential=[value * 300]
            ),
            expect="refused",
        )
    before = _vacancies()
    for label, content, expected in VACANCY_CSVS:
        path = tmp_path / f"{label.replace(' ', '_')}.csv"
        path.write_bytes(content)
        count = _vacancies()
        outcome = probe.run(
            f"import: {label}", lambda s, path=path: matching.import_vacancies(s, path, cpi), expect=expected
        )
        if outcome == "refused" and _vacancies() != count:
            probe.fail(f"import: {label}", "refused but left vacancies behind")
    probe.run("import: a directory", lambda s: matching.import_vacancies(s, tmp_path, cpi), expect="refused")
    probe.run(
        "import: no such file", lambda s: matching.import_vacancies(s, tmp_path / "nope.csv", cpi), expect="refused"
    )
    probe.consistent()
    probe.finish()
    with session_scope() as s:
        script = s.exec(select(Vacancy).where(Vacancy.reference == "V-X1")).one()
        assert script.title == "<script>alert(1)</script>" and script.employer == "'; DROP TABLE vacancy; --"
    assert _vacancies() == before + 2


def _vacancies() -> int:
    with session_scope() as s:
        return len(s.exec(select(Vacancy.id)).all())


def test_hostile_search_and_suggestions(session: Session) -> None:
    probe = Probe("search")
    for label, value in STRINGS:
        probe.run(f"framework search ← {label}", lambda s, value=value: search(s, value, limit=5))
        probe.run(f"framework search, lang ← {label}", lambda s, value=value: search(s, "saldatura", lang=value[:12]))
        probe.run(f"suggest_text ← {label}", lambda s, value=value: suggest_text(s, value, top=3))
    probe.run("suggest_text ← 200 kB of text", lambda s: suggest_text(s, "saldatura " * 20_000, top=3))
    probe.finish()


def test_the_store_stays_clean_after_a_crash_mid_upload(session: Session) -> None:
    """A stream that breaks half-way (a dropped connection) leaves no temporary file."""
    probe = Probe("store")

    class Broken(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            if self.tell() > 0:
                raise OSError("connection reset")
            return super().read(size if size and size > 0 else 1024)

    def action(s: Session) -> None:
        try:
            get_store().put(Broken(b"x" * 5000))
        except OSError as exc:
            raise evidence.ValidationFailed(f"upload interrupted: {exc}", field="file") from exc

    probe.run("interrupted stream", action, expect="refused")
    probe.consistent()
    probe.finish()


def test_hostile_participation(session: Session) -> None:
    from datetime import date

    from ivc.participation import service as participation
    from ivc.participation.models import SupportActivity

    actors, case = _world(session)
    op = actors["op3"]
    probe = Probe("participation")
    for field in ("provider", "title"):
        for i, (label, value) in enumerate(STRINGS):
            fields: dict[str, Any] = {"provider": f"Ente {i}", "title": "Corso"}
            fields[field] = value

            def action(s: Session, fields: dict[str, Any] = fields, i: int = i) -> tuple[int, dict[str, Any]]:
                data = participation.ActivityIn(kind="language_course", started_on=date(2026, 1, 1 + i % 28), **fields)
                return participation.record_activity(s, case.person_id, data, op).id or 0, fields

            def verify(s: Session, result: tuple[int, dict[str, Any]]) -> None:
                row = s.get(SupportActivity, result[0])
                assert row is not None
                for name, value in result[1].items():
                    # One line, NFC: how ivc stores every short text
                    same(getattr(row, name), unicodedata.normalize("NFC", " ".join(value.split())) or None, name)

            probe.run(f"activity: {field} ← {label}", action, verify)
    for label, value in STRINGS[:12]:
        probe.run(
            f"level: language ← {label}",
            lambda s, value=value: participation.record_level(
                s,
                case.person_id,
                level="A2",
                assessed_on=date(2026, 1, 1),
                source="course_exam",
                language=value,
                actor=op,
            ),
            expect="refused",
        )
        probe.run(
            f"level: level ← {label}",
            lambda s, value=value: participation.record_level(
                s, case.person_id, level=value, assessed_on=date(2026, 1, 1), source="course_exam", actor=op
            ),
            expect="refused",
        )
        probe.run(
            f"feedback: answer ← {label}",
            lambda s, value=value: participation.record_feedback(
                s, case.person_id, answer=value, asked_in="ar", actor=op
            ),
            expect="refused",
        )
    header = "person_id,kind,provider,title,started_on,ended_on,hours,completed\n"
    pid = case.person_id
    registers = [
        ("empty", "", "refused"),
        ("header only", header, "stored"),
        ("nul byte", f"{header}{pid},language_course,CPIA\x00,T,2026-01-01,,,\n", "refused"),
        ("hours not a number", f"{header}{pid},language_course,CPIA,T,2026-01-01,,dieci,\n", "refused"),
        ("hours negative", f"{header}{pid},language_course,CPIA,T,2026-01-01,,-3,\n", "refused"),
        ("hours infinite", f"{header}{pid},language_course,CPIA,T,2026-01-01,,inf,\n", "refused"),
        ("person id huge", f"{header}{'9' * 40},language_course,CPIA,T,2026-01-01,,,\n", "refused"),
        ("unterminated quote", f'{header}{pid},language_course,"CPIA,T,2026-01-01,,,\n', "refused"),
        ("bidi override provider", f"{header}{pid},language_course,CPIA\u202egnp,T,2026-01-01,,,\n", "refused"),
        ("too many columns", f"{header}{pid},language_course,CPIA,T,2026-01-01,,,,x,y,z\n", "refused"),
        ("a million columns header", "x," * 100_000 + "\n", "refused"),
        ("script in provider", f"{header}{pid},information,<script>alert(1)</script>,T,2026-01-02,,,\n", "stored"),
    ]
    for label, text, expected in registers:

        def run(s: Session, text: str = text) -> participation.ImportReport:
            report = participation.import_register(s, text, op)
            if report.errors:
                raise ValidationFailed("; ".join(report.errors))
            return report

        before = _activities()
        outcome = probe.run(f"register: {label}", run, expect=expected)
        if outcome == "refused" and _activities() != before:
            probe.fail(f"register: {label}", "refused but left activities behind")
    probe.consistent()
    probe.finish()


def _activities() -> int:
    from ivc.participation.models import SupportActivity

    with session_scope() as s:
        return len(s.exec(select(SupportActivity.id)).all())
