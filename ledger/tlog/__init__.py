"""The transparency log: an RFC 9162 Merkle tree over every stored event, and signed
C2SP checkpoints of it. ``merkle`` and ``leaf`` are pure; storage lives beside the
recorders and the service that issues checkpoints builds on both."""
