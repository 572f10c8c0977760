"""Intercultural mediators and language facilitators: profiles, bookings by language, interview
sessions with who was present, statements with their translation trail, mediator-only notes."""
