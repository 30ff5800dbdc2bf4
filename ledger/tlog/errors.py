"""The typed errors of the transparency log. Each names its rule, so every caller (the
HTTP routes, the command line) can say precisely what was refused."""

from __future__ import annotations

from ledger.exceptions import LedgerError


class LogError(LedgerError):
    """Base of the log's errors (never raised itself)."""


class IndexOutOfRange(LogError):
    """A leaf index at or beyond the tree size asked for."""

    rule = "index_out_of_range"


class SizeBeyondCheckpoint(LogError):
    """A tree size beyond the latest signed checkpoint: nothing vouches for it yet."""

    rule = "size_beyond_checkpoint"


class BadProofRange(LogError):
    """A consistency proof asked from a size beyond the one it proves to."""

    rule = "bad_proof_range"


class NoSigningKey(LogError):
    """The log has no signing key configured, so it cannot sign or name its key."""

    rule = "no_signing_key"


class LogCorrupted(LogError):
    """The stored tree no longer matches what was signed: the log refuses to go on
    signing (run ``okr-ledger verify`` to find where)."""

    rule = "log_corrupted"
