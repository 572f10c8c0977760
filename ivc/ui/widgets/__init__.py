"""Widgets every room shares: translated errors and confirmations, forms that save once and keep
their input on failure, text in the person's language, dates and labels, links between pages."""
