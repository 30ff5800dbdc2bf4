"""The cosigning tests' fixtures: a log key, its verifier key, a witness process of that
log (not started yet) and the store URL (an SQLite file, then PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from okr_ledger.bootstrap import bootstrap
from okr_ledger.cli import main
from okr_ledger.config import Settings
from tests.integration.cosigning.support import ORIGIN
from tests.witness_process import WitnessProcess, make_witness_key


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "log.key"
    result = CliRunner().invoke(
        main,
        ["--database-url", "memory://", "log", "keygen", "--origin", ORIGIN],
        env={"OKR_LEDGER_SIGNING_KEY_FILE": str(path)},
    )
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def log_vkey(key_file: Path) -> str:
    services = bootstrap(Settings(database_url="memory://", signing_key_file=str(key_file)))
    try:
        return services.transparency.verifier_key()
    finally:
        services.close()


@pytest.fixture
def witness(tmp_path: Path, log_vkey: str) -> Iterator[WitnessProcess]:
    """A witness of this log, not started yet."""
    key = tmp_path / "witness.key"
    process = WitnessProcess(key, tmp_path / "witness-state", log_vkey, make_witness_key(key))
    yield process
    process.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    request.applymarker(pytest.mark.postgres)
    return str(request.getfixturevalue("pg_url"))
