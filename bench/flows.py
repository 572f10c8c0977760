"""Benchmark: the automated part of a case on the embedded default (SQLite, Prefect with no
server), beside a raw Prefect flow run (one flow, three trivial tasks) measured in the same run.

    .venv/bin/python bench/flows.py [--cases 48]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

RAW = """
import json, statistics, time
from prefect import flow, task
@task
def step(x: int) -> int:
    return x + 1
@flow
def raw(x: int) -> int:
    return step(step(step(x)))
raw(0)
times = []
for i in range(20):
    t = time.perf_counter(); raw(i); times.append(time.perf_counter() - t)
print(json.dumps({"median_s": statistics.median(times)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=48)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "IVC_"))}
    env["IVC_DATA_DIR"] = tempfile.mkdtemp(prefix="ivc-bench-flows-")
    prefect_env = dict(
        env,
        PREFECT_HOME=env["IVC_DATA_DIR"] + "/prefect",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
        PREFECT_SERVER_EPHEMERAL_ENABLED="true",
    )
    raw = json.loads(
        subprocess.run([sys.executable, "-c", RAW], env=prefect_env, capture_output=True, text=True, check=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    out = subprocess.run(
        [sys.executable, "-m", "ivc.ops.drive", "--mode", "embedded", "--cases", str(args.cases)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(next(line for line in out.stdout.splitlines() if line.startswith("IVC-RESULT "))[11:])
    print("| measure | value |\n|---|---|")
    print(f"| baseline: raw Prefect flow run (3 trivial tasks), median of 20 | {raw['median_s'] * 1000:.0f} ms |")
    print(
        f"| automated part of a case, embedded default ({args.cases} demo-mix cases, all phases) | "
        f"{result['seconds_per_case'] * 1000:.0f} ms per case |"
    )
    print(f"| problems found by the checks | {len(result['problems'])} |")


if __name__ == "__main__":
    main()
