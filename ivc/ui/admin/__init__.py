"""The administrator's room: accounts, frameworks, document templates."""
