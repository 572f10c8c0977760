"""One case, shared by the roles that work on it: the list of cases, the workspace with its
overview and a tab per kind of work (interview, evidence, mapping, review, documents, courses)."""
