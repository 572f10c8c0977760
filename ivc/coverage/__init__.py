"""Evidence coverage of a case's target qualification and the gap to certification."""
