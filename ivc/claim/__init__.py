"""Competence claims: a competence of the repertory that a case's evidence points to."""
