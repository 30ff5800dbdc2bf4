"""Exports as C2SP tlog-tiles archives: written from a store, checked offline by the
auditor's verifier, and refused naming what was tampered with."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid5

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.tlog import merkle
from ledger.tlog.archive import ExportError, export
from ledger.tlog.leaf import encode_leaf
from ledger.tlog.note import Signer, generate_key
from ledger.tlog.store import CheckpointRow, CosignatureRow, Leaf, RawEvent
from ledger.tlog.tiles import bundle_path, index_path, tile_path, tiles_for
from okr_ledger.verifier import VerificationError, parse_vkey
from okr_ledger.verifier_export import verify_export

ORIGIN = "okr-ledger.example.org/city"
NAMESPACE = UUID("6f6b722d-6c65-6467-6572-000000000000")


class FakeStore:
    """The parts of a recorder that an export reads, in memory, built as the ledger
    builds them: events with gaps in their positions, leaves, nodes, checkpoints."""

    def __init__(self, signer: Signer) -> None:
        self.signer = signer
        self.events: list[RawEvent] = []
        self.leaves: list[Leaf] = []
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.checkpoints: list[CheckpointRow] = []
        self.cosignatures: list[CosignatureRow] = []

    def append(self, count: int, *, rewritten: int | None = None) -> None:
        for _ in range(count):
            index = len(self.leaves)
            position = 1 + index * 2 if index % 3 else index + 1000  # gaps, rising
            position = max(position, self.events[-1].position + 1) if self.events else position
            ident = uuid5(NAMESPACE, str(index))
            state = json.dumps({"meta": {}, "n": index, "x": index == rewritten}).encode()
            topic = "ledger.team:Team.Formed"
            self.events.append(RawEvent(position, ident.hex.encode(), 1, topic.encode(), state))
            leaf = encode_leaf(position, ident, 1, topic, state)
            self.leaves.append(Leaf(index, position, merkle.leaf_hash(leaf)))
        self._build()

    def _build(self) -> None:
        def get(level: int, index: int) -> bytes:
            return self.leaves[index].hash if level == 0 else self.nodes[(level, index)]

        self.nodes = {}
        for level, index, value in merkle.new_nodes(0, [x.hash for x in self.leaves], get):
            self.nodes[(level, index)] = value

    def checkpoint(self) -> int:
        size = len(self.leaves)
        root = merkle.tree_hash([x.hash for x in self.leaves])
        signed = self.signer.sign_checkpoint(size, root, datetime.now(UTC))
        self.checkpoints.append(CheckpointRow(size, root, signed.note, signed.issued_at))
        return size

    def proof(self, m: int, n: int) -> list[bytes]:
        hashes = [x.hash for x in self.leaves]
        return merkle.consistency_proof(m, n, lambda a, b: merkle.tree_hash(hashes[a:b]))

    # -- LogStore ----------------------------------------------------------------------

    def select_leaves(self, start: int, limit: int) -> list[Leaf]:
        return self.leaves[start : start + limit]

    def select_raw_events(self, after: int, limit: int) -> list[RawEvent]:
        return [e for e in self.events if e.position > after][:limit]

    def select_nodes(self, keys: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        found = {}
        for level, index in keys:
            if level == 0 and index < len(self.leaves):
                found[(level, index)] = self.leaves[index].hash
            elif (level, index) in self.nodes:
                found[(level, index)] = self.nodes[(level, index)]
        return found

    def select_checkpoints(self) -> list[CheckpointRow]:
        return sorted(self.checkpoints, key=lambda row: row.size)

    def select_checkpoint(self, size: int | None) -> CheckpointRow | None:
        rows = [r for r in self.checkpoints if size is None or r.size == size]
        return max(rows, key=lambda row: row.size) if rows else None

    def select_cosignatures(self, sizes: list[int] | None = None) -> list[CosignatureRow]:
        return [r for r in self.cosignatures if sizes is None or r.size in sizes]


@pytest.fixture
def signer() -> Signer:
    return Signer.from_key_text(generate_key(ORIGIN))


@pytest.fixture
def store(signer: Signer) -> FakeStore:
    built = FakeStore(signer)
    built.append(300)
    built.checkpoint()
    built.append(500)
    built.checkpoint()
    return built


def write(store: FakeStore, path: Path, **options: object) -> Path:
    export(store, path, key=store.signer.vkey, consistency=store.proof, **options)  # type: ignore[arg-type]
    return path


def test_tile_paths_follow_the_c2sp_layout() -> None:
    assert index_path(1234067) == "x001/x234/067"
    assert index_path(5) == "005"
    assert tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert tile_path(2, 0, 1) == "tile/2/000.p/1"
    assert bundle_path(273, 112) == "tile/entries/273.p/112"


def test_tiles_of_a_tree_of_70000_leaves_are_those_the_spec_lists() -> None:
    counted = [(t.level, t.width) for t in tiles_for(70_000)]
    assert counted.count((0, 256)) == 273
    assert (0, 112) in counted
    assert counted.count((1, 256)) == 1
    assert (1, 17) in counted
    assert (2, 1) in counted
    assert len(counted) == 273 + 1 + 1 + 1 + 1


def test_an_export_verifies_offline_with_the_logs_key(store: FakeStore, tmp_path: Path) -> None:
    path = write(store, tmp_path / "export")
    checkpoint, checked = verify_export(path, parse_vkey(store.signer.vkey))
    assert (checkpoint.size, checked) == (800, 800)
    manifest = json.loads((path / "manifest.json").read_text())
    assert [item["size"] for item in manifest["checkpoints"]] == [300, 800]
    assert not (tmp_path / "export.partial").exists()


def test_an_export_is_never_written_over(store: FakeStore, tmp_path: Path) -> None:
    path = write(store, tmp_path / "export")
    with pytest.raises(ExportError):
        write(store, path)


def test_an_export_of_an_earlier_checkpoint_holds_only_that_size(
    store: FakeStore, tmp_path: Path
) -> None:
    path = write(store, tmp_path / "export", size=300)
    checkpoint, checked = verify_export(path, parse_vkey(store.signer.vkey))
    assert (checkpoint.size, checked) == (300, 300)


def test_a_size_without_a_checkpoint_is_refused(store: FakeStore, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="no checkpoint of size 301"):
        write(store, tmp_path / "export", size=301)


def test_an_increment_verifies_with_its_consistency_proof(
    store: FakeStore, tmp_path: Path
) -> None:
    path = write(store, tmp_path / "deposit", since=300)
    checkpoint, checked = verify_export(path, parse_vkey(store.signer.vkey))
    assert checkpoint.size == 800
    assert checked == 800 - 256  # from the tile that held entry 300


def tamper_entry(path: Path, index: int, change: callable) -> None:  # type: ignore[valid-type]
    bundle = next((path / "tile" / "entries").glob(f"{index // 256:03d}*"))
    if bundle.is_dir():
        bundle = next(bundle.iterdir())
    data = bytearray(bundle.read_bytes())
    change(data)
    bundle.write_bytes(bytes(data))
    manifest = json.loads((path / "manifest.json").read_text())
    import hashlib

    name = str(bundle.relative_to(path))
    manifest["files"][name] = hashlib.sha256(bytes(data)).hexdigest()
    (path / "manifest.json").write_text(json.dumps(manifest))


def test_a_changed_byte_names_its_entry(store: FakeStore, tmp_path: Path) -> None:
    path = write(store, tmp_path / "export")

    def flip(data: bytearray) -> None:
        data[-3] ^= 1  # in the last entry's state

    tamper_entry(path, 0, flip)
    with pytest.raises(VerificationError, match="entry 255 does not hash"):
        verify_export(path, parse_vkey(store.signer.vkey))


def test_a_changed_file_is_named_even_before_its_entries(store: FakeStore, tmp_path: Path) -> None:
    path = write(store, tmp_path / "export")
    bundle = path / "tile" / "entries" / "001"
    bundle.write_bytes(bundle.read_bytes()[:-1] + b"x")
    with pytest.raises(VerificationError, match="tile/entries/001 is not the file"):
        verify_export(path, parse_vkey(store.signer.vkey))


def test_a_dropped_entry_is_named(store: FakeStore, tmp_path: Path) -> None:
    path = write(store, tmp_path / "export")

    def drop_first(data: bytearray) -> None:
        length = int.from_bytes(data[:2], "big")
        del data[: 2 + length]

    tamper_entry(path, 0, drop_first)
    with pytest.raises(VerificationError, match="entry 255 is missing"):
        verify_export(path, parse_vkey(store.signer.vkey))


def swap_first_two(data: bytearray) -> None:
    """Swap the first two entries of an entry bundle."""
    a = int.from_bytes(data[:2], "big")
    b = int.from_bytes(data[2 + a : 4 + a], "big")
    first, second = bytes(data[: 2 + a]), bytes(data[2 + a : 4 + a + b])
    data[: 4 + a + b] = second + first


def test_two_swapped_entries_are_named(store: FakeStore, tmp_path: Path) -> None:
    """Swapped in the bundle and in the tile alike, so that each entry still hashes
    to its place: the positions give the swap away."""
    path = write(store, tmp_path / "export")

    tamper_entry(path, 0, swap_first_two)
    tile = path / "tile" / "0" / "000"
    hashes = tile.read_bytes()
    tile.write_bytes(hashes[32:64] + hashes[:32] + hashes[64:])
    with pytest.raises(VerificationError, match="entry 1 is out of order"):
        verify_export(path, parse_vkey(store.signer.vkey), check_digests=False)


def test_an_entry_swapped_in_its_bundle_alone_is_named(store: FakeStore, tmp_path: Path) -> None:
    path = write(store, tmp_path / "export")

    tamper_entry(path, 0, swap_first_two)
    with pytest.raises(VerificationError, match="entry 0 does not hash to its tile"):
        verify_export(path, parse_vkey(store.signer.vkey))


def test_a_checkpoint_of_another_log_is_refused(store: FakeStore, tmp_path: Path) -> None:
    path = write(store, tmp_path / "export")
    other = FakeStore(Signer.from_key_text(generate_key("elsewhere.example/log")))
    other.append(800)
    other.checkpoint()
    (path / "checkpoint").write_text(other.checkpoints[-1].note)
    with pytest.raises(VerificationError):
        verify_export(path, parse_vkey(store.signer.vkey))


def test_an_archive_rewritten_with_recomputed_hashes_fails_its_signed_checkpoint(
    store: FakeStore, tmp_path: Path, signer: Signer
) -> None:
    """Entries, leaf hashes and tiles all rewritten consistently: the signed
    checkpoint still commits to the original root."""
    doctored = FakeStore(signer)
    doctored.append(800, rewritten=10)
    doctored.checkpoints = list(store.checkpoints)  # the genuine signed notes
    path = write(doctored, tmp_path / "doctored")
    with pytest.raises(VerificationError, match="do not lead to the checkpoint's root"):
        verify_export(path, parse_vkey(signer.vkey))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.integers(1, 1400), st.integers(0, 1400))
def test_any_export_and_increment_verifies(
    signer: Signer, tmp_path_factory: pytest.TempPathFactory, size: int, extra: int
) -> None:
    built = FakeStore(signer)
    built.append(size)
    first = built.checkpoint()
    built.append(extra)
    built.checkpoint()
    folder = tmp_path_factory.mktemp("x")
    key = parse_vkey(signer.vkey)
    assert verify_export(write(built, folder / "full"), key)[1] == size + extra
    if extra:
        increment = write(built, folder / "increment", since=first)
        assert verify_export(increment, key)[0].size == size + extra
