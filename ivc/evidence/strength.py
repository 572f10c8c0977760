"""How strong the evidence for one competence is: pure rules, no database.

Weights per kind of evidence, the combining rule (a capped sum, with pieces of one kind counted
up to a limit, and evidence made only of weak kinds capped below "sufficient"), the label that
makes a weak basis explicit, and the cheapest proofs that would make the evidence sufficient.
The numbers are data (``reference/evidence_strength.yaml``), read into ``StrengthRules``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Proof:
    kind: str
    cost: float
    labels: dict[str, str]
    requires: str | None = None


@dataclass(frozen=True)
class StrengthRules:
    weights: dict[str, float]
    cap: float = 1.0
    max_per_kind: int = 2
    weak_kinds: frozenset[str] = frozenset()
    weak_only_cap: float = 0.5
    sufficient: float = 0.7
    partial: float = 0.3
    weak_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    proofs: tuple[Proof, ...] = ()
    version: str = ""

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> StrengthRules:
        combine = data.get("combine", {})
        thresholds = data.get("thresholds", {})
        rules = cls(
            weights={str(k): float(v) for k, v in data.get("weights", {}).items()},
            cap=float(combine.get("cap", 1.0)),
            max_per_kind=int(combine.get("max_per_kind", 2)),
            weak_kinds=frozenset(combine.get("weak_kinds", [])),
            weak_only_cap=float(combine.get("weak_only_cap", 0.5)),
            sufficient=float(thresholds.get("sufficient", 0.7)),
            partial=float(thresholds.get("partial", 0.3)),
            weak_labels={str(k): dict(v) for k, v in data.get("weak_basis_labels", {}).items()},
            proofs=tuple(
                sorted(
                    (
                        Proof(
                            str(p["kind"]),
                            float(p["cost"]),
                            {k: str(v) for k, v in p.items() if k in ("it", "en")},
                            p.get("requires"),
                        )
                        for p in data.get("next_proofs", [])
                    ),
                    key=lambda p: p.cost,
                )
            ),
            version=str(data.get("version", "")),
        )
        if rules.weak_only_cap >= rules.sufficient:
            raise ValueError("weak_only_cap must stay below the 'sufficient' threshold")
        return rules


@dataclass(frozen=True)
class Strength:
    score: float
    status: str  # sufficient | partial | insufficient | none
    contributions: dict[str, float]  # kind -> points it adds
    weak_basis: str | None  # e.g. "testimony_only": the evidence is declarations only
    next_proofs: list[str]  # kinds, cheapest first, that together would reach "sufficient"


def score(counts: Mapping[str, int], rules: StrengthRules) -> tuple[float, dict[str, float]]:
    """The capped sum of weights (pieces of one kind counted up to ``max_per_kind``)."""
    contributions = {
        kind: round(rules.weights.get(kind, 0.0) * min(n, rules.max_per_kind), 4)
        for kind, n in sorted(counts.items())
        if n > 0
    }
    total = min(rules.cap, sum(contributions.values()))
    if contributions and weak_only(counts, rules):
        total = min(total, rules.weak_only_cap)
    return round(total, 4), contributions


def weak_only(counts: Mapping[str, int], rules: StrengthRules) -> bool:
    present = {k for k, n in counts.items() if n > 0}
    return bool(present) and present <= rules.weak_kinds


def weak_basis(counts: Mapping[str, int], rules: StrengthRules) -> str | None:
    """The label of a weak basis ("testimony_only"…) when the evidence is weak kinds only."""
    if not weak_only(counts, rules):
        return None
    present = {k for k, n in counts.items() if n > 0}
    if len(present) == 1 and f"{next(iter(present))}_only" in rules.weak_labels:
        return f"{next(iter(present))}_only"
    return "declarations_only"


def status_of(value: float, rules: StrengthRules, any_evidence: bool) -> str:
    if not any_evidence:
        return "none"
    if value >= rules.sufficient:
        return "sufficient"
    if value >= rules.partial:
        return "partial"
    return "insufficient"


def plan(counts: Mapping[str, int], rules: StrengthRules) -> list[str]:
    """The cheapest proofs, in order of cost, that added one by one reach "sufficient" (or all
    that would still help, when even they cannot)."""
    current = dict(counts)
    chosen: list[str] = []
    for proof in rules.proofs:
        if score(current, rules)[0] >= rules.sufficient:
            break
        if proof.requires and current.get(proof.requires, 0) == 0:
            continue
        trial = dict(current)
        trial[proof.kind] = trial.get(proof.kind, 0) + 1
        if proof.requires:  # a translation turns the foreign title into a translated one
            trial[proof.requires] -= 1
        if score(trial, rules)[0] > score(current, rules)[0]:
            current = trial
            chosen.append(proof.kind)
    return chosen


def assess(counts: Mapping[str, int], rules: StrengthRules) -> Strength:
    value, contributions = score(counts, rules)
    status = status_of(value, rules, any(n > 0 for n in counts.values()))
    return Strength(
        value,
        status,
        contributions,
        weak_basis(counts, rules),
        [] if status == "sufficient" else plan(counts, rules),
    )
