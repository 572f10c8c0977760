"""Reference data kept as files in ``reference/`` (issuing bodies, register formats…)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml

from ivc.config import get_settings


@lru_cache(maxsize=8)
def _load(name: str, directory: str) -> dict[str, Any]:
    from pathlib import Path

    data = yaml.safe_load((Path(directory) / f"{name}.yaml").read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def issuers() -> dict[str, Any]:
    return _load("issuers", str(get_settings().reference_dir))


def data_access() -> dict[str, Any]:
    """Purposes, legal bases and organisations that decide who may view a dossier."""
    return _load("data_access", str(get_settings().reference_dir))


def evidence_strength() -> dict[str, Any]:
    """Weights of each kind of evidence, the combining rule and the cost of the next proofs."""
    return _load("evidence_strength", str(get_settings().reference_dir))


def no_papers() -> dict[str, Any]:
    """Templates of the no-papers path (self-declaration, testimony, skills demonstration)."""
    return _load("no_papers", str(get_settings().reference_dir))
