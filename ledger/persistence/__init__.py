"""The ``eventsourcing`` recorders, extended to write the hash chain (``ledger.chain``)
in the same transaction as the events: one module per kind of store."""
