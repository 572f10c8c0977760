"""Text templates of the no-papers path, filled with the operator's fields (data in
``reference/no_papers.yaml``, Italian and English at least)."""

from __future__ import annotations

import string
from typing import Any

from ivc.errors import ValidationFailed
from ivc.reference import no_papers


def template_names() -> list[str]:
    return list(no_papers().get("steps", []))


def template(name: str) -> dict[str, Any]:
    found = no_papers().get("templates", {}).get(name)
    if found is None:
        raise ValidationFailed(f"no template {name!r}; choose among {template_names()}", field="template")
    return dict(found)


def fill(name: str, lang: str, fields: dict[str, str]) -> str:
    """The template in ``lang`` (Italian when that language has no text) with every field filled;
    a missing or empty field is refused, so no half-filled declaration is ever printed."""
    tpl = template(name)
    text = str(tpl.get(lang) or tpl["it"])
    needed = [f for _, f, _, _ in string.Formatter().parse(text) if f]
    missing = [f for f in needed if not str(fields.get(f, "")).strip()]
    if missing:
        raise ValidationFailed(f"template {name!r} needs {', '.join(missing)}", field=missing[0])
    return text.format_map({f: " ".join(str(fields[f]).split()) for f in needed})
