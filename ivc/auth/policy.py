"""Who may do what: one table of permissions per role, and the territorial rule.

Services call ``authorize(actor, Permission.X, district)`` before they change or show anything;
interfaces may hide what a role cannot do, but the refusal always comes from here. Rules that
belong to a single concept's own table (which role moves a case between two states, which role
records which decision) stay in that table (``ivc.case.states``, ``ivc.decision.service``).
"""

from __future__ import annotations

from enum import StrEnum

from ivc.auth.roles import Actor, Role
from ivc.errors import PermissionDenied


class Permission(StrEnum):
    CASE_READ = "case.read"
    TIMELINE_READ = "timeline.read"  # the person's path across services (CPI as a receiving service too)
    INTAKE = "intake"  # register a person and open a case
    CONSENT_RECORD = "consent.record"
    INTERVIEW_RECORD = "interview.record"
    EVIDENCE_ADD = "evidence.add"
    MAPPING_REVIEW = "mapping.review"  # accept/reject suggested competences
    ASSESS = "assess"
    QUEUE_WORK = "queue.work"  # pick up, assign, approve issuance
    CASE_SUSPEND = "case.suspend"  # suspend a case, or lift its suspension
    WITHDRAWAL_REQUEST = "withdrawal.request"  # record that the person withdraws
    EXAM_SCHEDULE = "exam.schedule"
    DOCUMENT_REVOKE = "document.revoke"
    DOCUMENT_SHARE = "document.share"
    DOSSIER_SEARCH = "dossier.search"  # CPI: consented dossiers only
    MATCHING = "matching"
    VACANCY_MANAGE = "vacancy.manage"
    PARTICIPATION_RECORD = "participation.record"  # courses, language levels, integration feedback
    MONITORING_READ = "monitoring.read"
    MONITORING_EXPORT = "monitoring.export"
    USER_ADMIN = "user.admin"


_O, _M, _A, _R = Role.OPERATOR, Role.MEDIATOR, Role.ASSESSOR, Role.ALFA_REVIEWER
_C, _MON, _ADM, _SYS = Role.CPI_ADVISOR, Role.MONITORING, Role.ADMIN, Role.SYSTEM

GRANTS: dict[Permission, frozenset[Role]] = {
    Permission.CASE_READ: frozenset({_O, _M, _A, _R, _ADM, _SYS}),
    Permission.TIMELINE_READ: frozenset({_O, _M, _A, _R, _C, _ADM}),
    Permission.INTAKE: frozenset({_O, _ADM}),
    Permission.CONSENT_RECORD: frozenset({_O}),
    Permission.INTERVIEW_RECORD: frozenset({_O, _M}),
    Permission.EVIDENCE_ADD: frozenset({_O, _M, _A, _R, _SYS}),
    Permission.MAPPING_REVIEW: frozenset({_O}),
    Permission.ASSESS: frozenset({_A}),
    Permission.QUEUE_WORK: frozenset({_R}),
    # Who follows the case (the accompanying expert, ALFA): the roles that close a withdrawn case.
    Permission.CASE_SUSPEND: frozenset({_O, _R}),
    Permission.WITHDRAWAL_REQUEST: frozenset({_O, _R}),
    Permission.EXAM_SCHEDULE: frozenset({_R}),
    Permission.DOCUMENT_REVOKE: frozenset({_R, _ADM}),
    Permission.DOCUMENT_SHARE: frozenset({_O, _R}),
    Permission.DOSSIER_SEARCH: frozenset({_C, _ADM}),
    Permission.MATCHING: frozenset({_C, _ADM}),
    Permission.VACANCY_MANAGE: frozenset({_C, _ADM}),
    Permission.PARTICIPATION_RECORD: frozenset({_O}),
    Permission.MONITORING_READ: frozenset({_MON, _R, _ADM}),
    Permission.MONITORING_EXPORT: frozenset({_MON, _ADM}),
    Permission.USER_ADMIN: frozenset({_ADM}),
}

# Permissions about one person's case are bound to the case's district; the others are not.
TERRITORIAL = frozenset(
    {
        Permission.CASE_READ,
        Permission.TIMELINE_READ,
        Permission.INTAKE,
        Permission.CONSENT_RECORD,
        Permission.INTERVIEW_RECORD,
        Permission.EVIDENCE_ADD,
        Permission.MAPPING_REVIEW,
        Permission.ASSESS,
        Permission.QUEUE_WORK,
        Permission.CASE_SUSPEND,
        Permission.WITHDRAWAL_REQUEST,
        Permission.EXAM_SCHEDULE,
        Permission.DOCUMENT_SHARE,
        Permission.PARTICIPATION_RECORD,
    }
)


def allowed(actor: Actor, permission: Permission, district: str | None = None) -> bool:
    if actor.role not in GRANTS[permission]:
        return False
    if permission in TERRITORIAL and district is not None:
        return actor.can_work_in(district)
    return True


def authorize(actor: Actor, permission: Permission, district: str | None = None) -> None:
    """Raise ``PermissionDenied`` unless the actor's role holds the permission, and, for work on
    a person's case, the actor works in the case's district."""
    if actor.role not in GRANTS[permission]:
        raise PermissionDenied(
            f"role {actor.role.value} may not do {permission.value}",
            code="permission_role",
            role=actor.role.value,
            permission=permission.value,
        )
    if permission in TERRITORIAL and district is not None and not actor.can_work_in(district):
        raise PermissionDenied(
            f"{actor.username} does not work in district {district}",
            code="permission_district",
            district=district,
            permission=permission.value,
        )


def permissions_of(role: Role) -> list[Permission]:
    return [p for p, roles in GRANTS.items() if role in roles]
