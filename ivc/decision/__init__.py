"""Decisions with history: admissibility, validation and certification outcomes, revocable."""
