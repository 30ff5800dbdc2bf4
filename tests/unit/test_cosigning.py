"""The ledger's side of cosigning, against a witness in memory answering as
c2sp.org/tlog-witness says: which witnesses a round asks, how a refusal differs from a
witness that is down, and the pause after a failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.tlog.cosignature import cosignature_witness, split_cosignatures
from okr_ledger.config import Settings
from okr_ledger.witness import Cosigner, State, Witness, WitnessError
from streams.witnesses import (
    SIZE_TYPE,
    Cosigning,
    MemoryCosignatures,
    WitnessConfig,
    parse_witnesses,
)
from tests.unit.test_witness import Checkpoint, Log, LogProofs

NOW = 1_790_000_000


class Network:
    """Routes a submission to an in-memory witness by URL; a URL may be down, or
    answer with a fixed status."""

    def __init__(self) -> None:
        self.witnesses: dict[str, Witness] = {}
        self.down: set[str] = set()
        self.fixed: dict[str, tuple[int, str, str]] = {}
        self.asked: list[str] = []

    def post(self, url: str, body: bytes, timeout: float) -> tuple[int, str, str]:
        from streams.witnesses import WitnessUnavailable

        base = url.removesuffix("/add-checkpoint")
        self.asked.append(base)
        if base in self.down:
            raise WitnessUnavailable(f"{url}: connection refused")
        if base in self.fixed:
            return self.fixed[base]
        try:
            return 200, "text/plain", self.witnesses[base].add_checkpoint(body)
        except WitnessError as refusal:
            if refusal.body is not None:
                return refusal.status, SIZE_TYPE, refusal.body
            return refusal.status, "text/plain", str(refusal)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def log() -> Log:
    built = Log()
    built.append(5)
    return built


@pytest.fixture
def network() -> Network:
    return Network()


def a_witness(
    network: Network, log: Log, tmp_path: Path, name: str
) -> tuple[WitnessConfig, Cosigner]:
    cosigner = Cosigner.generate(name)
    url = f"http://{name.split('/')[0]}"
    from okr_ledger.verifier import parse_vkey

    network.witnesses[url] = Witness(
        cosigner, [parse_vkey(log.signer.vkey)], State(tmp_path / name), clock=lambda: NOW
    )
    return parse_witnesses(f"{cosigner.vkey} {url}")[0], cosigner


@pytest.fixture
def two(network: Network, log: Log, tmp_path: Path) -> tuple[WitnessConfig, WitnessConfig]:
    one, _ = a_witness(network, log, tmp_path, "one.example/w")
    other, _ = a_witness(network, log, tmp_path, "two.example/w")
    return one, other


def cosigning(
    log: Log, witnesses: list[WitnessConfig], network: Network, **options: object
) -> tuple[Cosigning, MemoryCosignatures]:
    store = MemoryCosignatures()
    return Cosigning(LogProofs(log), witnesses, store, post=network.post, **options), store  # type: ignore[arg-type]


def test_a_round_asks_only_the_witnesses_that_lack_the_newest_checkpoint(
    log: Log, network: Network, two: tuple[WitnessConfig, WitnessConfig]
) -> None:
    client, store = cosigning(log, list(two), network, pause=0)
    first = Checkpoint(log)
    assert all(o.line for o in client.round(first).values())
    network.asked.clear()
    assert client.round(first) == {}  # both have it
    assert network.asked == []
    log.append(3)
    assert set(client.round(Checkpoint(log))) == {"one.example/w", "two.example/w"}
    assert store.cosigned_size(two[0].ident) == store.cosigned_size(two[1].ident) == 8


def test_a_witness_that_is_down_is_asked_again_after_a_pause_that_doubles(
    log: Log, network: Network, two: tuple[WitnessConfig, WitnessConfig]
) -> None:
    clock = Clock()
    client, store = cosigning(log, list(two), network, clock=clock)
    network.down.add(two[0].url)
    checkpoint = Checkpoint(log)
    outcomes = client.round(checkpoint)
    assert outcomes["one.example/w"].line is None
    assert not outcomes["one.example/w"].refused
    assert outcomes["two.example/w"].line is not None  # the other is not held up
    waits = []
    for _ in range(8):
        start = clock.now
        while client.round(checkpoint) == {}:
            clock.now += 0.5
        waits.append(clock.now - start)
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    network.down.clear()
    clock.now += 60
    assert client.round(checkpoint)["one.example/w"].line is not None
    assert store.cosigned_size(two[0].ident) == checkpoint.size


@pytest.mark.parametrize(
    ("answer", "refused"),
    [
        ((500, "text/plain", "broken"), False),
        ((503, "text/plain", "busy"), False),
        ((403, "text/plain", "not signed by a key it knows"), True),
        ((404, "text/plain", "unknown log"), True),
        ((409, "text/plain", "same size, another root"), True),
        ((422, "text/plain", "the proof does not hold"), True),
        ((409, SIZE_TYPE, "99\n"), True),  # it cosigned a larger tree of this origin
    ],
)
def test_a_refusal_is_told_apart_from_a_failure(
    log: Log,
    network: Network,
    two: tuple[WitnessConfig, WitnessConfig],
    answer: tuple[int, str, str],
    refused: bool,
) -> None:
    network.fixed[two[0].url] = answer
    client, store = cosigning(log, [two[0]], network)
    outcome = client.round(Checkpoint(log))["one.example/w"]
    assert outcome.line is None
    assert outcome.refused is refused
    assert store.lines == {}


def test_a_witness_that_knows_a_size_we_lost_is_asked_again_from_it(
    log: Log, network: Network, two: tuple[WitnessConfig, WitnessConfig]
) -> None:
    cosigning(log, [two[0]], network)[0].round(Checkpoint(log))  # cosigned 5, then forgotten
    log.append(4)
    client, store = cosigning(log, [two[0]], network)
    assert client.round(Checkpoint(log))["one.example/w"].line is not None
    assert store.cosigned_size(two[0].ident) == 9


def test_an_answer_not_signed_by_the_witness_key_is_not_kept(
    log: Log, network: Network, two: tuple[WitnessConfig, WitnessConfig], tmp_path: Path
) -> None:
    impostor = Cosigner.generate("one.example/w")  # the same name, another key
    line = impostor.cosign(log.note()[: log.note().rfind("\n\n") + 1], NOW)
    network.fixed[two[0].url] = (200, "text/plain", line)
    client, store = cosigning(log, [two[0]], network)
    outcome = client.round(Checkpoint(log))["one.example/w"]
    assert outcome.line is None
    assert "no valid cosignature" in (outcome.problem or "")
    assert store.lines == {}


def test_the_witnesses_setting_is_read_with_the_others_and_a_bad_entry_is_named(
    two: tuple[WitnessConfig, WitnessConfig],
) -> None:
    text = "\n".join(f"{w.key.name}+{w.key.key_id.hex()}+{_b64key(w)} {w.url}" for w in two)
    settings = Settings.from_env({"OKR_LEDGER_WITNESSES": text})
    assert [w.ident for w in settings.witness_list] == [w.ident for w in two]
    assert Settings.from_env({}).witness_list == []
    with pytest.raises(ValueError, match=r"OKR_LEDGER_WITNESSES: .*not-a-url"):
        Settings.from_env({"OKR_LEDGER_WITNESSES": f"{text}; {text.split()[0]} not-a-url"})


def _b64key(witness: WitnessConfig) -> str:
    import base64

    return base64.b64encode(b"\x04" + witness.key.public_key).decode()


def test_cosignature_lines_are_told_apart_from_the_logs_own_signature(log: Log) -> None:
    cosigner = Cosigner.generate("audit.example/w")
    note = log.note()
    line = cosigner.cosign(note[: note.rfind("\n\n") + 1], NOW)
    own, lines = split_cosignatures(note + line)
    assert own == note
    assert lines == [line]
    assert cosignature_witness(line) == f"audit.example/w+{cosigner.key_id.hex()}"
    assert cosignature_witness(note.splitlines()[-1]) is None  # the log's: 64-byte signature


def test_a_witness_that_does_not_speak_http_is_only_unavailable() -> None:
    """Garbage instead of an HTTP answer, or a connection closed at once."""
    import socket
    import threading

    from streams.witnesses import WitnessUnavailable, http_post

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        def answer_garbage() -> None:
            for reply in (b"\xff\xfe not http\r\n\r\n", b""):
                conn, _ = listener.accept()
                with conn:
                    conn.recv(65536)
                    conn.sendall(reply)

        serving = threading.Thread(target=answer_garbage)
        serving.start()
        for _ in range(2):
            with pytest.raises(WitnessUnavailable):
                http_post(f"http://127.0.0.1:{port}/add-checkpoint", b"old 0\n\n", 30)
        serving.join()
