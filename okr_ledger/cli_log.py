"""The transparency log at the command line: ``log keygen``, ``log key``,
``checkpoint`` (which also submits to the witnesses), ``verify`` and the tree-building
part of ``init``."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ledger.tlog.audit import Kept, kept_checkpoint
from ledger.tlog.errors import LogError
from ledger.tlog.note import NoteError, VerifierKey
from okr_ledger.keys import KeyFileExists, key_path, write_key

if TYPE_CHECKING:
    from okr_ledger.cli import Context
    from streams.witnesses import Outcome


def announce_made_key(context: Context) -> None:
    """Say so when this command made the log's key (the embedded default, first use)."""
    services = context.services
    services.transparency  # noqa: B018  (loads or makes the key)
    key = services.log_key
    if key is not None and key.made:
        click.echo(
            f"made the log's signing key {key.path} (keep it private; its verifier key: "
            f"{key.signer.vkey if key.signer else '?'})",
            err=True,
        )


@click.group("log")
def log_group() -> None:
    """The transparency log's signing key."""


@log_group.command("keygen")
@click.option(
    "--origin",
    required=True,
    metavar="NAME",
    help="The log's origin, which names the key, e.g. okr-ledger.example.org/ledger.",
)
@click.pass_obj
def keygen(context: Context, origin: str) -> None:
    """Write a new Ed25519 signing key (mode 0600) to OKR_LEDGER_SIGNING_KEY_FILE."""
    path = key_path(context.settings)
    if path is None:
        raise click.UsageError("set OKR_LEDGER_SIGNING_KEY_FILE to the file to write")
    try:
        signer = write_key(path, origin)
    except (KeyFileExists, NoteError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"wrote the signing key to {path}; its verifier key:", err=True)
    click.echo(signer.vkey)


@log_group.command("key")
@click.pass_obj
def key(context: Context) -> None:
    """Print the log's verifier key (C2SP vkey), for auditors and witnesses."""
    announce_made_key(context)
    try:
        click.echo(context.services.transparency.verifier_key())
    except LogError as error:
        raise click.ClickException(error.message) from None


def report(outcomes: dict[str, Outcome]) -> None:
    """Say what each witness did with the checkpoint submitted to it."""
    for name, outcome in outcomes.items():
        if outcome.line is not None:
            click.echo(f"witness {name} cosigned the checkpoint of size {outcome.size}", err=True)
        elif outcome.refused:
            click.echo(f"witness {name} REFUSED size {outcome.size}: {outcome.problem}", err=True)
        else:
            click.echo(f"witness {name}: {outcome.problem}; will try again", err=True)


def cosign_now(context: Context) -> None:
    """Submit the newest checkpoint to the witnesses that lack it, once."""
    cosigning = context.services.cosigning
    if cosigning is not None:
        report(cosigning.round(context.services.transparency.latest_checkpoint()))


def ticker(context: Context) -> Callable[[], object]:
    """The checkpointer's tick (sign if due, then a cosigning round), reporting what
    the witnesses did."""
    services = context.services
    services.transparency.key()  # no key, no checkpointer: say so at once

    def tick() -> None:
        signed, outcomes = services.checkpoint_tick()
        if signed is not None:
            click.echo(f"signed a checkpoint of size {signed.size}", err=True)
        report(outcomes)

    return tick


@click.command()
@click.option(
    "--follow",
    is_flag=True,
    help="Keep signing: a checkpoint whenever the log has grown and "
    "OKR_LEDGER_CHECKPOINT_INTERVAL seconds have passed (until stopped).",
)
@click.pass_obj
def checkpoint(context: Context, follow: bool) -> None:
    """Sign a checkpoint of the log now (if it grew) and print the latest signed note."""
    announce_made_key(context)
    log = context.services.transparency
    if follow:
        follow_checkpoints(context)
        return
    try:
        log.checkpoint_now()
        cosign_now(context)
    except LogError as error:
        raise click.ClickException(f"{error.rule}: {error.message}") from None
    latest = log.latest_checkpoint()
    if latest is None:
        click.echo("the log is empty; nothing to sign", err=True)
        sys.exit(1)
    click.echo(log.with_cosignatures(latest), nl=False)


def follow_checkpoints(context: Context) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    tick = ticker(context)
    while not stop.is_set():
        try:
            tick()
        except LogError as error:  # a refusal to sign is reported, and retried
            click.echo(f"checkpointer: {error.rule}: {error.message}", err=True)
        stop.wait(min(1.0, context.services.transparency.interval))


@click.command()
@click.option(
    "--checkpoint",
    "checkpoint_file",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A signed checkpoint kept outside the database: prove the log still extends it.",
)
@click.option(
    "--key",
    "vkey",
    metavar="VKEY",
    help="The verifier key the kept checkpoint must be signed with (default: the log's).",
)
@click.pass_obj
def verify(context: Context, checkpoint_file: Path | None, vkey: str | None) -> None:
    """Rebuild every leaf, tree node and checkpoint root; exit 0 if intact, else name
    the first bad position."""
    log = context.services.transparency
    kept: Kept | None = None
    if checkpoint_file is not None:
        try:
            note = checkpoint_file.read_text(encoding="utf-8")
        except (OSError, UnicodeError) as error:
            raise click.BadParameter(str(error), param_hint="--checkpoint") from None
        try:
            key = VerifierKey.parse(vkey) if vkey else log.key()
        except NoteError as error:
            raise click.BadParameter(error.message, param_hint="--key") from None
        except LogError as error:
            raise click.ClickException(error.message) from None
        try:
            kept = kept_checkpoint(note, key)
        except NoteError as error:
            raise click.BadParameter(
                f"not a checkpoint signed by this log's key: {error.message}",
                param_hint="--checkpoint",
            ) from None
    result = log.verify(kept)
    if result.intact:
        click.echo(
            f"intact: {result.checked} events verified, {result.checkpoints} checkpoints; "
            f"head position {result.head_position or 'none (empty log)'}"
        )
        if kept is not None:
            click.echo(f"the log extends the kept checkpoint of size {kept.size}")
        return
    click.echo(
        f"TAMPERED at position {result.failed_at}: {result.problem} "
        f"({result.checked} events verified before it)",
        err=True,
    )
    sys.exit(1)


def build_tree(context: Context) -> str:
    """Give a ledger written before the tree its leaves and nodes (``init``)."""
    log = context.services.transparency
    recorder = context.services.ledger.chained_recorder
    added = getattr(recorder, "backfilled", 0) + recorder.backfill_leaves()
    built = log.build_tree()
    made = f"{added} leaves added from stored events; " if added else ""
    return f"{made}tree built over {built} leaves"


def grant(context: Context, role: str) -> str:
    """Least privilege on PostgreSQL (``init --service-role``)."""
    from ledger.persistence.postgres import ChainedPostgresApplicationRecorder
    from ledger.persistence.postgres_roles import grant_service_role

    recorder = context.services.ledger.recorder
    if not isinstance(recorder, ChainedPostgresApplicationRecorder):
        raise click.UsageError("--service-role applies to PostgreSQL only")
    handed = grant_service_role(recorder, role)
    return (
        f"{role} may read the log, append through the append function and add tree nodes, "
        f"checkpoints and cosignatures; read models handed to it: {', '.join(handed) or 'none'}"
    )
