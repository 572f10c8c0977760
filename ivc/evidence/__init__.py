"""Evidence: items of the dossier (files and notes) and the content-addressed store behind them."""
