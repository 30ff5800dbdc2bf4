"""Planning an OKR set from a spreadsheet: each row against what the ledger holds.

A row names a team's objective in a cycle and, optionally, one of its key results and
the initiatives believed to move it. Ids come from natural keys (the ``objective_key``,
``key_result_key`` and initiative title, within the team's cycle), so a row that
matches the ledger plans nothing, and a changed cell plans the act that changes it: a
reworded statement, another owner, a retarget or a reweight (both need the row's
``reason``), a new link to a strategic choice or an initiative. An import adds and
changes; it never drops or unlinks.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from commands import messages as m
from commands.imports.cells import RowReader, slug
from commands.imports.planner import Planner
from commands.imports.problems import Problem, SpreadsheetRefused
from commands.imports.sheets import Sheet
from ledger.application import Ledger
from ledger.cycle import Cycle
from ledger.initiative import Initiative
from ledger.key_result import CLASSIFICATIONS, KINDS, KeyResult
from ledger.objective import COMMITMENTS, Objective
from ledger.strategy import Strategy
from ledger.team import Team

COLUMNS = (
    "cycle", "team", "objective_key", "objective", "objective_owner", "commitment",
    "strategic_choice", "key_result_key", "key_result", "kind", "baseline", "target",
    "band_low", "band_high", "unit", "deadline", "key_result_owner", "weight",
    "classification", "initiative", "reason",
)  # fmt: skip
"""The template's columns, in order (``okr-ledger import --template okrs``)."""
REQUIRED = ("cycle", "team", "objective")
EXAMPLE = (
    "2026-Q4", "contact-centre", "first-contact",
    "Resolve more enquiries at first contact in order to free time for complex cases",
    "maria.santos", "committed", "northbridge/people-for-complex", "fcr",
    "Lift first-contact resolution from 62% to 75%", "increase", "62", "75", "", "",
    "%", "2026-12-31", "li.wei", "1", "committed", "Knowledge base for agents", "",
)  # fmt: skip


def plan_okrs(ledger: Ledger, sheet: Sheet) -> Planner:
    """The steps that bring the ledger to what ``sheet`` says; refuses a bad sheet."""
    missing = [c for c in REQUIRED if c not in sheet.columns]
    if missing:
        raise SpreadsheetRefused(
            [Problem("missing_column", f"the header lacks column {c}", 1, c) for c in missing]
        )
    plan = Planner(ledger, sheet)
    plan.lookup(_ids_named(sheet))
    for row in sheet.rows:
        _plan_row(plan, RowReader(row, plan.problems))
    if plan.problems:
        raise SpreadsheetRefused(plan.problems)
    return plan


def _ids_named(sheet: Sheet) -> list[UUID]:
    """Every id the sheet can name, to read them all in a few round trips."""
    ids: list[UUID] = []
    for row in sheet.rows:
        c = row.cells
        team, cycle = Team.id_for(c.get("team", "")), Cycle.id_for(c.get("cycle", ""))
        ids += [team, cycle]
        ids.append(
            Objective.id_for(team, cycle, c.get("objective_key") or slug(c.get("objective", "")))
        )
        if c.get("key_result") or c.get("key_result_key"):
            kr_key = c.get("key_result_key") or slug(c.get("key_result", ""))
            ids.append(KeyResult.id_for(team, cycle, kr_key))
        for title in _titles(c.get("initiative", "")):
            ids.append(Initiative.id_for(team, cycle, slug(title)))
        strategy = c.get("strategic_choice", "").partition("/")[0]
        if strategy:
            ids.append(Strategy.id_for(strategy))
    return ids


def _titles(cell: str) -> list[str]:
    return [t.strip() for t in cell.split(";") if t.strip()]


def _plan_row(plan: Planner, r: RowReader) -> None:
    number = r.row.number
    reason = r.text("reason", max_length=2000) or None
    cycle_key, team_key = r.text("cycle", required=True), r.text("team", required=True)
    cycle = plan.find(Cycle, Cycle.id_for(cycle_key)) if cycle_key else None
    team = plan.find(Team, Team.id_for(team_key)) if team_key else None
    if cycle_key and cycle is None:
        r.problem("unknown_cycle", "cycle", f"no cycle with key {cycle_key!r}")
    if team_key and team is None:
        r.problem("unknown_team", "team", f"no team with key {team_key!r}")
    statement = r.text("objective", required=True)
    owner = r.text("objective_owner", max_length=200)
    commitment = r.choice("commitment", COMMITMENTS, None)
    choice = _choice(plan, r)
    objective_key = r.text("objective_key", max_length=80) or slug(statement)
    if team is None or cycle is None or not statement:
        return
    objective_id = Objective.id_for(team.id, cycle.id, objective_key)
    objective = plan.find(Objective, objective_id)
    first = plan.planned.get(objective_id)
    if objective is None and first is None:
        if not owner:
            r.problem("required", "objective_owner", "a new objective needs an owner")
            return
        plan.planned[objective_id] = {"statement": statement, "owner": owner}
        plan.add(
            number,
            "objective_drafted",
            f"draft objective {statement!r} for {team.key}",
            objective_id,
            m.DraftObjective(
                team_id=team.id,
                cycle_id=cycle.id,
                statement=statement,
                owner=owner,
                commitment=commitment or "committed",
                key=objective_key,
            ),
        )
    elif first is not None:
        for column, value in (("objective", statement), ("objective_owner", owner)):
            if value and value != first["statement" if column == "objective" else "owner"]:
                r.problem(
                    "conflicting_cells",
                    column,
                    f"an earlier row gives this objective another {column}",
                )
        owner = owner or first["owner"]
    else:
        _plan_objective_changes(plan, r, objective, statement, owner, commitment, reason)
        owner = owner or objective.owner
    if choice is not None:
        _plan_choice_link(plan, number, objective, objective_id, choice, reason)
    kr_id = _plan_key_result(plan, r, team, cycle, objective_id, owner, reason)
    if kr_id is not None:
        _plan_initiatives(plan, r, team, cycle, kr_id, r.text("key_result_owner") or owner)


def _choice(plan: Planner, r: RowReader) -> tuple[UUID, UUID] | None:
    """``strategy-key/choice-key`` → (strategy id, choice id)."""
    text = r.text("strategic_choice", max_length=200)
    if not text:
        return None
    strategy_key, _, choice_key = text.partition("/")
    strategy = plan.find(Strategy, Strategy.id_for(strategy_key))
    choice_id = Strategy.choice_id_for(strategy_key, choice_key)
    if strategy is None or choice_id not in strategy.choices:
        r.problem(
            "unknown_choice",
            "strategic_choice",
            f"no strategic choice {text!r} (write strategy-key/choice-key)",
        )
        return None
    return strategy.id, choice_id


def _plan_objective_changes(
    plan: Planner,
    r: RowReader,
    objective: Objective,
    statement: str,
    owner: str,
    commitment: str | None,
    reason: str | None,
) -> None:
    number, oid = r.row.number, objective.id
    if commitment and commitment != objective.commitment:
        r.problem("cannot_change", "commitment", "an objective's commitment is fixed once drafted")
    if statement != objective.statement:
        plan.add(
            number,
            "objective_reworded",
            f"reword objective to {statement!r}",
            oid,
            m.RewordObjective(objective_id=oid, statement=statement, reason=reason),
        )
    if owner and owner != objective.owner:
        plan.add(
            number,
            "objective_owner_changed",
            f"objective owner {objective.owner} → {owner}",
            oid,
            m.ChangeObjectiveOwner(objective_id=oid, owner=owner, reason=reason),
        )


def _plan_choice_link(
    plan: Planner,
    number: int,
    objective: Objective | None,
    objective_id: UUID,
    choice: tuple[UUID, UUID],
    reason: str | None,
) -> None:
    strategy_id, choice_id = choice
    links = plan.links.setdefault(objective_id, set())
    if choice_id in links or (objective is not None and choice_id in objective.choice_links):
        return
    links.add(choice_id)
    plan.add(
        number,
        "objective_linked_to_choice",
        f"link objective to strategic choice {choice_id}",
        objective_id,
        m.LinkObjectiveToChoice(
            objective_id=objective_id, strategy_id=strategy_id, choice_id=choice_id, reason=reason
        ),
    )


def _plan_key_result(
    plan: Planner,
    r: RowReader,
    team: Team,
    cycle: Cycle,
    objective_id: UUID,
    owner: str,
    reason: str | None,
) -> UUID | None:
    statement = r.text("key_result")
    key = r.text("key_result_key", max_length=80) or (slug(statement) if statement else "")
    if not key:
        return None
    number = r.row.number
    kind = r.choice("kind", KINDS, None)
    classification = r.choice("classification", CLASSIFICATIONS, None)
    values = {name: r.number(name) for name in ("baseline", "target", "band_low", "band_high")}
    weight, deadline = r.number("weight"), r.date("deadline")
    kr_owner = r.text("key_result_owner", max_length=200) or owner
    unit = r.text("unit", max_length=40)
    kr_id = KeyResult.id_for(team.id, cycle.id, key)
    kr = plan.find(KeyResult, kr_id)
    if kr_id in plan.planned:
        r.problem("duplicate_key", "key_result_key", f"an earlier row defines key result {key!r}")
        return None
    if kr is None:
        if not statement or kind is None:
            column = "key_result" if not statement else "kind"
            if column == "kind" and not r.text("kind"):
                r.problem(
                    "required", "kind", f"a new key result needs a kind ({', '.join(KINDS)})"
                )
            elif column == "key_result":
                r.problem("required", "key_result", "a new key result needs a statement")
            return None
        plan.planned[kr_id] = {}
        plan.add(
            number,
            "key_result_defined",
            f"define key result {statement!r}",
            kr_id,
            m.DefineKeyResult(
                objective_id=objective_id,
                statement=statement,
                kind=kind,
                owner=kr_owner,
                unit=unit,
                deadline=deadline,
                classification=classification or "committed",
                weight=weight if weight is not None else Decimal(1),
                key=key,
                **values,
            ),
        )
        return kr_id
    plan.planned[kr_id] = {}
    if kr.objective_id != objective_id:
        r.problem(
            "cannot_change", "key_result_key", "this key result belongs to another objective"
        )
        return None
    fixed = {
        "kind": (kind, kr.kind),
        "baseline": (values["baseline"], kr.baseline),
        "unit": (unit or None, kr.unit),
        "classification": (classification, kr.classification),
    }
    for column, (given, held) in fixed.items():
        if given is not None and given != held:
            r.problem("cannot_change", column, f"a key result's {column} is fixed once defined")
    if statement and statement != kr.statement:
        plan.add(
            number,
            "key_result_reworded",
            f"reword key result to {statement!r}",
            kr_id,
            m.RewordKeyResult(key_result_id=kr_id, statement=statement, reason=reason),
        )
    if r.text("key_result_owner") and kr_owner != kr.owner:
        plan.add(
            number,
            "key_result_owner_changed",
            f"key result owner {kr.owner} → {kr_owner}",
            kr_id,
            m.ChangeKeyResultOwner(key_result_id=kr_id, owner=kr_owner, reason=reason),
        )
    if weight is not None and weight != kr.weight:
        plan.add(
            number,
            "key_result_reweighted",
            f"reweight key result {kr.weight} → {weight}",
            kr_id,
            m.ReweightKeyResult(key_result_id=kr_id, weight=weight, reason=reason),
        )
    aim = kr.aim
    moved = {
        name: value
        for name, value in (
            ("target", values["target"]),
            ("band_low", values["band_low"]),
            ("band_high", values["band_high"]),
            ("deadline", deadline),
        )
        if value is not None and value != getattr(aim, name)
    }
    if moved:
        said = ", ".join(f"{k} {getattr(aim, k)} → {v}" for k, v in moved.items())
        plan.add(
            number,
            "key_result_retargeted",
            f"retarget key result: {said}",
            kr_id,
            m.RetargetKeyResult(key_result_id=kr_id, reason=reason, **moved),
        )
    return kr_id


def _plan_initiatives(
    plan: Planner, r: RowReader, team: Team, cycle: Cycle, kr_id: UUID, owner: str
) -> None:
    for title in _titles(r.text("initiative", max_length=2000)):
        key = slug(title)
        ident = Initiative.id_for(team.id, cycle.id, key)
        initiative = plan.find(Initiative, ident)
        if initiative is None and ident not in plan.planned:
            plan.planned[ident] = {}
            plan.links[ident] = {kr_id}
            plan.add(
                r.row.number,
                "initiative_proposed",
                f"propose initiative {title!r}",
                ident,
                m.ProposeInitiative(
                    team_id=team.id,
                    cycle_id=cycle.id,
                    title=title,
                    owner=owner,
                    key=key,
                    key_result_ids=(kr_id,),
                ),
            )
            continue
        links = plan.links.setdefault(ident, set())
        if kr_id in links or (initiative is not None and kr_id in initiative.key_result_ids):
            continue
        links.add(kr_id)
        plan.add(
            r.row.number,
            "initiative_linked",
            f"link initiative {title!r} to key result",
            ident,
            m.LinkInitiative(initiative_id=ident, key_result_id=kr_id),
        )
