"""Issued documents (service agreement, transparency, validation, certificate) and the register."""
