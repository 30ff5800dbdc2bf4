"""The composition root and entry points of OKR Ledger: settings, wiring, the CLI."""
