"""The ``eventsourcing`` recorders, extended to write each event's transparency-log leaf
in the same transaction as the event, and the log's tree and checkpoints beside them:
one module per kind of store."""
