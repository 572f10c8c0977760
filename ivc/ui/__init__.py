"""The Streamlit interface. Pages call services; no rule of the domain is decided here."""
