"""Read models built from the ledger's events: current state, audit trail, priority
history, time travel, diffs and retrospectives.

Projections depend on events only. They decode stored events themselves (the JSON the
ledger wrote), keep their own tables next to the ledger's, and record how far they have
read in the same transaction as each batch of view updates.
"""
