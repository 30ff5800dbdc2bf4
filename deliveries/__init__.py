"""Webhook deliveries: notifications derived from the log, queued per subscription,
signed as the Standard Webhooks specification says, retried with backoff, and kept as
dead letters when the retry budget is spent (ADR 16)."""
