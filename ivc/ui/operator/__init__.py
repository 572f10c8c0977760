"""The operator's room: a new intake (person, consent, service agreement, admission)."""
