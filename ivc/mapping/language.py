"""Language identification for short texts (py3langid, offline, ~0.1 ms a text). Very short texts
are where detectors err: callers let the operator override."""

from __future__ import annotations

import py3langid


def detect(text: str) -> str:
    """ISO 639-1 code of the text's language; ``und`` when there is nothing to go on."""
    sample = " ".join(text.split())[:2000]
    if sum(ch.isalpha() for ch in sample) < 3:
        return "und"
    lang, _ = py3langid.classify(sample)
    return str(lang)
