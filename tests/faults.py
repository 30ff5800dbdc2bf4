"""Runs an ``okr-ledger`` command that stops dead at a moment a test chooses, to be
killed there: ``python tests/faults.py KIND N ARGS...``.

``KIND`` names the fault point: ``follower`` or ``worker`` (a batch applied to a view,
its transaction not yet committed), ``publisher`` (a page acknowledged by the broker,
its position not yet recorded), ``import`` (a chunk written, not committed) or
``witness`` (``okr-ledger witness serve`` has saved the checkpoint it is cosigning as
its new state, and not yet answered). The N-th time the process reaches that point it prints
``paused at POSITION`` on stdout and waits there for ever; every earlier time it goes
on. A kill test reads that line (``wait_until_paused``), then sends SIGKILL: the kill
lands mid-batch, after exactly N - 1 completed steps, however fast the machine is.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import threading
from typing import Any

KINDS = ("follower", "worker", "publisher", "import", "witness")


class Pause:
    """Counts arrivals at a fault point; the N-th one announces itself and blocks."""

    def __init__(self, at: int) -> None:
        self.at = at
        self.arrivals = 0
        self.lock = threading.Lock()

    def __call__(self, position: int) -> None:
        with self.lock:
            self.arrivals += 1
            if self.arrivals != self.at:
                return
        sys.stdout.write(f"paused at {position}\n")
        sys.stdout.flush()
        threading.Event().wait()  # until SIGKILL


def install(kind: str, pause: Pause) -> None:
    """Set the component's own fault-injection hook on every instance made from now."""
    if kind == "import":
        from ledger.persistence import importer

        made_importer = importer.Importer.__init__

        def init_importer(self: Any, *args: Any, **kwargs: Any) -> None:
            made_importer(self, *args, **kwargs)
            self.chunk = 50  # many chunks, so the N-th one falls mid-import
            self.after_chunk = pause

        importer.Importer.__init__ = init_importer  # type: ignore[method-assign]
        return
    if kind == "witness":
        from okr_ledger import witness

        made_witness = witness.Witness.__init__

        def init_witness(self: Any, *args: Any, **kwargs: Any) -> None:
            made_witness(self, *args, **kwargs)
            self.after_save = pause

        witness.Witness.__init__ = init_witness  # type: ignore[method-assign]
        return
    if kind == "follower":
        from projections.follower import Follower as cls
    elif kind == "worker":
        from streams.worker import ProjectionWorker as cls
    else:
        from streams.publisher import Publisher as cls
    made = cls.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        made(self, *args, **kwargs)
        if kind == "follower":
            self.before_commit = lambda _view, records: pause(records[-1].position)
        elif kind == "worker":
            # the state view's batches are counted; the audit view's, in a transaction
            # of its own beside it, may commit one batch ahead of the kill
            self.before_commit = lambda view, records: (
                pause(records[-1].position if records else 0) if view == "state" else None
            )
        else:
            self.before_record = pause

    cls.__init__ = init  # type: ignore[method-assign]


def command(kind: str, at: int, url: str, *args: str) -> list[str]:
    """The argv of an ``okr-ledger --database-url URL ARGS...`` that pauses as told."""
    return [sys.executable, __file__, kind, str(at), "--database-url", url, *args]


def wait_until_paused(process: subprocess.Popen[bytes], timeout: float = 120.0) -> int:
    """The position at which ``process`` paused; fails if it ends or takes too long."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    assert ready, f"the process did not reach its fault point within {timeout} s"
    line = process.stdout.readline().decode()
    assert line.startswith("paused at "), f"the process ended first: {line!r}"
    return int(line.split()[-1])


def main() -> None:
    kind, at, *args = sys.argv[1:]
    if kind not in KINDS:
        raise SystemExit(f"KIND is one of {', '.join(KINDS)}")
    install(kind, Pause(int(at)))
    from okr_ledger.cli import main as cli

    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    cli(args, prog_name="okr-ledger")


if __name__ == "__main__":
    main()
