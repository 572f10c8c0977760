"""``ivc scale-test``: the scale-out configuration exercised on this machine.

Starts a Prefect server on PostgreSQL, a process work pool and N workers, registers the phase flows
as deployments, pushes a synthetic population through every automated step via those deployments
(ivc's own database on PostgreSQL too, evidence on a path every worker reaches), checks that every
case reached its expected state with nothing duplicated, stops every process it started and drops
its databases. The same population also runs on the embedded default in the same run, as the
baseline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from ivc.ops.cluster import prefect_server, register_deployments, start_workers
from ivc.ops.cpu import postgres_root


@dataclass
class ScaleResult:
    embedded: dict[str, Any] | None
    clusters: dict[int, dict[str, Any]]
    pids: list[int] = field(default_factory=list)  # every process started (all stopped on return)

    @property
    def ok(self) -> bool:
        runs = [*self.clusters.values()] + ([self.embedded] if self.embedded else [])
        return all(not r["problems"] for r in runs)


def _admin(pg: str, sql: str) -> None:
    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _drive(env: dict[str, str], mode: str, cases: int, batch: int, log: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "ivc.ops.drive", "--mode", mode, "--cases", str(cases), "--batch", str(batch)],
        env=env,
        capture_output=True,
        text=True,
        timeout=7200,
    )
    log.write_text(out.stdout + "\n" + out.stderr, encoding="utf-8")
    for line in out.stdout.splitlines():
        if line.startswith("IVC-RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("IVC-RESULT "))
            return result
    raise RuntimeError(f"{mode} run failed (exit {out.returncode}); see {log}: {out.stderr[-1500:]}")


def run(cases: int, workers: list[int], batch: int, pg: str, embedded_cases: int | None, logs: Path) -> ScaleResult:
    logs = logs.resolve()  # flow runs work in other directories
    logs.mkdir(parents=True, exist_ok=True)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "IVC_"))}
    embedded = None
    if embedded_cases:
        env = dict(base_env, IVC_DATA_DIR=tempfile.mkdtemp(prefix="ivc-embedded-"))
        embedded = _drive(env, "embedded", embedded_cases, batch, logs / "embedded.log")
    clusters: dict[int, dict[str, Any]] = {}
    pids: list[int] = []
    for n in workers:
        tag = uuid.uuid4().hex[:8]
        prefect_db, ivc_db = f"prefect_scale_{tag}", f"ivc_scale_{tag}"
        _admin(pg, f"CREATE DATABASE {prefect_db}")
        _admin(pg, f"CREATE DATABASE {ivc_db}")
        shared = Path(tempfile.mkdtemp(prefix="ivc-shared-"))  # the path every worker reaches
        ivc_env = {
            "IVC_DATABASE_URL": f"{pg.replace('postgresql://', 'postgresql+psycopg://')}/{ivc_db}",
            "IVC_DATA_DIR": str(shared),
        }
        try:
            # Schema, reference data and the suggestion index exist before any worker starts.
            subprocess.run(
                [sys.executable, "-m", "ivc.cli.main", "db", "upgrade"],
                env=dict(base_env, **ivc_env),
                check=True,
                capture_output=True,
                timeout=600,
            )
            prefect_url = f"{pg.replace('postgresql://', 'postgresql+asyncpg://')}/{prefect_db}"
            with prefect_server(prefect_url, dict(base_env, **ivc_env), logs / f"cluster-{n}") as cluster:
                register_deployments(cluster)
                start_workers(cluster, n)
                pids += [p.pid for p in (cluster.server, *cluster.workers) if p is not None]
                watched = {
                    "server": [cluster.server.pid] if cluster.server else [],
                    "workers": [w.pid for w in cluster.workers],
                    "postgres": [root] if (root := postgres_root()) else [],
                }
                env = dict(cluster.env, IVC_SCALE_PIDS=json.dumps(watched))
                clusters[n] = _drive(env, "deployments", cases, batch, logs / f"drive-{n}.log")
        finally:
            for db in (prefect_db, ivc_db):
                _admin(pg, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    return ScaleResult(embedded, clusters, pids)
