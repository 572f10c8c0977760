"""The system of record: engine, sessions, shared column types and migrations."""
