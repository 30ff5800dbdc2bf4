"""``okr-ledger export`` and ``okr-ledger import``: the log as a verifiable archive, and
into another store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ledger.exceptions import LedgerError

if TYPE_CHECKING:
    from okr_ledger.bootstrap import Services
    from okr_ledger.cli import Context


@click.command("export")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The archive's directory (must not exist; written beside it, then renamed).",
)
@click.option(
    "--size",
    type=click.IntRange(1),
    help="Export the checkpoint of this size (default: sign one at the log's size now).",
)
@click.option(
    "--since-size",
    "since",
    type=click.IntRange(0),
    default=0,
    help="Only what a holder of the export of this size lacks, with a consistency proof.",
)
@click.pass_obj
def export_command(context: Context, out: Path, size: int | None, since: int) -> None:
    """Write the log as a C2SP tlog-tiles archive that verifies offline."""
    from ledger.tlog.archive import export
    from okr_ledger.cli_log import cosign_now

    log = context.services.transparency
    try:
        if size is None:
            log.checkpoint_now()
            cosign_now(context)
        done = export(
            log.store,
            out,
            key=log.verifier_key(),
            consistency=log.consistency_proof,
            size=size,
            since=since,
        )
    except (LedgerError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    what = f"entries from tile of {since} to {done.size}" if since else f"{done.entries} entries"
    cosigned = len(log.cosignatures(done.size))
    click.echo(
        f"exported {what} of {done.origin} to {done.path} ({done.files} files; the checkpoint "
        f"of size {done.size} carries {cosigned} cosignature{'' if cosigned == 1 else 's'})"
    )
    click.echo(f"check it: okr-ledger-verify export {done.path} --key '{log.verifier_key()}'")


class ArchiveRefused(LedgerError):
    rule = "archive_refused"


def restore(services: Services, path: Path) -> tuple[int, int, str]:
    """Check an export whole, then load it into the services' (empty) store:
    (events written, tree size, origin)."""
    from ledger.persistence.importer import Entry, Importer
    from ledger.tlog.archive import read_checkpoints, read_entries, tree_nodes
    from okr_ledger.verifier import VerificationError, parse_vkey
    from okr_ledger.verifier_export import verify_export

    try:
        key_text = (path / "key").read_text(encoding="utf-8").strip()
        checkpoint, _ = verify_export(path, parse_vkey(key_text))
        if json.loads((path / "manifest.json").read_text())["since_size"]:
            raise VerificationError("an increment extends an earlier import; import a full export")
    except (OSError, ValueError, VerificationError) as error:
        raise ArchiveRefused(f"the archive does not verify, nothing imported: {error}") from None
    hashes: list[bytes] = []

    def entries() -> Iterator[Entry]:
        for entry in read_entries(path):
            hashes.append(entry.leaf_hash)
            yield entry

    def nodes() -> Iterator[tuple[int, int, bytes]]:
        # the importer reads the nodes after the entries: the bundles are read once
        yield from tree_nodes(iter(hashes))

    checkpoints, cosignatures = read_checkpoints(path)
    _check_cosignatures(services, checkpoints, cosignatures)
    importer = Importer(services.ledger.chained_recorder)
    written = importer.load(entries(), nodes(), checkpoints, cosignatures)
    return written, checkpoint.size, checkpoint.origin


def _check_cosignatures(
    services: Services, checkpoints: list[Any], cosignatures: list[Any]
) -> None:
    """A cosignature by one of this store's witnesses (``OKR_LEDGER_WITNESSES``) must
    verify with its key; those by other witnesses are carried over as they are (an
    auditor checks them with the keys they trust)."""
    from ledger.tlog.cosignature import cosignature_timestamp

    known = {w.ident: w for w in services.settings.witness_list}
    bodies = {row.size: row.note[: row.note.rfind("\n\n") + 1] for row in checkpoints}
    for row in cosignatures:
        witness = known.get(row.witness)
        if witness and cosignature_timestamp(row.line, bodies[row.size], witness.key) is None:
            raise ArchiveRefused(
                f"the archive does not verify, nothing imported: the cosignature of checkpoint "
                f"{row.size} by {witness.name} is not valid"
            )


def import_archive(context: Context, path: Path) -> None:
    """Load an export into this (empty) store, after checking it whole."""
    try:
        written, size, origin = restore(context.services, path)
    except LedgerError as error:
        raise click.ClickException(f"{error.rule}: {error.message}") from None
    click.echo(
        f"imported {written} events of {origin} (tree size {size}, every entry verified) "
        f"into {context.settings.shown_database_url}"
    )
    click.echo(
        "next: give this store the log's signing key (OKR_LEDGER_SIGNING_KEY_FILE) before "
        "it signs again, then run `okr-ledger rebuild` to build its read models"
    )
