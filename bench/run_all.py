"""Run every benchmark and write docs/BENCHMARKS.md (one command).

    .venv/bin/python bench/run_all.py [--quick]

Each figure sits beside a baseline measured in the same run, with the machine described. ``--quick``
uses smaller sizes (for a smoke run); published figures come from the full run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _run(title: str, command: list[str], note: str) -> str:
    print(f"== {title}", flush=True)
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    lines = out.stdout.splitlines()
    # "#### " starts a sub-heading (one table per dataset), set apart from the tables around it.
    body = "\n".join(
        f"\n{line}\n" if line.startswith("#### ") else line
        for line in lines
        if line.startswith(("|", "machine:", "#### "))
    )
    scale = next((line for line in lines if line.startswith("IVC-SCALE ")), None)
    if scale:
        body = _scale_table(json.loads(scale.removeprefix("IVC-SCALE "))) + "\n\n" + body
    if out.returncode != 0 and not body:
        body = f"(failed: exit {out.returncode})\n\n```\n{out.stderr[-1500:]}\n```"
    return f"## {title}\n\n`{' '.join(command).replace(sys.executable, 'python')}`\n\n{note}\n\n{body}\n"


def _scale_table(data: dict[str, Any]) -> str:
    rows = [
        "| mode | cases | automated s | s / case | cases / s | checks failed "
        "| CPU s: server / workers (with flow runs) / PostgreSQL | machine busy |",
        "|---|---|---|---|---|---|---|---|",
    ]
    runs = ([("embedded default (SQLite, no server)", data["embedded"])] if data.get("embedded") else []) + [
        (f"Prefect server + PostgreSQL, {n} worker(s)", r) for n, r in data["clusters"].items()
    ]
    for name, r in runs:
        spent = r.get("cpu_seconds", {})
        cpu = " / ".join(str(spent.get(k, "—")) for k in ("server", "workers", "postgres")) if spent else "—"
        busy = f"{r['machine_busy_share']:.0%}" if "machine_busy_share" in r else "—"
        rows.append(
            f"| {name} | {r['cases']} | {r['automated_seconds']} | {r['seconds_per_case']} | "
            f"{r['cases_per_second']} | {len(r['problems'])} | {cpu} | {busy} |"
        )
    clusters = data["clusters"]
    for n, r in clusters.items():
        runs_of = [run for rnd in r.get("flow_runs_per_round", []) for run in rnd]
        if runs_of:
            inside = sum(run["ran"] for run in runs_of)
            share = inside / max(r["automated_seconds"] * int(n), 1e-9)
            rows.append(
                f"\n{n} worker(s): {len(runs_of)} flow runs; the workers spent {inside:.0f} s inside them, "
                f"{share:.0%} of their time (the rest: starting each run's process, picking runs up, "
                "waiting for a round's last run)."
            )
    if "1" in clusters and "2" in clusters:
        ratio = clusters["2"]["cases_per_second"] / clusters["1"]["cases_per_second"]
        rows.append(f"\n2 workers / 1 worker throughput: **{ratio:.3f}×**")
    return "\n".join(rows)


def _replace_sections(text: str, new_sections: list[str]) -> str:
    """Put freshly measured sections in place of their old versions (matched by heading)."""
    for section in new_sections:
        heading = section.splitlines()[0]
        start = text.find(heading + "\n")
        if start < 0:
            text = text.rstrip("\n") + "\n\n" + section
            continue
        end = text.find("\n## ", start + len(heading))
        text = text[:start] + section.rstrip("\n") + "\n" + (text[end:] if end >= 0 else "")
    return text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--only", help="Run only the sections whose title contains this text; update them in place in the file."
    )
    args = parser.parse_args()
    py = sys.executable
    q = args.quick
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        (line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), "?"
    )
    header = (
        f"# Benchmarks\n\nWritten by `python bench/run_all.py` on {datetime.date.today()}: {cpu}, {os.cpu_count()} "
        f"cores, {int(mem) // 1024 // 1024} GiB, Python {platform.python_version()}, PostgreSQL on 127.0.0.1. These "
        "machines are shared and noisy: figures are medians, each beside a baseline measured in the same run.\n"
    )
    jobs: list[tuple[str, list[str], str]] = [
        (
            "Automated path on the embedded default",
            [py, "bench/flows.py", "--cases", "24" if q else "48"],
            "Per-case cost of every automated step (agreement, suggestions, three documents, waiting states) "
            "through the real flows, SQLite, Prefect with no server. Target ≤ 1 s per case.",
        ),
        (
            "Scale-out: Prefect server on PostgreSQL with 1 and 2 workers",
            [
                py,
                "-m",
                "ivc.cli.main",
                "scale-test",
                "--cases",
                "60" if q else "500",
                "--workers",
                "1,2",
                "--batch",
                "25" if q else "250",
                "--embedded-cases",
                "24" if q else "100",
            ],
            "Cases pushed through every automated step via deployments; ivc's database on PostgreSQL; the embedded "
            "default as baseline. Target: 2 workers ≥ 1.6× one.",
        ),
        (
            "NLP suggestion quality and latency",
            [py, "bench/nlp/evaluate.py"],
            "Recall@5 and MRR per language on `bench/nlp/evalset.yaml`, beside TF-IDF over the same concepts; "
            "on the held-out `bench/nlp/heldout.yaml` (tuned on nothing) also the default list an operator sees "
            "(what passes the agreement cut, at most 5 per framework): length, precision, holds a right answer. "
            "Target: warm suggestion ≤ 50 ms for a 200-word text against full ESCO plus the repertory.",
        ),
        (
            "Suggestions: cold start with learned phrasings",
            [py, "bench/nlp/coldstart.py", "--demo", "--runs", "5" if q else "9"],
            "`ivc suggest --json` as a whole new process on the demo's data (the 60 phrasings its operators "
            "accepted, in six languages), beside `python -c pass` and the same command with none, medians. "
            "Target: ≤ 2 s. Before issue #20 (b914902) the same call took 7.3 s.",
        ),
        ("Document rendering", [py, "bench/documents.py"], "Target: a 3-page dossier under 150 ms."),
        (
            "Frameworks: full ESCO import and search",
            [py, "bench/frameworks.py"],
            "Type-ahead search over every loaded framework.",
        ),
        (
            "Work queues and evidence over 100,000 cases and 1,000,000 evidence rows (PostgreSQL)",
            [py, "bench/queries.py", "--cases", "20000" if q else "100000", "--evidence", "200000" if q else "1000000"],
            "Target: a queue page ≤ 50 ms.",
        ),
        (
            "Web interface in a real browser",
            [py, "bench/ui.py", *(["--quick"] if q else ["--cases", "100000", "--runs", "20"])],
            "`ivc ui` (ivc/ui/server.py) driven by Debian's Chromium, headless, through Playwright, as each "
            "role's user works it, on the demo (SQLite) and on the demo plus 100,000 synthetic cases "
            "(PostgreSQL). An interaction is timed in the page, from the press to the moment Streamlit has "
            "finished the rerun (its `script_finished` message, no running indicator, no stale element) and "
            "the expected content is shown; a page load from the navigation's start. Baselines measured the "
            "same way on the same server: a trivial rerun (the language selector of the public verification "
            "page) and, for page loads, the load of that page. Targets: p95 ≤ 1 s for an interaction, ≤ 3 s "
            "for issuing a document.",
        ),
        (
            "Audit log hash chain: cost per committing transaction",
            [py, "bench/audit.py", "--runs", "100" if q else "500", "--pg", "postgresql://postgres@127.0.0.1:5432"],
            "Median commit time with and without chaining, alternated transaction by transaction in the same run.",
        ),
    ]
    target = ROOT / "docs" / "BENCHMARKS.md"
    if args.only:
        measured = [_run(title, cmd, note) for title, cmd, note in jobs if args.only.lower() in title.lower()]
        target.write_text(_replace_sections(target.read_text(encoding="utf-8"), measured), encoding="utf-8")
    else:
        target.write_text("\n".join([header, *(_run(*job) for job in jobs)]), encoding="utf-8")
    print("written docs/BENCHMARKS.md")


if __name__ == "__main__":
    main()
