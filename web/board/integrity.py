"""The signed checkpoint a page was computed from, as the integrity page and the board
pack's cover show it: origin, size, root hash, the signed note and its signatures."""

from __future__ import annotations

import base64
from typing import Any

from flask import current_app

SIGNATURE_PREFIX = "\u2014 "
"""A C2SP signed note's signature lines begin with an em dash and a space."""


def checkpoint_view(position: int) -> dict[str, Any] | None:
    """The signed checkpoint of the log at the read models' ``position`` if one was
    signed there, else the latest; None when the ledger has no transparency log or it
    has signed nothing yet."""
    services = current_app.extensions["okr_ledger"]
    log = getattr(services, "transparency", None)
    if log is None:
        return None
    checkpoint = log.checkpoint_at(position) or log.latest_checkpoint()
    if checkpoint is None:
        return None
    note = str(checkpoint.note)
    root = bytes(checkpoint.root_hash)
    return {
        "origin": checkpoint.origin,
        "size": int(checkpoint.size),
        "root_hex": root.hex(),
        "root_base64": base64.b64encode(root).decode(),
        "note": note,
        "signatures": [
            line.removeprefix(SIGNATURE_PREFIX)
            for line in note.splitlines()
            if line.startswith(SIGNATURE_PREFIX)
        ],
        "issued_at": getattr(checkpoint, "issued_at", None),
        "verifier_key": str(log.verifier_key()),
    }
