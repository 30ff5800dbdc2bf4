"""Exports: the log as a self-contained archive, laid out as C2SP tlog-tiles.

    manifest.json              what is in it: format, origin, sizes, file digests
    key                        the log's verifier key (vkey)
    checkpoint                 the signed checkpoint of the exported size
    checkpoints/<size>         every checkpoint issued in the exported range
                               (each a signed note with its witnesses' cosignatures)
    tile/<L>/<N>[.p/<W>]       hash tiles (c2sp.org/tlog-tiles)
    tile/entries/<N>[.p/<W>]   entry bundles: the exact leaf bytes of every entry

A full export holds every tile; an increment (``since``) holds the tiles a holder of
the export at that size lacks, and the consistency proof from it. The archive is
written beside its destination and renamed into place when complete, so a reader
never sees half an export. Entries below a signed checkpoint never change, so an
export reads the store as it is while writers carry on: it is of one size.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ledger.exceptions import LedgerError
from ledger.persistence.importer import Entry
from ledger.tlog.merkle import leaf_hash
from ledger.tlog.store import CheckpointRow, CosignatureRow, LogStore, rebuilt_leaf
from ledger.tlog.tiles import WIDTH, Tile, bundle_path, encode_bundle, tiles_for

FORMAT = "okr-ledger.export/1"
CHUNK = 40 * WIDTH  # leaves read per query


class ExportError(LedgerError):
    rule = "export_refused"


@dataclass(frozen=True)
class Exported:
    path: Path
    origin: str
    size: int
    since: int
    entries: int
    files: int


class _Writer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.digests: dict[str, str] = {}

    def write(self, relative: str, data: bytes) -> None:
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.digests[relative] = hashlib.sha256(data).hexdigest()


def _leaves(store: LogStore, start: int, end: int) -> Iterator[tuple[int, bytes]]:
    """(index, exact leaf bytes) for ``start <= index < end``, each checked against the
    leaf hash written with its event."""
    index = start
    while index < end:
        leaves = list(store.select_leaves(index, min(CHUNK, end - index)))
        if not leaves or leaves[0].index != index:
            raise ExportError(f"the store has no leaf {index}")
        events = list(store.select_raw_events(leaves[0].position - 1, len(leaves)))
        for leaf, event in zip(leaves, events, strict=False):
            data = rebuilt_leaf(event) if event.position == leaf.position else None
            if data is None or leaf_hash(data) != leaf.hash:
                raise ExportError(
                    f"entry {leaf.index} (position {leaf.position}) does not match its leaf "
                    "hash: run okr-ledger verify"
                )
            yield leaf.index, data
        if len(events) < len(leaves):
            raise ExportError(f"the event of entry {leaves[len(events)].index} is missing")
        index = leaves[-1].index + 1


def _tile_hashes(store: LogStore, tile: Tile) -> bytes:
    nodes = tile.nodes()
    found = store.select_nodes(nodes)
    missing = [node for node in nodes if node not in found]
    if missing:
        raise ExportError(f"the tree is not built to {missing[0]}: run okr-ledger checkpoint")
    return b"".join(found[node] for node in nodes)


def export(
    store: LogStore,
    destination: Path,
    *,
    key: str,
    consistency: Callable[[int, int], list[bytes]] | None = None,
    size: int | None = None,
    since: int = 0,
) -> Exported:
    """Write the export of the checkpoint of ``size`` (the latest when None)."""
    if destination.exists():
        raise ExportError(f"{destination} exists; an export is never written over")
    checkpoint = store.select_checkpoint(size)
    if checkpoint is None:
        what = "no checkpoint has been signed" if size is None else f"no checkpoint of size {size}"
        raise ExportError(f"{what}: run okr-ledger checkpoint")
    n = checkpoint.size
    kept = [row for row in store.select_checkpoints() if since <= row.size <= n]
    if since and (not kept or kept[0].size != since):
        raise ExportError(f"an increment starts at a signed checkpoint; none of size {since}")
    partial = destination.with_name(destination.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    out = _Writer(partial)
    entries = _write_tree(store, out, n, since)
    cosigned: dict[int, list[str]] = {}
    for row in store.select_cosignatures([row.size for row in kept]):
        cosigned.setdefault(row.size, []).append(row.line)
    _write_checkpoints(out, checkpoint, kept, cosigned)
    out.write("key", (key.strip() + "\n").encode())
    proof = [h.hex() for h in consistency(since, n)] if since and consistency else []
    manifest = {
        "format": FORMAT,
        "origin": checkpoint.note.split("\n", 1)[0],
        "size": n,
        "since_size": since,
        "leaf_format": 1,
        "tile_height": 8,
        "consistency": {"from": since, "to": n, "hashes": proof} if since else None,
        "checkpoints": [
            {
                "size": row.size,
                "issued_at": row.issued_at.isoformat(),
                "cosignatures": len(cosigned.get(row.size, [])),
            }
            for row in kept
        ],
        "files": dict(sorted(out.digests.items())),
    }
    (partial / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    _sync(partial)
    os.replace(partial, destination)
    return Exported(destination, manifest["origin"], n, since, entries, len(out.digests) + 1)


def _write_tree(store: LogStore, out: _Writer, n: int, since: int) -> int:
    entries = 0
    bundle: list[bytes] = []
    level0 = [tile for tile in tiles_for(n, since) if tile.level == 0]
    start = level0[0].index * WIDTH if level0 else n
    tiles = iter(level0)
    tile = next(tiles, None)
    hashes = bytearray()
    for _, data in _leaves(store, start, n):
        bundle.append(data)
        hashes += leaf_hash(data)
        entries += 1
        if tile is not None and len(bundle) == tile.width:
            out.write(tile.path, bytes(hashes))
            out.write(bundle_path(tile.index, tile.width), encode_bundle(bundle))
            bundle, hashes = [], bytearray()
            tile = next(tiles, None)
    for upper in tiles_for(n, since):
        if upper.level > 0:
            out.write(upper.path, _tile_hashes(store, upper))
    return entries


def _write_checkpoints(
    out: _Writer, latest: CheckpointRow, kept: list[CheckpointRow], cosigned: dict[int, list[str]]
) -> None:
    """Each checkpoint as a signed note with its cosignature lines appended (a signed
    note may carry several signatures; a verifier checks those by keys it trusts)."""
    for row in kept:
        out.write(
            f"checkpoints/{row.size}", (row.note + "".join(cosigned.get(row.size, []))).encode()
        )
    out.write("checkpoint", (latest.note + "".join(cosigned.get(latest.size, []))).encode())


def _sync(directory: Path) -> None:
    for path in sorted(directory.rglob("*"), reverse=True):
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


# -- reading an archive back (import) ------------------------------------------------


def read_checkpoints(directory: Path) -> tuple[list[CheckpointRow], list[CosignatureRow]]:
    """The archive's signed checkpoints and their cosignatures, as the store keeps them
    (each note without the cosignature lines the export appended to it)."""
    from datetime import datetime

    from ledger.tlog.cosignature import cosignature_witness, split_cosignatures
    from ledger.tlog.note import SignedCheckpoint

    manifest = json.loads((directory / "manifest.json").read_text())
    rows, cosignatures = [], []
    for item in manifest["checkpoints"]:
        text = (directory / "checkpoints" / str(item["size"])).read_text(encoding="utf-8")
        note, lines = split_cosignatures(text)
        signed = SignedCheckpoint.from_note(note, datetime.fromisoformat(item["issued_at"]))
        rows.append(CheckpointRow(signed.size, signed.root_hash, note, signed.issued_at))
        seen = set()
        for line in lines:
            witness = cosignature_witness(line)
            if witness is not None and witness not in seen:
                seen.add(witness)
                cosignatures.append(CosignatureRow(signed.size, witness, line))
    return rows, cosignatures


def read_entries(directory: Path) -> Iterator[Entry]:
    """Every entry of a full archive, in index order, decoded from its leaf bytes."""
    from ledger.tlog.leaf import decode_leaf
    from ledger.tlog.tiles import decode_bundle

    manifest = json.loads((directory / "manifest.json").read_text())
    index = 0
    for tile in tiles_for(manifest["size"]):
        if tile.level:
            continue
        data = (directory / bundle_path(tile.index, tile.width)).read_bytes()
        for leaf in decode_bundle(data):
            event = decode_leaf(leaf)
            yield Entry(
                index,
                event.position,
                event.aggregate_id,
                event.version,
                event.topic,
                event.state,
                leaf_hash(leaf),
            )
            index += 1


def tree_nodes(entries_hashes: Iterator[bytes]) -> list[tuple[int, int, bytes]]:
    """Every complete-subtree node (level >= 1) over the given leaf hashes."""
    from ledger.tlog.merkle import new_nodes

    hashes = list(entries_hashes)

    def missing(level: int, index: int) -> bytes:
        raise KeyError((level, index))  # new_nodes asks only for nodes it made

    return new_nodes(0, hashes, missing)
