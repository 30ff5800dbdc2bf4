"""``okr-ledger import`` on an SQLite file: templates, a dry run, the real run, a re-run
that writes nothing, and a refusal that names the row and column."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from commands import messages as m
from okr_ledger.bootstrap import bootstrap
from okr_ledger.cli import main
from okr_ledger.config import Settings
from tests.conftest import ADMIN_PRINCIPAL, build_org


def run(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--database-url", url, *args])
    return result.exit_code, result.output


def prepared(tmp_path: Path) -> str:
    """A store with the template's team, cycle and strategic choice, and the sheet file."""
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    services = bootstrap(Settings(database_url=url))
    org = build_org(services.bus)
    org.do(
        m.FormTeam(key="contact-centre", name="CC", level="team", parent_id=org.function),
        ADMIN_PRINCIPAL,
    )
    strategy = org.do(m.FormulateStrategy(key="northbridge", name="N", vision="v", mission="m"))
    assert strategy.created_id
    org.do(
        m.AddStrategicChoice(
            strategy_id=strategy.created_id,
            kind="where_to_play",
            statement="People for complex needs",
            key="people-for-complex",
        )
    )
    services.close()
    return url


def test_the_template_imports_once_after_a_dry_run_naming_the_same_changes(
    tmp_path: Path,
) -> None:
    url = prepared(tmp_path)
    code, template = run(url, "import", "--template", "okrs")
    assert code == 0
    sheet = tmp_path / "okrs.csv"
    template = template.replace("2026-Q4", "2026-Q3").replace("2026-12-31", "2026-09-30")
    sheet.write_text(template)

    code, dry = run(url, "import", str(sheet), "--dry-run")
    assert code == 0, dry
    code, real = run(url, "import", str(sheet))
    assert code == 0, real
    code, again = run(url, "import", str(sheet))

    named = [line for line in dry.splitlines() if line.startswith("row ")]
    assert named == [line for line in real.splitlines() if line.startswith("row ")]
    assert [line.split(": ")[1] for line in named] == [
        "objective_drafted",
        "objective_linked_to_choice",
        "key_result_defined",
        "initiative_proposed",
    ]
    assert "would write" in dry.splitlines()[-1]
    assert (code, again.splitlines()[-1]) == (0, "1 rows, 0 changes: wrote 0 events")


def test_a_bad_cell_is_named_by_file_row_and_column_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    url = prepared(tmp_path)
    _, template = run(url, "import", "--template", "okrs")
    template = template.replace("2026-Q4", "2026-Q3").replace("2026-12-31", "2026-09-30")
    sheet = tmp_path / "plan.csv"
    sheet.write_text(template.replace("2026-09-30", "end of Q3"))

    code, output = run(url, "import", str(sheet))

    assert code == 1
    assert "plan.csv: row 2, column deadline: bad_date:" in output
    assert "nothing was written" in output
    run(url, "log", "key")  # the log's key exists before the first checkpoint is compared
    _, counts = run(url, "checkpoint")
    sheet.write_text(template)
    assert run(url, "import", str(sheet), "--dry-run")[0] == 0
    assert run(url, "checkpoint")[1] == counts


def test_the_check_ins_template_has_the_columns_of_a_metrics_export(tmp_path: Path) -> None:
    code, template = run(f"sqlite:///{tmp_path / 'x.sqlite'}", "import", "--template", "check-ins")

    assert code == 0
    assert template.splitlines()[0] == "key_result,value,confidence,effective_date,note,reason"


def test_a_directory_is_taken_for_an_export_archive(tmp_path: Path) -> None:
    code, output = run(f"sqlite:///{tmp_path / 'x.sqlite'}", "import", str(tmp_path))

    assert code != 0
    assert "archive" in output or "manifest" in output
