"""Errors the domain raises. Each carries a stable ``code`` and parameters so interfaces can
show a translated message; ``str()`` gives an English explanation for logs and the CLI."""

from __future__ import annotations

from typing import Any


class IVCError(Exception):
    """Base of every error ivc raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, **params: Any) -> None:
        super().__init__(message)
        if code:
            self.code = code
        self.params = params


class DomainError(IVCError):
    """A rule of the IVC process forbids what was asked."""

    code = "domain"


class TransitionError(DomainError):
    """A case transition is illegal from this state or a precondition is missing."""

    code = "transition"


class PermissionDenied(IVCError):
    """The actor's role or territory does not allow the action."""

    code = "permission"


class ConflictError(IVCError):
    """Someone else changed the record first (optimistic lock); reload and retry."""

    code = "conflict"


class NotFound(IVCError):
    code = "not_found"


class ValidationFailed(IVCError):
    """Input is malformed: names the field and why."""

    code = "invalid"


class IntegrityFailure(IVCError):
    """Stored content does not match its recorded hash."""

    code = "integrity"


class StorageFull(IVCError):
    """The file store has no space left (or its quota is used up); nothing was saved."""

    code = "storage_full"
