"""Start and stop a Prefect server on PostgreSQL, a process work pool and N workers, register
each phase flow of the IVC path as a deployment, and run batches of cases through them.

Nothing here is specific to one machine: the same steps, with the server's and the databases'
addresses, are what docs/DEPLOY.md tells an operator to run on several machines. Every process
started is stopped by PID (SIGINT, then SIGTERM, then SIGKILL), and waited for.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parents[2]
POOL = "ivc-process"
DEPLOYMENTS = {
    "access": "ivc/flows/phases.py:access_flow",
    "identification": "ivc/flows/phases.py:identification_flow",
    "validation": "ivc/flows/phases.py:validation_flow",
    "certification": "ivc/flows/phases.py:certification_flow",
}
FLOW_NAMES = {
    "access": "ivc-access",
    "identification": "ivc-identification",
    "validation": "ivc-validation",
    "certification": "ivc-certification",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prefect_bin() -> str:
    return str(Path(sys.executable).with_name("prefect"))


@dataclass
class Cluster:
    api_url: str
    env: dict[str, str]
    server: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: Path = Path("/tmp")

    def prefect(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [_prefect_bin(), *args], env=self.env, capture_output=True, text=True, check=check, timeout=120
        )


def _stop(proc: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGINT, grace), (signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Prefect server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"Prefect server not healthy after {timeout:.0f} s")


@contextmanager
def prefect_server(prefect_db_url: str, ivc_env: dict[str, str], logs: Path) -> Iterator[Cluster]:
    """A Prefect server on PostgreSQL (``postgresql+asyncpg://…``) for the duration of the block."""
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    logs.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(ivc_env)
    env.update(
        {
            "PREFECT_HOME": str(logs / "prefect-home"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",  # Prefect's client telemetry: nothing leaves the network
            "PREFECT_LOGGING_LEVEL": "WARNING",
            "PREFECT_API_DATABASE_CONNECTION_URL": prefect_db_url,
            "PREFECT_SERVER_API_HOST": "127.0.0.1",
            "PREFECT_SERVER_API_PORT": str(port),
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_WORKER_PREFETCH_SECONDS": "1",
            "PREFECT_RUNNER_POLL_FREQUENCY": "1",
            "PREFECT_UI_ENABLED": "false",
        }
    )
    server_log = (logs / "server.log").open("wb")
    server = subprocess.Popen(
        [_prefect_bin(), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    client_env = dict(env)
    client_env["PREFECT_API_URL"] = api_url
    client_env.pop("PREFECT_API_DATABASE_CONNECTION_URL")
    cluster = Cluster(api_url, client_env, server, logs=logs)
    try:
        _wait_healthy(api_url, server)
        cluster.prefect("work-pool", "create", POOL, "--type", "process", "--overwrite")
        yield cluster
    finally:
        for worker in cluster.workers:
            _stop(worker)
        _stop(server)
        server_log.close()


# Threads a flow run may use for matrix work. One: a flow run encodes one short text at a time
# (a few milliseconds), where a second thread mostly spins. Measured with ``ivc scale-test`` and 1
# worker on 2 cores: the same wall time with 1 thread as with 2 (421 s and 429 s for 500 cases),
# and 21 % less worker CPU (329 s against 417 s); with several workers the spare core goes to
# another flow run instead.
FLOW_RUN_THREADS = 1


def start_workers(cluster: Cluster, n: int) -> None:
    # Numerical libraries start one thread per core in every process unless told otherwise.
    threads = str(FLOW_RUN_THREADS)
    env = dict(
        cluster.env,
        IVC_NLP_THREADS=threads,
        OPENBLAS_NUM_THREADS=threads,
        OMP_NUM_THREADS=threads,
        MKL_NUM_THREADS=threads,
    )
    for i in range(len(cluster.workers), len(cluster.workers) + n):
        log = (cluster.logs / f"worker-{i}.log").open("wb")
        cluster.workers.append(
            subprocess.Popen(
                [_prefect_bin(), "worker", "start", "--pool", POOL, "--name", f"ivc-worker-{i}", "--limit", "1"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=str(ROOT),
            )
        )


def register(pool: str = POOL, source: Path = ROOT) -> list[str]:
    """Register the four phase flows as deployments on ``pool`` of the Prefect server named by
    PREFECT_API_URL (code from ``source``, which every worker machine has at the same path)."""
    from prefect import Flow, flow

    # An explicit command and working directory: the process worker then starts the flow run's
    # engine directly, instead of a workspace-preparing Python process first and the engine second
    # (each a full Prefect import, seconds of CPU per flow run). Every worker machine has the
    # checkout and its virtual environment at the same path (docs/DEPLOY.md).
    job_variables = {"command": f"{sys.executable} -m prefect.engine", "working_dir": str(source)}
    from ivc.flows.schedules import REMINDERS_CRON

    # (deployment name, entry point, cron): the phase flows run when cases are sent to them; the
    # scheduled jobs on their cron.
    deployments: list[tuple[str, str, str | None]] = [(phase, entry, None) for phase, entry in DEPLOYMENTS.items()]
    deployments += [
        ("monthly", "ivc/flows/schedules.py:monthly_report", "0 6 1 * *"),
        ("nightly", "ivc/flows/schedules.py:retention", "30 2 * * *"),
        ("daily", "ivc/flows/schedules.py:reminders", REMINDERS_CRON),
    ]
    names = []
    for name, entry, cron in deployments:
        deployed = cast(Flow[..., Any], flow.from_source(source=str(source), entrypoint=entry))
        deployed.deploy(
            name=name,
            work_pool_name=pool,
            cron=cron,
            job_variables=job_variables,
            print_next_steps=False,
            build=False,
            push=False,
        )
        names.append(f"{deployed.name}/{name}")
    return names


def register_deployments(cluster: Cluster) -> list[str]:
    """``register`` in a subprocess talking to this cluster's server."""
    code = "from ivc.ops.cluster import register; print(','.join(register()))"
    out = subprocess.run(
        [sys.executable, "-c", code], env=cluster.env, capture_output=True, text=True, timeout=300, cwd=str(ROOT)
    )
    if out.returncode != 0:
        raise RuntimeError(f"registering deployments failed: {out.stderr[-2000:]}")
    return out.stdout.strip().splitlines()[-1].split(",")
