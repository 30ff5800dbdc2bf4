"""Every read-model view the API serves, in one explicit table: the read models'
own (``web.readmodels``) and what is due (``web.due``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask_smorest import Blueprint

from commands.catalogue import API as ANY_OPERATION
from commands.catalogue import VIEW
from web import due, readmodels
from web.errors import document_errors
from web.readmodels import OTHER_MEDIA, ReadRoute, guarded

VIEWS = (*readmodels.VIEWS, due.due)

RULES: list[tuple[str, str]] = [(v.read_route.operation, v.read_route.rule) for v in VIEWS]
"""(operationId, rule) of each read-model route."""


def blueprint(views: Sequence[Callable[..., Any]]) -> Blueprint:
    """The read models' routes, one per view marked with ``route``."""
    blp = Blueprint(
        "read-models", __name__, url_prefix="/api/v1", description="Read models built from the log"
    )
    for view in views:
        spec: ReadRoute = view.read_route  # type: ignore[attr-defined]
        decorated: Any = guarded(view)
        if spec.response is not None:
            decorated = blp.response(200, spec.response)(decorated)
        for kind in spec.media:
            content_type, description = OTHER_MEDIA[kind]
            decorated = blp.alt_response(
                200,
                schema={"type": "string"},
                content_type=content_type,
                description=description,
                success=True,
            )(decorated)
        decorated = document_errors(blp, decorated, "View", {ANY_OPERATION, VIEW})
        decorated = blp.arguments(spec.query(), location="query")(decorated)
        decorated = blp.doc(operationId=spec.operation)(decorated)
        blp.route(spec.rule, methods=["GET"], endpoint=spec.operation)(decorated)
    return blp
