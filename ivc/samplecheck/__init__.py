"""ALFA's random sample checks of dossiers (announced in the service agreement)."""
