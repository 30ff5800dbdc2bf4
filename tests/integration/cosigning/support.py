"""Helpers of the cosigning tests: services told of witnesses, appends, and readings of
the store and of a witness's state."""

from __future__ import annotations

from pathlib import Path

from commands import messages as m
from ledger.team import Team
from ledger.tlog.archive import export
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.config import Settings
from okr_ledger.witness import State
from tests.conftest import ADMIN_PRINCIPAL, FakeClock
from tests.witness_process import WitnessProcess

ORIGIN = "okr-ledger.example/city"


def ledger(url: str, key_file: Path, *witnesses: WitnessProcess) -> Services:
    """Services told of these witnesses, signing whenever the log has grown."""
    text = "; ".join(f"{w.vkey} {w.url}" for w in witnesses)
    settings = Settings(
        database_url=url,
        signing_key_file=str(key_file),
        checkpoint_interval=0,
        witnesses=text,
        witness_timeout_seconds=30,  # a bound, never reached: a kill answers at once
    )
    services = bootstrap(settings, clock=FakeClock())
    assert services.cosigning is not None
    services.cosigning.pause = 0  # the next round asks again at once
    return services


def grow(services: Services, tag: str, count: int = 2) -> None:
    for i in range(count):
        services.bus.handle(
            m.FormTeam(
                key=f"{tag}-{i}",
                name=f"Team {tag} {i}",
                level="function",
                parent_id=Team.id_for("city"),
            ),
            ADMIN_PRINCIPAL,
        )


def witness_size(witness: WitnessProcess) -> int:
    """The size the witness's state says it last cosigned (0: none)."""
    seen = State(witness.state).latest(ORIGIN)
    return seen.size if seen else 0


def cosigned_sizes(services: Services) -> list[int]:
    return [row.size for row in services.ledger.chained_recorder.select_cosignatures()]


def checkpoint_sizes(services: Services) -> list[int]:
    return [row.size for row in services.ledger.chained_recorder.select_checkpoints()]


def exported(services: Services, path: Path) -> Path:
    log = services.transparency
    export(log.store, path, key=log.verifier_key(), consistency=log.consistency_proof)
    return path
