"""Deadlines and reminders: inactivity warnings, archiving with a right to contest, late results,
missing evidence; every message once, through an outbox, with a link and no personal data."""
