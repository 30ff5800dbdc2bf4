"""Every read-model view the API serves, in one explicit table: the read models'
own (``web.readmodels``) and what is due (``web.due``)."""

from __future__ import annotations

from web import due, readmodels

VIEWS = (*readmodels.VIEWS, due.due)

RULES: list[tuple[str, str]] = [(v.read_route.operation, v.read_route.rule) for v in VIEWS]
"""(operationId, rule) of each read-model route."""
