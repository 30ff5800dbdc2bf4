"""The spreadsheet imports over HTTP: the same service and report as ``okr-ledger import``.

The body is the file itself (``text/csv`` or the XLSX type, up to 5 MiB). Editors import
for their teams (a row of another team refuses the file, 403), admins everywhere; a
refused file writes nothing and answers ``invalid_spreadsheet`` with every problem by
row and column.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from marshmallow.validate import OneOf

from commands.catalogue import API as ANY_OPERATION
from commands.catalogue import IMPORT
from commands.imports.service import CHECK_INS, KINDS, import_file
from commands.imports.sheets import CSV_TYPE, MAX_BYTES, XLSX_TYPE
from web.auth import current_principal
from web.errors import document_errors

MAX_HTTP_ROWS = 500
"""Rows one request may import: about half a second of work on PostgreSQL (bench.imports
measures about 900 rows/s there), so no request holds a worker for long; the CLI's
``okr-ledger import`` takes up to 20,000."""

blp = Blueprint(
    "imports",
    __name__,
    url_prefix="/api/v1",
    description="Spreadsheet imports: OKR sets from planning sheets, check-ins in bulk.",
)


class ImportQuerySchema(Schema):
    dry_run = fields.Boolean(
        load_default=False,
        metadata={"description": "name the changes the import would make; write nothing"},
    )


class ImportChangeSchema(Schema):
    row = fields.Integer(required=True, metadata={"description": "the row (header is row 1)"})
    change = fields.String(
        required=True,
        metadata={"description": "objective_drafted, key_result_retargeted, ..."},
    )
    id = fields.UUID(required=True, metadata={"description": "what the change acts on"})
    summary = fields.String(required=True)
    command = fields.String(required=True, metadata={"description": "the command it runs"})
    events = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "the events it appends (Aggregate.Event)"},
    )


class ImportReportSchema(Schema):
    kind = fields.String(required=True, validate=OneOf(KINDS))
    dry_run = fields.Boolean(required=True)
    rows = fields.Integer(required=True, metadata={"description": "rows read (header aside)"})
    changes = fields.List(fields.Nested(ImportChangeSchema), required=True)
    events = fields.Integer(
        required=True, metadata={"description": "events written (a dry run: would write)"}
    )
    position = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "log position reached; null for a dry run or no change"},
    )


SPREADSHEET_BODY = {
    "required": True,
    "description": f"the file itself, at most {MAX_BYTES} bytes and {MAX_HTTP_ROWS} rows "
    "(the header aside); the first sheet of an XLSX",
    "content": {
        CSV_TYPE: {"schema": {"type": "string"}},
        XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
    },
}


def _run(kind: str | None, query: dict[str, Any]) -> dict[str, Any]:
    services = current_app.extensions["okr_ledger"]
    report = import_file(
        services.bus,
        current_principal(),
        request.get_data(cache=True),
        dry_run=query["dry_run"],
        kind=kind,
        max_rows=MAX_HTTP_ROWS,
    )
    return report.to_json()


def _document(view: Any, operation_id: str) -> Any:
    view = blp.response(200, ImportReportSchema)(view)
    view = document_errors(blp, view, "Import", {ANY_OPERATION, IMPORT})
    view = blp.arguments(ImportQuerySchema(), location="query")(view)
    return blp.doc(operationId=operation_id, requestBody=SPREADSHEET_BODY)(view)


def import_spreadsheet(query: dict[str, Any]) -> Any:
    """Import an OKR set or check-ins from a CSV or XLSX file (the kind its header shows)."""
    return _run(None, query)


def bulk_check_ins(query: dict[str, Any]) -> Any:
    """Check in on many key results from a metrics export; each row acts once."""
    return _run(CHECK_INS, query)


blp.route("/imports", methods=["POST"], endpoint="ImportSpreadsheet")(
    _document(import_spreadsheet, "ImportSpreadsheet")
)
blp.route("/check-ins/bulk", methods=["POST"], endpoint="BulkCheckIns")(
    _document(bulk_check_ins, "BulkCheckIns")
)
