"""Territory records, loaded from ``reference/territories.yaml``."""

from __future__ import annotations

from datetime import date

from sqlmodel import Field, SQLModel


class Territory(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=16)
    name: str = Field(max_length=120)
    lead_municipality: str = Field(max_length=120)
    valid_from: date
    valid_to: date | None = None
