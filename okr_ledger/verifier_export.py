"""okr-ledger-verify export: check an export of OKR Ledger's log, offline.

Like ``verifier.py`` beside it, this file imports only the standard library,
``cryptography`` and that verifier. Given the export's directory and the log's
verifier key that you trust, it checks:

1. the signed checkpoint of the exported size, with your key (and, with
   ``--witness VKEY --quorum K``, that K of the named witnesses cosigned it);
2. every entry: its leaf is well formed, positions rise, and it hashes to its place
   in the level-0 tile; every upper tile hash is the root of the full tile below;
3. the root of the tree, recomputed from the tiles, is the checkpoint's root; so is
   the root of every other checkpoint in the export (computed from the same leaves,
   which makes each consistent with the next); an increment's consistency proof from
   the checkpoint it starts at;
4. every file's SHA-256 is the one the manifest names.

The first failure is named: the entry index, the tile, the checkpoint or the file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

try:  # the verifier beside this file, as a package module or as copied files
    from okr_ledger.verifier import (
        Checkpoint,
        VerificationError,
        VerifierKey,
        decode_leaf,
        leaf_hash,
        node_hash,
        verify_checkpoint,
        verify_consistency,
    )
except ImportError:
    from verifier import (  # type: ignore[no-redef]
        Checkpoint,
        VerificationError,
        VerifierKey,
        decode_leaf,
        leaf_hash,
        node_hash,
        verify_checkpoint,
        verify_consistency,
    )

FORMAT = "okr-ledger.export/1"
WIDTH = 256


def index_path(n: int) -> str:
    groups = []
    while True:
        groups.append(f"{n % 1000:03d}")
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join([f"x{g}" for g in groups[:-1]] + [groups[-1]])


def tiles(size: int, since: int) -> list[tuple[int, int, int]]:
    """(level, index, width) of the tiles an export of ``size`` from ``since`` holds."""
    found, level = [], 0
    while size >= WIDTH**level:
        hashes = size // WIDTH**level
        for n in range((since // WIDTH**level) // WIDTH, hashes // WIDTH):
            found.append((level, n, WIDTH))
        if hashes % WIDTH:
            found.append((level, hashes // WIDTH, hashes % WIDTH))
        level += 1
    return found


def tile_name(level: int | str, n: int, width: int) -> str:
    return f"tile/{level}/{index_path(n)}" + ("" if width == WIDTH else f".p/{width}")


def decode_bundle(data: bytes, first: int) -> list[bytes]:
    leaves, at = [], 0
    while at < len(data):
        length = int.from_bytes(data[at : at + 2], "big")
        if at + 2 > len(data) or at + 2 + length > len(data):
            raise VerificationError(f"entry {first + len(leaves)}: the bundle is cut short")
        leaves.append(data[at + 2 : at + 2 + length])
        at += 2 + length
    return leaves


def subtree_root(hashes: list[bytes]) -> bytes:
    """The root of a complete subtree over a power-of-two number of hashes."""
    while len(hashes) > 1:
        hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[0]


class Export:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        try:
            self.manifest = json.loads((directory / "manifest.json").read_text())
        except (OSError, ValueError) as error:
            raise VerificationError(f"no readable manifest.json: {error}") from None
        if not isinstance(self.manifest, dict) or self.manifest.get("format") != FORMAT:
            raise VerificationError(f"not an export of format {FORMAT}")
        self.size = self._whole("size")
        self.since = self._whole("since_size")
        self.tiles: dict[tuple[int, int], list[bytes]] = {}

    def _whole(self, name: str) -> int:
        value = self.manifest.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise VerificationError(f"the manifest's {name} is not a whole number")
        return value

    def read(self, name: str) -> bytes:
        try:
            return (self.directory / name).read_bytes()
        except OSError:
            raise VerificationError(f"the export lacks {name}") from None

    def check_files(self) -> None:
        files = self.manifest.get("files")
        if not isinstance(files, dict):
            raise VerificationError("the manifest lists no files")
        for name, digest in files.items():
            if hashlib.sha256(self.read(name)).hexdigest() != digest:
                raise VerificationError(f"{name} is not the file the manifest names")

    # -- the tree ------------------------------------------------------------------

    def check_entries_and_tiles(self) -> int:
        """Every entry against its level-0 tile, every upper tile against the one below."""
        last_position = -1
        checked = 0
        for level, n, width in tiles(self.size, self.since):
            data = self.read(tile_name(level, n, width))
            if len(data) != 32 * width:
                raise VerificationError(f"{tile_name(level, n, width)} is not {width} hashes")
            hashes = [data[i : i + 32] for i in range(0, len(data), 32)]
            self.tiles[(level, n)] = hashes
            if level > 0:
                self._check_upper(level, n, hashes)
                continue
            first = n * WIDTH
            leaves = decode_bundle(self.read(tile_name("entries", n, width)), first)
            if len(leaves) != width:
                raise VerificationError(f"entry {first + min(len(leaves), width)} is missing")
            for i, leaf in enumerate(leaves):
                index = first + i
                position = decode_leaf(leaf).position
                if position <= last_position:
                    raise VerificationError(
                        f"entry {index} is out of order (position {position} after "
                        f"{last_position})"
                    )
                if leaf_hash(leaf) != hashes[i]:
                    raise VerificationError(f"entry {index} does not hash to its tile")
                last_position = position
                checked += 1
        return checked

    def _check_upper(self, level: int, n: int, hashes: list[bytes]) -> None:
        for i, value in enumerate(hashes):
            below = self.tiles.get((level - 1, n * WIDTH + i))
            if below is not None and len(below) == WIDTH and subtree_root(below) != value:
                raise VerificationError(
                    f"{tile_name(level, n, len(hashes))} hash {i} is not the root of the "
                    "tile below"
                )

    def node(self, height: int, index: int) -> bytes:
        """The hash of the complete subtree of ``2**height`` leaves at ``index``."""
        level, rest = divmod(height, 8)
        count = 1 << rest
        first = index * count
        tile = self.tiles.get((level, first // WIDTH))
        if tile is None or len(tile) < first % WIDTH + count:
            raise VerificationError(f"the export lacks the tile for node {height}/{index}")
        return subtree_root(tile[first % WIDTH : first % WIDTH + count])

    def root(self, size: int) -> bytes:
        """RFC 9162 root of the first ``size`` leaves, from the tiles."""
        if size == 0:
            return hashlib.sha256(b"").digest()
        parts, start = [], 0
        while start < size:
            height = (size - start).bit_length() - 1
            parts.append(self.node(height, start >> height))
            start += 1 << height
        root = parts[-1]
        for part in reversed(parts[:-1]):
            root = node_hash(part, root)
        return root


def verify_export(
    directory: Path,
    key: VerifierKey,
    *,
    cosigned: Callable[[str], int] | None = None,
    quorum: int = 0,
    check_digests: bool = True,
) -> tuple[Checkpoint, int]:
    """Check an export; return its checkpoint and the number of entries checked.

    ``check_digests=False`` skips the manifest's file digests (which only catch an
    accident: the manifest is not signed), to show what the tree alone catches."""
    export = Export(directory)
    if check_digests:
        export.check_files()
    note = export.read("checkpoint").decode("utf-8", "replace")
    checkpoint = verify_checkpoint(note, key)
    if checkpoint.size != export.size:
        raise VerificationError(f"the checkpoint is of size {checkpoint.size}, not {export.size}")
    if quorum and (cosigned is None or cosigned(note) < quorum):
        raise VerificationError(f"fewer than {quorum} of the named witnesses cosigned it")
    checked = export.check_entries_and_tiles()
    if export.root(export.size) != checkpoint.root_hash:
        raise VerificationError("the tiles do not lead to the checkpoint's root")
    listed = export.manifest.get("checkpoints") or []
    for item in listed:
        size = item.get("size") if isinstance(item, dict) else None
        if not isinstance(size, int) or size < export.since or size > export.size:
            raise VerificationError(f"the manifest names a checkpoint of size {size!r}")
        kept = export.read(f"checkpoints/{size}").decode("utf-8", "replace")
        try:
            other = verify_checkpoint(kept, key)
        except VerificationError as error:
            raise VerificationError(f"checkpoint {size}: {error}") from None
        if other.size != size:
            raise VerificationError(f"checkpoints/{size} holds a checkpoint of size {other.size}")
        if size > export.since and export.root(size) != other.root_hash:
            raise VerificationError(f"checkpoint {size} is not consistent with the entries")
    if export.since:
        _check_increment(export, key, checkpoint)
    return checkpoint, checked


def _check_increment(export: Export, key: VerifierKey, checkpoint: Checkpoint) -> None:
    start = verify_checkpoint(
        export.read(f"checkpoints/{export.since}").decode("utf-8", "replace"), key
    )
    proof = export.manifest.get("consistency") or {}
    try:
        hashes = [bytes.fromhex(h) for h in proof.get("hashes", [])]
    except (TypeError, ValueError):
        raise VerificationError("the manifest's consistency proof is not hex") from None
    if (proof.get("from"), proof.get("to")) != (export.since, export.size):
        raise VerificationError("the consistency proof is not from the increment's start")
    verify_consistency(export.since, export.size, hashes, start.root_hash, checkpoint.root_hash)
