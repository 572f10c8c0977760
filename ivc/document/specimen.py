"""A specimen of a document for previewing templates: the structure of a real issued payload with
every personal element replaced by placeholder data, so that an administrator checking a layout
never sees a real person's name, tax code, words or evidence."""

from __future__ import annotations

import copy
from typing import Any

SPECIMEN_HOLDER = {
    "given_name": "Nome",
    "family_name": "Cognome",
    "name_native": None,
    "birth_date": "1990-01-01",
    "birth_place": "Luogo di nascita",
    "codice_fiscale": "XXXXXX00X00X000X",
    "citizenship": "XX",
}
SPECIMEN_TEXT = "Testo di esempio dell'esperienza raccontata dalla persona, nelle sue parole e in italiano."


def specimen(payload: dict[str, Any], language: str) -> dict[str, Any]:
    """``payload`` with its person replaced; competences, qualifications and bodies kept."""
    out = copy.deepcopy(payload)
    out["holder"] = {**SPECIMEN_HOLDER, "language": language}
    out["number"] = "SPECIMEN"
    out["verification_code"] = "SPECIMEN"
    out["case"] = {"id": 0, "territory": (payload.get("case") or {}).get("territory", ""), "operator": "operatore"}
    for n, experience in enumerate(out.get("experiences") or [], start=1):
        experience.update(
            {"title": f"Esperienza {n}", "place": "Luogo", "text_it": SPECIMEN_TEXT, "text_original": None}
        )
    for n, item in enumerate(out.get("evidence") or [], start=1):
        for key in ("title", "display_name", "filename"):
            if key in item:
                item[key] = f"Evidenza {n}"
    if "commission" in out:
        out["commission"] = {"president": "Presidente", "method_expert": "Esperto di metodo",
                             "sector_expert": "Esperto di settore"}  # fmt: skip
        out["commission"]["members"] = [
            {"name": name, "role": role, "username": None} for role, name in out["commission"].items()
        ]
    return out
