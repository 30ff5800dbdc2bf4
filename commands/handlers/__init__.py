"""One handler per command, grouped by the part of the domain they act on.

Importing this package registers every handler with the bus.
"""

from commands.handlers import (  # noqa: F401
    carry,
    cycles,
    decisions,
    dependencies,
    initiatives,
    key_results,
    kpis,
    objectives,
    principals,
    strategy,
    teams,
    webhooks,
)
