"""The monitoring room: the dashboard of indicators, aggregates only."""
