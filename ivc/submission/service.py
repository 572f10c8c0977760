"""Carry out a form submission once.

``claim(session, token, kind, actor)`` is called first in the transaction that does the work. It
returns the earlier submission when the token was already carried out (the caller then does
nothing and shows that result); else it records the token, so that a concurrent second submission
of the same token waits on the row and then finds it, or fails on the unique key.
``done(session, submission, result_id)`` records what the submission created.
"""

from __future__ import annotations

import re

from sqlmodel import Session

from ivc.auth.roles import Actor
from ivc.errors import ValidationFailed
from ivc.submission.models import FormSubmission

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def claim(session: Session, token: str, kind: str, actor: Actor) -> FormSubmission | None:
    """None when this token is new (now recorded); the earlier submission when it is not."""
    if not _TOKEN.match(token):
        raise ValidationFailed("a form token is 16-64 letters, digits, '-' or '_'", field="token", code="bad_token")
    earlier = session.get(FormSubmission, token)
    if earlier is not None:
        return earlier
    session.add(FormSubmission(token=token, kind=kind[:40], username=actor.username))
    session.flush()  # a concurrent twin now blocks on, or collides with, this row
    return None


def done(session: Session, token: str, result_id: int | None) -> None:
    row = session.get(FormSubmission, token)
    if row is not None:
        row.result_id = result_id
        session.add(row)
        session.flush()
