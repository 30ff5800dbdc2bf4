"""The only write path: one command type per act, one handler per command.

The HTTP layer, the CLI and the Kafka intake all hand commands to the same
``CommandBus``.
"""
