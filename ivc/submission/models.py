"""A form submission that has been carried out, by the token the form was rendered with."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ivc.database.core import utcnow
from ivc.database.types import UTCDateTime


class FormSubmission(SQLModel, table=True):
    # The token is random per rendering of a form: it is unique, so a second insert of the same
    # token fails inside the transaction that would have done the work twice.
    token: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=40)
    username: str = Field(max_length=64)
    result_id: int | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
