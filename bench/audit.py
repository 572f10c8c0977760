"""Benchmark: what hash-chaining the audit log costs a committing transaction, measured in the
same run with chaining switched off (median of N transactions, one and five events each), on the
embedded SQLite file and, with ``--pg``, on PostgreSQL (its own throw-away database).

    .venv/bin/python bench/audit.py [--runs 300] [--pg postgresql://postgres@127.0.0.1:5432]

Prints markdown table rows (``run_all.py`` collects lines starting with ``|``).
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
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ivc.auth.roles import Actor, Role

ACTOR = Actor("bench", Role.OPERATOR, frozenset({"3"}))


def _commit_ms(engine: Any, events: int, chained: bool, i: int) -> float:
    from sqlmodel import Session

    from ivc.audit import sealing
    from ivc.audit import service as audit

    t = time.perf_counter()
    with Session(engine) as s:
        for j in range(events):
            audit.record(s, ACTOR, "bench.write", entity="case", entity_id=i, territory="3", after={"j": j})
        if chained:
            s.commit()
        else:
            with sealing.unchained():
                s.commit()
    return (time.perf_counter() - t) * 1000


def _rows(label: str, url: str, runs: int) -> list[str]:
    from ivc.database.core import get_engine
    from ivc.database.migrate import upgrade

    upgrade(url)
    engine = get_engine(url)
    out = []
    for events in (1, 5):
        for i in range(20):  # warm-up: connections, statement caches
            _commit_ms(engine, events, True, i)
        # Alternate the two modes transaction by transaction: load from elsewhere hits both alike.
        plain, chained = [], []
        for i in range(runs):
            plain.append(_commit_ms(engine, events, False, i))
            chained.append(_commit_ms(engine, events, True, i))
        p, c = statistics.median(plain), statistics.median(chained)
        out.append(f"| {label} | {events} | {p:.2f} | {c:.2f} | {c - p:+.2f} ({c / p - 1:+.0%}) |")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--pg", default=None, help="PostgreSQL server URL (a database is created and dropped)")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="ivc-bench-audit-"))
    os.environ["IVC_DATA_DIR"] = str(data)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}")
    print("| database | events per transaction | commit ms, unchained | commit ms, chained | cost |")
    print("|---|---|---|---|---|")
    for row in _rows("SQLite (WAL)", f"sqlite:///{data / 'bench.sqlite3'}", args.runs):
        print(row, flush=True)
    if args.pg:
        import psycopg

        db = f"ivc_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {db}")
        try:
            url = f"{args.pg.replace('postgresql://', 'postgresql+psycopg://')}/{db}"
            for row in _rows("PostgreSQL", url, args.runs):
                print(row, flush=True)
        finally:
            from ivc.database.core import dispose_engines

            dispose_engines()
            with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


if __name__ == "__main__":
    main()
