"""Load and query territories."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from sqlmodel import Session, select

from ivc.config import get_settings
from ivc.errors import ValidationFailed
from ivc.territory.models import Territory
from ivc.text import forbidden_char


def load_territories(session: Session, path: Path | None = None) -> int:
    """Upsert territories from the reference file; returns how many are defined."""
    path = path or get_settings().reference_dir / "territories.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    rows = data.get("territories", [])
    for row in rows:
        code = str(row["code"])
        current = session.get(Territory, code)
        values = {
            "name": row["name"],
            "lead_municipality": row["lead_municipality"],
            "valid_from": row["valid_from"],
            "valid_to": row.get("valid_to"),
        }
        if current is None:
            session.add(Territory(code=code, **values))
        else:
            for key, value in values.items():
                setattr(current, key, value)
    session.flush()
    return len(rows)


def active_territories(session: Session, on: date | None = None) -> list[Territory]:
    on = on or date.today()
    rows = session.exec(select(Territory).order_by(Territory.code)).all()
    return [t for t in rows if t.valid_from <= on and (t.valid_to is None or on <= t.valid_to)]


def require_territory(session: Session, code: str, on: date | None = None) -> Territory:
    # A code no territory can have (NUL, controls, too long) is unknown; PostgreSQL cannot even be asked.
    territory = session.get(Territory, code) if len(code) <= 16 and forbidden_char(code) is None else None
    on = on or date.today()
    if territory is None or territory.valid_from > on or (territory.valid_to and on > territory.valid_to):
        raise ValidationFailed(f"unknown or inactive territory {code!r}", field="territory")
    return territory
