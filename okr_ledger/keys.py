"""The transparency log's signing key: where it lives and how it is made.

- ``OKR_LEDGER_SIGNING_KEY_FILE`` names the private key file (C2SP/Go note format,
  mode 0600), written by ``okr-ledger log keygen --origin NAME``;
- unset, on the embedded default (an SQLite file), the key is the file beside it,
  ``<database>.key``, made on first use with ``OKR_LEDGER_LOG_ORIGIN`` as its name;
- on an in-memory store, a key lives only as long as the process;
- on PostgreSQL without a key file, the log serves proofs but signs nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

from ledger.persistence.url import sqlite_path
from ledger.tlog.note import Signer, generate_key
from okr_ledger.config import Settings


class KeyFileExists(Exception):
    pass


@dataclass(frozen=True)
class LogKey:
    signer: Signer | None
    path: Path | None
    made: bool = False
    """True when this process made the key (on first use)."""


def key_path(settings: Settings) -> Path | None:
    """The key file the settings name, or the default beside an SQLite file."""
    if settings.signing_key_file:
        return Path(settings.signing_key_file)
    url = settings.database_url
    if url.startswith("sqlite:///"):
        path = sqlite_path(url)
        return Path(f"{path}.key") if path else None
    return None


def write_key(path: Path, origin: str) -> Signer:
    """Write a new private key to ``path`` (mode 0600); never over an existing one."""
    text = generate_key(origin)
    signer = Signer.from_key_text(text)
    if path.exists():
        raise KeyFileExists(f"{path} exists; a log keeps its key (move it away first)")
    # Written whole under another name, then linked into place: a process starting at
    # the same moment sees no key or the whole key, and only one key ever wins.
    partial = path.with_name(f".{path.name}.{os.getpid()}.{uuid4().hex}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text + "\n")
        os.link(partial, path)
    except FileExistsError:
        raise KeyFileExists(f"{path} exists; a log keeps its key (move it away first)") from None
    finally:
        partial.unlink(missing_ok=True)
    return signer


def read_key(path: Path) -> Signer:
    return Signer.from_key_text(path.read_text())


def load_key(settings: Settings) -> LogKey:
    path = key_path(settings)
    if path is not None and path.exists():
        return LogKey(read_key(path), path)
    embedded = settings.database_url.startswith("sqlite:///")
    if path is not None and embedded and not settings.signing_key_file:
        try:
            return LogKey(write_key(path, settings.log_origin), path, made=True)
        except KeyFileExists:  # another process made it first
            return LogKey(read_key(path), path)
    if path is None and (settings.database_url == "memory://" or embedded):
        return LogKey(Signer.from_key_text(generate_key(settings.log_origin)), None)
    return LogKey(None, path)
