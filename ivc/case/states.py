"""The IVC case state machine as one explicit table (pure domain: no database, no UI).

States follow the path of D.Lgs 13/2013 and D.I. 30/6/2015: accoglienza (access and service
agreement), individuazione e messa in trasparenza, validazione, certificazione. Their values are
the Italian vocabulary stored in the data. Activity, withdrawal and suspension are facets kept
out of this list; guards read them.

Each ``Transition`` says from which states, to which state, which roles may do it, which guards
must hold, and which document it needs issued in the same transaction (its side effect, done by
the document service and checked here).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from ivc.auth.roles import Role


class CaseState(StrEnum):
    ACCESS = "accoglienza"
    IDENTIFICATION = "individuazione"
    TRANSPARENCY_ISSUED = "trasparenza_rilasciata"
    VALIDATION = "validazione"
    VALIDATION_ISSUED = "validazione_rilasciata"
    CERTIFICATION_QUEUE = "coda_certificazione"
    EXAM = "esame"
    CLOSED = "chiuso"


class Outcome(StrEnum):
    """How a closed case ended. Partial validation and certification are real outcomes."""

    NOT_ADMITTED = "non_ammesso"
    WITHDRAWN = "ritirato"
    TRANSPARENCY_ONLY = "solo_trasparenza"
    NOT_VALIDATED = "non_validato"
    VALIDATED_FULL = "validazione_completa"
    VALIDATED_PARTIAL = "validazione_parziale"
    CERTIFIED_FULL = "certificazione_completa"
    CERTIFIED_PARTIAL = "certificazione_parziale"
    NOT_CERTIFIED = "non_certificato"


class Action(StrEnum):
    ADMIT = "admit"
    REFUSE_ACCESS = "refuse_access"
    ISSUE_TRANSPARENCY = "issue_transparency"
    CLOSE_AFTER_TRANSPARENCY = "close_after_transparency"
    REQUEST_VALIDATION = "request_validation"
    ISSUE_VALIDATION = "issue_validation"
    CLOSE_NOT_VALIDATED = "close_not_validated"
    REQUEST_CERTIFICATION = "request_certification"
    CLOSE_AFTER_VALIDATION = "close_after_validation"
    SCHEDULE_EXAM = "schedule_exam"
    CERTIFY = "certify"
    CLOSE_WITHDRAWN = "close_withdrawn"


class DocumentType(StrEnum):
    TRANSPARENCY = "documento_trasparenza"
    VALIDATION = "documento_validazione"
    CERTIFICATE = "certificato"


class Activity(StrEnum):
    ACTIVE = "active"
    WAITING = "waiting"
    INACTIVE = "inactive"
    ARCHIVED = "archived"  # dormant for too long: set aside by the reminders job, reactivated on request


@dataclass(frozen=True)
class CaseFacts:
    """What the guards need to know about a case, read from the database by the case service."""

    state: CaseState
    suspended: bool = False
    withdrawal_requested: bool = False
    withdrawal_confirmed: bool = False
    service_agreement_signed: bool = False
    service_consent: bool = False
    admissibility: str | None = None  # "ammesso" | "non_ammesso" | None
    experiences: int = 0
    targets: int = 0
    regulated_target: bool = False
    confirmed_claims: int = 0  # confirmed claims on repertory competences of the targets
    validation_in_scope: int = 0
    validation_undecided: int = 0
    validation_unassessed: int = 0  # validation decisions in force with no validation assessment result
    validated: int = 0
    not_validated: int = 0
    certification_in_scope: int = 0
    certification_undecided: int = 0
    certification_unassessed: int = 0  # certification decisions in force with no exam assessment result
    certified: int = 0
    not_certified: int = 0
    exam_scheduled: bool = False
    commission_independent: bool = True
    assessors_independent: bool = True
    documents: frozenset[DocumentType] = field(default_factory=frozenset)
    issue_requested: Action | None = None  # a person's pending request that a flow carries out
    issue_approved: bool = False  # a second reviewer approved that request (four eyes)


@dataclass(frozen=True)
class Guard:
    code: str
    message: str
    holds: Callable[[CaseFacts], bool]


def _g(code: str, message: str, holds: Callable[[CaseFacts], bool]) -> Guard:
    return Guard(code, message, holds)


NOT_SUSPENDED = _g("not_suspended", "the case is suspended", lambda f: not f.suspended)
NO_WITHDRAWAL = _g("no_withdrawal_pending", "the person asked to withdraw", lambda f: not f.withdrawal_requested)
AGREEMENT = _g(
    "service_agreement_signed",
    "the service agreement (patto di servizio) is not signed",
    lambda f: f.service_agreement_signed,
)
CONSENT = _g(
    "service_consent",
    "the person has not received and acknowledged the privacy notice",
    lambda f: f.service_consent,
)
ADMITTED = _g(
    "admissibility_admitted",
    "no admissibility decision 'ammesso' is recorded",
    lambda f: f.admissibility == "ammesso",
)
REFUSED = _g(
    "admissibility_refused",
    "no admissibility decision 'non_ammesso' is recorded",
    lambda f: f.admissibility == "non_ammesso",
)
HAS_TARGET = _g("target_qualification", "no target qualification is set", lambda f: f.targets > 0)
NOT_REGULATED = _g(
    "target_not_regulated",
    "the target qualification belongs to a regulated profession, outside the IVC service",
    lambda f: not f.regulated_target,
)
HAS_EXPERIENCE = _g("experience_recorded", "no experience is recorded", lambda f: f.experiences > 0)
HAS_CONFIRMED = _g(
    "confirmed_competence",
    "no competence of the repertory is confirmed",
    lambda f: f.confirmed_claims > 0,
)
VALIDATION_DECIDED = _g(
    "validation_decided",
    "some competences in scope have no validation decision",
    lambda f: f.validation_in_scope > 0 and f.validation_undecided == 0,
)
# A decision stands on an assessment: the document built from it names how it was assessed.
DECISIONS_ASSESSED = _g(
    "decisions_assessed",
    "some validation decisions have no validation assessment of their competence",
    lambda f: f.validation_unassessed == 0,
)
SOME_VALIDATED = _g("some_validated", "no competence is validated", lambda f: f.validated > 0)
NONE_VALIDATED = _g(
    "none_validated",
    "some competences are validated: issue the validation document instead",
    lambda f: f.validated == 0,
)
ASSESSORS_INDEPENDENT = _g(
    "separation_of_duties",
    "an assessor also accompanied this person's identification (separation of duties)",
    lambda f: f.assessors_independent,
)
EXAM_SCHEDULED = _g("exam_scheduled", "no exam is scheduled with a commission", lambda f: f.exam_scheduled)
COMMISSION_INDEPENDENT = _g(
    "commission_independent",
    "a commission member accompanied this person's identification (separation of duties)",
    lambda f: f.commission_independent,
)
CERTIFICATION_DECIDED = _g(
    "certification_decided",
    "some competences have no certification decision",
    lambda f: f.certification_in_scope > 0 and f.certification_undecided == 0,
)
CERTIFICATION_ASSESSED = _g(
    "certification_assessed",
    "some certification decisions have no exam assessment of their competence",
    lambda f: f.certification_unassessed == 0,
)
# Four eyes: a validation document or a certificate is issued only when a second ALFA reviewer,
# not the one who asked for it, has approved the request.
SECOND_APPROVAL = _g(
    "four_eyes",
    "a second ALFA reviewer has not approved the issuance (four eyes)",
    lambda f: f.issue_approved,
)
WITHDRAWAL_CONFIRMED = _g("withdrawal_confirmed", "the withdrawal is not confirmed", lambda f: f.withdrawal_confirmed)


def _has_document(kind: DocumentType) -> Guard:
    return _g(f"document_{kind.value}", f"the {kind.value} is not issued", lambda f: kind in f.documents)


def _validation_outcome(f: CaseFacts) -> Outcome:
    return Outcome.VALIDATED_PARTIAL if f.not_validated else Outcome.VALIDATED_FULL


def _certification_outcome(f: CaseFacts) -> Outcome:
    if f.certified == 0:
        return Outcome.NOT_CERTIFIED
    if f.not_certified or f.not_validated:
        return Outcome.CERTIFIED_PARTIAL
    return Outcome.CERTIFIED_FULL


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[CaseState]
    target: CaseState
    roles: frozenset[Role]
    guards: tuple[Guard, ...]
    outcome: Callable[[CaseFacts], Outcome] | None = None
    issues: DocumentType | None = None  # document issued in the same transaction
    waits_for_flow: bool = False  # executed by a flow task, after a person's request
    four_eyes: bool = False  # the request needs a second reviewer's approval before it is carried out

    @property
    def all_guards(self) -> tuple[Guard, ...]:
        """Every guard, including those that hold only once the request is approved and its
        document issued (``check(skip_document=True)`` leaves those out, at request time)."""
        extra = (_has_document(self.issues),) if self.issues else ()
        approval = (SECOND_APPROVAL,) if self.four_eyes else ()
        return self.guards + approval + extra


OPEN = frozenset(s for s in CaseState if s is not CaseState.CLOSED)
_OP = frozenset({Role.OPERATOR})
_ALFA = frozenset({Role.ALFA_REVIEWER})
_OP_ALFA = frozenset({Role.OPERATOR, Role.ALFA_REVIEWER})
_PROGRESS = (NOT_SUSPENDED, NO_WITHDRAWAL)

TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        Action.ADMIT,
        frozenset({CaseState.ACCESS}),
        CaseState.IDENTIFICATION,
        _OP,
        (*_PROGRESS, CONSENT, AGREEMENT, ADMITTED, HAS_TARGET, NOT_REGULATED),
    ),
    Transition(
        Action.REFUSE_ACCESS,
        frozenset({CaseState.ACCESS}),
        CaseState.CLOSED,
        _OP,
        (REFUSED,),
        outcome=lambda f: Outcome.NOT_ADMITTED,
    ),
    Transition(
        Action.ISSUE_TRANSPARENCY,
        frozenset({CaseState.IDENTIFICATION}),
        CaseState.TRANSPARENCY_ISSUED,
        _OP,
        (*_PROGRESS, CONSENT, HAS_EXPERIENCE, HAS_CONFIRMED),
        issues=DocumentType.TRANSPARENCY,
        waits_for_flow=True,
    ),
    Transition(
        Action.CLOSE_AFTER_TRANSPARENCY,
        frozenset({CaseState.TRANSPARENCY_ISSUED}),
        CaseState.CLOSED,
        _OP,
        (),
        outcome=lambda f: Outcome.TRANSPARENCY_ONLY,
    ),
    Transition(
        Action.REQUEST_VALIDATION,
        frozenset({CaseState.TRANSPARENCY_ISSUED}),
        CaseState.VALIDATION,
        _OP,
        (*_PROGRESS, HAS_TARGET, NOT_REGULATED, HAS_CONFIRMED),
    ),
    Transition(
        Action.ISSUE_VALIDATION,
        frozenset({CaseState.VALIDATION}),
        CaseState.VALIDATION_ISSUED,
        _ALFA,
        (*_PROGRESS, VALIDATION_DECIDED, DECISIONS_ASSESSED, SOME_VALIDATED, ASSESSORS_INDEPENDENT),
        issues=DocumentType.VALIDATION,
        waits_for_flow=True,
        four_eyes=True,
    ),
    Transition(
        Action.CLOSE_NOT_VALIDATED,
        frozenset({CaseState.VALIDATION}),
        CaseState.CLOSED,
        _ALFA,
        (VALIDATION_DECIDED, DECISIONS_ASSESSED, NONE_VALIDATED, ASSESSORS_INDEPENDENT),
        outcome=lambda f: Outcome.NOT_VALIDATED,
    ),
    # Where validation flows straight into certification the validation document is optional
    # (D.I. 30/6/2015 art. 6 c.2): certification may be requested from either state.
    Transition(
        Action.REQUEST_CERTIFICATION,
        frozenset({CaseState.VALIDATION, CaseState.VALIDATION_ISSUED}),
        CaseState.CERTIFICATION_QUEUE,
        _OP_ALFA,
        (*_PROGRESS, VALIDATION_DECIDED, DECISIONS_ASSESSED, SOME_VALIDATED, ASSESSORS_INDEPENDENT),
    ),
    Transition(
        Action.CLOSE_AFTER_VALIDATION,
        frozenset({CaseState.VALIDATION_ISSUED}),
        CaseState.CLOSED,
        _OP_ALFA,
        (),
        outcome=_validation_outcome,
    ),
    Transition(
        Action.SCHEDULE_EXAM,
        frozenset({CaseState.CERTIFICATION_QUEUE}),
        CaseState.EXAM,
        _ALFA,
        (*_PROGRESS, SOME_VALIDATED, EXAM_SCHEDULED, COMMISSION_INDEPENDENT),
    ),
    Transition(
        Action.CERTIFY,
        frozenset({CaseState.EXAM}),
        CaseState.CLOSED,
        _ALFA,
        (*_PROGRESS, CERTIFICATION_DECIDED, CERTIFICATION_ASSESSED, COMMISSION_INDEPENDENT),
        outcome=_certification_outcome,
        issues=DocumentType.CERTIFICATE,
        waits_for_flow=True,
        four_eyes=True,
    ),
    Transition(
        Action.CLOSE_WITHDRAWN,
        OPEN,
        CaseState.CLOSED,
        _OP_ALFA,
        (WITHDRAWAL_CONFIRMED,),
        outcome=lambda f: Outcome.WITHDRAWN,
    ),
)

_BY_ACTION = {t.action: t for t in TRANSITIONS}


def transition_for(action: Action) -> Transition:
    return _BY_ACTION[action]


def certify_issues_document(facts: CaseFacts) -> bool:
    """A certificate is issued only when at least one competence is certified."""
    return facts.certified > 0


@dataclass(frozen=True)
class Refusal:
    """Why a transition cannot happen: every failed check, not only the first."""

    action: Action
    state: CaseState
    reasons: tuple[tuple[str, str], ...]  # (code, message)

    def message(self) -> str:
        joined = "; ".join(msg for _, msg in self.reasons)
        return f"cannot {self.action.value} a case in state '{self.state.value}': {joined}"


def check(action: Action, facts: CaseFacts, role: Role, *, skip_document: bool = False) -> Refusal | None:
    """None if ``role`` may perform ``action`` now; else a ``Refusal`` naming what is missing."""
    transition = _BY_ACTION[action]
    reasons: list[tuple[str, str]] = []
    if facts.state not in transition.sources:
        allowed = ", ".join(sorted(s.value for s in transition.sources))
        reasons.append(("state", f"allowed only from {allowed}"))
        return Refusal(action, facts.state, tuple(reasons))
    if role not in transition.roles:
        allowed = ", ".join(sorted(r.value for r in transition.roles))
        reasons.append(("role", f"role '{role.value}' may not do it (allowed: {allowed})"))
    guards = transition.guards if skip_document else transition.all_guards
    if action is Action.CERTIFY and not certify_issues_document(facts):
        guards = transition.guards
    for guard in guards:
        if not guard.holds(facts):
            reasons.append((guard.code, guard.message))
    return Refusal(action, facts.state, tuple(reasons)) if reasons else None


def available_actions(facts: CaseFacts, role: Role) -> list[Action]:
    """Actions the role could perform now (used by interfaces to offer only legal moves)."""
    return [t.action for t in TRANSITIONS if check(t.action, facts, role, skip_document=True) is None]


def awaits_approval(facts: CaseFacts) -> bool:
    """A pending request that cannot be carried out before a second reviewer approves it."""
    return (
        facts.issue_requested is not None
        and transition_for(facts.issue_requested).four_eyes
        and not facts.issue_approved
    )


def next_human_step(facts: CaseFacts) -> tuple[str, Role] | None:
    """What a case waits for once its automated steps are done, and on whom. None if closed."""
    if facts.state is CaseState.CLOSED:
        return None
    if awaits_approval(facts):
        return "issue_approval", Role.ALFA_REVIEWER
    if facts.withdrawal_requested:
        return "withdrawal_confirmation", Role.OPERATOR
    if facts.suspended:
        return "suspension_end", Role.OPERATOR
    match facts.state:
        case CaseState.ACCESS:
            if not facts.service_consent:
                return "privacy_notice", Role.OPERATOR
            if not facts.service_agreement_signed:
                return "service_agreement", Role.OPERATOR
            if facts.admissibility is None:
                return "admissibility_decision", Role.OPERATOR
            return ("admission" if facts.admissibility == "ammesso" else "refusal_record"), Role.OPERATOR
        case CaseState.IDENTIFICATION:
            if facts.experiences == 0:
                return "interview", Role.OPERATOR
            if facts.confirmed_claims == 0:
                return "claims_review", Role.OPERATOR
            return "transparency_request", Role.OPERATOR
        case CaseState.TRANSPARENCY_ISSUED:
            return "person_choice_validation", Role.OPERATOR
        case CaseState.VALIDATION:
            if facts.validation_undecided or facts.validation_unassessed:
                return "assessment_and_decision", Role.ASSESSOR
            return "validation_issue", Role.ALFA_REVIEWER
        case CaseState.VALIDATION_ISSUED:
            return "person_choice_certification", Role.OPERATOR
        case CaseState.CERTIFICATION_QUEUE:
            return "exam_scheduling", Role.ALFA_REVIEWER
        case CaseState.EXAM:
            if facts.certification_undecided or facts.certification_unassessed:
                return "exam_outcome", Role.ALFA_REVIEWER
            return "certification_issue", Role.ALFA_REVIEWER
    return None
