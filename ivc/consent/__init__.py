"""Consent records: purpose, the language it was explained in, who recorded it, withdrawal."""
