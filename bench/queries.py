"""Benchmark: work-queue and evidence queries over 100,000 cases and 1,000,000 evidence rows on
PostgreSQL (with the indexes the schema declares), beside a plain primary-key SQL query.

    .venv/bin/python bench/queries.py [--pg postgresql://postgres@127.0.0.1:5432] [--cases 100000] [--evidence 1000000]

Creates and drops its own database.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RUNS = 50


def _median(fn: object, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def _copy(conn: psycopg.Connection, table: str, columns: list[str], rows: object) -> None:
    with conn.cursor().copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
        for row in rows:  # type: ignore[attr-defined]
            copy.write_row(row)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--evidence", type=int, default=1_000_000)
    args = parser.parse_args()
    db = f"ivc_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {db}")
    os.environ["IVC_DATABASE_URL"] = f"{args.pg.replace('postgresql://', 'postgresql+psycopg://')}/{db}"
    os.environ.setdefault("IVC_DATA_DIR", tempfile.mkdtemp(prefix="ivc-bench-q-"))
    try:
        from sqlalchemy import text

        from ivc.auth.roles import Actor, Role
        from ivc.bootstrap import bootstrap
        from ivc.case import service as cases
        from ivc.case.states import CaseState
        from ivc.database.core import get_engine, session_scope

        bootstrap()
        rng = random.Random(7)
        now = datetime.now(UTC)
        states = [s.value for s in CaseState]
        started = time.perf_counter()
        with psycopg.connect(f"{args.pg}/{db}") as conn:
            fw = conn.execute("SELECT min(id) FROM framework WHERE kind = 'repertory'").fetchone()[0]  # type: ignore[index]
            _copy(
                conn,
                "person",
                [
                    "id",
                    "given_name",
                    "family_name",
                    "gender",
                    "citizenship",
                    "languages",
                    "italian_level",
                    "referral_source",
                    "preferred_language",
                    "created_at",
                    "created_by",
                    "territory",
                ],
                (
                    (i, f"Nome{i}", f"Cognome{i}", "F", "TN", "[]", "A2", "cpi", "it", now, "bench", str(i % 5 + 1))
                    for i in range(1, args.cases + 1)
                ),
            )
            _copy(
                conn,
                "case",
                [
                    "id",
                    "person_id",
                    "framework_id",
                    "state",
                    "state_entered_at",
                    "operator",
                    "interview_language",
                    "activity",
                    "version",
                    "created_at",
                    "created_by",
                    "territory",
                ],
                (
                    (
                        i,
                        i,
                        fw,
                        rng.choice(states),
                        now - timedelta(minutes=rng.randrange(0, 500_000)),
                        "op",
                        "it",
                        "waiting",
                        1,
                        now,
                        "bench",
                        str(i % 5 + 1),
                    )
                    for i in range(1, args.cases + 1)
                ),
            )
            _copy(
                conn,
                "evidenceitem",
                [
                    "case_id",
                    "kind",
                    "evidence_type",
                    "title",
                    "sha256",
                    "size",
                    "media_type",
                    "storage_key",
                    "created_at",
                    "created_by",
                    "territory",
                ],
                (
                    (
                        rng.randrange(1, args.cases + 1),
                        "file",
                        "document",
                        "Documento",
                        f"{k:064x}",
                        1000,
                        "application/pdf",
                        f"{k:064x}",
                        now,
                        "bench",
                        "3",
                    )
                    for k in (rng.getrandbits(256) for _ in range(args.evidence))
                ),
            )
            conn.execute("SELECT setval(pg_get_serial_sequence('person', 'id'), (SELECT max(id) FROM person))")
            conn.execute("SELECT setval(pg_get_serial_sequence('\"case\"', 'id'), (SELECT max(id) FROM \"case\"))")
            conn.commit()
            conn.execute("ANALYZE")
        load_s = time.perf_counter() - started
        alfa = Actor("alfa", Role.ALFA_REVIEWER)
        operator = Actor("op3", Role.OPERATOR, frozenset({"3"}))
        queue_states = [CaseState.VALIDATION, CaseState.CERTIFICATION_QUEUE, CaseState.EXAM]
        some_sha = None
        with session_scope() as s:
            first = cases.work_queue(s, alfa, queue_states, limit=50)
            page_20 = first[-1]
            for _ in range(19):
                page_20 = cases.work_queue(
                    s, alfa, queue_states, limit=50, before=(page_20.state_entered_at, page_20.case_id)
                )[-1]
            some_sha = s.execute(text("SELECT sha256 FROM evidenceitem LIMIT 1")).scalar()
            results = {
                "ALFA queue, first page of 50 (validation + certification states, all districts)": _median(
                    lambda: cases.work_queue(s, alfa, queue_states, limit=50)
                ),
                "ALFA queue, page 21 (keyset)": _median(
                    lambda: cases.work_queue(
                        s, alfa, queue_states, limit=50, before=(page_20.state_entered_at, page_20.case_id)
                    )
                ),
                "ALFA queue filtered by district": _median(
                    lambda: cases.work_queue(s, alfa, queue_states, district="2", limit=50)
                ),
                "operator's queue (own district, identification)": _median(
                    lambda: cases.work_queue(s, operator, [CaseState.IDENTIFICATION], limit=50)
                ),
                "evidence of one case": _median(
                    lambda: s.execute(
                        text("SELECT id, title, sha256 FROM evidenceitem WHERE case_id = :c"),
                        {"c": rng.randrange(1, args.cases)},
                    ).all()
                ),
                "where else is this file (evidence by sha256)": _median(
                    lambda: s.execute(text("SELECT case_id FROM evidenceitem WHERE sha256 = :h"), {"h": some_sha}).all()
                ),
            }
        with get_engine().connect() as conn:
            baseline = _median(
                lambda: conn.execute(
                    text('SELECT * FROM "case" WHERE id = :i'), {"i": rng.randrange(1, args.cases)}
                ).all()
            )
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}, PostgreSQL; "
            f"{args.cases} cases, {args.evidence} evidence rows loaded in {load_s:.0f} s"
        )
        print("| query (median of 50) | ms | × baseline |\n|---|---|---|")
        print(f"| baseline: plain SQL primary-key lookup of one case | {baseline:.2f} | 1.0 |")
        for name, ms in results.items():
            print(f"| {name} | {ms:.2f} | {ms / baseline:.1f} |")
    finally:
        from ivc.database.core import dispose_engines

        dispose_engines()
        with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


if __name__ == "__main__":
    main()
