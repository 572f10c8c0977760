"""Experiences reconstructed in interviews: work, training, volunteering, family and informal."""
