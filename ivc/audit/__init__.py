"""The audit log: who did what, when, with before/after values."""
