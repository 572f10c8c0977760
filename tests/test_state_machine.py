"""The transition table: every illegal move is refused with the state and what is missing."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from ivc.auth.roles import Role
from ivc.case import states
from ivc.case.states import TRANSITIONS, Action, CaseFacts, CaseState, DocumentType, Outcome

ALL_DOCS = frozenset(DocumentType)

# Facts under which every guard of every transition holds (except the mutually exclusive ones,
# which the per-action facts below set).
HAPPY = CaseFacts(
    state=CaseState.ACCESS,
    service_agreement_signed=True,
    service_consent=True,
    admissibility="ammesso",
    experiences=2,
    targets=1,
    confirmed_claims=3,
    validation_in_scope=3,
    validated=3,
    certification_in_scope=3,
    certified=3,
    exam_scheduled=True,
    documents=ALL_DOCS,
    issue_approved=True,
)
SPECIAL = {
    Action.REFUSE_ACCESS: {"admissibility": "non_ammesso"},
    Action.CLOSE_NOT_VALIDATED: {"validated": 0, "not_validated": 3},
    Action.CLOSE_WITHDRAWN: {"withdrawal_requested": True, "withdrawal_confirmed": True},
}


def happy(action: Action, state: CaseState) -> CaseFacts:
    return replace(HAPPY, state=state, **SPECIAL.get(action, {}))


@pytest.mark.parametrize(("action", "state"), list(itertools.product(Action, CaseState)))
def test_every_transition_from_a_wrong_state_is_refused(action: Action, state: CaseState) -> None:
    rule = states.transition_for(action)
    role = next(iter(rule.roles))
    refusal = states.check(action, happy(action, state), role)
    if state in rule.sources:
        assert refusal is None, refusal and refusal.message()
    else:
        assert refusal is not None
        assert refusal.reasons[0][0] == "state"
        assert f"state '{state.value}'" in refusal.message()


@pytest.mark.parametrize("rule", TRANSITIONS, ids=lambda r: r.action.value)
def test_only_the_listed_roles_may_transition(rule: states.Transition) -> None:
    source = next(iter(rule.sources))
    for role in Role:
        refusal = states.check(rule.action, happy(rule.action, source), role)
        if role in rule.roles:
            assert refusal is None
        else:
            assert refusal is not None and ("role", refusal.reasons[0][1]) == refusal.reasons[0]


@pytest.mark.parametrize("rule", TRANSITIONS, ids=lambda r: r.action.value)
def test_each_failing_guard_is_named(rule: states.Transition) -> None:
    source = next(iter(rule.sources))
    role = next(iter(rule.roles))
    for guard in rule.all_guards:
        # Find a fact value that breaks this guard alone.
        broken = _break(guard, happy(rule.action, source))
        refusal = states.check(rule.action, broken, role)
        assert refusal is not None, guard.code
        assert guard.code in [code for code, _ in refusal.reasons]


def _break(guard: states.Guard, facts: CaseFacts) -> CaseFacts:
    candidates = {
        "not_suspended": {"suspended": True},
        "no_withdrawal_pending": {"withdrawal_requested": True},
        "service_agreement_signed": {"service_agreement_signed": False},
        "service_consent": {"service_consent": False},
        "admissibility_admitted": {"admissibility": None},
        "admissibility_refused": {"admissibility": "ammesso"},
        "target_qualification": {"targets": 0},
        "target_not_regulated": {"regulated_target": True},
        "experience_recorded": {"experiences": 0},
        "confirmed_competence": {"confirmed_claims": 0},
        "validation_decided": {"validation_undecided": 1},
        "some_validated": {"validated": 0},
        "none_validated": {"validated": 1},
        "separation_of_duties": {"assessors_independent": False},
        "exam_scheduled": {"exam_scheduled": False},
        "commission_independent": {"commission_independent": False},
        "certification_decided": {"certification_undecided": 1},
        "decisions_assessed": {"validation_unassessed": 1},
        "certification_assessed": {"certification_unassessed": 1},
        "withdrawal_confirmed": {"withdrawal_confirmed": False},
        "four_eyes": {"issue_approved": False},
    }
    if guard.code.startswith("document_"):
        return replace(facts, documents=frozenset())
    broken = replace(facts, **candidates[guard.code])
    assert not guard.holds(broken)
    return broken


def test_no_transparency_document_without_consent_and_a_confirmed_competence() -> None:
    facts = replace(HAPPY, state=CaseState.IDENTIFICATION, service_consent=False, confirmed_claims=0)
    refusal = states.check(Action.ISSUE_TRANSPARENCY, facts, Role.OPERATOR)
    assert refusal is not None
    codes = {code for code, _ in refusal.reasons}
    assert {"service_consent", "confirmed_competence"} <= codes
    assert "privacy notice" in refusal.message() and "no competence" in refusal.message()


def test_no_certification_without_validation() -> None:
    facts = replace(HAPPY, state=CaseState.VALIDATION_ISSUED, validated=0, validation_in_scope=0)
    refusal = states.check(Action.REQUEST_CERTIFICATION, facts, Role.ALFA_REVIEWER)
    assert refusal is not None and "some_validated" in [c for c, _ in refusal.reasons]


def test_partial_outcomes_are_real_outcomes() -> None:
    partial_validation = replace(HAPPY, state=CaseState.VALIDATION_ISSUED, validated=2, not_validated=1)
    rule = states.transition_for(Action.CLOSE_AFTER_VALIDATION)
    assert rule.outcome and rule.outcome(partial_validation) is Outcome.VALIDATED_PARTIAL
    certify = states.transition_for(Action.CERTIFY)
    assert certify.outcome is not None
    assert (
        certify.outcome(replace(HAPPY, state=CaseState.EXAM, certified=2, not_certified=1)) is Outcome.CERTIFIED_PARTIAL
    )
    assert certify.outcome(replace(HAPPY, state=CaseState.EXAM, not_validated=1)) is Outcome.CERTIFIED_PARTIAL
    assert certify.outcome(HAPPY) is Outcome.CERTIFIED_FULL
    assert certify.outcome(replace(HAPPY, certified=0)) is Outcome.NOT_CERTIFIED


def test_the_person_may_stop_after_every_step() -> None:
    for state in CaseState:
        if state is CaseState.CLOSED:
            continue
        facts = replace(HAPPY, state=state, withdrawal_requested=True, withdrawal_confirmed=True)
        assert states.check(Action.CLOSE_WITHDRAWN, facts, Role.OPERATOR) is None


def test_what_a_case_waits_for_follows_its_facts() -> None:
    access = CaseFacts(state=CaseState.ACCESS)
    assert states.next_human_step(access) == ("privacy_notice", Role.OPERATOR)
    assert states.next_human_step(replace(access, service_consent=True)) == ("service_agreement", Role.OPERATOR)
    validation = CaseFacts(state=CaseState.VALIDATION, validation_in_scope=2, validation_undecided=1)
    assert states.next_human_step(validation) == ("assessment_and_decision", Role.ASSESSOR)
    assert states.next_human_step(CaseFacts(state=CaseState.CLOSED)) is None
    assert states.next_human_step(replace(access, withdrawal_requested=True))[0] == "withdrawal_confirmation"  # type: ignore[index]


def test_a_validation_document_or_certificate_waits_for_a_second_reviewer() -> None:
    pending = replace(HAPPY, state=CaseState.VALIDATION, issue_requested=Action.ISSUE_VALIDATION, issue_approved=False)
    refusal = states.check(Action.ISSUE_VALIDATION, pending, Role.ALFA_REVIEWER)
    assert refusal is not None and [c for c, _ in refusal.reasons] == ["four_eyes"]
    # The request itself may be made; it then waits on a second ALFA reviewer.
    assert states.check(Action.ISSUE_VALIDATION, pending, Role.ALFA_REVIEWER, skip_document=True) is None
    assert states.next_human_step(pending) == ("issue_approval", Role.ALFA_REVIEWER)
    approved = replace(pending, issue_approved=True)
    assert states.next_human_step(approved) == ("validation_issue", Role.ALFA_REVIEWER)
    # The transparency document is the operator's alone.
    assert not states.transition_for(Action.ISSUE_TRANSPARENCY).four_eyes


def test_decisions_without_an_assessment_stop_the_request_and_wait_on_the_assessor() -> None:
    unassessed = replace(HAPPY, state=CaseState.VALIDATION, validation_unassessed=1)
    for action in (Action.ISSUE_VALIDATION, Action.REQUEST_CERTIFICATION):
        refusal = states.check(action, unassessed, Role.ALFA_REVIEWER, skip_document=True)
        assert refusal is not None and [c for c, _ in refusal.reasons] == ["decisions_assessed"]
    none_validated = replace(unassessed, validated=0, not_validated=3)
    refusal = states.check(Action.CLOSE_NOT_VALIDATED, none_validated, Role.ALFA_REVIEWER)
    assert refusal is not None and [c for c, _ in refusal.reasons] == ["decisions_assessed"]
    assert states.next_human_step(unassessed) == ("assessment_and_decision", Role.ASSESSOR)
    exam = replace(HAPPY, state=CaseState.EXAM, certification_unassessed=2)
    refusal = states.check(Action.CERTIFY, exam, Role.ALFA_REVIEWER, skip_document=True)
    assert refusal is not None and [c for c, _ in refusal.reasons] == ["certification_assessed"]
    assert states.next_human_step(exam) == ("exam_outcome", Role.ALFA_REVIEWER)


# ---------------------------------------------------------------------------- no dead ends
#
# Every open state must let someone move the case on. The facts a case can be in are generated
# per state, keeping those the path can produce (a pending request passed its guards when it was
# made, since ``request_action`` checks them); people then change facts by the human steps of the
# path (below), and from every such facts some role must reach a transition other than withdrawal.

_IN_SCOPE = 2


def _starts(state: CaseState) -> list[CaseFacts]:
    """Facts a case in ``state`` can have (a generous sample, filtered by what the path allows)."""
    base = CaseFacts(
        state=state,
        service_agreement_signed=state is not CaseState.ACCESS,
        service_consent=state is not CaseState.ACCESS,
        admissibility=None if state is CaseState.ACCESS else "ammesso",
        experiences=0 if state in (CaseState.ACCESS, CaseState.IDENTIFICATION) else 1,
        targets=1,
        confirmed_claims=0 if state in (CaseState.ACCESS, CaseState.IDENTIFICATION) else _IN_SCOPE,
        validation_in_scope=0 if state in (CaseState.ACCESS, CaseState.IDENTIFICATION) else _IN_SCOPE,
        validation_undecided=0 if state in (CaseState.ACCESS, CaseState.IDENTIFICATION) else _IN_SCOPE,
        documents=frozenset(
            d
            for d, since in (
                (DocumentType.TRANSPARENCY, CaseState.TRANSPARENCY_ISSUED),
                (DocumentType.VALIDATION, CaseState.VALIDATION_ISSUED),
            )
            if list(CaseState).index(state) >= list(CaseState).index(since)
        ),
    )
    variants: list[CaseFacts] = []
    phase = {
        CaseState.VALIDATION: ("validation_undecided", "validation_unassessed", "validated", "not_validated"),
        CaseState.EXAM: ("certification_undecided", "certification_unassessed", "certified", "not_certified"),
    }.get(state)
    if state in (CaseState.VALIDATION_ISSUED, CaseState.CERTIFICATION_QUEUE, CaseState.EXAM):
        base = replace(base, validation_undecided=0, validated=_IN_SCOPE, certification_in_scope=_IN_SCOPE)
    if state is CaseState.EXAM:
        base = replace(base, exam_scheduled=True, certification_undecided=_IN_SCOPE)
    decided_splits = [(0, 0, 0, 0)]
    if phase:
        decided_splits = [
            (undecided, unassessed, yes, _IN_SCOPE - undecided - yes)
            for undecided in range(_IN_SCOPE + 1)
            for yes in range(_IN_SCOPE - undecided + 1)
            for unassessed in range(_IN_SCOPE - undecided + 1)
        ]
    requests = [None, *(t.action for t in TRANSITIONS if t.waits_for_flow and state in t.sources)]
    for split, suspended, requested, approved in itertools.product(
        decided_splits, (False, True), requests, (False, True)
    ):
        facts = replace(
            base, suspended=suspended, issue_requested=requested, issue_approved=approved and bool(requested)
        )
        if phase:
            facts = replace(facts, **dict(zip(phase, split, strict=True)))
        if requested is not None:
            # Asked for when its guards held (the case may have been suspended since).
            asked = replace(facts, suspended=False)
            if states.check(requested, asked, Role.ALFA_REVIEWER, skip_document=True) and states.check(
                requested, asked, Role.OPERATOR, skip_document=True
            ):
                continue
        variants.append(facts)
    return variants


def _human_steps(f: CaseFacts) -> list[CaseFacts]:
    """How people change a case's facts besides transitions (the services that do it)."""
    out = []
    if f.suspended:
        out.append(replace(f, suspended=False))  # lift_suspension, or the date passes
    if f.issue_requested is not None:
        out.append(replace(f, issue_approved=True))  # approve_request (a second reviewer)
        out.append(replace(f, issue_requested=None, issue_approved=False))  # send_back_request
    match f.state:
        case CaseState.ACCESS:
            out.append(replace(f, service_consent=True))  # consent.give_consent
            out.append(replace(f, service_agreement_signed=True))  # agreement.sign
            if f.admissibility is None:
                out.append(replace(f, admissibility="ammesso"))  # decision.record_decision
                out.append(replace(f, admissibility="non_ammesso"))
        case CaseState.IDENTIFICATION:
            out.append(replace(f, experiences=f.experiences + 1))  # experience.add_experience
            out.append(replace(f, confirmed_claims=1, validation_in_scope=1))  # claim.review
        case CaseState.VALIDATION if f.issue_requested is None:
            out.append(replace(f, validation_unassessed=0))  # assessment.record_assessment
            if f.validation_undecided:  # decision.record_decision (needs the assessment: above)
                decided = replace(f, validation_undecided=0)
                out.append(replace(decided, validated=f.validated + f.validation_undecided))
                out.append(replace(decided, not_validated=f.not_validated + f.validation_undecided))
        case CaseState.CERTIFICATION_QUEUE:
            out.append(replace(f, exam_scheduled=True))  # assessment.schedule_exam
        case CaseState.EXAM if f.issue_requested is None:
            out.append(replace(f, certification_unassessed=0))
            if f.certification_undecided:
                decided = replace(f, certification_undecided=0)
                out.append(replace(decided, certified=f.certified + f.certification_undecided))
                out.append(replace(decided, not_certified=f.not_certified + f.certification_undecided))
    return out


def _moves_on(f: CaseFacts) -> bool:
    return any(
        action is not Action.CLOSE_WITHDRAWN
        for role in Role
        for action in states.available_actions(f, role)
        if not states.awaits_approval(f) or action is not f.issue_requested
    )


@pytest.mark.parametrize("state", [s for s in CaseState if s is not CaseState.CLOSED], ids=lambda s: s.value)
def test_no_open_state_is_a_dead_end(state: CaseState) -> None:
    starts = _starts(state)
    assert starts
    for start in starts:
        assert states.next_human_step(start) is not None, start
        seen, frontier = {start}, [start]
        while frontier and not any(_moves_on(f) for f in frontier):
            frontier = [n for f in frontier for n in _human_steps(f) if n not in seen]
            seen.update(frontier)
        assert frontier, f"no role can move a case in '{state.value}' on from {start}"
