"""Spreadsheet imports: an OKR set from a planning sheet, check-ins from a metrics export
(``commands.imports.service`` runs them; the CLI and the HTTP route share it)."""
