"""Programme monitoring for the network: indicators (as data), funnel and time per phase,
pseudonymised exports with small-cell suppression."""
