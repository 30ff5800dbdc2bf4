"""The production docker-compose file: every service runs a command (and health check)
the command line accepts, with settings the ledger reads, and the file passes
``docker-compose config`` where that tool is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from okr_ledger.cli import main
from okr_ledger.config import PREFIX, Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def ledger_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in compose["services"].items() if s.get("build")}


def accepted(args: list[str]) -> tuple[int, str]:
    """Parse a command line (every option must exist) without running it."""
    result = CliRunner().invoke(main, [*args, "--help"])
    return result.exit_code, result.output


def test_the_file_describes_the_database_the_broker_and_every_ledger_process(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    commands = {name: s["command"][0] for name, s in ledger_services(compose).items()}
    assert commands == {
        "init": "init",
        "api": "serve",
        "publisher": "publish",
        "deliver": "deliver",
        "worker": "project",
        "intake": "intake",
        "checkpointer": "checkpoint",
    }
    assert "--from-kafka" in services["worker"]["command"]
    assert "--no-follower" in services["api"]["command"], "the workers keep the read models"
    for name, service in services.items():
        if name != "init":
            assert "healthcheck" in service, f"{name} has no health check"


def test_every_service_command_and_health_check_is_one_the_cli_accepts(
    compose: dict[str, Any],
) -> None:
    for name, service in ledger_services(compose).items():
        code, output = accepted(service["command"])
        assert code == 0, (name, output)
        check = service.get("healthcheck", {}).get("test", [])
        if check[:2] == ["CMD", "okr-ledger"]:
            code, output = accepted(check[2:])
            assert code == 0, (name, output)


def test_every_setting_in_the_file_is_one_the_ledger_reads(compose: dict[str, Any]) -> None:
    fields = {f.upper() for f in Settings.__dataclass_fields__}
    for name, service in ledger_services(compose).items():
        environment = service["environment"]
        for key in environment:
            assert key.startswith(PREFIX), (name, key)
            assert key.removeprefix(PREFIX) in fields, (name, key)
        settings = Settings.from_env({k: str(v) for k, v in environment.items()})
        assert settings.database_url.startswith("postgresql://")
        assert settings.kafka_bootstrap_servers == "kafka:9092"
        assert settings.kafka_partitions == int(environment["OKR_LEDGER_KAFKA_PARTITIONS"])


def docker_compose_config(**environ: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "OKR_LEDGER_DB_PASSWORD"}
    return subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        capture_output=True, text=True, check=False, env={**env, **environ}, cwd=ROOT,
    )  # fmt: skip


needs_docker_compose = pytest.mark.skipif(
    shutil.which("docker-compose") is None, reason="docker-compose not installed"
)


@needs_docker_compose
def test_docker_compose_accepts_the_file_once_a_database_password_is_set() -> None:
    result = docker_compose_config(OKR_LEDGER_DB_PASSWORD="s3cret")

    assert result.returncode == 0, result.stderr


@needs_docker_compose
def test_docker_compose_refuses_to_start_without_a_database_password() -> None:
    result = docker_compose_config()

    assert result.returncode != 0
    assert "set OKR_LEDGER_DB_PASSWORD" in result.stderr


def test_the_file_has_no_fallback_database_password() -> None:
    text = (ROOT / "docker-compose.yml").read_text()

    assert "change-me" not in text
    # the superuser's, the service role's and (for init) the owner role's logins
    assert text.count("${OKR_LEDGER_DB_PASSWORD:?set OKR_LEDGER_DB_PASSWORD}") == 3
