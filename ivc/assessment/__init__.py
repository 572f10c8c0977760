"""Assessments (dossier review, technical interview, practical test, observation) and exams."""
