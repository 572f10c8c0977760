"""The ``ivc`` command line."""
