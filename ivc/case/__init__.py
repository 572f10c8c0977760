"""The case: one person's IVC path, its state machine and its facets."""
