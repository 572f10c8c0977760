"""The person on the IVC path: identity, languages, referral and vulnerability."""
