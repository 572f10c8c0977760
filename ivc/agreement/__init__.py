"""The service agreement ("patto di servizio") signed at access."""
