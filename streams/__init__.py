"""The ledger on Kafka: a publisher that relays the log to a topic, projection workers
that keep the read models from it, and an intake that runs commands from a topic.

Optional at run time: the embedded default runs with no broker at all.
"""
