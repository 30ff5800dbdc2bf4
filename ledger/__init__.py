"""The ledger: OKR aggregates, their events, and the hash-chained log they live in.

This package knows nothing of HTTP, validation schemas or Kafka; it stands on the
``eventsourcing`` library alone.
"""
