"""Drive a synthetic population through the IVC path, the automated steps either through Prefect
deployments on a server (``--mode deployments``; PREFECT_API_URL set) or in-process on the embedded
default (``--mode embedded``). Prints one JSON object: timings, and every check that failed.

Run by ``ivc scale-test``; not meant to be called by hand.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time
from collections import Counter, defaultdict
from typing import Any, cast

from ivc.demo.population import JOURNEY_END, DemoPerson, documents_at_end, load_population
from ivc.ops import cpu


def synthetic_population(n: int) -> list[DemoPerson]:
    """n people cycling over the demo population, each a distinct person."""
    base = load_population()
    out = []
    for i in range(n):
        p = base[i % len(base)]
        person = p.person.model_copy(update={"given_name": f"{p.person.given_name} {i:04d}", "codice_fiscale": None})
        out.append(dataclasses.replace(p, key=f"s{i:05d}", person=person))
    return out


# Relative cost of a case in each phase's flow (identification runs the NLP suggester).
PHASE_WEIGHT = {"access": 1.0, "identification": 4.0, "validation": 1.0, "certification": 1.0}


MIN_CASES_PER_RUN = 10  # below this a flow run is mostly its own start-up


def dispatch_order(groups: dict[str, list[int]], batch: int, workers: int = 1) -> list[tuple[str, list[int]]]:
    """Split each phase's cases into near-equal batches of at most ``batch`` (as many batches as
    there are workers, or a multiple, while each keeps ``MIN_CASES_PER_RUN``) and order them
    heaviest first, so the workers finish a round together instead of one waiting on a last
    long run."""
    runs: list[tuple[str, list[int]]] = []
    for name, ids in groups.items():
        n_runs = -(-len(ids) // batch)
        if workers > 1 and n_runs % workers:
            rounded = n_runs + workers - n_runs % workers
            if len(ids) // rounded >= MIN_CASES_PER_RUN:
                n_runs = rounded
        size, extra = divmod(len(ids), n_runs)
        start = 0
        for i in range(n_runs):
            end = start + size + (i < extra)
            runs.append((name, ids[start:end]))
            start = end
    return sorted(runs, key=lambda r: PHASE_WEIGHT.get(r[0], 1.0) * len(r[1]), reverse=True)


# Per flow run: phase, cases, seconds from creation to start (waiting for a free worker, pick-up,
# process start-up) and from start to end; one list per call of ``advance_via_deployments``.
RUN_TIMES: list[list[dict[str, Any]]] = []


def advance_via_deployments(case_ids: list[int], batch: int, max_rounds: int = 3) -> None:
    """Like ``advance_cases``, but each phase batch is a flow run of a deployment, picked up by
    whichever worker is free."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment
    from sqlmodel import col, select

    from ivc.case.models import Case
    from ivc.case.states import CaseState
    from ivc.database.core import session_scope
    from ivc.flows.advance import PHASE_OF
    from ivc.ops.cluster import FLOW_NAMES, POOL

    short = {flow_name: name for name, flow_name in FLOW_NAMES.items()}

    def states() -> dict[int, CaseState]:
        with session_scope() as s:
            return {
                cid: CaseState(st)
                for cid, st in s.exec(select(Case.id, Case.state).where(col(Case.id).in_(case_ids)))
                if cid is not None
            }

    pending = sorted(case_ids)
    timings: list[dict[str, Any]] = []
    RUN_TIMES.append(timings)
    with get_client(sync_client=True) as client:
        workers = sum(
            1 for w in client.read_workers_for_work_pool(work_pool_name=POOL) if str(w.status).endswith("ONLINE")
        )
        for _ in range(max_rounds):
            if not pending:
                return
            before = states()
            groups: dict[str, list[int]] = defaultdict(list)
            for cid in pending:
                phase = PHASE_OF.get(before[cid])
                if phase is not None:
                    groups[short[phase.name]].append(cid)
            runs = []
            dispatched = time.time()
            for name, ids in dispatch_order(groups, batch, max(1, workers)):
                flow_run = run_deployment(
                    f"{FLOW_NAMES[name]}/{name}", parameters={"case_ids": ids}, timeout=0, as_subflow=False
                )
                runs.append((name, len(ids), cast(FlowRun, flow_run)))
            for name, n_cases, run in runs:
                while True:
                    done = client.read_flow_run(run.id)
                    state = done.state
                    if state is not None and state.is_final():
                        if not state.is_completed():
                            raise RuntimeError(f"flow run {run.name} ended {state.type.value}: {state.message}")
                        break
                    time.sleep(0.25)
                if done.start_time and done.end_time:
                    timings.append(
                        {
                            "phase": name,
                            "cases": n_cases,
                            "queued": round(done.start_time.timestamp() - dispatched, 2),
                            "ran": round((done.end_time - done.start_time).total_seconds(), 2),
                            "ended": round(done.end_time.timestamp() - dispatched, 2),
                        }
                    )
            after = states()
            pending = [c for c in pending if after[c] != before[c] and after[c] in PHASE_OF]


def check(run_case_of: dict[str, int], people: list[DemoPerson]) -> list[str]:
    from sqlalchemy import func
    from sqlmodel import col, select

    from ivc.case.models import Case, CaseStep
    from ivc.claim.models import CompetenceClaim
    from ivc.database.core import session_scope
    from ivc.document.models import IssuedDocument

    problems = []
    journeys = Counter(p.journey for p in people)
    with session_scope() as s:
        for p in people:
            case = s.get(Case, run_case_of[p.key])
            got = (case.state, case.outcome) if case else None
            if got != JOURNEY_END[p.journey]:
                problems.append(f"{p.key} ({p.journey}): {got} instead of {JOURNEY_END[p.journey]}")
        docs = Counter(d for d in s.exec(select(IssuedDocument.doc_type)).all())
        want = {
            kind: sum(n for j, n in journeys.items() if kind in documents_at_end(j))
            for kind in ("documento_trasparenza", "documento_validazione", "certificato")
        }
        for kind, n in want.items():
            if docs[kind] != n:
                problems.append(f"{docs[kind]} {kind} issued, expected {n}")
        dup_docs = s.exec(
            select(IssuedDocument.case_id, IssuedDocument.doc_type, func.count())
            .group_by(col(IssuedDocument.case_id), col(IssuedDocument.doc_type))
            .having(func.count() > 1)
        ).all()
        dup_claims = s.exec(
            select(CompetenceClaim.case_id, CompetenceClaim.competence_id, func.count())
            .group_by(col(CompetenceClaim.case_id), col(CompetenceClaim.competence_id))
            .having(func.count() > 1)
        ).all()
        dup_steps = s.exec(
            select(CaseStep.case_id, CaseStep.step, func.count())
            .group_by(col(CaseStep.case_id), col(CaseStep.step))
            .having(func.count() > 1)
        ).all()
        problems += [f"duplicated document {d}" for d in dup_docs] + [f"duplicated claim {d}" for d in dup_claims]
        problems += [f"duplicated step {d}" for d in dup_steps]
        from ivc.case.service import facts

        for case in s.exec(select(Case).order_by(col(Case.id))).all():
            if case.attention:  # a request the flow could not carry out, sent back
                problems.append(f"case {case.id} needs attention: {case.attention}")
            f = facts(s, case)
            if f.validation_unassessed or f.certification_unassessed:
                problems.append(
                    f"case {case.id}: decisions without an assessment "
                    f"(validation {f.validation_unassessed}, certification {f.certification_unassessed})"
                )
        from ivc.audit.service import verify_chain

        chain = verify_chain(s)  # every worker process committed into one gap-free audit chain
        if not chain.ok:
            problems.append(chain.summary())
    return problems


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--mode", choices=("deployments", "embedded"), default="deployments")
    args = parser.parse_args()
    from ivc.bootstrap import bootstrap
    from ivc.demo.script import run_demo

    bootstrap()
    people = synthetic_population(args.cases)
    automated: list[float] = []
    # Where the CPU goes while the automated steps run (the server, workers and PostgreSQL are
    # named by ``ivc scale-test``; the driver is this process).
    groups: dict[str, list[int]] = json.loads(os.environ.get("IVC_SCALE_PIDS", "{}")) | {"driver": [os.getpid()]}
    spent: dict[str, float] = {}
    per_round: list[dict[str, float]] = []
    if args.mode == "embedded":
        from ivc.flows.advance import advance_cases

        advance_cases([])  # one Prefect call before anything else (ephemeral server start-up)

        def advance(ids: list[int]) -> None:
            t = time.perf_counter()
            advance_cases(ids)
            automated.append(time.perf_counter() - t)
    else:

        def advance(ids: list[int]) -> None:
            before = cpu.snapshot(groups)
            t = time.perf_counter()
            advance_via_deployments(ids, args.batch)
            automated.append(time.perf_counter() - t)
            this_round = cpu.delta(before, cpu.snapshot(groups))
            per_round.append(this_round)
            for name, seconds in this_round.items():
                spent[name] = spent.get(name, 0.0) + seconds

    started = time.perf_counter()
    run = run_demo(advance, people=people)
    total = time.perf_counter() - started
    result: dict[str, Any] = {
        "mode": args.mode,
        "cases": args.cases,
        "batch": args.batch,
        "automated_seconds": round(sum(automated), 2),
        "total_seconds": round(total, 2),
        "rounds": [round(a, 2) for a in automated],
        "cases_per_second": round(args.cases / max(sum(automated), 1e-9), 3),
        "seconds_per_case": round(sum(automated) / args.cases, 3),
        "problems": check(run.case_of, people),
    }
    if RUN_TIMES:
        result["flow_runs_per_round"] = RUN_TIMES
    if spent:
        cores = os.cpu_count() or 1
        result["cpu_seconds"] = {k: round(v, 1) for k, v in spent.items()}
        result["cpu_seconds_per_round"] = per_round
        # Share of the machine's cores kept busy while the automated steps ran (1.0 = all of them).
        result["machine_busy_share"] = round(spent.get("machine", 0.0) / (sum(automated) * cores), 3)
    print("IVC-RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
