"""Scoring: 0.0-1.0 grades computed from key results' check-ins under a policy."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ledger.cycle import Cycle
from ledger.exceptions import RuleViolation
from ledger.key_result import KeyResult
from ledger.scoring import (
    DEFAULT_POLICY,
    ScoringPolicy,
    raw_progress,
    score_key_result,
    score_objective,
)
from tests.unit.support import T0, meta, new_key_result, started_cycle

D = Decimal
DEADLINE = date(2026, 9, 30)


def kr_in(cycle: Cycle, kind: str = "increase", **fields: Any) -> KeyResult:
    return new_key_result(kind, cycle=cycle, **fields)


def check(
    kr: KeyResult, cycle: Cycle, value: Decimal | str | int, at: datetime = T0, **kw: Any
) -> UUID:
    ident = uuid4()
    kr.check_in(
        check_in_id=ident,
        value=D(value),
        confidence="on_track",
        cycle=cycle,
        meta=meta(at=at, **kw),
    )
    return ident


def computed(kr: KeyResult, policy: ScoringPolicy = DEFAULT_POLICY, **kw: Any) -> Decimal | None:
    return score_key_result(kr, policy, **kw).computed


@pytest.fixture
def cycle() -> Cycle:
    return started_cycle()


# -- increase and decrease -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "score"),
    [("40", "0"), ("50", "0.5"), ("55", "0.75"), ("60", "1"), ("75", "1"), ("30", "0")],
)
def test_increase_progress_is_the_share_of_the_way_from_baseline_to_target(
    cycle: Cycle, value: str, score: str
) -> None:
    kr = kr_in(cycle, baseline=D(40), target=D(60))
    check(kr, cycle, value)

    assert computed(kr) == D(score)


@pytest.mark.parametrize(
    ("value", "score"),
    [("40", "0"), ("30", "0.5"), ("25", "0.75"), ("20", "1"), ("5", "1"), ("55", "0")],
)
def test_decrease_progress_uses_the_same_formula_downwards(
    cycle: Cycle, value: str, score: str
) -> None:
    kr = kr_in(cycle, "decrease", baseline=D(40), target=D(20))
    check(kr, cycle, value)

    assert computed(kr) == D(score)


def test_a_metric_without_check_ins_stands_at_its_baseline(cycle: Cycle) -> None:
    assert computed(kr_in(cycle)) == D(0)


def test_a_computed_score_has_three_places(cycle: Cycle) -> None:
    kr = kr_in(cycle, baseline=D(0), target=D(3))
    check(kr, cycle, 1)

    assert computed(kr) == D("0.333")


def test_a_metric_without_a_baseline_cannot_be_scored(cycle: Cycle) -> None:
    kr = kr_in(cycle, baseline=None, target=D(60))
    check(kr, cycle, 50)

    score = score_key_result(kr)
    assert (score.computed, score.final) == (None, None)


def test_the_latest_check_in_by_effective_time_counts(cycle: Cycle) -> None:
    kr = kr_in(cycle, baseline=D(40), target=D(60))
    check(kr, cycle, 55, at=T0)
    check(kr, cycle, 45, at=T0 + timedelta(days=1), effective_at=T0 - timedelta(days=4))

    assert computed(kr) == D("0.75")
    assert computed(kr, as_of=T0 - timedelta(days=1)) == D("0.25")
    assert computed(kr, as_of=T0 - timedelta(days=5)) == D(0)


def test_a_correction_replaces_the_value_it_supersedes(cycle: Cycle) -> None:
    kr = kr_in(cycle, baseline=D(40), target=D(60))
    original = check(kr, cycle, 58)
    kr.correct_check_in(
        check_in_id=uuid4(),
        supersedes=original,
        value=D(50),
        confidence="at_risk",
        cycle=cycle,
        meta=meta(at=T0 + timedelta(hours=2), reason="Double counted"),
    )

    assert computed(kr) == D("0.5")


# -- band ------------------------------------------------------------------------------


ENDS = date(2026, 9, 30)
"""the last day of the cycle; it ends at midnight after it"""
END = datetime(2026, 10, 1, tzinfo=UTC)


@pytest.fixture
def band(cycle: Cycle) -> KeyResult:
    kr = kr_in(cycle, "band", band_low=D(90), band_high=D(95))
    for day, value in enumerate(["92", "96", "95", "89"]):
        check(kr, cycle, value, at=T0 + timedelta(days=7 * day))
    return kr


def test_band_scores_the_share_of_time_in_band_by_default(band: KeyResult) -> None:
    # 92 holds a week, 96 a week, 95 a week, 89 from its check-in until the cycle's end
    last = T0 + timedelta(days=21)
    total = END - T0

    assert DEFAULT_POLICY.band_mode == "time_in_band"
    assert computed(band, ends_on=ENDS) == (D(14 * 86400) / D(total.total_seconds())).quantize(
        D("0.001")
    )
    assert END - last > timedelta(days=7)  # the last value weighs most


def test_time_in_band_weighs_each_check_in_by_how_long_it_held(cycle: Cycle) -> None:
    kr = kr_in(cycle, "band", band_low=D(90), band_high=D(95))
    start = END - timedelta(days=10)
    check(kr, cycle, "93", at=start)  # in band for one day
    check(kr, cycle, "99", at=start + timedelta(days=1))  # out for nine

    assert computed(kr, ends_on=ENDS) == D("0.1")


def test_a_steady_cadence_to_the_end_scores_the_share_of_check_ins_in_band(
    cycle: Cycle,
) -> None:
    kr = kr_in(cycle, "band", band_low=D(90), band_high=D(95))
    for week, value in enumerate(["92", "96", "95", "89"]):
        check(kr, cycle, value, at=END - timedelta(days=7 * (4 - week)))

    assert computed(kr, ends_on=ENDS) == D("0.5")


def test_time_after_the_cycle_ended_counts_for_nothing(cycle: Cycle) -> None:
    kr = kr_in(cycle, "band", band_low=D(90), band_high=D(95))
    check(kr, cycle, "93", at=END - timedelta(days=2))
    check(kr, cycle, "99", at=END + timedelta(days=3))  # in review, after the end

    assert computed(kr, ends_on=ENDS) == D(1)


def test_a_band_holding_no_time_scores_its_last_value(cycle: Cycle) -> None:
    after = kr_in(cycle, "band", band_low=D(90), band_high=D(95))
    check(after, cycle, "93", at=END + timedelta(days=1))
    unknown_end = kr_in(cycle, "band", band_low=D(90), band_high=D(95))
    check(unknown_end, cycle, "99", at=T0)

    assert computed(after, ends_on=ENDS) == D(1)
    assert computed(unknown_end) == D(0)


def test_a_corrected_check_in_holds_its_time_with_the_corrected_value(cycle: Cycle) -> None:
    kr = kr_in(cycle, "band", band_low=D(90), band_high=D(95))
    start = END - timedelta(days=10)
    wrong = check(kr, cycle, "99", at=start)
    check(kr, cycle, "99", at=start + timedelta(days=5))
    kr.correct_check_in(
        check_in_id=uuid4(),
        supersedes=wrong,
        value=D(93),
        confidence="on_track",
        cycle=cycle,
        meta=meta(at=END, reason="The sensor was miscalibrated"),
    )

    assert computed(kr, ends_on=ENDS) == D("0.5")


def test_band_last_value_policy_scores_only_the_latest_value(band: KeyResult) -> None:
    policy = ScoringPolicy(band_mode="last_value")

    assert computed(band, policy, ends_on=ENDS) == D(0)  # latest is 89
    assert computed(band, policy, as_of=T0 + timedelta(days=14), ends_on=ENDS) == D(1)


def test_a_band_without_check_ins_scores_zero(cycle: Cycle) -> None:
    assert computed(kr_in(cycle, "band")) == D(0)


# -- milestone -------------------------------------------------------------------------


def milestone(cycle: Cycle, deadline: date | None = DEADLINE) -> KeyResult:
    return kr_in(cycle, "milestone", deadline=deadline)


def end_of(day: date, **delta: float) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(**delta)


@pytest.mark.parametrize(
    ("reached_at", "score"),
    [
        (end_of(DEADLINE, days=-10), "1"),
        (end_of(DEADLINE, hours=23, minutes=59), "1"),
        (end_of(DEADLINE, days=1), "0"),
        (end_of(DEADLINE, days=20), "0"),
    ],
    ids=["early", "last-minute", "a-day-late", "weeks-late"],
)
def test_a_milestone_scores_one_only_if_reached_by_its_deadline(
    cycle: Cycle, reached_at: datetime, score: str
) -> None:
    kr = milestone(cycle)
    check(kr, cycle, 0, at=end_of(DEADLINE, days=-30))
    check(kr, cycle, 1, at=reached_at)

    assert computed(kr) == D(score)


def test_a_milestone_grace_period_forgives_a_late_arrival(cycle: Cycle) -> None:
    kr = milestone(cycle)
    check(kr, cycle, 1, at=end_of(DEADLINE, days=2))

    assert computed(kr) == D(0)
    assert computed(kr, ScoringPolicy(milestone_grace_days=3)) == D(1)


def test_a_milestone_not_reached_scores_zero_and_one_without_a_deadline_when_reached(
    cycle: Cycle,
) -> None:
    not_reached = milestone(cycle)
    check(not_reached, cycle, 0)
    open_ended = milestone(cycle, deadline=None)
    check(open_ended, cycle, 1, at=end_of(DEADLINE, days=100))

    assert computed(not_reached) == D(0)
    assert computed(open_ended) == D(1)


# -- baseline --------------------------------------------------------------------------


def test_a_baseline_key_result_scores_once_a_baseline_is_measured(cycle: Cycle) -> None:
    kr = kr_in(cycle, "baseline")
    assert computed(kr) == D(0)

    check(kr, cycle, "312.5")

    assert computed(kr) == D(1)
    assert raw_progress(kr, as_of=T0 - timedelta(seconds=1)) == D(0)


# -- overrides and objectives ----------------------------------------------------------


def test_an_override_replaces_the_final_score_and_keeps_the_computed_one(cycle: Cycle) -> None:
    kr = kr_in(cycle, baseline=D(40), target=D(60))
    check(kr, cycle, 50)
    cycle.begin_review(meta(at=T0 + timedelta(days=80)))
    kr.override_score(D("0.9"), cycle, meta(at=T0 + timedelta(days=81), reason="Data lag"))

    score = score_key_result(kr)
    assert (score.computed, score.override, score.final) == (D("0.5"), D("0.9"), D("0.9"))
    without = score_key_result(kr, ScoringPolicy(use_overrides=False))
    assert (without.override, without.final) == (None, D("0.5"))
    before = score_key_result(kr, as_of=T0 + timedelta(days=80))
    assert before.final == D("0.5")


def test_an_objective_scores_the_weighted_mean_of_its_live_key_results(cycle: Cycle) -> None:
    full = kr_in(cycle, baseline=D(0), target=D(10), weight=D(1))
    half = kr_in(cycle, baseline=D(0), target=D(10), weight=D(3))
    dropped = kr_in(cycle, baseline=D(0), target=D(10), weight=D(5))
    check(full, cycle, 10)
    check(half, cycle, 5)
    check(dropped, cycle, 0)

    assert score_objective([full, half, dropped]) == D("0.278")  # 2.5 / 9
    dropped.drop(cycle, meta(reason="Metric retired"))
    assert score_objective([full, half, dropped]) == D("0.625")


def test_an_objective_with_nothing_scorable_has_no_score(cycle: Cycle) -> None:
    dropped = kr_in(cycle)
    dropped.drop(cycle, meta(reason="r"))

    assert score_objective([]) is None
    assert score_objective([dropped]) is None
    assert score_objective([kr_in(cycle, baseline=None)]) is None


def test_a_par_for_stretch_results_counts_seventy_percent_as_full_marks(cycle: Cycle) -> None:
    policy = ScoringPolicy(par={"stretch": D("0.7")})
    stretch = kr_in(cycle, baseline=D(0), target=D(100), classification="stretch")
    committed = kr_in(cycle, baseline=D(0), target=D(100))
    check(stretch, cycle, 70)
    check(committed, cycle, 70)

    assert computed(stretch, policy) == D(1)
    assert computed(committed, policy) == D("0.7")
    assert computed(stretch) == D("0.7")  # the default policy has no par

    check(stretch, cycle, 35, at=T0 + timedelta(days=1))
    assert computed(stretch, policy) == D("0.5")


# -- invariants ------------------------------------------------------------------------

examples = settings(database=None, deadline=None, max_examples=100)
numbers = st.decimals(
    min_value=-(10**9), max_value=10**9, places=4, allow_nan=False, allow_infinity=False
)


def metric(baseline: Decimal, target: Decimal, value: Decimal | None) -> KeyResult:
    cycle = started_cycle()
    kind = "increase" if target > baseline else "decrease"
    kr = kr_in(cycle, kind, baseline=baseline, target=target)
    if value is not None:
        check(kr, cycle, value)
    return kr


@examples
@given(baseline=numbers, target=numbers, value=numbers)
def test_a_metric_score_always_lies_between_zero_and_one(
    baseline: Decimal, target: Decimal, value: Decimal
) -> None:
    assume(baseline != target)

    score = computed(metric(baseline, target, value))

    assert score is not None
    assert D(0) <= score <= D(1)


@examples
@given(baseline=numbers, target=numbers, value=numbers)
def test_a_decrease_scores_like_the_mirrored_increase(
    baseline: Decimal, target: Decimal, value: Decimal
) -> None:
    assume(baseline != target)

    assert computed(metric(baseline, target, value)) == computed(
        metric(-baseline, -target, -value)
    )


@examples
@given(baseline=numbers, target=numbers, low=numbers, high=numbers)
def test_moving_towards_the_target_never_lowers_the_score(
    baseline: Decimal, target: Decimal, low: Decimal, high: Decimal
) -> None:
    assume(baseline != target)
    worse, better = (low, high) if (target > baseline) == (low <= high) else (high, low)

    worse_score = computed(metric(baseline, target, worse))
    better_score = computed(metric(baseline, target, better))

    assert worse_score is not None
    assert better_score is not None
    assert worse_score <= better_score
    assert computed(metric(baseline, target, target)) == D(1)
    assert computed(metric(baseline, target, baseline)) == D(0)


@pytest.mark.parametrize(
    ("baseline", "target", "value"),
    [
        ("-999999999999999.9999999999", "999999999999999.9999999999", "0"),
        ("0", "0.0000000001", "999999999999999.9999999999"),
        ("999999999999999.9999999999", "-999999999999999.9999999999", "0.0000000001"),
    ],
)
def test_scoring_survives_every_finite_metric_the_ledger_accepts(
    baseline: str, target: str, value: str
) -> None:
    kr = metric(D(baseline), D(target), D(value))

    score = computed(kr)

    assert score is not None
    assert D(0) <= score <= D(1)


@pytest.mark.parametrize(
    ("baseline", "target", "rule"),
    [("-9E+999999", "9E+999999", "out_of_range"), ("0", "1E-999999", "too_precise")],
)
def test_metrics_beyond_what_can_be_scored_are_refused_when_defined(
    baseline: str, target: str, rule: str
) -> None:
    with pytest.raises(RuleViolation) as refused:
        metric(D(baseline), D(target), D(0))

    assert refused.value.rule == rule
