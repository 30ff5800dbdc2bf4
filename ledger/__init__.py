"""The ledger: OKR aggregates, their events, and the transparency log they live in.

This package knows nothing of HTTP, validation schemas or Kafka; it stands on the
``eventsourcing`` library alone.
"""
