"""Witnesses wired into the ledger: the checkpointer submits each new checkpoint to the
witnesses ``OKR_LEDGER_WITNESSES`` names, keeps their cosignatures in the store (SQLite
and PostgreSQL), and serves, exports and imports them. A witness that is down or killed
delays cosigning and loses nothing; a forked log is refused."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from commands import messages as m
from ledger.team import Team
from ledger.tlog.archive import export
from ledger.tlog.cosignature import cosignature_timestamp, parse_cosigner_vkey
from okr_ledger.bootstrap import Services, bootstrap
from okr_ledger.cli import main
from okr_ledger.cli_archive import restore
from okr_ledger.config import Settings
from okr_ledger.verifier import main as verify_main
from okr_ledger.witness import State
from streams.witnesses import Outcome
from tests import faults
from tests.conftest import ADMIN_PRINCIPAL, FakeClock, build_org
from tests.witness_process import WITNESS_NAME, WitnessProcess, make_witness_key

ORIGIN = "okr-ledger.example/city"


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


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    request.applymarker(pytest.mark.postgres)
    return str(request.getfixturevalue("pg_url"))


def test_a_witness_that_is_down_delays_cosigning_and_loses_nothing(
    url: str, key_file: Path, witness: WitnessProcess
) -> None:
    services = ledger(url, key_file, witness)
    try:
        build_org(services.bus)
        for round_ in range(3):  # the witness is not running: each round only waits
            grow(services, f"down{round_}")
            signed, outcomes = services.checkpoint_tick()
            assert signed is not None
            assert outcomes[WITNESS_NAME].line is None
            assert not outcomes[WITNESS_NAME].refused
        assert cosigned_sizes(services) == []
        newest = services.transparency.latest_checkpoint()
        assert newest is not None
        assert len(checkpoint_sizes(services)) == 3

        witness.start()
        signed, outcomes = services.checkpoint_tick()  # the log did not grow: no new one
        assert signed is None
        assert outcomes[WITNESS_NAME].line is not None
        assert cosigned_sizes(services) == [newest.size]  # the newest, with its proof from 0
        assert witness_size(witness) == newest.size
        assert services.checkpoint_tick()[1] == {}  # nothing left to submit
        assert services.transparency.verify().intact
    finally:
        services.close()


@pytest.mark.parametrize("pause_at", [1, 2])
def test_a_witness_killed_while_cosigning_loses_no_checkpoint_and_cosigning_catches_up(
    tmp_path: Path, key_file: Path, witness: WitnessProcess, pause_at: int
) -> None:
    """The kill lands after the witness saved the checkpoint as cosigned and before it
    answered: the ledger never got that cosignature, the witness is one size ahead."""
    services = ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}", key_file, witness)
    cosigning = services.cosigning
    assert cosigning is not None
    try:
        build_org(services.bus)
        witness.start(pause_at=pause_at)
        for i in range(pause_at - 1):  # the arrivals before the fault point go through
            grow(services, f"before{i}")
            assert services.checkpoint_tick()[1][WITNESS_NAME].line is not None
        grow(services, "paused")
        paused = services.transparency.checkpoint_now()
        assert paused is not None
        answers: dict[str, Outcome] = {}
        # the submission waits at the witness's fault point: run it beside the test
        submitting = threading.Thread(target=lambda: answers.update(cosigning.round(paused)))
        submitting.start()
        assert faults.wait_until_paused(witness.process) == paused.size  # type: ignore[arg-type]
        witness.kill()
        submitting.join(timeout=60)
        assert not submitting.is_alive()
        outcome = answers[WITNESS_NAME]
        assert outcome.line is None
        assert not outcome.refused
        assert witness_size(witness) == paused.size  # it had saved it...
        assert paused.size not in cosigned_sizes(services)  # ...and never answered

        grow(services, "while-down")  # the log goes on while the witness is away
        signed, outcomes = services.checkpoint_tick()
        assert signed is not None
        assert outcomes[WITNESS_NAME].line is None

        witness.start()  # the same state and port
        _, outcomes = services.checkpoint_tick()
        line = outcomes[WITNESS_NAME].line
        assert line is not None
        newest = services.transparency.latest_checkpoint()
        assert newest is not None
        assert newest.size == signed.size
        assert cosigned_sizes(services)[-1] == newest.size
        assert witness_size(witness) == newest.size
        body = newest.note[: newest.note.rfind("\n\n") + 1]
        assert cosignature_timestamp(line, body, parse_cosigner_vkey(witness.vkey)) is not None
        assert len(checkpoint_sizes(services)) == pause_at + 1  # every checkpoint kept
        assert services.transparency.verify().intact
    finally:
        services.close()


def exported(services: Services, path: Path) -> Path:
    log = services.transparency
    export(log.store, path, key=log.verifier_key(), consistency=log.consistency_proof)
    return path


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

        client = create_app({"SERVICES": services, "TESTING": True}).test_client()
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


@pytest.mark.parametrize(
    "command", [("project",), ("checkpoint", "--follow")], ids=["follower", "checkpointer"]
)
def test_the_running_checkpointer_submits_each_new_checkpoint(
    tmp_path: Path, key_file: Path, witness: WitnessProcess, command: tuple[str, ...]
) -> None:
    """The follower of ``okr-ledger project`` and ``okr-ledger checkpoint --follow``, as
    deployed: each signs and then submits, in its own loop."""
    import os
    import subprocess
    import sys
    import time

    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    services = ledger(url, key_file, witness)
    try:
        build_org(services.bus)
        head = services.ledger.head_position()
        witness.start()
        env = {
            **os.environ,
            "OKR_LEDGER_SIGNING_KEY_FILE": str(key_file),
            "OKR_LEDGER_CHECKPOINT_INTERVAL": "0",
            "OKR_LEDGER_WITNESSES": f"{witness.vkey} {witness.url}",
        }
        running = subprocess.Popen(
            [sys.executable, "-m", "okr_ledger", "--database-url", url, *command],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 60  # a bound on the wait, not a measure of speed
            while witness_size(witness) < head and time.monotonic() < deadline:
                time.sleep(0.05)
            assert witness_size(witness) == head
            while head not in cosigned_sizes(services) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert cosigned_sizes(services) == [head]
        finally:
            running.terminate()
            _, errors = running.communicate(timeout=30)
        assert f"witness {WITNESS_NAME} cosigned the checkpoint of size {head}" in errors.decode()
    finally:
        services.close()
