"""The person's own space: a personal access code to sign in, and what the person sees of their
own records (path, documents, consents, who looked, their data and their requests)."""
