"""The newcomer's path: ``okr-ledger demo`` on an SQLite file (and on PostgreSQL),
then ``state``, ``verify`` and ``checkpoint``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ledger.cycle import Cycle
from ledger.key_result import KeyResult
from ledger.kpi import Kpi
from ledger.replay import read_log, replay
from okr_ledger import demo
from okr_ledger.bootstrap import bootstrap
from okr_ledger.cli import main
from okr_ledger.config import Settings


def run(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--database-url", url, *args])
    return result.exit_code, result.output


def test_the_demo_loads_once_prints_the_cycle_and_verifies(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"

    code, output = run(url, "demo")
    assert code == 0, output
    assert "demo loaded" in output
    demo_head = int(output.split("log now at position ")[1].split()[0])
    assert "Q3 2026 (2026-Q3)" in output
    assert "status: closed" in output

    code, output = run(url, "demo", "--quiet")
    assert (code, output.strip()) == (0, "demo already loaded; nothing written")

    code, output = run(url, "verify")
    assert code == 0, output
    assert output.startswith("intact:")

    code, output = run(url, "checkpoint")
    assert code == 0
    lines = output.splitlines()
    assert lines[0] == "okr-ledger.localhost/ledger"  # a C2SP checkpoint note
    assert lines[1] == str(demo_head)  # the tree over every event the demo wrote
    assert lines[-1].startswith("— okr-ledger.localhost/ledger ")


def test_the_demo_holds_every_act_the_issue_asks_for(tmp_path: Path) -> None:
    services = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'demo.sqlite'}"))
    try:
        demo.load(services)
        world = replay(services.ledger)
        log = [event for _, event in read_log(services.ledger)]
        events = [type(e).__qualname__ for e in log]
    finally:
        services.close()

    cycle = world.get(Cycle, Cycle.id_for(demo.CYCLE_KEY))
    assert cycle is not None
    assert cycle.status == "closed"
    key_results = world.all(KeyResult)
    assert {kr.kind for kr in key_results} == {
        "increase",
        "decrease",
        "band",
        "milestone",
        "baseline",
    }
    assert any(len(kr.check_ins) >= 13 for kr in key_results)
    assert any(c.supersedes for kr in key_results for c in kr.check_ins.values())
    assert any(
        c.effective_at < c.recorded_at for kr in key_results for c in kr.check_ins.values()
    ), "a back-dated check-in"
    assert any(kr.override for kr in key_results)
    assert any(kpi.health == "unhealthy" for kpi in world.all(Kpi))
    for name in (
        "Strategy.ChoiceAdded",
        "Decision.Recorded",
        "Priorities.Reprioritised",
        "KeyResult.Retargeted",
        "Initiative.Stopped",
        "KeyResult.CheckInCorrected",
        "Objective.Reflected",
        "Initiative.ResourcesReallocated",
        "Dependency.Acknowledged",
        "Kpi.Measured",
        "Cycle.Closed",
        "Objective.CarriedForward",
        "KeyResult.CarriedForward",
    ):
        assert name in events, name
    retargets = [e for e in log if isinstance(e, KeyResult.Retargeted)]
    assert {e.easing for e in retargets} == {True, False}, "one easing, one raising"
    assert all(e.meta.decision_id and e.meta.reason for e in retargets)


def test_state_of_an_unknown_cycle_is_a_clear_error(tmp_path: Path) -> None:
    code, output = run(f"sqlite:///{tmp_path / 'l.sqlite'}", "state", "--cycle", "nope")
    assert code == 1
    assert "no cycle with key 'nope'" in output


def test_the_kafka_commands_say_what_to_set_when_no_broker_is_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OKR_LEDGER_KAFKA_BOOTSTRAP_SERVERS", raising=False)
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    assert run(url, "demo", "--quiet")[0] == 0
    for args in (["publish", "--once"], ["intake"], ["project", "--from-kafka"]):
        code, output = run(url, *args)
        assert code == 2, (args, output)
        assert "OKR_LEDGER_KAFKA_BOOTSTRAP_SERVERS" in output

    services = bootstrap(Settings(database_url=url))
    head = services.ledger.head_position()
    services.close()
    code, output = run(url, "publish", "--status")  # the position needs no broker
    assert code == 0, output
    assert output.strip() == f"publisher: position 0 of {head}; lag {head}"
