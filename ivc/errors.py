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


def first_error(exc: Exception, where: str = "") -> str:
    """The first field error of a pydantic validation as "field: why" (``where`` when the error
    is not about one field); any other exception as its message. Interfaces, the CLI and the
    register import all word invalid input this way."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        found = errors()
        if found:
            first = found[0]
            field = ".".join(str(x) for x in first.get("loc", ())) or where
            return f"{field}: {first.get('msg', '')}" if field else str(first.get("msg", ""))
    return str(exc)
