"""Mapping evidence text to framework competences (suggestions the operator reviews)."""
