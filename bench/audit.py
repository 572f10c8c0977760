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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _measure(url: str, runs: int, events: int, chained: bool) -> float:
    from sqlmodel import Session

    from ivc.audit import sealing
    from ivc.audit import service as audit
    from ivc.auth.roles import Actor, Role
    from ivc.database.core import get_engine

    actor = Actor("bench", Role.OPERATOR, frozenset({"3"}))
    engine = get_engine(url)
    times = []
    for i in range(runs):
        t = time.perf_counter()
        with Session(engine) as s:
            for j in range(events):
                audit.record(s, actor, "bench.write", entity="case", entity_id=i, territory="3", after={"j": j})
            if chained:
                s.commit()
            else:
                with sealing.unchained():
                    s.commit()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def _rows(label: str, url: str, runs: int) -> list[str]:
    from ivc.database.migrate import upgrade

    upgrade(url)
    out = []
    for events in (1, 5):
        _measure(url, 20, events, True)  # warm-up: connections, statement caches
        # Interleave the two modes so drift in the machine affects both alike.
        plain = statistics.median(_measure(url, runs // 5, events, False) for _ in range(5))
        chained = statistics.median(_measure(url, runs // 5, events, True) for _ in range(5))
        cost = f"{chained - plain:+.2f} ({chained / plain - 1:+.0%})"
        out.append(f"| {label} | {events} | {plain:.2f} | {chained:.2f} | {cost} |")
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
