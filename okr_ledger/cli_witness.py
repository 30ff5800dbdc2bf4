"""``okr-ledger witness``: run a C2SP tlog-witness for other parties' logs."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import click

from okr_ledger.verifier import VerificationError


@click.group()
def witness() -> None:
    """Witness logs: cosign their checkpoints after a consistency proof (C2SP tlog-witness)."""


@witness.command("keygen")
@click.option("--name", required=True, help="The witness's name, e.g. audit.example.org/witness.")
@click.option(
    "--key-file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the private key (mode 0600; never overwritten).",
)
def keygen(name: str, key_file: Path) -> None:
    """Make a witness key; print its verifier key (give that to the logs and auditors)."""
    from okr_ledger.witness import Cosigner

    if key_file.exists():
        raise click.ClickException(f"{key_file} exists; a witness key is never overwritten")
    try:
        cosigner = Cosigner.generate(name)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--name") from None
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(cosigner.private_text() + "\n")
    click.echo(cosigner.vkey)


@witness.command("serve")
@click.option(
    "--key-file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The witness's private key (from `witness keygen`).",
)
@click.option(
    "--state",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory of the latest cosigned checkpoint per log (keep it; never reset it).",
)
@click.option(
    "--log",
    "logs",
    multiple=True,
    metavar="VKEY",
    help="A log to witness: its verifier key, or a file holding it. Repeat for several; "
    "the file STATE/logs (one verifier key a line) is read too.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8380, show_default=True, type=click.IntRange(1, 65535))
def serve(key_file: Path, state: Path, logs: tuple[str, ...], host: str, port: int) -> None:
    """Serve POST /add-checkpoint until stopped."""
    from okr_ledger.witness import Cosigner, State, Witness, load_logs, make_server

    try:
        cosigner = Cosigner.parse(key_file.read_text(encoding="utf-8"))
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--key-file") from None
    configured = list(logs)
    listed = state / "logs"
    if listed.is_file():
        configured += [line for line in listed.read_text().splitlines() if line.strip()]
    if not configured:
        raise click.UsageError("name at least one log to witness (--log VKEY or STATE/logs)")
    try:
        trusted = load_logs(configured, _text)
    except VerificationError as error:
        raise click.BadParameter(str(error), param_hint="--log") from None
    server = make_server(Witness(cosigner, trusted, State(state)), host, port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    click.echo(
        f"witness {cosigner.name} on http://{host}:{server.server_port} for "
        f"{', '.join(key.name for key in trusted)}",
        err=True,
    )
    click.echo(cosigner.vkey)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _text(value: str) -> str:
    path = Path(value)
    if "+" not in value and path.is_file():
        return path.read_text(encoding="utf-8")
    return value
