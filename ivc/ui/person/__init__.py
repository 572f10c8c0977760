"""The person's own room: sign-in with the personal access code, and their space (path,
documents, consents, who looked, their data), in their language, fit for a phone."""
