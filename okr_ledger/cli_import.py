"""``okr-ledger import``: spreadsheets (OKR sets, bulk check-ins) and export archives."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from commands.imports.problems import SpreadsheetRefused
from commands.imports.service import KINDS, import_file, template
from commands.imports.sheets import MAX_BYTES
from ledger.exceptions import LedgerError


@click.command("import")
@click.argument(
    "path", required=False, type=click.Path(exists=True, path_type=Path, allow_dash=False)
)
@click.option(
    "--template",
    "template_kind",
    type=click.Choice(KINDS),
    help="Print the CSV template of an OKR set or of bulk check-ins, then exit.",
)
@click.option(
    "--dry-run", is_flag=True, help="Name the changes the import would make; write nothing."
)
@click.pass_obj
def import_command(
    context: Any, path: Path | None, template_kind: str | None, dry_run: bool
) -> None:
    """Import a CSV or XLSX file (an OKR set or check-ins, told by its header), or an
    export archive (a directory holding manifest.json).

    A problem in any row refuses the whole file, naming its row and column, and nothing is
    written; importing the same file again writes nothing.
    """
    if template_kind:
        click.echo(template(template_kind), nl=False)
        return
    if path is None:
        raise click.UsageError("give a FILE to import, or --template okrs|check-ins")
    if path.is_dir():
        _import_archive(context, path)
        return
    from okr_ledger.cli_principals import operator

    if path.stat().st_size > MAX_BYTES:
        raise click.ClickException(f"{path.name}: the file is over the limit of {MAX_BYTES} bytes")
    try:
        report = import_file(context.services.bus, operator(), path.read_bytes(), dry_run=dry_run)
    except SpreadsheetRefused as refused:
        for problem in refused.problems:
            where = problem.where
            click.echo(f"{path.name}: {where}: {problem.code}: {problem.message}", err=True)
        click.echo("nothing was written", err=True)
        sys.exit(1)
    except LedgerError as error:
        raise click.ClickException(f"{error.rule}: {error.message}; nothing was written") from None
    for line in report.lines():
        click.echo(line)


def _import_archive(context: Any, path: Path) -> None:
    try:
        from okr_ledger.cli_archive import import_archive  # type: ignore[import-not-found]
    except ImportError:
        raise click.ClickException(
            f"{path} is a directory: importing an export archive is not available in this "
            "installation"
        ) from None
    import_archive(context, path)
