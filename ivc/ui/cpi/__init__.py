"""The CPI advisor's room: consented dossiers and job matching."""
