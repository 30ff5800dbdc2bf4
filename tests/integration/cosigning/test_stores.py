"""Cosignatures kept, served and carried: a forked log refused, the checkpoint route and
the verifier's quorum, an import checking what it carries over, and init on an older
store."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from okr_ledger.bootstrap import bootstrap
from okr_ledger.cli import main
from okr_ledger.cli_archive import restore
from okr_ledger.config import Settings
from okr_ledger.verifier import main as verify_main
from tests.conftest import build_org
from tests.integration.cosigning.support import (
    cosigned_sizes,
    exported,
    grow,
    ledger,
    witness_size,
)
from tests.witness_process import WITNESS_NAME, WitnessProcess, make_witness_key


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("second_grows", "why"),
    [
        (1, "larger than this log's"),  # the witness's size is beyond the second fork's
        (3, "refused (409)"),  # the same size, another root
        (6, "refused (422)"),  # no consistency proof from the first fork's tree
    ],
    ids=["smaller", "same-size", "larger"],
)
def test_a_forked_log_is_refused_a_cosignature(
    tmp_path: Path,
    pg_url: str,
    key_file: Path,
    witness: WitnessProcess,
    second_grows: int,
    why: str,
) -> None:
    """One export restored into two stores (SQLite and PostgreSQL), which then diverge
    and submit to the same witness: the first is cosigned, the second refused."""
    witness.start()
    original = ledger(f"sqlite:///{tmp_path / 'original.sqlite'}", key_file, witness)
    try:
        build_org(original.bus)
        signed, outcomes = original.checkpoint_tick()
        assert signed is not None
        assert outcomes[WITNESS_NAME].line is not None
        shared = signed.size
        archive = exported(original, tmp_path / "archive")
    finally:
        original.close()
    assert "\u2014 audit.example.org/witness " in (archive / "checkpoint").read_text()

    first = ledger(f"sqlite:///{tmp_path / 'first.sqlite'}", key_file, witness)
    second = ledger(pg_url, key_file, witness)
    try:
        for fork in (first, second):
            restore(fork, archive)
            assert cosigned_sizes(fork) == [shared]  # the cosignature came along
        grow(first, "first", 3)
        grow(second, "second", second_grows)

        signed, outcomes = first.checkpoint_tick()
        assert signed is not None
        assert outcomes[WITNESS_NAME].line is not None
        assert witness_size(witness) == signed.size

        forked, outcomes = second.checkpoint_tick()
        assert forked is not None
        assert forked.root_hash != signed.root_hash
        refused = outcomes[WITNESS_NAME]
        assert refused.line is None
        assert refused.refused
        assert why in (refused.problem or ""), refused.problem
        assert witness_size(witness) == signed.size  # the witness kept the first history
        assert cosigned_sizes(second) == [shared]
        again = second.checkpoint_tick()[1][WITNESS_NAME]  # asked again: refused again
        assert again.refused
    finally:
        first.close()
        second.close()


def test_the_checkpoint_route_serves_cosignatures_and_the_verifier_counts_them(
    tmp_path: Path, key_file: Path, log_vkey: str
) -> None:
    from web import create_app

    witnesses = []
    for name in ("audit.example.org/one", "audit.example.org/two", "audit.example.org/three"):
        slug = name.rsplit("/", 1)[-1]
        key = tmp_path / f"{slug}.key"
        vkey = make_witness_key(key, name)
        witnesses.append(WitnessProcess(key, tmp_path / f"{slug}-state", log_vkey, vkey))
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    services = ledger(url, key_file, *witnesses[:2])  # the third is never asked
    try:
        for process in witnesses[:2]:
            process.start()
        build_org(services.bus)
        signed, outcomes = services.checkpoint_tick()
        assert signed is not None
        assert all(outcome.line for outcome in outcomes.values())

        client = create_app(services, {"TESTING": True}).test_client()
        served = client.get("/api/v1/log/checkpoint").get_data(as_text=True)
        lines = [outcomes[w.vkey.split("+")[0]].line for w in witnesses[:2]]
        assert served == signed.note + "".join(sorted(lines))  # type: ignore[arg-type]
        sized = client.get(f"/api/v1/log/checkpoint?size={signed.size}")
        assert sized.get_data(as_text=True) == served
        note = tmp_path / "checkpoint.txt"
        note.write_text(served)

        named = [arg for w in witnesses for arg in ("--witness", w.vkey)]
        check = ["checkpoint", str(note), "--key", log_vkey, *named]
        assert verify_main([*check, "--quorum", "2"]) == 0
        assert verify_main([*check, "--quorum", "3"]) == 1

        env = {
            "OKR_LEDGER_SIGNING_KEY_FILE": str(key_file),
            "OKR_LEDGER_WITNESSES": ";".join(f"{w.vkey} {w.url}" for w in witnesses[:2]),
        }
        runner = CliRunner()
        grow(services, "more")  # `okr-ledger checkpoint` signs it and asks the witnesses
        printed = runner.invoke(main, ["--database-url", url, "checkpoint"], env=env)
        assert printed.exit_code == 0, printed.output
        assert printed.stdout.count("\u2014 audit.example.org/") == 2
        assert "witness audit.example.org/one cosigned the checkpoint" in printed.stderr

        made = runner.invoke(
            main, ["--database-url", url, "export", "--out", str(tmp_path / "x")], env=env
        )
        assert made.exit_code == 0, made.output
        assert "carries 2 cosignatures" in made.output
        check = ["export", str(tmp_path / "x"), "--key", log_vkey, *named]
        assert verify_main([*check, "--quorum", "2"]) == 0
        assert verify_main([*check, "--quorum", "3"]) == 1
    finally:
        services.close()
        for process in witnesses:
            process.stop()


def test_init_gives_a_store_older_than_cosigning_its_cosignatures_table(
    url: str, key_file: Path, tmp_path: Path
) -> None:
    import sqlite3

    import psycopg

    from tests.integration.conftest import pg_connect

    services = bootstrap(Settings(database_url=url, signing_key_file=str(key_file)))
    try:
        build_org(services.bus)
        assert services.transparency.checkpoint_now() is not None
    finally:
        services.close()
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:  # as it was before cosigning
            conn.execute("DROP TABLE log_cosignatures")
        table, connect = "log_cosignatures", lambda: sqlite3.connect(path)
    else:
        schema = url.rsplit("schema=", 1)[1]
        table = f"{schema}.okrledger_cosignatures"
        with pg_connect() as conn:
            conn.execute(f"DROP TABLE {table}")
        connect = pg_connect

    env = {"OKR_LEDGER_SIGNING_KEY_FILE": str(key_file)}
    done = CliRunner().invoke(main, ["--database-url", url, "init"], env=env)
    assert done.exit_code == 0, done.output
    services = bootstrap(Settings(database_url=url, signing_key_file=str(key_file)))
    try:
        size = services.transparency.latest_checkpoint().size  # type: ignore[union-attr]
        assert services.ledger.chained_recorder.add_cosignature(size, "w+00000000", "x\n")
    finally:
        services.close()
    conn = connect()
    try:
        refusals = (sqlite3.IntegrityError, psycopg.errors.InsufficientPrivilege)
        with pytest.raises(refusals, match="append-only"):
            conn.execute(f"DELETE FROM {table}")
    finally:
        conn.close()


def test_an_import_checks_the_cosignatures_of_the_witnesses_it_is_told_of(
    tmp_path: Path, key_file: Path
) -> None:
    import base64
    import hashlib
    import json

    from okr_ledger.cli_archive import ArchiveRefused
    from okr_ledger.witness import Cosigner

    cosigner = Cosigner.generate(WITNESS_NAME)
    told = Settings(signing_key_file=str(key_file), witnesses=f"{cosigner.vkey} http://w.example")
    source = bootstrap(told.with_overrides(database_url=f"sqlite:///{tmp_path / 's.sqlite'}"))
    try:
        build_org(source.bus)
        signed = source.transparency.checkpoint_now()
        assert signed is not None
        line = cosigner.cosign(signed.note[: signed.note.rfind("\n\n") + 1], 1_790_000_000)
        ident = source.settings.witness_list[0].ident
        assert source.ledger.chained_recorder.add_cosignature(signed.size, ident, line)
        archive = exported(source, tmp_path / "archive")
    finally:
        source.close()

    # a forger changes the cosignature's signature bytes and mends the manifest's digest
    raw = bytearray(base64.b64decode(line.split(" ")[2]))
    raw[-1] ^= 1
    forged = f"\u2014 {WITNESS_NAME} {base64.b64encode(bytes(raw)).decode()}\n"
    for name in ("checkpoint", f"checkpoints/{signed.size}"):
        (archive / name).write_text(signed.note + forged)
    manifest = json.loads((archive / "manifest.json").read_text())
    for name in ("checkpoint", f"checkpoints/{signed.size}"):
        manifest["files"][name] = hashlib.sha256((archive / name).read_bytes()).hexdigest()
    (archive / "manifest.json").write_text(json.dumps(manifest))

    target = bootstrap(told.with_overrides(database_url=f"sqlite:///{tmp_path / 't.sqlite'}"))
    try:
        with pytest.raises(ArchiveRefused, match=f"checkpoint {signed.size} by {WITNESS_NAME}"):
            restore(target, archive)
        assert target.ledger.head_position() in (0, None)
        assert cosigned_sizes(target) == []
    finally:
        target.close()
    untold = bootstrap(  # a store not told of that witness carries the line over as it is
        Settings(database_url=f"sqlite:///{tmp_path / 'u.sqlite'}", signing_key_file=str(key_file))
    )
    try:
        restore(untold, archive)
        assert [r.line for r in untold.ledger.chained_recorder.select_cosignatures()] == [forged]
        assert untold.transparency.checkpoints()[0].note == signed.note
    finally:
        untold.close()
