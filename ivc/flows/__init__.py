"""Prefect flows: one per phase of the IVC path, plus ``advance_cases`` which runs the phase
flows a set of cases needs. Flows only orchestrate services; a human step ends a flow (the case
records what it waits for) and the interface that records that step calls ``advance_cases``."""

from ivc.flows.runtime import configure_prefect

configure_prefect()
