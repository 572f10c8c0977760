"""Text cut into pieces a tokenizer handles in linear time, offsets kept.

spaCy's rule-based tokenizer is quadratic (and worse) in the length of a run of characters without
white space that it splits into many tokens: 1,000 characters of ``€`` took 0.9 s, 4,000 took 17 s
and 10,000 took 33 s on these machines, and such a run can arrive in an interview answer or an
evidence file inside a web request. No word is that long, so ``segments`` cuts every run longer
than ``MAX_RUN`` into pieces of ``MAX_RUN`` characters and gives each piece with its offset in the
original text: a tokenizer over the pieces costs linear time, and offsets still point into the
text exactly as given.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

MAX_RUN = 64  # characters without white space handed to the tokenizer at once
_LONG_RUN = re.compile(rf"\S{{{MAX_RUN + 1},}}")


def segments(text: str, max_run: int = MAX_RUN) -> Iterator[tuple[int, str]]:
    """``(offset, piece)`` covering ``text`` in order; no piece holds a run of more than
    ``max_run`` non-space characters. Ordinary text comes back as one piece."""
    pattern = _LONG_RUN if max_run == MAX_RUN else re.compile(rf"\S{{{max_run + 1},}}")
    pos = 0
    for match in pattern.finditer(text):
        if match.start() > pos:
            yield pos, text[pos : match.start()]
        for start in range(match.start(), match.end(), max_run):
            yield start, text[start : min(start + max_run, match.end())]
        pos = match.end()
    if pos < len(text) or not text:
        yield pos, text[pos:]
