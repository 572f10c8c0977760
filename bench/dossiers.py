"""Benchmark: reading consented dossiers for matching when statuses follow the issued documents.

Builds N synthetic consented dossiers (person, case, two experiences, a claim per competence of
the target qualification, a transparency document for each, a validation document for half, a
certificate for a quarter, payloads padded to the size of real ones) and measures, median of 5:

* ``recognition`` over every case (the documents in force, their competences resolved to ids);
* ``profiles`` over every dossier (what matching, the dossier search and the CPI dossier read);
* one vacancy matched end to end (``match_vacancy``, top 20);
* beside: the same dossiers read the way ``profiles`` read them before (three queries per
  dossier, claim statuses, no documents), and a plain SQL read of every claim.

    .venv/bin/python bench/dossiers.py [--dossiers 2000] [--pg postgresql://postgres@127.0.0.1:5432]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RUNS = 5


def _median(fn: object) -> float:
    out = []
    for _ in range(RUNS):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append((time.perf_counter() - t) * 1000)
    return statistics.median(out)


def _build(n: int) -> None:
    from sqlmodel import select

    from ivc.case.models import Case, CaseTarget
    from ivc.claim.models import CompetenceClaim
    from ivc.consent.models import ConsentPurpose, ConsentRecord
    from ivc.database.core import session_scope
    from ivc.document.models import IssuedDocument
    from ivc.experience.models import Experience
    from ivc.framework.models import Competence, Framework, Qualification
    from ivc.person.models import Person

    now = datetime.now(UTC).replace(microsecond=0)
    with session_scope() as s:
        qual = s.exec(select(Qualification).where(Qualification.code == "LIG-CUC")).one()
        fw = s.get(Framework, qual.framework_id)
        assert fw is not None
        comps = list(s.exec(select(Competence).where(Competence.qualification_id == qual.id)))
        common = {"created_by": "bench", "territory": "3"}
        for i in range(n):
            person = Person(
                given_name=f"P{i}",
                family_name="Bench",
                gender="F",
                citizenship="TN",
                referral_source="self",
                italian_level="B1",
                languages=[{"code": "ar", "level": "native"}],
                **common,
            )
            s.add(person)
            s.flush()
            case = Case(person_id=person.id or 0, framework_id=fw.id or 0, operator="bench", state="chiuso", **common)
            s.add(case)
            s.flush()
            cid = case.id or 0
            s.add(CaseTarget(case_id=cid, qualification_id=qual.id or 0, added_by="bench"))
            s.add(
                ConsentRecord(
                    person_id=person.id or 0,
                    purpose=ConsentPurpose.JOB_MATCHING.value,
                    recipient="cpi",
                    language="ar",
                    given_at=now,
                    **common,
                )
            )
            exps = [
                Experience(
                    case_id=cid,
                    kind="work",
                    learning_context="non_formale",
                    title=f"Cuoca {i}.{k}",
                    language="ar",
                    text_original="كنت أعمل طباخة " * 20,
                    content_key=f"{i}-{k}",
                    **common,
                )
                for k in range(2)
            ]
            s.add_all(exps)
            s.flush()
            status = "certified" if i % 4 == 0 else "validated" if i % 2 == 0 else "confirmed"
            for comp in comps:
                s.add(
                    CompetenceClaim(
                        case_id=cid,
                        competence_id=comp.id or 0,
                        framework_id=fw.id or 0,
                        status=status,
                        source="operator",
                        experience_ids=[e.id or 0 for e in exps],
                        **common,
                    )
                )
            kinds = ["documento_trasparenza"]
            kinds += ["documento_validazione"] if i % 2 == 0 else []
            kinds += ["certificato"] if i % 4 == 0 else []
            for kind in kinds:
                code = uuid.uuid4().hex[:16]
                payload = {
                    "type": kind,
                    "framework": {"code": fw.code, "version": fw.version, "name": fw.name},
                    "competences": [
                        {"code": c.code, "title": c.title, "status": status, "learned": [{"what": "x" * 200}]}
                        for c in comps
                    ],
                    # About the size of a real payload: the experiences' texts travel in it.
                    "experiences": [{"text_it": "Lavoravo come cuoca. " * 60} for _ in exps],
                }
                s.add(
                    IssuedDocument(
                        case_id=cid,
                        doc_type=kind,
                        number=f"{kind[:2].upper()}/{i}",
                        register_year=2026,
                        register_seq=i + 1,
                        issued_at=now,
                        issued_by="bench",
                        verification_code=code,
                        sha256="0" * 64,
                        size=1,
                        storage_key="",
                        payload=payload,
                        **common,
                    )
                )
            if i % 500 == 499:
                s.flush()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=2000)
    parser.add_argument("--pg", default=None, help="a PostgreSQL server (a throw-away database is created)")
    args = parser.parse_args()
    os.environ.setdefault("IVC_DATA_DIR", tempfile.mkdtemp(prefix="ivc-bench-dossiers-"))
    db = None
    if args.pg:
        import psycopg

        db = f"ivc_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {db}")
        os.environ["IVC_DATABASE_URL"] = f"{args.pg.replace('postgresql://', 'postgresql+psycopg://')}/{db}"
    else:
        os.environ.pop("IVC_DATABASE_URL", None)
    try:
        from sqlmodel import col, select

        from ivc.auth.roles import Actor, Role
        from ivc.bootstrap import bootstrap
        from ivc.case.models import Case
        from ivc.claim.models import CompetenceClaim
        from ivc.database.core import get_engine, session_scope
        from ivc.document.recognition import recognition
        from ivc.experience.models import Experience
        from ivc.framework.models import Competence, Qualification
        from ivc.mapping.models import EscoSuggestion
        from ivc.matching.models import Vacancy, VacancySkill
        from ivc.matching.service import match_vacancy, profiles

        bootstrap()
        started = time.perf_counter()
        _build(args.dossiers)
        built = time.perf_counter() - started
        cpi = Actor("cpi3", Role.CPI_ADVISOR, frozenset({"3"}))
        with session_scope() as s:
            comps = list(
                s.exec(
                    select(Competence)
                    .join(Qualification, col(Qualification.id) == col(Competence.qualification_id))
                    .where(Qualification.code == "LIG-CUC")
                )
            )
            vacancy = Vacancy(
                reference="BENCH-1", title="Cuoco", employer="Bench", italian_level="A2", territory="3", created_by="b"
            )
            s.add(vacancy)
            s.flush()
            for comp in comps[:3]:
                s.add(VacancySkill(vacancy_id=vacancy.id or 0, concept_key=comp.code, essential=True))
            vacancy_id = vacancy.id or 0
        with session_scope() as s:
            ids = list(s.exec(select(Case.id)))

            def per_dossier_before() -> None:  # what profiles() did per dossier, without documents
                for cid in ids:
                    list(s.exec(select(Experience).where(Experience.case_id == cid)))
                    s.exec(
                        select(CompetenceClaim, Competence)
                        .join(Competence, col(Competence.id) == col(CompetenceClaim.competence_id))
                        .where(CompetenceClaim.case_id == cid)
                    ).all()
                    list(s.exec(select(EscoSuggestion).where(EscoSuggestion.case_id == cid)))

            recognition_ms = _median(lambda: recognition(s, ids))
            profiles_ms = _median(lambda: profiles(s, actor=cpi))
            match_ms = _median(lambda: match_vacancy(s, vacancy_id, cpi))
            before_ms = _median(per_dossier_before)
            plain_ms = _median(lambda: s.exec(select(CompetenceClaim)).all())
            s.rollback()  # the views logged by match_vacancy
            levels: dict[str, int] = {}
            for held in recognition(s, ids).values():
                for r in held.values():
                    levels[r.level.value] = levels.get(r.level.value, 0) + 1
        dialect = get_engine().dialect.name
        python = sys.version.split()[0]
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {python}, {dialect}")
        print(f"{args.dossiers} consented dossiers built in {built:.0f} s; competences by level: {levels}")
        print("| read (median of 5) | ms | per dossier |\n|---|---|---|")
        n = args.dossiers
        for label, ms in (
            ("recognition: documents in force → competence levels, every case", recognition_ms),
            ("profiles: every consented dossier with its recognised skills", profiles_ms),
            ("match one vacancy end to end (profiles, index, top 20, views logged)", match_ms),
            ("before: three queries per dossier, claim statuses, no documents", before_ms),
            ("baseline: plain SQL read of every claim", plain_ms),
        ):
            print(f"| {label} | {ms:.0f} | {ms / n * 1000:.0f} µs |")
    finally:
        if db is not None:
            from ivc.database.core import dispose_engines

            dispose_engines()
            import psycopg

            with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


if __name__ == "__main__":
    main()
