"""On the real PostgreSQL: leaves hashed by the server, the tree built from them and
the proofs read back in one query verify with the auditor's verifier, for every index
at every checkpoint size, and every checkpoint is consistent with every later one."""

from __future__ import annotations

from decimal import Decimal

from commands import messages as m
from ledger.tlog.merkle import leaf_hash
from ledger.tlog.note import Signer, generate_key
from ledger.tlog.service import TransparencyLog
from okr_ledger import verifier
from okr_ledger.bootstrap import bootstrap
from okr_ledger.config import Settings
from tests.conftest import FakeClock, build_org


def test_proofs_served_from_postgres_verify_for_every_index_and_size(pg_url: str) -> None:
    services = bootstrap(Settings(database_url=pg_url), clock=FakeClock())
    signer = Signer.from_key_text(generate_key("pg.example/log"))
    key = verifier.parse_vkey(signer.vkey)
    log = TransparencyLog(services.ledger.chained_recorder, signer)
    try:
        org = build_org(services.bus)
        signed = [log.checkpoint_now()]
        kr = org.key_result(org.objective())
        signed.append(log.checkpoint_now())
        for week in range(5):
            org.do(m.CheckIn(key_result_id=kr, value=Decimal(week), confidence="on_track"))
            signed.append(log.checkpoint_now())
        checkpoints = [verifier.verify_checkpoint(s.note, key) for s in signed if s]
        assert len(checkpoints) == 7

        for checkpoint in checkpoints:
            for index in range(checkpoint.size):
                entry = log.entry(index)
                assert leaf_hash(entry.leaf) == entry.leaf_hash  # the server's hash
                proof = log.inclusion_proof(index, checkpoint.size)
                verifier.verify_inclusion(
                    index, checkpoint.size, entry.leaf_hash, proof, checkpoint.root_hash
                )
        for i, old in enumerate(checkpoints):
            for new in checkpoints[i:]:
                proof = log.consistency_proof(old.size, new.size)
                verifier.verify_consistency(
                    old.size, new.size, proof, old.root_hash, new.root_hash
                )
        assert log.verify().intact
    finally:
        services.close()
