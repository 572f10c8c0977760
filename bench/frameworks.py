"""Benchmark: full official ESCO import and type-ahead search over it.

    .venv/bin/python bench/frameworks.py [../shared/esco/v1.1.1] [--database-url URL]

Runs in a throw-away data directory (SQLite unless --database-url). Prints a Markdown table:
import time, and search medians beside a plain SQL ``LIKE`` on the same label table measured
in the same run (the baseline).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

QUERIES = [
    "cook",
    "repair vehicles",
    "weld",
    "soudeur",
    "nurs",
    "clean",
    "LIG-CUC",
    "cuoco",
    "saldatura",
    "prendersi cura",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("esco", nargs="?", default=str(Path(__file__).resolve().parents[2] / "shared/esco/v1.1.1"))
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    os.environ["IVC_DATA_DIR"] = tempfile.mkdtemp(prefix="ivc-bench-")
    if args.database_url:
        os.environ["IVC_DATABASE_URL"] = args.database_url
    from sqlalchemy import text

    from ivc.bootstrap import bootstrap
    from ivc.database.core import get_engine, session_scope
    from ivc.framework.esco import import_esco
    from ivc.framework.search import search
    from ivc.text import fold

    bootstrap()
    started = time.perf_counter()
    with session_scope() as session:
        summary = import_esco(session, Path(args.esco), "v1.1.1")
    import_s = time.perf_counter() - started
    ours, plain = [], []
    with session_scope() as session:
        for q in QUERIES:
            for _ in range(args.repeat):
                t = time.perf_counter()
                search(session, q, limit=20)
                ours.append((time.perf_counter() - t) * 1000)
        with get_engine().connect() as conn:
            for q in QUERIES:
                pattern = f"%{fold(q)}%"
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    conn.execute(
                        text("SELECT entity_key, text FROM frameworklabel WHERE folded LIKE :p LIMIT 20"),
                        {"p": pattern},
                    ).all()
                    plain.append((time.perf_counter() - t) * 1000)
    db = get_engine().dialect.name
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {os.cpu_count()} cores, Python {sys.version.split()[0]}, {db}")
    print("| measure | value |\n|---|---|")
    print(
        f"| full ESCO import ({summary.concepts} concepts, {summary.labels} labels, {summary.relations} relations) "
        f"| {import_s:.1f} s |"
    )
    print(f"| search, median of {len(ours)} (10 queries × {args.repeat}) | {statistics.median(ours):.1f} ms |")
    print(f"| baseline: plain SQL LIKE, first 20 rows, median | {statistics.median(plain):.1f} ms |")
    print(f"| ratio search / baseline | {statistics.median(ours) / statistics.median(plain):.1f}× |")


if __name__ == "__main__":
    main()
