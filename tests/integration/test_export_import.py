"""The way from the embedded default to PostgreSQL and back: export, verify offline,
import into an empty store; the same leaves, roots, checkpoints and read models."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ledger.persistence.importer import StoreNotEmpty
from okr_ledger import demo
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.cli import main
from okr_ledger.cli_archive import ArchiveRefused, restore
from okr_ledger.config import Settings
from okr_ledger.verifier import parse_vkey
from okr_ledger.verifier_export import verify_export
from tests import faults

pytestmark = pytest.mark.postgres


def services_at(url: str, key_file: Path) -> Services:
    os.environ["OKR_LEDGER_SIGNING_KEY_FILE"] = str(key_file)
    try:
        return bootstrap(Settings.from_env().with_overrides(database_url=url))
    finally:
        del os.environ["OKR_LEDGER_SIGNING_KEY_FILE"]


def leaves_of(services: Services) -> list[tuple[int, int, bytes]]:
    store = services.ledger.chained_recorder
    return [(x.index, x.position, x.hash) for x in store.select_leaves(0, 10**6)]


def fingerprints(services: Services) -> dict[str, str]:
    models = services.read_models
    models.catch_up()
    with models.reading() as cursor:
        return {view.name: view.fingerprint(cursor) for view in (models.audit, models.state)}


def export_of(services: Services, path: Path) -> Path:
    from ledger.tlog.archive import export

    log = services.transparency
    log.checkpoint_now()
    export(log.store, path, key=log.verifier_key(), consistency=log.consistency_proof)
    return path


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "log.key"
    result = CliRunner().invoke(
        main,
        ["--database-url", "memory://", "log", "keygen", "--origin", "okr-ledger.example/city"],
        env={"OKR_LEDGER_SIGNING_KEY_FILE": str(path)},
    )
    assert result.exit_code == 0, result.output
    return path


def test_sqlite_to_postgresql_to_sqlite_keeps_every_leaf_root_and_read_model(
    tmp_path: Path, pg_url: str, key_file: Path
) -> None:
    source = services_at(f"sqlite:///{tmp_path / 'source.sqlite'}", key_file)
    middle = services_at(pg_url, key_file)
    target = services_at(f"sqlite:///{tmp_path / 'target.sqlite'}", key_file)
    try:
        demo.load(source)
        first = export_of(source, tmp_path / "first")
        key = parse_vkey(source.transparency.verifier_key())
        checkpoint, checked = verify_export(first, key)
        assert checked == checkpoint.size == len(leaves_of(source))

        assert restore(middle, first)[0] == checkpoint.size
        assert leaves_of(middle) == leaves_of(source)
        assert middle.transparency.root(checkpoint.size) == checkpoint.root_hash
        kept = [c.note for c in middle.transparency.checkpoints()]
        assert kept == [c.note for c in source.transparency.checkpoints()]
        assert middle.transparency.verify().intact

        second = export_of(middle, tmp_path / "second")
        restore(target, second)
        assert leaves_of(target) == leaves_of(source)
        for bundle in (first / "tile" / "entries").rglob("*"):
            if bundle.is_file():
                twin = second / bundle.relative_to(first)
                assert twin.read_bytes() == bundle.read_bytes(), "byte-identical leaves"

        assert fingerprints(target) == fingerprints(source)
        assert fingerprints(middle) == fingerprints(source)
    finally:
        for services in (source, middle, target):
            services.close()


def test_an_import_into_a_store_that_is_not_empty_is_refused(
    tmp_path: Path, key_file: Path
) -> None:
    source = services_at(f"sqlite:///{tmp_path / 'source.sqlite'}", key_file)
    target = services_at(f"sqlite:///{tmp_path / 'target.sqlite'}", key_file)
    try:
        demo.load(source)
        archive = export_of(source, tmp_path / "archive")
        restore(target, archive)
        before = leaves_of(target)
        with pytest.raises(StoreNotEmpty):
            restore(target, archive)
        assert leaves_of(target) == before
    finally:
        source.close()
        target.close()


def test_an_archive_that_does_not_verify_writes_nothing(
    tmp_path: Path, pg_url: str, key_file: Path
) -> None:
    source = services_at(f"sqlite:///{tmp_path / 'source.sqlite'}", key_file)
    target = services_at(pg_url, key_file)
    try:
        demo.load(source)
        archive = export_of(source, tmp_path / "archive")
        bundle = archive / "tile" / "entries" / "000"
        data = bytearray(bundle.read_bytes())
        data[-2] ^= 1
        bundle.write_bytes(bytes(data))
        with pytest.raises(ArchiveRefused, match="tile/entries/000"):
            restore(target, archive)
        assert leaves_of(target) == []
        assert target.ledger.head_position() == 0
    finally:
        source.close()
        target.close()


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_an_import_killed_mid_way_five_times_leaves_the_target_empty_then_completes(
    tmp_path: Path, pg_url: str, key_file: Path, store: str
) -> None:
    """Killed at the 1st to 5th chunk of 50 events (written, not committed): each time
    the target is as empty as it was; the sixth run imports everything."""
    source = services_at(f"sqlite:///{tmp_path / 'source.sqlite'}", key_file)
    try:
        demo.load(source)
        archive = export_of(source, tmp_path / "archive")
        expected = leaves_of(source)
    finally:
        source.close()
    url = pg_url if store == "postgres" else f"sqlite:///{tmp_path / 'target.sqlite'}"
    env = {**os.environ, "OKR_LEDGER_SIGNING_KEY_FILE": str(key_file)}
    for chunk in range(1, 6):
        process = subprocess.Popen(
            faults.command("import", chunk, url, "import", str(archive)),
            stdout=subprocess.PIPE,
            env=env,
        )
        try:
            assert faults.wait_until_paused(process) == 50 * chunk
        finally:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            assert process.stdout is not None
            process.stdout.close()
        target = services_at(url, key_file)
        try:
            assert leaves_of(target) == []
            assert target.ledger.head_position() == 0
        finally:
            target.close()
    done = subprocess.run(
        [sys.executable, "-m", "okr_ledger", "--database-url", url, "import", str(archive)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    target = services_at(url, key_file)
    try:
        assert leaves_of(target) == expected
    finally:
        target.close()
