"""Hostile input corpus: malformed, malicious and absurd input pushed through the real services
and the command line. ``TALLY`` counts the cases tried and failed; ``tests/conftest.py`` prints it
at the end of the session."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Tally:
    tried: int = 0
    failures: int = 0


TALLY = Tally()
