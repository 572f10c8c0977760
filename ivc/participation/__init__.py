"""The person's participation in the network's support activities beside the IVC path (language
courses, civic orientation, guidance, information), their Italian level over time and whether they
say the path helped them: the facts the AMIF/FAMI output and result indicators count."""
