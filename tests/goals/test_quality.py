"""The goal quality check: each flag must fire, and must not fire, on built data."""

from __future__ import annotations

import pytest

from kokemus.goals import series as S
from kokemus.goals.quality import Draft, check, parse_accept
from tests.goals.helpers import monthly_shares, nps_counts, put

pytestmark = pytest.mark.django_db

NOISY = [68, 72, 70, 71, 69, 73, 70, 68, 72, 70, 71, 69]


def codes(a):
    return {f.code for f in a.flags}


def flag(a, code):
    return next(f for f in a.flags if f.code == code)


def kamppi_draft(tree, today, target, months=9, metric="csat"):
    return Draft(tree.org, metric=metric, scope="unit", unit=tree.kamppi, target=target,
                 deadline=S.add_months(today, months))


def test_vague_without_metric_number_scope_deadline(tree, today):
    a = check(Draft(tree.org), today)
    assert codes(a) == {"vague"}
    f = flag(a, "vague")
    assert f.reason and f.suggestion["text"] and f.suggestion["deadline"] > today


def test_vague_aim_without_metric_prompts_to_make_it_measurable(tree, today):
    a = check(Draft(tree.org, aim="improve service", scope="organisation",
                    deadline=S.add_months(today, 6)), today)
    assert "improve service" in flag(a, "vague").reason


def test_concrete_goal_is_not_vague(tree, today):
    a = check(kamppi_draft(tree, today, 80), today)
    assert "vague" not in codes(a)


def test_missing_deadline_is_vague(tree, today):
    d = kamppi_draft(tree, today, 80)
    d.deadline = None
    assert "vague" in codes(check(d, today))


def test_target_inside_common_cause_band_is_too_modest(tree, today):
    monthly_shares(tree.org, tree.kamppi, today, NOISY)
    a = check(kamppi_draft(tree, today, 74), today)
    assert a.upl > 74 > a.current.value
    f = flag(a, "too_modest")
    assert "74" in f.reason
    assert f.suggestion["target"] > a.upl


def test_target_below_current_level_is_too_modest(tree, today):
    monthly_shares(tree.org, tree.kamppi, today, NOISY)
    assert "too_modest" in codes(check(kamppi_draft(tree, today, 65), today))


def test_target_outside_band_but_below_best_sibling_is_too_modest(tree, today):
    monthly_shares(tree.org, tree.kamppi, today, NOISY)
    monthly_shares(tree.org, tree.kallio, today, [85] * 12)
    a = check(kamppi_draft(tree, today, 82), today)
    assert 82 > a.upl
    f = flag(a, "too_modest")
    assert "Kallio" in f.reason
    assert f.suggestion["target"] >= 85


@pytest.mark.parametrize("target", [85, 86])
def test_target_outside_band_and_at_best_sibling_level_is_not_too_modest(tree, today, target):
    monthly_shares(tree.org, tree.kamppi, today, NOISY)
    monthly_shares(tree.org, tree.kallio, today, [85] * 12)
    a = check(kamppi_draft(tree, today, target), today)
    assert target > a.upl
    assert "too_modest" not in codes(a)


def test_accepting_the_suggestion_clears_too_modest(tree, today):
    monthly_shares(tree.org, tree.kamppi, today, NOISY)
    monthly_shares(tree.org, tree.kallio, today, [85] * 12)
    f = flag(check(kamppi_draft(tree, today, 74), today), "too_modest")
    target, deadline = parse_accept(f.accept_value)
    d = kamppi_draft(tree, today, target)
    if deadline:
        d.deadline = deadline
    assert "too_modest" not in codes(check(d, today))


def test_unrealistic_compared_with_the_best_improvement_in_history(tree, today):
    monthly_shares(tree.org, tree.kamppi, today, [70] * 12)
    # Oulu once improved by 2 points a month for a year: the organisation's best.
    monthly_shares(tree.org, tree.oulu, today, [50 + 2 * i for i in range(12)])
    a = check(kamppi_draft(tree, today, 95, months=3), today)
    assert a.rate_source == "history" and 1.5 < a.best_rate < 2.5
    f = flag(a, "unrealistic")
    assert f.suggestion["target"] == 95 and f.suggestion["deadline"] > S.add_months(today, 3)
    # 8 points in 6 months = 1.33 a month, slower than the best: realistic.
    assert "unrealistic" not in codes(check(kamppi_draft(tree, today, 78, months=6), today))


def test_unrealistic_falls_back_to_three_sigma_cap_without_history(tree, today):
    monthly_shares(tree.org, tree.kamppi, today, [70, 72, 70, 72])
    a = check(kamppi_draft(tree, today, 99, months=2), today)
    assert a.rate_source == "cap"
    assert a.best_rate == pytest.approx(3 * 2 / 1.128)
    assert "unrealistic" in codes(a)
    assert "unrealistic" not in codes(check(kamppi_draft(tree, today, 76, months=2), today))


def test_unmeasurable_when_too_few_responses_before_deadline(tree, today):
    for i in range(12):
        day = S.add_months(today.replace(day=1), -(12 - i)).replace(day=10)
        put(tree.org, tree.kamppi, day, "nps", nps_counts(4, 4, 10))
    a = check(kamppi_draft(tree, today, 10, months=3, metric="nps"), today)
    f = flag(a, "unmeasurable")
    assert "80" in f.reason and f.suggestion["deadline"] > S.add_months(today, 3)


def test_measurable_with_plenty_of_responses(tree, today):
    for i in range(12):
        day = S.add_months(today.replace(day=1), -(12 - i)).replace(day=10)
        put(tree.org, tree.kamppi, day, "nps", nps_counts(400, 400, 1000))
    a = check(kamppi_draft(tree, today, 10, months=3, metric="nps"), today)
    assert "unmeasurable" not in codes(a)


def test_followup_goal_is_accepted_without_data(tree, today):
    d = Draft(tree.org, metric="followup", scope="organisation", target=24,
              deadline=S.add_months(today, 6))
    assert codes(check(d, today)) == set()


def test_parse_accept_rejects_garbage():
    assert parse_accept("abc|not-a-date") == (None, None)
    assert parse_accept("nan|") == (None, None)
